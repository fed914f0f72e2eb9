//go:build cgo && !nopcap

package netio

import (
	"encoding/binary"
	"net"
	"net/netip"
	"slices"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcap"
	"golang.org/x/net/bpf"
)

// filterFrame builds, with gopacket, an Ethernet frame carrying a TCP
// SYN-ACK from 198.18.0.9:80 to 198.19.0.1:61000, after edit has changed
// its headers.
func filterFrame(t *testing.T, edit func(*layers.IPv4, *layers.TCP)) []byte {
	t.Helper()
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: net.IPv4(198, 18, 0, 9).To4(), DstIP: net.IPv4(198, 19, 0, 1).To4()}
	tcp := &layers.TCP{SrcPort: 80, DstPort: 61000, SYN: true, ACK: true, Seq: 7, Ack: 5, Window: 65535}
	if edit != nil {
		edit(ip, tcp)
	}
	if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	return serialize(t, ether(layers.EthernetTypeIPv4), ip, tcp)
}

// quotedProbe builds, with gopacket, a probe from 198.19.0.1:61000 to
// 198.18.0.9:80 after edit has changed its headers, as an ICMP error
// quotes it.
func quotedProbe(t *testing.T, edit func(*layers.IPv4, *layers.TCP)) []byte {
	t.Helper()
	ip := &layers.IPv4{Version: 4, TTL: 64, Flags: layers.IPv4DontFragment, Protocol: layers.IPProtocolTCP, SrcIP: net.IPv4(198, 19, 0, 1).To4(), DstIP: net.IPv4(198, 18, 0, 9).To4()}
	tcp := &layers.TCP{SrcPort: 61000, DstPort: 80, SYN: true, Seq: 7, Window: 64240}
	if edit != nil {
		edit(ip, tcp)
	}
	if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	return serialize(t, ip, tcp)
}

// icmpFrame builds, with gopacket, an Ethernet frame carrying an ICMP
// message of type typ and code from 198.18.0.9 to 198.19.0.1 around quote,
// after edit has changed its IP header.
func icmpFrame(t *testing.T, edit func(*layers.IPv4), typ uint8, code uint8, quote []byte) []byte {
	t.Helper()
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolICMPv4, SrcIP: net.IPv4(198, 18, 0, 9).To4(), DstIP: net.IPv4(198, 19, 0, 1).To4()}
	if edit != nil {
		edit(ip)
	}
	icmp := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(typ, code)}
	return serialize(t, ether(layers.EthernetTypeIPv4), ip, icmp, gopacket.Payload(quote))
}

// The IPv6 addresses of the tests: us6 and second6 are the scanner's, and
// target6 is the scanned host.
var (
	us6     = netip.MustParseAddr("2001:db8::1")
	second6 = netip.MustParseAddr("2001:db8:2::1")
	target6 = netip.MustParseAddr("2001:db8::9")
)

// filterFrame6 builds, with gopacket, an Ethernet frame carrying a TCP
// SYN-ACK from [2001:db8::9]:80 to [2001:db8::1]:61000, after edit has
// changed its headers.
func filterFrame6(t *testing.T, edit func(*layers.IPv6, *layers.TCP)) []byte {
	t.Helper()
	ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP, SrcIP: target6.AsSlice(), DstIP: us6.AsSlice()}
	tcp := &layers.TCP{SrcPort: 80, DstPort: 61000, SYN: true, ACK: true, Seq: 7, Ack: 5, Window: 65535}
	if edit != nil {
		edit(ip, tcp)
	}
	if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	return serialize(t, ether(layers.EthernetTypeIPv6), ip, tcp)
}

// quotedProbe6 builds, with gopacket, a probe from [2001:db8::1]:61000 to
// [2001:db8::9]:80 after edit has changed its headers, as an ICMPv6 error
// quotes it.
func quotedProbe6(t *testing.T, edit func(*layers.IPv6, *layers.TCP)) []byte {
	t.Helper()
	ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP, SrcIP: us6.AsSlice(), DstIP: target6.AsSlice()}
	tcp := &layers.TCP{SrcPort: 61000, DstPort: 80, SYN: true, Seq: 7, Window: 64800}
	if edit != nil {
		edit(ip, tcp)
	}
	if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	return serialize(t, ip, tcp)
}

