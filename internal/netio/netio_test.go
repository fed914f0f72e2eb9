package netio

import (
	"errors"
	"net"
	"net/netip"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"golang.org/x/net/bpf"
)

// fakeWriter accepts at most per messages per call and fails the first
// call with failFirst, recording the destinations it saw.
type fakeWriter struct {
	per       int
	failFirst error
	calls     int
	dsts      []string
}

func (f *fakeWriter) WriteBatch(pkts [][]byte) (int, error) {
	f.calls++
	if f.failFirst != nil && f.calls == 1 {
		return 0, f.failFirst
	}
	n := min(f.per, len(pkts))
	for _, p := range pkts[:n] {
		f.dsts = append(f.dsts, net.IP(p[16:20]).String())
	}
	return n, nil
}

func packetTo(a, b, c, d byte) []byte {
	p := make([]byte, 44)
	p[0] = 0x45
	copy(p[16:20], []byte{a, b, c, d})
	return p
}

func TestSenderPartialBatches(t *testing.T) {
	w := &fakeWriter{per: 2, failFirst: syscall.ENOBUFS}
	s := NewSender(w, 8)
	pkts := [][]byte{packetTo(198, 18, 0, 1), packetTo(198, 18, 0, 2), packetTo(198, 18, 0, 3), packetTo(198, 18, 0, 4), packetTo(198, 18, 0, 5)}
	n, err := s.Send(pkts)
	if err != nil || n != 5 {
		t.Fatalf("Send = %d, %v; want 5, nil", n, err)
	}
	want := []string{"198.18.0.1", "198.18.0.2", "198.18.0.3", "198.18.0.4", "198.18.0.5"}
	if len(w.dsts) != len(want) {
		t.Fatalf("sent to %v, want %v", w.dsts, want)
	}
	for i := range want {
		if w.dsts[i] != want[i] {
			t.Fatalf("sent to %v, want %v", w.dsts, want)
		}
	}
	if w.calls != 4 { // ENOBUFS, then 2+2+1
		t.Errorf("WriteBatch called %d times, want 4", w.calls)
	}
}

func TestSenderErrors(t *testing.T) {
	s := NewSender(&fakeWriter{per: 1, failFirst: syscall.EBADF}, 2)
	if _, err := s.Send([][]byte{packetTo(1, 2, 3, 4)}); !errors.Is(err, syscall.EBADF) {
		t.Errorf("Send error = %v, want EBADF", err)
	}
	// A firewall's EPERM concerns one packet: skip it, send the rest.
	w := &fakeWriter{per: 8, failFirst: syscall.EPERM}
	if n, err := NewSender(w, 2).Send([][]byte{packetTo(1, 2, 3, 4), packetTo(1, 2, 3, 5)}); n != 1 || err != nil || w.dsts[0] != "1.2.3.5" {
		t.Errorf("Send after EPERM = %d, %v, sent to %v; want 1, nil, [1.2.3.5]", n, err, w.dsts)
	}
	// A vanished interface stops the scan, naming it.
	gone := NewSender(&fakeWriter{per: 1, failFirst: syscall.ENXIO}, 2)
	gone.dev = "trl-x-s"
	if _, err := gone.Send([][]byte{packetTo(1, 2, 3, 4)}); err == nil || !strings.Contains(err.Error(), "send on trl-x-s") || !strings.Contains(err.Error(), "go away") {
		t.Errorf("Send error = %v, want one naming trl-x-s", err)
	}
	if _, err := s.Send(make([][]byte, 3)); err == nil {
		t.Error("Send accepted more packets than the batch holds")
	}
	if _, err := s.Send([][]byte{{0x45}}); err == nil {
		t.Error("Send accepted a 1-byte packet")
	}
}

func TestSenderDoesNotAllocate(t *testing.T) {
	s := NewSender(&fakeWriter{per: 64}, 64)
	pkts := make([][]byte, 64)
	for i := range pkts {
		pkts[i] = packetTo(198, 18, 0, byte(i))
	}
	w := s.w.(*fakeWriter)
	if n := testing.AllocsPerRun(100, func() {
		w.dsts = w.dsts[:0]
		_, _ = s.Send(pkts)
	}); n > 0 {
		// The fake's String calls allocate; measure the Sender alone.
		s.w = nopWriter{}
		if n := testing.AllocsPerRun(100, func() { _, _ = s.Send(pkts) }); n != 0 {
			t.Fatalf("Send allocates %v times per batch", n)
		}
	}
}

