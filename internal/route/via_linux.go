package route

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"sort"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/trawlscan/trawl/pkg/target"
)

// AllVia returns nil if the kernel would send every address in ranges
// (sorted and disjoint, as target.Space gives them) through interface
// index to gateway gw (the zero Addr for on-link routes), and otherwise
// an error naming a range or a route that says otherwise. The ranges must
// all be of one family, or AllVia refuses them: a scan of both families
// asks once per family, with that family's ranges and gateway. gw is
// usually of the ranges' family, but an IPv4 route may have an IPv6
// gateway (RFC 8950). No ranges is nil.
//
// It reads the policy rules and the route tables of that family once and
// decides as the kernel does, by longest prefix, but conservatively:
//   - any policy rule besides the default ones (local, main, and for IPv4
//     default) is refused, since rules can route by source, mark or port;
//   - a local-table route (the host's own and broadcast addresses, and
//     IPv6 multicast) inside a range is refused;
//   - in the main table, the most specific route containing each range
//     must be a unicast route via gw on index, with no rival of the same
//     prefix that is not, and so must every route that lies partly or
//     wholly inside a range (an on-link subnet, a tunnel, a blackhole);
//   - so must any default-table route that touches a range.
func AllVia(ranges []target.Range, index int, gw netip.Addr) error {
	if len(ranges) == 0 {
		return nil
	}
	gw = gw.Unmap().WithZone("")
	family := rangeFamily(ranges[0])
	for _, r := range ranges {
		switch f := rangeFamily(r); {
		case f == 0:
			return fmt.Errorf("target range %v holds both IPv4 and IPv6 addresses", r)
		case f != family:
			return fmt.Errorf("target range %v is %s, %v is %s: the families have routes of their own", ranges[0], familyName(family), r, familyName(f))
		}
	}
	if err := defaultRules(family); err != nil {
		return err
	}
	type cover struct {
		bits int // prefix length of the best containing route; -1: none yet
		e    entry
		ok   bool
	}
	covers := make([]cover, len(ranges))
	for i := range covers {
		covers[i].bits = -1
	}
	var refused error
	err := exchange(dumpRequest(unix.RTM_GETROUTE, unix.SizeofRtMsg, family), func(m syscall.NetlinkMessage) error {
		e, ok, err := parseEntry(m)
		if err != nil || !ok || refused != nil {
			return err
		}
		lo, hi := e.span()
		via := e.via(index, gw)
		for i := sort.Search(len(ranges), func(i int) bool { return !ranges[i].Last.Less(lo) }); i < len(ranges) && !hi.Less(ranges[i].First); i++ {
			r := ranges[i]
			switch {
			case e.table == unix.RT_TABLE_LOCAL:
				refused = fmt.Errorf("route %v: a local address in target range %v", e, r)
			case e.table == unix.RT_TABLE_MAIN && !r.First.Less(lo) && !hi.Less(r.Last):
				c := &covers[i]
				if e.bits > c.bits {
					*c = cover{bits: e.bits, e: e, ok: via}
				} else if e.bits == c.bits && !via {
					c.e, c.ok = e, false
				}
			case (e.table == unix.RT_TABLE_MAIN || e.table == unix.RT_TABLE_DEFAULT) && !via:
				refused = fmt.Errorf("route %v: inside target range %v, not via %v", e, r, gw)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read routes: %w", err)
	}
	if refused != nil {
		return refused
	}
	for i, c := range covers {
		switch {
		case c.bits < 0:
			return fmt.Errorf("no route in the main table covers target range %v", ranges[i])
		case !c.ok:
			return fmt.Errorf("route %v: target range %v goes there, not via %v", c.e, ranges[i], gw)
		}
	}
	return nil
}

// rangeFamily returns the address family of r: unix.AF_INET if it lies in
// ::ffff:0:0/96, where target.Addr maps IPv4, unix.AF_INET6 if it lies
// wholly outside, and 0, no family, if it straddles an end of that block.
func rangeFamily(r target.Range) uint8 {
	switch {
	case r.Is4():
		return unix.AF_INET
	case r.First.Is4() || r.Last.Is4() || r.Contains(target.V4(0)):
		return 0
	}
	return unix.AF_INET6
}

// familyName names the address family unix.AF_INET or unix.AF_INET6.
func familyName(family uint8) string {
	if family == unix.AF_INET {
		return "IPv4"
	}
	return "IPv6"
}

// entry is one IPv4 or IPv6 route of a route dump.
type entry struct {
	dst     netip.Addr
	bits    int
	table   uint32
	typ     uint8
	index   int
	gateway netip.Addr
	plain   bool // no TOS, no source prefix, no multipath
	prefsrc netip.Addr
	hops    []int // the interface of each next hop of a multipath route
}

// parseEntry reads one message of a route dump; ok is false for anything
// but an IPv4 or IPv6 route.
func parseEntry(m syscall.NetlinkMessage) (e entry, ok bool, err error) {
	switch m.Header.Type {
	case unix.NLMSG_ERROR:
		return e, false, netlinkError(m)
	case unix.RTM_NEWROUTE:
	default:
		return e, false, nil
	}
	if len(m.Data) < unix.SizeofRtMsg {
		return e, false, fmt.Errorf("short route message (%d bytes)", len(m.Data))
	}
	rt := (*unix.RtMsg)(unsafe.Pointer(&m.Data[0]))
	var dst netip.Addr
	switch rt.Family {
	case unix.AF_INET:
		dst = netip.IPv4Unspecified()
	case unix.AF_INET6:
		dst = netip.IPv6Unspecified()
	}
	if !dst.IsValid() || int(rt.Dst_len) > dst.BitLen() {
		return e, false, nil
	}
	e = entry{dst: dst, bits: int(rt.Dst_len), table: uint32(rt.Table), typ: rt.Type, plain: rt.Tos == 0 && rt.Src_len == 0}
	err = eachAttr(m.Data[unix.SizeofRtMsg:], func(typ uint16, v []byte) {
		switch typ {
		case unix.RTA_DST:
			if ip, ok := addrFrom(rt.Family, v); ok {
				e.dst = ip
			}
		case unix.RTA_OIF:
			if len(v) >= 4 {
				e.index = int(binary.NativeEndian.Uint32(v))
			}
		case unix.RTA_GATEWAY:
			if ip, ok := addrFrom(rt.Family, v); ok {
				e.gateway = ip
			}
		case unix.RTA_VIA:
			if ip, ok := viaAddr(v); ok {
				e.gateway = ip
			}
		case unix.RTA_TABLE:
			if len(v) >= 4 {
				e.table = binary.NativeEndian.Uint32(v)
			}
		case unix.RTA_PREFSRC:
			if ip, ok := addrFrom(rt.Family, v); ok {
				e.prefsrc = ip
			}
		case unix.RTA_MULTIPATH:
			e.plain = false
			e.hops = nextHops(v)
		}
	})
	if err != nil {
		return e, false, fmt.Errorf("route message: %w", err)
	}
	return e, true, nil
}

// nextHops returns the interface of each next hop in an RTA_MULTIPATH
// attribute: struct rtnexthop (length, flags, hops, interface index)
// followed by that hop's attributes, each padded to 4 bytes. It stops at
// a malformed one.
func nextHops(v []byte) []int {
	const rtnexthopLen = 8
	var hops []int
	for len(v) >= rtnexthopLen {
		n := int(binary.NativeEndian.Uint16(v[0:2]))
		if n < rtnexthopLen || n > len(v) {
			break
		}
		hops = append(hops, int(int32(binary.NativeEndian.Uint32(v[4:8]))))
		v = v[min(len(v), (n+unix.RTA_ALIGNTO-1)&^(unix.RTA_ALIGNTO-1)):]
	}
	return hops
}

// span returns the first and last address of e's prefix.
func (e entry) span() (lo, hi target.Addr) {
	return prefixSpan(netip.PrefixFrom(e.dst, e.bits))
}

// prefixSpan returns the first and last address of p, which must be
// valid: an IPv4 prefix lies in ::ffff:0:0/96, as target.Addr maps IPv4.
func prefixSpan(p netip.Prefix) (lo, hi target.Addr) {
	lo = target.FromNetip(p.Masked().Addr())
	// host is the number of host bits, 0 to 128. A Go shift by 64 gives
	// 0, which keeps the masks right at host 0 and 128.
	host := p.Addr().BitLen() - p.Bits()
	hi = lo
	if host > 64 {
		hi.Hi |= ^uint64(0) >> (128 - host)
		hi.Lo = ^uint64(0)
	} else {
		hi.Lo |= ^uint64(0) >> (64 - host)
	}
	return lo, hi
}

// via reports whether e sends plainly through interface index to gw.
func (e entry) via(index int, gw netip.Addr) bool {
	return e.typ == unix.RTN_UNICAST && e.plain && e.index == index && e.gateway == gw
}

func (e entry) String() string {
	s := netip.PrefixFrom(e.dst, e.bits).Masked().String()
	if e.typ != unix.RTN_UNICAST {
		s = fmt.Sprintf("type %d %s", e.typ, s)
	}
	if e.gateway.IsValid() {
		s += " via " + e.gateway.String()
	}
	if e.index != 0 {
		s += fmt.Sprintf(" dev #%d", e.index)
	}
	if e.table != unix.RT_TABLE_MAIN {
		s += fmt.Sprintf(" table %d", e.table)
	}
	return s
}

// defaultRules returns nil if the policy rules of family (unix.AF_INET or
// unix.AF_INET6) are the kernel's defaults: lookup local (priority 0),
// main (32766) and default (32767), which IPv6 lacks.
func defaultRules(family uint8) error {
	var extra error
	err := exchange(dumpRequest(unix.RTM_GETRULE, fibRuleHdrLen, family), func(m syscall.NetlinkMessage) error {
		if extra != nil {
			return nil
		}
		var err error
		extra, err = parseRule(m)
		return err
	})
	if err != nil {
		return fmt.Errorf("read policy rules: %w", err)
	}
	return extra
}

// fibRuleHdrLen is the size of struct fib_rule_hdr: family, dst_len,
// src_len, tos, table, two reserved bytes, action, and 32-bit flags.
const fibRuleHdrLen = 12

// parseRule reads one message of an IPv4 or IPv6 rule dump. It returns a
// non-nil extra that describes the rule if it is not one of the defaults
// (defaultRules).
func parseRule(m syscall.NetlinkMessage) (extra, err error) {
	if m.Header.Type == unix.NLMSG_ERROR {
		return nil, netlinkError(m)
	}
	if m.Header.Type != unix.RTM_NEWRULE || len(m.Data) < fibRuleHdrLen || m.Data[0] != unix.AF_INET && m.Data[0] != unix.AF_INET6 {
		return nil, nil
	}
	h := m.Data[:fibRuleHdrLen]
	table, prio := uint32(h[4]), uint32(0)
	plain := h[1] == 0 && h[2] == 0 && h[3] == 0 && h[7] == unix.FR_ACT_TO_TBL
	if err := eachAttr(m.Data[fibRuleHdrLen:], func(typ uint16, v []byte) {
		switch {
		case typ == unix.FRA_TABLE && len(v) >= 4:
			table = binary.NativeEndian.Uint32(v)
		case typ == unix.FRA_PRIORITY && len(v) >= 4:
			prio = binary.NativeEndian.Uint32(v)
		case (typ == unix.FRA_SUPPRESS_PREFIXLEN || typ == unix.FRA_SUPPRESS_IFGROUP) && len(v) >= 4:
			plain = plain && binary.NativeEndian.Uint32(v) == ^uint32(0) // -1: unset
		case typ != unix.FRA_PROTOCOL:
			plain = false // a selector: from, to, iif, fwmark, ...
		}
	}); err != nil {
		return nil, fmt.Errorf("rule message: %w", err)
	}
	switch {
	case plain && prio == 0 && table == unix.RT_TABLE_LOCAL:
	case plain && prio == 32766 && table == unix.RT_TABLE_MAIN:
	case plain && prio == 32767 && table == unix.RT_TABLE_DEFAULT:
	default:
		return fmt.Errorf("policy routing rule %d (table %d) besides the defaults", prio, table), nil
	}
	return nil, nil
}