// icmp6Frame builds, with gopacket, an Ethernet frame carrying an ICMPv6
// message of type typ and code from 2001:db8::9 to 2001:db8::1: its 4
// bytes of header after the checksum, zero, and then body, after edit
// has changed its IPv6 header.
func icmp6Frame(t *testing.T, edit func(*layers.IPv6), typ uint8, code uint8, body []byte) []byte {
	t.Helper()
	ip := &layers.IPv6{Version: 6, HopLimit: 255, NextHeader: layers.IPProtocolICMPv6, SrcIP: target6.AsSlice(), DstIP: us6.AsSlice()}
	if edit != nil {
		edit(ip)
	}
	icmp := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(typ, code)}
	if err := icmp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	return serialize(t, ether(layers.EthernetTypeIPv6), ip, icmp, gopacket.Payload(append(make([]byte, 4), body...)))
}

// hopByHop returns a hop-by-hop options extension header, holding a
// router alert and 2 bytes of padding (PadN), before a header of type
// next.
func hopByHop(next layers.IPProtocol) *layers.IPv6HopByHop {
	h := &layers.IPv6HopByHop{Options: []*layers.IPv6HopByHopOption{{OptionType: 5, OptionLength: 2, OptionData: []byte{0, 0}}, {OptionType: 1}}}
	h.NextHeader = next
	return h
}

// behindFragmentHeader returns frame, an Ethernet frame of an IPv6 packet
// without extension headers, with a fragment extension header (RFC 8200,
// section 4.5) inserted before its payload: the first and only fragment.
func behindFragmentHeader(frame []byte) []byte {
	const ip = 14
	out := append([]byte(nil), frame[:ip+40]...)
	out = append(out, frame[ip+6], 0, 0, 0, 0, 0, 0x12, 0x34) // next header, reserved, offset 0 and M 0, identification
	out = append(out, frame[ip+40:]...)
	out[ip+6] = byte(layers.IPProtocolIPv6Fragment)
	binary.BigEndian.PutUint16(out[ip+4:], uint16(len(out)-ip-40))
	return out
}

// ether returns an Ethernet header from 02:00:00:00:00:02 to
// 02:00:00:00:00:01 for a payload of type et.
func ether(et layers.EthernetType) *layers.Ethernet {
	return &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, EthernetType: et}
}