type nopWriter struct{}

func (nopWriter) WriteBatch(pkts [][]byte) (int, error) { return len(pkts), nil }

// frame builds an Ethernet frame from 198.18.0.9:80 to dst:dport.
func frame(t *testing.T, dst net.IP, dport uint16, syn, ack, rst bool, frag bool) []byte {
	t.Helper()
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: net.IPv4(198, 18, 0, 9).To4(), DstIP: dst.To4(), Options: []layers.IPv4Option{{OptionType: 1}, {OptionType: 1}, {OptionType: 1}, {OptionType: 0}}}
	if frag {
		ip.FragOffset = 100
	}
	tcp := &layers.TCP{SrcPort: 80, DstPort: layers.TCPPort(dport), SYN: syn, ACK: ack, RST: rst, Ack: 5}
	if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, tcp); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// unreachTo builds an Ethernet frame carrying an ICMP message of type typ
// from 198.18.0.9 to dst, quoting a probe from dst:sport to 198.18.0.9:80.
func unreachTo(t *testing.T, dst net.IP, typ uint8, sport uint16) []byte {
	t.Helper()
	probeIP := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: dst.To4(), DstIP: net.IPv4(198, 18, 0, 9).To4()}
	probe := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: 80, SYN: true, Seq: 7}
	if err := probe.SetNetworkLayerForChecksum(probeIP); err != nil {
		t.Fatal(err)
	}
	quote := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(quote, opts, probeIP, probe); err != nil {
		t.Fatal(err)
	}
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolICMPv4, SrcIP: net.IPv4(198, 18, 0, 9).To4(), DstIP: dst.To4()}
	icmp := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(typ, 3)}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, opts, eth, ip, icmp, gopacket.Payload(quote.Bytes())); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// frame6 builds an Ethernet frame from [2001:db8::9]:80 to dst:dport.
func frame6(t *testing.T, dst net.IP, dport uint16, syn, ack, rst bool) []byte {
	t.Helper()
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, EthernetType: layers.EthernetTypeIPv6}
	ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP, SrcIP: net.ParseIP("2001:db8::9"), DstIP: dst}
	tcp := &layers.TCP{SrcPort: 80, DstPort: layers.TCPPort(dport), SYN: syn, ACK: ack, RST: rst, Ack: 5}
	if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, tcp); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// unreach6To builds an Ethernet frame carrying an ICMPv6 message of type
