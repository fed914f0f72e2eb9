package ratectl

import (
	"math"
	"sort"
	"time"
)

// Config sets a Controller's bounds. The zero value of each field means
// its default; a negative or non-finite value counts as zero.
type Config struct {
	// Max is the highest rate, in probes per second, the controller
	// sets; 0 means no limit other than Unlimited.
	Max float64
	// Start is the first rate; 0 means DefaultStart (or Max, if lower).
	// It must be below the network's capacity, since the controller
	// learns the space's answer ratio there (see the package doc).
	Start float64
	// Min is the lowest rate; 0 means DefaultMin (or Max, if lower).
	Min float64
}

// Defaults of Config.
const (
	DefaultStart = 10000
	DefaultMin   = 100
)

// Unlimited is the highest rate the controller sets when Config.Max is 0:
// a probe a nanosecond, above which the engine's pacer does not limit.
const Unlimited = 1e9

// Sample is what the scan has done so far, as cumulative counters: the
// controller takes differences between samples.
type Sample struct {
	// At is when the sample was taken, since the scan started.
	At time.Duration
	// Sent counts the probes sent, retries included.
	Sent uint64
	// Answered counts the first answers of any kind (SYN-ACK, RST, ICMP
	// unreachable) to the probes.
	Answered uint64
	// Dropped counts the replies the capture lost.
	Dropped uint64
	// RTT is the round-trip time the scan measures, 0 if not known yet.
	RTT time.Duration
	// FirstSent counts the probes sent for the first time, Sent less the
	// retries, and FirstAnswered the answers to them that came before
	// their retry went out. Both are optional: 0 means not counted. When
	// counted, the controller judges the ratio of these, which retries do
	// not dilute (see the package doc).
	FirstSent, FirstAnswered uint64
}

// State says what the controller did with the latest window it judged,
// for status lines and logs. The zero State is invalid.
type State int

// The States.
const (
	// Learning holds the start rate while the controller learns the
	// space's answer ratio, its baseline.
	Learning State = iota + 1
	// Climbing raises the rate: the ratio held.
	Climbing
	// Capped holds the rate at Config.Max.
	Capped
	// SenderBound holds the rate, or lowers it to twice what was sent:
	// the senders could not keep up with it.
	SenderBound
	// NetworkLoss cut the rate to what got through: the ratio fell
	// against the baseline.
	NetworkLoss
	// CaptureLoss cut the rate to what the receiver kept: the capture
	// dropped replies.
	CaptureLoss
	// Rebased moved the baseline: the ratio changed in a way the rate
	// does not explain. A cut that a fall of the ratio caused is undone.
	Rebased
	// Holding holds the rate: the latest window's answers say nothing
	// about it. None came back (the RTT rose, or the path is down), and a
	// cut just made is undone; or more came back than its probes give
	// (the RTT fell, or the space answers more, which moves the baseline
	// up after a second of it).
	Holding
	// Manual is a rate set by Scale.
	Manual
)

var stateNames = [...]string{
	Learning:    "learning",
	Climbing:    "climbing",
	Capped:      "capped",
	SenderBound: "sender-bound",
	NetworkLoss: "network loss",
	CaptureLoss: "capture loss",
	Rebased:     "rebased",
	Holding:     "holding",
	Manual:      "manual",
}

// String returns the state's name, such as "network loss".
func (s State) String() string {
	if s < Learning || int(s) >= len(stateNames) {
		return "invalid"
	}
	return stateNames[s]
}

