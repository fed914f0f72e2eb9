package packet

import (
	"bytes"
	"net"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/trawlscan/trawl/pkg/target"
)

// goldenSYNACK6 is the SYN-ACK with which [2001:2::1:5]:80 answers
// goldenSYN6, as Linux sends it but for its options, behind Ethernet.
var goldenSYNACK6 = []byte{
	0x02, 0, 0, 0, 0, 0x01, // Ethernet destination 02:00:00:00:00:01
	0x02, 0, 0, 0, 0, 0x02, // source 02:00:00:00:00:02
	0x86, 0xdd, // IPv6
	0x60, 0x08, 0xb2, 0xc1, // version 6, traffic class 0, flow label 0x8b2c1
	0x00, 0x18, // payload length 24
	0x06,                   // next header TCP
	0x40,                   // hop limit 64
	0x20, 0x01, 0x00, 0x02, // source 2001:2::1:5, the target
	0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
	0x00, 0x01, 0x00, 0x05,
	0x20, 0x01, 0x00, 0x02, // destination 2001:2::1, the scanner
	0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x01,
	0x00, 0x50, // source port 80
	0xee, 0x48, // destination port 61000
	0x5a, 0x5a, 0x00, 0x01, // sequence number
	0x11, 0x22, 0x33, 0x45, // acknowledgment number: the cookie + 1
	0x60,       // data offset 6 (24 bytes)
	0x12,       // flags SYN, ACK
	0xfd, 0x20, // window 64800
	0xcd, 0xa1, // checksum
	0x00, 0x00, // urgent pointer
	0x02, 0x04, 0x05, 0xa0, // option MSS 1440
}

// goldenRST6 is the RST with which a closed [2001:2::1:5]:80 answers
// goldenSYN6.
var goldenRST6 = []byte{
	0x02, 0, 0, 0, 0, 0x01, // Ethernet destination 02:00:00:00:00:01
	0x02, 0, 0, 0, 0, 0x02, // source 02:00:00:00:00:02
	0x86, 0xdd, // IPv6
	0x60, 0x00, 0x00, 0x00, // version 6, traffic class 0, flow label 0
	0x00, 0x14, // payload length 20
	0x06,                   // next header TCP
	0x40,                   // hop limit 64
	0x20, 0x01, 0x00, 0x02, // source 2001:2::1:5, the target
	0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
	0x00, 0x01, 0x00, 0x05,
	0x20, 0x01, 0x00, 0x02, // destination 2001:2::1, the scanner
	0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x01,
	0x00, 0x50, // source port 80
	0xee, 0x48, // destination port 61000
	0x00, 0x00, 0x00, 0x00, // sequence number 0
	0x11, 0x22, 0x33, 0x45, // acknowledgment number: the cookie + 1
	0x50,       // data offset 5 (20 bytes)
	0x14,       // flags RST, ACK
	0x00, 0x00, // window 0
	0x3c, 0xc4, // checksum
	0x00, 0x00, // urgent pointer
}

// tcp6Opts describe a TCP segment over IPv6 from the lab target (or from)
// to the scanner (or to), behind Ethernet.
type tcp6Opts struct {
	syn, ack, rst bool
	seq, ackNum   uint32
	window        uint16
	flow          uint32
	hopLimit      uint8
	from, to      target.Addr
	options       []layers.TCPOption
	payload       []byte
}

// tcpFrame6 builds, with gopacket, the Ethernet frame of o's segment.
func tcpFrame6(t testing.TB, o tcp6Opts) []byte {
	t.Helper()
	if o.from == (target.Addr{}) {
		o.from = labTarget6
	}
	if o.to == (target.Addr{}) {
		o.to = labScanner6
	}
	if o.hopLimit == 0 {
		o.hopLimit = 64
	}
	src, dst := o.from.As16(), o.to.As16()
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, EthernetType: layers.EthernetTypeIPv6}
	ip := &layers.IPv6{Version: 6, FlowLabel: o.flow, HopLimit: o.hopLimit, NextHeader: layers.IPProtocolTCP, SrcIP: net.IP(src[:]), DstIP: net.IP(dst[:])}
	tcp := &layers.TCP{SrcPort: 80, DstPort: 61000, Seq: o.seq, Ack: o.ackNum, SYN: o.syn, ACK: o.ack, RST: o.rst, Window: o.window, Options: o.options}
	if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, tcp, gopacket.Payload(o.payload)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// withExtension returns the Ethernet frame of an IPv6 packet with an
