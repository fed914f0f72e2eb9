package packet

import (
	"bytes"
	"net"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/trawlscan/trawl/pkg/result"
	"github.com/trawlscan/trawl/pkg/target"
)

// goldenUnreach6 is an ICMPv6 port unreachable, as a Linux firewall's
// "reject" sends it, quoting goldenSYN6 whole.
var goldenUnreach6 = []byte{
	0x02, 0, 0, 0, 0, 0x01, // Ethernet destination 02:00:00:00:00:01
	0x02, 0, 0, 0, 0, 0x02, // source 02:00:00:00:00:02
	0x86, 0xdd, // IPv6
	// The ICMPv6 message's IPv6 header.
	0x60, 0x00, 0x00, 0x00, // version 6, traffic class 0, flow label 0
	0x00, 0x48, // payload length 72
	0x3a,                   // next header ICMPv6
	0x40,                   // hop limit 64
	0x20, 0x01, 0x00, 0x02, // source 2001:2::1:5, the target
	0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
	0x00, 0x01, 0x00, 0x05,
	0x20, 0x01, 0x00, 0x02, // destination 2001:2::1, the scanner
	0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x01,
	// ICMPv6.
	0x01,       // type 1, destination unreachable
	0x04,       // code 4, port unreachable
	0x24, 0xec, // checksum
	0x00, 0x00, 0x00, 0x00, // unused
	// The quote: the probe's IPv6 header...
	0x60, 0x02, 0x33, 0x44, // version 6, flow label 0x23344
	0x00, 0x18, 0x06, 0x40, // payload length 24, TCP, hop limit 64
	0x20, 0x01, 0x00, 0x02, // source 2001:2::1
	0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x01,
	0x20, 0x01, 0x00, 0x02, // destination 2001:2::1:5
	0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
	0x00, 0x01, 0x00, 0x05,
	// ...and its TCP header.
	0xee, 0x48, // source port 61000
	0x00, 0x50, // destination port 80
	0x11, 0x22, 0x33, 0x44, // sequence number: the cookie
	0x00, 0x00, 0x00, 0x00, // acknowledgment number 0
	0x60, 0x02, 0xfa, 0xf0, // data offset 6, SYN, window 64240
	0x2a, 0x3e, 0x00, 0x00, // checksum, urgent pointer
	0x02, 0x04, 0x05, 0xa0, // MSS 1440
}

// goldenUnreach6Reply is what goldenUnreach6 decodes to: ICMPv6 code 4,
// port unreachable, as ICMPv4's code 3.
var goldenUnreach6Reply = Reply{SrcIP: labTarget6, DstIP: labScanner6, SrcPort: 80, DstPort: 61000, Seq: 0x11223344, TTL: 64, Code: 4, Kind: KindUnreach}

// goldenUnreach6Cut is an ICMPv6 administratively prohibited from a
// router, 2001:2:ff::1, whose quote of goldenSYN6 stops one byte short of
// the sequence number's end: malformed, as RFC 4443 §3.1 asks for as much
// of the packet as fits in 1280 bytes, and useless, as the cookie is cut.
var goldenUnreach6Cut = []byte{
	0x02, 0, 0, 0, 0, 0x01, // Ethernet destination 02:00:00:00:00:01
	0x02, 0, 0, 0, 0, 0x02, // source 02:00:00:00:00:02
	0x86, 0xdd, // IPv6
	// The ICMPv6 message's IPv6 header.
	0x60, 0x00, 0x00, 0x00, // version 6, traffic class 0, flow label 0
	0x00, 0x37, // payload length 55
	0x3a,                   // next header ICMPv6
	0x3f,                   // hop limit 63
	0x20, 0x01, 0x00, 0x02, // source 2001:2:ff::1, a router
	0x00, 0xff, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x01,
	0x20, 0x01, 0x00, 0x02, // destination 2001:2::1, the scanner
	0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x01,
	// ICMPv6.
	0x01,       // type 1, destination unreachable
	0x01,       // code 1, communication administratively prohibited
	0xb1, 0x1f, // checksum
	0x00, 0x00, 0x00, 0x00, // unused
	// The quote: the probe's IPv6 header...
	0x60, 0x02, 0x33, 0x44, // version 6, flow label 0x23344
	0x00, 0x18, 0x06, 0x40, // payload length 24, TCP, hop limit 64
	0x20, 0x01, 0x00, 0x02, // source 2001:2::1
	0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x01,
	0x20, 0x01, 0x00, 0x02, // destination 2001:2::1:5
	0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
	0x00, 0x01, 0x00, 0x05,
	// ...and 7 bytes of its TCP header.
	0xee, 0x48, // source port 61000
	0x00, 0x50, // destination port 80
	0x11, 0x22, 0x33, // sequence number, cut
}