// Tuning. The counts are of answers: the relative noise of a ratio
// judged on n answers is about 1/√n.
const (
	// learnAnswers is how many answers the first window needs before its
	// ratio becomes the baseline.
	learnAnswers = 200
	// climbAnswers and probeAnswers are the answers a window must expect,
	// at the baseline ratio, before it is judged: few in slow start,
	// which looks only for gross loss, so that a sparse space climbs as
	// fast as a dense one; more once loss has been seen, so that the
	// window's own noise is small (3/√800 ≈ 11%).
	climbAnswers = 100
	probeAnswers = 800
	// baseAnswers bounds the answers behind the baseline, so that it
	// follows a space whose density drifts.
	baseAnswers = 5000
	// minWindow is the shortest window judged, so that an RTT estimate a
	// little short does not mix in many sends from before a change.
	minWindow = 30 * time.Millisecond
	// maxRTT bounds the RTT used to align answers with sends.
	maxRTT = 10 * time.Second
	// maxHistory bounds the samples kept.
	maxHistory = 4096
	// minLoss is the smallest fall of the ratio, against the baseline,
	// taken as loss; sigmas is how many standard deviations of noise a
	// fall must exceed as well.
	minLoss = 0.1
	sigmas  = 3
	// maxLoss caps the threshold, so that a window with little data can
	// still show loss.
	maxLoss = 0.6
	// backoff is the share of the delivered rate a cut goes to, and
	// maxCut the most a single cut takes off the window's rate.
	backoff = 0.95
	maxCut  = 0.5
	// After a cut, the growth per round starts at growFirst and doubles
	// with each clean round, up to growNear while the rate is within
	// [nearLow, nearHigh] of the knee (the last delivered estimate) and
	// up to growFar elsewhere.
	growFirst = 0.01
	growNear  = 0.08
	growFar   = 0.25
	nearLow   = 0.8
	nearHigh  = 1.25
	// A window that sent less than senderShort of the rate is sender
	// bound; the rate is then held, and lowered to senderCap times what
	// was sent if above.
	senderShort = 0.9
	senderCap   = 2
	// captureShare is the share of replies the capture may drop before
	// the controller slows down for it.
	captureShare = 0.01
	// riseFor is how long the ratio must stay above the baseline before
	// the baseline rises to it.
	riseFor = time.Second
	// pendingMax bounds the clean windows awaiting confirmation.
	pendingMax = 8
	// separation is how many standard deviations apart the two readings
	// of a repeated loss must be before the controller picks one, and
	// how far below the second reading a count must be to rule it out.
	separation = 4
)

// point is a Sample with its counters as float64, made monotonic.
type point struct {
	at                      time.Duration
	sent, answered, dropped float64
	firstSent, firstAns     float64
}

// sub returns the counters' growth from q to p.
func (p point) sub(q point) point {
	return point{
		at:        p.at - q.at,
		sent:      p.sent - q.sent,
		answered:  p.answered - q.answered,
		dropped:   p.dropped - q.dropped,
		firstSent: p.firstSent - q.firstSent,
		firstAns:  p.firstAns - q.firstAns,
	}
}

// lerp returns the counters a share f of the way from p to q, at t.
func (p point) lerp(q point, f float64, t time.Duration) point {
	return point{
		at:        t,
		sent:      p.sent + f*(q.sent-p.sent),
		answered:  p.answered + f*(q.answered-p.answered),
		dropped:   p.dropped + f*(q.dropped-p.dropped),
		firstSent: p.firstSent + f*(q.firstSent-p.firstSent),
		firstAns:  p.firstAns + f*(q.firstAns-p.firstAns),
	}
}

// window is what a span of sends got back, an RTT later. Its ratio is
// that of the first tries if the engine counts them, else of all probes.
type window struct {
	start    time.Duration // the sends' span, (start, end]
	end      time.Duration
	rate     float64 // probes sent per second, retries included
	sent     float64 // probes judged
	answered float64 // their answers captured
	dropped  float64 // their replies the capture lost, pro rata
}

// net returns the answers the network delivered, captured or not.
func (w window) net() float64 { return w.answered + w.dropped }

// ratio returns the network's answer ratio.
func (w window) ratio() float64 { return w.net() / w.sent }

// growth is the state a cut resets and an undone cut restores.
type growth struct {
	rate float64
	slow bool    // slow start: no loss seen yet
	step float64 // growth of the next clean round, after slow start
	knee float64 // last delivered estimate, probes/s; 0 if none
}

