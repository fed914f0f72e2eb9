package packet

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/trawlscan/trawl/pkg/target"
)

const (
	labScanner = 0xc6130001 // 198.19.0.1
	labTarget  = 0xc6120105 // 198.18.1.5
)

// The lab's IPv4 addresses as a Reply holds them.
var (
	labScanner4 = target.V4(labScanner)
	labTarget4  = target.V4(labTarget)
)

func mustTemplate(t testing.TB) *Template {
	t.Helper()
	tpl, err := NewTemplate(labScanner, 61000)
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

// TestGoldenSYN pins the probe's bytes, field by field.
func TestGoldenSYN(t *testing.T) {
	got := mustTemplate(t).Put(make([]byte, SYNLen), labTarget, 80, 0x11223344)
	want := []byte{
		0x45, 0x00, // version 4, IHL 5; DSCP/ECN 0
		0x00, 0x2c, // total length 44
		0x22, 0x66, // IP ID: 0x1122 ^ 0x3344
		0x40, 0x00, // flags DF, fragment offset 0
		0x40,       // TTL 64
		0x06,       // protocol TCP
		0x8b, 0x3a, // header checksum
		198, 19, 0, 1, // source 198.19.0.1
		198, 18, 1, 5, // destination 198.18.1.5
		0xee, 0x48, // source port 61000
		0x00, 0x50, // destination port 80
		0x11, 0x22, 0x33, 0x44, // sequence number: the cookie
		0x00, 0x00, 0x00, 0x00, // acknowledgment number 0
		0x60,       // data offset 6 (24 bytes)
		0x02,       // flags SYN
		0xfa, 0xf0, // window 64240
		0xdd, 0x0a, // checksum
		0x00, 0x00, // urgent pointer
		0x02, 0x04, 0x05, 0xb4, // option MSS 1460
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("probe bytes\n got % x\nwant % x", got, want)
	}
}

// TestPutMatchesGopacket checks every patched probe against one that
// gopacket builds from scratch, checksums included, and decodes it back.
func TestPutMatchesGopacket(t *testing.T) {
	tpl := mustTemplate(t)
	tests := []struct {
		name string
		ip   uint32
		port uint16
		seq  uint32
	}{
		{"zero", 0, 0, 0},
		{"lab", labTarget, 80, 0x11223344},
		{"all ones", 0xffffffff, 65535, 0xffffffff},
		{"carry heavy", 0xfffefffe, 0xfffe, 0xfffffffe},
		{"loopback", 0x7f000001, 1024, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tpl.Put(make([]byte, SYNLen), tt.ip, tt.port, tt.seq)
			want := reference(t, tt.ip, tt.port, tt.seq)
			if !bytes.Equal(got, want) {
				t.Fatalf("patched probe differs from gopacket's\n got % x\nwant % x", got, want)
			}
			p := gopacket.NewPacket(got, layers.LayerTypeIPv4, gopacket.Default)
			ip, _ := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
			tcp, _ := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
			if ip == nil || tcp == nil {
				t.Fatalf("gopacket could not decode the probe: %v", p.ErrorLayer())
			}
			if binary.BigEndian.Uint32(ip.DstIP) != tt.ip || ip.TTL != 64 || ip.Length != SYNLen {
				t.Errorf("IP fields: dst %v ttl %d len %d", ip.DstIP, ip.TTL, ip.Length)
			}
			if !tcp.SYN || tcp.ACK || tcp.RST || uint16(tcp.DstPort) != tt.port || tcp.Seq != tt.seq || tcp.SrcPort != 61000 {
				t.Errorf("TCP fields: %+v", tcp)
			}
			if len(tcp.Options) != 1 || tcp.Options[0].OptionType != layers.TCPOptionKindMSS {
				t.Errorf("TCP options: %v", tcp.Options)
			}
		})
	}
}

// reference builds the probe the slow way, with gopacket computing both
// checksums.
func reference(t *testing.T, dst uint32, port uint16, seq uint32) []byte {
	t.Helper()
	dstIP := make(net.IP, 4)
	binary.BigEndian.PutUint32(dstIP, dst)
	ip := &layers.IPv4{
		Version: 4, TTL: 64, Flags: layers.IPv4DontFragment, Protocol: layers.IPProtocolTCP,
		Id: uint16(seq>>16) ^ uint16(seq), SrcIP: net.IPv4(198, 19, 0, 1).To4(), DstIP: dstIP,
	}
	tcp := &layers.TCP{
		SrcPort: 61000, DstPort: layers.TCPPort(port), Seq: seq, SYN: true, Window: 64240,
		Options: []layers.TCPOption{{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{0x05, 0xb4}}},
	}
	if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ip, tcp); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// replyFrame builds, with gopacket, an Ethernet frame carrying a reply from