// serialize returns the layers' bytes, lengths and checksums filled in.
func serialize(t *testing.T, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestFilterProgramAgreesWithPcap runs each frame through the two forms of
// the receive filter: Filter's string, compiled and run by libpcap as the
// pcap capture's kernel filter would be, and FilterProgram, which the ring
// capture attaches, in golang.org/x/net/bpf's VM. Both must give the
// expected verdict: for IPv4 sources, IPv6 sources and both, one of a
// family or two, and MaxSources of them; on Ethernet frames, and on the
// bare IP packets that a capture on every interface filters. A reply
// passes only where the address it is to is one of the sources. Truncated
// rows cut the frame as a short capture would: loads past the end reject
// in either.
func TestFilterProgramAgreesWithPcap(t *testing.T) {
	us, second := netip.MustParseAddr("198.19.0.1"), netip.MustParseAddr("198.19.2.1")
	port := uint16(61000)
	flags := func(syn, ack, rst, fin bool) func(*layers.IPv4, *layers.TCP) {
		return func(_ *layers.IPv4, tcp *layers.TCP) {
			tcp.SYN, tcp.ACK, tcp.RST, tcp.FIN = syn, ack, rst, fin
		}
	}
	synACK := filterFrame(t, nil)
	ip4 := func(p layers.IPProtocol) *layers.IPv4 {
		return &layers.IPv4{Version: 4, TTL: 64, Protocol: p, SrcIP: net.IPv4(198, 18, 0, 9).To4(), DstIP: net.IPv4(198, 19, 0, 1).To4()}
	}
	udpIP := ip4(layers.IPProtocolUDP)
	udp := &layers.UDP{SrcPort: 80, DstPort: 61000}
	if err := udp.SetNetworkLayerForChecksum(udpIP); err != nil {
		t.Fatal(err)
	}
	recordRoute := []layers.IPv4Option{{OptionType: 7, OptionLength: 39, OptionData: append([]byte{4}, make([]byte, 36)...)}, {OptionType: 0}}
	badIHL := filterFrame(t, nil)
	badIHL[14] = 0x44 // version 4, IHL 4: shorter than any IPv4 header

	// ICMP messages to 198.19.0.1 quoting a probe from it.
	probe := quotedProbe(t, nil)
	probeOpts := quotedProbe(t, func(ip *layers.IPv4, _ *layers.TCP) { ip.Options = recordRoute })
	unreach := func(code uint8, quote []byte) []byte {
		return icmpFrame(t, nil, layers.ICMPv4TypeDestinationUnreachable, code, quote)
	}
	portUnreach := unreach(3, probe)
	icmpOpts := icmpFrame(t, func(ip *layers.IPv4) {
		ip.Options = []layers.IPv4Option{{OptionType: 148, OptionLength: 4, OptionData: []byte{0, 0}}}
	}, layers.ICMPv4TypeDestinationUnreachable, 13, probeOpts)

	// Replies to the second source address.
	toSecond := func(ip *layers.IPv4, _ *layers.TCP) { ip.DstIP = second.AsSlice() }
	fromSecond := quotedProbe(t, func(ip *layers.IPv4, _ *layers.TCP) { ip.SrcIP = second.AsSlice() })
	seconds := []filterRow{
		{"SYN-ACK to the second source", filterFrame(t, toSecond), true},
		{"RST to the second source", filterFrame(t, func(ip *layers.IPv4, tcp *layers.TCP) { toSecond(ip, tcp); tcp.SYN, tcp.RST = false, true }), true},
		{"ICMP unreachable to the second source quoting its probe", icmpFrame(t, func(ip *layers.IPv4) { ip.DstIP = second.AsSlice() }, layers.ICMPv4TypeDestinationUnreachable, 3, fromSecond), true},
		{"ICMP unreachable to us quoting the second source's probe", unreach(3, fromSecond), true},
	}

	tests := []filterRow{
		{"SYN-ACK", synACK, true},
		{"RST", filterFrame(t, flags(false, false, true, false)), true},
		{"RST-ACK", filterFrame(t, flags(false, true, true, false)), true},
		{"SYN-RST", filterFrame(t, flags(true, false, true, false)), true},
		{"FIN-RST-ACK", filterFrame(t, flags(false, true, true, true)), true},
		{"SYN-ACK with ECE and CWR", filterFrame(t, func(_ *layers.IPv4, tcp *layers.TCP) { tcp.ECE, tcp.CWR = true, true }), true},
		{"SYN-ACK with every flag", filterFrame(t, func(_ *layers.IPv4, tcp *layers.TCP) {
			tcp.FIN, tcp.RST, tcp.PSH, tcp.URG, tcp.ECE, tcp.CWR, tcp.NS = true, true, true, true, true, true, true
		}), true},
		{"SYN-ACK with TCP options", filterFrame(t, func(_ *layers.IPv4, tcp *layers.TCP) {
			tcp.Options = []layers.TCPOption{{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{0x05, 0xb4}}, {OptionType: layers.TCPOptionKindSACKPermitted, OptionLength: 2}}
		}), true},
		{"SYN-ACK padded to 60 bytes", append(filterFrame(t, nil), make([]byte, 6)...), true},
		{"SYN-ACK, DF", filterFrame(t, func(ip *layers.IPv4, _ *layers.TCP) { ip.Flags = layers.IPv4DontFragment }), true},
		{"SYN-ACK, first fragment (MF, offset 0)", filterFrame(t, func(ip *layers.IPv4, _ *layers.TCP) { ip.Flags = layers.IPv4MoreFragments }), true},
		{"later fragment (offset 100)", filterFrame(t, func(ip *layers.IPv4, _ *layers.TCP) { ip.FragOffset = 100 }), false},
		{"last fragment (offset 1)", filterFrame(t, func(ip *layers.IPv4, _ *layers.TCP) { ip.FragOffset = 1 }), false},
		{"SYN-ACK, IHL 6 (router alert)", filterFrame(t, func(ip *layers.IPv4, _ *layers.TCP) {
			ip.Options = []layers.IPv4Option{{OptionType: 148, OptionLength: 4, OptionData: []byte{0, 0}}}
		}), true},
		{"RST, IHL 15 (record route)", filterFrame(t, func(ip *layers.IPv4, tcp *layers.TCP) {
			tcp.SYN, tcp.RST = false, true
			ip.Options = recordRoute
		}), true},
		{"ACK, IHL 15 (record route)", filterFrame(t, func(ip *layers.IPv4, tcp *layers.TCP) {
			tcp.SYN = false
			ip.Options = recordRoute
		}), false},
		{"IHL 4", badIHL, false},
		{"SYN", filterFrame(t, flags(true, false, false, false)), false},
		{"ACK", filterFrame(t, flags(false, true, false, false)), false},
		{"FIN", filterFrame(t, flags(false, false, false, true)), false},
		{"FIN-ACK", filterFrame(t, flags(false, true, false, true)), false},
		{"no flags", filterFrame(t, flags(false, false, false, false)), false},
		{"SYN-ACK to another address", filterFrame(t, func(ip *layers.IPv4, _ *layers.TCP) { ip.DstIP = net.IPv4(198, 19, 0, 2).To4() }), false},
		{"SYN-ACK from our address and port", filterFrame(t, func(ip *layers.IPv4, tcp *layers.TCP) {
			ip.SrcIP, ip.DstIP = ip.DstIP, ip.SrcIP
			tcp.SrcPort, tcp.DstPort = tcp.DstPort, tcp.SrcPort
		}), false},
		{"SYN-ACK to another port", filterFrame(t, func(_ *layers.IPv4, tcp *layers.TCP) { tcp.DstPort = 61001 }), false},
		{"SYN-ACK to port 0", filterFrame(t, func(_ *layers.IPv4, tcp *layers.TCP) { tcp.DstPort = 0 }), false},
		// The payload puts SYN, ACK and RST (0x16) where TCP's flags would be.
		{"UDP to our port", serialize(t, ether(layers.EthernetTypeIPv4), udpIP, udp, gopacket.Payload{0, 0, 0, 0, 0, 0x16, 0, 0}), false},
		{"ICMP port unreachable quoting a SYN-ACK", serialize(t, ether(layers.EthernetTypeIPv4), ip4(layers.IPProtocolICMPv4),
			&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeDestinationUnreachable, layers.ICMPv4CodePort)},
			gopacket.Payload(synACK[14:42])), false},
		{"ICMP port unreachable quoting our probe", portUnreach, true},
		{"ICMP net unreachable quoting our probe", unreach(0, probe), true},
		{"ICMP admin prohibited quoting our probe", unreach(13, probe), true},
		{"ICMP fragmentation needed quoting our probe (the engine ignores the code)", unreach(4, probe), true},
		{"ICMP unreachable quoting 8 bytes of our probe's TCP", unreach(3, probe[:28]), true},
		{"ICMP unreachable quoting our probe's source port only", unreach(3, probe[:22]), true},
		{"ICMP unreachable, both IP headers with options", icmpOpts, true},
		{"ICMP unreachable, quote with options, cut in the source port", unreach(13, probeOpts[:61]), false},
		{"ICMP unreachable, quote cut in the source port", unreach(3, probe[:21]), false},
		{"ICMP unreachable, quote cut before the source address", unreach(3, probe[:15]), false},
		{"ICMP unreachable with no quote", unreach(3, nil), false},
		{"ICMP port unreachable cut in the ICMP header", portUnreach[:34+1], false},
		{"ICMP unreachable quoting another source port", unreach(3, quotedProbe(t, func(_ *layers.IPv4, tcp *layers.TCP) { tcp.SrcPort = 61001 })), false},
		{"ICMP unreachable quoting another source address", unreach(3, quotedProbe(t, func(ip *layers.IPv4, _ *layers.TCP) { ip.SrcIP = net.IPv4(198, 19, 0, 2).To4() })), false},
		{"ICMP unreachable quoting UDP", unreach(3, quotedProbe(t, func(ip *layers.IPv4, _ *layers.TCP) { ip.Protocol = layers.IPProtocolUDP })), false},
		{"ICMP unreachable to another address", icmpFrame(t, func(ip *layers.IPv4) { ip.DstIP = net.IPv4(198, 19, 0, 2).To4() }, layers.ICMPv4TypeDestinationUnreachable, 3, probe), false},
		{"ICMP unreachable, later fragment", icmpFrame(t, func(ip *layers.IPv4) { ip.FragOffset = 20 }, layers.ICMPv4TypeDestinationUnreachable, 3, probe), false},
		{"ICMP time exceeded quoting our probe", icmpFrame(t, nil, layers.ICMPv4TypeTimeExceeded, 0, probe), false},
		{"ICMP redirect quoting our probe", icmpFrame(t, nil, layers.ICMPv4TypeRedirect, 1, probe), false},
		{"ICMP echo reply", icmpFrame(t, nil, layers.ICMPv4TypeEchoReply, 0, probe), false},
		{"ARP", serialize(t, ether(layers.EthernetTypeARP), &layers.ARP{
			AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4, Operation: layers.ARPRequest,
			SourceHwAddress: []byte{2, 0, 0, 0, 0, 2}, SourceProtAddress: []byte{198, 18, 0, 9}, DstHwAddress: make([]byte, 6), DstProtAddress: []byte{198, 19, 0, 1},
		}), false},
		{"802.1Q-tagged SYN-ACK", serialize(t, ether(layers.EthernetTypeDot1Q), &layers.Dot1Q{VLANIdentifier: 5, Type: layers.EthernetTypeIPv4}, gopacket.Payload(synACK[14:])), false},
		{"SYN-ACK cut to one byte", synACK[:1], false},
		{"SYN-ACK cut in the Ethernet header", synACK[:13], false},
		{"SYN-ACK cut after the Ethernet header", synACK[:14], false},
		{"SYN-ACK cut in the destination address", synACK[:33], false},
		{"SYN-ACK cut after the IP header", synACK[:34], false},
		{"SYN-ACK cut in the destination port", synACK[:37], false},
		{"SYN-ACK cut before the flags", synACK[:47], false},
		{"SYN-ACK cut after the flags", synACK[:48], true},
	}
	tests6, seconds6 := filterRows6(t)
	// Each group passes only where its address is one of the sources.
	// Those with second6 among them also have us6, to which the last of
	// seconds6 is.
	groups := []struct {
		to   netip.Addr
		rows []filterRow
	}{{us, tests}, {second, seconds}, {us6, tests6}, {second6, seconds6}}

	// MaxSources addresses, of both families, all but these four
	// unrelated to any frame.
	most := []netip.Addr{us, us6, second, second6}
	for i := 0; len(most) < MaxSources; i++ {
		most = append(most, netip.AddrFrom4([4]byte{198, 19, 100, byte(i)}), netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 0x64, 15: byte(i)}))
	}
	most = most[:MaxSources]
	type sources struct {
		name string
		srcs []netip.Addr
		link LinkType
	}
	var cases []sources
	for _, link := range []struct {
		name string
		link LinkType
	}{{"Ethernet", LinkEthernet}, {"raw IP", LinkRaw}} {
		for _, set := range []struct {
			name string
			srcs []netip.Addr
		}{
			{"one IPv4 source", []netip.Addr{us}},
			{"two IPv4 sources", []netip.Addr{second, us}},
			{"one IPv6 source", []netip.Addr{us6}},
			{"two IPv6 sources", []netip.Addr{us6, second6}},
			{"IPv4 and IPv6 sources", []netip.Addr{us, us6}},
			{"two of each family", []netip.Addr{second6, us, second, us6}},
			{"MaxSources sources", most},
		} {
			cases = append(cases, sources{set.name + ", " + link.name, set.srcs, link.link})
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// DLT_RAW, whose code checks the IP version as FilterProgram
			// does for LinkRaw (LINKTYPE_RAW, 101, is its number in files).
			linkType, strip := layers.LinkTypeEthernet, 0
			if c.link == LinkRaw {
				linkType, strip = layers.LinkType(12), 14
			}
			bp, err := pcap.NewBPF(linkType, snapLen, Filter(c.srcs, port))
			if err != nil {
				t.Fatal(err)
			}
			prog, err := FilterProgram(c.link, c.srcs, port)
			if err != nil {
				t.Fatal(err)
			}
			ins := make([]bpf.Instruction, len(prog))
			for i, r := range prog {
				ins[i] = r.Disassemble()
			}
			vm, err := bpf.NewVM(ins)
			if err != nil {
				t.Fatal(err)
			}
			for _, g := range groups {
				ours := slices.Contains(c.srcs, g.to)
				for _, tt := range g.rows {
					if len(tt.frame) <= strip {
						continue // nothing past the Ethernet header
					}
					t.Run(tt.name, func(t *testing.T) {
						want := tt.pass && ours
						frame := tt.frame[strip:]
						// The frame as captured is frame; on the wire it was
						// at least as long as the SYN-ACK it may have been
						// cut from.
						ci := gopacket.CaptureInfo{CaptureLength: len(frame), Length: max(len(frame), len(synACK)-strip)}
						pcapPass := bp.Matches(ci, frame)
						n, err := vm.Run(frame)
						if err != nil {
							t.Fatal(err)
						}
						if progPass := n > 0; pcapPass != want || progPass != want {
							t.Errorf("libpcap's filter passes it: %v; FilterProgram passes it: %v; want %v\n% x", pcapPass, progPass, want, frame)
						}
					})
				}
			}
		})
	}
}

