package engine

import (
	"context"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trawlscan/trawl/internal/netio"
	"github.com/trawlscan/trawl/internal/packet"
	"github.com/trawlscan/trawl/pkg/result"
	"github.com/trawlscan/trawl/pkg/syncookie"
	"github.com/trawlscan/trawl/pkg/target"
)

var (
	srcA = netip.MustParseAddr("198.19.0.1")
	srcB = netip.MustParseAddr("198.19.2.1")
)

// twoRoutes sends the probes to 198.18.1.0/24 from srcB and the rest
// from srcA, as for a lab whose second link leads to that /24.
var twoRoutes = []SourceFrom{
	{First: target.HostOrder(netip.MustParseAddr("198.18.0.0")), Source: srcA},
	{First: target.HostOrder(netip.MustParseAddr("198.18.1.0")), Source: srcB},
	{First: target.HostOrder(netip.MustParseAddr("198.18.2.0")), Source: srcA},
}

// sourceCheck is a network that checks each probe's source address
// against want before fakeNet answers it, to the probe's source.
type sourceCheck struct {
	*fakeNet
	want  func(dst netip.Addr) netip.Addr
	wrong atomic.Uint64
}

func (c *sourceCheck) WriteBatch(pkts [][]byte) (int, error) {
	for _, p := range pkts {
		if netip.AddrFrom4([4]byte(p[12:16])) != c.want(netip.AddrFrom4([4]byte(p[16:20]))) {
			c.wrong.Add(1)
		}
	}
	return c.fakeNet.WriteBatch(pkts)
}

// TestSeveralSources scans 198.18.0.0/22 with the probes to one /24 from
// a second source address: every probe has its route's source, every
// reply is valid to either, and every open port is found.
func TestSeveralSources(t *testing.T) {
	open := []netip.AddrPort{
		netip.MustParseAddrPort("198.18.0.7:22"), netip.MustParseAddrPort("198.18.1.0:80"),
		netip.MustParseAddrPort("198.18.1.255:443"), netip.MustParseAddrPort("198.18.3.9:80"),
	}
	fn := &sourceCheck{fakeNet: newFakeNet(open, 0), want: func(dst netip.Addr) netip.Addr {
		if netip.MustParsePrefix("198.18.1.0/24").Contains(dst) {
			return srcB
		}
		return srcA
	}}
	space := newTestSpace(t, "198.18.0.0/22", "", "22,80,443")
	e, err := New(Config{Space: space, Perm: target.NewPermutation(space.Len(), 9), SourcePort: 61000,
		Key: syncookie.Key{K0: 5, K1: 6}, Sources: twoRoutes, Closed: true},
		[]*netio.Sender{netio.NewSender(fn, 64), netio.NewSender(fn, 64)}, fn)
	if err != nil {
		t.Fatal(err)
	}
	var opened []netip.AddrPort
	closed := 0
	if err := e.Run(context.Background(), func(r result.Result) {
		if r.Status == result.StatusOpen {
			opened = append(opened, netip.AddrPortFrom(r.IP, r.Port))
		} else {
			closed++
		}
	}); err != nil {
		t.Fatal(err)
	}
	if n := fn.wrong.Load(); n != 0 {
		t.Errorf("%d probes had the wrong source address", n)
	}
	s := e.Stats()
	if len(opened) != len(open) || closed != int(space.Len())-len(open) || s.Invalid != 0 {
		t.Errorf("%d open (want %d), %d closed (want %d), %d invalid: %v", len(opened), len(open), closed, int(space.Len())-len(open), s.Invalid, opened)
	}
}

// TestRepliesToSeveralSources hands the receiver replies to each source
// address: valid only to one of ours, with the cookie computed with the
// address it is to.
func TestRepliesToSeveralSources(t *testing.T) {
	space := newTestSpace(t, "198.18.0.0/22", "", "80")
	key := syncookie.Key{K0: 5, K1: 6}
	fn := newFakeNet(nil, 0)
	e, err := New(Config{Space: space, Perm: target.NewPermutation(space.Len(), 9), SourcePort: 61000, Key: key, Sources: twoRoutes, Closed: true},
		[]*netio.Sender{netio.NewSender(fn, 64)}, fn)
	if err != nil {
		t.Fatal(err)
	}
	// Nothing has been sent, so a valid reply finds no state and counts
	// as late: the invalid counter alone gives the verdict.
	target1 := netip.MustParseAddr("198.18.1.5")
	for _, c := range []struct {
		name     string
		to, with netip.Addr // the reply's destination, the cookie's source
		valid    bool
	}{
		{"to the first source", srcA, srcA, true},
		{"to the second source", srcB, srcB, true},
		{"to the second source, the first's cookie", srcB, srcA, false},
		{"to another address", netip.MustParseAddr("198.19.0.9"), netip.MustParseAddr("198.19.0.9"), false},
	} {
		before := e.invalid.Load()
		cookie := syncookie.Compute(key, target.HostOrder(c.with), target.HostOrder(target1), 61000, 80)
		frame := reply(target1.AsSlice(), c.to.AsSlice(), 80, 61000, cookie+1, false)
		r, ok := packet.NewDecoder(linkLayer(netio.LinkEthernet)).Decode(frame)
		if !ok {
			t.Fatalf("%s: reply does not decode", c.name)
		}
		e.handle(r, func(result.Result) {})
		if invalid := e.invalid.Load() > before; invalid == c.valid {
			t.Errorf("%s: counted invalid %v, want %v", c.name, invalid, !c.valid)
		}
	}
}

