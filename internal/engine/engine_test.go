package engine

import (
	"context"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"net"
	"net/netip"
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

// fakeNet is a network at the socket seam: every SYN written to it is
// answered, like a kernel would, with a SYN-ACK for open ports and an RST
// otherwise, unless the target is silent, a firewall answers for it with
// an ICMP unreachable, or the probe or reply is lost.
type fakeNet struct {
	mu      sync.Mutex
	rng     *rand.Rand
	open    map[netip.AddrPort]bool
	silent  func(ip uint32) bool
	unreach func(ip uint32) (code uint8, ok bool) // answer with ICMP type 3, this code
	loss    float64                               // each way
	frames  chan []byte
	probes  map[netip.AddrPort]int
	corrupt bool // answer with a wrong acknowledgment number
	rstSeq  bool // acknowledge a RST with the cookie, not the cookie + 1
	failErr error
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
		dst := binary.BigEndian.Uint32(p[16:])
		dport := binary.BigEndian.Uint16(p[22:])
		seq := binary.BigEndian.Uint32(p[24:])
		ap := netip.AddrPortFrom(netip.AddrFrom4([4]byte(p[16:20])), dport)
		f.probes[ap]++
		if (f.silent != nil && f.silent(dst)) || f.rng.Float64() < f.loss || f.rng.Float64() < f.loss {
			continue
		}
		if f.unreach != nil {
			if code, ok := f.unreach(dst); ok {
				f.frames <- unreachReply(p, code)
				continue
			}
		}
		ack := seq + 1
		if f.corrupt {
			ack = seq + 2
		}
		if f.rstSeq && !f.open[ap] {
			ack = seq
		}
		f.frames <- reply(p[16:20], p[12:16], dport, binary.BigEndian.Uint16(p[20:]), ack, f.open[ap])
	}
	return len(pkts), nil
}

func reply(from, to []byte, sport, dport uint16, ack uint32, open bool) []byte {
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: net.IP(from), DstIP: net.IP(to)}
	tcp := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), Ack: ack, ACK: true, SYN: open, RST: !open}
	_ = tcp.SetNetworkLayerForChecksum(ip)
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, tcp); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// unreachReply returns the ICMP destination unreachable, of code, that
// the probe's target sends back quoting it whole, as Linux does.
func unreachReply(probe []byte, code uint8) []byte {
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 61, Protocol: layers.IPProtocolICMPv4, SrcIP: net.IP(probe[16:20]), DstIP: net.IP(probe[12:16])}
	icmp := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeDestinationUnreachable, code)}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, icmp, gopacket.Payload(probe)); err != nil {
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

// scan runs one engine over fn for targets × ports and returns its results.
func scan(t *testing.T, ctx context.Context, fn *fakeNet, targets, ports string, cfg Config) ([]result.Result, *Engine, error) {
	t.Helper()
	inc, err := target.ParseTargets([]string{targets})
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
	cfg.Source, cfg.SourcePort = netip.MustParseAddr("198.19.0.1"), 61000
	cfg.Key = syncookie.Key{K0: 1, K1: 2}
	e, err := New(cfg, []*netio.Sender{netio.NewSender(fn, 64), netio.NewSender(fn, 64)}, fn)
	if err != nil {
		t.Fatal(err)
	}
	var got []result.Result
	err = e.Run(ctx, func(r result.Result) { got = append(got, r) })
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
	fn.silent = func(uint32) bool { return true }
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
	fn.silent = func(uint32) bool { return true }
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
		tpl.Put(buf, ip, port, syncookie.Compute(key, 0xc6130001, ip, 61000, port))
		pos++
	}
}

func TestProbeDoesNotAllocate(t *testing.T) {
	if r := testing.Benchmark(BenchmarkProbe); r.AllocsPerOp() != 0 {
		t.Fatalf("building a probe allocates %d times", r.AllocsPerOp())
	}
}