// filterRow is a frame for the receive filter, and whether it passes
// where the address it is to is one of the sources.
type filterRow struct {
	name  string
	frame []byte
	pass  bool
}

// filterRows6 returns IPv6 and ICMPv6 frames to 2001:db8::1 (us6), and
// replies to 2001:db8:2::1 (second6), for TestFilterProgramAgreesWithPcap.
func filterRows6(t *testing.T) (tests, seconds []filterRow) {
	t.Helper()
	flags := func(syn, ack, rst, fin bool) func(*layers.IPv6, *layers.TCP) {
		return func(_ *layers.IPv6, tcp *layers.TCP) {
			tcp.SYN, tcp.ACK, tcp.RST, tcp.FIN = syn, ack, rst, fin
		}
	}
	// Addresses that differ from us6 in one 32-bit word each.
	others := []string{"2001:db8::2", "2001:db8::1:0:0:1", "2001:db8:1::1", "2001:db9::1"}
	synACK := filterFrame6(t, nil)
	probe := quotedProbe6(t, nil)
	unreach := func(code uint8, quote []byte) []byte {
		return icmp6Frame(t, nil, layers.ICMPv6TypeDestinationUnreachable, code, quote)
	}
	portUnreach := unreach(layers.ICMPv6CodePortUnreachable, probe)
	udpIP := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolUDP, SrcIP: target6.AsSlice(), DstIP: us6.AsSlice()}
	udp := &layers.UDP{SrcPort: 80, DstPort: 61000}
	if err := udp.SetNetworkLayerForChecksum(udpIP); err != nil {
		t.Fatal(err)
	}

	noNext := append([]byte(nil), portUnreach...)
	noNext[14+6] = 59 // No Next Header: the bytes after the IPv6 header are not ICMPv6

	tests = []filterRow{
		{"IPv6 SYN-ACK", synACK, true},
		{"IPv6 RST", filterFrame6(t, flags(false, false, true, false)), true},
		{"IPv6 RST-ACK", filterFrame6(t, flags(false, true, true, false)), true},
		{"IPv6 SYN-RST", filterFrame6(t, flags(true, false, true, false)), true},
		{"IPv6 SYN-ACK with TCP options", filterFrame6(t, func(_ *layers.IPv6, tcp *layers.TCP) {
			tcp.Options = []layers.TCPOption{{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{0x05, 0xa0}}, {OptionType: layers.TCPOptionKindSACKPermitted, OptionLength: 2}}
		}), true},
		// The traffic class fills the low half of the version's byte.
		{"IPv6 SYN-ACK with traffic class and flow label", filterFrame6(t, func(ip *layers.IPv6, _ *layers.TCP) { ip.TrafficClass, ip.FlowLabel = 0xb8, 0xfffff }), true},
		{"IPv6 SYN", filterFrame6(t, flags(true, false, false, false)), false},
		{"IPv6 ACK", filterFrame6(t, flags(false, true, false, false)), false},
		{"IPv6 FIN-ACK", filterFrame6(t, flags(false, true, false, true)), false},
		{"IPv6 no flags", filterFrame6(t, flags(false, false, false, false)), false},
		{"IPv6 SYN-ACK to another port", filterFrame6(t, func(_ *layers.IPv6, tcp *layers.TCP) { tcp.DstPort = 61001 }), false},
		{"IPv6 SYN-ACK from our address and port", filterFrame6(t, func(ip *layers.IPv6, tcp *layers.TCP) {
			ip.SrcIP, ip.DstIP = ip.DstIP, ip.SrcIP
			tcp.SrcPort, tcp.DstPort = tcp.DstPort, tcp.SrcPort
		}), false},
		// The payload puts SYN, ACK and RST (0x16) where TCP's flags would be.
		{"IPv6 UDP to our port", serialize(t, ether(layers.EthernetTypeIPv6), udpIP, udp, gopacket.Payload{0, 0, 0, 0, 0, 0x16, 0, 0}), false},
		{"IPv6 SYN-ACK behind a hop-by-hop header", filterFrame6(t, func(ip *layers.IPv6, _ *layers.TCP) { ip.HopByHop = hopByHop(layers.IPProtocolTCP) }), false},
		{"IPv6 SYN-ACK behind a fragment header", behindFragmentHeader(synACK), false},
		{"IPv6 SYN-ACK cut in the IPv6 header's payload length", synACK[:14+5], false},
		{"IPv6 SYN-ACK cut in the destination address", synACK[:14+39], false},
		{"IPv6 SYN-ACK cut after the IPv6 header", synACK[:14+40], false},
		{"IPv6 SYN-ACK cut in the destination port", synACK[:14+43], false},
		{"IPv6 SYN-ACK cut before the flags", synACK[:14+53], false},
		{"IPv6 SYN-ACK cut after the flags", synACK[:14+54], true},

		{"ICMPv6 port unreachable quoting our probe", portUnreach, true},
		{"ICMPv6 no route quoting our probe", unreach(layers.ICMPv6CodeNoRouteToDst, probe), true},
		{"ICMPv6 admin prohibited quoting our probe", unreach(layers.ICMPv6CodeAdminProhibited, probe), true},
		{"ICMPv6 address unreachable quoting our probe", unreach(layers.ICMPv6CodeAddressUnreachable, probe), true},
		{"ICMPv6 unreachable quoting our probe's source port only", unreach(4, probe[:42]), true},
		{"ICMPv6 unreachable, quote cut in the source port", unreach(4, probe[:41]), false},
		{"ICMPv6 unreachable quoting the IPv6 header alone", unreach(4, probe[:40]), false},
		{"ICMPv6 unreachable, quote cut in the source address", unreach(4, probe[:20]), false},
		{"ICMPv6 unreachable with no quote", unreach(4, nil), false},
		{"ICMPv6 unreachable cut in the ICMPv6 header", portUnreach[:14+40+1], false},
		{"ICMPv6 unreachable quoting another source port", unreach(4, quotedProbe6(t, func(_ *layers.IPv6, tcp *layers.TCP) { tcp.SrcPort = 61001 })), false},
		{"ICMPv6 unreachable quoting UDP", unreach(4, quotedProbe6(t, func(ip *layers.IPv6, _ *layers.TCP) { ip.NextHeader = layers.IPProtocolUDP })), false},
		{"ICMPv6 unreachable quoting a probe behind a hop-by-hop header", unreach(4, quotedProbe6(t, func(ip *layers.IPv6, _ *layers.TCP) { ip.HopByHop = hopByHop(layers.IPProtocolTCP) })), false},
		{"ICMPv6 unreachable quoting a SYN-ACK to us", unreach(4, synACK[14:]), false},
		{"ICMPv6 unreachable behind a hop-by-hop header", icmp6Frame(t, func(ip *layers.IPv6) { ip.HopByHop = hopByHop(layers.IPProtocolICMPv6) }, layers.ICMPv6TypeDestinationUnreachable, 4, probe), false},
		{"ICMPv6 port unreachable quoting our probe, but under next header 59", noNext, false},
		// libpcap's icmp6 takes a fragment header before ICMPv6.
		{"ICMPv6 unreachable behind a fragment header", behindFragmentHeader(portUnreach), false},
		{"ICMPv6 packet too big quoting our probe", icmp6Frame(t, nil, layers.ICMPv6TypePacketTooBig, 0, probe), false},
		{"ICMPv6 time exceeded quoting our probe", icmp6Frame(t, nil, layers.ICMPv6TypeTimeExceeded, 0, probe), false},
		{"ICMPv6 parameter problem quoting our probe", icmp6Frame(t, nil, layers.ICMPv6TypeParameterProblem, 0, probe), false},
		{"ICMPv6 echo request", icmp6Frame(t, nil, layers.ICMPv6TypeEchoRequest, 0, probe), false},
		{"ICMPv6 echo reply", icmp6Frame(t, nil, layers.ICMPv6TypeEchoReply, 0, probe), false},
		{"ICMPv6 neighbor solicitation", icmp6Frame(t, nil, layers.ICMPv6TypeNeighborSolicitation, 0, us6.AsSlice()), false},
		{"ICMPv4 unreachable over IPv6 quoting our probe", serialize(t, ether(layers.EthernetTypeIPv6),
			&layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolICMPv4, SrcIP: target6.AsSlice(), DstIP: us6.AsSlice()},
			&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeDestinationUnreachable, layers.ICMPv4CodePort)},
			gopacket.Payload(probe)), false},
	}
	for _, other := range others {
		to := net.ParseIP(other)
		tests = append(tests,
			filterRow{"IPv6 SYN-ACK to " + other, filterFrame6(t, func(ip *layers.IPv6, _ *layers.TCP) { ip.DstIP = to }), false},
			filterRow{"ICMPv6 unreachable to " + other, icmp6Frame(t, func(ip *layers.IPv6) { ip.DstIP = to }, layers.ICMPv6TypeDestinationUnreachable, 4, probe), false},
			filterRow{"ICMPv6 unreachable quoting a probe from " + other, unreach(4, quotedProbe6(t, func(ip *layers.IPv6, _ *layers.TCP) { ip.SrcIP = to })), false},
		)
	}

	toSecond := func(ip *layers.IPv6, _ *layers.TCP) { ip.DstIP = second6.AsSlice() }
	fromSecond := quotedProbe6(t, func(ip *layers.IPv6, _ *layers.TCP) { ip.SrcIP = second6.AsSlice() })
	seconds = []filterRow{
		{"IPv6 SYN-ACK to the second source", filterFrame6(t, toSecond), true},
		{"IPv6 RST to the second source", filterFrame6(t, func(ip *layers.IPv6, tcp *layers.TCP) { toSecond(ip, tcp); tcp.SYN, tcp.RST = false, true }), true},
		{"ICMPv6 unreachable to the second source quoting its probe", icmp6Frame(t, func(ip *layers.IPv6) { ip.DstIP = second6.AsSlice() }, layers.ICMPv6TypeDestinationUnreachable, 4, fromSecond), true},
		{"ICMPv6 unreachable to us quoting the second source's probe", unreach(4, fromSecond), true},
	}
	return tests, seconds
}