// 8-byte extension header of type nh inserted after its IPv6 header: a
// hop-by-hop or destination options header holding a PadN option, or a
// fragment header for an atomic fragment (offset 0, no more fragments;
// RFC 8200 §4.5).
func withExtension(frame []byte, nh layers.IPProtocol) []byte {
	ip := frame[14 : 14+40]
	ext := []byte{ip[6], 0, 1, 4, 0, 0, 0, 0} // next header, length 0; PadN of 4
	if nh == layers.IPProtocolIPv6Fragment {
		ext = []byte{ip[6], 0, 0, 0, 0x12, 0x34, 0x56, 0x78} // offset 0, M 0, identification
	}
	out := append(append(append([]byte{}, frame[:14+40]...), ext...), frame[14+40:]...)
	out[14+6] = uint8(nh)
	out[14+5] += 8 // payload length, under 248 here
	return out
}

// TestGoldenReplies6 decodes the golden IPv6 replies and checks that they
// are the frames gopacket builds, checksums included.
func TestGoldenReplies6(t *testing.T) {
	mss := []layers.TCPOption{{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{0x05, 0xa0}}}
	tests := []struct {
		name   string
		golden []byte
		built  tcp6Opts
		want   Reply
	}{
		{
			name: "SYN-ACK", golden: goldenSYNACK6,
			built: tcp6Opts{syn: true, ack: true, seq: 0x5a5a0001, ackNum: 0x11223345, window: 64800, flow: 0x8b2c1, options: mss},
			want:  Reply{SrcIP: labTarget6, DstIP: labScanner6, SrcPort: 80, DstPort: 61000, Ack: 0x11223345, TTL: 64, Kind: KindSYNACK},
		},
		{
			name: "RST", golden: goldenRST6,
			built: tcp6Opts{rst: true, ack: true, ackNum: 0x11223345},
			want:  Reply{SrcIP: labTarget6, DstIP: labScanner6, SrcPort: 80, DstPort: 61000, Ack: 0x11223345, TTL: 64, Kind: KindRST},
		},
	}
	d := NewDecoder(layers.LayerTypeEthernet)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r, ok := d.Decode(tt.golden); !ok || r != tt.want {
				t.Errorf("Decode = %+v, %v; want %+v", r, ok, tt.want)
			}
			if built := tcpFrame6(t, tt.built); !bytes.Equal(built, tt.golden) {
				t.Errorf("gopacket builds\n% x\nthe golden frame is\n% x", built, tt.golden)
			}
		})
	}
}

func TestDecode6(t *testing.T) {
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
			frame := tcpFrame6(t, tcp6Opts{syn: tt.syn, ack: tt.ack, rst: tt.rst, ackNum: 0x11223345, hopLimit: 57, payload: tt.payload})
			r, ok := d.Decode(frame)
			if tt.want == KindNone {
				if ok {
					t.Fatalf("decoded %+v, want no reply", r)
				}
				return
			}
			want := Reply{SrcIP: labTarget6, DstIP: labScanner6, SrcPort: 80, DstPort: 61000, Ack: 0x11223345, TTL: 57, Kind: tt.want}
			if !ok || r != want {
				t.Fatalf("Decode = %+v, %v; want %+v", r, ok, want)
			}
		})
	}
}

// TestDecodeLinks6 decodes an IPv6 and an IPv4 reply behind each link
// layer NewDecoder takes; raw IP, under either layer type, takes both.
func TestDecodeLinks6(t *testing.T) {
	sll := func(eth []byte) []byte {
		return append([]byte{
			0x00, 0x00, // packet type: to us
			0x00, 0x01, // ARPHRD_ETHER
			0x00, 0x06, // address length
			0x02, 0, 0, 0, 0, 0x02, 0, 0, // source MAC, padded to 8
			eth[12], eth[13], // protocol: the EtherType
		}, eth[14:]...)
	}
	v4 := replyFrame(t, true, true, false, 0x11223345, nil)
	want6 := Reply{SrcIP: labTarget6, DstIP: labScanner6, SrcPort: 80, DstPort: 61000, Ack: 0x11223345, TTL: 64, Kind: KindSYNACK}
	want4 := Reply{SrcIP: labTarget4, DstIP: labScanner4, SrcPort: 80, DstPort: 61000, Ack: 0x11223345, TTL: 63, Kind: KindSYNACK}
	for _, tt := range []struct {
		name  string
		link  gopacket.LayerType
		frame []byte
		want  Reply
	}{
		{"Ethernet, IPv6", layers.LayerTypeEthernet, goldenSYNACK6, want6},
		{"Linux SLL, IPv6", layers.LayerTypeLinuxSLL, sll(goldenSYNACK6), want6},
		{"raw IPv4 link, IPv6", layers.LayerTypeIPv4, goldenSYNACK6[14:], want6},
		{"raw IPv4 link, IPv4", layers.LayerTypeIPv4, v4[14:], want4},
		{"raw IPv6 link, IPv6", layers.LayerTypeIPv6, goldenSYNACK6[14:], want6},
		{"raw IPv6 link, IPv4", layers.LayerTypeIPv6, v4[14:], want4},
		{"raw IPv6 link, ICMPv6", layers.LayerTypeIPv6, goldenUnreach6[14:], goldenUnreach6Reply},
		{"Linux SLL, ICMPv6", layers.LayerTypeLinuxSLL, sll(goldenUnreach6), goldenUnreach6Reply},
	} {
		if r, ok := NewDecoder(tt.link).Decode(tt.frame); !ok || r != tt.want {
			t.Errorf("%s: Decode = %+v, %v; want %+v", tt.name, r, ok, tt.want)
		}
	}
}

