package scan

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"net"
	"net/netip"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trawlscan/trawl/internal/netio"
	"github.com/trawlscan/trawl/pkg/result"
	"github.com/trawlscan/trawl/pkg/target"
)

// config returns a Config for targets × ports.
func config(t *testing.T, targets, ports string) Config {
	t.Helper()
	ts, err := target.ParseTargets(strings.Fields(targets))
	if err != nil {
		t.Fatal(err)
	}
	ps, err := target.ParsePorts(ports)
	if err != nil {
		t.Fatal(err)
	}
	return Config{Targets: ts, Ports: ps}
}

func TestConfigErrors(t *testing.T) {
	good := config(t, "198.18.0.0/24", "80")
	set := func(f func(*Config)) Config {
		c := good
		f(&c)
		return c
	}
	tests := []struct {
		name  string
		cfg   Config
		field string
	}{
		{"no targets", set(func(c *Config) { c.Targets = nil }), "Targets"},
		{"no ports", set(func(c *Config) { c.Ports = target.Ports{} }), "Ports"},
		{"everything excluded", set(func(c *Config) { c.Exclude = c.Targets }), "Targets"},
		{"negative rate", set(func(c *Config) { c.Rate = -1 }), "Rate"},
		{"rate not a number", set(func(c *Config) { c.Rate = math.NaN() }), "Rate"},
		{"negative burst", set(func(c *Config) { c.Burst = -1 }), "Burst"},
		{"negative retries", set(func(c *Config) { c.Retries = -1 }), "Retries"},
		{"negative wait", set(func(c *Config) { c.Wait = -time.Second }), "Wait"},
		{"too many senders", set(func(c *Config) { c.Senders = 65 }), "Senders"},
		{"negative concurrency", set(func(c *Config) { c.Concurrency = -1 }), "Concurrency"},
		{"negative timeout", set(func(c *Config) { c.Timeout = -1 }), "Timeout"},
		{"unknown method", set(func(c *Config) { c.Method = Portable + 1 }), "Method"},
		{"negative banner concurrency", set(func(c *Config) { c.Services = &Services{Concurrency: -1} }), "Services.Concurrency"},
		{"negative banner timeout", set(func(c *Config) { c.Services = &Services{Timeout: -1} }), "Services.Timeout"},
		{"negative banner read timeout", set(func(c *Config) { c.Services = &Services{ReadTimeout: -1} }), "Services.ReadTimeout"},
		{"zoned source", set(func(c *Config) { c.Source = netip.MustParseAddr("fe80::1%eth0") }), "Source"},
		{"mapped source", set(func(c *Config) { c.Source = netip.MustParseAddr("::ffff:198.19.0.1") }), "Source"},
		{"shard past its count", set(func(c *Config) { c.Shard = target.Shard{Index: 3, Count: 2}; c.FixedSeed = true }), "Shard"},
		{"shard without a seed", set(func(c *Config) { c.Shard = target.Shard{Index: 1, Count: 2} }), "Seed"},
		{"resume before the shard", set(func(c *Config) {
			c.Shard, c.FixedSeed, c.Resume = target.Shard{Index: 2, Count: 2}, true, 5
		}), "Resume"},
		{"resume past the end", set(func(c *Config) { c.Resume = 257 }), "Resume"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Field != tt.field {
				t.Fatalf("New: %v, want a *ConfigError for %s", err, tt.field)
			}
			if _, err := Prepare(tt.cfg); err == nil || err.Error() != ce.Error() {
				t.Errorf("Prepare: %v, want %v as from New", err, ce)
			}
		})
	}
}

// TestAnySize plans the largest IPv4 space, every address × every port, in
// one run (Prepare sends nothing), and refuses only what would overflow
// the counters.
func TestAnySize(t *testing.T) {
	cfg := config(t, "0.0.0.0/0", "1-65535")
	cfg.Retries, cfg.NoDefaultBlocklist = 2, true
	p, err := Prepare(cfg)
	if err != nil || p.End-p.Start != 1<<32*65535 {
		t.Fatalf("all of IPv4 × 1-65535: %v, %d probes", err, p.End-p.Start)
	}
	cfg.Retries = 1 << 20
	var ce *ConfigError
	if _, err := Prepare(cfg); !errors.As(err, &ce) || ce.Field != "Retries" {
		t.Errorf("2^48 probes × 2^20 tries: %v, want a *ConfigError for Retries", err)
	}
}

