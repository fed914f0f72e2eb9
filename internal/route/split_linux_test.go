package route

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/trawlscan/trawl/internal/lab"
	"github.com/trawlscan/trawl/pkg/target"
)

// fakeRoute is one route of a fake kernel's tables, of its dst's family.
type fakeRoute struct {
	table, typ uint8
	dst        string // a prefix
	index      uint32
	gw         string // "" for on-link
	prefsrc    string
	hops       []uint32 // multipath next hops' interfaces
}

// msg encodes r as the kernel's route dump does.
func (r fakeRoute) msg() []byte {
	dst := netip.MustParsePrefix(r.dst)
	rt := make([]byte, unix.SizeofRtMsg)
	rt[0], rt[1], rt[4], rt[7] = familyOf(dst.Addr()), byte(dst.Bits()), r.table, r.typ
	b := append(rt, rtattr(unix.RTA_DST, dst.Addr().AsSlice())...)
	if r.index != 0 {
		b = append(b, rtattr(unix.RTA_OIF, binary.NativeEndian.AppendUint32(nil, r.index))...)
	}
	if r.gw != "" {
		b = append(b, rtattr(unix.RTA_GATEWAY, netip.MustParseAddr(r.gw).AsSlice())...)
	}
	if r.prefsrc != "" {
		b = append(b, rtattr(unix.RTA_PREFSRC, netip.MustParseAddr(r.prefsrc).AsSlice())...)
	}
	if len(r.hops) > 0 {
		var mp []byte
		for _, h := range r.hops {
			nh := make([]byte, 8)
			binary.NativeEndian.PutUint16(nh[0:], 8)
			binary.NativeEndian.PutUint32(nh[4:], h)
			mp = append(mp, nh...)
		}
		b = append(b, rtattr(unix.RTA_MULTIPATH, mp)...)
	}
	return nlmsg(unix.RTM_NEWROUTE, b)
}

// fakeKernel answers route lookups from routes, parsed from their dump
// messages, as Linux does with the default policy rules: the local table
// first, then main, each by longest prefix among the routes of the
// destination's family. Its interfaces are named by index in names, and
// have the IPv4 addresses in addrs and the IPv6 ones in addrs6; it does
// not choose among several IPv6 sources, as TestSplitInLab's kernel does.
type fakeKernel struct {
	t       *testing.T
	entries []entry
	names   map[int]string
	addrs   map[int]string
	addrs6  map[int]string
	gets    int
}

func newFakeKernel(t *testing.T, routes []fakeRoute) *fakeKernel {
	k := &fakeKernel{t: t,
		names:  map[int]string{1: "lo", 2: "eth0", 3: "eth1", 4: "tun0"},
		addrs:  map[int]string{1: "127.0.0.1", 2: "198.19.0.1", 3: "198.19.2.1"},
		addrs6: map[int]string{1: "::1", 2: "2001:db8:0:1::1", 3: "2001:db8:2::1"}}
	for _, r := range routes {
		e, ok, err := parseEntry(parsed(t, r.msg()))
		if err != nil || !ok {
			t.Fatalf("parseEntry(%+v) = %v, %v", r, ok, err)
		}
		k.entries = append(k.entries, e)
	}
	return k
}

func (k *fakeKernel) cuts() []target.Addr {
	var cuts []target.Addr
	for _, e := range k.entries {
		cuts = appendCuts(cuts, netip.PrefixFrom(e.dst, e.bits))
	}
	return cuts
}

func (k *fakeKernel) match(dst netip.Addr) (entry, error) {
	a := target.FromNetip(dst)
	for _, table := range []uint32{unix.RT_TABLE_LOCAL, unix.RT_TABLE_MAIN} {
		best := -1
		for i, e := range k.entries {
			lo, hi := e.span()
			if e.table == table && e.dst.Is4() == dst.Is4() && !a.Less(lo) && !hi.Less(a) && (best < 0 || e.bits > k.entries[best].bits) {
				best = i
			}
		}
		if best >= 0 {
			return k.entries[best], nil
		}
	}
	return entry{}, ErrNoRoute
}