// TestFilterOnAny compiles Filter for libpcap's "any" device, Linux cooked
// frames, and runs it on a reply to each of two IPv4 sources and one IPv6
// source so framed, and on replies to other addresses.
func TestFilterOnAny(t *testing.T) {
	srcs := []netip.Addr{netip.MustParseAddr("198.19.0.1"), netip.MustParseAddr("198.19.2.1"), us6}
	bp, err := pcap.NewBPF(layers.LinkTypeLinuxSLL, snapLen, Filter(srcs, 61000))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		to   netip.Addr
		pass bool
	}{{srcs[0], true}, {srcs[1], true}, {us6, true}, {netip.MustParseAddr("198.19.0.2"), false}, {second6, false}} {
		var frame []byte
		if c.to.Is4() {
			frame = filterFrame(t, func(ip *layers.IPv4, _ *layers.TCP) { ip.DstIP = c.to.AsSlice() })
		} else {
			frame = filterFrame6(t, func(ip *layers.IPv6, _ *layers.TCP) { ip.DstIP = c.to.AsSlice() })
		}
		// The cooked header: packet type, ARPHRD_ETHER, the address's
		// length and the address, padded to 8 bytes, and the EtherType.
		sll := append([]byte{0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 2, 0, 0}, frame[12:]...)
		if got := bp.Matches(gopacket.CaptureInfo{CaptureLength: len(sll), Length: len(sll)}, sll); got != c.pass {
			t.Errorf("SYN-ACK to %v: libpcap's filter passes it: %v, want %v", c.to, got, c.pass)
		}
	}
}