// TestGoldenUnreach6 decodes the golden ICMPv6 messages, checks that they
// are the messages gopacket builds, checksums included, and that their
// quote is the probe Template6.Put builds.
func TestGoldenUnreach6(t *testing.T) {
	d := NewDecoder(layers.LayerTypeEthernet)
	if r, ok := d.Decode(goldenUnreach6); !ok || r != goldenUnreach6Reply {
		t.Fatalf("Decode = %+v, %v; want %+v", r, ok, goldenUnreach6Reply)
	}
	if r, ok := d.Decode(goldenUnreach6Cut); ok {
		t.Fatalf("the cut quote decoded as %+v", r)
	}
	probe := mustTemplate6(t).Put(make([]byte, SYN6Len), labTarget6, 80, 0x11223344)
	if got := goldenUnreach6[14+40+8:]; !bytes.Equal(got, probe) {
		t.Errorf("quote\n got % x\nwant % x", got, probe)
	}
	if built := icmpFrame6(t, icmp6Opts{code: 4, quote: probe, hopLimit: 64}); !bytes.Equal(built, goldenUnreach6) {
		t.Errorf("gopacket builds\n% x\nthe golden message is\n% x", built, goldenUnreach6)
	}
	cut := icmpFrame6(t, icmp6Opts{code: 1, quote: probe[:40+7], from: addr6("2001:2:ff::1"), hopLimit: 63})
	if !bytes.Equal(cut, goldenUnreach6Cut) {
		t.Errorf("gopacket builds\n% x\nthe golden cut message is\n% x", cut, goldenUnreach6Cut)
	}
}

// icmp6Opts describe an ICMPv6 message from the lab target (or from) to
// the scanner (or to), behind Ethernet.
type icmp6Opts struct {
	typ, code uint8
	// quote follows the message body's 4 unused bytes, for an error; body
	// replaces the whole body, for any other message.
	quote, body []byte
	from, to    target.Addr
	hopLimit    uint8
}

// icmpFrame6 builds, with gopacket, the Ethernet frame of o's message.
func icmpFrame6(t testing.TB, o icmp6Opts) []byte {
	t.Helper()
	if o.typ == 0 {
		o.typ = uint8(layers.ICMPv6TypeDestinationUnreachable)
	}
	if o.from == (target.Addr{}) {
		o.from = labTarget6
	}
	if o.to == (target.Addr{}) {
		o.to = labScanner6
	}
	if o.hopLimit == 0 {
		o.hopLimit = 63
	}
	if o.body == nil {
		o.body = append([]byte{0, 0, 0, 0}, o.quote...)
	}
	src, dst := o.from.As16(), o.to.As16()
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, EthernetType: layers.EthernetTypeIPv6}
	ip := &layers.IPv6{Version: 6, HopLimit: o.hopLimit, NextHeader: layers.IPProtocolICMPv6, SrcIP: net.IP(src[:]), DstIP: net.IP(dst[:])}
	icmp := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(o.typ, o.code)}
	if err := icmp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, icmp, gopacket.Payload(o.body)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// quoted6 returns the probe from [2001:2::1]:61000 to [2001:2::1:5]:80
