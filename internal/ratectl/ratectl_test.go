package ratectl

import (
	"encoding/binary"
	"math"
	"testing"
	"time"
)

// feed shows a Controller ticks of 50 ms, by hand.
type feed struct {
	c *Controller
	s Sample
}

// newFeed returns a feed for a new Controller with cfg.
func newFeed(cfg Config) *feed {
	return &feed{c: New(cfg), s: Sample{RTT: 1}}
}

// step adds a tick in which the senders sent at rate, a share answered
// of the probes was answered and a share dropped of the answers was lost
// by the capture, and returns the rate Observe returns. The answers come
// at once: the RTT is a nanosecond.
func (f *feed) step(rate, answered, dropped float64) float64 {
	n := rate * tick.Seconds()
	f.s.At += tick
	f.s.Sent += uint64(n)
	f.s.Answered += uint64(n * answered * (1 - dropped))
	f.s.Dropped += uint64(n * answered * dropped)
	return f.c.Observe(f.s)
}

// run steps until cond holds, at most max ticks, sending at the rate the
// controller sets up to ceiling and answered at answer(rate); it reports
// whether cond held.
func (f *feed) run(max int, ceiling float64, answer func(rate float64) float64, cond func() bool) bool {
	for range max {
		r := min(f.c.Rate(), ceiling)
		f.step(r, answer(r), 0)
		if cond() {
			return true
		}
	}
	return false
}

// all answers every probe.
func all(float64) float64 { return 1 }

// limit answers as a bottleneck of n probes a second does.
func limit(n float64) func(float64) float64 {
	return func(r float64) float64 { return min(1, n/r) }
}

func TestNew(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, tc := range []struct {
		name           string
		cfg            Config
		max, start, lo float64
	}{
		{"zero means the defaults", Config{}, Unlimited, DefaultStart, DefaultMin},
		{"start above max", Config{Max: 5000}, 5000, 5000, DefaultMin},
		{"min above max", Config{Max: 50, Start: 100, Min: 80}, 50, 50, 50},
		{"start below min", Config{Start: 10, Min: 20}, Unlimited, 20, 20},
		{"all set", Config{Max: 1e6, Start: 2e4, Min: 1e3}, 1e6, 2e4, 1e3},
		{"NaN counts as zero", Config{Max: nan, Start: nan, Min: nan}, Unlimited, DefaultStart, DefaultMin},
		{"infinity counts as zero", Config{Max: inf, Start: inf, Min: inf}, Unlimited, DefaultStart, DefaultMin},
		{"negative counts as zero", Config{Max: -1, Start: -1, Min: -1}, Unlimited, DefaultStart, DefaultMin},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := New(tc.cfg)
			if c.cfg.Max != tc.max || c.Rate() != tc.start || c.cfg.Min != tc.lo {
				t.Errorf("New(%+v): max %v, rate %v, min %v; want %v, %v, %v", tc.cfg, c.cfg.Max, c.Rate(), c.cfg.Min, tc.max, tc.start, tc.lo)
			}
			if c.State() != Learning || c.Ratio() != 0 || c.Baseline() != 0 {
				t.Errorf("New: state %v, ratio %v, baseline %v; want learning, 0, 0", c.State(), c.Ratio(), c.Baseline())
			}
		})
	}
}

func TestStateString(t *testing.T) {
	seen := map[string]bool{}
	for s := Learning; s <= Manual; s++ {
		name := s.String()
		if name == "invalid" || seen[name] {
			t.Errorf("State(%d).String() = %q, want a name of its own", s, name)
		}
		seen[name] = true
	}
	for _, s := range []State{0, -1, Manual + 1} {
		if got := s.String(); got != "invalid" {
			t.Errorf("State(%d).String() = %q, want invalid", s, got)
		}
	}
}

// TestLearning checks that the rate holds at the start until the first
// window has enough answers, in a space where 1% of the probes are
// answered, and that it climbs after.
func TestLearning(t *testing.T) {
	f := newFeed(Config{})
	// 10k/s × 1% = 100 answers a second: learnAnswers take two seconds.
	for i := range 39 {
		if r := f.step(DefaultStart, 0.01, 0); r != DefaultStart || f.c.State() != Learning {
			t.Fatalf("tick %d: rate %v, state %v; want the start rate while learning", i, r, f.c.State())
		}
	}
	if !f.run(2, DefaultStart, func(float64) float64 { return 0.01 }, func() bool { return f.c.Rate() > DefaultStart }) {
		t.Fatalf("rate %v, state %v after learning; want a climb", f.c.Rate(), f.c.State())
	}
	if b := f.c.Baseline(); math.Abs(b-0.01) > 1e-3 {
		t.Errorf("baseline %v, want 0.01", b)
	}
}

