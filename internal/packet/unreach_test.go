package packet

import (
	"encoding/binary"
	"io"
	"net"
	"os"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/trawlscan/trawl/pkg/target"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// goldenUnreach is an ICMP port unreachable, as a Linux firewall's
// "reject" sends it, quoting the probe of TestGoldenSYN whole.
var goldenUnreach = []byte{
	0x02, 0, 0, 0, 0, 0x01, // Ethernet destination 02:00:00:00:00:01
	0x02, 0, 0, 0, 0, 0x02, // source 02:00:00:00:00:02
	0x08, 0x00, // IPv4
	// The ICMP message's IP header.
	0x45, 0xc0, // version 4, IHL 5; DSCP CS6 (network control)
	0x00, 0x48, // total length 72
	0x12, 0x34, // IP ID
	0x00, 0x00, // no flags, fragment offset 0
	0x40,       // TTL 64
	0x01,       // protocol ICMP
	0xda, 0x95, // header checksum
	198, 18, 1, 5, // source 198.18.1.5, the target
	198, 19, 0, 1, // destination 198.19.0.1, the scanner
	// ICMP.
	0x03,       // type 3, destination unreachable
	0x03,       // code 3, port unreachable
	0x8a, 0x47, // checksum
	0x00, 0x00, 0x00, 0x00, // unused
	// The quote: the probe's IP header...
	0x45, 0x00, 0x00, 0x2c, // version 4, IHL 5; total length 44
	0x22, 0x66, 0x40, 0x00, // IP ID; DF
	0x40, 0x06, 0x8b, 0x3a, // TTL 64, TCP, checksum
	198, 19, 0, 1, // source 198.19.0.1
	198, 18, 1, 5, // destination 198.18.1.5
	// ...and its TCP header.
	0xee, 0x48, // source port 61000
	0x00, 0x50, // destination port 80
	0x11, 0x22, 0x33, 0x44, // sequence number: the cookie
	0x00, 0x00, 0x00, 0x00, // acknowledgment number 0
	0x60, 0x02, 0xfa, 0xf0, // data offset 6, SYN, window 64240
	0xdd, 0x0a, 0x00, 0x00, // checksum, urgent pointer
	0x02, 0x04, 0x05, 0xb4, // MSS 1460
}

// goldenUnreachReply is what goldenUnreach decodes to.
var goldenUnreachReply = Reply{SrcIP: labTarget4, DstIP: labScanner4, SrcPort: 80, DstPort: 61000, Seq: 0x11223344, TTL: 64, Code: 3, Kind: KindUnreach}

// TestGoldenUnreach decodes the golden unreachable, checks that it is the
// message gopacket builds, checksums included, and that its quote is the
// probe Template.Put builds.
func TestGoldenUnreach(t *testing.T) {
	if r, ok := NewDecoder(layers.LayerTypeEthernet).Decode(goldenUnreach); !ok || r != goldenUnreachReply {
		t.Fatalf("Decode = %+v, %v; want %+v", r, ok, goldenUnreachReply)
	}
	probe := mustTemplate(t).Put(make([]byte, SYNLen), labTarget, 80, 0x11223344)
	if got := goldenUnreach[14+20+8:]; string(got) != string(probe) {
		t.Errorf("quote\n got % x\nwant % x", got, probe)
	}
	built := unreachFrame(t, unreachOpts{code: 3, quote: probe, tos: 0xc0, id: 0x1234, ttl: 64})
	if string(built) != string(goldenUnreach) {
		t.Errorf("gopacket builds\n% x\nthe golden packet is\n% x", built, goldenUnreach)
	}
}

// unreachOpts describe an ICMP message from the lab target (or from) to
// the scanner (or to).
type unreachOpts struct {
	typ, code uint8
	quote     []byte
	from, to  net.IP
	tos       uint8
	id        uint16
	ttl       uint8
	options   []layers.IPv4Option // of the ICMP message's IP header
	fragment  uint16
}

// unreachFrame builds, with gopacket, an Ethernet frame holding an ICMP
// message with o's fields around o.quote.
func unreachFrame(t testing.TB, o unreachOpts) []byte {
	t.Helper()
	if o.typ == 0 {
		o.typ = uint8(layers.ICMPv4TypeDestinationUnreachable)
	}
	if o.from == nil {
		o.from = net.IPv4(198, 18, 1, 5).To4()
	}
	if o.to == nil {
		o.to = net.IPv4(198, 19, 0, 1).To4()
	}
	if o.ttl == 0 {
		o.ttl = 63
	}
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TOS: o.tos, Id: o.id, TTL: o.ttl, Protocol: layers.IPProtocolICMPv4, SrcIP: o.from, DstIP: o.to, Options: o.options, FragOffset: o.fragment}
	icmp := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(o.typ, o.code)}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, icmp, gopacket.Payload(o.quote)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// quoted returns the probe from 198.19.0.1:61000 to 198.18.1.5:80 with