// Controller sets the rate from Samples. It is not safe for concurrent
// use.
type Controller struct {
	cfg   Config
	state State
	growth

	hist      []point       // samples, oldest first
	sendStart time.Duration // the sample before Sent first grew
	sending   bool          // Sent has grown
	rttBound  time.Duration // first answer − sendStart; 0 before
	firsts    bool          // the engine counts first tries
	from      time.Duration // sends before this are not judged
	scaled    bool          // Scale changed the rate since the last sample

	base     float64 // baseline: the space's answer ratio; 0 before
	baseAns  float64 // answers behind base
	baseSent float64 // probes behind base
	ratio    float64 // answered/sent of the latest judged window

	pending []window // clean windows awaiting confirmation

	episode bool   // cuts since the latest clean window
	ref     window // the lossy window behind the latest cut
	saved   growth // the state before the latest cut

	rising   bool          // windows stay above the baseline
	riseFrom time.Duration // since when
	riseAns  float64
	riseSent float64
}

// New returns a Controller that starts at cfg's Start rate.
func New(cfg Config) *Controller {
	cfg.Max, cfg.Start, cfg.Min = orZero(cfg.Max), orZero(cfg.Start), orZero(cfg.Min)
	if cfg.Max == 0 {
		cfg.Max = Unlimited
	}
	if cfg.Min == 0 {
		cfg.Min = DefaultMin
	}
	if cfg.Start == 0 {
		cfg.Start = DefaultStart
	}
	cfg.Min = min(cfg.Min, cfg.Max)
	cfg.Start = min(max(cfg.Start, cfg.Min), cfg.Max)
	return &Controller{
		cfg:    cfg,
		state:  Learning,
		growth: growth{rate: cfg.Start, slow: true},
	}
}

// orZero returns f if it is positive and finite, else 0.
func orZero(f float64) float64 {
	if f > 0 && f <= math.MaxFloat64 {
		return f
	}
	return 0
}

// Observe takes the next sample, taken at least a few milliseconds after
// the last, and returns the rate to send at from now on. A sample not
// after the last is ignored, and a counter that goes back counts as
// unchanged.
func (c *Controller) Observe(s Sample) float64 {
	if !c.record(s) {
		return c.rate
	}
	now := s.At
	if c.scaled {
		c.from, c.scaled = now, false
	}
	rtt := c.rtt(s.RTT)
	if w, ok := c.window(now, rtt); ok {
		c.judge(w, now)
	}
	c.prune()
	return c.rate
}

// Rate returns the rate Observe last returned, or the start rate.
func (c *Controller) Rate() float64 { return c.rate }

// Ratio returns the share of probes answered in the latest window the
// controller judged, 0 to 1, or 0 before it has judged one. The probes
// are the first tries if the engine counts them (see Sample).
func (c *Controller) Ratio() float64 { return c.ratio }

// Baseline returns the answer ratio the controller holds for the space,
// which the ratio is judged against, or 0 while it is still learning.
func (c *Controller) Baseline() float64 { return c.base }

// State returns what the controller did with the latest window it judged.
func (c *Controller) State() State { return c.state }

// Scale multiplies the rate by f, within the bounds, as SIGUSR1 and
// SIGUSR2 ask by hand (1.1 and 0.9); the controller goes on from there,
// probing upward slowly as it does after a loss. A factor that is not
// positive and finite is ignored.
func (c *Controller) Scale(f float64) {
	if orZero(f) == 0 {
		return
	}
	c.rate = c.clamp(c.rate * f)
	c.slow, c.step, c.knee = false, growFirst, c.rate
	c.episode, c.rising, c.pending = false, false, c.pending[:0]
	c.scaled = true
	c.state = Manual
}

// clamp keeps r within the bounds.
func (c *Controller) clamp(r float64) float64 {
	return min(max(r, c.cfg.Min), c.cfg.Max)
}

// record appends s to the history and reports whether it is new.
func (c *Controller) record(s Sample) bool {
	if len(c.hist) == 0 {
		c.hist = append(c.hist, point{})
	}
	last := c.hist[len(c.hist)-1]
	if s.At <= last.at {
		return false
	}
	p := point{
		at:        s.At,
		sent:      max(last.sent, float64(s.Sent)),
		answered:  max(last.answered, float64(s.Answered)),
		dropped:   max(last.dropped, float64(s.Dropped)),
		firstSent: max(last.firstSent, float64(s.FirstSent)),
		firstAns:  max(last.firstAns, float64(s.FirstAnswered)),
	}
	c.firsts = c.firsts || p.firstSent > 0
	if !c.sending && p.sent > 0 {
		c.sending, c.sendStart = true, last.at
	}
	if c.rttBound == 0 && p.answered+p.dropped > 0 {
		c.rttBound = p.at - c.sendStart
	}
	c.hist = append(c.hist, p)
	return true
}

