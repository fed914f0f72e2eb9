package route

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os/exec"
	"slices"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/trawlscan/trawl/internal/lab"
)

func TestLoopback(t *testing.T) {
	r, err := Get(netip.MustParseAddr("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Interface != "lo" || r.Source != netip.MustParseAddr("127.0.0.1") || r.Gateway.IsValid() {
		t.Fatalf("route to 127.0.0.1 = %+v, want lo from 127.0.0.1 with no gateway", r)
	}
	// The IPv4-mapped form is the IPv4 address.
	if m, err := Get(netip.MustParseAddr("::ffff:127.0.0.1")); err != nil || m.Source != r.Source || m.Index != r.Index {
		t.Errorf("route to ::ffff:127.0.0.1 = %+v, %v; want %+v", m, err, r)
	}
}

func TestLoopback6(t *testing.T) {
	requireIPv6(t)
	r, err := Get(netip.MustParseAddr("::1"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Interface != "lo" || r.Source != netip.IPv6Loopback() || r.Gateway.IsValid() {
		t.Fatalf("route to ::1 = %+v, want lo from ::1 with no gateway", r)
	}
}

// requireIPv6 skips t unless loopback has ::1, as it has unless IPv6 is
// disabled.
func requireIPv6(t *testing.T) {
	t.Helper()
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Skipf("no lo: %v", err)
	}
	addrs, err := lo.Addrs()
	if err != nil {
		t.Skipf("addresses of lo: %v", err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.Equal(net.IPv6loopback) {
			return
		}
	}
	t.Skip("IPv6 is disabled: lo has no ::1")
}

// labIP returns a function that runs ip with args in l's scan namespace,
// failing t if it fails. After "-6 address add", it waits until the
// kernel has finished adding the address, which it does after ip
// returns, in addrconf's duplicate address detection work even with
// nodad: until the address's local route is in place, and so the
// address no longer tentative (for up to 2 s).
func labIP(t *testing.T, l *lab.Lab) func(args ...string) {
	run := func(args ...string) ([]byte, error) {
		return exec.Command("ip", append([]string{"-n", l.Name() + "-scan"}, args...)...).CombinedOutput()
	}
	return func(args ...string) {
		t.Helper()
		if out, err := run(args...); err != nil {
			t.Fatalf("ip %v: %v\n%s", args, err, out)
		}
		if len(args) < 4 || args[0] != "-6" || args[1] != "address" || args[2] != "add" {
			return
		}
		addr := netip.MustParsePrefix(args[3]).Addr().String()
		for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			out, err := run("-6", "route", "show", "table", "local", addr)
			switch {
			case err != nil:
				t.Fatalf("ip -6 route show table local %s: %v\n%s", addr, err, out)
			case len(bytes.TrimSpace(out)) > 0:
				return
			case time.Now().After(deadline):
				t.Fatalf("no local route for %s 2 s after adding it", addr)
			}
		}
	}
}

// TestIPv6InLab asks the kernel of a lab about IPv6: ::1 goes through lo;
// the lab's targets through the scan interface via the target namespace,
// from the scan namespace's address; a link-local gateway's MAC comes
// from a permanent neighbour entry set here; and a global destination
// with no source but a link-local one has none.
func TestIPv6InLab(t *testing.T) {
	l := lab.Start(t, lab.Config{})
	ip := labIP(t, l)
	dev := l.ScanInterface()
	gw := netip.MustParseAddr("fe80::2")
	mac := net.HardwareAddr{0x02, 0x74, 0x72, 0x00, 0x00, 0x03}
	ip("-6", "route", "add", "2001:db8:1::/48", "via", gw.String(), "dev", dev)
	ip("-6", "neigh", "replace", gw.String(), "lladdr", mac.String(), "dev", dev, "nud", "permanent")
	l.InScan(t, func() error {
		r, err := Get(netip.IPv6Loopback())
		if err != nil || r.Interface != "lo" || r.Source != netip.IPv6Loopback() || r.Gateway.IsValid() {
			t.Errorf("route to ::1 = %+v, %v; want lo from ::1 with no gateway", r, err)
		}
		target := lab.Space6.Addr().Next()
		r, err = Get(target)
		if err != nil || r.Interface != dev || r.Source != lab.ScanAddr6 || r.Gateway != lab.TargetAddr6 || len(r.HardwareAddr) != 6 {
			t.Errorf("route to %v = %+v, %v; want %s from %v via %v", target, r, err, dev, lab.ScanAddr6, lab.TargetAddr6)
		}
		if hw, err := Neighbour(r.Index, lab.TargetAddr6); err != nil || hw.String() != "02:74:72:00:00:02" {
			t.Errorf("Neighbour(%s, %v) = %v, %v; want the target namespace's MAC", dev, lab.TargetAddr6, hw, err)
		}
		r, err = Get(netip.MustParseAddr("2001:db8:1::5"))
		if err != nil || r.Interface != dev || r.Source != lab.ScanAddr6 || r.Gateway != gw {
			t.Errorf("route to 2001:db8:1::5 = %+v, %v; want %s from %v via %v", r, err, dev, lab.ScanAddr6, gw)
		}
		for _, a := range []netip.Addr{gw, gw.WithZone(dev)} {
			if hw, err := Neighbour(r.Index, a); err != nil || hw.String() != mac.String() {
				t.Errorf("Neighbour(%s, %v) = %v, %v; want %v", dev, a, hw, err, mac)
			}
		}
		for _, a := range []string{"fe80::3", "2001:db8:ffff::3", "198.19.0.3"} {
			if hw, err := Neighbour(r.Index, netip.MustParseAddr(a)); !errors.Is(err, ErrNoNeighbour) {
				t.Errorf("Neighbour(%s, %s) = %v, %v; want ErrNoNeighbour", dev, a, hw, err)
			}
		}
		return nil
	})
	// Without its global address, the scan namespace has only ::1 and a
	// link-local address to send from, which no reply could reach.
	ip("-6", "address", "del", netip.PrefixFrom(lab.ScanAddr6, 64).String(), "dev", dev)
	l.InScan(t, func() error {
		r, err := Get(netip.MustParseAddr("2001:db8:1::5"))
		if !errors.Is(err, ErrNoSource) || r.Interface != dev || r.Gateway != gw || r.Source.IsValid() {
			t.Errorf("route to 2001:db8:1::5 = %+v, %v; want %s via %v and ErrNoSource", r, err, dev, gw)
		}
		return nil
	})
}

func TestNarrower(t *testing.T) {
	for _, c := range []struct {
		src, dst string
		want     bool
	}{
		{"::1", "::1", false},
		{"::1", "2001:db8::1", true},
		{"::1", "fe80::2", true},
		{"fe80::1", "fe80::2", false},
		{"fe80::1", "ff02::1", false},
		{"fe80::1", "2001:db8::1", true},
		{"fe80::1", "fd00::1", true},
		{"2001:db8::2", "2001:db8::1", false},
		{"2001:db8::2", "fe80::2", false},
		{"127.0.0.1", "198.18.0.1", false},
		{"169.254.0.1", "198.18.0.1", false},
	} {
		if got := narrower(netip.MustParseAddr(c.src), netip.MustParseAddr(c.dst)); got != c.want {
			t.Errorf("narrower(%s, %s) = %v, want %v", c.src, c.dst, got, c.want)
		}
	}
}

func TestGetZero(t *testing.T) {
	if _, err := Get(netip.Addr{}); err == nil {
		t.Fatal("the zero Addr accepted")
	}
}

// TestRequest checks the RTM_GETROUTE request for each family against
// golden bytes (little-endian, as on amd64 and arm64).
func TestRequest(t *testing.T) {
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("golden bytes are little-endian")
	}
	for _, c := range []struct {
		dst  string
		want []byte
	}{
		{"198.18.0.1", []byte{
			36, 0, 0, 0, // length
			26, 0, // RTM_GETROUTE
			1, 0, // NLM_F_REQUEST
			1, 0, 0, 0, // seq
			0, 0, 0, 0, // pid
			2, 32, 0, 0, // rtmsg: AF_INET, dst_len 32, src_len, tos
			0, 0, 0, 0, // table, protocol, scope, type
			0, 0, 0, 0, // flags
			8, 0, 1, 0, // RTA_DST, 8 bytes
			198, 18, 0, 1,
		}},
		{"2001:db8::1", []byte{
			48, 0, 0, 0, // length
			26, 0, // RTM_GETROUTE
			1, 0, // NLM_F_REQUEST
			1, 0, 0, 0, // seq
			0, 0, 0, 0, // pid
			10, 128, 0, 0, // rtmsg: AF_INET6, dst_len 128, src_len, tos
			0, 0, 0, 0, // table, protocol, scope, type
			0, 0, 0, 0, // flags
			20, 0, 1, 0, // RTA_DST, 20 bytes
			0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
		}},
	} {
		if got := request(netip.MustParseAddr(c.dst), 0); !bytes.Equal(got, c.want) {
			t.Errorf("request(%s) =\n% x\nwant\n% x", c.dst, got, c.want)
		}
	}
}

// route6Answer is the kernel's answer (Linux 6.18, little-endian) to
// RTM_GETROUTE for 2001:db8:0:7fff::1, sent by a default route via
// fe80::2 on interface 3, from 2001:db8:0:1::1.
var route6Answer = []byte{
	0xb0, 0, 0, 0, // length 176
	24, 0, // RTM_NEWROUTE
	0, 0, // flags
	1, 0, 0, 0, // seq
	0x89, 0x57, 0, 0, // pid
	10, 128, 128, 0, // rtmsg: AF_INET6, dst_len 128, src_len 128, tos
	254, 3, 0, 1, // table main, protocol boot, scope universe, type unicast
	0, 0, 0, 0, // flags
	8, 0, 15, 0, 254, 0, 0, 0, // RTA_TABLE 254
	20, 0, 1, 0, // RTA_DST 2001:db8:0:7fff::1
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0x7f, 0xff, 0, 0, 0, 0, 0, 0, 0, 1,
	20, 0, 2, 0, // RTA_SRC ::
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	20, 0, 7, 0, // RTA_PREFSRC 2001:db8:0:1::1
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1,
	8, 0, 6, 0, 0, 4, 0, 0, // RTA_PRIORITY 1024
	20, 0, 5, 0, // RTA_GATEWAY fe80::2
	0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
	8, 0, 4, 0, 3, 0, 0, 0, // RTA_OIF 3
	36, 0, 12, 0, // RTA_CACHEINFO
	2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	5, 0, 20, 0, 0, 0, 0, 0, // RTA_PREF medium, padded
}

func TestParseRoute6(t *testing.T) {
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("golden bytes are little-endian")
	}
	r, err := parse(parsed(t, route6Answer))
	want := Route{Index: 3, Source: netip.MustParseAddr("2001:db8:0:1::1"), Gateway: netip.MustParseAddr("fe80::2")}
	if err != nil || r.Index != want.Index || r.Source != want.Source || r.Gateway != want.Gateway {
		t.Errorf("parse = %+v, %v; want %+v", r, err, want)
	}
	// The same message in a route dump is that table entry.
	if e, ok, err := parseEntry(parsed(t, route6Answer)); err != nil || !ok || e.String() != "2001:db8:0:7fff::1/128 via fe80::2 dev #3" {
		t.Errorf("parseEntry = %v, %v, %v", e, ok, err)
	}
	// Without RTA_PREFSRC the kernel has no source address.
	noSrc := slices.Clone(route6Answer)
	binary.NativeEndian.PutUint16(noSrc[unix.SizeofNlMsghdr+unix.SizeofRtMsg+8+20+20+2:], 0x7fff)
	if r, err := parse(parsed(t, noSrc)); !errors.Is(err, ErrNoSource) || r.Index != 3 || r.Source.IsValid() {
		t.Errorf("parse without RTA_PREFSRC = %+v, %v; want ErrNoSource", r, err)
	}
}

