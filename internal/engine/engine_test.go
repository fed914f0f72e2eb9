package engine

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/trawlscan/trawl/internal/netio"
	"github.com/trawlscan/trawl/internal/packet"
	"github.com/trawlscan/trawl/pkg/result"
	"github.com/trawlscan/trawl/pkg/syncookie"
	"github.com/trawlscan/trawl/pkg/target"
)

// fakeNet is a network at the socket seam: every SYN written to it, IPv4
// or IPv6, is answered, like a kernel would, with a SYN-ACK for open ports
// and an RST otherwise, unless the target is silent, a firewall answers
// for it with an ICMP or ICMPv6 unreachable, or the probe or reply is
// lost. With key set, it first checks each probe as a target's stack
// would, and counts those that fail in bad.
type fakeNet struct {
	mu      sync.Mutex
	rng     *rand.Rand
	open    map[netip.AddrPort]bool
	silent  func(ip target.Addr) bool
	unreach func(ip target.Addr) (code uint8, ok bool) // answer with ICMP type 3 or ICMPv6 type 1, this code
	loss    float64                                    // each way
	frames  chan []byte
	probes  map[netip.AddrPort]int
	corrupt bool // answer with a wrong acknowledgment number
	rstSeq  bool // acknowledge a RST with the cookie, not the cookie + 1
	failErr error
	key     *syncookie.Key // if set, check every probe's checksums and cookie
	bad     []error        // the probes that failed the check
}

func newFakeNet(open []netip.AddrPort, loss float64) *fakeNet {
	f := &fakeNet{rng: rand.New(rand.NewPCG(1, 2)), open: map[netip.AddrPort]bool{}, loss: loss,
		frames: make(chan []byte, 1<<20), probes: map[netip.AddrPort]int{}}
	for _, ap := range open {
		f.open[ap] = true
	}
	return f
}

func (f *fakeNet) WriteBatch(pkts [][]byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range pkts {
		pr := probeOf(p)
		if f.key != nil {
			if err := checkProbe(p, *f.key); err != nil {
				f.bad = append(f.bad, err)
			}
		}
		ap := netip.AddrPortFrom(pr.dst.Netip(), pr.dport)
		f.probes[ap]++
		if (f.silent != nil && f.silent(pr.dst)) || f.rng.Float64() < f.loss || f.rng.Float64() < f.loss {
			continue
		}
		if f.unreach != nil {
			if code, ok := f.unreach(pr.dst); ok {
				f.frames <- unreachReply(p, code)
				continue
			}
		}
		ack := pr.seq + 1
		if f.corrupt {
			ack = pr.seq + 2
		}
		if f.rstSeq && !f.open[ap] {
			ack = pr.seq
		}
		f.frames <- reply(pr.dst.Netip().AsSlice(), pr.src.Netip().AsSlice(), pr.dport, pr.sport, ack, f.open[ap])
	}
	return len(pkts), nil
}

// probe is the 4-tuple and sequence number of a SYN probe.
type probe struct {
	src, dst     target.Addr
	sport, dport uint16
	seq          uint32
}

// probeOf reads the fields of a probe, IPv4 or IPv6 by its version
// nibble, at the fixed offsets of packet.Template and packet.Template6.
func probeOf(p []byte) probe {
	if p[0]>>4 == 6 {
		return probe{
			src: target.FromNetip(netip.AddrFrom16([16]byte(p[8:24]))), dst: target.FromNetip(netip.AddrFrom16([16]byte(p[24:40]))),
			sport: binary.BigEndian.Uint16(p[40:]), dport: binary.BigEndian.Uint16(p[42:]), seq: binary.BigEndian.Uint32(p[44:]),
		}
	}
	return probe{
		src: target.V4(binary.BigEndian.Uint32(p[12:])), dst: target.V4(binary.BigEndian.Uint32(p[16:])),
		sport: binary.BigEndian.Uint16(p[20:]), dport: binary.BigEndian.Uint16(p[22:]), seq: binary.BigEndian.Uint32(p[24:]),
	}
}

