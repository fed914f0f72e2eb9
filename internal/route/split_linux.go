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

// Split cuts ranges (sorted and disjoint, as target.Space gives them,
// IPv4 and IPv6 mixed) into spans that the kernel routes alike, and
// returns them in address order: together they are ranges, no span holds
// both IPv4 and IPv6 addresses, and no two adjacent spans of one range
// have the same route.
//
// It reads the policy rules and every route of every table, once for each
// family that ranges hold, and for IPv6 the host's addresses and the
// address labels too, and cuts the ranges wherever one of them draws a
// boundary. Inside a piece nothing the kernel consults can then tell two
// addresses apart:
//   - the rules and the routes pick one table entry by prefix, so one
//     interface, gateway and, for IPv4, source: the route's preferred
//     source, or the one inet_select_addr picks for its interface and
//     gateway;
//   - IPv6 source address selection (RFC 6724, section 5, as Linux's
//     ipv6_dev_get_saddr does it) reads the destination in four more
//     ways: whether it is a candidate address itself (rule 1), its type
//     and scope (rule 2, and Linux's ORCHID rule), its label, by longest
//     prefix in the label table (rule 6), and the length of the prefix it
//     shares with each candidate A of prefix length p, counted up to p
//     (rule 8). The first holds on A's /128, the second on fixed blocks
//     (addrTypeCuts), the third between the labels' prefix boundaries,
//     and the fourth, which is at least k exactly inside A's /k, between
//     the boundaries of A's /1 to /p.
//
// So the kernel's answer for the piece's first address (RTM_GETROUTE,
// which goes through the rules and tables as a sent packet does) holds
// for all of it; it asks once per piece, on one netlink socket. Two things
// can still send one destination's packets different ways, and make a
// span's Err wrap ErrSpread: a multipath route with next hops on several
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
	var cuts []target.Addr
	multipath := false
	for _, family := range families(ranges) {
		var mp bool
		if cuts, mp, err = c.readCuts(family, cuts); err != nil {
			return nil, err
		}
		multipath = multipath || mp
	}
	ifaces := map[int]*net.Interface{}
	get := func(dst netip.Addr) (Route, error) { return c.get(dst, ifaces) }
	var match func(netip.Addr) (entry, error)
	if multipath {
		match = c.match
	}
	return split(ranges, cuts, get, match)
}

// families returns the address families, unix.AF_INET and unix.AF_INET6,
// of the addresses in ranges.
func families(ranges []target.Range) []uint8 {
	var has4, has6 bool
	for _, r := range ranges {
		f := rangeFamily(r)
		has4 = has4 || f != unix.AF_INET6
		has6 = has6 || f != unix.AF_INET
	}
	var fs []uint8
	if has4 {
		fs = append(fs, unix.AF_INET)
	}
	if has6 {
		fs = append(fs, unix.AF_INET6)
	}
	return fs
}