// with sequence number seq, as gopacket builds it, after edit has changed
// its headers.
func quoted6(t testing.TB, seq uint32, edit func(*layers.IPv6, *layers.TCP)) []byte {
	t.Helper()
	src, dst := labScanner6.As16(), labTarget6.As16()
	ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP, FlowLabel: seq & 0xfffff, SrcIP: net.IP(src[:]), DstIP: net.IP(dst[:])}
	tcp := &layers.TCP{SrcPort: 61000, DstPort: 80, Seq: seq, SYN: true, Window: 64240}
	if edit != nil {
		edit(ip, tcp)
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

// TestUnreach6Codes decodes an ICMPv6 destination unreachable of every
// code RFC 4443 §3.1 and its successors define, and one undefined, and
// checks that its code comes through as it is, and what
// result.Unreach6Reason, which the engine asks, makes of it: codes 0 to 6
// make the port filtered, with nmap's reason for each; the rest say
// nothing about the port.
func TestUnreach6Codes(t *testing.T) {
	tests := []struct {
		code     uint8
		name     string
		reason   result.Reason
		filtered bool
	}{
		{0, "no route to destination", result.ReasonNoRoute, true},
		{1, "communication administratively prohibited", result.ReasonAdminProhibited, true},
		{2, "beyond scope of source address", result.ReasonBeyondScope, true},
		{3, "address unreachable", result.ReasonHostUnreach, true},
		{4, "port unreachable", result.ReasonPortUnreach, true},
		{5, "source address failed ingress/egress policy", result.ReasonAdminProhibited, true},
		{6, "reject route to destination", result.ReasonRejectRoute, true},
		{7, "error in source routing header (RFC 6554)", result.ReasonNone, false},
		{8, "headers too long (RFC 8883)", result.ReasonNone, false},
		{255, "undefined", result.ReasonNone, false},
	}
	probe := quoted6(t, 0x11223344, nil)
	d := NewDecoder(layers.LayerTypeEthernet)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := d.Decode(icmpFrame6(t, icmp6Opts{code: tt.code, quote: probe}))
			want := Reply{SrcIP: labTarget6, DstIP: labScanner6, SrcPort: 80, DstPort: 61000, Seq: 0x11223344, TTL: 63, Code: tt.code, Kind: KindUnreach}
			if !ok || r != want {
				t.Fatalf("Decode = %+v, %v; want %+v", r, ok, want)
			}
			if reason, filtered := result.Unreach6Reason(r.Code); reason != tt.reason || filtered != tt.filtered {
				t.Errorf("Unreach6Reason(%d) = %v, %v; want %v, %v", r.Code, reason, filtered, tt.reason, tt.filtered)
			}
		})
	}
}

