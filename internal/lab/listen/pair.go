package main

import (
	"bufio"
	"fmt"
	"io"
	"math/big"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/trawlscan/trawl/internal/lab"
)

// readPairs reads pairs one a line. With stopAtBlank a blank line ends the
// list; otherwise blank lines are skipped. eof reports that r was read to
// its end.
func readPairs(r *bufio.Reader, stopAtBlank bool) (pairs []netip.AddrPort, eof bool, err error) {
	for n := 1; ; n++ {
		line, rerr := r.ReadString('\n')
		if rerr != nil && rerr != io.EOF {
			return nil, false, fmt.Errorf("read pairs: %w", rerr)
		}
		text := strings.TrimSpace(line)
		switch {
		case text == "" && stopAtBlank && rerr == nil:
			return pairs, false, nil
		case text == "" || strings.HasPrefix(text, "#"):
		default:
			p, perr := parsePair(text)
			if perr != nil {
				return nil, false, fmt.Errorf("line %d: %w", n, perr)
			}
			pairs = append(pairs, p)
		}
		if rerr == io.EOF {
			return pairs, true, nil
		}
	}
}

// normalize sorts and deduplicates pairs, and drops each ip:port that an
// unspecified address of the same family on the same port already covers
// (0.0.0.0:port for IPv4, [::]:port for IPv6): the kernel refuses to
// listen on both.
func normalize(pairs []netip.AddrPort) []netip.AddrPort {
	slices.SortFunc(pairs, func(a, b netip.AddrPort) int { return a.Compare(b) })
	pairs = slices.Compact(pairs)
	type key struct {
		is4  bool
		port uint16
	}
	wild := make(map[key]bool)
	for _, p := range pairs {
		if p.Addr().IsUnspecified() {
			wild[key{p.Addr().Is4(), p.Port()}] = true
		}
	}
	return slices.DeleteFunc(pairs, func(p netip.AddrPort) bool {
		return wild[key{p.Addr().Is4(), p.Port()}] && !p.Addr().IsUnspecified()
	})
}

// parseUint parses a decimal number in [min, max], naming what in errors.
func parseUint(what, s string, min, max uint64) (uint64, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n < min || n > max {
		return 0, fmt.Errorf("bad %s %q: want a number from %d to %d", what, s, min, max)
	}
	return n, nil
}

// parsePair parses "ip:port" (IPv4, port 1-65535), "[ip]:port" (IPv6,
// without a zone and not IPv4-mapped), or "*:port", which means every
// IPv4 address and comes back as 0.0.0.0:port. "[::]:port" means every
// IPv6 address.
func parsePair(s string) (netip.AddrPort, error) {
	bracketed := strings.HasPrefix(s, "[")
	var host, portText string
	var ok bool
	if bracketed {
		host, portText, ok = strings.Cut(s[1:], "]:")
	} else {
		host, portText, ok = strings.Cut(s, ":")
	}
	if !ok {
		return netip.AddrPort{}, fmt.Errorf("bad pair %q: want ip:port, [ipv6]:port or *:port", s)
	}
	port, err := parseUint("port", portText, 1, 65535)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("bad pair %q: %w", s, err)
	}
	if host == "*" && !bracketed {
		return netip.AddrPortFrom(netip.IPv4Unspecified(), uint16(port)), nil
	}
	addr, err := netip.ParseAddr(host)
	if bracketed {
		if err != nil || !addr.Is6() || addr.Is4In6() || addr.Zone() != "" {
			return netip.AddrPort{}, fmt.Errorf("bad pair %q: %q is not an IPv6 address (one without a zone, not IPv4-mapped)", s, host)
		}
	} else if err != nil || !addr.Is4() {
		return netip.AddrPort{}, fmt.Errorf("bad pair %q: %q is not an IPv4 address (write IPv6 as [ip]:port)", s, host)
	}
	return netip.AddrPortFrom(addr, uint16(port)), nil
}

// maxCount bounds -gen's COUNT, so that a typo cannot exhaust memory.
const maxCount = 1 << 24

// parseGen parses the arguments of -gen: a CIDR inside lab.Space or
// lab.Space6, a port or port range "lo-hi", a count no larger than the
// space they span, and a seed.
func parseGen(cidr, ports, countText, seedText string) (prefix netip.Prefix, lo, hi uint16, count int, seed int64, err error) {
	prefix, err = netip.ParsePrefix(cidr)
	if err != nil {
		return prefix, 0, 0, 0, 0, fmt.Errorf("bad CIDR %q: want a prefix such as 198.18.1.0/24 or 2001:db8::/120", cidr)
	}
	prefix = prefix.Masked()
	space := lab.Space
	if prefix.Addr().Is6() {
		space = lab.Space6
	}
	if !space.Contains(prefix.Addr()) || prefix.Bits() < space.Bits() {
		return prefix, 0, 0, 0, 0, fmt.Errorf("bad CIDR %q: must lie inside the lab space %s", cidr, space)
	}
	loText, hiText, isRange := strings.Cut(ports, "-")
	if !isRange {
		hiText = loText
	}
	l, err := parseUint("port", loText, 1, 65535)
	if err != nil {
		return prefix, 0, 0, 0, 0, fmt.Errorf("bad ports %q: %w", ports, err)
	}
	h, err := parseUint("port", hiText, l, 65535)
	if err != nil {
		return prefix, 0, 0, 0, 0, fmt.Errorf("bad ports %q: %w", ports, err)
	}
	// prefix lies inside Space or Space6, so it has at most 64 host bits,
	// and the pairs it holds, up to 2^64 × 65535, need a big.Int.
	pairs := new(big.Int).Lsh(new(big.Int).SetUint64(h-l+1), uint(prefix.Addr().BitLen()-prefix.Bits()))
	limit := uint64(maxCount)
	if pairs.IsUint64() {
		limit = min(pairs.Uint64(), maxCount)
	}
	c, err := parseUint("count", countText, 0, limit)
	if err != nil {
		return prefix, 0, 0, 0, 0, fmt.Errorf("%w (%s × ports %s holds %s pairs; at most %d are generated)", err, prefix, ports, pairs, maxCount)
	}
	s, err := strconv.ParseInt(seedText, 10, 64)
	if err != nil {
		return prefix, 0, 0, 0, 0, fmt.Errorf("bad seed %q: want a 64-bit integer", seedText)
	}
	return prefix, uint16(l), uint16(h), int(c), s, nil
}