// checkProbe checks p as the target's stack would before answering it:
// gopacket decodes it as one IPv4 or IPv6 header and a TCP SYN and
// nothing else, its lengths add up, its checksums hold (TCP's over the
// pseudo-header of RFC 9293 §3.1 or RFC 8200 §8.1), and its sequence
// number is the cookie that syncookie.Compute or Compute6 gives its
// 4-tuple under key.
func checkProbe(p []byte, key syncookie.Key) error {
	first := layers.LayerTypeIPv4
	if len(p) > 0 && p[0]>>4 == 6 {
		first = layers.LayerTypeIPv6
	}
	pkt := gopacket.NewPacket(p, first, gopacket.DecodeOptions{NoCopy: true})
	if el := pkt.ErrorLayer(); el != nil {
		return fmt.Errorf("probe % x: %v", p, el.Error())
	}
	tcp, _ := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP)
	if tcp == nil || len(pkt.Layers()) != 2 || len(tcp.Payload) != 0 {
		return fmt.Errorf("probe % x: layers %v, want IP and TCP alone", p, pkt.Layers())
	}
	if !tcp.SYN || tcp.ACK || tcp.RST || tcp.FIN || tcp.Ack != 0 {
		return fmt.Errorf("probe % x: not a bare SYN", p)
	}
	var cookie uint32
	var pseudo []byte
	switch ip := pkt.NetworkLayer().(type) {
	case *layers.IPv4:
		if len(p) != packet.SYNLen || int(ip.Length) != len(p) || ip.IHL != 5 || ip.Protocol != layers.IPProtocolTCP {
			return fmt.Errorf("probe % x: IPv4 header with length %d, IHL %d, protocol %v", p, ip.Length, ip.IHL, ip.Protocol)
		}
		if sum := onesSum(0, p[:20]); sum != 0xffff {
			return fmt.Errorf("probe % x: IPv4 header checksum sums to %#x", p, sum)
		}
		src, dst := target.FromNetip(netip.AddrFrom4([4]byte(ip.SrcIP))), target.FromNetip(netip.AddrFrom4([4]byte(ip.DstIP)))
		cookie = syncookie.Compute(key, src.V4(), dst.V4(), uint16(tcp.SrcPort), uint16(tcp.DstPort))
		pseudo = append(append(append([]byte{}, ip.SrcIP...), ip.DstIP...), 0, byte(layers.IPProtocolTCP), 0, byte(len(p)-20))
	case *layers.IPv6:
		if len(p) != packet.SYN6Len || int(ip.Length) != len(p)-40 || ip.NextHeader != layers.IPProtocolTCP || ip.HopLimit == 0 {
			return fmt.Errorf("probe % x: IPv6 header with payload length %d, next header %v, hop limit %d", p, ip.Length, ip.NextHeader, ip.HopLimit)
		}
		src, dst := target.FromNetip(netip.AddrFrom16([16]byte(ip.SrcIP))), target.FromNetip(netip.AddrFrom16([16]byte(ip.DstIP)))
		if src.Is4() || dst.Is4() {
			return fmt.Errorf("probe % x: IPv4-mapped address on the wire", p)
		}
		cookie = syncookie.Compute6(key, src, dst, uint16(tcp.SrcPort), uint16(tcp.DstPort))
		// The upper-layer packet length as 32 bits, three zero bytes,
		// then the next header.
		pseudo = append(append(append([]byte{}, ip.SrcIP...), ip.DstIP...), 0, 0, 0, byte(len(p)-40), 0, 0, 0, byte(layers.IPProtocolTCP))
	default:
		return fmt.Errorf("probe % x: no IP layer", p)
	}
	if sum := onesSum(onesSum(0, pseudo), tcp.Contents); sum != 0xffff {
		return fmt.Errorf("probe % x: TCP checksum over the pseudo-header sums to %#x", p, sum)
	}
	if tcp.Seq != cookie {
		return fmt.Errorf("probe % x: sequence number %#x, want the cookie %#x", p, tcp.Seq, cookie)
	}
	return nil
}

// onesSum adds b, as big-endian 16-bit words, to the ones' complement sum
// sum. A header or segment with its checksum in place sums to 0xffff.
func onesSum(sum uint16, b []byte) uint16 {
	s := uint32(sum)
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return uint16(s)
}

