package pace

import (
	"context"
	"errors"
	"math"
	"math/big"
	"sync"
	"testing"
	"time"
)

func TestNew(t *testing.T) {
	for _, tc := range []struct {
		name     string
		rate     float64
		burst    int
		per, lag time.Duration
	}{
		{"zero rate", 0, 10, 0, 0},
		{"negative rate", -1, 10, 0, 0},
		{"NaN rate", math.NaN(), 10, 0, 0},
		{"infinite rate", math.Inf(1), 10, 0, 0},
		{"above a probe a nanosecond", 2e9, 10, 0, 0},
		{"a probe a nanosecond", 1e9, 10, 1, 10},
		{"one a second", 1, 3, time.Second, 3 * time.Second},
		{"a third of a second, truncated", 3, 1, 333333333, 333333333},
		{"engine default", 10000, 100, 100 * time.Microsecond, 10 * time.Millisecond},
		{"burst 0 counts as 1", 1000, 0, time.Millisecond, time.Millisecond},
		{"negative burst counts as 1", 1000, -5, time.Millisecond, time.Millisecond},
		{"lag saturates", 1, math.MaxInt, time.Second, maxDuration},
		{"slot saturates", 1e-30, 1, maxDuration, maxDuration},
		{"largest slot that fits", float64(time.Second) / float64(1<<62), 1, 1 << 62, 1 << 62},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := New(tc.rate, tc.burst)
			if l.Per() != tc.per || l.lag != tc.lag {
				t.Errorf("New(%v, %d): per %v, lag %v; want %v, %v", tc.rate, tc.burst, l.Per(), l.lag, tc.per, tc.lag)
			}
		})
	}
}

// TestTimes checks the saturating product against exact arithmetic.
func TestTimes(t *testing.T) {
	ds := []time.Duration{0, 1, 2, 3, 1000, time.Second, 1<<31 - 1, 1 << 31, 1<<32 + 1, maxDuration/3 - 1, maxDuration / 3, maxDuration/3 + 1, maxDuration/2 - 1, maxDuration / 2, maxDuration/2 + 1, maxDuration - 1, maxDuration}
	ns := []int{1, 2, 3, 4, 1000, 1<<31 - 1, 1 << 31, 1<<32 + 1, math.MaxInt/3 + 1, math.MaxInt/2 + 1, math.MaxInt}
	limit := big.NewInt(int64(maxDuration))
	for _, d := range ds {
		for _, n := range ns {
			want := new(big.Int).Mul(big.NewInt(int64(d)), big.NewInt(int64(n)))
			if want.Cmp(limit) > 0 {
				want = limit
			}
			if got := times(d, n); int64(got) != want.Int64() {
				t.Errorf("times(%d, %d) = %d, want %v", d, n, got, want)
			}
		}
	}
}

// TestReserveBound tries every sequence of four calls, at any spacing from
// together to more than lag apart and for batches of one or two probes,
// on small schedules. Counting each batch at the later of its call and its
// first slot, it checks reserve's claims: no first slot more than lag
// behind its call, first slots at least the batches' sizes apart, and no
// interval [a, b] with more than burst + (b − a)/per probes plus the last
// batch's; and that some interval reaches the bound.
func TestReserveBound(t *testing.T) {
	t0 := time.Unix(1e9, 0)
	const calls = 4
	type batch struct {
		now, due, goes time.Duration // since t0
		n              int
	}
	for per := time.Duration(1); per <= 3; per++ {
		for burst := 1; burst <= 3; burst++ {
			lag := per * time.Duration(burst)
			reached := false
			var seq [calls]batch
			var try func(next time.Time, i int)
			try = func(next time.Time, i int) {
				if i == calls {
					for _, first := range seq {
						for _, last := range seq {
							a, b := first.goes, last.goes
							if b < a {
								continue
							}
							probes, lastN := 0, 0
							for _, x := range seq {
								if x.goes >= a && x.goes <= b {
									probes += x.n
									lastN = x.n
								}
							}
							bound := burst + int((b-a)/per) + lastN
							if probes > bound {
								t.Fatalf("per %d, burst %d, calls %+v: %d probes go in [%d, %d], bound %d", per, burst, seq, probes, a, b, bound)
							}
							reached = reached || probes == bound
						}
					}
					return
				}
				var prev time.Duration
				if i > 0 {
					prev = seq[i-1].now
				}
				for gap := time.Duration(0); gap <= lag+per+1; gap++ {
					for n := 1; n <= 2; n++ {
						l := &Limiter{per: per, lag: lag, next: next}
						now := prev + gap
						d := l.reserve(t0.Add(now), n)
						due := now + d
						if d < -lag {
							t.Fatalf("per %d, burst %d: reserved at %d, due at %d: more than lag behind", per, burst, now, due)
						}
						if i > 0 && due < seq[i-1].due+per*time.Duration(seq[i-1].n) {
							t.Fatalf("per %d, burst %d: due at %d after %+v: slots overlap", per, burst, due, seq[i-1])
						}
						seq[i] = batch{now: now, due: due, goes: max(now, due), n: n}
						try(l.next, i+1)
					}
				}
			}
			try(t0.Add(-lag), 0)
			if !reached {
				t.Errorf("per %d, burst %d: no interval reaches the bound", per, burst)
			}
		}
	}
}

