package engine

import (
	"context"
	"math/rand/v2"
	"net/netip"
	"strings"
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
	{First: addr("198.18.0.0"), Source: srcA},
	{First: addr("198.18.1.0"), Source: srcB},
	{First: addr("198.18.2.0"), Source: srcA},
}

// addr returns the target.Addr of the IPv4 or IPv6 address s.
func addr(s string) target.Addr { return target.FromNetip(netip.MustParseAddr(s)) }

// sourceCheck is a network that checks each probe's source address
// against want before fakeNet answers it, to the probe's source. It takes
// IPv4 and IPv6 probes.
type sourceCheck struct {
	*fakeNet
	want  func(dst netip.Addr) netip.Addr
	wrong atomic.Uint64
}

func (c *sourceCheck) WriteBatch(pkts [][]byte) (int, error) {
	for _, p := range pkts {
		if pr := probeOf(p); pr.src.Netip() != c.want(pr.dst.Netip()) {
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
			steps = append(steps, SourceFrom{First: target.V4(uint32(10 + 10*i)), Source: addrs[i%len(addrs)]})
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
				if st.First.V4() <= ip {
					want = i
				}
			}
			got := steps[0].Source
			if s.firsts != nil {
				got = s.addrs[s.of(target.V4(ip))].Netip()
			}
			if got != steps[want].Source {
				t.Errorf("%d steps: source of %d is %v, want %v", n, ip, got, steps[want].Source)
			}
		}
	}
	same, err := newSources(Config{Sources: []SourceFrom{{First: target.V4(1), Source: srcA}, {First: target.V4(5), Source: srcA}}})
	if err != nil || same.firsts != nil || len(same.addrs) != 1 {
		t.Errorf("two steps of one address: %+v, %v; want one source and no table", same, err)
	}
	var many []SourceFrom
	for i := range netio.MaxSources + 1 {
		many = append(many, SourceFrom{First: target.V4(uint32(i)), Source: netip.AddrFrom4([4]byte{198, 19, 0, byte(i + 1)})})
	}
	for name, steps := range map[string][]SourceFrom{
		"unsorted":        {{First: target.V4(5), Source: srcA}, {First: target.V4(1), Source: srcB}},
		"a repeated step": {{First: target.V4(5), Source: srcA}, {First: target.V4(5), Source: srcB}},
		"no address":      {{First: target.V4(1), Source: netip.Addr{}}},
		"an IPv6 zone":    {{First: target.V4(1), Source: netip.MustParseAddr("fe80::1%eth0")}},
		"too many":        many,
	} {
		if _, err := newSources(Config{Sources: steps}); err == nil {
			t.Errorf("%s: newSources accepted %v", name, steps)
		}
	}
	if _, err := newSources(Config{}); err == nil {
		t.Error("newSources accepted no source at all")
	}
}

// TestSourcesOfMixed checks the sources of IPv4 and IPv6 targets from
// steps of both families: a step's source goes to the addresses of its
// family from its First on, and an address whose last step below it is of
// the other family, or that comes before every step, gets the first
// source of its family. With one source a family there is no step table,
// and each family has its one source.
func TestSourcesOfMixed(t *testing.T) {
	srcX, srcY := netip.MustParseAddr("2001:db8:ff::1"), netip.MustParseAddr("2001:db8:fe::1")
	tests := []struct {
		name   string
		steps  []SourceFrom
		table  bool                  // want a step table
		want   map[string]netip.Addr // target: source
		absent string                // a target of a family with no source
	}{
		{
			name: "IPv4 routes and an IPv6 one",
			steps: []SourceFrom{
				{First: addr("198.18.0.0"), Source: srcA}, {First: addr("198.18.1.0"), Source: srcB},
				{First: addr("198.18.2.0"), Source: srcA}, {First: addr("2001:db8::"), Source: srcX},
			},
			table: true,
			want: map[string]netip.Addr{
				"0.0.0.0": srcA, "1.2.3.4": srcA, "198.18.0.255": srcA, "198.18.1.0": srcB, "198.18.1.255": srcB,
				"198.18.2.0": srcA, "255.255.255.255": srcA,
				"::": srcX, "::1": srcX, "64:ff9b::1": srcX, "2001:db7:ffff::": srcX, "2001:db8::": srcX, "2001:db8::1": srcX,
				"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff": srcX,
			},
		},
		{
			name: "two routes of each family",
			steps: []SourceFrom{
				{First: addr("::"), Source: srcX}, {First: addr("198.18.0.0"), Source: srcA},
				{First: addr("198.18.1.0"), Source: srcB}, {First: addr("2001:db8::"), Source: srcY},
			},
			table: true,
			want: map[string]netip.Addr{
				"10.0.0.1": srcA, "198.18.0.9": srcA, "198.18.1.7": srcB, "255.255.255.255": srcB,
				"::": srcX, "::1": srcX, "64:ff9b::1": srcX, "2001:db8::": srcY, "2001:db9::": srcY,
			},
		},
		{
			name:  "one source a family",
			steps: []SourceFrom{{First: addr("198.18.0.0"), Source: srcA}, {First: addr("2001:db8::"), Source: srcX}},
			want: map[string]netip.Addr{
				"1.1.1.1": srcA, "198.18.0.1": srcA, "255.255.255.255": srcA,
				"::1": srcX, "2001:db7::": srcX, "2001:db8::1": srcX, "fe80::1": srcX,
			},
		},
		{
			name:   "IPv6 alone",
			steps:  []SourceFrom{{First: addr("2001:db8::"), Source: srcX}, {First: addr("2001:db9::"), Source: srcX}},
			want:   map[string]netip.Addr{"::1": srcX, "2001:db8::1": srcX, "2001:dba::": srcX},
			absent: "198.18.0.1",
		},
		{
			name:   "IPv4 alone, two routes",
			steps:  twoRoutes,
			table:  true,
			want:   map[string]netip.Addr{"198.18.1.1": srcB, "198.18.3.1": srcA},
			absent: "2001:db8::1",
		},
	}
	for _, tt := range tests {
		s, err := newSources(Config{Sources: tt.steps, SourcePort: 61000})
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if (s.firsts != nil) != tt.table {
			t.Errorf("%s: step table %v, want one: %v", tt.name, s.firsts, tt.table)
		}
		for k, a := range s.addrs {
			if (s.tpls[k] != nil) != a.Is4() || (s.tpl6s[k] != nil) == a.Is4() {
				t.Errorf("%s: source %v has templates %v and %v", tt.name, a, s.tpls[k], s.tpl6s[k])
			}
		}
		for dst, want := range tt.want {
			k := s.of(addr(dst))
			if k < 0 || s.addrs[k].Netip() != want {
				t.Errorf("%s: source %d of %s, want %v (sources %v)", tt.name, k, dst, want, s.addrs)
			}
		}
		if tt.absent != "" {
			if k := s.of(addr(tt.absent)); k != -1 {
				t.Errorf("%s: source %d of %s, want none of its family", tt.name, k, tt.absent)
			}
		}
	}
}

