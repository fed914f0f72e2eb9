package netio

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"testing"

	"github.com/trawlscan/trawl/internal/lab"
	"github.com/trawlscan/trawl/internal/packet"
	"github.com/trawlscan/trawl/internal/route"
	"github.com/trawlscan/trawl/pkg/target"
)

// The lab's IPv6 scan address, and a target inside its IPv6 space (see
// scripts/lab.sh).
var (
	labScan6   = netip.MustParseAddr("2001:db8:ffff::1")
	labTarget6 = netip.MustParseAddr("2001:db8::1")
)

// labFrameSender starts a lab with 198.18.0.1:80 open and opens, in its
// scan namespace, a frame sender to the gateway's MAC for both IP versions
// and a capture of replies to sport, both closed when t ends. It skips t
// without root.
func labFrameSender(t *testing.T, batch int, sport uint16) (*Sender, Capture, netip.Addr) {
	t.Helper()
	l := lab.Start(t, lab.Config{Open: []netip.AddrPort{netip.MustParseAddrPort("198.18.0.1:80")}})
	var s *Sender
	var c Capture
	var src netip.Addr
	l.InScan(t, func() error {
		rt, hw, err := labGateway()
		if err != nil {
			return err
		}
		if s, err = OpenFrameSender(rt.Interface, hw, hw, batch); err != nil {
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

// labGateway returns, in a lab's scan namespace, the route to the targets
// and the MAC address of its gateway. The gateway is one host for both IP
// versions, so its IPv4 neighbour entry serves IPv6 too.
func labGateway() (route.Route, net.HardwareAddr, error) {
	rt, err := route.Get(netip.MustParseAddr("198.18.0.1"))
	if err != nil {
		return rt, nil, err
	}
	hw, err := route.Neighbour(rt.Index, rt.Gateway)
	return rt, hw, err
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

// TestFrameSenderMixedFamilies sends one batch of IPv4 and IPv6 SYN frames,
// alternating, with the IPv6 ones to a next hop of their own, and expects
// each on the target's end of the pair exactly as sent, to its version's
// next hop and with its version's Ethernet type. Then, with the gateway
// as the next hop of both versions, it expects the target kernel's RST to
// a SYN of each.
func TestFrameSenderMixedFamilies(t *testing.T) {
	const sport = 61992
	l := lab.Start(t, lab.Config{})
	hop6 := net.HardwareAddr{0x02, 0x74, 0x72, 0x00, 0x66, 0x66}
	var split, both *Sender
	var hop4 net.HardwareAddr
	var src4 netip.Addr
	var scanTap *tap
	l.InScan(t, func() error {
		rt, hw, err := labGateway()
		if err != nil {
			return err
		}
		hop4, src4 = hw, rt.Source
		if split, err = OpenFrameSender(rt.Interface, hop4, hop6, 8); err != nil {
			return err
		}
		t.Cleanup(func() { split.Close() })
		if both, err = OpenFrameSender(rt.Interface, hop4, hop4, 8); err != nil {
			return err
		}
		t.Cleanup(func() { both.Close() })
		if scanTap, err = openTap(rt.Interface); err != nil {
			return err
		}
		t.Cleanup(scanTap.close)
		return nil
	})
	var targetTap *tap
	if err := inNetns(l.Name()+"-tgt", func() error {
		ifi, err := etherInterface()
		if err != nil {
			return err
		}
		targetTap, err = openTap(ifi)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(targetTap.close)

	dst4 := netip.MustParseAddr("198.18.0.1")
	pkts := [][]byte{
		synPacket(t, src4, dst4, sport, 80),
		synPacket(t, labScan6, labTarget6, sport, 80),
		synPacket(t, src4, dst4, sport, 81),
		synPacket(t, labScan6, labTarget6, sport, 81),
	}
	if n, err := split.Send(pkts); n != len(pkts) || err != nil {
		t.Fatalf("Send = %d, %v; want %d, nil", n, err, len(pkts))
	}
	expectIntact(t, targetTap.packets(t, sport, len(pkts)), pkts, hop4, hop6, false)

	const sport2 = sport - 1
	pkts = [][]byte{synPacket(t, src4, dst4, sport2, 82), synPacket(t, labScan6, labTarget6, sport2, 82)}
	if n, err := both.Send(pkts); n != len(pkts) || err != nil {
		t.Fatalf("Send = %d, %v; want %d, nil", n, err, len(pkts))
	}
	got := scanTap.packets(t, sport2, len(pkts))
	for _, v := range []byte{4, 6} {
		if r, ok := got[flow{v, 82, sport2}]; !ok || tcpOf(r[14:])[13]&0x04 == 0 {
			t.Errorf("IPv%d: no RST from the target", v)
		}
	}
}

// etherInterface returns the name of the one interface other than lo in
// this network namespace.
func etherInterface() (string, error) {
	ifis, err := net.Interfaces()
	if err != nil {
		return "", err
	}
	var names []string
	for _, ifi := range ifis {
		if ifi.Flags&net.FlagLoopback == 0 {
			names = append(names, ifi.Name)
		}
	}
	if len(names) != 1 {
		return "", fmt.Errorf("interfaces other than lo: %v, want one", names)
	}
	return names[0], nil
}

// TestFrameSenderDoesNotAllocate sends full batches of frames into the
// lab, first of IPv4 alone, then of both versions alternating, and counts
// allocations.
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
	for i := 1; i < len(pkts); i += 2 {
		pkts[i] = synPacket(t, labScan6, labTarget6, 61996, uint16(1000+i))
	}
	requireNoAllocs(t, s, pkts, "a packet socket, both versions")
}

func TestOpenFrameSenderRejectsNonEthernet(t *testing.T) {
	eth := net.HardwareAddr{2, 0, 0, 0, 0, 1}
	for _, hops := range [][2]net.HardwareAddr{{nil, nil}, {{1, 2, 3, 4}, nil}, {nil, {1, 2, 3, 4}}, {eth, {1, 2, 3, 4}}} {
		if s, err := OpenFrameSender("lo", hops[0], hops[1], 4); err == nil {
			s.Close()
			t.Errorf("OpenFrameSender accepted next hops %q", hops)
		}
	}
}

// TestFrameSenderRefusesMissingFamily sends, through a frame sender with
// no IPv6 next hop, an IPv4 SYN to a closed port on 127.0.0.1 and an IPv6
// one, and expects the first sent and the second refused.
func TestFrameSenderRefusesMissingFamily(t *testing.T) {
	s, err := OpenFrameSender("lo", make(net.HardwareAddr, 6), nil, 4)
	if errors.Is(err, ErrPrivilege) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pkts := [][]byte{synPacket(t, loop4, loop4, 61991, 9), synPacket(t, loop6, loop6, 61991, 9)}
	if n, err := s.Send(pkts); n != 1 || !errors.Is(err, errNo6) {
		t.Errorf("Send = %d, %v; want 1 and an error naming IPv6", n, err)
	}
}