// TestDecodeUnreach6 decodes ICMPv6 messages that gopacket builds: whole
// and minimal quotes, from the target or a router, and what must not
// decode.
func TestDecodeUnreach6(t *testing.T) {
	probe := quoted6(t, 0x11223344, nil)
	minimal := probe[:40+8] // IPv6 header and 8 bytes of TCP: ports and sequence number
	want := Reply{SrcIP: labTarget6, DstIP: labScanner6, SrcPort: 80, DstPort: 61000, Seq: 0x11223344, TTL: 63, Code: 4, Kind: KindUnreach}
	tests := []struct {
		name string
		o    icmp6Opts
		ok   bool
		seq  uint32
	}{
		{name: "port unreachable", o: icmp6Opts{code: 4, quote: probe}, ok: true},
		{name: "from a router", o: icmp6Opts{code: 4, quote: probe, from: addr6("2001:2:ff::1")}, ok: true},
		{name: "minimal quote", o: icmp6Opts{code: 4, quote: minimal}, ok: true},
		{name: "quote with the TCP payload", o: icmp6Opts{code: 4, quote: append(append([]byte{}, probe...), "data"...)}, ok: true},
		{name: "another sequence number", o: icmp6Opts{code: 4, quote: quoted6(t, 7, nil)}, ok: true, seq: 7},
		{name: "quote cut in the TCP header", o: icmp6Opts{code: 4, quote: probe[:40+7]}},
		{name: "quote cut in the IPv6 header", o: icmp6Opts{code: 4, quote: probe[:39]}},
		{name: "empty quote", o: icmp6Opts{code: 4}},
		{name: "no body", o: icmp6Opts{code: 4, body: []byte{}}},
		{name: "quote of UDP", o: icmp6Opts{code: 4, quote: quoted6(t, 1, func(ip *layers.IPv6, _ *layers.TCP) { ip.NextHeader = layers.IPProtocolUDP })}},
		{name: "quote of another host's probe", o: icmp6Opts{code: 4, quote: quoted6(t, 1, func(ip *layers.IPv6, _ *layers.TCP) { ip.SrcIP = net.ParseIP("2001:2::9") })}},
		{name: "quote of a probe to an IPv4-mapped address", o: icmp6Opts{code: 4, quote: quoted6(t, 1, func(ip *layers.IPv6, _ *layers.TCP) { ip.DstIP = net.ParseIP("::ffff:198.18.1.5") })}},
		{name: "quote of IPv4", o: icmp6Opts{code: 4, quote: append([]byte{0x45}, probe[1:]...)}},
		{name: "quote with a destination options header", o: icmp6Opts{code: 4, quote: withExtension(append(make([]byte, 14), probe...), layers.IPProtocolIPv6Destination)[14:]}},
		{name: "to an IPv4-mapped scanner", o: icmp6Opts{code: 4, quote: quoted6(t, 1, func(ip *layers.IPv6, _ *layers.TCP) { ip.SrcIP = net.ParseIP("::ffff:198.19.0.1") }), to: labScanner4}},
		{name: "packet too big", o: icmp6Opts{typ: uint8(layers.ICMPv6TypePacketTooBig), quote: probe}},
		{name: "time exceeded", o: icmp6Opts{typ: uint8(layers.ICMPv6TypeTimeExceeded), quote: probe}},
		{name: "parameter problem", o: icmp6Opts{typ: uint8(layers.ICMPv6TypeParameterProblem), quote: probe}},
		{name: "echo reply", o: icmp6Opts{typ: uint8(layers.ICMPv6TypeEchoReply), body: []byte{0, 1, 0, 1}}},
	}
	d := NewDecoder(layers.LayerTypeEthernet)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := d.Decode(icmpFrame6(t, tt.o))
			if !tt.ok {
				if ok {
					t.Fatalf("decoded %+v, want no reply", r)
				}
				return
			}
			w := want
			if tt.o.from != (target.Addr{}) {
				w.SrcIP = labTarget6 // the quote's destination, not the router
			}
			if tt.seq != 0 {
				w.Seq = tt.seq
			}
			if !ok || r != w {
				t.Fatalf("Decode = %+v, %v; want %+v", r, ok, w)
			}
		})
	}
}

// TestDecodeUnreach6Cut cuts the golden ICMPv6 unreachable at every
// length, as a capture's snapshot length would: it decodes once the quoted
// sequence number is whole, and not before.
func TestDecodeUnreach6Cut(t *testing.T) {
	d := NewDecoder(layers.LayerTypeEthernet)
	need := 14 + 40 + 8 + 40 + 8
	for n := range len(goldenUnreach6) + 1 {
		_, ok := d.Decode(goldenUnreach6[:n])
		if ok != (n >= need) {
			t.Errorf("cut to %d bytes: decoded %v, want %v", n, ok, n >= need)
		}
	}
}

func BenchmarkDecodeUnreach6(b *testing.B) {
	d := NewDecoder(layers.LayerTypeEthernet)
	b.SetBytes(int64(len(goldenUnreach6)))
	b.ReportAllocs()
	for b.Loop() {
		d.Decode(goldenUnreach6)
	}
}