// sequence number seq, as gopacket builds it, after edit has changed its
// headers.
func quoted(t testing.TB, seq uint32, edit func(*layers.IPv4, *layers.TCP)) []byte {
	t.Helper()
	ip := &layers.IPv4{Version: 4, TTL: 64, Flags: layers.IPv4DontFragment, Protocol: layers.IPProtocolTCP,
		SrcIP: net.IPv4(198, 19, 0, 1).To4(), DstIP: net.IPv4(198, 18, 1, 5).To4()}
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

// TestDecodeUnreach decodes ICMP messages that gopacket builds: every
// code with a whole or a minimal quote, quotes with IP options, and what
// must not decode.
func TestDecodeUnreach(t *testing.T) {
	probe := quoted(t, 0x11223344, nil)
	minimal := probe[:20+8] // IP header and 8 bytes of TCP: all RFC 792 asks
	routerAlert := []layers.IPv4Option{{OptionType: 148, OptionLength: 4, OptionData: []byte{0, 0}}}
	recordRoute := []layers.IPv4Option{{OptionType: 7, OptionLength: 39, OptionData: append([]byte{4}, make([]byte, 36)...)}, {OptionType: 0}}
	withOptions := quoted(t, 0x11223344, func(ip *layers.IPv4, _ *layers.TCP) { ip.Options = recordRoute })
	want := Reply{SrcIP: labTarget4, DstIP: labScanner4, SrcPort: 80, DstPort: 61000, Seq: 0x11223344, TTL: 63, Kind: KindUnreach}
	tests := []struct {
		name string
		o    unreachOpts
		ok   bool
		code uint8
		seq  uint32
	}{
		{name: "net unreachable", o: unreachOpts{code: 0, quote: probe}, ok: true},
		{name: "host unreachable", o: unreachOpts{code: 1, quote: probe}, ok: true},
		{name: "protocol unreachable", o: unreachOpts{code: 2, quote: probe}, ok: true},
		{name: "port unreachable", o: unreachOpts{code: 3, quote: probe}, ok: true},
		{name: "fragmentation needed (decoded; the engine ignores the code)", o: unreachOpts{code: 4, quote: probe}, ok: true},
		{name: "net prohibited", o: unreachOpts{code: 9, quote: probe}, ok: true},
		{name: "host prohibited", o: unreachOpts{code: 10, quote: probe}, ok: true},
		{name: "admin prohibited", o: unreachOpts{code: 13, quote: probe}, ok: true},
		{name: "from a router", o: unreachOpts{code: 1, quote: probe, from: net.IPv4(203, 0, 113, 1).To4()}, ok: true},
		{name: "minimal quote", o: unreachOpts{code: 3, quote: minimal}, ok: true},
		{name: "quote with IP options", o: unreachOpts{code: 13, quote: withOptions}, ok: true},
		{name: "quote with IP options, minimal", o: unreachOpts{code: 13, quote: withOptions[:60+8]}, ok: true},
		{name: "router alert on the ICMP message", o: unreachOpts{code: 3, quote: probe, options: routerAlert}, ok: true},
		{name: "another sequence number", o: unreachOpts{code: 3, quote: quoted(t, 7, nil)}, ok: true, seq: 7},
		{name: "quote with IP options, cut in the TCP header", o: unreachOpts{code: 13, quote: withOptions[:60+7]}},
		{name: "quote cut in the TCP header", o: unreachOpts{code: 3, quote: probe[:27]}},
		{name: "quote cut in the IP header", o: unreachOpts{code: 3, quote: probe[:19]}},
		{name: "empty quote", o: unreachOpts{code: 3}},
		{name: "quote of UDP", o: unreachOpts{code: 3, quote: quoted(t, 1, func(ip *layers.IPv4, _ *layers.TCP) { ip.Protocol = layers.IPProtocolUDP })}},
		{name: "quote of a later fragment", o: unreachOpts{code: 3, quote: quoted(t, 1, func(ip *layers.IPv4, _ *layers.TCP) { ip.FragOffset = 3 })}},
		{name: "quote of another host's probe", o: unreachOpts{code: 3, quote: quoted(t, 1, func(ip *layers.IPv4, _ *layers.TCP) { ip.SrcIP = net.IPv4(198, 19, 0, 9).To4() })}},
		{name: "quote with IHL 4", o: unreachOpts{code: 3, quote: append([]byte{0x44}, probe[1:]...)}},
		{name: "quote of IPv6", o: unreachOpts{code: 3, quote: append([]byte{0x65}, probe[1:]...)}},
		{name: "time exceeded", o: unreachOpts{typ: uint8(layers.ICMPv4TypeTimeExceeded), quote: probe}},
		{name: "echo reply", o: unreachOpts{typ: uint8(layers.ICMPv4TypeEchoReply)}},
		{name: "redirect", o: unreachOpts{typ: uint8(layers.ICMPv4TypeRedirect), code: 1, quote: probe}},
		{name: "ICMP message fragment", o: unreachOpts{code: 3, quote: probe, fragment: 10}},
	}
	d := NewDecoder(layers.LayerTypeEthernet)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := d.Decode(unreachFrame(t, tt.o))
			if !tt.ok {
				if ok {
					t.Fatalf("decoded %+v, want no reply", r)
				}
				return
			}
			w := want
			w.Code = tt.o.code
			if tt.seq != 0 {
				w.Seq = tt.seq
			}
			if !ok || r != w {
				t.Fatalf("Decode = %+v, %v; want %+v", r, ok, w)
			}
		})
	}
}