func (k *fakeKernel) get(dst netip.Addr) (Route, error) {
	k.gets++
	e, err := k.match(dst)
	if err != nil {
		return Route{}, fmt.Errorf("route to %v: %w", dst, err)
	}
	if e.typ != unix.RTN_UNICAST && e.typ != unix.RTN_LOCAL {
		return Route{}, fmt.Errorf("route to %v: %w", dst, ErrNoRoute)
	}
	index := e.index
	if len(e.hops) > 0 {
		index = e.hops[0]
	}
	r := Route{Interface: k.names[index], Index: index, Gateway: e.gateway, Source: e.prefsrc}
	addrs := k.addrs
	if dst.Is6() {
		addrs = k.addrs6
	}
	if !r.Source.IsValid() && addrs[index] != "" {
		r.Source = netip.MustParseAddr(addrs[index])
	}
	if !r.Source.IsValid() {
		return r, fmt.Errorf("route to %v: %w", dst, ErrNoSource)
	}
	return r, nil
}

// TestSplit cuts target ranges by fake route tables and checks each span:
// its block, and its interface and source or why it has none.
func TestSplit(t *testing.T) {
	const (
		local   = unix.RT_TABLE_LOCAL
		main    = unix.RT_TABLE_MAIN
		unicast = unix.RTN_UNICAST
	)
	def := fakeRoute{table: main, typ: unicast, dst: "0.0.0.0/0", index: 2, gw: "198.19.0.2"}
	link0 := fakeRoute{table: main, typ: unicast, dst: "198.19.0.0/24", index: 2, prefsrc: "198.19.0.1"}
	link2 := fakeRoute{table: main, typ: unicast, dst: "198.19.2.0/24", index: 3, prefsrc: "198.19.2.1"}
	second := fakeRoute{table: main, typ: unicast, dst: "198.18.1.0/24", index: 3, gw: "198.19.2.2"}
	lo := fakeRoute{table: local, typ: unix.RTN_LOCAL, dst: "127.0.0.0/8", index: 1, prefsrc: "127.0.0.1"}
	own := fakeRoute{table: local, typ: unix.RTN_LOCAL, dst: "198.19.0.1/32", index: 1, prefsrc: "198.19.0.1"}
	bcast := fakeRoute{table: local, typ: unix.RTN_BROADCAST, dst: "198.19.0.255/32", index: 2, prefsrc: "198.19.0.1"}
	base := []fakeRoute{def, link0, link2, lo, own, bcast}
	def6 := fakeRoute{table: main, typ: unicast, dst: "::/0", index: 2, gw: "fe80::2"}
	link6 := fakeRoute{table: main, typ: unicast, dst: "2001:db8:0:1::/64", index: 2}
	second6 := fakeRoute{table: main, typ: unicast, dst: "2001:db8:1::/48", index: 3, gw: "fe80::3"}
	lo6 := fakeRoute{table: local, typ: unix.RTN_LOCAL, dst: "::1/128", index: 1}
	own6 := fakeRoute{table: local, typ: unix.RTN_LOCAL, dst: "2001:db8:0:1::1/128", index: 1, prefsrc: "2001:db8:0:1::1"}
	base6 := []fakeRoute{def6, link6, lo6, own6}
	both := slices.Concat(base, base6, []fakeRoute{second, second6})

	for _, c := range []struct {
		name    string
		routes  []fakeRoute
		targets string
		want    []string // "BLOCK IFACE SOURCE" or "BLOCK error TEXT"
	}{
		{"one route", base, "198.18.0.0/24", []string{"198.18.0.0/24 eth0 198.19.0.1"}},
		{"two links", append(base, second), "198.18.0.0/23",
			[]string{"198.18.0.0/24 eth0 198.19.0.1", "198.18.1.0/24 eth1 198.19.2.1"}},
		{"two links, only the second", append(base, second), "198.18.1.7-198.18.1.9", []string{"198.18.1.7-198.18.1.9 eth1 198.19.2.1"}},
		{"a more specific route inside a covering one", append(base,
			fakeRoute{table: main, typ: unicast, dst: "198.18.0.0/16", index: 3, gw: "198.19.2.2"},
			fakeRoute{table: main, typ: unicast, dst: "198.18.0.128/25", index: 2, gw: "198.19.0.2"}),
			"198.18.0.0/23", []string{"198.18.0.0/25 eth1 198.19.2.1", "198.18.0.128/25 eth0 198.19.0.1", "198.18.1.0/24 eth1 198.19.2.1"}},
		{"a route that changes nothing is merged", append(base,
			fakeRoute{table: main, typ: unicast, dst: "198.18.0.64/26", index: 2, gw: "198.19.0.2"}),
			"198.18.0.0/24", []string{"198.18.0.0/24 eth0 198.19.0.1"}},
		{"a route through another gateway on the same link", append(base,
			fakeRoute{table: main, typ: unicast, dst: "198.18.0.64/26", index: 2, gw: "198.19.0.3"}),
			"198.18.0.0/24", []string{"198.18.0.0/26 eth0 198.19.0.1", "198.18.0.64/26 eth0 198.19.0.1", "198.18.0.128/25 eth0 198.19.0.1"}},
		{"the host's own address and broadcast inside", base, "198.19.0.0/24",
			[]string{"198.19.0.0 eth0 198.19.0.1", "198.19.0.1 lo 198.19.0.1", "198.19.0.2-198.19.0.254 eth0 198.19.0.1", "198.19.0.255 error no route"}},
		{"loopback and the lab", base, "127.0.0.1 198.18.0.0/31", []string{"127.0.0.1 lo 127.0.0.1", "198.18.0.0/31 eth0 198.19.0.1"}},
		{"unreachable inside", append(base, fakeRoute{table: main, typ: unix.RTN_UNREACHABLE, dst: "198.18.0.64/26"}),
			"198.18.0.0/24", []string{"198.18.0.0/26 eth0 198.19.0.1", "198.18.0.64/26 error no route", "198.18.0.128/25 eth0 198.19.0.1"}},
		{"no route at all", []fakeRoute{link0, lo}, "198.18.0.0/24 198.18.2.0/24", []string{"198.18.0.0/24 error no route", "198.18.2.0/24 error no route"}},
		{"an interface with no address", append(base, fakeRoute{table: main, typ: unicast, dst: "198.18.2.0/24", index: 4}),
			"198.18.2.0/24", []string{"198.18.2.0/24 tun0 error route has no source address"}},
		{"multipath over two interfaces", append(base, fakeRoute{table: main, typ: unicast, dst: "198.18.3.0/24", hops: []uint32{2, 3}}),
			"198.18.3.0/25", []string{"198.18.3.0/25 eth0 error next hops on 2 interfaces"}},
		{"multipath on one interface", append(base, fakeRoute{table: main, typ: unicast, dst: "198.18.3.0/24", hops: []uint32{3, 3}}),
			"198.18.3.0/25", []string{"198.18.3.0/25 eth1 198.19.2.1"}},
		{"gaps between target ranges are kept", append(base, second), "198.18.0.10-198.18.0.20 198.18.0.22 198.18.1.0",
			[]string{"198.18.0.10-198.18.0.20 eth0 198.19.0.1", "198.18.0.22 eth0 198.19.0.1", "198.18.1.0 eth1 198.19.2.1"}},
		{"the ends of the address space", base, "0.0.0.0/1 255.255.255.255",
			[]string{"0.0.0.0-126.255.255.255 eth0 198.19.0.1", "127.0.0.0/8 lo 127.0.0.1", "255.255.255.255 eth0 198.19.0.1"}},
		{"IPv6 links", both, "2001:db8:0:1::100/120 2001:db8:1::/120 2001:db8:5::/120",
			[]string{"2001:db8:0:1::100/120 eth0 2001:db8:0:1::1", "2001:db8:1::/120 eth1 2001:db8:2::1", "2001:db8:5::/120 eth0 2001:db8:0:1::1"}},
		{"both families, in address order", both, "2001:db8:1::/120 198.18.1.0/24 ::1 198.18.0.0/24 2001:db8:0:1::100/127",
			[]string{"::1 lo ::1", "198.18.0.0/24 eth0 198.19.0.1", "198.18.1.0/24 eth1 198.19.2.1", "2001:db8:0:1::100/127 eth0 2001:db8:0:1::1", "2001:db8:1::/120 eth1 2001:db8:2::1"}},
		{"the host's own IPv6 address inside", both, "2001:db8:0:1::/126",
			[]string{"2001:db8:0:1:: eth0 2001:db8:0:1::1", "2001:db8:0:1::1 lo 2001:db8:0:1::1", "2001:db8:0:1::2/127 eth0 2001:db8:0:1::1"}},
		{"IPv6 addresses next to both ends of the IPv4 block stay apart", []fakeRoute{def, def6}, "::fffe:ffff:ffff 0.0.0.0/0 ::1:0:0:0",
			[]string{"::fffe:ffff:ffff eth0 2001:db8:0:1::1", "0.0.0.0/0 eth0 198.19.0.1", "::1:0:0:0 eth0 2001:db8:0:1::1"}},
		{"no route in either family, still apart", nil, "::fffe:ffff:ffff 0.0.0.0/0 ::1:0:0:0",
			[]string{"::fffe:ffff:ffff error no route", "0.0.0.0/0 error no route", "::1:0:0:0 error no route"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ranges, err := target.ParseTargets(strings.Fields(c.targets))
			if err != nil {
				t.Fatal(err)
			}
			ports, _ := target.ParsePorts("80")
			space, err := target.NewSpace(ranges, nil, ports)
			if err != nil {
				t.Fatal(err)
			}
			ranges = space.Ranges()
			k := newFakeKernel(t, c.routes)
			spans, err := split(ranges, k.cuts(), k.get, k.match)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range spans {
				got = append(got, describe(s))
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") && !matches(got, c.want) {
				t.Errorf("spans:\n\t%s\nwant:\n\t%s", strings.Join(got, "\n\t"), strings.Join(c.want, "\n\t"))
			}
			covered := uint64(0)
			for _, s := range spans {
				covered += s.Range.Len()
			}
			if covered != target.Count(ranges) {
				t.Errorf("spans cover %d addresses, the targets %d", covered, target.Count(ranges))
			}
		})
	}
}

