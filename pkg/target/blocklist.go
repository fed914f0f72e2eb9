package target

import (
	"cmp"
	"io"
	"math"
	"math/bits"
	"slices"
	"sort"
	"strings"
)

// DefaultBlocklist returns the special-purpose blocks of IANA's IPv4 and
// IPv6 registries (RFC 6890) that a sweep of the internet should not
// probe: for IPv4 "this network", private, shared, loopback, link-local,
// documentation, benchmarking, 6to4 relay anycast, multicast, reserved and
// broadcast space; for IPv6 the unspecified and loopback addresses,
// local-use translation, discard-only, IETF protocol assignments,
// documentation, unique-local, link-local and multicast space. Blocked
// applies them. The slice is new on each call, in address order within
// each family; 255.255.255.255/32 lies inside 240.0.0.0/4 and is listed
// on its own, as IANA lists it.
func DefaultBlocklist() []Range {
	return []Range{
		V4Range(0x00000000, 0x00ffffff),    // 0.0.0.0/8, "this network" (RFC 791)
		V4Range(0x0a000000, 0x0affffff),    // 10.0.0.0/8, private (RFC 1918)
		V4Range(0x64400000, 0x647fffff),    // 100.64.0.0/10, shared address space (RFC 6598)
		V4Range(0x7f000000, 0x7fffffff),    // 127.0.0.0/8, loopback (RFC 1122)
		V4Range(0xa9fe0000, 0xa9feffff),    // 169.254.0.0/16, link-local (RFC 3927)
		V4Range(0xac100000, 0xac1fffff),    // 172.16.0.0/12, private (RFC 1918)
		V4Range(0xc0000000, 0xc00000ff),    // 192.0.0.0/24, IETF protocol assignments (RFC 6890)
		V4Range(0xc0000200, 0xc00002ff),    // 192.0.2.0/24, TEST-NET-1 (RFC 5737)
		V4Range(0xc0586300, 0xc05863ff),    // 192.88.99.0/24, 6to4 relay anycast (RFC 7526)
		V4Range(0xc0a80000, 0xc0a8ffff),    // 192.168.0.0/16, private (RFC 1918)
		V4Range(0xc6120000, 0xc613ffff),    // 198.18.0.0/15, benchmarking (RFC 2544)
		V4Range(0xc6336400, 0xc63364ff),    // 198.51.100.0/24, TEST-NET-2 (RFC 5737)
		V4Range(0xcb007100, 0xcb0071ff),    // 203.0.113.0/24, TEST-NET-3 (RFC 5737)
		V4Range(0xe0000000, 0xefffffff),    // 224.0.0.0/4, multicast (RFC 5771)
		V4Range(0xf0000000, 0xffffffff),    // 240.0.0.0/4, reserved (RFC 1112)
		V4Range(0xffffffff, 0xffffffff),    // 255.255.255.255/32, limited broadcast (RFC 919)
		v6Block(0, 0, 128),                 // ::/128, unspecified (RFC 4291)
		v6Block(0, 1, 128),                 // ::1/128, loopback (RFC 4291)
		v6Block(0x0064ff9b00010000, 0, 48), // 64:ff9b:1::/48, local-use IPv4/IPv6 translation (RFC 8215)
		v6Block(0x0100000000000000, 0, 64), // 100::/64, discard-only (RFC 6666)
		v6Block(0x2001000000000000, 0, 23), // 2001::/23, IETF protocol assignments (RFC 2928)
		v6Block(0x20010db800000000, 0, 32), // 2001:db8::/32, documentation (RFC 3849)
		v6Block(0xfc00000000000000, 0, 7),  // fc00::/7, unique-local (RFC 4193)
		v6Block(0xfe80000000000000, 0, 10), // fe80::/10, link-local unicast (RFC 4291)
		v6Block(0xff00000000000000, 0, 8),  // ff00::/8, multicast (RFC 4291)
	}
}

// v6Block returns the IPv6 prefix hi:lo/prefix as a Range; blocks, unlike
// targets, may be wider than MaxRange.
func v6Block(hi, lo uint64, prefix uint) Range {
	first := Addr{Hi: hi, Lo: lo}
	last := first
	switch {
	case prefix >= 64:
		last.Lo |= ^uint64(0) >> (prefix - 64)
	default:
		last.Hi |= ^uint64(0) >> prefix
		last.Lo = ^uint64(0)
	}
	return Range{First: first, Last: last}
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
		if !b.Last.Less(b.First) {
			bs = append(bs, b)
		}
	}
	slices.SortFunc(bs, func(a, b Range) int { return cmp.Or(a.First.Compare(b.First), a.Last.Compare(b.Last)) })
	var all, kept, inner []Range
	for _, t := range targets {
		if t.Last.Less(t.First) {
			continue
		}
		all = append(all, t)
		// The blocks strictly inside t start at or after t.First, so they
		// are among those from the first such block up to the last one
		// that starts by t.Last; those that end past t.Last stick out.
		inner = inner[:0]
		for i := sort.Search(len(bs), func(i int) bool { return !bs[i].First.Less(t.First) }); i < len(bs) && !t.Last.Less(bs[i].First); i++ {
			if b := bs[i]; !t.Last.Less(b.Last) && b != t {
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

// Count returns how many distinct addresses rs holds, up to
// math.MaxUint64, at which it stops: overlaps count once, and ranges with First > Last count
// none. rs is not modified.
func Count(rs []Range) uint64 {
	valid := make([]Range, 0, len(rs))
	for _, r := range rs {
		if !r.Last.Less(r.First) {
			valid = append(valid, r)
		}
	}
	var n uint64
	for _, r := range merge(valid) {
		sum, carry := bits.Add64(n, r.Len(), 0)
		if carry != 0 {
			return math.MaxUint64
		}
		n = sum
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
const targetHint = "; a target is an IPv4 or IPv6 address, a CIDR block or a range such as a.b.c.d-e.f.g.h"

// parseKind is parseRange with errors for kind of token: "target" or
// "block"; a target may hold at most MaxRange addresses.
func parseKind(s, kind string) (Range, error) {
	r, reason := parseRange(s)
	if reason == "" && kind == "target" && r.Len() > MaxRange {
		reason = "more than 2^48 addresses, the most a scan holds: give a longer prefix, such as /80 for IPv6"
	}
	if reason == "" {
		return r, nil
	}
	if kind != "target" {
		reason = strings.TrimSuffix(reason, targetHint)
	}
	return Range{}, &SyntaxError{Kind: kind, Token: s, Reason: reason}
}

// ParseBlocks parses block tokens, such as --exclude's, as ParseTargets
// parses targets but with no limit on size and errors of kind "block".
func ParseBlocks(tokens []string) ([]Range, error) {
	return parseTokens(tokens, "block")
}
