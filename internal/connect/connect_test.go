//go:build unix

package connect

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/trawlscan/trawl/pkg/result"
	"github.com/trawlscan/trawl/pkg/target"
)

// newSpace returns the space of hosts × ports and a permutation of it,
// the hosts parsed as target tokens, as the command line gives them.
func newSpace(t testing.TB, hosts []netip.Addr, ports string) (*target.Space, *target.Permutation) {
	t.Helper()
	tokens := make([]string, len(hosts))
	for i, h := range hosts {
		tokens[i] = h.String()
	}
	rs, err := target.ParseTargets(tokens)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := target.ParsePorts(ports)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := target.NewSpace(rs, nil, ps)
	if err != nil {
		t.Fatal(err)
	}
	return sp, target.NewPermutation(sp.Len(), 42)
}

// loopbackHosts returns 127.0.0.1 and, where the system answers for the
// rest of 127.0.0.0/8 (Linux), 127.0.0.2 and 127.0.0.3.
func loopbackHosts(t *testing.T) []netip.Addr {
	hosts := []netip.Addr{netip.MustParseAddr("127.0.0.1")}
	ln, err := net.Listen("tcp4", "127.0.0.2:0")
	if err != nil {
		t.Logf("only 127.0.0.1: %v", err)
		return hosts
	}
	ln.Close()
	return append(hosts, netip.MustParseAddr("127.0.0.2"), netip.MustParseAddr("127.0.0.3"))
}

// lo4 and lo6 are the IPv4 and IPv6 loopback addresses.
var (
	lo4 = netip.MustParseAddr("127.0.0.1")
	lo6 = netip.IPv6Loopback()
)

// need6 skips the test unless ::1 takes a listener: the kernel has IPv6
// and lo has ::1 (see ip -6 addr show lo).
func need6(t testing.TB) {
	t.Helper()
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback (is ::1 on lo? ip -6 addr show lo): %v", err)
	}
	ln.Close()
}

// forFamilies runs f in three subtests: on the IPv4 hosts v4, on ::1, and
// on both mixed in one space. The last two skip without ::1.
func forFamilies(t *testing.T, v4 []netip.Addr, f func(t *testing.T, hosts []netip.Addr)) {
	for _, fam := range []struct {
		name  string
		hosts []netip.Addr
	}{
		{"IPv4", v4},
		{"IPv6", []netip.Addr{lo6}},
		{"mixed", append(slices.Clone(v4), lo6)},
	} {
		t.Run(fam.name, func(t *testing.T) {
			if slices.ContainsFunc(fam.hosts, netip.Addr.Is6) {
				need6(t)
			}
			f(t, fam.hosts)
		})
	}
}

// plant finds a block of n ports, below the ephemeral range, that is free on
// every host: it listens on all of them and then closes all but those that
// open chooses, which stay open until the test ends. It returns the block
// as a port spec and the set of open (host, port) pairs.
func plant(t testing.TB, hosts []netip.Addr, n int, open func(host, k int) bool) (string, map[netip.AddrPort]bool) {
	t.Helper()
	for range 20 {
		base := 10000 + rand.IntN(20000-n)
		var all []net.Listener
		truth := map[netip.AddrPort]bool{}
		free := true
		for h, host := range hosts {
			for k := range n {
				ap := netip.AddrPortFrom(host, uint16(base+k))
				ln, err := net.Listen("tcp", ap.String())
				if err != nil {
					free = false
					break
				}
				all = append(all, ln)
				if open(h, k) {
					truth[ap] = true
				}
			}
			if !free {
				break
			}
		}
		for _, ln := range all {
			ap := ln.Addr().(*net.TCPAddr).AddrPort()
			if free && truth[ap] {
				t.Cleanup(func() { ln.Close() })
			} else {
				ln.Close()
			}
		}
		if free {
			return strconv.Itoa(base) + "-" + strconv.Itoa(base+n-1), truth
		}
	}
	t.Fatalf("no block of %d free ports found", n)
	return "", nil
}

// collect runs s and returns its results by address, failing the test on
// a duplicate.
func collect(t *testing.T, ctx context.Context, s *Scanner) (map[netip.AddrPort]result.Status, error) {
	t.Helper()
	got, _, err := collectReasons(t, ctx, s)
	return got, err
}