// TestFilterAtMaxSources compiles Filter with libpcap for MaxSources
// addresses of each family and of both, and checks that the program fits
// in the kernel's limit of 4,096 instructions (BPF_MAXINSNS) on each
// link type the pcap capture reports.
func TestFilterAtMaxSources(t *testing.T) {
	var v4, v6, both []netip.Addr
	for i := range MaxSources {
		v4 = append(v4, netip.AddrFrom4([4]byte{198, 19, byte(i), 1}))
		v6 = append(v6, netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 5: byte(i), 15: 1}))
		if i%2 == 0 {
			both = append(both, v4[i])
		} else {
			both = append(both, v6[i])
		}
	}
	for _, srcs := range [][]netip.Addr{v4, v6, both} {
		for _, link := range []layers.LinkType{layers.LinkTypeEthernet, layers.LinkType(12), layers.LinkTypeLinuxSLL} {
			ins, err := pcap.CompileBPFFilter(link, snapLen, Filter(srcs, 61000))
			if err != nil {
				t.Fatal(err)
			}
			if len(ins) > 4096 {
				t.Errorf("%d sources, %d of them IPv6, link %v: %d instructions, more than the kernel takes", len(srcs), countIPv6(srcs), link, len(ins))
			}
		}
	}
}

// countIPv6 returns how many of addrs are IPv6 addresses.
func countIPv6(addrs []netip.Addr) int {
	n := 0
	for _, a := range addrs {
		if a.Is6() {
			n++
		}
	}
	return n
}
