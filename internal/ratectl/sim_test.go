package ratectl

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// The simulator: a deterministic fluid model of a scan, stepped every
// simStep, that calls Observe every tick.
//
//   - The senders send min(rate, ceiling) probes a second. Retries of
//     unanswered probes come due retryDelay after their try and go first,
//     out of the same rate, as in the engine.
//   - A share density of the fresh probes goes to live ports, which
//     answer (SYN-ACK or RST); the rest are silent. The live count has
//     binomial noise, from a seeded generator.
//   - The network's bottleneck is a token bucket of limit(t) probes a
//     second and a burst of 5, which drops the excess, as nftables'
//     "limit rate over N/second drop" does.
//   - An answer to a probe sent at t arrives at t + rtt(t).
//   - The receiver keeps at most capture replies a second (with a burst of
//     10 ms of them) and counts the rest as dropped.
//   - The engine's RTT estimate is the RTT of the latest answer to arrive,
//     0 before the first; or always 0 if rttUnknown.
const (
	simStep    = 500 * time.Microsecond
	tick       = 50 * time.Millisecond
	retryDelay = time.Second
	bucket     = 5
	maxSimRTT  = time.Second // the longest RTT a scenario may use
)

// scenario is one simulated scan.
type scenario struct {
	name       string
	dur        time.Duration
	ceiling    float64                       // the senders' top rate
	limit      func(t time.Duration) float64 // the bottleneck; nil or 0: none
	rtt        func(t time.Duration) time.Duration
	density    float64                       // share of probes answered; 0 means 1
	pathLoss   func(t time.Duration) float64 // share of probes lost whatever the rate; nil: none
	capture    float64                       // replies a second the receiver keeps; 0: all
	retries    int
	rttUnknown bool
	firsts     bool // the engine counts first tries and their answers
	cfg        Config
	seed       uint64
}

// fixed returns a constant function of time.
func fixed[T any](v T) func(time.Duration) T { return func(time.Duration) T { return v } }

// steps returns a function of time that is vs[i] from ats[i] on; ats[0]
// is 0.
func steps[T any](ats []time.Duration, vs []T) func(time.Duration) T {
	return func(t time.Duration) T {
		i := 0
		for i+1 < len(ats) && t >= ats[i+1] {
			i++
		}
		return vs[i]
	}
}

// tickStat is what happened in one tick.
type tickStat struct {
	at    time.Duration // the tick's end
	sent  float64       // send rate over the tick, probes/s
	state State
}

// result is a simulated scan's ticks.
type result struct {
	sc    scenario
	ticks []tickStat
	ctl   *Controller
}

// retry is a share of a step's unanswered probes, due for another try.
type retry struct {
	due          int // step
	try          int // the try it will be
	live, silent float64
}