// describe renders s as TestSplit's rows do.
func describe(s Span) string {
	block := s.Range.String()
	switch {
	case errors.Is(s.Err, ErrNoRoute):
		return block + " error no route"
	case s.Err != nil:
		return fmt.Sprintf("%s %s error %v", block, s.Route.Interface, s.Err)
	}
	return fmt.Sprintf("%s %s %v", block, s.Route.Interface, s.Route.Source)
}

// matches reports whether each got row starts like its want row, errors
// being compared by the text they contain.
func matches(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		g, w := got[i], want[i]
		if before, text, ok := strings.Cut(w, " error "); ok {
			if !strings.HasPrefix(g, before+" error ") || !strings.Contains(g, text) {
				return false
			}
		} else if g != w {
			return false
		}
	}
	return true
}

// TestSplitAsksOncePerPiece checks that Split asks the kernel once per
// piece between route boundaries, and never for an address outside the
// targets.
func TestSplitAsksOncePerPiece(t *testing.T) {
	for _, c := range []struct {
		name    string
		routes  []fakeRoute
		targets string
		gets    int
	}{
		{"one per half of the /24", []fakeRoute{
			{table: unix.RT_TABLE_MAIN, typ: unix.RTN_UNICAST, dst: "0.0.0.0/0", index: 2, gw: "198.19.0.2"},
			{table: unix.RT_TABLE_MAIN, typ: unix.RTN_UNICAST, dst: "198.18.0.0/25", index: 2, gw: "198.19.0.2"},
			{table: unix.RT_TABLE_MAIN, typ: unix.RTN_UNICAST, dst: "10.0.0.0/8", index: 3, gw: "198.19.2.2"},
		}, "198.18.0.0/24", 2},
		{"one per IPv6 multicast scope", []fakeRoute{
			{table: unix.RT_TABLE_MAIN, typ: unix.RTN_UNICAST, dst: "::/0", index: 2, gw: "fe80::2"},
		}, "ff01:ffff:ffff:ffff:ffff:ffff:ffff:fffe-ff02::1", 2},
	} {
		k := newFakeKernel(t, c.routes)
		ranges, _ := target.ParseTargets([]string{c.targets})
		spans, err := split(ranges, k.cuts(), k.get, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(spans) != 1 || k.gets != c.gets {
			t.Errorf("%s: %d spans after %d lookups; want 1 after %d", c.name, len(spans), k.gets, c.gets)
		}
	}
}

// ruleMsg builds an RTM_NEWRULE message of a rule dump of family, at
// priority 100, to table 100, for destination prefix dst ("" for any),
// with the attributes extra.
func ruleMsg(family uint8, dst string, extra ...[]byte) []byte {
	h := make([]byte, fibRuleHdrLen)
	h[0], h[4], h[7] = family, 100, unix.FR_ACT_TO_TBL
	h = append(h, rtattr(unix.FRA_PRIORITY, binary.NativeEndian.AppendUint32(nil, 100))...)
	if dst != "" {
		p := netip.MustParsePrefix(dst)
		h[1] = byte(p.Bits())
		h = append(h, rtattr(unix.FRA_DST, p.Addr().AsSlice())...)
	}
	for _, a := range extra {
		h = append(h, a...)
	}
	return nlmsg(unix.RTM_NEWRULE, h)
}

// TestRuleCuts reads policy rules: a destination prefix cuts the targets
// at its ends, and a port or protocol selector fails the split.
func TestRuleCuts(t *testing.T) {
	for _, c := range []struct {
		family uint8
		dst    string
		want   string
	}{
		{unix.AF_INET, "198.18.0.128/25", "[198.18.0.128 198.18.1.0]"},
		{unix.AF_INET, "0.0.0.0/0", "[]"},
		{unix.AF_INET, "", "[]"},
		{unix.AF_INET6, "2001:db8::/33", "[2001:db8:: 2001:db8:8000::]"},
		{unix.AF_INET6, "ffff::/16", "[ffff::]"},
		{unix.AF_INET6, "", "[]"},
	} {
		cuts, sel, err := ruleCuts(parsed(t, ruleMsg(c.family, c.dst)), nil)
		if err != nil || sel != nil || fmt.Sprint(cuts) != c.want {
			t.Errorf("to %q: cuts %v, %v, %v; want %s", c.dst, cuts, sel, err, c.want)
		}
	}
	// A destination of the other family's length is not read.
	bad := ruleMsg(unix.AF_INET6, "198.18.0.0/16")
	if cuts, _, err := ruleCuts(parsed(t, bad), nil); err != nil || len(cuts) != 0 {
		t.Errorf("IPv6 rule to an IPv4 prefix: cuts %v, %v", cuts, err)
	}
	_, sel, err := ruleCuts(parsed(t, ruleMsg(unix.AF_INET, "", rtattr(unix.FRA_DPORT_RANGE, []byte{0, 80, 0, 80}))), nil)
	if err != nil || !errors.Is(sel, ErrSpread) || !strings.Contains(sel.Error(), "rule 100") {
		t.Errorf("dport 80: %v, %v; want ErrSpread naming rule 100", sel, err)
	}
	_, sel, err = ruleCuts(parsed(t, ruleMsg(unix.AF_INET6, "", rtattr(unix.FRA_IP_PROTO, []byte{6}))), nil)
	if err != nil || !errors.Is(sel, ErrSpread) {
		t.Errorf("IPv6 ipproto tcp: %v, %v; want ErrSpread", sel, err)
	}
}

// addr6Msg is a message of the kernel's answer (Linux 6.18, little-endian)
// to an IPv6 address dump: 2001:db8:0:1::1/64 on interface 3, permanent,
// added without duplicate address detection.
var addr6Msg = []byte{
	72, 0, 0, 0, // length
	20, 0, // RTM_NEWADDR
	2, 0, // NLM_F_MULTI
	0, 0, 0, 0, // seq
	0x97, 0x5e, 0, 0, // pid
	10, 64, 0x82, 0, // ifaddrmsg: AF_INET6, prefix length 64, flags permanent|nodad, scope global
	3, 0, 0, 0, // interface 3
	20, 0, 1, 0, // IFA_ADDRESS 2001:db8:0:1::1
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1,
	20, 0, 6, 0, // IFA_CACHEINFO: lifetimes forever, timestamps
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x98, 0xfe, 0x13, 0, 0x98, 0xfe, 0x13, 0,
	8, 0, 8, 0, 0x82, 0, 0, 0, // IFA_FLAGS
}

// label6Msgs are two messages of the kernel's answer (Linux 6.18,
// little-endian) to an address label dump: ::/96 with label 3 and
// ::ffff:0:0/96 with label 4, two of RFC 6724's default policy table.
var label6Msgs = [][]byte{{
	56, 0, 0, 0, // length
	72, 0, // RTM_NEWADDRLABEL
	2, 0, // NLM_F_MULTI
	0, 0, 0, 0, // seq
	0x30, 0x5d, 0, 0, // pid
	10, 0, 96, 0, // ifaddrlblmsg: AF_INET6, reserved, prefix length 96, flags
	0, 0, 0, 0, // any interface
	10, 0, 0, 0, // sequence
	20, 0, 1, 0, // IFAL_ADDRESS ::
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	8, 0, 2, 0, 3, 0, 0, 0, // IFAL_LABEL 3
}, {
	56, 0, 0, 0, // length
	72, 0, // RTM_NEWADDRLABEL
	2, 0, // NLM_F_MULTI
	0, 0, 0, 0, // seq
	0x30, 0x5d, 0, 0, // pid
	10, 0, 96, 0, // ifaddrlblmsg: AF_INET6, reserved, prefix length 96, flags
	0, 0, 0, 0, // any interface
	10, 0, 0, 0, // sequence
	20, 0, 1, 0, // IFAL_ADDRESS ::ffff:0:0
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0,
	8, 0, 2, 0, 4, 0, 0, 0, // IFAL_LABEL 4
}}

func TestLabelCuts(t *testing.T) {
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("golden bytes are little-endian")
	}
	var cuts []target.Addr
	for _, b := range label6Msgs {
		var err error
		if cuts, err = labelCuts(parsed(t, b), cuts); err != nil {
			t.Fatal(err)
		}
	}
	// ::ffff:0:0 is 0.0.0.0 as a target.Addr.
	if got, want := fmt.Sprint(cuts), "[:: ::1:0:0 0.0.0.0 ::1:0:0:0]"; got != want {
		t.Errorf("cuts %s, want %s", got, want)
	}
}

