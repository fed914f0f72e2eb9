package netio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"golang.org/x/sys/unix"
)

// The loopback addresses that the tests send from and to.
var (
	loop4 = netip.MustParseAddr("127.0.0.1")
	loop6 = netip.IPv6Loopback()
)

// loopbackSender opens a Sender of up to batch packets on lo, from src4
// and src6 (either may be the zero Addr), closed when t ends, or skips t
// unless this process may open raw sockets and lo has ::1.
func loopbackSender(t *testing.T, src4, src6 netip.Addr, batch int) *Sender {
	t.Helper()
	s, err := OpenSender(src4, src6, "lo", batch)
	skipWithout(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

// skipWithout skips t if err is a lack of privilege or of ::1, and fails
// it for another error.
func skipWithout(t testing.TB, err error) {
	t.Helper()
	switch {
	case errors.Is(err, ErrPrivilege):
		t.Skip(err)
	case errors.Is(err, unix.EADDRNOTAVAIL):
		t.Skipf("needs ::1 on lo: %v", err)
	case err != nil:
		t.Fatal(err)
	}
}

// TestLoopbackRoundTrip sends a SYN to a closed and to an open port on
// 127.0.0.1 and expects the kernel's RST and SYN-ACK in the capture.
func TestLoopbackRoundTrip(t *testing.T) {
	s := loopbackSender(t, loop4, netip.Addr{}, 4)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	open := uint16(ln.Addr().(*net.TCPAddr).Port)
	closedLn, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := uint16(closedLn.Addr().(*net.TCPAddr).Port)
	closedLn.Close()

	const sport = 61999
	c, err := OpenCapture("lo", []netip.Addr{loop4}, sport, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := s.Send([][]byte{synPacket(t, loop4, loop4, sport, open), synPacket(t, loop4, loop4, sport, closed)}); err != nil {
		t.Fatal(err)
	}
	expectReplies(t, c, open, closed)
	if _, err := c.Stats(); err != nil {
		t.Fatal(err)
	}
}

// TestCaptureOnAllInterfaces is TestLoopbackRoundTrip with the capture
// on every interface, as for targets routed through several, and two
// source addresses in its filter.
func TestCaptureOnAllInterfaces(t *testing.T) {
	s := loopbackSender(t, loop4, netip.Addr{}, 4)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	open := uint16(ln.Addr().(*net.TCPAddr).Port)
	const sport, closed = 61995, 9
	c, err := OpenCapture(AllInterfaces, []netip.Addr{netip.MustParseAddr("198.19.2.1"), netip.MustParseAddr("127.0.0.1")}, sport, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if l := c.Link(); l != LinkRaw && l != LinkLinuxSLL {
		t.Errorf("capture on every interface has link type %d, want raw IPv4 or Linux cooked", l)
	}
	if _, err := s.Send([][]byte{synPacket(t, loop4, loop4, sport, open), synPacket(t, loop4, loop4, sport, closed)}); err != nil {
		t.Fatal(err)
	}
	expectReplies(t, c, open, closed)
}

// expectReplies reads c for up to 2 s and expects a SYN-ACK from port open
// and a RST from port closed.
func expectReplies(t *testing.T, c Capture, open, closed uint16) {
	t.Helper()
	seen := map[uint16]byte{}
	for deadline := time.Now().Add(2 * time.Second); len(seen) < 2 && time.Now().Before(deadline); {
		f, err := c.ReadPacket()
		if errors.Is(err, ErrTimeout) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		ip := f[map[LinkType]int{LinkEthernet: 14, LinkLinuxSLL: 16}[c.Link()]:]
		tcp := ip[int(ip[0]&0xf)*4:]
		seen[binary.BigEndian.Uint16(tcp[0:])] = tcp[13]
	}
	if seen[open]&0x12 != 0x12 {
		t.Errorf("open port %d: flags %#x, want SYN-ACK", open, seen[open])
	}
	if seen[closed]&0x04 == 0 {
		t.Errorf("closed port %d: flags %#x, want RST", closed, seen[closed])
	}
}

// TestRawSenderMixedFamilies sends one batch of IPv4 and IPv6 SYNs, in
// runs of each version, to open and closed ports on 127.0.0.1 and ::1, and
// expects each SYN on lo exactly as sent, and the kernel's SYN-ACK or RST
// for each.
func TestRawSenderMixedFamilies(t *testing.T) {
	s := loopbackSender(t, loop4, loop6, 8)
	testLoopbackFamilies(t, s, 61994, false)
}

// testLoopbackFamilies sends through s, from port sport, SYNs to an open
// and to a closed port on 127.0.0.1 and on ::1, in the runs v4, v6 v6, v4,
// and expects each on lo as sent, and its reply. If kernel6 is set, the
// kernel builds the IPv6 headers, and its own hop limit and flow label
// may differ from ours.
func testLoopbackFamilies(t *testing.T, s *Sender, sport uint16, kernel6 bool) {
	t.Helper()
	tp, err := openTap("lo")
	if err != nil {
		t.Fatal(err)
	}
	defer tp.close()
	open4, closed4 := openPort(t, loop4), closedPort(t, loop4)
	open6, closed6 := openPort(t, loop6), closedPort(t, loop6)
	pkts := [][]byte{
		synPacket(t, loop4, loop4, sport, open4),
		synPacket(t, loop6, loop6, sport, open6),
		synPacket(t, loop6, loop6, sport, closed6),
		synPacket(t, loop4, loop4, sport, closed4),
	}
	if n, err := s.Send(pkts); n != len(pkts) || err != nil {
		t.Fatalf("Send = %d, %v; want %d, nil", n, err, len(pkts))
	}
	got := tp.packets(t, sport, 2*len(pkts))
	lo := make(net.HardwareAddr, 6)
	expectIntact(t, got, pkts, lo, lo, kernel6)
	for _, r := range []struct {
		v     byte
		port  uint16
		flags byte // SYN-ACK or RST
	}{{4, open4, 0x12}, {4, closed4, 0x04}, {6, open6, 0x12}, {6, closed6, 0x04}} {
		reply, ok := got[flow{r.v, r.port, sport}]
		if !ok {
			t.Errorf("IPv%d port %d: no reply", r.v, r.port)
			continue
		}
		if f := tcpOf(reply[14:])[13]; f&r.flags != r.flags {
			t.Errorf("IPv%d port %d: reply flags %#x, want %#x set", r.v, r.port, f, r.flags)
		}
	}
}

// TestRawSenderRefusesMissingFamily checks that a Sender opened for one
// IP version refuses a packet of the other, after sending those before.
func TestRawSenderRefusesMissingFamily(t *testing.T) {
	s := loopbackSender(t, loop4, netip.Addr{}, 4)
	pkts := [][]byte{synPacket(t, loop4, loop4, 61993, 9), synPacket(t, loop6, loop6, 61993, 9)}
	if n, err := s.Send(pkts); n != 1 || !errors.Is(err, errNo6) || !strings.Contains(err.Error(), "send on lo") {
		t.Errorf("Send = %d, %v; want 1 and an error naming lo and IPv6", n, err)
	}
	s6 := loopbackSender(t, netip.Addr{}, loop6, 4)
	if n, err := s6.Send(pkts); n != 0 || !errors.Is(err, errNo4) {
		t.Errorf("Send = %d, %v; want 0 and an error naming IPv4", n, err)
	}
}

// TestOpenSenderChecksSources checks the source addresses' versions.
func TestOpenSenderChecksSources(t *testing.T) {
	for _, tt := range []struct{ src4, src6 netip.Addr }{
		{},
		{loop6, netip.Addr{}},
		{netip.Addr{}, loop4},
		{netip.Addr{}, netip.MustParseAddr("::ffff:127.0.0.1")},
	} {
		if s, err := OpenSender(tt.src4, tt.src6, "lo", 4); err == nil {
			s.Close()
			t.Errorf("OpenSender(%v, %v) succeeded", tt.src4, tt.src6)
		}
	}
}

// TestSendChecksEachPacket checks that Send takes IPv4 packets of at
// least 20 bytes and IPv6 ones of at least 40, and nothing else.
func TestSendChecksEachPacket(t *testing.T) {
	s := NewSender(nopWriter{}, 4)
	for _, tt := range []struct {
		name string
		p    []byte
		ok   bool
	}{
		{"IPv4 header", append([]byte{0x45}, make([]byte, 19)...), true},
		{"short IPv4", append([]byte{0x45}, make([]byte, 18)...), false},
		{"IPv6 header", append([]byte{0x60}, make([]byte, 39)...), true},
		{"short IPv6", append([]byte{0x60}, make([]byte, 38)...), false},
		{"version 5", append([]byte{0x50}, make([]byte, 39)...), false},
		{"empty", nil, false},
	} {
		if _, err := s.Send([][]byte{tt.p}); (err == nil) != tt.ok {
			t.Errorf("%s: Send error %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}

// TestRawSenderDoesNotAllocate sends full batches through real raw
// sockets to a closed port on 127.0.0.1 and ::1, first of IPv4 alone,
// then of both versions alternating, and counts allocations.
func TestRawSenderDoesNotAllocate(t *testing.T) {
	s := loopbackSender(t, loop4, loop6, 64)
	pkts := make([][]byte, s.Batch())
	for i := range pkts {
		pkts[i] = synPacket(t, loop4, loop4, 61998, 9)
	}
	requireNoAllocs(t, s, pkts, "a raw socket")
	for i := 1; i < len(pkts); i += 2 {
		pkts[i] = synPacket(t, loop6, loop6, 61998, 9)
	}
	requireNoAllocs(t, s, pkts, "raw sockets of both versions")
}

// requireNoAllocs sends pkts through s 20 times and fails t if a Send
// allocates, or does not send them all.
func requireNoAllocs(t *testing.T, s *Sender, pkts [][]byte, socket string) {
	t.Helper()
	if n := testing.AllocsPerRun(20, func() {
		if n, err := s.Send(pkts); n != len(pkts) || err != nil {
			t.Fatalf("Send = %d, %v; want %d, nil", n, err, len(pkts))
		}
	}); n != 0 {
		t.Errorf("Send over %s allocates %v times per batch", socket, n)
	}
}

// TestRawSenderStaysOutOfThePoller checks that the send sockets are
// blocking ones of trawl's own: a socket in Go's poller costs every freed
// probe a wake-up (see OpenSender).
func TestRawSenderStaysOutOfThePoller(t *testing.T) {
	s := loopbackSender(t, loop4, loop6, 4)
	w, ok := s.w.(*familyWriter)
	if !ok {
		t.Fatalf("OpenSender writes through %T, want *familyWriter", s.w)
	}
	for _, r := range []*rawWriter{w.v4, w.v6} {
		flags, err := unix.FcntlInt(uintptr(r.fd), unix.F_GETFL, 0)
		if err != nil {
			t.Fatal(err)
		}
		if flags&unix.O_NONBLOCK != 0 {
			t.Error("a send socket is non-blocking, as a socket in Go's poller is")
		}
	}
}

// synPacket builds, with gopacket, a SYN from src:sport to dst:dport,
// IPv4 or IPv6 as the addresses are, with both checksums and a nonzero
// IP ID, so that the kernel sends it as it is.
func synPacket(t testing.TB, src, dst netip.Addr, sport, dport uint16) []byte {
	t.Helper()
	tcp := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), Seq: 1000 + uint32(dport), SYN: true, Window: 1024}
	var ip gopacket.SerializableLayer
	if src.Is4() {
		ip4 := &layers.IPv4{Version: 4, TTL: 64, Id: dport | 1, Flags: layers.IPv4DontFragment, Protocol: layers.IPProtocolTCP, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
		if err := tcp.SetNetworkLayerForChecksum(ip4); err != nil {
			t.Fatal(err)
		}
		ip = ip4
	} else {
		ip6 := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
		if err := tcp.SetNetworkLayerForChecksum(ip6); err != nil {
			t.Fatal(err)
		}
		ip = ip6
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ip, tcp); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// openPort returns the port of a TCP listener on addr, closed when t ends.
func openPort(t *testing.T, addr netip.Addr) uint16 {
	t.Helper()
	ln, err := net.ListenTCP("tcp", net.TCPAddrFromAddrPort(netip.AddrPortFrom(addr, 0)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return uint16(ln.Addr().(*net.TCPAddr).Port)
}

// closedPort returns a port on addr that nothing listens on. A TCP socket
// bound to it, and never listening, holds it until t ends: the kernel
// answers SYNs to it with RST, and gives it to no other socket meanwhile,
// neither another process's nor this test's own source port.
func closedPort(t *testing.T, addr netip.Addr) uint16 {
	t.Helper()
	family, sa := unix.AF_INET6, unix.Sockaddr(&unix.SockaddrInet6{Addr: addr.As16()})
	if addr.Is4() {
		family, sa = unix.AF_INET, &unix.SockaddrInet4{Addr: addr.As4()}
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, sa); err != nil {
		t.Fatalf("bind %v: %v", addr, err)
	}
	bound, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	switch b := bound.(type) {
	case *unix.SockaddrInet4:
		return uint16(b.Port)
	case *unix.SockaddrInet6:
		return uint16(b.Port)
	}
	t.Fatalf("bound to %T", bound)
	return 0
}

// tap is a packet socket that reads the Ethernet frames that arrive on one
// interface, so that tests see what a sender put on the wire.
type tap struct{ fd int }

// openTap opens a tap on iface, for the caller to close.
func openTap(iface string) (*tap, error) {
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return nil, err
	}
	// Protocol 0 until bound to iface, so that no other interface's
	// frames are queued.
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open packet socket: %w", err)
	}
	tp := &tap{fd: fd}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifi.Index}); err != nil {
		tp.close()
		return nil, fmt.Errorf("bind packet socket to %s: %w", iface, err)
	}
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Usec: 100_000}); err != nil {
		tp.close()
		return nil, err
	}
	return tp, nil
}

// close closes the tap.
func (tp *tap) close() { unix.Close(tp.fd) }

// flow names a TCP packet by IP version and ports.
type flow struct {
	v            byte
	sport, dport uint16
}

// packets reads the tap for up to 2 s, until n flows of TCP frames from
// or to port have arrived, and returns the first frame of each. It
// ignores frames that the tap's host sent itself, which lo shows twice.
func (tp *tap) packets(t *testing.T, port uint16, n int) map[flow][]byte {
	t.Helper()
	got := map[flow][]byte{}
	buf := make([]byte, 2048)
	for deadline := time.Now().Add(2 * time.Second); len(got) < n && time.Now().Before(deadline); {
		m, from, err := unix.Recvfrom(tp.fd, buf, 0)
		if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if ll, ok := from.(*unix.SockaddrLinklayer); !ok || ll.Pkttype == unix.PACKET_OUTGOING {
			continue
		}
		if m < 14 {
			continue
		}
		// The first frame of a flow: from the port, the sender's packet,
		// and not the RST that the host answers a SYN-ACK with.
		f, ok := flowOf(buf[14:m])
		if _, dup := got[f]; ok && !dup && (f.sport == port || f.dport == port) {
			got[f] = bytes.Clone(buf[:m])
		}
	}
	if len(got) < n {
		t.Errorf("saw %d frames from or to port %d, want %d", len(got), port, n)
	}
	return got
}

// flowOf returns the flow of TCP packet ip.
func flowOf(ip []byte) (flow, bool) {
	tcp := tcpOf(ip)
	if len(tcp) < 20 {
		return flow{}, false
	}
	return flow{ip[0] >> 4, binary.BigEndian.Uint16(tcp), binary.BigEndian.Uint16(tcp[2:])}, true
}

// tcpOf returns the TCP header and payload of packet ip, or nil if ip is
// not TCP in IPv4, or in IPv6 without extension headers.
func tcpOf(ip []byte) []byte {
	switch {
	case len(ip) >= 20 && ip[0]>>4 == 4 && ip[9] == unix.IPPROTO_TCP && len(ip) >= int(ip[0]&0xf)*4:
		return ip[int(ip[0]&0xf)*4:]
	case len(ip) >= 40 && ip[0]>>4 == 6 && ip[6] == unix.IPPROTO_TCP:
		return ip[40:]
	}
	return nil
}

// expectIntact checks that each of the packets sent is among the frames
// got, as it was sent, in a frame of its version's Ethernet type to the
// next hop for its version, hop4 or hop6. If kernel6 is set, the IPv6
// headers were the kernel's, whose traffic class, flow label and hop
// limit may differ from ours.
func expectIntact(t *testing.T, got map[flow][]byte, sent [][]byte, hop4, hop6 net.HardwareAddr, kernel6 bool) {
	t.Helper()
	for _, p := range sent {
		want, hop, et := bytes.Clone(p), hop4, uint16(unix.ETH_P_IP)
		if p[0]>>4 == 6 {
			hop, et = hop6, unix.ETH_P_IPV6
		}
		f, ok := flowOf(p)
		if !ok {
			t.Fatalf("sent a packet that is not TCP: %x", p)
		}
		fr, ok := got[f]
		if !ok {
			t.Errorf("%+v: never arrived", f)
			continue
		}
		if !bytes.Equal(fr[:6], hop) || binary.BigEndian.Uint16(fr[12:]) != et {
			t.Errorf("%+v: arrived to %v with Ethernet type %#04x, want %v and %#04x", f, net.HardwareAddr(fr[:6]), binary.BigEndian.Uint16(fr[12:]), hop, et)
		}
		ip := bytes.Clone(fr[14:])
		if kernel6 && et == unix.ETH_P_IPV6 {
			for _, b := range [][]byte{want, ip} {
				b[0], b[1], b[2], b[3], b[7] = 0x60, 0, 0, 0, 0
			}
		}
		if !bytes.Equal(ip, want) {
			t.Errorf("%+v: arrived as\n%x\nwant\n%x", f, fr[14:], p)
		}
	}
}

// inNetns runs f with the calling goroutine's thread in network namespace
// ns, one of /run/netns, so that the sockets f opens are ns's, then moves
// the thread back. A thread that cannot go back stays locked, and Go
// discards it (or, the main thread, parks it for good).
func inNetns(ns string, f func() error) error {
	runtime.LockOSThread()
	home, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer home.Close()
	there, err := os.Open("/run/netns/" + ns)
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer there.Close()
	if err := unix.Setns(int(there.Fd()), unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("enter %s: %w", ns, err)
	}
	ferr := f()
	if err := unix.Setns(int(home.Fd()), unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("leave %s: %w", ns, err)
	}
	runtime.UnlockOSThread()
	return ferr
}