// rtt returns the delay to align answers with sends by: the engine's
// estimate or, while it has none, the time from the first sends to the
// first answers, which is never shorter than the RTT. A delay that is too
// long only makes the controller slower: each window starts after the
// latest rate change, so its sends all went at one rate.
func (c *Controller) rtt(reported time.Duration) time.Duration {
	if reported > 0 {
		return min(reported, maxRTT)
	}
	return min(c.rttBound, maxRTT)
}

// at returns the counters at time t, interpolated between samples.
func (c *Controller) at(t time.Duration) point {
	h := c.hist
	i := sort.Search(len(h), func(i int) bool { return h[i].at >= t })
	if i == 0 {
		return h[0]
	}
	if i == len(h) {
		return h[i-1]
	}
	a, b := h[i-1], h[i]
	return a.lerp(b, float64(t-a.at)/float64(b.at-a.at), t)
}

// window returns the window that is ready to judge at now, if there is
// one. Its sends are those since c.from, up to an RTT ago; its answers
// are those that came an RTT after them:
//
//	sends   (u0, u1]           u0 = from, u1 = now − rtt
//	answers (u0 + rtt, now]
//
// A reply to a probe sent at t comes at t + RTT, so with the right RTT the
// answers are exactly those to the window's sends. A window is ready once
// it spans minWindow and expects enough answers to judge: at the baseline
// ratio, climbAnswers in slow start and probeAnswers after; while learning
// the baseline, learnAnswers answers actually come. Until then it grows.
func (c *Controller) window(now, rtt time.Duration) (window, bool) {
	u0 := max(c.from, c.hist[0].at)
	u1 := now - rtt
	if u1-u0 < minWindow {
		return window{}, false
	}
	s := c.at(u1).sub(c.at(u0))
	a := c.hist[len(c.hist)-1].sub(c.at(u0 + rtt))
	w := window{
		start:    u0,
		end:      u1,
		rate:     s.sent / (u1 - u0).Seconds(),
		sent:     s.sent,
		answered: a.answered,
		dropped:  a.dropped,
	}
	if c.firsts {
		w.sent, w.answered = s.firstSent, a.firstAns
		switch {
		case a.answered > 0:
			w.dropped *= a.firstAns / a.answered
		case s.sent > 0:
			w.dropped *= s.firstSent / s.sent
		}
	}
	if w.sent <= 0 {
		return window{}, false
	}
	switch {
	case c.base == 0:
		return w, w.net() >= learnAnswers
	case c.slow:
		return w, c.base*w.sent >= climbAnswers
	default:
		return w, c.base*w.sent >= probeAnswers
	}
}

// judge sets the rate from w, judged at now.
func (c *Controller) judge(w window, now time.Duration) {
	c.ratio = min(w.answered/w.sent, 1)
	if c.base == 0 {
		c.setBase(w.net(), w.sent)
		c.state = Climbing
		c.grow(w, now)
		return
	}
	thr := c.threshold(w)
	lossy := w.ratio() < c.base*(1-thr)
	switch {
	case w.net() == 0:
		// Not one answer: they are late (the RTT jumped), the path is
		// down, or only retries to silent addresses went out. A
		// bottleneck still delivers its capacity, so none of these
		// says the rate is too high, and a cut just made did not help:
		// undo it, and skip the window.
		c.from = w.end
		if c.episode {
			c.growth, c.episode = c.saved, false
			c.from = now
		}
		c.state = Holding
	case w.dropped > captureShare*w.net():
		// The capture lost replies: our receiver, not the network, is
		// short. Slow to what it kept, or to what the network delivered
		// if that is less.
		d := w.rate * w.answered / w.net()
		if lossy {
			d = min(d, c.delivered(w))
		}
		c.episode = false
		c.cut(d, w, now)
		c.state = CaptureLoss
	case lossy:
		c.loss(w, now)
	default:
		c.clean(w, thr, now)
	}
}