// TestAddrCuts reads an IPv6 address of the host and checks the claim
// Split rests on, over the whole address space: between two consecutive
// cuts, RFC 6724's rule 1 (the destination is the address A) and rule 8
// (the length of the prefix a destination shares with A, counted up to
// A's prefix length) do not change. The shared length only grows as a
// destination below A rises towards it, and only shrinks above A, so a
// piece that does not hold A is uniform if its two ends agree.
func TestAddrCuts(t *testing.T) {
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("golden bytes are little-endian")
	}
	cuts, err := addrCuts(parsed(t, addr6Msg), nil)
	if err != nil {
		t.Fatal(err)
	}
	a := netip.MustParseAddr("2001:db8:0:1::1")
	const bits = 64
	if !slices.Contains(cuts, target.FromNetip(netip.MustParseAddr("2001:db8:0:8000::"))) {
		t.Errorf("no cut at 2001:db8:0:8000::, the end of the /49 around %v", a)
	}
	// shared is what rule 8 reads of a destination d.
	shared := func(d target.Addr) int {
		x := netip.AddrFrom16(d.As16())
		n := 0
		for n < bits && netip.PrefixFrom(a, n+1).Masked().Contains(x) {
			n++
		}
		return n
	}
	starts := slices.Concat([]target.Addr{{}}, cuts)
	slices.SortFunc(starts, target.Addr.Compare)
	starts = slices.Compact(starts)
	for i, first := range starts {
		last := target.Addr{Hi: ^uint64(0), Lo: ^uint64(0)}
		if i+1 < len(starts) {
			last = starts[i+1].Prev()
		}
		r := target.Range{First: first, Last: last}
		switch {
		case r.Contains(target.FromNetip(a)) && first != last:
			t.Errorf("piece %v-%v holds %v and more", first, last, a)
		case shared(first) != shared(last):
			t.Errorf("piece %v-%v: its ends share %d and %d bits with %v", first, last, shared(first), shared(last), a)
		}
	}
}