// TestDecodeUnreachCut cuts the golden unreachable at every length, as a
// capture's snapshot length would: it decodes once the quoted sequence
// number is whole, and not before.
func TestDecodeUnreachCut(t *testing.T) {
	d := NewDecoder(layers.LayerTypeEthernet)
	need := 14 + 20 + 8 + 20 + 8
	for n := range len(goldenUnreach) + 1 {
		_, ok := d.Decode(goldenUnreach[:n])
		if ok != (n >= need) {
			t.Errorf("cut to %d bytes: decoded %v, want %v", n, ok, n >= need)
		}
	}
}

func TestDecodeUnreachDoesNotAllocate(t *testing.T) {
	d := NewDecoder(layers.LayerTypeEthernet)
	if n := testing.AllocsPerRun(1000, func() { d.Decode(goldenUnreach) }); n != 0 {
		t.Errorf("Decode allocates %v times per unreachable", n)
	}
	junk := unreachFrame(t, unreachOpts{typ: uint8(layers.ICMPv4TypeEchoReply)})
	if n := testing.AllocsPerRun(1000, func() { d.Decode(junk) }); n != 0 {
		t.Errorf("Decode allocates %v times per other ICMP message", n)
	}
}

// FuzzDecodeUnreach feeds arbitrary frames to the decoder: it must never
// panic, and whatever it takes for an unreachable must agree with
// gopacket's decoder on the ICMP or ICMPv6 message and with x/net/ipv4's
// or x/net/ipv6's header parser on the quote, which gopacket would reject
// for malformed IP options that do not matter here.
func FuzzDecodeUnreach(f *testing.F) {
	f.Add(goldenUnreach)
	f.Add(unreachFrame(f, unreachOpts{code: 13, quote: quoted(f, 9, func(ip *layers.IPv4, _ *layers.TCP) {
		ip.Options = []layers.IPv4Option{{OptionType: 148, OptionLength: 4, OptionData: []byte{0, 0}}}
	})[:24+8]}))
	f.Add(goldenUnreach[:14+20+8+27])
	for _, frame := range labReplies(f) {
		f.Add(frame)
	}
	f.Add(goldenUnreach6)
	f.Add(goldenUnreach6Cut)
	f.Add(icmpFrame6(f, icmp6Opts{code: 1, quote: quoted6(f, 9, nil)[:40+8], from: addr6("2001:2:ff::1")}))
	f.Add(icmpFrame6(f, icmp6Opts{code: 7, quote: quoted6(f, 9, nil)}))
	d := NewDecoder(layers.LayerTypeEthernet)
	f.Fuzz(func(t *testing.T, frame []byte) {
		r, ok := d.Decode(frame)
		if !ok || r.Kind != KindUnreach {
			return
		}
		p := gopacket.NewPacket(frame, layers.LayerTypeEthernet, gopacket.NoCopy)
		if r.DstIP.Is4() {
			checkUnreach4(t, r, p)
		} else {
			checkUnreach6(t, r, p)
		}
	})
}

