package netio

import (
	"errors"
	"net"
	"net/netip"
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

func TestFilterProgram(t *testing.T) {
	us := net.IPv4(198, 19, 0, 1)
	prog, err := FilterProgram(LinkEthernet, []netip.Addr{netip.MustParseAddr("198.19.0.1")}, 61000)
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
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := vm.Run(tt.frame)
			if err != nil {
				t.Fatal(err)
			}
			if (n > 0) != tt.pass {
				t.Fatalf("filter returned %d, want pass=%v", n, tt.pass)
			}
		})
	}
}