// readCuts adds to cuts the boundaries that the routes and rules of
// family draw, and for unix.AF_INET6 those of the host's addresses and
// the address labels (see Split). multipath reports whether a route has
// several next hops. A rule that selects by port or protocol is an error
// wrapping ErrSpread.
func (c *conn) readCuts(family uint8, cuts []target.Addr) (_ []target.Addr, multipath bool, err error) {
	err = c.exchange(dumpRequest(unix.RTM_GETROUTE, unix.SizeofRtMsg, family), func(m syscall.NetlinkMessage) error {
		e, ok, err := parseEntry(m)
		if ok {
			cuts = appendCuts(cuts, netip.PrefixFrom(e.dst, e.bits))
			multipath = multipath || len(e.hops) > 1
		}
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("read routes: %w", err)
	}
	var byPort error
	err = c.exchange(dumpRequest(unix.RTM_GETRULE, fibRuleHdrLen, family), func(m syscall.NetlinkMessage) error {
		var err, sel error
		cuts, sel, err = ruleCuts(m, cuts)
		if byPort == nil {
			byPort = sel
		}
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("read policy rules: %w", err)
	}
	if byPort != nil {
		return nil, false, byPort
	}
	if family != unix.AF_INET6 {
		return cuts, multipath, nil
	}
	for _, d := range []struct {
		typ    uint16
		hdrLen int
		what   string
		parse  func(syscall.NetlinkMessage, []target.Addr) ([]target.Addr, error)
	}{
		{unix.RTM_GETADDR, unix.SizeofIfAddrmsg, "addresses", addrCuts},
		{unix.RTM_GETADDRLABEL, ifAddrlblHdrLen, "address labels", labelCuts},
	} {
		err = c.exchange(dumpRequest(d.typ, d.hdrLen, family), func(m syscall.NetlinkMessage) error {
			var err error
			cuts, err = d.parse(m, cuts)
			return err
		})
		if err != nil {
			return nil, false, fmt.Errorf("read IPv6 %s: %w", d.what, err)
		}
	}
	return cuts, multipath, nil
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

// appendCuts adds to cuts the addresses where the block p begins and,
// unless it runs to the end of the address space, where it ends: the first
// address after it.
func appendCuts(cuts []target.Addr, p netip.Prefix) []target.Addr {
	lo, hi := prefixSpan(p)
	cuts = append(cuts, lo)
	if !hi.IsMax() {
		cuts = append(cuts, hi.Next())
	}
	return cuts
}

// ruleCuts reads one message of an IPv4 or IPv6 rule dump and adds to cuts
// the boundaries of the rule's destination prefix, if it has one. sel
// wraps ErrSpread if the rule selects by port or protocol: probes to one
// address, on different ports, could then take different routes, and a
// route lookup by address cannot say which.
func ruleCuts(m syscall.NetlinkMessage, cuts []target.Addr) (_ []target.Addr, sel, err error) {
	if m.Header.Type == unix.NLMSG_ERROR {
		return cuts, nil, netlinkError(m)
	}
	if m.Header.Type != unix.RTM_NEWRULE || len(m.Data) < fibRuleHdrLen {
		return cuts, nil, nil
	}
	family, bits := m.Data[0], int(m.Data[1])
	var dst netip.Addr
	prio, byPort := uint32(0), false
	err = eachAttr(m.Data[fibRuleHdrLen:], func(typ uint16, v []byte) {
		switch {
		case typ == unix.FRA_DST:
			dst, _ = addrFrom(family, v)
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
	if dst.IsValid() && bits > 0 && bits <= dst.BitLen() {
		cuts = appendCuts(cuts, netip.PrefixFrom(dst, bits))
	}
	return cuts, sel, nil
}

// addrCuts reads one message of an IPv6 address dump and adds to cuts the
// boundaries where source address selection may change its mind about
// the address A, of prefix length p (see Split): those of A's /1 to /p,
// and A itself. That is at most 2×129 cuts.
func addrCuts(m syscall.NetlinkMessage, cuts []target.Addr) ([]target.Addr, error) {
	switch m.Header.Type {
	case unix.NLMSG_ERROR:
		return cuts, netlinkError(m)
	case unix.RTM_NEWADDR:
	default:
		return cuts, nil
	}
	if len(m.Data) < unix.SizeofIfAddrmsg || m.Data[0] != unix.AF_INET6 {
		return cuts, nil
	}
	bits := int(m.Data[1])
	var addr, local netip.Addr
	err := eachAttr(m.Data[unix.SizeofIfAddrmsg:], func(typ uint16, v []byte) {
		switch typ {
		case unix.IFA_ADDRESS:
			addr, _ = addrFrom(unix.AF_INET6, v)
		case unix.IFA_LOCAL:
			local, _ = addrFrom(unix.AF_INET6, v)
		}
	})
	if err != nil {
		return cuts, fmt.Errorf("address message: %w", err)
	}
	// On a point-to-point link IFA_ADDRESS is the peer's; IFA_LOCAL, if
	// present, is ours.
	if local.IsValid() {
		addr = local
	}
	if !addr.IsValid() || bits > addr.BitLen() {
		return cuts, nil
	}
	for k := 1; k <= bits; k++ {
		cuts = appendCuts(cuts, netip.PrefixFrom(addr, k))
	}
	return appendCuts(cuts, netip.PrefixFrom(addr, addr.BitLen())), nil
}

// ifAddrlblHdrLen is the size of struct ifaddrlblmsg: family, a reserved
// byte, prefix length, flags, 32-bit interface index and sequence number.
const ifAddrlblHdrLen = 12

// labelCuts reads one message of an address label dump (RFC 6724's
// policy table, ip-addrlabel(8)) and adds to cuts the boundaries of the
// label's prefix.
func labelCuts(m syscall.NetlinkMessage, cuts []target.Addr) ([]target.Addr, error) {
	switch m.Header.Type {
	case unix.NLMSG_ERROR:
		return cuts, netlinkError(m)
	case unix.RTM_NEWADDRLABEL:
	default:
		return cuts, nil
	}
	if len(m.Data) < ifAddrlblHdrLen || m.Data[0] != unix.AF_INET6 {
		return cuts, nil
	}
	bits := int(m.Data[2])
	var prefix netip.Addr
	err := eachAttr(m.Data[ifAddrlblHdrLen:], func(typ uint16, v []byte) {
		if typ == unix.IFAL_ADDRESS {
			prefix, _ = addrFrom(unix.AF_INET6, v)
		}
	})
	if err != nil {
		return cuts, fmt.Errorf("address label message: %w", err)
	}
	if prefix.IsValid() && bits <= prefix.BitLen() {
		cuts = appendCuts(cuts, netip.PrefixFrom(prefix, bits))
	}
	return cuts, nil
}

// addrTypeCuts are the boundaries of the blocks inside which Linux gives
// every IPv6 address one type and scope (__ipv6_addr_type), and one
// answer to its ORCHID rule: ::, ::1, the IPv4-compatible ::/96 and
// IPv4-mapped ::ffff:0:0/96, ORCHID's 2001:10::/28, the link-local
// fe80::/10 and site-local fec0::/10, and each multicast ffXY::/16,
// whose scope is Y. All other addresses are global unicast. The ends of
// ::ffff:0:0/96 also keep IPv4 and IPv6 apart.
var addrTypeCuts = func() []target.Addr {
	var cuts []target.Addr
	for _, p := range []string{"::/128", "::1/128", "::/96", "::ffff:0:0/96", "2001:10::/28", "fe80::/10", "fec0::/10"} {
		cuts = appendCuts(cuts, netip.MustParsePrefix(p))
	}
	for y := range 256 {
		cuts = appendCuts(cuts, netip.PrefixFrom(netip.AddrFrom16([16]byte{0xff, byte(y)}), 16))
	}
	return cuts
}()

// split is Split's work, on cuts, the boundaries that Split reads (split
// adds addrTypeCuts), and two lookups: get, the kernel's route to an
// address, and match, the table entry it matches for one, or nil if no
// route has several next hops.
func split(ranges []target.Range, cuts []target.Addr, get func(netip.Addr) (Route, error), match func(netip.Addr) (entry, error)) ([]Span, error) {
	cuts = slices.Concat(cuts, addrTypeCuts)
	slices.SortFunc(cuts, target.Addr.Compare)
	cuts = slices.Compact(cuts)
	var spans []Span
	for _, r := range ranges {
		for a := r.First; ; {
			// The piece runs from a to the address before the next cut,
			// or to the end of r. That cut is above a, so not ::, and
			// Prev does not wrap.
			b := r.Last
			if i := sort.Search(len(cuts), func(i int) bool { return a.Less(cuts[i]) }); i < len(cuts) && cuts[i].Prev().Less(b) {
				b = cuts[i].Prev()
			}
			s, err := resolve(target.Range{First: a, Last: b}, get, match)
			if err != nil {
				return nil, err
			}
			spans = appendSpan(spans, s)
			if b == r.Last {
				break
			}
			a = b.Next()
		}
	}
	return spans, nil
}

// resolve returns the span of the piece r, which no cut divides.
// It fails only if the kernel could not be asked.
func resolve(r target.Range, get func(netip.Addr) (Route, error), match func(netip.Addr) (entry, error)) (Span, error) {
	dst := r.First.Netip()
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
// in the same family with the same route, or with no route at all.
func appendSpan(spans []Span, s Span) []Span {
	if n := len(spans); n > 0 {
		last := &spans[n-1]
		if !last.Range.Last.IsMax() && last.Range.Last.Next() == s.Range.First &&
			last.Range.Last.Is4() == s.Range.First.Is4() && sameSpan(*last, s) {
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