// checkUnreach4 checks r, an IPv4 unreachable that Decode took, against
// gopacket's decoding of its frame, p, and x/net/ipv4's of its quote.
func checkUnreach4(t *testing.T, r Reply, p gopacket.Packet) {
	t.Helper()
	ip, _ := carrier(p, layers.LayerTypeICMPv4).(*layers.IPv4)
	icmp, _ := p.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4)
	if ip == nil || icmp == nil || icmp.TypeCode.Type() != layers.ICMPv4TypeDestinationUnreachable || icmp.TypeCode.Code() != r.Code || ip.TTL != r.TTL {
		t.Fatalf("Decode took %+v, gopacket finds ip %v icmp %v", r, ip, icmp)
	}
	h, err := ipv4.ParseHeader(icmp.Payload)
	if err != nil || h.Version != 4 || h.Protocol != int(layers.IPProtocolTCP) || h.FragOff != 0 || len(icmp.Payload) < h.Len+8 ||
		!h.Src.Equal(ip.DstIP) || !h.Src.Equal(addr(r.DstIP)) || !h.Dst.Equal(addr(r.SrcIP)) || !r.SrcIP.Is4() {
		t.Fatalf("Decode took %+v, x/net/ipv4 reads the quote as %+v, %v", r, h, err)
	}
	checkQuotedTCP(t, r, icmp.Payload[h.Len:])
}

// checkUnreach6 checks r, an ICMPv6 unreachable that Decode took, against
// gopacket's decoding of its frame, p, and x/net/ipv6's of its quote,
// which follows the message body's 4 unused bytes.
func checkUnreach6(t *testing.T, r Reply, p gopacket.Packet) {
	t.Helper()
	ip, _ := carrier(p, layers.LayerTypeICMPv6).(*layers.IPv6)
	icmp, _ := p.Layer(layers.LayerTypeICMPv6).(*layers.ICMPv6)
	if ip == nil || icmp == nil || ip.HopByHop != nil || icmp.TypeCode.Type() != layers.ICMPv6TypeDestinationUnreachable || ip.HopLimit != r.TTL {
		t.Fatalf("Decode took %+v, gopacket finds ip %v icmp %v", r, ip, icmp)
	}
	if want := icmp.TypeCode.Code(); r.Code != want {
		t.Fatalf("Decode took ICMPv6 code %d as %d", want, r.Code)
	}
	if len(icmp.Payload) < 4+ipv6.HeaderLen+8 {
		t.Fatalf("Decode took %+v from an ICMPv6 body of %d bytes", r, len(icmp.Payload))
	}
	quote := icmp.Payload[4:]
	h, err := ipv6.ParseHeader(quote)
	if err != nil || h.Version != 6 || h.NextHeader != int(layers.IPProtocolTCP) ||
		!h.Src.Equal(ip.DstIP) || !h.Src.Equal(addr(r.DstIP)) || !h.Dst.Equal(addr(r.SrcIP)) || r.SrcIP.Is4() || r.DstIP.Is4() {
		t.Fatalf("Decode took %+v, x/net/ipv6 reads the quote as %+v, %v", r, h, err)
	}
	checkQuotedTCP(t, r, quote[ipv6.HeaderLen:])
}