// TestAlignment checks that answers are set against the probes they
// answer, an RTT earlier: the rate doubles each round in slow start, so
// answers set against the probes of the same moment would show a loss.
func TestAlignment(t *testing.T) {
	const rtt = 300 * time.Millisecond
	c := New(Config{Max: 1e6})
	var sends []Sample // what was sent by each tick
	var s Sample
	for i := 1; i <= 60; i++ {
		s.At = time.Duration(i) * tick
		s.Sent += uint64(c.Rate() * tick.Seconds())
		sends = append(sends, s)
		// Every probe is answered, an RTT after it went.
		if k := i - int(rtt/tick); k >= 1 {
			s.Answered = sends[k-1].Sent
			s.RTT = rtt
		}
		c.Observe(s)
		if st := c.State(); st == NetworkLoss || st == Holding {
			t.Fatalf("at %v: state %v, rate %v, ratio %v; want no loss", s.At, st, c.Rate(), c.Ratio())
		}
	}
	if c.Rate() < 8*DefaultStart || c.Ratio() < 0.99 {
		t.Errorf("rate %v, ratio %v after 3 s; want a climb at ratio 1", c.Rate(), c.Ratio())
	}
}

// TestCut checks the cut to the delivered estimate: at 20k/s through a
// bottleneck of 14k/s, the rate goes to 95% of 14k/s, and the baseline
// holds.
func TestCut(t *testing.T) {
	f := newFeed(Config{})
	f.run(10, 20e3, all, func() bool { return f.c.Rate() >= 20e3 })
	if f.c.Rate() != 20e3 {
		t.Fatalf("rate %v, want 20k after slow start", f.c.Rate())
	}
	f.run(10, 20e3, limit(14e3), func() bool { return f.c.State() == NetworkLoss })
	if r := f.c.Rate(); math.Abs(r-0.95*14e3) > 100 {
		t.Errorf("rate %v after the loss, want %v", r, 0.95*14e3)
	}
	if r := f.c.Ratio(); math.Abs(r-0.7) > 0.01 {
		t.Errorf("ratio %v, want 0.7", r)
	}
	if b := f.c.Baseline(); b != 1 {
		t.Errorf("baseline %v, want 1", b)
	}
	// It then probes upward slowly: 1% the next round.
	before := f.c.Rate()
	f.run(5, 20e3, all, func() bool { return f.c.Rate() != before })
	if r := f.c.Rate(); math.Abs(r/before-1-growFirst) > 1e-9 {
		t.Errorf("rate %v after a clean round from %v, want +%v", r, before, growFirst)
	}
}

// TestCapture checks that capture drops cut the rate to what the
// receiver kept, although the network's ratio holds, and leave the
// baseline alone.
func TestCaptureDrops(t *testing.T) {
	f := newFeed(Config{})
	f.run(10, 40e3, all, func() bool { return f.c.Rate() >= 40e3 })
	f.step(40e3, 1, 0.25)
	if r := f.c.Rate(); f.c.State() != CaptureLoss || math.Abs(r-0.95*30e3) > 100 {
		t.Errorf("state %v, rate %v after the capture lost 25%%, want %v, %v", f.c.State(), r, CaptureLoss, 0.95*30e3)
	}
	if b := f.c.Baseline(); b != 1 {
		t.Errorf("baseline %v, want 1", b)
	}
}

// TestSenderBound checks that the rate does not run away when the senders
// cannot keep up, and that a later bottleneck is found at once.
func TestSenderBound(t *testing.T) {
	const top = 100e3
	f := newFeed(Config{})
	f.run(100, top, all, func() bool { return false })
	if r := f.c.Rate(); r < top || r > senderCap*top || f.c.State() != SenderBound {
		t.Errorf("rate %v, state %v with senders that reach %v; want at most %v, %v", r, f.c.State(), top, senderCap*top, SenderBound)
	}
	f.run(5, top, limit(30e3), func() bool { return f.c.Rate() < 30e3 })
	if r := f.c.Rate(); r > 30e3 {
		t.Errorf("rate %v five ticks after a bottleneck of 30k, want below it", r)
	}
}

// TestMax checks that the rate never goes above Max.
func TestMax(t *testing.T) {
	f := newFeed(Config{Max: 25e3})
	for range 50 {
		if r := f.step(f.c.Rate(), 1, 0); r > 25e3 {
			t.Fatalf("rate %v, above Max", r)
		}
	}
	if r := f.c.Rate(); r != 25e3 || f.c.State() != Capped {
		t.Errorf("rate %v, state %v; want 25k, %v", r, f.c.State(), Capped)
	}
}

// TestScale checks the manual steps of SIGUSR1 and SIGUSR2.
func TestScale(t *testing.T) {
	f := newFeed(Config{Max: 50e3})
	f.run(10, 40e3, all, func() bool { return f.c.Rate() >= 40e3 })
	f.c.Scale(0.9)
	if r := f.c.Rate(); r != 36e3 || f.c.State() != Manual {
		t.Fatalf("rate %v, state %v after Scale(0.9) from 40k; want 36k, %v", r, f.c.State(), Manual)
	}
	for _, bad := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		f.c.Scale(bad)
		if r := f.c.Rate(); r != 36e3 {
			t.Fatalf("Scale(%v) changed the rate to %v", bad, r)
		}
	}
	// The controller goes on from there, probing slowly.
	f.run(5, 40e3, all, func() bool { return f.c.Rate() != 36e3 })
	if r := f.c.Rate(); math.Abs(r-36e3*(1+growFirst)) > 1 {
		t.Errorf("rate %v a round after Scale, want %v", r, 36e3*(1+growFirst))
	}
	f.c.Scale(10)
	if r := f.c.Rate(); r != 50e3 {
		t.Errorf("rate %v after Scale(10), want Max", r)
	}
}