// threshold returns how far below the baseline, as a share of it, w's
// ratio must fall to count as loss: minLoss, or more where the counts are
// small. With a baseline b and n expected answers, a ratio's relative
// standard deviation is √((1−b)/n), for the window and for the baseline
// alike: at b = 1 every probe is answered and there is no noise.
func (c *Controller) threshold(w window) float64 {
	q := max(0, 1-c.base)
	v := q/(c.base*w.sent) + q/c.baseAns
	return min(max(minLoss, sigmas*math.Sqrt(v)), maxLoss)
}

// delivered returns the rate that got through the network in w: its send
// rate times the share of the answers the baseline expects that came.
func (c *Controller) delivered(w window) float64 {
	return w.rate * w.ratio() / c.base
}

// loss handles a window whose ratio fell against the baseline.
//
// A fall has two readings. Either the rate is above the network's
// capacity, which then delivers the same number of probes whatever is
// sent, so that a cut raises the ratio by as much as it cuts the rate; or
// the space answers less than it did, whatever the rate: the path now
// loses a share of the probes, or, when the engine does not count first
// tries, retries to the silent addresses of a sparse space make up more
// of the probes. A loss after a clean window is taken as congestion, and
// the rate is cut to the delivered estimate. If the next window is lossy
// too, its answers are set against the two readings: congestion predicts
// the previous lossy window's ratio scaled up by the cut (up to the
// baseline), a change of the space that window's ratio. Only if they
// match the second, clearly, is the cut undone and the baseline moved
// down to the previous window's ratio, which the space gave at the rate
// the undo restores. A ratio that rose too little, or fell further (the
// capacity dropped again), is congestion: the rate is cut again. So the
// baseline moves down only when a cut showed that the rate was not the
// cause.
func (c *Controller) loss(w window, now time.Duration) {
	if !c.episode || c.congested(w) {
		c.episode, c.ref, c.saved = true, w, c.growth
		c.cut(c.delivered(w), w, now)
		c.state = NetworkLoss
		return
	}
	c.setBase(c.ref.net(), c.ref.sent)
	c.growth, c.episode = c.saved, false
	c.pending, c.rising = c.pending[:0], false
	c.from = now
	c.state = Rebased
}

// congested reports whether w, lossy after the cut c.ref led to, is better
// explained by congestion than by a change of the space (see loss), or
// too close to call. A count of n answers has a standard deviation of
// about 1/2 on the scale of √n, whatever n; there the expected counts of
// the two readings must be separation/2 apart, and w's count must lie
// nearer the space's, and not separation/2 below it.
func (c *Controller) congested(w window) bool {
	p0 := c.ref.ratio()
	want := min(c.base, p0*c.ref.rate/w.rate)
	hi, lo, got := math.Sqrt(want*w.sent), math.Sqrt(p0*w.sent), math.Sqrt(w.net())
	return hi-lo < separation/2 || got >= (hi+lo)/2 || got < lo-separation/2
}

// cut lowers the rate to backoff times d, a delivered rate estimated from
// w, but by no more than maxCut of w's rate, and probes upward from there
// slowly. The bound keeps a window whose answers were merely late (the RTT
// jumped) from cutting the rate to nothing.
func (c *Controller) cut(d float64, w window, now time.Duration) {
	c.rate = c.clamp(min(c.rate, max(backoff*d, maxCut*w.rate)))
	c.slow, c.step, c.knee = false, growFirst, d
	c.pending, c.rising = c.pending[:0], false
	c.from = now
}

