package scan

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/trawlscan/trawl/internal/netio"
	"github.com/trawlscan/trawl/pkg/result"
	"github.com/trawlscan/trawl/pkg/target"
)

// suspectPlan plans targets × ports with a fixed seed, failing t on an
// error.
func suspectPlan(t *testing.T, targets, ports string, f func(*Config)) (Config, Plan) {
	t.Helper()
	cfg := config(t, targets, ports)
	cfg.Seed, cfg.FixedSeed = 7, true
	if f != nil {
		f(&cfg)
	}
	p, err := Prepare(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, p
}

// host is a synthetic host: how each of its probed ports resolves.
type synthHost struct {
	ip     netip.Addr
	status func(port uint16) result.Status
}

// stream returns every probe of hosts × ports 1-n resolved as the host
// says, in a random order drawn from seed, as a scan delivers them.
func stream(hosts []synthHost, n int, seed uint64) []result.Result {
	var rs []result.Result
	base := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	for _, h := range hosts {
		for port := uint16(1); int(port) <= n; port++ {
			r := result.Result{IP: h.ip, Port: port, Status: h.status(port)}
			switch r.Status {
			case result.StatusOpen:
				r.TTL, r.Reason, r.ReasonTTL = 64, result.ReasonSYNACK, 64
			case result.StatusClosed:
				r.TTL, r.Reason, r.ReasonTTL = 64, result.ReasonReset, 64
			default:
				r.Reason = result.ReasonNoResponse
			}
			rs = append(rs, r)
		}
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	rng.Shuffle(len(rs), func(i, j int) { rs[i], rs[j] = rs[j], rs[i] })
	for i := range rs {
		rs[i].Time = base.Add(time.Duration(i) * time.Millisecond)
	}
	return rs
}

// runCheck feeds rs through the check of the scan of p under cfg, then
// ends the scan, and returns what the caller got.
func runCheck(cfg Config, p Plan, rs []result.Result) ([]result.Result, *suspects) {
	s := newSuspects(&cfg, p)
	var got []result.Result
	out := func(r result.Result) { got = append(got, r) }
	check := s.wrap(out)
	for _, r := range rs {
		check(r)
	}
	s.finish(out)
	return got, s
}

var (
	tarpit = func(uint16) result.Status { return result.StatusOpen }
	// busy has 300 of ports 1-1024 open, the rest closed.
	busy = func(port uint16) result.Status {
		if port%1024 < 300 {
			return result.StatusOpen
		}
		return result.StatusClosed
	}
	quiet = func(port uint16) result.Status {
		if port == 80 || port == 443 {
			return result.StatusOpen
		}
		return result.StatusClosed
	}
	// walled lets 60 open ports through its firewall and drops the rest.
	walled = func(port uint16) result.Status {
		if port <= 60 {
			return result.StatusOpen
		}
		return result.StatusFiltered
	}
	dropAll = func(uint16) result.Status { return result.StatusFiltered }
)

// streamHosts returns a tarpit, a busy real host (300 of 1024 open), a
// host with two open ports, a firewalled host with 60 open ports and the
// rest dropped, and a silent host, on 198.18.0.1-5.
func streamHosts() []synthHost {
	return []synthHost{
		{netip.MustParseAddr("198.18.0.1"), tarpit},
		{netip.MustParseAddr("198.18.0.2"), busy},
		{netip.MustParseAddr("198.18.0.3"), quiet},
		{netip.MustParseAddr("198.18.0.4"), walled},
		{netip.MustParseAddr("198.18.0.5"), dropAll},
	}
}

// TestSuspectStreams runs streams of a tarpit, a busy real host (300 of
// 1024 open), a host with two open ports, a firewalled host with 60 open
// ports and the rest dropped, and a silent host, in many random orders:
// every open result of the tarpit, and only those, is marked, every open
// result arrives once, and closed and filtered ones only when asked for.
func TestSuspectStreams(t *testing.T) {
	hosts := streamHosts()
	for _, show := range []bool{false, true} {
		cfg, p := suspectPlan(t, "198.18.0.0/29", "1-1024", func(c *Config) { c.Closed, c.Filtered = show, show })
		if !p.SuspectCheck {
			t.Fatal("no suspect check for 1024 ports a host")
		}
		for seed := range uint64(20) {
			rs := stream(hosts, 1024, seed)
			got, s := runCheck(cfg, p, rs)
			want := 0
			for _, r := range rs {
				if r.Status == result.StatusOpen || show {
					want++
				}
			}
			if len(got) != want {
				t.Fatalf("show %v, seed %d: %d results, want %d", show, seed, len(got), want)
			}
			seen := map[netip.AddrPort]bool{}
			for _, r := range got {
				ap := netip.AddrPortFrom(r.IP, r.Port)
				if seen[ap] {
					t.Fatalf("seed %d: %v twice", seed, ap)
				}
				seen[ap] = true
				if wantMark := r.IP == hosts[0].ip && r.Status == result.StatusOpen; r.Suspect != wantMark {
					t.Errorf("seed %d: %v %v: suspect %v, want %v", seed, ap, r.Status, r.Suspect, wantMark)
				}
				if r.Time.IsZero() || r.TTL != 64 && r.Status != result.StatusFiltered {
					t.Errorf("seed %d: %v lost its time or TTL: %+v", seed, ap, r)
				}
			}
			if n, ports := s.marked.Load(), s.markedPorts.Load(); n != 1 || ports != 1024 {
				t.Errorf("seed %d: %d suspect hosts, %d ports; want 1 and 1024", seed, n, ports)
			}
			if len(s.held) != 0 {
				t.Errorf("seed %d: %d hosts still held after finish", seed, len(s.held))
			}
		}
	}
}

// TestSuspectWatcher feeds the check the streams of TestSuspectStreams
// as the raw engine does, as its engine.Watcher: each open result, and
// each other one only while the check watches its host. It passes on the
// same results, marked the same, as when fed every result, from far fewer.
func TestSuspectWatcher(t *testing.T) {
	hosts := streamHosts()
	cfg, p := suspectPlan(t, "198.18.0.0/29", "1-1024", nil)
	for seed := range uint64(20) {
		rs := stream(hosts, 1024, seed)
		want, _ := runCheck(cfg, p, rs)
		s := newSuspects(&cfg, p)
		if s.Watching() {
			t.Fatal("watching before any result")
		}
		var got []result.Result
		out := func(r result.Result) { got = append(got, r) }
		check := s.wrap(out)
		fed := 0
		for _, r := range rs {
			if r.Status == result.StatusOpen || s.Watching() && s.Watches(target.FromNetip(r.IP)) {
				check(r)
				fed++
			}
		}
		if s.Watching() {
			t.Errorf("seed %d: still watching once every host is decided", seed)
		}
		s.finish(out)
		if !slices.Equal(got, want) {
			t.Fatalf("seed %d: %d results fed what it watches, %d fed everything", seed, len(got), len(want))
		}
		if opens := 1024 + 300 + 2 + 60; fed > opens+4*(SuspectSample-SuspectOpen+1) {
			t.Errorf("seed %d: fed %d of %d results, want at most the %d open and the few that decide hosts", seed, fed, len(rs), opens)
		}
	}
}

// TestSuspectHoldsUntilDecided: a tarpit's first SuspectOpen-1 open
// results wait, and come out marked with the SuspectOpen-th; a real
// host's wait until SuspectSample-SuspectOpen+1 of its probes answered
// otherwise.
func TestSuspectHoldsUntilDecided(t *testing.T) {
	cfg, p := suspectPlan(t, "198.18.0.0/30", "1-100", nil)
	s := newSuspects(&cfg, p)
	var got []result.Result
	check := s.wrap(func(r result.Result) { got = append(got, r) })
	a, b := netip.MustParseAddr("198.18.0.1"), netip.MustParseAddr("198.18.0.2")
	for port := uint16(1); port < SuspectOpen; port++ {
		check(result.Result{IP: a, Port: port, Status: result.StatusOpen, Time: time.Now()})
	}
	if len(got) != 0 {
		t.Fatalf("%d results passed before the host was decided", len(got))
	}
	if r := s.resume(); r == math.MaxUint64 {
		t.Error("resume() ignores the results held")
	}
	check(result.Result{IP: a, Port: SuspectOpen, Status: result.StatusOpen, Time: time.Now()})
	if len(got) != SuspectOpen || !got[0].Suspect || !got[SuspectOpen-1].Suspect {
		t.Fatalf("after the %dth SYN-ACK: %d results (%v), want %d marked", SuspectOpen, len(got), got, SuspectOpen)
	}
	check(result.Result{IP: a, Port: 99, Status: result.StatusOpen})
	if len(got) != SuspectOpen+1 || !got[SuspectOpen].Suspect {
		t.Fatalf("a later open result of a suspect host is not marked at once: %v", got[SuspectOpen:])
	}

	got = nil
	check(result.Result{IP: b, Port: 80, Status: result.StatusOpen})
	for port := uint16(1); port <= SuspectSample-SuspectOpen; port++ {
		check(result.Result{IP: b, Port: port, Status: result.StatusClosed})
	}
	if len(got) != 0 {
		t.Fatalf("real host's result passed after %d non-open answers", SuspectSample-SuspectOpen)
	}
	check(result.Result{IP: b, Port: 5, Status: result.StatusFiltered})
	if len(got) != 1 || got[0].Suspect || got[0].Port != 80 {
		t.Fatalf("after %d non-open answers: %v, want port 80 unmarked", SuspectSample-SuspectOpen+1, got)
	}
	check(result.Result{IP: b, Port: 81, Status: result.StatusOpen})
	if len(got) != 2 {
		t.Fatal("a later open result of a genuine host is held")
	}
	if r := s.resume(); r != math.MaxUint64 {
		t.Errorf("resume() = %d with nothing held", r)
	}
}

// TestSuspectResume: resume() is the lowest permutation position of a
// held result, so a scan resumed from there probes it again.
func TestSuspectResume(t *testing.T) {
	cfg, p := suspectPlan(t, "198.18.0.0/30", "1-100", nil)
	s := newSuspects(&cfg, p)
	check := s.wrap(func(result.Result) {})
	perm := target.NewPermutation(p.Space.Len(), p.Seed)
	want := uint64(math.MaxUint64)
	for _, port := range []uint16{10, 20, 30} {
		a := netip.MustParseAddr("198.18.0.2")
		check(result.Result{IP: a, Port: port, Status: result.StatusOpen})
		i, ok := p.Space.Lookup(target.FromNetip(a), port)
		if !ok {
			t.Fatal("lookup")
		}
		want = min(want, perm.Pos(i))
	}
	if got := s.resume(); got != want {
		t.Errorf("resume() = %d, want %d", got, want)
	}
}

// TestSuspectDrop: with DropSuspect the tarpit's open results are counted
// but not passed on; the real host's are.
func TestSuspectDrop(t *testing.T) {
	cfg, p := suspectPlan(t, "198.18.0.0/30", "1-64", func(c *Config) { c.DropSuspect = true })
	hosts := []synthHost{{netip.MustParseAddr("198.18.0.1"), tarpit}, {netip.MustParseAddr("198.18.0.2"), quiet}}
	got, s := runCheck(cfg, p, stream(hosts, 64, 3))
	if len(got) != 0 {
		// quiet has ports 80 and 443 open, outside 1-64.
		t.Errorf("with DropSuspect: %v", got)
	}
	if s.marked.Load() != 1 || s.markedPorts.Load() != 64 {
		t.Errorf("%d suspect hosts, %d ports; want 1 and 64", s.marked.Load(), s.markedPorts.Load())
	}
}

// TestSuspectUndecidedAtEnd: a host still undecided when the scan ends
// (too few of its probes in this run) has its results passed on,
// unmarked, by finish.
func TestSuspectUndecidedAtEnd(t *testing.T) {
	cfg, p := suspectPlan(t, "198.18.0.0/30", "1-100", nil)
	var rs []result.Result
	for port := uint16(1); port <= 10; port++ {
		rs = append(rs, result.Result{IP: netip.MustParseAddr("198.18.0.1"), Port: port, Status: result.StatusOpen})
	}
	got, s := runCheck(cfg, p, rs)
	if len(got) != 10 || slices.ContainsFunc(got, func(r result.Result) bool { return r.Suspect }) {
		t.Errorf("finish passed on %v, want 10 unmarked", got)
	}
	if s.marked.Load() != 0 {
		t.Error("an undecided host counted as suspect")
	}
}

// TestSuspectCheckRuns: the check runs only when the scan probes each
// host on SuspectSample ports or more on average, and not when turned
// off; DropSuspect without it is a ConfigError.
func TestSuspectCheckRuns(t *testing.T) {
	for _, tt := range []struct {
		targets, ports string
		f              func(*Config)
		want           bool
	}{
		{"198.18.0.0/24", "80,443", nil, false},
		{"198.18.0.0/24", "1-31", nil, false},
		{"198.18.0.0/24", "1-32", nil, true},
		{"198.18.0.0/24", "1-1024", nil, true},
		{"198.18.0.0/24", "1-1024", func(c *Config) { c.NoSuspectCheck = true }, false},
		{"198.18.0.0/24", "1-64", func(c *Config) { c.Shard = target.Shard{Index: 1, Count: 2} }, true},
		{"198.18.0.0/24", "1-64", func(c *Config) { c.Shard = target.Shard{Index: 1, Count: 3} }, false},
	} {
		_, p := suspectPlan(t, tt.targets, tt.ports, tt.f)
		if p.SuspectCheck != tt.want {
			t.Errorf("%s × %s: SuspectCheck %v, want %v", tt.targets, tt.ports, p.SuspectCheck, tt.want)
		}
	}
	cfg := config(t, "198.18.0.0/24", "1-1024")
	cfg.NoSuspectCheck, cfg.DropSuspect = true, true
	var ce *ConfigError
	if _, err := Prepare(cfg); !errors.As(err, &ce) || ce.Field != "DropSuspect" {
		t.Errorf("DropSuspect with NoSuspectCheck: %v, want a ConfigError for DropSuspect", err)
	}
}

// TestSuspectEveryHostAnswers runs a raw scan through the API over a
// network where every port of every host answers SYN-ACK, a /24 of
// tarpits: every result is marked, every host counted, and with
// DropSuspect nothing is reported.
func TestSuspectEveryHostAnswers(t *testing.T) {
	for _, drop := range []bool{false, true} {
		cfg := config(t, "198.18.0.0/24", "1-64")
		cfg.Rate, cfg.DropSuspect = math.Inf(1), drop
		p, err := Prepare(cfg)
		if err != nil {
			t.Fatal(err)
		}
		s := &Scan{plan: p}
		s.checkSuspects(cfg)
		echo := newEchoNet()
		eng, err := newEngine(&cfg, p, netip.MustParseAddr("198.19.0.1"), nil, 61000, []*netio.Sender{netio.NewSender(echo, 64)}, echo, s.watcher())
		if err != nil {
			t.Fatal(err)
		}
		s.r = &rawScan{Engine: eng}
		results, marked := 0, 0
		err = s.Run(context.Background(), func(r result.Result) {
			results++
			if r.Suspect {
				marked++
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		want := 256 * 64
		if drop {
			want = 0
		}
		if results != want || marked != want {
			t.Errorf("drop %v: %d results, %d marked; want %d of each", drop, results, marked, want)
		}
		if pr := s.Progress(); pr.Suspect != 256 || pr.SuspectPorts != 256*64 || pr.Open != 256*64 {
			t.Errorf("drop %v: progress %+v: want 256 suspect hosts and %d ports", drop, pr, 256*64)
		}
	}
}

// TestSuspectConnect scans 40 loopback listeners, and nothing else, by
// connect(): 127.0.0.1 answers every port probed, so every result is
// marked; with NoSuspectCheck none is.
func TestSuspectConnect(t *testing.T) {
	spec, open := listeners(t, 40)
	for _, off := range []bool{false, true} {
		cfg := config(t, "127.0.0.1", spec)
		cfg.Method, cfg.NoSuspectCheck = Connect, off
		s := newOrSkip(t, cfg)
		var got []result.Result
		if err := s.Run(context.Background(), func(r result.Result) { got = append(got, r) }); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(open) {
			t.Fatalf("off %v: %d results, want %d", off, len(got), len(open))
		}
		for _, r := range got {
			if r.Suspect == off {
				t.Errorf("off %v: %v:%d suspect %v", off, r.IP, r.Port, r.Suspect)
			}
		}
		want := uint64(1)
		if off {
			want = 0
		}
		if n := s.Progress().Suspect; n != want {
			t.Errorf("off %v: progress counts %d suspect hosts, want %d", off, n, want)
		}
	}
}

// BenchmarkSuspectCheck is the check's cost per result on the receiver's
// goroutine, for the results most scans are made of: closed ports of
// hosts with an open port (a tally to find) and without one (nothing).
func BenchmarkSuspectCheck(b *testing.B) {
	cfg := config(&testing.T{}, "198.18.0.0/16", "1-1024")
	cfg.Seed, cfg.FixedSeed = 7, true
	p, err := Prepare(cfg)
	if err != nil {
		b.Fatal(err)
	}
	s := newSuspects(&cfg, p)
	check := s.wrap(func(result.Result) {})
	// Every 16th host has port 80 open and is genuine.
	for h := 0; h < 1<<16; h += 16 {
		ip := target.AddrOf(0xc6120000 + uint32(h))
		check(result.Result{IP: ip, Port: 80, Status: result.StatusOpen})
		for port := uint16(1); port <= 5; port++ {
			check(result.Result{IP: ip, Port: port, Status: result.StatusClosed})
		}
	}
	r := result.Result{Status: result.StatusClosed, Reason: result.ReasonReset, TTL: 64}
	b.ReportAllocs()
	i := uint32(0)
	for b.Loop() {
		r.IP, r.Port = target.AddrOf(0xc6120000+i%(1<<16)), uint16(i%1024+1)
		check(r)
		i++
	}
}