// run simulates sc.
func run(sc scenario) result {
	density := sc.density
	if density == 0 {
		density = 1
	}
	rng := rand.New(rand.NewPCG(sc.seed, 1))
	ctl := New(sc.cfg)
	n := int(sc.dur / simStep)
	dt := simStep.Seconds()
	delaySteps := int(maxSimRTT/simStep) + 2
	arrive := make([]float64, delaySteps)          // answers, by arrival step mod delaySteps
	arriveRTT := make([]time.Duration, delaySteps) // the RTT of the latest send landing there
	arriveFirst := make([]float64, delaySteps)     // the answers to first tries among arrive
	var queue []retry
	var (
		sent, answered, dropped float64
		fresh, nextLive         float64 // fresh probes so far, and the index of the next live one
		firstAnswered           float64
		tokens, capTokens       float64
		reported                time.Duration
		tickSent                float64
		res                     = result{sc: sc, ctl: ctl}
	)
	retryAfter := int(retryDelay / simStep)
	ticksEvery := int(tick / simStep)
	for k := 1; k <= n; k++ {
		t := time.Duration(k) * simStep
		// Send: due retries first, then fresh probes.
		budget := min(ctl.Rate(), sc.ceiling) * dt
		sent += budget
		tickSent += budget
		limit := 0.0
		if sc.limit != nil {
			limit = sc.limit(t)
		}
		pass := 1.0
		if limit > 0 {
			tokens = min(tokens+limit*dt, limit*dt+bucket)
			p := min(budget, tokens)
			tokens -= p
			if budget > 0 {
				pass = p / budget
			}
		}
		if sc.pathLoss != nil {
			pass *= 1 - sc.pathLoss(t)
		}
		var ans float64
		left := budget
		for len(queue) > 0 && queue[0].due <= k && left > 0 {
			r := &queue[0]
			if r.live+r.silent <= 1e-9 {
				queue = queue[1:]
				continue
			}
			m := min(left, r.live+r.silent)
			f := m / (r.live + r.silent)
			live, silent := f*r.live, f*r.silent
			r.live -= live
			r.silent -= silent
			left -= m
			ans += live * pass
			if r.try < sc.retries {
				queue = append(queue, retry{k + retryAfter, r.try + 1, live * (1 - pass), silent})
			}
			if r.live+r.silent <= 1e-9 {
				queue = queue[1:]
			}
		}
		// The live addresses among the fresh probes are a Bernoulli
		// process: the gaps between them are geometric.
		live := left
		if density < 1 {
			live = 0
			for fresh += left; nextLive < fresh; nextLive += 1 + math.Floor(math.Log(rng.Float64())/math.Log(1-density)) {
				live++
			}
			live = min(live, left)
		}
		ans += live * pass
		if sc.retries > 0 && left > 0 {
			queue = append(queue, retry{k + retryAfter, 1, live * (1 - pass), left - live})
		}
		rtt := sc.rtt(t)
		j := (k + int(rtt/simStep) + 1) % delaySteps
		arrive[j] += ans
		arriveFirst[j] += live * pass
		arriveRTT[j] = rtt
		// Receive.
		j = k % delaySteps
		got, first := arrive[j], arriveFirst[j]
		if got > 0 && !sc.rttUnknown {
			reported = arriveRTT[j]
		}
		arrive[j], arriveFirst[j] = 0, 0
		if sc.capture > 0 {
			capTokens = min(capTokens+sc.capture*dt, sc.capture*(dt+0.01))
			keep := min(got, capTokens)
			capTokens -= keep
			dropped += got - keep
			if got > 0 {
				first *= keep / got
			}
			got = keep
		}
		answered += got
		firstAnswered += first
		if k%ticksEvery == 0 {
			res.ticks = append(res.ticks, tickStat{at: t, sent: tickSent / tick.Seconds(), state: ctl.State()})
			tickSent = 0
			smp := Sample{At: t, Sent: uint64(sent), Answered: uint64(answered), Dropped: uint64(dropped), RTT: reported}
			if sc.firsts {
				smp.FirstSent, smp.FirstAnswered = uint64(fresh), uint64(firstAnswered)
			}
			ctl.Observe(smp)
		}
	}
	return res
}

// mean returns the mean send rate over (from, to], as a share of
// target.
func (r result) mean(from, to time.Duration, target func(time.Duration) float64) float64 {
	var sum float64
	var n int
	for _, s := range r.ticks {
		if s.at > from && s.at <= to {
			sum += s.sent / target(s.at)
			n++
		}
	}
	return sum / float64(n)
}

// above returns how long in (from, to) the send rate was above f times
// target.
func (r result) above(from, to time.Duration, f float64, target func(time.Duration) float64) time.Duration {
	var d time.Duration
	for _, s := range r.ticks {
		if s.at > from && s.at < to && s.sent > f*target(s.at) {
			d += tick
		}
	}
	return d
}

// reach returns when the send rate first reached f times target, or -1.
func (r result) reach(f float64, target func(time.Duration) float64) time.Duration {
	for _, s := range r.ticks {
		if s.sent >= f*target(s.at) {
			return s.at
		}
	}
	return -1
}

// settled returns the time in (from, to) from which the send rate,
// averaged over the trailing second, stays within [lo, hi] times
// target(t) until to, or -1 if it is out of bounds at the end.
func (r result) settled(from, to time.Duration, lo, hi float64, target func(time.Duration) float64) time.Duration {
	per := int(time.Second / tick)
	at := time.Duration(-1)
	for i, s := range r.ticks {
		if s.at <= from || s.at >= to {
			continue
		}
		var sum float64
		for j := max(0, i-per+1); j <= i; j++ {
			sum += r.ticks[j].sent
		}
		avg := sum / float64(min(per, i+1))
		want := target(s.at)
		switch {
		case avg < lo*want || avg > hi*want:
			at = -1
		case at < 0:
			at = s.at
		}
	}
	return at
}

// String sums r up for logs: the rate and state once a second.
func (r result) String() string {
	s := r.sc.name + ":"
	per := int(time.Second / tick)
	for i := per - 1; i < len(r.ticks); i += per {
		var sum float64
		for j := i - per + 1; j <= i; j++ {
			sum += r.ticks[j].sent
		}
		s += fmt.Sprintf(" %.0fk(%s)", sum/float64(per)/1000, r.ticks[i].state)
	}
	return s
}