var (
	macScanner = net.HardwareAddr{2, 0, 0, 0, 0, 1}
	macTarget  = net.HardwareAddr{2, 0, 0, 0, 0, 2}
)

// reply returns the TCP answer, a SYN-ACK if open and a RST otherwise,
// from from:sport to to:dport over Ethernet: over IPv6 if the addresses
// are 16 bytes long, over IPv4 if 4.
func reply(from, to []byte, sport, dport uint16, ack uint32, open bool) []byte {
	eth := &layers.Ethernet{SrcMAC: macTarget, DstMAC: macScanner, EthernetType: layers.EthernetTypeIPv4}
	tcp := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), Ack: ack, ACK: true, SYN: open, RST: !open}
	var ip gopacket.SerializableLayer
	if len(from) == 16 {
		eth.EthernetType = layers.EthernetTypeIPv6
		ip6 := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP, SrcIP: net.IP(from), DstIP: net.IP(to)}
		_ = tcp.SetNetworkLayerForChecksum(ip6)
		ip = ip6
	} else {
		ip4 := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: net.IP(from), DstIP: net.IP(to)}
		_ = tcp.SetNetworkLayerForChecksum(ip4)
		ip = ip4
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, tcp); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// unreachReply returns the destination unreachable, of code, that the
// probe's target sends back quoting it whole, as Linux does: an ICMP
// type 3 for an IPv4 probe, an ICMPv6 type 1 (its 4 unused bytes, then
// the quote) for an IPv6 one.
func unreachReply(probe []byte, code uint8) []byte {
	eth := &layers.Ethernet{SrcMAC: macTarget, DstMAC: macScanner, EthernetType: layers.EthernetTypeIPv4}
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	var err error
	if probe[0]>>4 == 6 {
		eth.EthernetType = layers.EthernetTypeIPv6
		ip := &layers.IPv6{Version: 6, HopLimit: 61, NextHeader: layers.IPProtocolICMPv6, SrcIP: net.IP(probe[24:40]), DstIP: net.IP(probe[8:24])}
		icmp := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(layers.ICMPv6TypeDestinationUnreachable, code)}
		_ = icmp.SetNetworkLayerForChecksum(ip)
		err = gopacket.SerializeLayers(buf, opts, eth, ip, icmp, gopacket.Payload(append([]byte{0, 0, 0, 0}, probe...)))
	} else {
		ip := &layers.IPv4{Version: 4, TTL: 61, Protocol: layers.IPProtocolICMPv4, SrcIP: net.IP(probe[16:20]), DstIP: net.IP(probe[12:16])}
		icmp := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeDestinationUnreachable, code)}
		err = gopacket.SerializeLayers(buf, opts, eth, ip, icmp, gopacket.Payload(probe))
	}
	if err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// ReadPacket, Link, Stats and Close make fakeNet a netio.Capture.
func (f *fakeNet) ReadPacket() ([]byte, error) {
	if f.failErr != nil {
		return nil, f.failErr
	}
	select {
	case b := <-f.frames:
		return b, nil
	case <-time.After(10 * time.Millisecond):
		return nil, netio.ErrTimeout
	}
}
func (f *fakeNet) Link() netio.LinkType               { return netio.LinkEthernet }
func (f *fakeNet) Stats() (netio.CaptureStats, error) { return netio.CaptureStats{}, nil }
func (f *fakeNet) Close()                             {}