// TestParseVia reads an IPv4 route's IPv6 gateway (RTA_VIA).
func TestParseVia(t *testing.T) {
	gw := netip.MustParseAddr("fe80::2").As16()
	rt := make([]byte, unix.SizeofRtMsg)
	rt[0], rt[1], rt[4], rt[7] = unix.AF_INET, 32, unix.RT_TABLE_MAIN, unix.RTN_UNICAST
	rt = append(rt, rtattr(unix.RTA_OIF, binary.NativeEndian.AppendUint32(nil, 3))...)
	rt = append(rt, rtattr(unix.RTA_PREFSRC, []byte{198, 19, 0, 1})...)
	rt = append(rt, rtattr(unix.RTA_VIA, append(binary.NativeEndian.AppendUint16(nil, unix.AF_INET6), gw[:]...))...)
	r, err := parse(parsed(t, nlmsg(unix.RTM_NEWROUTE, rt)))
	if err != nil || r.Gateway != netip.MustParseAddr("fe80::2") || r.Source != netip.MustParseAddr("198.19.0.1") {
		t.Errorf("parse = %+v, %v; want gateway fe80::2 from 198.19.0.1", r, err)
	}
	for _, v := range [][]byte{{10}, {10, 0, 1, 2, 3, 4}, {2, 1, 198, 19, 0, 2}} {
		if ip, ok := viaAddr(v); ok {
			t.Errorf("viaAddr(% x) = %v, want none", v, ip)
		}
	}
}