// TestFirsts checks that the controller judges the first tries' ratio
// when the engine counts them: retries to silent addresses do not dilute
// it.
func TestFirsts(t *testing.T) {
	c := New(Config{})
	var s Sample
	for i := 1; i <= 40; i++ {
		s.At = time.Duration(i) * tick
		n := uint64(c.Rate() * tick.Seconds())
		// Half the probes are first tries, 10% of which are answered;
		// the retries never are.
		s.Sent += n
		s.FirstSent += n / 2
		s.FirstAnswered += n / 20
		s.Answered += n / 20
		s.RTT = 1
		c.Observe(s)
		if c.State() == NetworkLoss {
			t.Fatalf("at %v: network loss, ratio %v", s.At, c.Ratio())
		}
	}
	if b := c.Baseline(); math.Abs(b-0.1) > 1e-3 {
		t.Errorf("baseline %v, want 0.1, the first tries'", b)
	}
}

// TestStale checks that a sample not after the last is ignored, and that
// counters that go back count as unchanged.
func TestStale(t *testing.T) {
	f := newFeed(Config{})
	f.run(10, 40e3, all, func() bool { return f.c.Rate() >= 40e3 })
	r, last := f.c.Rate(), f.s
	if got := f.c.Observe(last); got != r {
		t.Errorf("the same sample again moved the rate from %v to %v", r, got)
	}
	back := last
	back.At -= tick
	if got := f.c.Observe(back); got != r {
		t.Errorf("an earlier sample moved the rate from %v to %v", r, got)
	}
	zero := Sample{At: last.At + tick, RTT: 1}
	f.c.Observe(zero)
	if f.c.State() == NetworkLoss {
		t.Errorf("counters that went back to 0 read as loss")
	}
}

// FuzzObserve feeds the controller arbitrary configurations, samples and
// manual steps, and checks that the rate stays finite and within its
// bounds, and the ratio and baseline finite and sane.
func FuzzObserve(f *testing.F) {
	dense := make([]byte, 0, 8*100)
	for i := range 100 {
		// A tick of 50 ms, 500 sent (×2^2), all answered, RTT 1 ms.
		dense = append(dense, 2, 50, 0xf4, 0x01, 0xf4, 0x01, 0, byte(i%2))
	}
	f.Add(0.0, 0.0, 0.0, dense)
	f.Add(1e5, 1e4, 100.0, []byte{0x40, 50, 1, 1, 1, 1, 1, 1, 0x80, 0, 0, 0, 0, 0, 0, 0})
	f.Add(math.NaN(), math.Inf(1), -1.0, []byte{7, 255, 255, 255, 0, 0, 255, 255})
	f.Fuzz(func(t *testing.T, max, start, lo float64, script []byte) {
		c := New(Config{Max: max, Start: start, Min: lo})
		var s Sample
		for len(script) >= 8 {
			op, b := script[0], script[1:8]
			script = script[8:]
			shift := op & 0x1f
			switch {
			case op&0x40 != 0:
				c.Scale(float64(b[0]) / 64)
			case op&0x80 != 0:
				// Counters and clock that go back.
				s.At -= time.Duration(b[0]) * time.Millisecond
				s.Sent /= uint64(b[1]) + 1
				s.Answered /= uint64(b[2]) + 1
			default:
				s.At += time.Duration(b[0]) * time.Millisecond
				s.Sent += uint64(binary.LittleEndian.Uint16(b[1:])) << shift
				s.Answered += uint64(binary.LittleEndian.Uint16(b[3:])) << shift
				s.Dropped += uint64(b[5]) << shift
				s.RTT = time.Duration(b[6]) << shift * time.Microsecond
				if op&0x20 != 0 {
					s.FirstSent += uint64(b[1]) << shift
					s.FirstAnswered += uint64(b[3]) << shift
				}
			}
			r := c.Observe(s)
			if r != c.Rate() || math.IsNaN(r) || math.IsInf(r, 0) || r < c.cfg.Min || r > c.cfg.Max {
				t.Fatalf("rate %v (Rate %v) outside [%v, %v]", r, c.Rate(), c.cfg.Min, c.cfg.Max)
			}
			if q := c.Ratio(); !(q >= 0 && q <= 1) {
				t.Fatalf("ratio %v", q)
			}
			if b := c.Baseline(); !(b >= 0) || math.IsInf(b, 0) {
				t.Fatalf("baseline %v", b)
			}
			if c.State().String() == "invalid" {
				t.Fatalf("state %d", c.State())
			}
		}
	})
}
