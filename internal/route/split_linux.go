package route

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sort"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/trawlscan/trawl/pkg/target"
)

// Split cuts ranges (sorted and disjoint, as target.Space gives them) into
// spans that the kernel routes alike, and returns them in address order:
// together they are ranges, and no two adjacent spans of one range have
// the same route.
//
// It reads every route of every table, and the policy rules, once, and
// cuts the ranges wherever a route's prefix or a rule's destination
// begins or ends. Inside a piece no table can then tell two addresses
// apart, so the kernel's answer for its first address (RTM_GETROUTE, which
// goes through the rules and tables as a sent packet does) holds for all
// of it; it asks once per piece, on one netlink socket. Two things can
// still send one destination's packets different ways, and make a span's
// Err wrap ErrSpread: a multipath route with next hops on several
// interfaces, which Split asks about only if the dump holds one; and a
// rule that selects by port or protocol, which fails the whole Split.
func Split(ranges []target.Range) ([]Span, error) {
	if len(ranges) == 0 {
		return nil, nil
	}
	c, err := dial()
	if err != nil {
		return nil, fmt.Errorf("read routes: %w", err)
	}
	defer c.close()
	var cuts []uint32
	multipath := false
	err = c.exchange(dumpRequest(unix.RTM_GETROUTE, unix.SizeofRtMsg), func(m syscall.NetlinkMessage) error {
		e, ok, err := parseEntry(m)
		if ok {
			lo, hi := e.span()
			cuts = appendCuts(cuts, lo, hi)
			multipath = multipath || len(e.hops) > 1
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read routes: %w", err)
	}
	var byPort error
	err = c.exchange(dumpRequest(unix.RTM_GETRULE, fibRuleHdrLen), func(m syscall.NetlinkMessage) error {
		var err, sel error
		cuts, sel, err = ruleCuts(m, cuts)
		if byPort == nil {
			byPort = sel
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read policy rules: %w", err)
	}
	if byPort != nil {
		return nil, byPort
	}
	ifaces := map[int]*net.Interface{}
	get := func(dst netip.Addr) (Route, error) { return c.get(dst, ifaces) }
	var match func(netip.Addr) (entry, error)
	if multipath {
		match = c.match
	}
	return split(ranges, cuts, get, match)
}

// match returns the table entry that the kernel matches for dst
// (RTM_F_FIB_MATCH), as a route dump gives it.
func (c *conn) match(dst netip.Addr) (entry, error) {
	var e entry
	found := false
	err := c.exchange(request(dst, unix.RTM_F_FIB_MATCH), func(m syscall.NetlinkMessage) error {
		var err error
		e, found, err = parseEntry(m)
		return err
	})
	if err == nil && !found {
		err = ErrNoRoute
	}
	if err != nil {
		return entry{}, fmt.Errorf("route entry for %v: %w", dst, err)
	}
	return e, nil
}

// appendCuts adds to cuts the addresses where the block lo-hi begins and,
// unless it runs to the end of the address space, where it ends: the first
// address after it.
func appendCuts(cuts []uint32, lo, hi uint32) []uint32 {
	cuts = append(cuts, lo)
	if hi != ^uint32(0) {
		cuts = append(cuts, hi+1)
	}
	return cuts
}

// ruleCuts reads one message of a rule dump and adds to cuts the
// boundaries of the rule's destination prefix, if it has one. sel wraps
// ErrSpread if the rule selects by port or protocol: probes to one
// address, on different ports, could then take different routes, and a
// route lookup by address cannot say which.
func ruleCuts(m syscall.NetlinkMessage, cuts []uint32) (_ []uint32, sel, err error) {
	if m.Header.Type == unix.NLMSG_ERROR {
		return cuts, nil, netlinkError(m)
	}
	if m.Header.Type != unix.RTM_NEWRULE || len(m.Data) < fibRuleHdrLen || m.Data[0] != unix.AF_INET {
		return cuts, nil, nil
	}
	bits := int(m.Data[1])
	var dst netip.Addr
	prio, byPort := uint32(0), false
	err = eachAttr(m.Data[fibRuleHdrLen:], func(typ uint16, v []byte) {
		switch {
		case typ == unix.FRA_DST && len(v) == 4:
			dst = netip.AddrFrom4([4]byte(v))
		case typ == unix.FRA_PRIORITY && len(v) >= 4:
			prio = binary.NativeEndian.Uint32(v)
		case typ == unix.FRA_SPORT_RANGE || typ == unix.FRA_DPORT_RANGE || typ == unix.FRA_IP_PROTO:
			byPort = true
		}
	})
	if err != nil {
		return cuts, nil, fmt.Errorf("rule message: %w", err)
	}
	if byPort {
		sel = fmt.Errorf("policy routing rule %d selects by port or protocol: %w", prio, ErrSpread)
	}
	if dst.IsValid() && bits > 0 && bits <= 32 {
		lo, hi := entry{dst: dst, bits: bits}.span()
		cuts = appendCuts(cuts, lo, hi)
	}
	return cuts, sel, nil
}

// split is Split's work, on cuts, the boundaries of every route and rule,
// and two lookups: get, the kernel's route to an address, and match, the
// table entry it matches for one, or nil if no route has several next
// hops.
func split(ranges []target.Range, cuts []uint32, get func(netip.Addr) (Route, error), match func(netip.Addr) (entry, error)) ([]Span, error) {
	cuts = slices.Compact(slices.Sorted(slices.Values(cuts)))
	var spans []Span
	for _, r := range ranges {
		for a := r.First; ; {
			// The piece runs from a to the address before the next cut,
			// or to the end of r.
			b := r.Last
			if i := sort.Search(len(cuts), func(i int) bool { return cuts[i] > a }); i < len(cuts) && cuts[i]-1 < b {
				b = cuts[i] - 1
			}
			s, err := resolve(target.Range{First: a, Last: b}, get, match)
			if err != nil {
				return nil, err
			}
			spans = appendSpan(spans, s)
			if b == r.Last {
				break
			}
			a = b + 1
		}
	}
	return spans, nil
}

// resolve returns the span of the piece r, which no route or rule cuts.
// It fails only if the kernel could not be asked.
func resolve(r target.Range, get func(netip.Addr) (Route, error), match func(netip.Addr) (entry, error)) (Span, error) {
	dst := target.AddrOf(r.First)
	rt, err := get(dst)
	switch {
	case errors.Is(err, ErrNoRoute):
		return Span{Range: r, Err: err}, nil
	case errors.Is(err, ErrNoSource):
		return Span{Range: r, Route: rt, Err: err}, nil
	case err != nil:
		return Span{}, err
	}
	s := Span{Range: r, Route: rt}
	if match != nil {
		e, err := match(dst)
		if err != nil {
			return Span{}, err
		}
		if ifs := distinct(e.hops); len(ifs) > 1 {
			s.Err = fmt.Errorf("multipath route %v: next hops on %d interfaces: %w", e, len(ifs), ErrSpread)
		}
	}
	return s, nil
}

// distinct returns the distinct values of xs.
func distinct(xs []int) []int {
	var out []int
	for _, x := range xs {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// appendSpan adds s to spans, merged into the last span if it follows it
// with the same route, or with no route at all.
func appendSpan(spans []Span, s Span) []Span {
	if n := len(spans); n > 0 {
		last := &spans[n-1]
		if last.Range.Last < s.Range.First && s.Range.First-last.Range.Last == 1 && sameSpan(*last, s) {
			last.Range.Last = s.Range.Last
			return spans
		}
	}
	return append(spans, s)
}

// sameSpan reports whether a and b route alike: the same usable route, or
// none.
func sameSpan(a, b Span) bool {
	switch {
	case a.Err == nil && b.Err == nil:
		return a.Route.Index == b.Route.Index && a.Route.Interface == b.Route.Interface &&
			a.Route.Source == b.Route.Source && a.Route.Gateway == b.Route.Gateway
	case errors.Is(a.Err, ErrNoRoute) && errors.Is(b.Err, ErrNoRoute):
		return true
	}
	return false
}