// scan runs one engine over fn for targets (space-separated) × ports and
// returns its results. The probes go out from 198.19.0.1 unless cfg gives
// Source or Sources, and fn checks each of them.
func scan(t *testing.T, ctx context.Context, fn *fakeNet, targets, ports string, cfg Config) ([]result.Result, *Engine, error) {
	t.Helper()
	inc, err := target.ParseTargets(strings.Fields(targets))
	if err != nil {
		t.Fatal(err)
	}
	ps, err := target.ParsePorts(ports)
	if err != nil {
		t.Fatal(err)
	}
	space, err := target.NewSpace(inc, nil, ps)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Space, cfg.Perm = space, target.NewPermutation(space.Len(), 7)
	if !cfg.Source.IsValid() && len(cfg.Sources) == 0 {
		cfg.Source = netip.MustParseAddr("198.19.0.1")
	}
	cfg.SourcePort = 61000
	cfg.Key = syncookie.Key{K0: 1, K1: 2}
	fn.key = &cfg.Key
	e, err := New(cfg, []*netio.Sender{netio.NewSender(fn, 64), netio.NewSender(fn, 64)}, fn)
	if err != nil {
		t.Fatal(err)
	}
	var got []result.Result
	err = e.Run(ctx, func(r result.Result) { got = append(got, r) })
	fn.mu.Lock()
	for i, err := range fn.bad {
		if i == 3 {
			t.Errorf("... and %d more bad probes", len(fn.bad)-i)
			break
		}
		t.Error(err)
	}
	fn.mu.Unlock()
	return got, e, err
}

func plant(n int, seed uint64) []netip.AddrPort {
	rng := rand.New(rand.NewPCG(seed, seed))
	seen := map[netip.AddrPort]bool{}
	for len(seen) < n {
		seen[netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 18, byte(rng.IntN(4)), byte(rng.IntN(256))}), uint16(1+rng.IntN(16)))] = true
	}
	var out []netip.AddrPort
	for ap := range seen {
		out = append(out, ap)
	}
	return out
}

func compare(t *testing.T, got []result.Result, want []netip.AddrPort) (missing int) {
	t.Helper()
	wantSet := map[netip.AddrPort]bool{}
	for _, ap := range want {
		wantSet[ap] = true
	}
	seen := map[netip.AddrPort]bool{}
	for _, r := range got {
		ap := netip.AddrPortFrom(r.IP, r.Port)
		if seen[ap] {
			t.Errorf("duplicate result %v", ap)
		}
		seen[ap] = true
		if !wantSet[ap] || r.Status != result.StatusOpen {
			t.Errorf("extra result %v %v", ap, r.Status)
		}
	}
	return len(want) - len(seen)
}

