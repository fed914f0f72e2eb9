package target

import (
	"cmp"
	"io"
	"slices"
	"sort"
	"strings"
)

// DefaultBlocklist returns the special-purpose IPv4 blocks of IANA's
// registry (RFC 6890) that a sweep of the internet should not probe:
// "this network", private, shared, loopback, link-local, documentation,
// benchmarking, 6to4 relay anycast, multicast, reserved and broadcast
// space. Blocked applies them. The slice is new on each call, in address
// order; 255.255.255.255/32 lies inside 240.0.0.0/4 and is listed on its
// own, as IANA lists it.
func DefaultBlocklist() []Range {
	return []Range{
		{0x00000000, 0x00ffffff}, // 0.0.0.0/8, "this network" (RFC 791)
		{0x0a000000, 0x0affffff}, // 10.0.0.0/8, private (RFC 1918)
		{0x64400000, 0x647fffff}, // 100.64.0.0/10, shared address space (RFC 6598)
		{0x7f000000, 0x7fffffff}, // 127.0.0.0/8, loopback (RFC 1122)
		{0xa9fe0000, 0xa9feffff}, // 169.254.0.0/16, link-local (RFC 3927)
		{0xac100000, 0xac1fffff}, // 172.16.0.0/12, private (RFC 1918)
		{0xc0000000, 0xc00000ff}, // 192.0.0.0/24, IETF protocol assignments (RFC 6890)
		{0xc0000200, 0xc00002ff}, // 192.0.2.0/24, TEST-NET-1 (RFC 5737)
		{0xc0586300, 0xc05863ff}, // 192.88.99.0/24, 6to4 relay anycast (RFC 7526)
		{0xc0a80000, 0xc0a8ffff}, // 192.168.0.0/16, private (RFC 1918)
		{0xc6120000, 0xc613ffff}, // 198.18.0.0/15, benchmarking (RFC 2544)
		{0xc6336400, 0xc63364ff}, // 198.51.100.0/24, TEST-NET-2 (RFC 5737)
		{0xcb007100, 0xcb0071ff}, // 203.0.113.0/24, TEST-NET-3 (RFC 5737)
		{0xe0000000, 0xefffffff}, // 224.0.0.0/4, multicast (RFC 5771)
		{0xf0000000, 0xffffffff}, // 240.0.0.0/4, reserved (RFC 1112)
		{0xffffffff, 0xffffffff}, // 255.255.255.255/32, limited broadcast (RFC 919)
	}
}

// Blocked returns the addresses of targets that blocks remove, merged:
// sorted, disjoint and not adjacent.
//
// A block is removed only from a target range that strictly contains it,
// that is, contains all of it and more. A target equal to a block, inside
// one, or overlapping one only in part is kept whole, because it names
// those addresses rather than sweeping past them: with DefaultBlocklist,
// 0.0.0.0/0 loses every block, while 10.0.0.0/8, 10.1.2.0/24,
// 198.18.0.0/16 and 9.255.255.0-10.0.0.255 are kept whole. Each block is
// judged on its own, not merged with its neighbours, so 240.0.0.0/4 loses
// 255.255.255.255 and 224.0.0.0/3 loses all of itself. An address is
// removed only if every target that holds it removes it, so the targets
// 0.0.0.0/0 and 10.1.2.0/24 together keep 10.1.2.0/24.
//
// Ranges with First > Last are ignored. The inputs are not modified. It
// takes O((targets + blocks) log blocks) time, plus, for each target,
// the blocks that start inside it.
func Blocked(targets, blocks []Range) []Range {
	bs := make([]Range, 0, len(blocks))
	for _, b := range blocks {
		if b.First <= b.Last {
			bs = append(bs, b)
		}
	}
	slices.SortFunc(bs, func(a, b Range) int { return cmp.Or(cmp.Compare(a.First, b.First), cmp.Compare(a.Last, b.Last)) })
	var all, kept, inner []Range
	for _, t := range targets {
		if t.First > t.Last {
			continue
		}
		all = append(all, t)
		// The blocks strictly inside t start at or after t.First, so they
		// are among those from the first such block up to the last one
		// that starts by t.Last; those that end past t.Last stick out.
		inner = inner[:0]
		for i := sort.Search(len(bs), func(i int) bool { return bs[i].First >= t.First }); i < len(bs) && bs[i].First <= t.Last; i++ {
			if b := bs[i]; b.Last <= t.Last && b != t {
				inner = append(inner, b)
			}
		}
		if len(inner) == 0 {
			kept = append(kept, t)
			continue
		}
		kept = append(kept, subtract([]Range{t}, merge(inner))...)
	}
	if slices.Equal(kept, all) { // no target contains a block
		return nil
	}
	return subtract(merge(all), merge(kept))
}

// Count returns how many distinct addresses rs holds, from 0 to 2^32:
// overlaps count once, and ranges with First > Last count none. rs is
// not modified.
func Count(rs []Range) uint64 {
	valid := make([]Range, 0, len(rs))
	for _, r := range rs {
		if r.First <= r.Last {
			valid = append(valid, r)
		}
	}
	var n uint64
	for _, r := range merge(valid) {
		n += r.Len()
	}
	return n
}

// ReadBlocklist reads blocks in ZMap's blocklist format: an address or a
// CIDR block per line, '#' comments and blank lines. It also takes what
// ReadTargets does, a.b.c.d-e.f.g.h ranges and several blocks to a line.
// name labels errors, as in `blocklist.conf:3: bad block "10.0.0.0/33":
// prefix length 33 > 32`; a bad block is a wrapped *SyntaxError, a failed
// read wraps the reader's error.
func ReadBlocklist(r io.Reader, name string) ([]Range, error) {
	return readRanges(r, name, "block")
}

// targetHint ends the reason for a token that is not even an address.
const targetHint = "; a target is an IPv4 address, a CIDR block or an a.b.c.d-e.f.g.h range"

// parseKind is parseRange with errors for kind of token: "target" or
// "block".
func parseKind(s, kind string) (Range, error) {
	r, reason := parseRange(s)
	if reason == "" {
		return r, nil
	}
	if kind != "target" {
		reason = strings.TrimSuffix(reason, targetHint)
	}
	return Range{}, &SyntaxError{Kind: kind, Token: s, Reason: reason}
}
