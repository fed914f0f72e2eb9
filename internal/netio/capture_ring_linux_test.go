//go:build linux && (!cgo || nopcap)

package netio

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// TestRingCaptureCountsNothingUnfiltered opens ring captures on lo, for
// IPv4, IPv6 and both, while UDP floods it over both, and checks that the
// kernel counted no frame for them, received or dropped. A socket opened
// with ETH_P_IP takes every IPv4 frame until its filter is attached, and
// one opened with ETH_P_ALL every frame; those frames are counted, and
// dropped once its queue fills, so that a scan would report drops it
// never had (see OpenCapture). It sends only to 127.0.0.1 and ::1.
func TestRingCaptureCountsNothingUnfiltered(t *testing.T) {
	lo4, lo6 := netip.MustParseAddr("127.0.0.1"), netip.IPv6Loopback()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(stop)
	for _, lo := range []netip.Addr{lo4, lo6} {
		sink, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(lo, 0)))
		if err != nil {
			t.Skipf("listen on %v: %v", lo, err)
		}
		defer sink.Close()
		flood, err := net.DialUDP("udp", nil, sink.LocalAddr().(*net.UDPAddr))
		if err != nil {
			t.Fatal(err)
		}
		defer flood.Close()
		wg.Go(func() {
			b := make([]byte, 64)
			for {
				select {
				case <-stop:
					return
				default:
					// The sink never reads: its queue fills and the
					// kernel drops the rest, which is all right.
					_, _ = flood.Write(b)
				}
			}
		})
		if _, err := sink.Read(make([]byte, 64)); err != nil {
			t.Fatal(err)
		}
	}

	for _, srcs := range [][]netip.Addr{{lo4}, {lo6}, {lo4, lo6}} {
		for i := range 20 {
			c, err := OpenCapture("lo", srcs, 61996, 1<<20)
			if errors.Is(err, ErrPrivilege) {
				t.Skip(err)
			}
			if err != nil {
				t.Fatal(err)
			}
			s, err := unix.GetsockoptTpacketStatsV3(c.(*ringCapture).fd, unix.SOL_PACKET, unix.PACKET_STATISTICS)
			c.Close()
			if err != nil {
				t.Fatal(err)
			}
			if s.Packets != 0 || s.Drops != 0 {
				t.Fatalf("capture %d for %v: the kernel counted %d frames and %d drops for it, want none: it took frames before its filter", i, srcs, s.Packets, s.Drops)
			}
		}
	}
}