// connectReasons are the reasons a connect() scan may give each status.
var connectReasons = map[result.Status][]result.Reason{
	result.StatusOpen:     {result.ReasonSYNACK},
	result.StatusClosed:   {result.ReasonConnRefused},
	result.StatusFiltered: {result.ReasonNoResponse, result.ReasonHostUnreach, result.ReasonNetUnreach, result.ReasonProtoUnreach, result.ReasonAdminProhibited},
}

// collectReasons is collect that also returns the reasons, failing the
// test on a reason that does not go with its status, on a reason TTL,
// which a connect() scan cannot know, and on an IPv4-mapped or zoned
// address: an IPv6 target is reported as plain IPv6.
func collectReasons(t *testing.T, ctx context.Context, s *Scanner) (map[netip.AddrPort]result.Status, map[netip.AddrPort]result.Reason, error) {
	t.Helper()
	got, reasons := map[netip.AddrPort]result.Status{}, map[netip.AddrPort]result.Reason{}
	err := s.Run(ctx, func(r result.Result) {
		ap := netip.AddrPortFrom(r.IP, r.Port)
		if _, dup := got[ap]; dup {
			t.Errorf("duplicate result for %v", ap)
		}
		if r.TTL != 0 || r.ReasonTTL != 0 || r.Time.IsZero() {
			t.Errorf("result %+v: want TTLs 0 and a time", r)
		}
		if !slices.Contains(connectReasons[r.Status], r.Reason) {
			t.Errorf("result %+v: reason %q does not go with %v", r, r.Reason, r.Status)
		}
		if !r.IP.IsValid() || r.IP.Is4In6() || r.IP.Zone() != "" {
			t.Errorf("result %+v: address %v is not plain IPv4 or IPv6", r, r.IP)
		}
		got[ap], reasons[ap] = r.Status, r.Reason
	})
	return got, reasons, err
}

// TestScanLoopback scans listeners on 127.0.0.0/8 and ::1, each family
// alone and both in one space: every planted listener is open with
// syn-ack, and every other port is closed with conn-refused.
func TestScanLoopback(t *testing.T) {
	forFamilies(t, loopbackHosts(t), func(t *testing.T, hosts []netip.Addr) {
		const n = 64
		ports, truth := plant(t, hosts, n, func(h, k int) bool { return (k*7+h*3)%11 == 0 })
		sp, perm := newSpace(t, hosts, ports)
		for _, tc := range []struct {
			name        string
			concurrency int
			closed      bool
		}{
			{"default", 0, true},
			{"concurrency 1", 1, false},
			{"concurrency 5", 5, true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				s, err := New(Config{Space: sp, Perm: perm, Concurrency: tc.concurrency, Closed: tc.closed, Timeout: 5 * time.Second})
				if err != nil {
					t.Fatal(err)
				}
				got, reasons, err := collectReasons(t, context.Background(), s)
				if err != nil {
					t.Fatalf("Run: %v", err)
				}
				total := uint64(len(hosts) * n)
				for ap := range truth {
					if got[ap] != result.StatusOpen || reasons[ap] != result.ReasonSYNACK {
						t.Errorf("%v: got %v %q, want open syn-ack", ap, got[ap], reasons[ap])
					}
				}
				for ap, st := range got {
					if truth[ap] {
						continue
					}
					if !tc.closed || st != result.StatusClosed || reasons[ap] != result.ReasonConnRefused {
						t.Errorf("%v: got %v %q, want closed conn-refused and only if asked for", ap, st, reasons[ap])
					}
				}
				if tc.closed && uint64(len(got)) != total {
					t.Errorf("got %d results, want one per probe, %d", len(got), total)
				}
				want := Stats{Total: total, Position: total, Sent: total, Open: uint64(len(truth)), Closed: total - uint64(len(truth))}
				if st := s.Stats(); st != want {
					t.Errorf("Stats = %+v, want %+v", st, want)
				}
				if r := s.Resume(); r != perm.Len() {
					t.Errorf("Resume = %d after a full run, want %d", r, perm.Len())
				}
			})
		}
	})
}