// typ from 2001:db8::9 to dst, quoting a probe from [dst]:sport to
// [2001:db8::9]:80.
func unreach6To(t *testing.T, dst net.IP, typ uint8, sport uint16) []byte {
	t.Helper()
	probeIP := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP, SrcIP: dst, DstIP: net.ParseIP("2001:db8::9")}
	probe := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: 80, SYN: true, Seq: 7}
	if err := probe.SetNetworkLayerForChecksum(probeIP); err != nil {
		t.Fatal(err)
	}
	quote := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(quote, opts, probeIP, probe); err != nil {
		t.Fatal(err)
	}
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, EthernetType: layers.EthernetTypeIPv6}
	ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolICMPv6, SrcIP: net.ParseIP("2001:db8::9"), DstIP: dst}
	icmp := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(typ, 4)}
	if err := icmp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	buf := gopacket.NewSerializeBuffer()
	// The 4 bytes after the checksum are unused in an unreachable.
	if err := gopacket.SerializeLayers(buf, opts, eth, ip, icmp, gopacket.Payload(append(make([]byte, 4), quote.Bytes()...))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// filterVM assembles FilterProgram(link, srcs, port) into
// golang.org/x/net/bpf's VM.
func filterVM(t *testing.T, link LinkType, srcs []netip.Addr, port uint16) *bpf.VM {
	t.Helper()
	prog, err := FilterProgram(link, srcs, port)
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
	return vm
}

// TestFilterProgram runs IPv4 and IPv6 frames through FilterProgram's
// program for an IPv4 source, an IPv6 source and both: a reply passes
// only where the address it is to is a source.
func TestFilterProgram(t *testing.T) {
	us := net.IPv4(198, 19, 0, 1)
	us6 := net.ParseIP("2001:db8::1")
	tests := []struct {
		name  string
		frame []byte
		pass  bool
	}{
		{"SYN-ACK to us", frame(t, us, 61000, true, true, false, false), true},
		{"RST-ACK to us", frame(t, us, 61000, false, true, true, false), true},
		{"bare RST to us", frame(t, us, 61000, false, false, true, false), true},
		{"our own SYN reflected", frame(t, us, 61000, true, false, false, false), false},
		{"plain ACK", frame(t, us, 61000, false, true, false, false), false},
		{"other port", frame(t, us, 61001, true, true, false, false), false},
		{"other address", frame(t, net.IPv4(198, 19, 0, 2), 61000, true, true, false, false), false},
		{"fragment", frame(t, us, 61000, true, true, false, true), false},
		{"ARP", append(make([]byte, 12), 0x08, 0x06, 0, 0), false},
		{"ICMP unreachable quoting our probe", unreachTo(t, us, 3, 61000), true},
		{"ICMP unreachable quoting another port's probe", unreachTo(t, us, 3, 61001), false},
		{"ICMP unreachable to another address", unreachTo(t, net.IPv4(198, 19, 0, 2), 3, 61000), false},
		{"ICMP echo reply", unreachTo(t, us, 0, 61000), false},
	}
	tests6 := []struct {
		name  string
		frame []byte
		pass  bool
	}{
		{"IPv6 SYN-ACK to us", frame6(t, us6, 61000, true, true, false), true},
		{"IPv6 bare RST to us", frame6(t, us6, 61000, false, false, true), true},
		{"IPv6 SYN reflected", frame6(t, us6, 61000, true, false, false), false},
		{"IPv6 plain ACK", frame6(t, us6, 61000, false, true, false), false},
		{"IPv6 other port", frame6(t, us6, 61001, true, true, false), false},
		{"IPv6 other address", frame6(t, net.ParseIP("2001:db8::2"), 61000, true, true, false), false},
		{"IPv6 address differing in its first word", frame6(t, net.ParseIP("2001:db9::1"), 61000, true, true, false), false},
		{"ICMPv6 unreachable quoting our probe", unreach6To(t, us6, 1, 61000), true},
		{"ICMPv6 unreachable quoting another port's probe", unreach6To(t, us6, 1, 61001), false},
		{"ICMPv6 unreachable to another address", unreach6To(t, net.ParseIP("2001:db8::2"), 1, 61000), false},
		{"ICMPv6 echo reply", unreach6To(t, us6, 129, 61000), false},
	}
	v4, v6 := netip.MustParseAddr("198.19.0.1"), netip.MustParseAddr("2001:db8::1")
	for _, c := range []struct {
		name   string
		srcs   []netip.Addr
		v4, v6 bool
	}{
		{"IPv4 source", []netip.Addr{v4}, true, false},
		{"IPv6 source", []netip.Addr{v6}, false, true},
		{"both", []netip.Addr{v6, v4}, true, true},
	} {
		vm := filterVM(t, LinkEthernet, c.srcs, 61000)
		for _, g := range []struct {
			ours bool
			rows []struct {
				name  string
				frame []byte
				pass  bool
			}
		}{{c.v4, tests}, {c.v6, tests6}} {
			for _, tt := range g.rows {
				t.Run(c.name+"/"+tt.name, func(t *testing.T) {
					n, err := vm.Run(tt.frame)
					if err != nil {
						t.Fatal(err)
					}
					if want := tt.pass && g.ours; (n > 0) != want {
						t.Fatalf("filter returned %d, want pass=%v", n, want)
					}
				})
			}
		}
	}
}

// TestFilterProgramAtMaxSources assembles FilterProgram for MaxSources
// addresses, of IPv4, of IPv6 and of both, on each link, and checks what
// MaxSources' comment derives: IPv4 alone, the longest conditional jump
// skips 2n + 27 instructions, within the 255 they can, and n + 23 beside
// IPv6 sources; the IPv6 part's jumps are as short with MaxSources
// addresses as with one; and every
// program fits in the kernel's 4,096 instructions (BPF_MAXINSNS). Each
// program passes a SYN-ACK to its first and its last address, and not to
// another. One address more is refused.
func TestFilterProgramAtMaxSources(t *testing.T) {
	var v4, v6, both []netip.Addr
	for i := range MaxSources {
		v4 = append(v4, netip.AddrFrom4([4]byte{198, 19, byte(i), 1}))
		v6 = append(v6, netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 5: byte(i), 15: 1}))
	}
	both = append(append(both, v4[:MaxSources/2]...), v6[:MaxSources/2]...)
	// longest returns the longest skip of a conditional jump in prog.
	longest := func(prog []bpf.RawInstruction) int {
		n := 0
		for _, r := range prog {
			if r.Op&0x07 == 0x05 && r.Op&0xf0 != 0 { // BPF_JMP, not BPF_JA
				n = max(n, int(r.Jt), int(r.Jf))
			}
		}
		return n
	}
	for _, link := range []LinkType{LinkEthernet, LinkRaw} {
		one6, err := FilterProgram(link, v6[:1], 61000)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name string
			srcs []netip.Addr
			want int // the longest conditional jump
		}{
			{"IPv4", v4, 2*MaxSources + 27},
			{"IPv6", v6, longest(one6)},
			{"both", both, MaxSources/2 + 23},
		} {
			prog, err := FilterProgram(link, c.srcs, 61000)
			if err != nil {
				t.Fatalf("link %d, %d %s sources: %v", link, len(c.srcs), c.name, err)
			}
			if l := longest(prog); l > 255 || l != c.want {
				t.Errorf("link %d, %d %s sources: the longest conditional jump skips %d instructions, want %d", link, len(c.srcs), c.name, l, c.want)
			}
			if len(prog) > 4096 {
				t.Errorf("link %d, %d %s sources: %d instructions", link, len(c.srcs), c.name, len(prog))
			}
			vm := filterVM(t, link, c.srcs, 61000)
			strip := 0
			if link == LinkRaw {
				strip = 14
			}
			for _, to := range []netip.Addr{c.srcs[0], c.srcs[len(c.srcs)-1], netip.MustParseAddr("198.19.0.2"), netip.MustParseAddr("2001:db8::2")} {
				var f []byte
				if to.Is4() {
					f = frame(t, to.AsSlice(), 61000, true, true, false, false)
				} else {
					f = frame6(t, to.AsSlice(), 61000, true, true, false)
				}
				n, err := vm.Run(f[strip:])
				if err != nil {
					t.Fatal(err)
				}
				if want := slices.Contains(c.srcs, to); (n > 0) != want {
					t.Errorf("link %d, %d %s sources: SYN-ACK to %v passes: %v, want %v", link, len(c.srcs), c.name, to, n > 0, want)
				}
			}
			if _, err := FilterProgram(link, append(slices.Clip(c.srcs), netip.MustParseAddr("198.18.0.1")), 61000); err == nil {
				t.Errorf("link %d: FilterProgram took %d %s sources and one more", link, len(c.srcs), c.name)
			}
		}
	}
}

// TestFilterProgramRefuses checks that FilterProgram refuses no sources,
// an invalid one and an unknown link type.
func TestFilterProgramRefuses(t *testing.T) {
	us := netip.MustParseAddr("198.19.0.1")
	for _, c := range []struct {
		name string
		link LinkType
		srcs []netip.Addr
	}{
		{"no sources", LinkEthernet, nil},
		{"an invalid source", LinkEthernet, []netip.Addr{us, {}}},
		{"Linux cooked frames", LinkLinuxSLL, []netip.Addr{us}},
		{"the invalid link type", LinkInvalid, []netip.Addr{us}},
	} {
		if _, err := FilterProgram(c.link, c.srcs, 61000); err == nil {
			t.Errorf("FilterProgram took %s", c.name)
		}
	}
}
