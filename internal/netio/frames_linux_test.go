package netio

import (
	"net"
	"net/netip"
	"testing"

	"github.com/trawlscan/trawl/internal/lab"
	"github.com/trawlscan/trawl/internal/packet"
	"github.com/trawlscan/trawl/internal/route"
	"github.com/trawlscan/trawl/pkg/target"
)

// labFrameSender starts a lab with 198.18.0.1:80 open and opens, in its
// scan namespace, a frame sender to the gateway's MAC and a capture of
// replies to sport, both closed when t ends. It skips t without root.
func labFrameSender(t *testing.T, batch int, sport uint16) (*Sender, Capture, netip.Addr) {
	t.Helper()
	l := lab.Start(t, lab.Config{Open: []netip.AddrPort{netip.MustParseAddrPort("198.18.0.1:80")}})
	var s *Sender
	var c Capture
	var src netip.Addr
	l.InScan(t, func() error {
		rt, err := route.Get(netip.MustParseAddr("198.18.0.1"))
		if err != nil {
			return err
		}
		hw, err := route.Neighbour(rt.Index, rt.Gateway)
		if err != nil {
			return err
		}
		if s, err = OpenFrameSender(rt.Interface, hw, batch); err != nil {
			return err
		}
		t.Cleanup(func() { s.Close() })
		if c, err = OpenCapture(rt.Interface, []netip.Addr{rt.Source}, sport, 1<<20); err != nil {
			return err
		}
		t.Cleanup(c.Close)
		src = rt.Source
		return nil
	})
	return s, c, src
}

// TestFrameSenderRoundTrip sends two SYN frames to the lab's gateway MAC,
// to an open and to a closed port, and expects the target kernel's
// SYN-ACK and RST: the frames were well formed, IP checksum included.
func TestFrameSenderRoundTrip(t *testing.T) {
	const sport = 61997
	s, c, src := labFrameSender(t, 4, sport)
	tmpl, err := packet.NewTemplate(target.HostOrder(src), sport)
	if err != nil {
		t.Fatal(err)
	}
	dst := target.HostOrder(netip.MustParseAddr("198.18.0.1"))
	pkts := [][]byte{tmpl.Put(make([]byte, packet.SYNLen), dst, 80, 1), tmpl.Put(make([]byte, packet.SYNLen), dst, 81, 2)}
	if n, err := s.Send(pkts); n != 2 || err != nil {
		t.Fatalf("Send = %d, %v; want 2, nil", n, err)
	}
	expectReplies(t, c, 80, 81)
}

// TestFrameSenderDoesNotAllocate sends full batches of frames into the
// lab and counts allocations.
func TestFrameSenderDoesNotAllocate(t *testing.T) {
	s, _, src := labFrameSender(t, 64, 61996)
	tmpl, err := packet.NewTemplate(target.HostOrder(src), 61996)
	if err != nil {
		t.Fatal(err)
	}
	pkts := make([][]byte, s.Batch())
	for i := range pkts {
		pkts[i] = tmpl.Put(make([]byte, packet.SYNLen), target.HostOrder(netip.MustParseAddr("198.18.0.9")), uint16(1000+i), uint32(i))
	}
	requireNoAllocs(t, s, pkts, "a packet socket")
}

func TestOpenFrameSenderRejectsNonEthernet(t *testing.T) {
	for _, hw := range []net.HardwareAddr{nil, {1, 2, 3, 4}} {
		if s, err := OpenFrameSender("lo", hw, 4); err == nil {
			s.Close()
			t.Errorf("OpenFrameSender accepted next hop %q", hw)
		}
	}
}