// TestCancelResume interrupts a scan, resumes it from Resume and checks
// that the two runs together find what one run finds, and that every
// position before Resume was reported by the first.
func TestCancelResume(t *testing.T) {
	forFamilies(t, []netip.Addr{lo4}, testCancelResume)
}

func testCancelResume(t *testing.T, hosts []netip.Addr) {
	const n = 400
	ports, truth := plant(t, hosts, n, func(_, k int) bool { return k%37 == 5 })
	sp, perm := newSpace(t, hosts, ports)
	const start = 50
	cfg := Config{Space: sp, Perm: perm, Start: start, Concurrency: 8, Rate: 2000, Closed: true}
	s1, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var cancelled time.Time
	time.AfterFunc(80*time.Millisecond, func() { cancelled = time.Now(); cancel() })
	first, err := collect(t, ctx, s1)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run after cancel = %v, want context.Canceled", err)
	}
	if d := time.Since(cancelled); d > time.Second {
		t.Errorf("Run returned %v after cancel", d)
	}
	resume, st := s1.Resume(), s1.Stats()
	t.Logf("resume at %d of [%d, %d); stats %+v", resume, start, perm.Len(), st)
	if resume < start || resume >= perm.Len() || resume > start+st.Position {
		t.Fatalf("Resume = %d, want in [%d, %d]", resume, start, start+st.Position)
	}
	for pos := uint64(start); pos < resume; pos++ {
		ip, port := sp.Index(perm.At(pos))
		ap := netip.AddrPortFrom(ip.Netip(), port)
		if _, ok := first[ap]; !ok {
			t.Errorf("position %d (%v) is before Resume but was not reported", pos, ap)
		}
	}

	cfg.Start = resume
	s2, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	second, err := collect(t, context.Background(), s2)
	if err != nil {
		t.Fatalf("resumed Run: %v", err)
	}
	for ap, st := range second {
		first[ap] = st
	}
	if want := int(perm.Len() - start); len(first) != want {
		t.Errorf("both runs reported %d probes, want %d", len(first), want)
	}
	for pos := uint64(start); pos < perm.Len(); pos++ {
		ip, port := sp.Index(perm.At(pos))
		ap := netip.AddrPortFrom(ip.Netip(), port)
		want := result.StatusClosed
		if truth[ap] {
			want = result.StatusOpen
		}
		if first[ap] != want {
			t.Errorf("%v: got %v, want %v", ap, first[ap], want)
		}
	}
}

// fakeDial answers by port from a script of errors, one per attempt at
// each address; the last entry repeats, and a nil entry connects.
type fakeDial struct {
	mu     sync.Mutex
	script map[uint16][]error
	calls  map[netip.AddrPort]int
}

func newFakeDial(script map[uint16][]error) *fakeDial {
	return &fakeDial{script: script, calls: map[netip.AddrPort]int{}}
}

func (f *fakeDial) dial(_ context.Context, addr netip.AddrPort) (net.Conn, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	steps := f.script[addr.Port()]
	i := min(f.calls[addr], len(steps)-1)
	f.calls[addr]++
	if steps[i] != nil {
		return nil, steps[i]
	}
	c1, c2 := net.Pipe()
	c2.Close()
	return c1, nil
}

func errnoErr(e syscall.Errno) error {
	return &net.OpError{Op: "dial", Net: "tcp4", Err: os.NewSyscallError("connect", e)}
}

var errTimeout = &net.OpError{Op: "dial", Net: "tcp4", Err: os.ErrDeadlineExceeded}