// clean handles a window whose ratio held, at threshold thr.
func (c *Controller) clean(w window, thr float64, now time.Duration) {
	c.episode = false
	if w.ratio() > c.base*(1+thr) {
		// More answers than the window's probes give at the baseline:
		// some answer earlier probes (the RTT fell), and may hide a
		// loss, or the space now answers more. Either way the window
		// says nothing about the rate: hold, and let rise tell.
		c.state = Holding
		c.from = w.end
		c.rise(w)
		return
	}
	c.rising = false
	c.confirm(w, thr)
	switch {
	case w.rate < senderShort*c.rate:
		// The senders could not keep up. Hold the rate, or bring it down
		// to twice what they sent, so that it does not run away, but not
		// below the start rate, so that a pause of the senders (the scan
		// waits for retries) does not lose the rate.
		c.state = SenderBound
		if r := max(senderCap*w.rate, min(c.rate, c.cfg.Start)); r < c.rate {
			c.rate = c.clamp(r)
			c.from = now
			return
		}
		c.from = w.end
	default:
		c.state = Climbing
		c.grow(w, now)
	}
}

// grow raises the rate after a clean window: doubles it in slow start;
// after that, by a step that starts at growFirst after a cut and doubles
// with each clean round, up to growNear near the knee, where the last loss
// was, and growFar away from it. Near the knee a round's step is at most
// 8%, so the rate passes 1/(1−minLoss) = 1.11 times the capacity, where
// the loss shows, by at most 8%: under 1.2 times the capacity. Away from
// it the rate finds a capacity that rose in a few rounds.
func (c *Controller) grow(w window, now time.Duration) {
	if c.rate >= c.cfg.Max {
		c.state = Capped
		c.from = w.end
		return
	}
	if c.slow {
		c.rate = c.clamp(2 * c.rate)
	} else {
		c.rate = c.clamp(c.rate * (1 + c.step))
		lim := growFar
		if c.rate >= nearLow*c.knee && c.rate <= nearHigh*c.knee {
			lim = growNear
		}
		c.step = min(2*c.step, lim)
	}
	c.from = now
}

// confirm adds to the baseline the pending clean windows that w, clean at
// threshold thr, shows were below the network's capacity, and queues w.
//
// A window clean at rate r lost less than thr, so r was at most
// capacity/(1−thr); a window at r·(1−thr) or less was then below the
// capacity, and its ratio is the space's own. Windows are confirmed only
// by a later, faster clean window, so a rate above the capacity never
// pulls the baseline down.
func (c *Controller) confirm(w window, thr float64) {
	keep := c.pending[:0]
	for _, p := range c.pending {
		if p.rate <= w.rate*(1-thr) {
			c.addBase(p.net(), p.sent)
		} else {
			keep = append(keep, p)
		}
	}
	if len(keep) == pendingMax {
		keep = append(keep[:0], keep[1:]...)
	}
	c.pending = append(keep, w)
}

// rise moves the baseline up to the ratio of windows that have stayed
// above it, by more than the threshold, for riseFor: loss only lowers the
// ratio, so a higher one is the space's, and riseFor outlasts the burst of
// late answers that a fall of the RTT brings.
func (c *Controller) rise(w window) {
	if !c.rising {
		c.rising, c.riseFrom, c.riseAns, c.riseSent = true, w.start, 0, 0
	}
	c.riseAns += w.net()
	c.riseSent += w.sent
	if w.end-c.riseFrom >= riseFor {
		c.setBase(c.riseAns, c.riseSent)
		c.rising = false
		c.pending = c.pending[:0]
		c.state = Rebased
	}
}

// setBase makes ans/sent the baseline.
func (c *Controller) setBase(ans, sent float64) {
	c.baseAns, c.baseSent = 0, 0
	c.addBase(ans, sent)
}

// addBase adds a window's counts to the baseline, keeping at most
// baseAnswers answers' worth of weight.
func (c *Controller) addBase(ans, sent float64) {
	c.baseAns += ans
	c.baseSent += sent
	if c.baseAns > baseAnswers {
		f := baseAnswers / c.baseAns
		c.baseAns, c.baseSent = baseAnswers, c.baseSent*f
	}
	c.base = c.baseAns / c.baseSent
}

// prune drops the samples no window needs any more: those before the
// one at or before the pending window's start, or the oldest beyond
// maxHistory.
func (c *Controller) prune() {
	h := c.hist
	i := sort.Search(len(h), func(i int) bool { return h[i].at > c.from }) - 1
	i = max(i, len(h)-maxHistory, 0)
	if i > 0 {
		c.hist = append(h[:0], h[i:]...)
	}
}