func TestPrepare(t *testing.T) {
	cfg := config(t, "127.0.0.0/30", "1-10")
	cfg.Shard, cfg.Seed, cfg.FixedSeed, cfg.Resume = target.Shard{Index: 2, Count: 2}, 9, true, 30
	p, err := Prepare(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if p.Space.Len() != 40 || p.Seed != 9 || p.Start != 30 || p.End != 40 || !p.Loopback || p.Method != Auto {
		t.Errorf("plan %+v", p)
	}
	cfg = config(t, "198.18.0.1", "80")
	a, _ := Prepare(cfg)
	b, _ := Prepare(cfg)
	if a.Seed == b.Seed || a.Loopback {
		t.Errorf("two plans without a fixed seed: seeds %d and %d, loopback %v", a.Seed, b.Seed, a.Loopback)
	}
}

// listeners starts n TCP listeners on 127.0.0.1, closed when t ends, and
// returns their ports as a port list.
func listeners(t *testing.T, n int) (spec string, open []uint16) {
	t.Helper()
	for range n {
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		open = append(open, uint16(ln.Addr().(*net.TCPAddr).Port))
	}
	slices.Sort(open)
	var s []string
	for _, p := range open {
		s = append(s, strconv.Itoa(int(p)))
	}
	return strings.Join(s, ","), open
}

// openPorts runs s and returns the open ports it reported, sorted.
func openPorts(t *testing.T, s *Scan) []uint16 {
	t.Helper()
	var got []uint16
	err := s.Run(context.Background(), func(r result.Result) {
		if r.Status == result.StatusOpen {
			got = append(got, r.Port)
		}
	})
	if err != nil {
		t.Error(err)
	}
	slices.Sort(got)
	return got
}

// newOrSkip returns New(cfg), closed when t ends, skipping t if cfg asks
// for raw packets and this process may not send them.
func newOrSkip(t *testing.T, cfg Config) *Scan {
	t.Helper()
	s, err := New(cfg)
	if errors.Is(err, ErrPrivilege) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestTwoScansAtOnce runs two scans of different loopback ports in one
// process at the same time, by each method this process may use: each
// finds its own open ports and nothing of the other's.
func TestTwoScansAtOnce(t *testing.T) {
	for _, m := range []Method{Connect, RawSocket} {
		t.Run(m.String(), func(t *testing.T) {
			var scans [2]*Scan
			var want [2][]uint16
			for i := range scans {
				spec, open := listeners(t, 20)
				want[i] = open
				// Closed ports beside the open ones, below the ephemeral range that
				// the listeners use, make both scans busy.
				cfg := config(t, "127.0.0.1", spec+","+strconv.Itoa(20000+i*1000)+"-"+strconv.Itoa(20999+i*1000))
				cfg.Method = m
				scans[i] = newOrSkip(t, cfg)
			}
			var got [2][]uint16
			var wg sync.WaitGroup
			for i, s := range scans {
				wg.Go(func() { got[i] = openPorts(t, s) })
			}
			wg.Wait()
			for i, s := range scans {
				if !slices.Equal(got[i], want[i]) {
					t.Errorf("scan %d found %v, want %v", i, got[i], want[i])
				}
				if p := s.Progress(); p.Replies != p.Total || p.Invalid != 0 {
					t.Errorf("scan %d: %+v", i, p)
				}
				if s.Plan().Method != m {
					t.Errorf("scan %d ran by %v, want %v", i, s.Plan().Method, m)
				}
			}
		})
	}
}

// TestLockThreads checks that a scan leaves GOMAXPROCS alone unless asked,
// and restores it after when asked.
func TestLockThreads(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	for _, lock := range []bool{false, true} {
		spec, _ := listeners(t, 1)
		cfg := config(t, "127.0.0.1", spec+",20000-20999")
		cfg.Method, cfg.Senders, cfg.LockThreads = RawSocket, 2, lock
		// Without the suspect check, which may hold the open result
		// until the scan's end, it comes while the engine runs.
		cfg.NoSuspectCheck = true
		s := newOrSkip(t, cfg)
		during := 0
		if err := s.Run(context.Background(), func(result.Result) { during = runtime.GOMAXPROCS(0) }); err != nil {
			t.Fatal(err)
		}
		want := before
		if lock {
			want = 3
		}
		if during != want || runtime.GOMAXPROCS(0) != before {
			t.Errorf("LockThreads %v: GOMAXPROCS %d while running (want %d), %d after (want %d)", lock, during, want, runtime.GOMAXPROCS(0), before)
		}
	}
}

// TestCancel stops a scan that would take minutes: Run returns ctx's
// error at once, and Resume says where to continue.
func TestCancel(t *testing.T) {
	cfg := config(t, "127.0.0.1", "1-65535")
	cfg.Method, cfg.Rate, cfg.Wait = Connect, 100, 100*time.Millisecond
	s := newOrSkip(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := s.Run(ctx, nil)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Fatalf("Run: %v after %v", err, time.Since(start))
	}
	if r := s.Resume(); r == 0 || r >= 65535 {
		t.Errorf("Resume %d after a cancelled scan", r)
	}
	if err := s.Run(context.Background(), nil); err == nil {
		t.Error("a second Run did not fail")
	}
}

// echoNet answers every SYN written to it with a SYN-ACK, as raw IPv4
// frames from a ring of reused buffers, so that it allocates nothing.
type echoNet struct {
	ring   [][]byte
	n      int
	frames chan []byte
	timer  *time.Timer
}

func newEchoNet() *echoNet {
	e := &echoNet{ring: make([][]byte, 4096), frames: make(chan []byte, 1024), timer: time.NewTimer(time.Hour)}
	for i := range e.ring {
		e.ring[i] = make([]byte, 40)
	}
	return e
}

// WriteBatch makes echoNet a netio.BatchWriter. The ring holds more
// buffers than the channel plus the one being read, so a buffer is never
// rewritten while the capture still holds it.
func (e *echoNet) WriteBatch(pkts [][]byte) (int, error) {
	for _, p := range pkts {
		b := e.ring[e.n%len(e.ring)]
		e.n++
		copy(b, p[:20])
		copy(b[12:16], p[16:20]) // the target answers
		copy(b[16:20], p[12:16]) // to the scanner
		b[8] = 64
		binary.BigEndian.PutUint16(b[20:], binary.BigEndian.Uint16(p[22:]))
		binary.BigEndian.PutUint16(b[22:], binary.BigEndian.Uint16(p[20:]))
		binary.BigEndian.PutUint32(b[24:], 1)
		binary.BigEndian.PutUint32(b[28:], binary.BigEndian.Uint32(p[24:])+1)
		b[32], b[33] = 5<<4, 0x12 // data offset 5, SYN|ACK
		e.frames <- b
	}
	return len(pkts), nil
}

// ReadPacket, Link, Stats and Close make echoNet a netio.Capture.
func (e *echoNet) ReadPacket() ([]byte, error) {
	select {
	case b := <-e.frames:
		return b, nil
	default:
	}
	e.timer.Reset(10 * time.Millisecond)
	select {
	case b := <-e.frames:
		e.timer.Stop()
		return b, nil
	case <-e.timer.C:
		return nil, netio.ErrTimeout
	}
}
func (e *echoNet) Link() netio.LinkType               { return netio.LinkRaw }
func (e *echoNet) Stats() (netio.CaptureStats, error) { return netio.CaptureStats{}, nil }
func (e *echoNet) Close()                             {}

// TestNoAllocationPerResult runs a raw scan through the API over a network
// that answers every probe: 131,072 open ports reported, and the whole
// scan allocates a small constant, not once per result.
func TestNoAllocationPerResult(t *testing.T) {
	if testing.Short() {
		t.Skip("counts allocations; -race adds its own")
	}
	cfg := config(t, "198.18.0.0/16", "80,443")
	cfg.Rate = math.Inf(1)
	p, err := Prepare(cfg)
	if err != nil {
		t.Fatal(err)
	}
	echo := newEchoNet()
	eng, err := newEngine(&cfg, p, netip.MustParseAddr("198.19.0.1"), nil, 61000, []*netio.Sender{netio.NewSender(echo, 64)}, echo, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := &Scan{plan: p, r: &rawScan{Engine: eng}}
	results := 0
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	err = s.Run(context.Background(), func(r result.Result) { results++ })
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	allocs := after.Mallocs - before.Mallocs
	if results != 1<<17 || allocs > 1000 {
		t.Errorf("%d results, %d allocations (want 131072 and at most 1000)", results, allocs)
	}
	t.Logf("%d results, %d allocations in all", results, allocs)
}