// TestSourcesOfMixedRandom checks the binary search of of over random
// tables of steps of both families against a linear one, for addresses
// at and beside every step.
func TestSourcesOfMixedRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	pool := []netip.Addr{srcA, srcB, netip.MustParseAddr("2001:db8:ff::1"), netip.MustParseAddr("2001:db8:fe::1")}
	firsts := []target.Addr{
		addr("::"), addr("::1:0"), addr("0.0.0.0"), addr("10.0.0.0"), addr("198.18.0.0"), addr("198.18.1.0"),
		addr("255.255.255.255"), addr("64:ff9b::"), addr("2001:db8::"), addr("2001:db8::1:0"), addr("fe80::"),
	}
	for range 2000 {
		var steps []SourceFrom
		for _, f := range firsts {
			if rng.IntN(2) == 0 {
				// A source of the step's family: the first two of pool
				// are IPv4, the last two IPv6.
				k := rng.IntN(2)
				if !f.Is4() {
					k += 2
				}
				steps = append(steps, SourceFrom{First: f, Source: pool[k]})
			}
		}
		if len(steps) == 0 {
			continue
		}
		s, err := newSources(Config{Sources: steps, SourcePort: 61000})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range firsts {
			for _, ip := range []target.Addr{f.Prev(), f, f.Next()} {
				// The last step at or below ip, if of its family; else
				// the first step of its family.
				var want netip.Addr
				for _, st := range steps {
					if !ip.Less(st.First) {
						want = st.Source
					}
				}
				if !want.IsValid() || want.Is4() != ip.Is4() {
					want = netip.Addr{}
					for _, st := range steps {
						if st.Source.Is4() == ip.Is4() {
							want = st.Source
							break
						}
					}
				}
				var got netip.Addr
				if k := s.of(ip); k >= 0 {
					got = s.addrs[k].Netip()
				}
				if got != want {
					t.Fatalf("steps %v: source of %v is %v, want %v", steps, ip, got, want)
				}
			}
		}
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

// benchmarkSend runs whole scans of targets (4,096 addresses) × ports
// 1-64, 262,144 probes, unpaced, with one sender, into discardNet, and
// reports the send loop's cost per probe: the window, the permutation,
// the cookie and the template, without the kernel. The probes go from
// srcA unless sources says otherwise.
func benchmarkSend(b *testing.B, targets string, sources []SourceFrom) {
	inc, _ := target.ParseTargets(strings.Fields(targets))
	ps, _ := target.ParsePorts("1-64")
	space, err := target.NewSpace(inc, nil, ps)
	if err != nil {
		b.Fatal(err)
	}
	perm := target.NewPermutation(space.Len(), 1)
	var bytes int64
	for _, r := range space.Ranges() {
		n := int64(packet.SYN6Len)
		if r.Is4() {
			n = packet.SYNLen
		}
		bytes += n * int64(r.Len()) * int64(ps.Len())
	}
	b.SetBytes(bytes)
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
func BenchmarkSend(b *testing.B) { benchmarkSend(b, "198.18.0.0/20", nil) }

// BenchmarkSendTwoRoutes is the send loop with each probe's source looked
// up among three steps of two addresses.
func BenchmarkSendTwoRoutes(b *testing.B) { benchmarkSend(b, "198.18.0.0/20", twoRoutes) }

// BenchmarkSourcesOf is the lookup of a probe's source among 16 steps.
func BenchmarkSourcesOf(b *testing.B) {
	var steps []SourceFrom
	for i := range 16 {
		steps = append(steps, SourceFrom{First: target.V4(uint32(i) << 26), Source: []netip.Addr{srcA, srcB}[i%2]})
	}
	s, err := newSources(Config{Sources: steps, SourcePort: 61000})
	if err != nil {
		b.Fatal(err)
	}
	var ip uint32
	sum := 0
	for b.Loop() {
		sum += s.of(target.V4(ip))
		ip += 0x9e3779b9
	}
	if sum < 0 {
		b.Fatal(sum)
	}
}
