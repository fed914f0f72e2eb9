package engine

import (
	"context"
	"time"
)

// pacer spaces sends to an average rate against an absolute schedule, so
// that sleeps rounded up by the timer are made good by the next batches
// instead of lowering the rate. It lets the schedule fall behind by at
// most burst probes: that many may go at once after a stall or at the start.
type pacer struct {
	per   time.Duration // time per probe; 0 means unpaced
	lag   time.Duration // how far behind the schedule may fall
	next  time.Time     // when the next probe is due
	timer *time.Timer
}

// newPacer returns a pacer for rate probes per second (0 = unlimited),
// allowing bursts of up to burst probes.
func newPacer(rate float64, burst int) *pacer {
	if rate <= 0 {
		return &pacer{}
	}
	per := time.Duration(float64(time.Second) / rate)
	p := &pacer{per: per, lag: per * time.Duration(max(burst, 1)), timer: time.NewTimer(time.Hour)}
	p.timer.Stop()
	p.next = time.Now().Add(-p.lag)
	return p
}

// wait blocks until n more probes may be sent, or ctx is done.
func (p *pacer) wait(ctx context.Context, n int) error {
	if p.per == 0 {
		return ctx.Err()
	}
	now := time.Now()
	if behind := now.Sub(p.next); behind > p.lag {
		p.next = now.Add(-p.lag)
	}
	due := p.next
	p.next = p.next.Add(p.per * time.Duration(n))
	d := due.Sub(now)
	if d <= 0 {
		return ctx.Err()
	}
	p.timer.Reset(d)
	select {
	case <-p.timer.C:
		return nil
	case <-ctx.Done():
		p.timer.Stop()
		return ctx.Err()
	}
}