func TestParseError(t *testing.T) {
	// A netlink error message carrying -ENETUNREACH.
	msg := []byte{
		36, 0, 0, 0, // length
		2, 0, // NLMSG_ERROR
		0, 0, // flags
		1, 0, 0, 0, // seq
		0, 0, 0, 0, // pid
		0x9b, 0xff, 0xff, 0xff, // error -101 (ENETUNREACH), little-endian
		16, 0, 0, 0, 26, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, // echoed header
	}
	msgs, err := syscall.ParseNetlinkMessage(msg)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("test message: %v, %d messages", err, len(msgs))
	}
	if _, err := parse(msgs[0]); err != ErrNoRoute {
		t.Fatalf("parse(ENETUNREACH) = %v, want ErrNoRoute", err)
	}
	short := syscall.NetlinkMessage{Header: syscall.NlMsghdr{Type: unix.NLMSG_ERROR}, Data: []byte{1, 2, 3}}
	if _, err := parse(short); err == nil {
		t.Fatal("parse accepted a 3-byte error message")
	}
}

// FuzzParse feeds arbitrary netlink replies to the route parser, which
// must not panic and must not return a route without an interface index
// or a source address.
func FuzzParse(f *testing.F) {
	f.Add(nlmsg(unix.RTM_NEWROUTE, append(make([]byte, unix.SizeofRtMsg), rtattr(unix.RTA_OIF, []byte{1, 0, 0, 0})...)))
	f.Add(nlmsg(unix.NLMSG_ERROR, []byte{0x9b, 0xff, 0xff, 0xff}))
	f.Add(route6Answer)
	f.Fuzz(func(t *testing.T, b []byte) {
		msgs, err := syscall.ParseNetlinkMessage(b)
		if err != nil {
			return
		}
		for _, m := range msgs {
			if r, err := parse(m); err == nil && (r.Index == 0 || !r.Source.IsValid()) {
				t.Fatalf("parse returned %+v with no error", r)
			}
		}
	})
}

// nlmsg frames data as one netlink message of type typ.
func nlmsg(typ uint16, data []byte) []byte {
	b := make([]byte, unix.SizeofNlMsghdr, unix.SizeofNlMsghdr+len(data))
	binary.NativeEndian.PutUint32(b[0:], uint32(unix.SizeofNlMsghdr+len(data)))
	binary.NativeEndian.PutUint16(b[4:], typ)
	return append(b, data...)
}

// rtattr encodes one route attribute, padded to 4 bytes.
func rtattr(typ uint16, v []byte) []byte {
	b := make([]byte, unix.SizeofRtAttr, unix.SizeofRtAttr+len(v)+3)
	binary.NativeEndian.PutUint16(b[0:], uint16(unix.SizeofRtAttr+len(v)))
	binary.NativeEndian.PutUint16(b[2:], typ)
	b = append(b, v...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}
