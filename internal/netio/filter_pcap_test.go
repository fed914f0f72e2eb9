//go:build cgo && !nopcap

package netio

import (
	"net"
	"net/netip"
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
// expected verdict: for one source address and for two, on Ethernet
// frames, and on the bare IPv4 packets that a capture on every interface
// filters. Truncated rows cut the frame as a short capture would: loads
// past the end reject in either.
func TestFilterProgramAgreesWithPcap(t *testing.T) {
	us, second := netip.MustParseAddr("198.19.0.1"), netip.MustParseAddr("198.19.2.1")
	port := uint16(61000)
	flags := func(syn, ack, rst, fin bool) func(*layers.IPv4, *layers.TCP) {
		return func(_ *layers.IPv4, tcp *layers.TCP) {
			tcp.SYN, tcp.ACK, tcp.RST, tcp.FIN = syn, ack, rst, fin
		}
	}
	synACK := filterFrame(t, nil)
	ip6 := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP, SrcIP: net.ParseIP("2001:db8::9"), DstIP: net.ParseIP("2001:db8::1")}
	tcp6 := &layers.TCP{SrcPort: 80, DstPort: 61000, SYN: true, ACK: true}
	if err := tcp6.SetNetworkLayerForChecksum(ip6); err != nil {
		t.Fatal(err)
	}
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

	// Replies to the second source address, which pass where it is one
	// of ours.
	toSecond := func(ip *layers.IPv4, _ *layers.TCP) { ip.DstIP = second.AsSlice() }
	fromSecond := quotedProbe(t, func(ip *layers.IPv4, _ *layers.TCP) { ip.SrcIP = second.AsSlice() })
	seconds := []struct {
		name  string
		frame []byte
	}{
		{"SYN-ACK to the second source", filterFrame(t, toSecond)},
		{"RST to the second source", filterFrame(t, func(ip *layers.IPv4, tcp *layers.TCP) { toSecond(ip, tcp); tcp.SYN, tcp.RST = false, true })},
		{"ICMP unreachable to the second source quoting its probe", icmpFrame(t, func(ip *layers.IPv4) { ip.DstIP = second.AsSlice() }, layers.ICMPv4TypeDestinationUnreachable, 3, fromSecond)},
		{"ICMP unreachable to us quoting the second source's probe", unreach(3, fromSecond)},
	}

	tests := []struct {
		name  string
		frame []byte
		pass  bool
	}{
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
		{"IPv6 SYN-ACK to our port", serialize(t, ether(layers.EthernetTypeIPv6), ip6, tcp6), false},
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
	for _, c := range []struct {
		name string
		srcs []netip.Addr
		link LinkType
	}{
		{"one source, Ethernet", []netip.Addr{us}, LinkEthernet},
		{"two sources, Ethernet", []netip.Addr{second, us}, LinkEthernet},
		{"one source, raw IPv4", []netip.Addr{us}, LinkRaw},
		{"two sources, raw IPv4", []netip.Addr{us, second}, LinkRaw},
	} {
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
			rows := tests
			for _, sec := range seconds {
				rows = append(rows, struct {
					name  string
					frame []byte
					pass  bool
				}{sec.name, sec.frame, len(c.srcs) > 1})
			}
			for _, tt := range rows {
				if len(tt.frame) <= strip {
					continue // nothing past the Ethernet header
				}
				t.Run(tt.name, func(t *testing.T) {
					frame := tt.frame[strip:]
					// The frame as captured is frame; on the wire it was at
					// least as long as the SYN-ACK it may have been cut from.
					ci := gopacket.CaptureInfo{CaptureLength: len(frame), Length: max(len(frame), len(synACK)-strip)}
					pcapPass := bp.Matches(ci, frame)
					n, err := vm.Run(frame)
					if err != nil {
						t.Fatal(err)
					}
					if progPass := n > 0; pcapPass != tt.pass || progPass != tt.pass {
						t.Errorf("libpcap's filter passes it: %v; FilterProgram passes it: %v; want %v\n% x", pcapPass, progPass, tt.pass, frame)
					}
				})
			}
		})
	}
}

// TestFilterOnAny compiles Filter for libpcap's "any" device, Linux cooked
// frames, and runs it on a reply to each of two sources so framed.
func TestFilterOnAny(t *testing.T) {
	srcs := []netip.Addr{netip.MustParseAddr("198.19.0.1"), netip.MustParseAddr("198.19.2.1")}
	bp, err := pcap.NewBPF(layers.LinkTypeLinuxSLL, snapLen, Filter(srcs, 61000))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		to   netip.Addr
		pass bool
	}{{srcs[0], true}, {srcs[1], true}, {netip.MustParseAddr("198.19.0.2"), false}} {
		frame := filterFrame(t, func(ip *layers.IPv4, _ *layers.TCP) { ip.DstIP = c.to.AsSlice() })
		sll := append([]byte{0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 2, 0, 0, 0x08, 0x00}, frame[14:]...)
		if got := bp.Matches(gopacket.CaptureInfo{CaptureLength: len(sll), Length: len(sll)}, sll); got != c.pass {
			t.Errorf("SYN-ACK to %v: libpcap's filter passes it: %v, want %v", c.to, got, c.pass)
		}
	}
}