// TestNextHops reads the interfaces of a multipath route's next hops,
// and stops at a malformed one.
func TestNextHops(t *testing.T) {
	e, _, err := parseEntry(parsed(t, fakeRoute{table: unix.RT_TABLE_MAIN, typ: unix.RTN_UNICAST, dst: "198.18.3.0/24", hops: []uint32{2, 3, 2}}.msg()))
	if err != nil || fmt.Sprint(e.hops) != "[2 3 2]" || e.plain {
		t.Errorf("hops %v plain %v, %v", e.hops, e.plain, err)
	}
	if hops := nextHops([]byte{8, 0, 0, 0, 2, 0, 0, 0, 200, 0, 0, 0, 3, 0, 0, 0}); fmt.Sprint(hops) != "[2]" {
		t.Errorf("overlong second hop: %v", hops)
	}
}

// TestSplitInLab asks the kernel of a lab with two links: the targets
// behind each link are a span of their own, with that link's source
// address, the scan namespace's own address goes through lo, a multipath
// route over both links spreads its targets, and IPv6 targets are cut
// where the kernel's choice of source changes. Every span's route is the
// kernel's for its last address too.
func TestSplitInLab(t *testing.T) {
	l := lab.Start(t, lab.Config{Second: netip.MustParsePrefix("198.18.1.0/24")})
	ip := labIP(t, l)
	one, two := l.ScanInterface(), l.SecondInterface()
	for _, c := range []struct {
		name    string
		setup   [][]string // ip commands, run before the check
		targets string
		want    []string // as TestSplit's rows
	}{
		{"two links", nil, "198.18.0.0/23",
			[]string{"198.18.0.0/24 " + one + " 198.19.0.1", "198.18.1.0/24 " + two + " 198.19.2.1"}},
		{"the scan namespace's own addresses", nil, "198.19.0.1 198.19.2.0/30",
			[]string{"198.19.0.1 lo 198.19.0.1", "198.19.2.0 " + two + " 198.19.2.1", "198.19.2.1 lo 198.19.2.1", "198.19.2.2/31 " + two + " 198.19.2.1"}},
		{"multipath over both links", [][]string{{"route", "add", "198.18.3.0/24", "nexthop", "via", "198.19.0.2", "dev", one, "nexthop", "via", "198.19.2.2", "dev", two}},
			"198.18.2.0/23", []string{"198.18.2.0/24 " + one + " 198.19.0.1", "198.18.3.0/24 " + one + " error next hops on 2 interfaces"}},
		{"a blackhole", [][]string{{"route", "add", "blackhole", "198.18.0.128/25"}}, "198.18.0.0/24",
			[]string{"198.18.0.0/25 " + one + " 198.19.0.1", "198.18.0.128/25 error no route"}},
		{"both families, an IPv6 route on each link", [][]string{{"-6", "route", "add", "2001:db8:1::/48", "via", "fe80::2", "dev", two}},
			"::1 198.18.1.0/24 198.18.4.0/24 2001:db8::/120 2001:db8:1::/120",
			[]string{"::1 lo ::1", "198.18.1.0/24 " + two + " 198.19.2.1", "198.18.4.0/24 " + one + " 198.19.0.1",
				"2001:db8::/120 " + one + " 2001:db8:ffff::1", "2001:db8:1::/120 " + two + " 2001:db8:ffff::1"}},
		{"the scan namespace's own IPv6 address", nil, "2001:db8:ffff::/126",
			[]string{"2001:db8:ffff:: " + one + " 2001:db8:ffff::1", "2001:db8:ffff::1 lo 2001:db8:ffff::1", "2001:db8:ffff::2/127 " + one + " 2001:db8:ffff::1"}},
		// Of two sources on one link, the kernel picks the one sharing
		// the longer prefix with the target (RFC 6724, rule 8): 49 bits
		// below 2001:db8:0:8000::, 49 with the other from there on.
		{"an IPv6 source by longest matching prefix", [][]string{
			{"-6", "address", "add", "2001:db8:0:1::1/64", "dev", one, "nodad"},
			{"-6", "address", "add", "2001:db8:0:fffe::1/64", "dev", one, "nodad"}},
			"2001:db8:0:7fff:ffff:ffff:ffff:fff0-2001:db8:0:8000::f",
			[]string{"2001:db8:0:7fff:ffff:ffff:ffff:fff0/124 " + one + " 2001:db8:0:1::1", "2001:db8:0:8000::/124 " + one + " 2001:db8:0:fffe::1"}},
	} {
		for _, args := range c.setup {
			ip(args...)
		}
		ranges, err := target.ParseTargets(strings.Fields(c.targets))
		if err != nil {
			t.Fatal(err)
		}
		var spans []Span
		l.InScan(t, func() error {
			if spans, err = Split(ranges); err != nil {
				return err
			}
			for _, s := range spans {
				if s.Err != nil {
					continue
				}
				r, err := Get(s.Range.Last.Netip())
				if err != nil || r.Index != s.Route.Index || r.Source != s.Route.Source || r.Gateway != s.Route.Gateway {
					t.Errorf("%s: route to %v = %+v, %v; its span's is %+v", c.name, s.Range.Last, r, err, s.Route)
				}
			}
			return nil
		})
		var got []string
		for _, s := range spans {
			got = append(got, describe(s))
		}
		if !matches(got, c.want) {
			t.Errorf("%s: spans:\n\t%s\nwant:\n\t%s", c.name, strings.Join(got, "\n\t"), strings.Join(c.want, "\n\t"))
		}
	}
}