// TestSourcesOf checks the binary search against a linear one, for every
// address near every step of tables of 1 to 5 steps, and the checks of
// newSources.
func TestSourcesOf(t *testing.T) {
	addrs := []netip.Addr{srcA, srcB, netip.MustParseAddr("127.0.0.1")}
	for n := 1; n <= 5; n++ {
		var steps []SourceFrom
		for i := range n {
			steps = append(steps, SourceFrom{First: uint32(10 + 10*i), Source: addrs[i%len(addrs)]})
		}
		s, err := newSources(Config{Sources: steps, SourcePort: 61000})
		if err != nil {
			t.Fatal(err)
		}
		if want := min(n, len(addrs)); len(s.addrs) != want || len(s.tpls) != want {
			t.Errorf("%d steps: %d addresses and %d templates, want %d", n, len(s.addrs), len(s.tpls), want)
		}
		if n == 1 && s.firsts != nil {
			t.Errorf("one source: a step table %v, want none", s.firsts)
		}
		for ip := uint32(0); ip < uint32(20+10*n); ip++ {
			want := 0
			for i, st := range steps {
				if st.First <= ip {
					want = i
				}
			}
			got := steps[0].Source
			if s.firsts != nil {
				got = target.AddrOf(s.addrs[s.of(ip)])
			}
			if got != steps[want].Source {
				t.Errorf("%d steps: source of %d is %v, want %v", n, ip, got, steps[want].Source)
			}
		}
	}
	same, err := newSources(Config{Sources: []SourceFrom{{First: 1, Source: srcA}, {First: 5, Source: srcA}}})
	if err != nil || same.firsts != nil || len(same.addrs) != 1 {
		t.Errorf("two steps of one address: %+v, %v; want one source and no table", same, err)
	}
	var many []SourceFrom
	for i := range netio.MaxSources + 1 {
		many = append(many, SourceFrom{First: uint32(i), Source: netip.AddrFrom4([4]byte{198, 19, 0, byte(i + 1)})})
	}
	for name, steps := range map[string][]SourceFrom{
		"unsorted": {{First: 5, Source: srcA}, {First: 1, Source: srcB}},
		"IPv6":     {{First: 1, Source: netip.MustParseAddr("2001:db8::1")}},
		"too many": many,
	} {
		if _, err := newSources(Config{Sources: steps}); err == nil {
			t.Errorf("%s: newSources accepted %v", name, steps)
		}
	}
	if _, err := newSources(Config{}); err == nil {
		t.Error("newSources accepted no source at all")
	}
}

// discardNet is a network at the socket seam that takes every probe and
// never answers: what the send loop costs without the kernel.
type discardNet struct{}

func (discardNet) WriteBatch(pkts [][]byte) (int, error) { return len(pkts), nil }
func (discardNet) ReadPacket() ([]byte, error) {
	time.Sleep(10 * time.Millisecond)
	return nil, netio.ErrTimeout
}
func (discardNet) Link() netio.LinkType               { return netio.LinkEthernet }
func (discardNet) Stats() (netio.CaptureStats, error) { return netio.CaptureStats{}, nil }
func (discardNet) Close()                             {}

// benchmarkSend runs whole scans of 198.18.0.0/20 × ports 1-64 (262,144
// probes) unpaced, with one sender, into discardNet, and reports the send
// loop's cost per probe: the window, the permutation, the cookie and the
// template, without the kernel.
func benchmarkSend(b *testing.B, sources []SourceFrom) {
	inc, _ := target.ParseTargets([]string{"198.18.0.0/20"})
	ps, _ := target.ParsePorts("1-64")
	space, err := target.NewSpace(inc, nil, ps)
	if err != nil {
		b.Fatal(err)
	}
	perm := target.NewPermutation(space.Len(), 1)
	b.SetBytes(int64(space.Len()) * packet.SYNLen)
	b.ReportAllocs()
	for b.Loop() {
		cfg := Config{Space: space, Perm: perm, Source: srcA, Sources: sources, SourcePort: 61000,
			Key: syncookie.Key{K0: 1, K1: 2}, Wait: time.Millisecond, Grace: time.Millisecond}
		e, err := New(cfg, []*netio.Sender{netio.NewSender(discardNet{}, 64)}, discardNet{})
		if err != nil {
			b.Fatal(err)
		}
		if err := e.sendAll(context.Background()); err != nil {
			b.Fatal(err)
		}
		if s := e.Stats(); s.Sent != space.Len() {
			b.Fatalf("sent %d of %d", s.Sent, space.Len())
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(uint64(b.N)*space.Len()), "ns/probe")
}

// BenchmarkSend is the send loop with one source address for every probe.
func BenchmarkSend(b *testing.B) { benchmarkSend(b, nil) }

// BenchmarkSendTwoRoutes is the send loop with each probe's source looked
// up among three steps of two addresses.
func BenchmarkSendTwoRoutes(b *testing.B) { benchmarkSend(b, twoRoutes) }

// BenchmarkSourcesOf is the lookup of a probe's source among 16 steps.
func BenchmarkSourcesOf(b *testing.B) {
	var steps []SourceFrom
	for i := range 16 {
		steps = append(steps, SourceFrom{First: uint32(i) << 26, Source: []netip.Addr{srcA, srcB}[i%2]})
	}
	s, err := newSources(Config{Sources: steps, SourcePort: 61000})
	if err != nil {
		b.Fatal(err)
	}
	var ip uint32
	sum := 0
	for b.Loop() {
		sum += s.of(ip)
		ip += 0x9e3779b9
	}
	if sum < 0 {
		b.Fatal(sum)
	}
}