func TestAllAnsweredEndsAtOnce(t *testing.T) {
	want := plant(300, 1)
	fn := newFakeNet(want, 0)
	start := time.Now()
	got, e, err := scan(t, context.Background(), fn, "198.18.0.0/22", "1-16", Config{Wait: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if missing := compare(t, got, want); missing != 0 {
		t.Fatalf("missed %d of %d open ports", missing, len(want))
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("scan took %v; it should end when the last reply arrives, not after --wait", d)
	}
	st := e.Stats()
	if st.Sent != st.Total || st.Replies != st.Total || st.Open != uint64(len(want)) || st.Closed != st.Total-uint64(len(want)) {
		t.Errorf("stats %+v", st)
	}
	for ap, n := range fn.probes {
		if n != 1 {
			t.Fatalf("%v probed %d times", ap, n)
		}
	}
}

func TestRetriesUnderLoss(t *testing.T) {
	want := plant(300, 2)
	fn := newFakeNet(want, 0.05)
	got, e, err := scan(t, context.Background(), fn, "198.18.0.0/22", "1-16", Config{Retries: 2, Wait: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	missing := compare(t, got, want)
	st := e.Stats()
	// Each try loses ~9.75%; after 3 tries about 0.1% stay unanswered.
	if float64(missing) > 0.01*float64(len(want)) {
		t.Errorf("missed %d of %d open ports with 2 retries", missing, len(want))
	}
	unanswered := st.Total - st.Replies
	if st.Sent > st.Total*13/10 || st.Sent < st.Total+unanswered {
		t.Errorf("sent %d probes for %d targets; retries must resend only the unanswered", st.Sent, st.Total)
	}
	for ap, n := range fn.probes {
		if n > 3 {
			t.Fatalf("%v probed %d times with 2 retries", ap, n)
		}
	}
}

func TestSilentTargetsWaitThenStop(t *testing.T) {
	fn := newFakeNet(nil, 0)
	fn.silent = func(target.Addr) bool { return true }
	start := time.Now()
	got, e, err := scan(t, context.Background(), fn, "198.18.5.0/24", "1-16", Config{Retries: 1, Wait: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Fatalf("%d results from silent hosts", len(got))
	}
	if st := e.Stats(); st.Sent != 2*st.Total {
		t.Errorf("sent %d, want exactly %d (one probe per target per try)", st.Sent, 2*st.Total)
	}
	if d := time.Since(start); d < 500*time.Millisecond || d > 3*time.Second {
		t.Errorf("silent scan took %v, want about two waits", d)
	}
}

func TestWrongCookiesAreInvalid(t *testing.T) {
	fn := newFakeNet(plant(50, 3), 0)
	fn.corrupt = true
	got, e, err := scan(t, context.Background(), fn, "198.18.0.0/22", "1-16", Config{Wait: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Fatalf("reported %d results from replies with wrong cookies", len(got))
	}
	if st := e.Stats(); st.Invalid != st.Total || st.Replies != 0 {
		t.Errorf("stats %+v, want every reply invalid", st)
	}
}

func TestCaptureFailureEndsScan(t *testing.T) {
	fn := newFakeNet(nil, 0)
	fn.failErr = errors.New("interface went away")
	done := make(chan error, 1)
	go func() {
		_, _, err := scan(t, context.Background(), fn, "198.18.0.0/16", "1-1024", Config{Rate: 1000, Wait: time.Minute})
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || err.Error() != "interface went away" {
			t.Fatalf("Run = %v, want the capture's error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("scan did not stop after the capture failed")
	}
}

func TestCancelStopsWithinGrace(t *testing.T) {
	fn := newFakeNet(nil, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, e, err := scan(t, ctx, fn, "198.18.0.0/16", "1-1024", Config{Rate: 10000, Wait: time.Minute})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Run = %v, want the context's error", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("cancelled scan took %v", d)
	}
	if r := e.Resume(); r == 0 || r > e.Stats().Position {
		t.Errorf("Resume() = %d after %d positions", r, e.Stats().Position)
	}
}

// TestRateIsPaced scans 10,240 probes at 20,000/s. The pacer may send
// its burst at once, and uses it again to make good a stall (this test
// runs beside CPU-heavy lab tests), but over the scan it must hold the
// rate: no more than burst + rate × time, and not much less.
func TestRateIsPaced(t *testing.T) {
	fn := newFakeNet(nil, 0)
	fn.silent = func(target.Addr) bool { return true }
	const rate, burst = 20000, 2000
	start := time.Now()
	_, e, err := scan(t, context.Background(), fn, "198.18.0.0/22", "1-10", Config{Rate: rate, Burst: burst, Wait: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	d := time.Since(start).Seconds()
	sent := float64(e.Stats().Sent)
	if sent > burst+rate*d*1.05 || sent < rate*d*0.8 {
		t.Errorf("sent %.0f in %.3fs: %.0f/s, want about %d/s after a burst of %d", sent, d, sent/d, rate, burst)
	}
}

// BenchmarkProbe measures what the sender does per probe in process:
// permutation, space index, cookie and packet patch.
func BenchmarkProbe(b *testing.B) {
	inc, _ := target.ParseTargets([]string{"198.18.0.0/19"})
	ps, _ := target.ParsePorts("1-1024")
	space, _ := target.NewSpace(inc, nil, ps)
	perm := target.NewPermutation(space.Len(), 1)
	tpl, _ := packet.NewTemplate(0xc6130001, 61000)
	key := syncookie.Key{K0: 1, K1: 2}
	buf := make([]byte, packet.SYNLen)
	b.SetBytes(packet.SYNLen)
	b.ReportAllocs()
	var pos uint64
	for b.Loop() {
		ip, port := space.Index(perm.At(pos % space.Len()))
		tpl.Put(buf, ip.V4(), port, syncookie.Compute(key, 0xc6130001, ip.V4(), 61000, port))
		pos++
	}
}

func TestProbeDoesNotAllocate(t *testing.T) {
	for name, bench := range map[string]func(*testing.B){"IPv4": BenchmarkProbe, "IPv6": BenchmarkProbe6} {
		if r := testing.Benchmark(bench); r.AllocsPerOp() != 0 {
			t.Errorf("building an %s probe allocates %d times", name, r.AllocsPerOp())
		}
	}
}
