package main

import (
	"bufio"
	"fmt"
	"io"
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

// normalize sorts and deduplicates pairs, and drops each ip:port that a
// *:port on the same port already covers: the kernel refuses to listen on
// both.
func normalize(pairs []netip.AddrPort) []netip.AddrPort {
	slices.SortFunc(pairs, func(a, b netip.AddrPort) int { return a.Compare(b) })
	pairs = slices.Compact(pairs)
	wild := make(map[uint16]bool)
	for _, p := range pairs {
		if p.Addr().IsUnspecified() {
			wild[p.Port()] = true
		}
	}
	return slices.DeleteFunc(pairs, func(p netip.AddrPort) bool {
		return wild[p.Port()] && !p.Addr().IsUnspecified()
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

// parsePair parses "ip:port" (IPv4, port 1-65535) or "*:port", which means
// every address and comes back as 0.0.0.0:port.
func parsePair(s string) (netip.AddrPort, error) {
	host, portText, ok := strings.Cut(s, ":")
	if !ok {
		return netip.AddrPort{}, fmt.Errorf("bad pair %q: want ip:port or *:port", s)
	}
	port, err := parseUint("port", portText, 1, 65535)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("bad pair %q: %w", s, err)
	}
	if host == "*" {
		return netip.AddrPortFrom(netip.IPv4Unspecified(), uint16(port)), nil
	}
	addr, err := netip.ParseAddr(host)
	if err != nil || !addr.Is4() {
		return netip.AddrPort{}, fmt.Errorf("bad pair %q: %q is not an IPv4 address", s, host)
	}
	return netip.AddrPortFrom(addr, uint16(port)), nil
}

// maxCount bounds -gen's COUNT, so that a typo cannot exhaust memory.
const maxCount = 1 << 24

// parseGen parses the arguments of -gen: a CIDR inside lab.Space, a port
// or port range "lo-hi", a count no larger than the space they span, and
// a seed.
func parseGen(cidr, ports, countText, seedText string) (prefix netip.Prefix, lo, hi uint16, count int, seed int64, err error) {
	prefix, err = netip.ParsePrefix(cidr)
	if err != nil || !prefix.Addr().Is4() {
		return prefix, 0, 0, 0, 0, fmt.Errorf("bad CIDR %q: want an IPv4 prefix such as 198.18.1.0/24", cidr)
	}
	prefix = prefix.Masked()
	if !lab.Space.Contains(prefix.Addr()) || prefix.Bits() < lab.Space.Bits() {
		return prefix, 0, 0, 0, 0, fmt.Errorf("bad CIDR %q: must lie inside the lab space %s", cidr, lab.Space)
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
	space := (uint64(1) << (32 - prefix.Bits())) * (h - l + 1)
	c, err := parseUint("count", countText, 0, min(space, maxCount))
	if err != nil {
		return prefix, 0, 0, 0, 0, fmt.Errorf("%w (%s × ports %s holds %d pairs; at most %d are generated)", err, prefix, ports, space, maxCount)
	}
	s, err := strconv.ParseInt(seedText, 10, 64)
	if err != nil {
		return prefix, 0, 0, 0, 0, fmt.Errorf("bad seed %q: want a 64-bit integer", seedText)
	}
	return prefix, uint16(l), uint16(h), int(c), s, nil
}
