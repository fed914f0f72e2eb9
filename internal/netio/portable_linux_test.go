package netio

import (
	"errors"
	"net/netip"
	"testing"
)

// TestPortableSenderMixedFamilies is TestRawSenderMixedFamilies through
// the portable sender, whose IPv6 headers are the kernel's.
func TestPortableSenderMixedFamilies(t *testing.T) {
	s, err := OpenPortableSender(loop4, loop6, 8)
	skipWithout(t, err)
	defer s.Close()
	testLoopbackFamilies(t, s, 61989, true)
}

// TestPortableSenderRefuses checks that the portable sender refuses the
// packets it cannot send as they are: of a version it was opened without,
// and IPv6 ones whose header the kernel would not build alike.
func TestPortableSenderRefuses(t *testing.T) {
	s, err := OpenPortableSender(loop4, netip.Addr{}, 4)
	skipWithout(t, err)
	defer s.Close()
	if n, err := s.Send([][]byte{synPacket(t, loop6, loop6, 61988, 9)}); n != 0 || !errors.Is(err, errNo6) {
		t.Errorf("IPv6 packet on an IPv4 sender: Send = %d, %v; want 0 and an error naming IPv6", n, err)
	}
	s6, err := OpenPortableSender(netip.Addr{}, loop6, 4)
	skipWithout(t, err)
	defer s6.Close()
	if n, err := s6.Send([][]byte{synPacket(t, loop4, loop4, 61988, 9)}); n != 0 || !errors.Is(err, errNo4) {
		t.Errorf("IPv4 packet on an IPv6 sender: Send = %d, %v; want 0 and an error naming IPv4", n, err)
	}
	other := synPacket(t, netip.MustParseAddr("2001:db8::1"), loop6, 61988, 9)
	notTCP := synPacket(t, loop6, loop6, 61988, 9)
	notTCP[6] = 17
	for _, p := range [][]byte{other, notTCP} {
		if n, err := s6.Send([][]byte{p}); n != 0 || !errors.Is(err, errNotOurs6) {
			t.Errorf("Send = %d, %v; want 0 and %v", n, err, errNotOurs6)
		}
	}
}

// BenchmarkLoopbackSend sends batches of 64 SYNs to a closed port on
// 127.0.0.1 and ::1 through OpenSender's sendmmsg(2) sockets and through
// the portable sender, and reports packets per second: of IPv4, of IPv6,
// of both alternating (a run, and so a sendmmsg, per packet), and of both
// in two halves. Run it with -cpu 1: the kernel answers each SYN with a RST
// on the same core.
func BenchmarkLoopbackSend(b *testing.B) {
	senders := []struct {
		name string
		open func() (*Sender, error)
	}{
		{"sendmmsg", func() (*Sender, error) { return OpenSender(loop4, loop6, "lo", 64) }},
		{"portable", func() (*Sender, error) { return OpenPortableSender(loop4, loop6, 64) }},
	}
	mixes := []struct {
		name string
		v6   func(i int) bool
	}{
		{"v4", func(int) bool { return false }},
		{"v6", func(int) bool { return true }},
		{"alternating", func(i int) bool { return i%2 == 1 }},
		{"halves", func(i int) bool { return i >= 32 }},
	}
	for _, sender := range senders {
		for _, mix := range mixes {
			b.Run(sender.name+"/"+mix.name, func(b *testing.B) {
				s, err := sender.open()
				skipWithout(b, err)
				defer s.Close()
				pkts := make([][]byte, s.Batch())
				bytes := 0
				for i := range pkts {
					src := loop4
					if mix.v6(i) {
						src = loop6
					}
					pkts[i] = synPacket(b, src, src, 61987, 9)
					bytes += len(pkts[i])
				}
				b.ReportAllocs()
				b.SetBytes(int64(bytes))
				for b.Loop() {
					if _, err := s.Send(pkts); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N*len(pkts))/b.Elapsed().Seconds(), "pkts/s")
			})
		}
	}
}