// TestReserveMakesGoodLateness has a lone caller wake late by up to a
// batch's time after every call, in every such sequence on a small
// schedule, and checks that the schedule never slips: the k-th probe is
// due at exactly the start + k·per, so the rate holds.
func TestReserveMakesGoodLateness(t *testing.T) {
	t0 := time.Unix(1e9, 0)
	const per, calls = 3, 6
	for burst := 1; burst <= 3; burst++ {
		lag := per * time.Duration(burst)
		for n := 1; n <= 2; n++ {
			late := make([]time.Duration, calls)
			var try func(i int)
			try = func(i int) {
				if i == calls {
					l := &Limiter{per: per, lag: lag, next: t0.Add(-lag)}
					now := t0
					for k, e := range late {
						due := now.Add(l.reserve(now, n))
						if want := t0.Add(-lag + time.Duration(k*n)*per); !due.Equal(want) {
							t.Fatalf("burst %d, batches of %d, late by %v: batch %d due at %v, want %v", burst, n, late, k, due.Sub(t0), want.Sub(t0))
						}
						if due.After(now) {
							now = due
						}
						now = now.Add(e)
					}
					return
				}
				for late[i] = 0; late[i] <= time.Duration(n)*per; late[i]++ {
					try(i + 1)
				}
			}
			try(0)
		}
	}
}

func TestUnpacedDoesNotWait(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name string
		l    *Limiter
	}{
		{"nil", nil},
		{"zero", new(Limiter)},
		{"rate 0", New(0, 0)},
		{"n 0", New(1e-3, 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := 1000
			if tc.l.Per() != 0 {
				n = 0
			}
			start := time.Now()
			for range 1000 {
				if err := tc.l.Wait(context.Background(), n); err != nil {
					t.Fatalf("Wait = %v", err)
				}
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("1000 Waits took %v", d)
			}
			if err := tc.l.Wait(cancelled, n); !errors.Is(err, context.Canceled) {
				t.Errorf("Wait with a cancelled context = %v, want context.Canceled", err)
			}
		})
	}
}

// TestWaitPaces sends 110 probes at 2000/s with a burst of 10: the first
// 11 go at once, and the 110th is due (109 − 10) slots of 500µs later.
func TestWaitPaces(t *testing.T) {
	start := time.Now()
	l := New(2000, 10)
	for i := range 110 {
		if err := l.Wait(context.Background(), 1); err != nil {
			t.Fatal(err)
		}
		if i == 10 && len(l.timers) != 0 {
			t.Fatal("one of the first 11 probes waited")
		}
	}
	if d := time.Since(start); d < 99*500*time.Microsecond || d > 2*time.Second {
		t.Errorf("110 probes at 2000/s after a burst of 10 took %v, want about 49.5ms", d)
	}
}