// the lab target to the scanner.
func replyFrame(t testing.TB, syn, ack, rst bool, ackNum uint32, payload []byte) []byte {
	t.Helper()
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 63, Protocol: layers.IPProtocolTCP, SrcIP: net.IPv4(198, 18, 1, 5).To4(), DstIP: net.IPv4(198, 19, 0, 1).To4()}
	tcp := &layers.TCP{SrcPort: 80, DstPort: 61000, Seq: 777, Ack: ackNum, SYN: syn, ACK: ack, RST: rst, Window: 65535}
	if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, tcp, gopacket.Payload(payload)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name          string
		syn, ack, rst bool
		payload       []byte
		want          Kind
	}{
		{name: "SYN-ACK", syn: true, ack: true, want: KindSYNACK},
		{name: "RST-ACK", ack: true, rst: true, want: KindRST},
		{name: "bare RST", rst: true, want: KindRST},
		{name: "SYN-ACK with payload", syn: true, ack: true, payload: []byte("hello"), want: KindSYNACK},
		{name: "plain ACK", ack: true, want: KindNone},
		{name: "SYN", syn: true, want: KindNone},
	}
	d := NewDecoder(layers.LayerTypeEthernet)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := d.Decode(replyFrame(t, tt.syn, tt.ack, tt.rst, 0x11223345, tt.payload))
			if tt.want == KindNone {
				if ok {
					t.Fatalf("decoded %+v, want no reply", r)
				}
				return
			}
			want := Reply{SrcIP: labTarget4, DstIP: labScanner4, SrcPort: 80, DstPort: 61000, Ack: 0x11223345, TTL: 63, Kind: tt.want}
			if !ok || r != want {
				t.Fatalf("Decode = %+v, %v; want %+v", r, ok, want)
			}
		})
	}
}

// TestDecodeLinks decodes one reply behind each link layer NewDecoder
// takes.
func TestDecodeLinks(t *testing.T) {
	eth := replyFrame(t, true, true, false, 0x11223345, nil)
	sll := append([]byte{
		0x00, 0x00, // packet type: to us
		0x00, 0x01, // ARPHRD_ETHER
		0x00, 0x06, // address length
		0x02, 0, 0, 0, 0, 0x02, 0, 0, // source MAC, padded to 8
		0x08, 0x00, // IPv4
	}, eth[14:]...)
	want := Reply{SrcIP: labTarget4, DstIP: labScanner4, SrcPort: 80, DstPort: 61000, Ack: 0x11223345, TTL: 63, Kind: KindSYNACK}
	for _, tt := range []struct {
		link  gopacket.LayerType
		frame []byte
	}{
		{layers.LayerTypeEthernet, eth},
		{layers.LayerTypeLinuxSLL, sll},
		{layers.LayerTypeIPv4, eth[14:]},
	} {
		if r, ok := NewDecoder(tt.link).Decode(tt.frame); !ok || r != want {
			t.Errorf("%v: Decode = %+v, %v; want %+v", tt.link, r, ok, want)
		}
	}
}

func TestDecodeRejectsJunk(t *testing.T) {
	d := NewDecoder(layers.LayerTypeEthernet)
	full := replyFrame(t, true, true, false, 1, nil)
	for _, frame := range [][]byte{nil, {0x00}, full[:14], full[:33], full[:40], full[:53]} {
		if r, ok := d.Decode(frame); ok {
			t.Errorf("truncated frame of %d bytes decoded as %+v", len(frame), r)
		}
	}
}

func TestHotPathsDoNotAllocate(t *testing.T) {
	tpl := mustTemplate(t)
	buf := make([]byte, SYNLen)
	if n := testing.AllocsPerRun(1000, func() { tpl.Put(buf, labTarget, 80, 42) }); n != 0 {
		t.Errorf("Put allocates %v times per probe", n)
	}
	d := NewDecoder(layers.LayerTypeEthernet)
	frame := replyFrame(t, true, true, false, 43, nil)
	if n := testing.AllocsPerRun(1000, func() { d.Decode(frame) }); n != 0 {
		t.Errorf("Decode allocates %v times per reply", n)
	}
}

