package route

import (
	"encoding/binary"
	"net/netip"
	"slices"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/trawlscan/trawl/internal/lab"
	"github.com/trawlscan/trawl/pkg/target"
)

// routeMsg builds an RTM_NEWROUTE message of a route dump, of dst's
// family.
func routeMsg(table, typ uint8, dst netip.Prefix, index uint32, gw netip.Addr) []byte {
	rt := make([]byte, unix.SizeofRtMsg)
	rt[0], rt[1], rt[4], rt[7] = familyOf(dst.Addr()), byte(dst.Bits()), table, typ
	b := append(rt, rtattr(unix.RTA_DST, dst.Addr().AsSlice())...)
	b = append(b, rtattr(unix.RTA_OIF, binary.NativeEndian.AppendUint32(nil, index))...)
	if gw.IsValid() {
		b = append(b, rtattr(unix.RTA_GATEWAY, gw.AsSlice())...)
	}
	return nlmsg(unix.RTM_NEWROUTE, b)
}

func TestParseEntry(t *testing.T) {
	for _, c := range []struct {
		dst, gw string
		lo, hi  string
	}{
		{"198.18.2.128/25", "198.19.0.2", "198.18.2.128", "198.18.2.255"},
		{"0.0.0.0/0", "198.19.0.2", "0.0.0.0", "255.255.255.255"},
		{"2001:db8:1::/48", "fe80::2", "2001:db8:1::", "2001:db8:1:ffff:ffff:ffff:ffff:ffff"},
		{"::/0", "fe80::2", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
	} {
		gw := netip.MustParseAddr(c.gw)
		e, ok, err := parseEntry(parsed(t, routeMsg(unix.RT_TABLE_MAIN, unix.RTN_UNICAST, netip.MustParsePrefix(c.dst), 3, gw)))
		if err != nil || !ok {
			t.Fatalf("parseEntry(%s) = %v, %v", c.dst, ok, err)
		}
		if lo, hi := e.span(); lo.String() != c.lo || hi.String() != c.hi {
			t.Errorf("%s: span = %v-%v, want %s-%s", c.dst, lo, hi, c.lo, c.hi)
		}
		if !e.via(3, gw) || e.via(4, gw) || e.via(3, netip.Addr{}) {
			t.Errorf("via is wrong for %v", e)
		}
	}
	bh, _, _ := parseEntry(parsed(t, routeMsg(unix.RT_TABLE_MAIN, unix.RTN_BLACKHOLE, netip.MustParsePrefix("198.18.0.0/16"), 0, netip.Addr{})))
	if bh.via(0, netip.Addr{}) {
		t.Errorf("a blackhole route counts as via: %v", bh)
	}
}

// TestPrefixSpan checks the first and last address of prefixes of both
// families and every length against netip's own Masked.
func TestPrefixSpan(t *testing.T) {
	for _, a := range []string{"198.18.2.129", "255.255.255.255", "0.0.0.0", "2001:db8:0:7fff::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::"} {
		ip := netip.MustParseAddr(a)
		for bits := 0; bits <= ip.BitLen(); bits++ {
			p := netip.PrefixFrom(ip, bits)
			lo, hi := prefixSpan(p)
			if first := inFamily(lo, ip); first != p.Masked().Addr() {
				t.Errorf("%v: first %v, want %v", p, first, p.Masked().Addr())
			}
			// hi is in p, and the address after it is not, unless hi is
			// the last of its family.
			last := inFamily(hi, ip)
			if !p.Contains(last) || (last.Next().IsValid() && p.Contains(last.Next())) {
				t.Errorf("%v: last %v", p, hi)
			}
		}
	}
}

// inFamily returns a as a netip.Addr of like's family: IPv4, or IPv6 even
// where a lies in ::ffff:0:0/96.
func inFamily(a target.Addr, like netip.Addr) netip.Addr {
	if like.Is4() {
		return a.Netip()
	}
	return netip.AddrFrom16(a.As16())
}

func TestParseRule(t *testing.T) {
	rule := func(family uint8, prio uint32, table uint8, extra ...[]byte) syscall.NetlinkMessage {
		h := make([]byte, fibRuleHdrLen)
		h[0], h[4], h[7] = family, table, unix.FR_ACT_TO_TBL
		if prio != 0 {
			h = append(h, rtattr(unix.FRA_PRIORITY, binary.NativeEndian.AppendUint32(nil, prio))...)
		}
		h = append(h, rtattr(unix.FRA_TABLE, binary.NativeEndian.AppendUint32(nil, uint32(table)))...)
		h = append(h, rtattr(unix.FRA_SUPPRESS_PREFIXLEN, []byte{0xff, 0xff, 0xff, 0xff})...)
		h = append(h, rtattr(unix.FRA_PROTOCOL, []byte{2})...)
		for _, a := range extra {
			h = append(h, a...)
		}
		return parsed(t, nlmsg(unix.RTM_NEWRULE, h))
	}
	for _, c := range []struct {
		name     string
		m        syscall.NetlinkMessage
		default_ bool
	}{
		{"local", rule(unix.AF_INET, 0, unix.RT_TABLE_LOCAL), true},
		{"main", rule(unix.AF_INET, 32766, unix.RT_TABLE_MAIN), true},
		{"default", rule(unix.AF_INET, 32767, unix.RT_TABLE_DEFAULT), true},
		{"other table", rule(unix.AF_INET, 100, 100), false},
		{"main with fwmark", rule(unix.AF_INET, 32766, unix.RT_TABLE_MAIN, rtattr(unix.FRA_FWMARK, []byte{1, 0, 0, 0})), false},
		{"main suppressing /0", rule(unix.AF_INET, 32766, unix.RT_TABLE_MAIN, rtattr(unix.FRA_SUPPRESS_PREFIXLEN, []byte{0, 0, 0, 0})), false},
		{"IPv6 local", rule(unix.AF_INET6, 0, unix.RT_TABLE_LOCAL), true},
		{"IPv6 main", rule(unix.AF_INET6, 32766, unix.RT_TABLE_MAIN), true},
		{"IPv6 other table", rule(unix.AF_INET6, 100, 100), false},
		{"IPv6 main from a prefix", rule(unix.AF_INET6, 32766, unix.RT_TABLE_MAIN, rtattr(unix.FRA_SRC, make([]byte, 16))), false},
	} {
		extra, err := parseRule(c.m)
		if err != nil || (extra == nil) != c.default_ {
			t.Errorf("%s: parseRule = %v, %v", c.name, extra, err)
		}
	}
}

// FuzzParseEntry feeds arbitrary netlink messages to the parsers of route,
// rule, address and address label dumps, which must not panic; a route's
// prefix fits its family, a rule or a label has at most two cuts, and an
// address at most 2×129.
func FuzzParseEntry(f *testing.F) {
	f.Add(routeMsg(unix.RT_TABLE_MAIN, unix.RTN_UNICAST, netip.MustParsePrefix("198.18.2.128/25"), 3, netip.MustParseAddr("198.19.0.2")))
	f.Add(fakeRoute{table: unix.RT_TABLE_MAIN, typ: unix.RTN_UNICAST, dst: "198.18.3.0/24", prefsrc: "198.19.0.1", hops: []uint32{2, 3}}.msg())
	f.Add(routeMsg(unix.RT_TABLE_MAIN, unix.RTN_UNICAST, netip.MustParsePrefix("2001:db8:1::/48"), 3, netip.MustParseAddr("fe80::2")))
	f.Add(fakeRoute{table: unix.RT_TABLE_MAIN, typ: unix.RTN_UNICAST, dst: "2001:db8:3::/48", prefsrc: "2001:db8::1", hops: []uint32{2, 3}}.msg())
	f.Add(route6Answer)
	f.Add(ruleMsg(unix.AF_INET6, "2001:db8::/33"))
	f.Add(addr6Msg)
	f.Add(slices.Concat(label6Msgs...))
	f.Fuzz(func(t *testing.T, b []byte) {
		msgs, err := syscall.ParseNetlinkMessage(b)
		if err != nil {
			return
		}
		for _, m := range msgs {
			if e, ok, err := parseEntry(m); ok && (err != nil || !e.dst.IsValid() || e.bits > e.dst.BitLen()) {
				t.Fatalf("parseEntry returned %+v, %v", e, err)
			}
			_, _ = parseRule(m)
			if cuts, _, err := ruleCuts(m, nil); err == nil && len(cuts) > 2 {
				t.Fatalf("ruleCuts returned %d cuts for one rule", len(cuts))
			}
			if cuts, err := addrCuts(m, nil); err == nil && len(cuts) > 2*129 {
				t.Fatalf("addrCuts returned %d cuts for one address", len(cuts))
			}
			if cuts, err := labelCuts(m, nil); err == nil && len(cuts) > 2 {
				t.Fatalf("labelCuts returned %d cuts for one label", len(cuts))
			}
		}
	})
}

// TestAllViaInLab asks AllVia about targets of both families at once, and
// each family with the other's gateway; then changes the lab's scan
// namespace step by step and asks about 198.18.2.0/24 through the lab's
// gateway each time, then about 2001:db8::/120 through its IPv6 gateway.
func TestAllViaInLab(t *testing.T) {
	l := lab.Start(t, lab.Config{})
	ip := labIP(t, l)
	dev := l.ScanInterface()
	type step struct {
		name  string
		setup []string // an ip command, run before the check
		want  string   // in the error; "" for nil
	}
	check := func(targets string, gw netip.Addr, steps []step) {
		t.Helper()
		ranges, err := target.ParseTargets(strings.Fields(targets))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range steps {
			if c.setup != nil {
				ip(c.setup...)
			}
			var got error
			l.InScan(t, func() error {
				rt, err := Get(ranges[0].First.Netip())
				if err != nil {
					return err
				}
				got = AllVia(ranges, rt.Index, gw)
				return nil
			})
			switch {
			case c.want == "" && got != nil:
				t.Errorf("%s: AllVia = %v, want nil", c.name, got)
			case c.want != "" && (got == nil || !strings.Contains(got.Error(), c.want)):
				t.Errorf("%s: AllVia = %v, want an error naming %q", c.name, got, c.want)
			}
		}
	}
	check("198.18.2.0/24 2001:db8::/120", lab.TargetAddr, []step{{"both families", nil, "target range 198.18.2.0/24 is IPv4, 2001:db8::/120 is IPv6"}})
	check("2001:db8::/120", lab.TargetAddr, []step{{"IPv6 targets, IPv4 gateway", nil, "::/0 via 2001:db8:ffff::2"}})
	check("198.18.2.0/24", lab.TargetAddr6, []step{{"IPv4 targets, IPv6 gateway", nil, "0.0.0.0/0 via 198.19.0.2"}})
	check("198.18.2.0/24", lab.TargetAddr, []step{
		{"default route only", nil, ""},
		{"same gateway inside", []string{"route", "add", "198.18.2.0/25", "via", "198.19.0.2", "dev", dev}, ""},
		{"on-link inside", []string{"route", "add", "198.18.2.128/26", "dev", dev}, "198.18.2.128/26"},
		{"on-link gone", []string{"route", "del", "198.18.2.128/26"}, ""},
		{"covering on-link route", []string{"route", "add", "198.18.0.0/16", "dev", dev}, "198.18.0.0/16"},
		{"covered again by the gateway", []string{"route", "add", "198.18.2.0/24", "via", "198.19.0.2", "dev", dev}, ""},
		{"blackhole inside", []string{"route", "add", "blackhole", "198.18.2.7/32"}, "198.18.2.7/32"},
		{"blackhole gone", []string{"route", "del", "blackhole", "198.18.2.7/32"}, ""},
		{"local address inside", []string{"address", "add", "198.18.2.9/32", "dev", dev}, "local address"},
		{"local address gone", []string{"address", "del", "198.18.2.9/32", "dev", dev}, ""},
		{"policy rule", []string{"rule", "add", "fwmark", "7", "lookup", "100"}, "policy routing rule"},
	})
	// The IPv4 policy rule stays, and does not concern IPv6.
	check("2001:db8::/120", lab.TargetAddr6, []step{
		{"IPv6 default route only", nil, ""},
		{"IPv6 same gateway inside", []string{"-6", "route", "add", "2001:db8::/121", "via", lab.TargetAddr6.String(), "dev", dev}, ""},
		{"IPv6 on-link inside", []string{"-6", "route", "add", "2001:db8::80/122", "dev", dev}, "2001:db8::80/122"},
		{"IPv6 on-link gone", []string{"-6", "route", "del", "2001:db8::80/122"}, ""},
		{"IPv6 blackhole inside", []string{"-6", "route", "add", "blackhole", "2001:db8::7/128"}, "2001:db8::7/128"},
		{"IPv6 blackhole gone", []string{"-6", "route", "del", "blackhole", "2001:db8::7/128"}, ""},
		{"IPv6 local address inside", []string{"-6", "address", "add", "2001:db8::9/128", "dev", dev, "nodad", "noprefixroute"}, "local address"},
		{"IPv6 local address gone", []string{"-6", "address", "del", "2001:db8::9/128", "dev", dev}, ""},
		{"an IPv6 gateway on another link", []string{"-6", "route", "add", "2001:db8::/120", "via", "fe80::9", "dev", dev}, "via fe80::9"},
		{"IPv6 gateway again", []string{"-6", "route", "del", "2001:db8::/120", "via", "fe80::9", "dev", dev}, ""},
		{"IPv6 policy rule", []string{"-6", "rule", "add", "fwmark", "7", "lookup", "100"}, "policy routing rule"},
	})
}