func TestOutcomes(t *testing.T) {
	tests := []struct {
		port   uint16
		steps  []error
		want   result.Status // StatusInvalid: no result
		reason result.Reason
		calls  int
	}{
		{1, []error{nil}, result.StatusOpen, result.ReasonSYNACK, 1},
		{2, []error{errnoErr(syscall.ECONNREFUSED)}, result.StatusClosed, result.ReasonConnRefused, 1},
		{3, []error{errTimeout}, result.StatusFiltered, result.ReasonNoResponse, 3},
		{4, []error{errTimeout, nil}, result.StatusOpen, result.ReasonSYNACK, 2},
		{5, []error{errnoErr(syscall.EHOSTUNREACH)}, result.StatusFiltered, result.ReasonHostUnreach, 1},
		{6, []error{errnoErr(syscall.EMFILE), errnoErr(syscall.ENFILE), errnoErr(syscall.EADDRNOTAVAIL), errnoErr(syscall.ECONNREFUSED)}, result.StatusClosed, result.ReasonConnRefused, 4},
		{7, []error{errnoErr(syscall.EPERM)}, result.StatusInvalid, result.ReasonNone, 1},
		{8, []error{errTimeout, errnoErr(syscall.ECONNREFUSED)}, result.StatusClosed, result.ReasonConnRefused, 2},
		{9, []error{errnoErr(syscall.ETIMEDOUT), errTimeout, errnoErr(syscall.EHOSTDOWN)}, result.StatusFiltered, result.ReasonNoResponse, 3},
		{10, []error{errnoErr(syscall.ENETUNREACH)}, result.StatusFiltered, result.ReasonNetUnreach, 1},
		{11, []error{errTimeout, errTimeout, errnoErr(syscall.EHOSTUNREACH)}, result.StatusFiltered, result.ReasonHostUnreach, 3},
		{12, []error{errnoErr(syscall.ENOPROTOOPT)}, result.StatusFiltered, result.ReasonProtoUnreach, 1},
		{13, []error{errnoErr(syscall.EACCES)}, result.StatusFiltered, result.ReasonAdminProhibited, 1},
	}
	f := newFakeDial(map[uint16][]error{})
	for _, tc := range tests {
		f.script[tc.port] = tc.steps
	}
	// Both families: the outcome depends on the error alone, and the
	// results carry each target's own address.
	hosts := []netip.Addr{lo4, lo6}
	sp, perm := newSpace(t, hosts, "1-13")
	s, err := New(Config{Space: sp, Perm: perm, Retries: 2, Closed: true, Filtered: true})
	if err != nil {
		t.Fatal(err)
	}
	s.dial = f.dial
	got, reasons, err := collectReasons(t, context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range hosts {
		for _, tc := range tests {
			ap := netip.AddrPortFrom(host, tc.port)
			if got[ap] != tc.want || reasons[ap] != tc.reason {
				t.Errorf("%v: got %v %q, want %v %q", ap, got[ap], reasons[ap], tc.want, tc.reason)
			}
			if f.calls[ap] != tc.calls {
				t.Errorf("%v: %d attempts, want %d", ap, f.calls[ap], tc.calls)
			}
		}
	}
	one := Stats{Total: 13, Position: 13, Sent: 1 + 1 + 3 + 2 + 1 + 1 + 1 + 2 + 3 + 1 + 3 + 1 + 1, Open: 2, Closed: 3, Filtered: 7, Unreachable: 5, Errors: 1, Backoffs: 3}
	want := Stats{Total: 2 * one.Total, Position: 2 * one.Position, Sent: 2 * one.Sent, Open: 2 * one.Open, Closed: 2 * one.Closed,
		Filtered: 2 * one.Filtered, Unreachable: 2 * one.Unreachable, Errors: 2 * one.Errors, Backoffs: 2 * one.Backoffs}
	if st := s.Stats(); st != want {
		t.Errorf("Stats = %+v, want %+v", st, want)
	}
}

func TestOnlyAskedStatuses(t *testing.T) {
	f := newFakeDial(map[uint16][]error{
		1: {nil}, 2: {errnoErr(syscall.ECONNREFUSED)}, 3: {errTimeout},
	})
	sp, perm := newSpace(t, []netip.Addr{netip.MustParseAddr("127.0.0.1")}, "1-3")
	for _, tc := range []struct {
		closed, filtered bool
		want             int
	}{{false, false, 1}, {true, false, 2}, {false, true, 2}, {true, true, 3}} {
		s, err := New(Config{Space: sp, Perm: perm, Closed: tc.closed, Filtered: tc.filtered})
		if err != nil {
			t.Fatal(err)
		}
		s.dial = f.dial
		got, err := collect(t, context.Background(), s)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != tc.want {
			t.Errorf("Closed %v Filtered %v: got %v, want %d results", tc.closed, tc.filtered, got, tc.want)
		}
	}
}

// TestCancelInFlight cancels while every worker is blocked in a connect and
// checks that Run aborts them and returns promptly, with nothing handled.
func TestCancelInFlight(t *testing.T) {
	sp, perm := newSpace(t, []netip.Addr{netip.MustParseAddr("127.0.0.1")}, "1-100")
	s, err := New(Config{Space: sp, Perm: perm, Start: 10, End: 60, Concurrency: 4, Timeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	s.dial = func(ctx context.Context, _ netip.AddrPort) (net.Conn, error) {
		<-ctx.Done()
		return nil, &net.OpError{Op: "dial", Net: "tcp4", Err: ctx.Err()}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	began := time.Now()
	if err := s.Run(ctx, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Run = %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(began); d > time.Second {
		t.Errorf("Run took %v", d)
	}
	if r := s.Resume(); r != 10 {
		t.Errorf("Resume = %d, want 10: nothing was handled", r)
	}
	if st := s.Stats(); st.Sent != 4 || st.Open+st.Closed+st.Filtered+st.Errors != 0 || st.Position != 4 {
		t.Errorf("Stats = %+v, want 4 attempts, 4 positions claimed and no outcome", st)
	}
}

// TestCancelAfterFinish checks that a cancel that comes after every probe
// is handled is not reported as an interruption.
func TestCancelAfterFinish(t *testing.T) {
	sp, perm := newSpace(t, []netip.Addr{netip.MustParseAddr("127.0.0.1")}, "1-3")
	s, err := New(Config{Space: sp, Perm: perm})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.dial = func(context.Context, netip.AddrPort) (net.Conn, error) { return nil, errnoErr(syscall.ECONNREFUSED) }
	if err := s.Run(ctx, func(result.Result) {}); err != nil {
		t.Fatal(err)
	}
	cancel()
	if s.Resume() != 3 {
		t.Errorf("Resume = %d, want 3", s.Resume())
	}
	if err := s.Run(ctx, nil); err == nil {
		t.Error("second Run succeeded, want an error")
	}
}

func TestRate(t *testing.T) {
	sp, perm := newSpace(t, []netip.Addr{netip.MustParseAddr("127.0.0.1")}, "1-60")
	s, err := New(Config{Space: sp, Perm: perm, Concurrency: 8, Rate: 400})
	if err != nil {
		t.Fatal(err)
	}
	s.dial = func(context.Context, netip.AddrPort) (net.Conn, error) { return nil, errnoErr(syscall.ECONNREFUSED) }
	began := time.Now()
	if err := s.Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	// 60 attempts at 400/s, less a burst of 10 ms (4 attempts): 140 ms.
	d := time.Since(began)
	if d < 130*time.Millisecond || d > 2*time.Second {
		t.Errorf("60 connects at 400/s took %v, want about 150ms", d)
	}
	if st := s.Stats(); st.Sent != 60 || st.Closed != 60 {
		t.Errorf("Stats = %+v", st)
	}
}

func TestNewErrors(t *testing.T) {
	sp, perm := newSpace(t, []netip.Addr{netip.MustParseAddr("127.0.0.1")}, "1-10")
	_, other := newSpace(t, []netip.Addr{netip.MustParseAddr("127.0.0.1")}, "1-11")
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"no space", Config{Perm: perm}},
		{"no permutation", Config{Space: sp}},
		{"permutation of another size", Config{Space: sp, Perm: other}},
		{"negative concurrency", Config{Space: sp, Perm: perm, Concurrency: -1}},
		{"negative timeout", Config{Space: sp, Perm: perm, Timeout: -time.Second}},
		{"negative retries", Config{Space: sp, Perm: perm, Retries: -1}},
		{"negative rate", Config{Space: sp, Perm: perm, Rate: -1}},
		{"IPv4-mapped source", Config{Space: sp, Perm: perm, Source: netip.MustParseAddr("::ffff:127.0.0.1")}},
	} {
		if _, err := New(tc.cfg); err == nil {
			t.Errorf("%s: New succeeded, want an error", tc.name)
		}
	}
}

func TestDefaults(t *testing.T) {
	sp, perm := newSpace(t, []netip.Addr{netip.MustParseAddr("127.0.0.1")}, "1-65535")
	s, err := New(Config{Space: sp, Perm: perm})
	if err != nil {
		t.Fatal(err)
	}
	soft, _ := RaiseFileLimit()
	if want := defaultConcurrency(soft); s.Concurrency() != want {
		t.Errorf("Concurrency = %d, want %d for a file limit of %d", s.Concurrency(), want, soft)
	}
	if s.cfg.Timeout != DefaultTimeout || s.cfg.End != sp.Len() {
		t.Errorf("Timeout %v, End %d: want the defaults", s.cfg.Timeout, s.cfg.End)
	}
	small, smallPerm := newSpace(t, []netip.Addr{netip.MustParseAddr("127.0.0.1")}, "1-3")
	if s, err := New(Config{Space: small, Perm: smallPerm, Concurrency: 100}); err != nil || s.Concurrency() != 3 {
		t.Errorf("3 probes at concurrency 100: %d workers (%v), want 3", s.Concurrency(), err)
	}
	for soft, want := range map[uint64]int{0: 1, 64: 1, 65: 1, 1024: 960, 1088: 1024, 1 << 20: MaxConcurrency, 1<<63 - 1: MaxConcurrency} {
		if got := defaultConcurrency(soft); got != want {
			t.Errorf("defaultConcurrency(%d) = %d, want %d", soft, got, want)
		}
	}
}

// TestSourceBind binds connections to a source address: those to targets
// of its family leave from it, and those to targets of the other family
// from the kernel's choice, which for a loopback target is the target.
func TestSourceBind(t *testing.T) {
	src4 := lo4
	if v4 := loopbackHosts(t); len(v4) > 1 {
		// A source the kernel would not choose for 127.0.0.1 by itself.
		src4 = v4[1]
	}
	for _, tc := range []struct {
		name   string
		source netip.Addr
		hosts  []netip.Addr
	}{
		{"IPv4 source", src4, []netip.Addr{lo4}},
		{"IPv4 source, mixed", src4, []netip.Addr{lo4, lo6}},
		{"IPv6 source", lo6, []netip.Addr{lo6}},
		{"IPv6 source, mixed", lo6, []netip.Addr{lo4, lo6}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if slices.ContainsFunc(tc.hosts, netip.Addr.Is6) {
				need6(t)
			}
			ports, truth := plant(t, tc.hosts, 8, func(_, k int) bool { return k == 3 })
			sp, perm := newSpace(t, tc.hosts, ports)
			s, err := New(Config{Space: sp, Perm: perm, Source: tc.source})
			if err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			from := map[netip.AddrPort]netip.Addr{}
			s.dial = func(ctx context.Context, addr netip.AddrPort) (net.Conn, error) {
				c, err := s.netDial(ctx, addr)
				if err == nil {
					mu.Lock()
					from[addr] = c.LocalAddr().(*net.TCPAddr).AddrPort().Addr().Unmap()
					mu.Unlock()
				}
				return c, err
			}
			got, err := collect(t, context.Background(), s)
			if err != nil {
				t.Fatal(err)
			}
			if st := s.Stats(); len(got) != len(truth) || st.Closed != uint64(7*len(tc.hosts)) || st.Errors != 0 {
				t.Errorf("got %v and %+v, want the open ports %v and the rest closed", got, st, truth)
			}
			for ap := range truth {
				want := ap.Addr()
				if ap.Addr().Is4() == tc.source.Is4() {
					want = tc.source
				}
				if from[ap] != want {
					t.Errorf("%v: connected from %v, want %v", ap, from[ap], want)
				}
			}
		})
	}
}

// BenchmarkLoopback measures connects per second to 256 ports of
// 127.0.0.1, one in 16 open, and the same on ::1.
func BenchmarkLoopback(b *testing.B) {
	for _, host := range []netip.Addr{lo4, lo6} {
		name := "IPv4"
		if host.Is6() {
			name = "IPv6"
		}
		b.Run(name, func(b *testing.B) {
			if host.Is6() {
				need6(b)
			}
			hosts := []netip.Addr{host}
			ports, _ := plant(b, hosts, 256, func(_, k int) bool { return k%16 == 0 })
			sp, perm := newSpace(b, hosts, ports)
			b.ReportAllocs()
			for b.Loop() {
				s, err := New(Config{Space: sp, Perm: perm, Concurrency: 64})
				if err != nil {
					b.Fatal(err)
				}
				if err := s.Run(context.Background(), nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)*float64(sp.Len())/b.Elapsed().Seconds(), "connects/s")
		})
	}
}