// TestDecodeRejects6 checks what must not decode: cut frames, extension
// headers, a version nibble that disagrees with the EtherType, and
// IPv4-mapped addresses on the wire.
func TestDecodeRejects6(t *testing.T) {
	d := NewDecoder(layers.LayerTypeEthernet)
	for n := range len(goldenSYNACK6) {
		if r, ok := d.Decode(goldenSYNACK6[:n]); ok {
			t.Errorf("frame cut to %d bytes decoded as %+v", n, r)
		}
	}
	version := func(frame []byte, v byte) []byte {
		out := append([]byte{}, frame...)
		out[14] = v<<4 | out[14]&0x0f
		return out
	}
	v4 := replyFrame(t, true, true, false, 0x11223345, nil)
	for _, tt := range []struct {
		name  string
		frame []byte
	}{
		{"hop-by-hop options header", withExtension(goldenSYNACK6, layers.IPProtocolIPv6HopByHop)},
		{"destination options header", withExtension(goldenSYNACK6, layers.IPProtocolIPv6Destination)},
		{"atomic fragment", withExtension(goldenSYNACK6, layers.IPProtocolIPv6Fragment)},
		{"ICMPv6 behind a hop-by-hop options header", withExtension(goldenUnreach6, layers.IPProtocolIPv6HopByHop)},
		{"IPv6 EtherType, version 4", version(goldenSYNACK6, 4)},
		{"IPv4 EtherType, version 6", version(v4, 6)},
		{"IPv4-mapped source", tcpFrame6(t, tcp6Opts{syn: true, ack: true, ackNum: 1, from: labTarget4})},
		{"IPv4-mapped destination", tcpFrame6(t, tcp6Opts{syn: true, ack: true, ackNum: 1, to: labScanner4})},
	} {
		if r, ok := d.Decode(tt.frame); ok {
			t.Errorf("%s: decoded as %+v", tt.name, r)
		}
	}
}

func TestDecode6DoesNotAllocate(t *testing.T) {
	echo := icmpFrame6(t, icmp6Opts{typ: uint8(layers.ICMPv6TypeEchoReply), body: []byte{0, 1, 0, 1}})
	hopByHop := withExtension(goldenSYNACK6, layers.IPProtocolIPv6HopByHop)
	v4 := replyFrame(t, true, true, false, 0x11223345, nil)
	eth, raw := NewDecoder(layers.LayerTypeEthernet), NewDecoder(layers.LayerTypeIPv4)
	for _, tt := range []struct {
		name  string
		d     *Decoder
		frame []byte
	}{
		{"SYN-ACK", eth, goldenSYNACK6},
		{"RST", eth, goldenRST6},
		{"ICMPv6 unreachable", eth, goldenUnreach6},
		{"ICMPv6 unreachable, quote cut", eth, goldenUnreach6Cut},
		{"ICMPv6 echo reply", eth, echo},
		{"hop-by-hop options header", eth, hopByHop},
		{"raw IP, IPv6", raw, goldenSYNACK6[14:]},
		{"raw IP, IPv4", raw, v4[14:]},
	} {
		if n := testing.AllocsPerRun(1000, func() { tt.d.Decode(tt.frame) }); n != 0 {
			t.Errorf("%s: Decode allocates %v times per frame", tt.name, n)
		}
	}
}

func BenchmarkDecode6(b *testing.B) {
	d := NewDecoder(layers.LayerTypeEthernet)
	b.SetBytes(int64(len(goldenSYNACK6)))
	b.ReportAllocs()
	for b.Loop() {
		d.Decode(goldenSYNACK6)
	}
}
