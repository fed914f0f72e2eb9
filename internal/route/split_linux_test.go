package route

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/trawlscan/trawl/internal/lab"
	"github.com/trawlscan/trawl/pkg/target"
)

// fakeRoute is one route of a fake kernel's tables.
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
	rt[0], rt[1], rt[4], rt[7] = unix.AF_INET, byte(dst.Bits()), r.table, r.typ
	a := dst.Addr().As4()
	b := append(rt, rtattr(unix.RTA_DST, a[:])...)
	if r.index != 0 {
		b = append(b, rtattr(unix.RTA_OIF, binary.NativeEndian.AppendUint32(nil, r.index))...)
	}
	if r.gw != "" {
		g := netip.MustParseAddr(r.gw).As4()
		b = append(b, rtattr(unix.RTA_GATEWAY, g[:])...)
	}
	if r.prefsrc != "" {
		p := netip.MustParseAddr(r.prefsrc).As4()
		b = append(b, rtattr(unix.RTA_PREFSRC, p[:])...)
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
// first, then main, each by longest prefix. Its interfaces are named
// by index in names, and have the addresses in addrs.
type fakeKernel struct {
	t       *testing.T
	entries []entry
	names   map[int]string
	addrs   map[int]string
	gets    int
}

func newFakeKernel(t *testing.T, routes []fakeRoute) *fakeKernel {
	k := &fakeKernel{t: t,
		names: map[int]string{1: "lo", 2: "eth0", 3: "eth1", 4: "tun0"},
		addrs: map[int]string{1: "127.0.0.1", 2: "198.19.0.1", 3: "198.19.2.1"}}
	for _, r := range routes {
		e, ok, err := parseEntry(parsed(t, r.msg()))
		if err != nil || !ok {
			t.Fatalf("parseEntry(%+v) = %v, %v", r, ok, err)
		}
		k.entries = append(k.entries, e)
	}
	return k
}

func (k *fakeKernel) cuts() []uint32 {
	var cuts []uint32
	for _, e := range k.entries {
		lo, hi := e.span()
		cuts = appendCuts(cuts, lo, hi)
	}
	return cuts
}

func (k *fakeKernel) match(dst netip.Addr) (entry, error) {
	a := target.HostOrder(dst)
	for _, table := range []uint32{unix.RT_TABLE_LOCAL, unix.RT_TABLE_MAIN} {
		best := -1
		for i, e := range k.entries {
			if lo, hi := e.span(); e.table == table && lo <= a && a <= hi && (best < 0 || e.bits > k.entries[best].bits) {
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
	if !r.Source.IsValid() && k.addrs[index] != "" {
		r.Source = netip.MustParseAddr(k.addrs[index])
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
	k := newFakeKernel(t, []fakeRoute{
		{table: unix.RT_TABLE_MAIN, typ: unix.RTN_UNICAST, dst: "0.0.0.0/0", index: 2, gw: "198.19.0.2"},
		{table: unix.RT_TABLE_MAIN, typ: unix.RTN_UNICAST, dst: "198.18.0.0/25", index: 2, gw: "198.19.0.2"},
		{table: unix.RT_TABLE_MAIN, typ: unix.RTN_UNICAST, dst: "10.0.0.0/8", index: 3, gw: "198.19.2.2"},
	})
	ranges, _ := target.ParseTargets([]string{"198.18.0.0/24"})
	spans, err := split(ranges, k.cuts(), k.get, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(spans) != 1 || k.gets != 2 {
		t.Errorf("%d spans after %d lookups; want 1 after 2 (one per half of the /24)", len(spans), k.gets)
	}
}

// TestRuleCuts reads policy rules: a destination prefix cuts the targets
// at its ends, and a port or protocol selector fails the split.
func TestRuleCuts(t *testing.T) {
	rule := func(dst string, extra ...[]byte) syscall.NetlinkMessage {
		h := make([]byte, fibRuleHdrLen)
		h[0], h[4], h[7] = unix.AF_INET, 100, unix.FR_ACT_TO_TBL
		h = append(h, rtattr(unix.FRA_PRIORITY, binary.NativeEndian.AppendUint32(nil, 100))...)
		if dst != "" {
			p := netip.MustParsePrefix(dst)
			h[1] = byte(p.Bits())
			a := p.Addr().As4()
			h = append(h, rtattr(unix.FRA_DST, a[:])...)
		}
		for _, a := range extra {
			h = append(h, a...)
		}
		return parsed(t, nlmsg(unix.RTM_NEWRULE, h))
	}
	cuts, sel, err := ruleCuts(rule("198.18.0.128/25"), nil)
	if err != nil || sel != nil || len(cuts) != 2 || target.AddrOf(cuts[0]) != netip.MustParseAddr("198.18.0.128") || target.AddrOf(cuts[1]) != netip.MustParseAddr("198.18.1.0") {
		t.Errorf("to 198.18.0.128/25: cuts %v, %v, %v", cuts, sel, err)
	}
	if cuts, sel, err := ruleCuts(rule(""), nil); err != nil || sel != nil || len(cuts) != 0 {
		t.Errorf("no destination: cuts %v, %v, %v", cuts, sel, err)
	}
	_, sel, err = ruleCuts(rule("", rtattr(unix.FRA_DPORT_RANGE, []byte{0, 80, 0, 80})), nil)
	if err != nil || !errors.Is(sel, ErrSpread) || !strings.Contains(sel.Error(), "rule 100") {
		t.Errorf("dport 80: %v, %v; want ErrSpread naming rule 100", sel, err)
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
// address, the scan namespace's own address goes through lo, and a
// multipath route over both links spreads its targets.
func TestSplitInLab(t *testing.T) {
	l := lab.Start(t, lab.Config{Second: netip.MustParsePrefix("198.18.1.0/24")})
	ip := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", append([]string{"-n", l.Name() + "-scan"}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v\n%s", args, err, out)
		}
	}
	one, two := l.ScanInterface(), l.SecondInterface()
	for _, c := range []struct {
		name    string
		setup   []string // an ip command, run before the check
		targets string
		want    []string // as TestSplit's rows
	}{
		{"two links", nil, "198.18.0.0/23",
			[]string{"198.18.0.0/24 " + one + " 198.19.0.1", "198.18.1.0/24 " + two + " 198.19.2.1"}},
		{"the scan namespace's own addresses", nil, "198.19.0.1 198.19.2.0/30",
			[]string{"198.19.0.1 lo 198.19.0.1", "198.19.2.0 " + two + " 198.19.2.1", "198.19.2.1 lo 198.19.2.1", "198.19.2.2/31 " + two + " 198.19.2.1"}},
		{"multipath over both links", []string{"route", "add", "198.18.3.0/24", "nexthop", "via", "198.19.0.2", "dev", one, "nexthop", "via", "198.19.2.2", "dev", two},
			"198.18.2.0/23", []string{"198.18.2.0/24 " + one + " 198.19.0.1", "198.18.3.0/24 " + one + " error next hops on 2 interfaces"}},
		{"a blackhole", []string{"route", "add", "blackhole", "198.18.0.128/25"}, "198.18.0.0/24",
			[]string{"198.18.0.0/25 " + one + " 198.19.0.1", "198.18.0.128/25 error no route"}},
	} {
		if c.setup != nil {
			ip(c.setup...)
		}
		ranges, err := target.ParseTargets(strings.Fields(c.targets))
		if err != nil {
			t.Fatal(err)
		}
		var spans []Span
		l.InScan(t, func() error {
			spans, err = Split(ranges)
			return err
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
