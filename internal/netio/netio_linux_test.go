package netio

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// loopbackSender opens a Sender of up to batch packets from 127.0.0.1 on
// lo, closed when t ends, or skips t unless this process may open raw
// sockets.
func loopbackSender(t *testing.T, batch int) *Sender {
	t.Helper()
	s, err := OpenSender(netip.MustParseAddr("127.0.0.1"), "lo", batch)
	if errors.Is(err, ErrPrivilege) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestLoopbackRoundTrip sends a SYN to a closed and to an open port on
// 127.0.0.1 and expects the kernel's RST and SYN-ACK in the capture.
func TestLoopbackRoundTrip(t *testing.T) {
	s := loopbackSender(t, 4)
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

	lo := netip.MustParseAddr("127.0.0.1")
	const sport = 61999
	c, err := OpenCapture("lo", []netip.Addr{lo}, sport, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := s.Send([][]byte{syn(sport, open), syn(sport, closed)}); err != nil {
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
	s := loopbackSender(t, 4)
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
	if _, err := s.Send([][]byte{syn(sport, open), syn(sport, closed)}); err != nil {
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

// TestRawSenderDoesNotAllocate sends full batches through a real raw
// socket to a closed port on 127.0.0.1 and counts allocations.
func TestRawSenderDoesNotAllocate(t *testing.T) {
	s := loopbackSender(t, 64)
	pkts := make([][]byte, s.Batch())
	for i := range pkts {
		pkts[i] = syn(61998, 9)
	}
	requireNoAllocs(t, s, pkts, "a raw socket")
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

// TestRawSenderStaysOutOfThePoller checks that the send socket is a
// blocking one of trawl's own: a socket in Go's poller costs every freed
// probe a wake-up (see OpenSender).
func TestRawSenderStaysOutOfThePoller(t *testing.T) {
	s := loopbackSender(t, 4)
	w, ok := s.w.(*mmsgWriter)
	if !ok {
		t.Fatalf("OpenSender writes through %T, want *mmsgWriter", s.w)
	}
	flags, err := unix.FcntlInt(uintptr(w.fd), unix.F_GETFL, 0)
	if err != nil {
		t.Fatal(err)
	}
	if flags&unix.O_NONBLOCK != 0 {
		t.Error("the send socket is non-blocking, as a socket in Go's poller is")
	}
}

// syn is a minimal SYN from 127.0.0.1:sport to 127.0.0.1:dport with a
// correct TCP checksum; the kernel fills in the IP checksum.
func syn(sport, dport uint16) []byte {
	p := make([]byte, 40)
	p[0], p[8], p[9] = 0x45, 64, 6
	binary.BigEndian.PutUint16(p[2:], 40)
	copy(p[12:16], []byte{127, 0, 0, 1})
	copy(p[16:20], []byte{127, 0, 0, 1})
	tcp := p[20:]
	binary.BigEndian.PutUint16(tcp[0:], sport)
	binary.BigEndian.PutUint16(tcp[2:], dport)
	binary.BigEndian.PutUint32(tcp[4:], 1000)
	tcp[12], tcp[13] = 5<<4, 0x02
	binary.BigEndian.PutUint16(tcp[14:], 1024)
	sum := uint32(0x7f00+0x0001)*2 + 6 + 20
	for i := 0; i < 20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(tcp[i:]))
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	binary.BigEndian.PutUint16(tcp[16:], ^uint16(sum))
	return p
}