// checkQuotedTCP checks r's ports and Seq against the start of a quoted
// TCP header.
func checkQuotedTCP(t *testing.T, r Reply, tcp []byte) {
	t.Helper()
	if binary.BigEndian.Uint16(tcp) != r.DstPort || binary.BigEndian.Uint16(tcp[2:]) != r.SrcPort || binary.BigEndian.Uint32(tcp[4:]) != r.Seq {
		t.Fatalf("Decode took %+v, the quoted TCP header is % x", r, tcp)
	}
}

// addr returns a as a net.IP: 4 bytes for IPv4, 16 for IPv6.
func addr(a target.Addr) net.IP {
	return net.IP(a.Netip().AsSlice())
}

func BenchmarkDecodeUnreach(b *testing.B) {
	d := NewDecoder(layers.LayerTypeEthernet)
	b.SetBytes(int64(len(goldenUnreach)))
	b.ReportAllocs()
	for b.Loop() {
		d.Decode(goldenUnreach)
	}
}

// TestLabReplies decodes replies that Linux sent to trawl in the lab
// (testdata/lab-replies.pcap): nftables in the target namespace rejected
// probes to port 7 of 198.18.40.1-7 with ICMP codes 0, 1, 2, 3, 9, 10 and
// 13, 198.18.40.0 answered with a SYN-ACK and 198.18.40.8 with a RST. Each
// unreachable quotes the probe whole, byte for byte the one Template.Put
// builds for its sequence number.
func TestLabReplies(t *testing.T) {
	tpl, err := NewTemplate(labScanner, 61000)
	if err != nil {
		t.Fatal(err)
	}
	d := NewDecoder(layers.LayerTypeEthernet)
	// ICMP code: the last byte of the target that nftables rejected so.
	codes := map[uint8]uint32{0: 1, 1: 2, 2: 3, 3: 4, 9: 5, 10: 6, 13: 7}
	seen := map[Kind]int{}
	for _, frame := range labReplies(t) {
		r, ok := d.Decode(frame)
		if !ok || r.DstIP != labScanner4 || r.DstPort != 61000 || r.SrcPort != 7 || !r.SrcIP.Is4() || r.SrcIP.V4()>>8 != 0xc61228 || r.TTL != 64 {
			t.Fatalf("Decode(% x) = %+v, %v", frame, r, ok)
		}
		seen[r.Kind]++
		src := r.SrcIP.V4()
		switch r.Kind {
		case KindSYNACK:
			if src&0xff != 0 {
				t.Errorf("SYN-ACK from %v", r.SrcIP)
			}
		case KindRST:
			if src&0xff != 8 {
				t.Errorf("RST from %v", r.SrcIP)
			}
		case KindUnreach:
			if want := codes[r.Code]; src&0xff != want {
				t.Errorf("code %d from %v, want from .%d", r.Code, r.SrcIP, want)
			}
			probe := tpl.Put(make([]byte, SYNLen), src, r.SrcPort, r.Seq)
			if quote := frame[14+20+8:]; string(quote) != string(probe) {
				t.Errorf("code %d quotes\n% x\nwant the probe\n% x", r.Code, quote, probe)
			}
		}
	}
	if seen[KindUnreach] != 7 || seen[KindSYNACK] != 1 || seen[KindRST] != 1 {
		t.Errorf("decoded %v, want 7 unreachables, a SYN-ACK and a RST", seen)
	}
}

// labReplies returns the frames in testdata/lab-replies.pcap.
func labReplies(t testing.TB) [][]byte {
	t.Helper()
	f, err := os.Open("testdata/lab-replies.pcap")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var frames [][]byte
	for {
		frame, _, err := rd.ReadPacketData()
		if err == io.EOF {
			return frames
		}
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, frame)
	}
}
