package netio

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// TestCaptureBothFamilies opens captures on lo, and on every interface,
// for replies to 127.0.0.1 and ::1 at a port, and to ::1 alone. It
// connects from that port to an open and a closed port of each address,
// and expects the kernel's SYN-ACK and RST to each of the capture's
// addresses once each, and nothing else. A capture bound to every
// protocol, as the ring capture is for two families, must not see a frame
// twice: lo hands such a socket each frame going out and again coming in,
// unless it ignores those going out. It sends only over lo, through the
// kernel's TCP.
func TestCaptureBothFamilies(t *testing.T) {
	lo4, lo6 := netip.MustParseAddr("127.0.0.1"), netip.IPv6Loopback()
	for _, c := range []struct {
		iface string
		srcs  []netip.Addr
	}{
		{"lo", []netip.Addr{lo4, lo6}},
		{"lo", []netip.Addr{lo6}},
		{AllInterfaces, []netip.Addr{lo4, lo6}},
		{AllInterfaces, []netip.Addr{lo6}},
	} {
		t.Run(fmt.Sprintf("%s %v", c.iface, c.srcs), func(t *testing.T) {
			want := map[string]int{}
			targets := map[netip.Addr][2]uint16{} // an open and a closed port
			var taken []uint16
			for _, a := range []netip.Addr{lo4, lo6} {
				open, closed := openPort(t, a), closedPort(t, a)
				targets[a] = [2]uint16{open, closed}
				taken = append(taken, open, closed)
				if slices.Contains(c.srcs, a) {
					want[replyName(a, open, "SYN-ACK")] = 1
					want[replyName(a, closed, "RST")] = 1
				}
			}
			sport := sourcePort(t, lo4, taken)
			cp, err := OpenCapture(c.iface, c.srcs, sport, 1<<20)
			if errors.Is(err, ErrPrivilege) {
				t.Skip(err)
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(cp.Close)
			for a, ports := range targets {
				d := net.Dialer{LocalAddr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(a, sport)), Timeout: 2 * time.Second}
				if _, err := d.Dial("tcp", netip.AddrPortFrom(a, ports[1]).String()); err == nil {
					t.Fatalf("connected to closed port %d on %v", ports[1], a)
				}
				conn, err := d.Dial("tcp", netip.AddrPortFrom(a, ports[0]).String())
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { conn.Close() })
			}
			got := map[string]int{}
			// Read until every reply is in, and then for 100 ms more, to
			// see any twice.
			deadline := time.Now().Add(2 * time.Second)
			for time.Now().Before(deadline) {
				f, err := cp.ReadPacket()
				if errors.Is(err, ErrTimeout) {
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				got[frameName(cp.Link(), f)]++
				if soon := time.Now().Add(100 * time.Millisecond); len(got) == len(want) && soon.Before(deadline) {
					deadline = soon
				}
			}
			if !maps.Equal(got, want) {
				t.Errorf("captured %v, want %v", got, want)
			}
		})
	}
}

// sourcePort returns a port of a that a listener just gave back and that
// is none of taken: connecting from a port to itself would succeed, as a
// simultaneous open, even where nothing listens.
func sourcePort(t *testing.T, a netip.Addr, taken []uint16) uint16 {
	t.Helper()
	for {
		ln, err := net.ListenTCP("tcp", net.TCPAddrFromAddrPort(netip.AddrPortFrom(a, 0)))
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).AddrPort().Port()
		ln.Close()
		if !slices.Contains(taken, port) {
			return port
		}
	}
}

// replyName names a TCP reply from a:port with flags.
func replyName(a netip.Addr, port uint16, flags string) string {
	return fmt.Sprintf("%s from %v", flags, netip.AddrPortFrom(a, port))
}

// frameName decodes a captured frame of link with gopacket and names it
// as replyName does, or says what else it is.
func frameName(link LinkType, f []byte) string {
	var first gopacket.Decoder
	switch {
	case link == LinkEthernet:
		first = layers.LayerTypeEthernet
	case link == LinkLinuxSLL:
		first = layers.LayerTypeLinuxSLL
	case link == LinkRaw && len(f) > 0 && f[0]>>4 == 6:
		first = layers.LayerTypeIPv6
	default:
		first = layers.LayerTypeIPv4
	}
	p := gopacket.NewPacket(f, first, gopacket.Default)
	tcp, ok := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
	if !ok || p.NetworkLayer() == nil {
		return fmt.Sprintf("not TCP: % x", f)
	}
	src, _ := netip.AddrFromSlice(p.NetworkLayer().NetworkFlow().Src().Raw())
	flags := fmt.Sprintf("flags %#x", tcp.LayerContents()[13])
	switch {
	case tcp.SYN && tcp.ACK && !tcp.RST:
		flags = "SYN-ACK"
	case tcp.RST && !tcp.SYN:
		flags = "RST"
	}
	return replyName(src, uint16(tcp.SrcPort), flags)
}
