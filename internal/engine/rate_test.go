package engine

import (
	"testing"
	"time"
)

// TestRTTFromFrontierNotes checks the RTT estimate: an answer to a probe
// is timed from the first frontier note past its position; the estimate
// is the least recent sample, so a retried probe's long sample, and
// answers to probes not yet noted as passed, do not count.
func TestRTTFromFrontierNotes(t *testing.T) {
	rc := newRateControl(Config{RateAuto: true}, 1, 1)
	if rc.rtt() != 0 {
		t.Fatalf("rtt %v with no samples, want 0", rc.rtt())
	}
	now := time.Now()
	// The frontier passes 100 positions every 5 ms, for 1 s.
	for i := range 200 {
		rc.notes[rc.nNotes%frontierLog] = note{pos: uint64(100 * (i + 1)), at: now.Add(time.Duration(i) * controlTick)}
		rc.nNotes++
	}
	last := now.Add(199 * controlTick)
	rc.sample(150, now.Add(100*time.Millisecond))   // probe noted at +5 ms: 95 ms
	rc.sample(10050, last.Add(40*time.Millisecond)) // noted at +500 ms, answered at +1035: a retry, 535 ms
	rc.sample(19950, last.Add(30*time.Millisecond)) // noted at +995 ms: 30 ms
	rc.sample(20050, last.Add(time.Millisecond))    // past the last note: no sample
	rc.sample(50, now)                              // before the first note: none
	if rc.nSample != 3 {
		t.Errorf("%d samples, want 3", rc.nSample)
	}
	if got := rc.rtt(); got != 30*time.Millisecond {
		t.Errorf("rtt = %v, want the least sample, 30ms", got)
	}
	// answered itself samples one answer in rttEvery.
	n := rc.nSample
	for k := uint64(1); k <= 3*rttEvery; k++ {
		rc.answered(k, 150)
	}
	if rc.nSample-n != 3 {
		t.Errorf("answered took %d samples of %d answers, want 3", rc.nSample-n, 3*rttEvery)
	}
	// Without RateAuto, nothing is timed.
	fixed := newRateControl(Config{Rate: 1000}, 1, 1)
	fixed.answered(rttEvery, 0)
	if fixed.nSample != 0 {
		t.Error("a fixed-rate scan took an RTT sample")
	}
}

// TestScaleRate checks SIGUSR1's and SIGUSR2's steps on a fixed rate
// shared by two senders, and that an unpaced scan stays unpaced.
func TestScaleRate(t *testing.T) {
	rc := newRateControl(Config{Rate: 1000}, 2, 1)
	rc.scale(1.1)
	if rate, _ := rc.current(); rate != 1100 || rc.limiters[0].Per() != time.Second/550 {
		t.Errorf("after ×1.1: rate %v, a sender's per %v; want 1100 and %v", rate, rc.limiters[0].Per(), time.Second/550)
	}
	free := newRateControl(Config{}, 1, 1)
	free.scale(0.9)
	if rate, _ := free.current(); rate != 0 || free.limiters[0].Per() != 0 {
		t.Errorf("an unpaced scan scaled: rate %v", rate)
	}
}
