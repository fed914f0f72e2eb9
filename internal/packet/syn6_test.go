package packet

import (
	"bytes"
	"net"
	"net/netip"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/trawlscan/trawl/pkg/target"
)

// The lab's IPv6 addresses, in the benchmarking prefix 2001:2::/48 (RFC
// 5180) as the IPv4 ones are in 198.18.0.0/15.
var (
	labScanner6 = addr6("2001:2::1")
	labTarget6  = addr6("2001:2::1:5")
)

// addr6 returns the target.Addr of an address in text form.
func addr6(s string) target.Addr { return target.FromNetip(netip.MustParseAddr(s)) }

func mustTemplate6(t testing.TB) *Template6 {
	t.Helper()
	tpl, err := NewTemplate6(labScanner6, 61000)
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

// goldenSYN6 is the IPv6 probe from [2001:2::1]:61000 to [2001:2::1:5]:80
// with the cookie 0x11223344, field by field.
var goldenSYN6 = []byte{
	0x60, 0x02, 0x33, 0x44, // version 6, traffic class 0, flow label 0x23344: the cookie's low 20 bits
	0x00, 0x18, // payload length 24
	0x06,                   // next header TCP
	0x40,                   // hop limit 64
	0x20, 0x01, 0x00, 0x02, // source 2001:2::1
	0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x01,
	0x20, 0x01, 0x00, 0x02, // destination 2001:2::1:5
	0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
	0x00, 0x01, 0x00, 0x05,
	0xee, 0x48, // source port 61000
	0x00, 0x50, // destination port 80
	0x11, 0x22, 0x33, 0x44, // sequence number: the cookie
	0x00, 0x00, 0x00, 0x00, // acknowledgment number 0
	0x60,       // data offset 6 (24 bytes)
	0x02,       // flags SYN
	0xfa, 0xf0, // window 64240
	0x2a, 0x3e, // checksum
	0x00, 0x00, // urgent pointer
	0x02, 0x04, 0x05, 0xa0, // option MSS 1440
}

// TestGoldenSYN6 pins the IPv6 probe's bytes, field by field.
func TestGoldenSYN6(t *testing.T) {
	got := mustTemplate6(t).Put(make([]byte, SYN6Len), labTarget6, 80, 0x11223344)
	if !bytes.Equal(got, goldenSYN6) {
		t.Fatalf("probe bytes\n got % x\nwant % x", got, goldenSYN6)
	}
}

// TestPut6MatchesGopacket checks every patched IPv6 probe against one that
// gopacket builds from scratch, its TCP checksum recomputed, and decodes
// it back.
func TestPut6MatchesGopacket(t *testing.T) {
	tpl := mustTemplate6(t)
	tests := []struct {
		name string
		ip   target.Addr
		port uint16
		seq  uint32
	}{
		{"zero", target.Addr{}, 0, 0},
		{"lab", labTarget6, 80, 0x11223344},
		{"all ones", addr6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 65535, 0xffffffff},
		{"carry heavy", addr6("fffe:fffe:fffe:fffe:fffe:fffe:fffe:fffe"), 0xfffe, 0xfffffffe},
		{"loopback", addr6("::1"), 1024, 1},
		{"global", addr6("2a00:1450:4001:82b::200e"), 443, 0x80000000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tpl.Put(make([]byte, SYN6Len), tt.ip, tt.port, tt.seq)
			want := reference6(t, tt.ip, tt.port, tt.seq)
			if !bytes.Equal(got, want) {
				t.Fatalf("patched probe differs from gopacket's\n got % x\nwant % x", got, want)
			}
			p := gopacket.NewPacket(got, layers.LayerTypeIPv6, gopacket.Default)
			ip, _ := p.Layer(layers.LayerTypeIPv6).(*layers.IPv6)
			tcp, _ := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
			if ip == nil || tcp == nil {
				t.Fatalf("gopacket could not decode the probe: %v", p.ErrorLayer())
			}
			if addr16(ip.DstIP) != tt.ip || addr16(ip.SrcIP) != labScanner6 || ip.HopLimit != 64 || ip.Length != SYN6Len-40 ||
				ip.FlowLabel != tt.seq&0xfffff || ip.TrafficClass != 0 || ip.HopByHop != nil {
				t.Errorf("IPv6 fields: %+v", ip)
			}
			if !tcp.SYN || tcp.ACK || tcp.RST || uint16(tcp.DstPort) != tt.port || tcp.Seq != tt.seq || tcp.SrcPort != 61000 || tcp.Window != 64240 {
				t.Errorf("TCP fields: %+v", tcp)
			}
			if len(tcp.Options) != 1 || tcp.Options[0].OptionType != layers.TCPOptionKindMSS || string(tcp.Options[0].OptionData) != "\x05\xa0" {
				t.Errorf("TCP options: %v", tcp.Options)
			}
		})
	}
}

// reference6 builds the IPv6 probe the slow way, with gopacket computing
// the TCP checksum.
func reference6(t *testing.T, dst target.Addr, port uint16, seq uint32) []byte {
	t.Helper()
	src, d := labScanner6.As16(), dst.As16()
	ip := &layers.IPv6{
		Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP, FlowLabel: seq & 0xfffff,
		SrcIP: net.IP(src[:]), DstIP: net.IP(d[:]),
	}
	tcp := &layers.TCP{
		SrcPort: 61000, DstPort: layers.TCPPort(port), Seq: seq, SYN: true, Window: 64240,
		Options: []layers.TCPOption{{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{0x05, 0xa0}}},
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

// TestNewTemplate6RejectsIPv4 checks that an IPv4 source, which would go
// on the wire as an IPv4-mapped address, is an error.
func TestNewTemplate6RejectsIPv4(t *testing.T) {
	if tpl, err := NewTemplate6(labScanner4, 61000); err == nil {
		t.Fatalf("NewTemplate6(%v) = %v, want an error", labScanner4, tpl)
	}
}

func TestPut6DoesNotAllocate(t *testing.T) {
	tpl := mustTemplate6(t)
	buf := make([]byte, SYN6Len)
	if n := testing.AllocsPerRun(1000, func() { tpl.Put(buf, labTarget6, 80, 42) }); n != 0 {
		t.Errorf("Put allocates %v times per IPv6 probe", n)
	}
}

func BenchmarkPut6(b *testing.B) {
	tpl := mustTemplate6(b)
	buf := make([]byte, SYN6Len)
	b.SetBytes(SYN6Len)
	b.ReportAllocs()
	dst := labTarget6
	var i uint32
	for b.Loop() {
		i++
		dst.Lo++
		tpl.Put(buf, dst, uint16(i), i*2654435761)
	}
}