// FuzzDecode feeds arbitrary frames to the decoder: it must never panic,
// and whatever TCP reply it accepts, over IPv4 or IPv6, must agree with
// gopacket's full decoder (FuzzDecodeUnreach checks the ICMP ones).
func FuzzDecode(f *testing.F) {
	f.Add(replyFrame(f, true, true, false, 1, nil))
	f.Add(replyFrame(f, false, true, true, 0xffffffff, nil))
	f.Add(replyFrame(f, true, true, false, 7, []byte("data")))
	f.Add([]byte{})
	f.Add(goldenSYNACK6)
	f.Add(goldenRST6)
	f.Add(tcpFrame6(f, tcp6Opts{syn: true, ack: true, ackNum: 7, payload: []byte("data")}))
	f.Add(withExtension(goldenSYNACK6, layers.IPProtocolIPv6HopByHop))
	f.Add(withExtension(goldenRST6, layers.IPProtocolIPv6Fragment))
	d := NewDecoder(layers.LayerTypeEthernet)
	f.Fuzz(func(t *testing.T, frame []byte) {
		r, ok := d.Decode(frame)
		if !ok || r.Kind == KindUnreach {
			return
		}
		p := gopacket.NewPacket(frame, layers.LayerTypeEthernet, gopacket.NoCopy)
		tcp, _ := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if tcp == nil {
			t.Fatalf("Decode accepted %+v but gopacket finds no TCP", r)
		}
		src, dst, ttl, err := network(carrier(p, layers.LayerTypeTCP))
		if err != "" {
			t.Fatalf("Decode accepted %+v but gopacket finds %s", r, err)
		}
		if r.SrcIP != src || r.DstIP != dst || r.Ack != tcp.Ack || r.SrcPort != uint16(tcp.SrcPort) || r.DstPort != uint16(tcp.DstPort) || r.TTL != ttl {
			t.Fatalf("Decode = %+v, gopacket: %v > %v ttl %d, tcp %+v", r, src, dst, ttl, tcp)
		}
		if (r.Kind == KindRST) != tcp.RST || (r.Kind == KindSYNACK) != (tcp.SYN && tcp.ACK && !tcp.RST) {
			t.Fatalf("kind %d disagrees with flags SYN=%v ACK=%v RST=%v", r.Kind, tcp.SYN, tcp.ACK, tcp.RST)
		}
	})
}

// carrier returns the layer of p just before its first layer of type l,
// the network layer that carries it, or nil.
func carrier(p gopacket.Packet, l gopacket.LayerType) gopacket.Layer {
	ls := p.Layers()
	for i := 1; i < len(ls); i++ {
		if ls[i].LayerType() == l {
			return ls[i-1]
		}
	}
	return nil
}

// network returns the addresses and TTL or hop limit of an IPv4 or IPv6
// layer as gopacket decoded it and netip reads its addresses, or what is
// wrong with it for a reply.
func network(l gopacket.Layer) (src, dst target.Addr, ttl uint8, err string) {
	switch ip := l.(type) {
	case *layers.IPv4:
		s, _ := netip.AddrFromSlice(ip.SrcIP)
		d, _ := netip.AddrFromSlice(ip.DstIP)
		return target.FromNetip(s), target.FromNetip(d), ip.TTL, ""
	case *layers.IPv6:
		s, _ := netip.AddrFromSlice(ip.SrcIP)
		d, _ := netip.AddrFromSlice(ip.DstIP)
		switch {
		case ip.HopByHop != nil:
			return src, dst, 0, "a hop-by-hop options header"
		case s.Is4In6() || d.Is4In6():
			return src, dst, 0, "an IPv4-mapped address in IPv6"
		}
		return target.FromNetip(s), target.FromNetip(d), ip.HopLimit, ""
	}
	return src, dst, 0, fmt.Sprintf("%T before it, not IPv4 or IPv6", l)
}

func BenchmarkPut(b *testing.B) {
	tpl := mustTemplate(b)
	buf := make([]byte, SYNLen)
	b.SetBytes(SYNLen)
	b.ReportAllocs()
	var i uint32
	for b.Loop() {
		i++
		tpl.Put(buf, labTarget+i, uint16(i), i*2654435761)
	}
}

func BenchmarkDecode(b *testing.B) {
	d := NewDecoder(layers.LayerTypeEthernet)
	frame := replyFrame(b, true, true, false, 43, nil)
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		d.Decode(frame)
	}
}