// TestWaitCancel cancels a sleeping Wait, then checks that the timer it
// gives back does not wake the next sleeper early with a stale tick.
func TestWaitCancel(t *testing.T) {
	l := New(1, 1)
	for range 2 {
		if err := l.Wait(context.Background(), 1); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := l.Wait(ctx, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait = %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d >= time.Second {
		t.Errorf("cancelled Wait returned after %v, at its slot", d)
	}
	if len(l.timers) != 1 {
		t.Fatalf("%d timers kept after one sleep, want 1", len(l.timers))
	}
	ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := l.Wait(ctx, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait on a reused timer = %v, want context.DeadlineExceeded", err)
	}
}

// TestWaitDoesNotAllocate holds Wait to no allocation on the engine's
// paths: unpaced, due now, and a lone caller that sleeps.
func TestWaitDoesNotAllocate(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, tc := range []struct {
		name string
		l    *Limiter
		runs int
	}{
		{"nil", nil, 1000},
		{"unpaced", New(0, 0), 1000},
		// 1000 runs take 64,000 slots of a burst of 2⁴⁰.
		{"due now", New(1e6, 1<<40), 1000},
		// Every run but the first sleeps for about 100µs.
		{"sleeping", New(1e5, 1), 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := testing.AllocsPerRun(tc.runs, func() {
				if err := tc.l.Wait(ctx, 10); err != nil {
					t.Fatal(err)
				}
			})
			if n != 0 {
				t.Errorf("Wait allocates %v times per call", n)
			}
			if slept := tc.l != nil && len(tc.l.timers) > 0; slept != (tc.name == "sleeping") {
				t.Errorf("slept: %v", slept)
			}
		})
	}
}

// TestConcurrentWaits has 16 callers share one Limiter, as connect's
// workers do, and checks under -race that together they hold the rate:
// the last batch's first slot is at least total − burst − 3 slots after
// the start. Then it cancels 16 sleepers at once.
func TestConcurrentWaits(t *testing.T) {
	const callers, calls, burst = 16, 25, 4
	l := New(20000, burst)
	start := time.Now()
	var wg sync.WaitGroup
	total := 0
	for g := range callers {
		n := 1 + g%3
		total += calls * n
		wg.Go(func() {
			for range calls {
				if err := l.Wait(context.Background(), n); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if d, least := time.Since(start), time.Duration(total-burst-3)*l.Per(); d < least {
		t.Errorf("%d probes at 20,000/s took %v, want at least %v", total, d, least)
	}
	if len(l.timers) > callers {
		t.Errorf("%d timers kept for %d callers", len(l.timers), callers)
	}

	l = New(100, 1)
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	cancelled := 0
	for range callers {
		wg.Go(func() {
			err := l.Wait(ctx, 1)
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("Wait = %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				cancelled++
			}
		})
	}
	time.Sleep(5 * time.Millisecond)
	cancel()
	wg.Wait()
	if cancelled == 0 {
		t.Error("no Wait was cancelled")
	}
	if len(l.timers) > callers {
		t.Errorf("%d timers kept for %d callers", len(l.timers), callers)
	}
}

// BenchmarkWait measures a lone caller's Wait when its slots are due, an
// engine sender's usual case: the lock, the clock and the arithmetic.
func BenchmarkWait(b *testing.B) {
	l := New(1e9, math.MaxInt)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_ = l.Wait(ctx, 64)
	}
}

// TestSetRate changes a limiter's rate while it is in use: the slots
// reserved after the change are the new rate's apart, a paced limiter can
// be made unpaced and back, and reserved slots keep their times.
func TestSetRate(t *testing.T) {
	l := New(1000, 1)
	now := time.Now()
	l.mu.Lock()
	l.reserve(now, 1) // the burst
	before := l.reserve(now, 10)
	l.mu.Unlock()
	l.SetRate(2000, 1)
	if l.Per() != 500*time.Microsecond {
		t.Fatalf("Per = %v after SetRate(2000), want 500µs", l.Per())
	}
	l.mu.Lock()
	a := l.reserve(now, 10)
	b := l.reserve(now, 10)
	l.mu.Unlock()
	if a-before != 10*time.Millisecond || b-a != 5*time.Millisecond {
		t.Errorf("slots at %v, %v, %v: want the first batch at 1000/s (10 ms on) and the next at 2000/s (5 ms)", before, a, b)
	}
	l.SetRate(0, 1)
	if l.Per() != 0 {
		t.Fatalf("Per = %v after SetRate(0), want unpaced", l.Per())
	}
	if err := l.Wait(context.Background(), 1000); err != nil {
		t.Fatal(err)
	}
	// From unpaced to paced: the schedule starts at the clock, with the
	// burst, not where it stood before.
	var z Limiter
	z.SetRate(100, 1)
	start := time.Now()
	for range 3 {
		if err := z.Wait(context.Background(), 1); err != nil {
			t.Fatal(err)
		}
	}
	// The schedule starts a burst (one slot) behind the clock: slots at
	// -10, 0 and +10 ms.
	if d := time.Since(start); d < 8*time.Millisecond || d > time.Second {
		t.Errorf("3 probes at 100/s with a burst of 1 took %v, want about 10 ms", d)
	}
}
