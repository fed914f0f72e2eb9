package engine

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/trawlscan/trawl/internal/pace"
	"github.com/trawlscan/trawl/internal/ratectl"
)

// How the rate is steered: every controlTick the control loop notes the
// sweep's frontier and the time, for the RTT estimate, and every
// observeEvery ticks it shows the counters to the controller.
const (
	controlTick  = 5 * time.Millisecond
	observeEvery = 10
	// frontierLog holds 5 s of frontier notes; rttSamples the RTT samples
	// the estimate is the least of.
	frontierLog = 1024
	rttSamples  = 64
	// rttEvery: the receiver times one first answer in rttEvery.
	rttEvery = 64
)

// RatePoint is the rate at one moment of a scan.
type RatePoint struct {
	// At is the time since the scan started.
	At time.Duration
	// Rate is the rate set, in probes per second; Sent the rate achieved
	// over the second before At.
	Rate, Sent float64
	// Ratio is the answer ratio the controller judged last, 0 without
	// --rate auto, and State what it did then ("" without).
	Ratio float64
	State string
}

// rateControl holds the senders' limiters and, with Config.RateAuto, the
// controller that sets them. Its methods are safe for concurrent use.
type rateControl struct {
	mu       sync.Mutex
	limiters []*pace.Limiter
	ctl      *ratectl.Controller // nil for a fixed rate
	rate     float64             // the total rate set; 0 unpaced
	burst    int                 // Config.Burst, 0 for 10 ms worth
	batch    int                 // the least burst a sender's limiter takes: its batch
	history  []RatePoint
	ratio    float64 // the answer ratio the controller judged last
	state    string  // the controller's State

	// The RTT estimate: frontier notes (position, time) in a ring
	// written by the control loop, and samples of answer delays.
	notes   [frontierLog]note
	nNotes  int
	samples [rttSamples]time.Duration
	nSample int
}

// note says the sweep's frontier was pos at time at.
type note struct {
	pos uint64
	at  time.Time
}

// newRateControl returns the control of cfg's rate for n senders that
// send up to batch probes at once.
func newRateControl(cfg Config, n, batch int) *rateControl {
	rc := &rateControl{rate: cfg.Rate, burst: cfg.Burst, batch: batch}
	if cfg.RateAuto {
		rc.ctl = ratectl.New(ratectl.Config{Max: cfg.Rate})
		rc.rate = rc.ctl.Rate()
	}
	rc.limiters = make([]*pace.Limiter, n)
	for i := range rc.limiters {
		rc.limiters[i] = pace.New(rc.perSender())
	}
	return rc
}

// perSender returns one sender's rate and burst: an equal share of each,
// and at least a batch. rc.mu must be held, or rc not yet shared.
func (rc *rateControl) perSender() (float64, int) {
	n := len(rc.limiters)
	rate := rc.rate / float64(n)
	burst := rc.burst / n
	if rc.burst == 0 {
		burst = int(rate / 100)
	}
	return rate, max(burst, rc.batch)
}

// set makes rate the total rate. rc.mu must be held.
func (rc *rateControl) set(rate float64) {
	rc.rate = rate
	r, b := rc.perSender()
	for _, l := range rc.limiters {
		l.SetRate(r, b)
	}
}

// scale multiplies the rate by f: the controller's, which goes on from
// there, or the fixed one. An unpaced scan stays unpaced.
func (rc *rateControl) scale(f float64) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	switch {
	case rc.ctl != nil:
		rc.ctl.Scale(f)
		rc.set(rc.ctl.Rate())
	case rc.rate > 0:
		rc.set(rc.rate * f)
	}
}

// current returns the total rate set, 0 if unpaced, and the answer
// ratio the controller judged last.
func (rc *rateControl) current() (rate, ratio float64) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.rate, rc.ratio
}

// rateHistory returns a copy of the rate, once a second.
func (rc *rateControl) rateHistory() []RatePoint {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.history)
}

// controlLoop runs until ctx is done: it notes the frontier every tick,
// shows the controller the counters every observeEvery ticks until the
// sweep's frontier is done, and keeps the history.
func (e *Engine) controlLoop(ctx context.Context) {
	rc := e.rc
	t := time.NewTicker(controlTick)
	defer t.Stop()
	start := time.Now()
	lastSent, lastAt := uint64(0), time.Duration(0)
	for i := 1; ; i++ {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			pos := e.win.position()
			rc.mu.Lock()
			rc.notes[rc.nNotes%frontierLog] = note{pos: pos, at: now}
			rc.nNotes++
			at := now.Sub(start)
			// Once the sweep has handed out its last first try, only
			// retries are left: too few probes to judge, and no more
			// fresh ones to judge them by, so the rate learned on the
			// sweep holds for them.
			if rc.ctl != nil && i%observeEvery == 0 && pos < e.cfg.End {
				rate := rc.ctl.Observe(ratectl.Sample{
					At: at, Sent: e.sent.Load(), Answered: e.answered.Load(),
					FirstSent: e.firstSent.Load(), FirstAnswered: e.firstAns.Load(),
					Dropped: e.dropped.Load(), RTT: rc.rtt(),
				})
				rc.ratio = rc.ctl.Ratio()
				rc.state = rc.ctl.State().String()
				if rate != rc.rate {
					rc.set(rate)
				}
			}
			if at-lastAt >= time.Second {
				sent := e.sent.Load()
				rc.history = append(rc.history, RatePoint{
					At: at, Rate: rc.rate, Sent: float64(sent-lastSent) / (at - lastAt).Seconds(),
					Ratio: rc.ratio, State: rc.state,
				})
				lastSent, lastAt = sent, at
			}
			rc.mu.Unlock()
		}
	}
}

// answered is told of the n-th first answer, to the probe at position
// pos: one time in rttEvery it takes an RTT sample.
func (rc *rateControl) answered(n, pos uint64) {
	if rc.ctl == nil || n%rttEvery != 0 {
		return
	}
	rc.sample(pos, time.Now())
}

// sample takes an RTT sample for an answer at time now to the probe at
// position pos: the time since the first frontier note past pos. A
// retried probe gives too long a sample, which the estimate, the least of
// the recent samples, passes over; a probe not yet noted as passed gives
// none.
func (rc *rateControl) sample(pos uint64, now time.Time) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	lo := max(rc.nNotes-frontierLog, 0)
	// The first note, from lo to nNotes, whose pos is past the probe's.
	i, j := lo, rc.nNotes
	for i < j {
		m := int(uint(i+j) >> 1)
		if rc.notes[m%frontierLog].pos > pos {
			j = m
		} else {
			i = m + 1
		}
	}
	if i == lo || i == rc.nNotes {
		return // before the notes, or not yet noted as passed
	}
	rc.samples[rc.nSample%rttSamples] = now.Sub(rc.notes[i%frontierLog].at)
	rc.nSample++
}

// rtt returns the least of the recent RTT samples, 0 if none yet.
// rc.mu must be held.
func (rc *rateControl) rtt() time.Duration {
	n := min(rc.nSample, rttSamples)
	if n == 0 {
		return 0
	}
	least := rc.samples[0]
	for _, s := range rc.samples[1:n] {
		least = min(least, s)
	}
	return max(least, 0)
}
