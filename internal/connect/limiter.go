package connect

import (
	"context"
	"sync"
	"time"
)

// limiter spaces connect attempts from many workers to an average rate.
// Each attempt reserves the next slot of an absolute schedule, so timer
// sleeps that run late are made good by later slots instead of lowering
// the rate. The schedule may fall behind by at most maxLag (one slot if
// slots are longer), which bounds the burst after a stall. A nil limiter
// does not limit.
type limiter struct {
	per time.Duration // time per attempt
	lag time.Duration // how far behind the schedule may fall

	mu   sync.Mutex
	next time.Time // when the next slot is due
}

// maxLag is the longest burst the limiter allows, in time: long enough to
// absorb timer rounding, short enough to stay invisible at one second.
const maxLag = 10 * time.Millisecond

// newLimiter returns a limiter for rate attempts per second, or nil for
// rate 0 (unlimited).
func newLimiter(rate float64) *limiter {
	if rate <= 0 {
		return nil
	}
	per := max(time.Duration(float64(time.Second)/rate), 1)
	l := &limiter{per: per, lag: max(per, maxLag)}
	l.next = time.Now().Add(-l.lag)
	return l
}

// wait blocks until the caller's slot is due, or ctx is done.
func (l *limiter) wait(ctx context.Context) error {
	if l == nil {
		return ctx.Err()
	}
	l.mu.Lock()
	now := time.Now()
	if now.Sub(l.next) > l.lag {
		l.next = now.Add(-l.lag)
	}
	due := l.next
	l.next = l.next.Add(l.per)
	l.mu.Unlock()
	if due.Sub(now) <= 0 {
		return ctx.Err()
	}
	return sleep(ctx, due.Sub(now))
}
