package pace

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// Limiter spaces probes to an average rate. Each call to Wait reserves the
// next slots of an absolute schedule, one slot of Per a probe, so that
// sleeps the timer rounds up are made good by later slots instead of
// lowering the rate. The schedule may fall behind the clock by at most
// burst slots, which bounds the burst after a stall or at the start.
//
// A nil *Limiter and the zero Limiter do not limit. A Limiter is safe for
// concurrent use, and Wait does not allocate while no two callers sleep at
// once.
type Limiter struct {
	per time.Duration // time per probe; 0 means unpaced
	// perNow mirrors per for Per and Wait's unpaced check, which read it
	// without the lock, once a batch.
	perNow atomic.Int64
	lag    time.Duration // how far behind the clock the schedule may fall: burst slots

	mu     sync.Mutex
	next   time.Time     // when the next slot is due
	timers []*time.Timer // stopped timers, for sleepers to reuse
}

// maxDuration is the longest time.Duration, where the arithmetic saturates.
const maxDuration = time.Duration(math.MaxInt64)

// New returns a Limiter for rate probes per second that lets the schedule
// fall behind by at most burst probes; a burst below 1 counts as 1. A rate
// of 0, or one above a probe a nanosecond, does not limit.
func New(rate float64, burst int) *Limiter {
	ns := float64(time.Second) / rate
	if !(rate > 0) || ns < 1 {
		return new(Limiter)
	}
	l := &Limiter{per: maxDuration}
	if ns < float64(maxDuration) {
		l.per = time.Duration(ns)
	}
	l.lag = times(l.per, max(burst, 1))
	l.perNow.Store(int64(l.per))
	l.next = time.Now().Add(-l.lag)
	return l
}

// Per returns the time per probe, or 0 if l does not limit.
func (l *Limiter) Per() time.Duration {
	if l == nil {
		return 0
	}
	return time.Duration(l.perNow.Load())
}

// SetRate changes l to rate probes per second with a burst of burst, as
// New would have set it, from now on: slots already reserved keep their
// times. A rate of 0, or one above a probe a nanosecond, stops limiting.
// l must not be nil.
func (l *Limiter) SetRate(rate float64, burst int) {
	n := New(rate, burst)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.per == 0 {
		l.next = n.next
	}
	l.per, l.lag = n.per, n.lag
	l.perNow.Store(int64(l.per))
}

// Wait reserves the next n slots of the schedule and blocks until the
// first of them is due or ctx is done. It returns ctx.Err(). The n probes
// may then go at once; n below 1 reserves nothing and does not wait.
//
// Counting each probe at the later of its call and its first slot, no
// interval of length T sees more than burst + T/Per probes, plus the last
// batch's n (see reserve).
func (l *Limiter) Wait(ctx context.Context, n int) error {
	if l == nil || n < 1 || l.perNow.Load() == 0 {
		return ctx.Err()
	}
	l.mu.Lock()
	if l.per == 0 {
		l.mu.Unlock()
		return ctx.Err()
	}
	d := l.reserve(time.Now(), n)
	if d <= 0 {
		l.mu.Unlock()
		return ctx.Err()
	}
	// Each sleeper needs a timer of its own, since callers that sleep at
	// once (connect's workers) wait for different slots. A sleeper takes
	// a stopped timer from l.timers, or makes one if none is free, and
	// gives it back when it wakes. So the list grows to the most callers
	// that ever slept at once, and a lone caller (an engine sender) makes
	// one timer and then never allocates. Reusing a timer after Stop, or
	// after receiving its tick, is safe since Go 1.23: Reset never lets a
	// stale tick through.
	var t *time.Timer
	if k := len(l.timers); k > 0 {
		t = l.timers[k-1]
		l.timers = l.timers[:k-1]
	}
	l.mu.Unlock()
	if t == nil {
		t = time.NewTimer(d)
	} else {
		t.Reset(d)
	}
	select {
	case <-t.C:
	case <-ctx.Done():
		t.Stop()
	}
	l.mu.Lock()
	l.timers = append(l.timers, t)
	l.mu.Unlock()
	return ctx.Err()
}

// reserve takes the next n slots of the schedule at time now, and returns
// how long until the first of them is due: 0 or less means now. l.mu must
// be held.
//
// Why no interval [a, b] sees more than burst + (b − a)/per probes, plus
// the last batch's n, counting each batch at the later of its call and its
// first slot, when Wait lets it go:
//
//  1. The schedule is never more than lag = burst·per behind: the first
//     slot of a batch reserved at now is due no earlier than now − lag.
//  2. The batches' first slots are at least their sizes apart, in the
//     order reserved: a batch of n moves next on by n·per, and next never
//     moves back.
//  3. Of the batches counted in [a, b], take the first reserved, called
//     at now₀ with its first slot at due₀, and the last, with its first
//     slot at dueₖ. Since max(now₀, due₀) ≥ a and, by 1, due₀ ≥ now₀ − lag,
//     due₀ ≥ a − lag. And dueₖ ≤ b.
//  4. By 2, the probes of all the batches reserved from the first up to
//     the last fill dueₖ − due₀ ≤ b − a + lag at per each: at most
//     (b − a)/per + burst of them. The last batch adds its n.
//
// So the start, or a stall, lets burst probes go at once, and the batch
// that brings the schedule back to the clock. Lateness is made good as long
// as the schedule stays within lag of the clock: then next only ever moves
// on by the slots taken, and the k-th probe is due at exactly the start +
// k·per. A sleeper that wakes late goes later than counted here, and one
// that wakes more than lag late leaves a schedule that the next call moves
// up to the clock: a lone caller then sends that batch and a fresh burst
// together.
func (l *Limiter) reserve(now time.Time, n int) time.Duration {
	if now.Sub(l.next) > l.lag {
		l.next = now.Add(-l.lag)
	}
	due := l.next
	l.next = l.next.Add(times(l.per, n))
	return due.Sub(now)
}

// times returns d·n for n ≥ 1, or maxDuration if that overflows.
func times(d time.Duration, n int) time.Duration {
	if d > maxDuration/time.Duration(n) {
		return maxDuration
	}
	return d * time.Duration(n)
}
