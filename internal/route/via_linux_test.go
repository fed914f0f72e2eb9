package route

import (
	"encoding/binary"
	"net/netip"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/trawlscan/trawl/internal/lab"
	"github.com/trawlscan/trawl/pkg/target"
)

// routeMsg builds an RTM_NEWROUTE message of a route dump.
func routeMsg(table, typ uint8, dst netip.Prefix, index uint32, gw netip.Addr) []byte {
	rt := make([]byte, unix.SizeofRtMsg)
	rt[0], rt[1], rt[4], rt[7] = unix.AF_INET, byte(dst.Bits()), table, typ
	a := dst.Addr().As4()
	b := append(rt, rtattr(unix.RTA_DST, a[:])...)
	b = append(b, rtattr(unix.RTA_OIF, binary.NativeEndian.AppendUint32(nil, index))...)
	if gw.IsValid() {
		g := gw.As4()
		b = append(b, rtattr(unix.RTA_GATEWAY, g[:])...)
	}
	return nlmsg(unix.RTM_NEWROUTE, b)
}

func TestParseEntry(t *testing.T) {
	gw := netip.MustParseAddr("198.19.0.2")
	e, ok, err := parseEntry(parsed(t, routeMsg(unix.RT_TABLE_MAIN, unix.RTN_UNICAST, netip.MustParsePrefix("198.18.2.128/25"), 3, gw)))
	if err != nil || !ok {
		t.Fatalf("parseEntry = %v, %v", ok, err)
	}
	lo, hi := e.span()
	if target.AddrOf(lo) != netip.MustParseAddr("198.18.2.128") || target.AddrOf(hi) != netip.MustParseAddr("198.18.2.255") {
		t.Errorf("span = %v-%v", target.AddrOf(lo), target.AddrOf(hi))
	}
	if !e.via(3, gw) || e.via(4, gw) || e.via(3, netip.Addr{}) {
		t.Errorf("via is wrong for %v", e)
	}
	def, _, _ := parseEntry(parsed(t, routeMsg(unix.RT_TABLE_MAIN, unix.RTN_UNICAST, netip.MustParsePrefix("0.0.0.0/0"), 3, gw)))
	if lo, hi := def.span(); lo != 0 || hi != ^uint32(0) {
		t.Errorf("default route spans %#x-%#x", lo, hi)
	}
	bh, _, _ := parseEntry(parsed(t, routeMsg(unix.RT_TABLE_MAIN, unix.RTN_BLACKHOLE, netip.MustParsePrefix("198.18.0.0/16"), 0, netip.Addr{})))
	if bh.via(0, netip.Addr{}) {
		t.Errorf("a blackhole route counts as via: %v", bh)
	}
}

func TestParseRule(t *testing.T) {
	rule := func(prio uint32, table uint8, extra ...[]byte) syscall.NetlinkMessage {
		h := make([]byte, fibRuleHdrLen)
		h[0], h[4], h[7] = unix.AF_INET, table, unix.FR_ACT_TO_TBL
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
		{"local", rule(0, unix.RT_TABLE_LOCAL), true},
		{"main", rule(32766, unix.RT_TABLE_MAIN), true},
		{"default", rule(32767, unix.RT_TABLE_DEFAULT), true},
		{"other table", rule(100, 100), false},
		{"main with fwmark", rule(32766, unix.RT_TABLE_MAIN, rtattr(unix.FRA_FWMARK, []byte{1, 0, 0, 0})), false},
		{"main suppressing /0", rule(32766, unix.RT_TABLE_MAIN, rtattr(unix.FRA_SUPPRESS_PREFIXLEN, []byte{0, 0, 0, 0})), false},
	} {
		extra, err := parseRule(c.m)
		if err != nil || (extra == nil) != c.default_ {
			t.Errorf("%s: parseRule = %v, %v", c.name, extra, err)
		}
	}
}

// FuzzParseEntry feeds arbitrary netlink messages to the route-dump and
// rule parsers, which must not panic; a rule has at most two cuts.
func FuzzParseEntry(f *testing.F) {
	f.Add(routeMsg(unix.RT_TABLE_MAIN, unix.RTN_UNICAST, netip.MustParsePrefix("198.18.2.128/25"), 3, netip.MustParseAddr("198.19.0.2")))
	f.Add(fakeRoute{table: unix.RT_TABLE_MAIN, typ: unix.RTN_UNICAST, dst: "198.18.3.0/24", prefsrc: "198.19.0.1", hops: []uint32{2, 3}}.msg())
	f.Fuzz(func(t *testing.T, b []byte) {
		msgs, err := syscall.ParseNetlinkMessage(b)
		if err != nil {
			return
		}
		for _, m := range msgs {
			if e, ok, err := parseEntry(m); ok && (err != nil || e.bits > 32) {
				t.Fatalf("parseEntry returned %+v, %v", e, err)
			}
			_, _ = parseRule(m)
			if cuts, _, err := ruleCuts(m, nil); err == nil && len(cuts) > 2 {
				t.Fatalf("ruleCuts returned %d cuts for one rule", len(cuts))
			}
		}
	})
}

// TestAllViaInLab changes the lab's scan namespace step by step and asks
// AllVia about 198.18.2.0/24 through the lab's gateway each time.
func TestAllViaInLab(t *testing.T) {
	l := lab.Start(t, lab.Config{})
	ranges, err := target.ParseTargets([]string{"198.18.2.0/24"})
	if err != nil {
		t.Fatal(err)
	}
	gw := netip.MustParseAddr("198.19.0.2")
	ip := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", append([]string{"-n", l.Name() + "-scan"}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v\n%s", args, err, out)
		}
	}
	dev := l.ScanInterface()
	for _, c := range []struct {
		name  string
		setup []string // an ip command, run before the check
		want  string   // in the error; "" for nil
	}{
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
	} {
		if c.setup != nil {
			ip(c.setup...)
		}
		var got error
		l.InScan(t, func() error {
			rt, err := Get(netip.MustParseAddr("198.18.2.1"))
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
