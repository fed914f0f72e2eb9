package ratectl

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

const (
	ms  = time.Millisecond
	sec = time.Second
	// ceiling is the senders' top rate in the scenarios, as on the lab's
	// box (300k to 450k/s).
	ceiling = 400e3
)

// labRTTs are the RTTs the lab cases run at: a veth pair, a LAN-like 50 ms
// and a long 300 ms path.
var labRTTs = []time.Duration{100 * time.Microsecond, 50 * ms, 300 * ms}

// row is a scenario's figures, for the table TestScenarios logs.
type row struct {
	name      string
	steady    time.Duration // from when the rate stays in its band; -1: never
	sustained float64       // mean rate over 5 s to the end, as a share of the target
	above     time.Duration // time above 1.3 × the target after 5 s
}

// figures measures r against target: steady within [lo, hi] × target.
func figures(r result, target func(time.Duration) float64, lo, hi float64) row {
	return row{
		name:      r.sc.name,
		steady:    r.settled(0, r.sc.dur, lo, hi, target),
		sustained: r.mean(5*sec, r.sc.dur, target),
		above:     r.above(5*sec, r.sc.dur, 1.3, target),
	}
}

// table formats rows.
func table(rows []row) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-52s %8s %10s %8s\n", "scenario", "steady", "rate/N", ">1.3N")
	for _, r := range rows {
		steady := "never"
		if r.steady >= 0 {
			steady = fmt.Sprintf("%.2fs", r.steady.Seconds())
		}
		fmt.Fprintf(&b, "%-52s %8s %10.3f %7.2fs\n", r.name, steady, r.sustained, r.above.Seconds())
	}
	return b.String()
}

// TestScenarios runs the lab cases and more in the simulator, and
// checks the figures: with a bottleneck of N = 50k/s the sustained
// rate is at least 0.85 N and the rate is above 1.3 N for at most a second
// in all after the first 5 s; it settles within seconds. It logs a table
// of the figures (go test -v).
func TestScenarios(t *testing.T) {
	var rows []row
	add := func(r row) { rows = append(rows, r) }
	defer func() { t.Log(table(rows)) }()

	// The lab: every probe is answered, and the target drops SYNs above
	// 50k/s. Retries go out of the same rate.
	lab := func(name string, rtt func(time.Duration) time.Duration) scenario {
		return scenario{name: name, dur: 30 * sec, ceiling: ceiling, limit: fixed(50e3), rtt: rtt, retries: 3}
	}
	var cases []scenario
	for _, rtt := range labRTTs {
		cases = append(cases, lab(fmt.Sprintf("N=50k, RTT %v", rtt), fixed(rtt)))
	}
	cases = append(cases,
		lab("N=50k, RTT 20 ms, 200 ms from 15 s", steps([]time.Duration{0, 15 * sec}, []time.Duration{20 * ms, 200 * ms})),
		lab("N=50k, RTT 200 ms, 20 ms from 15 s", steps([]time.Duration{0, 15 * sec}, []time.Duration{200 * ms, 20 * ms})),
	)
	unknown := lab("N=50k, RTT 50 ms, engine has no estimate", fixed(50*ms))
	unknown.rttUnknown = true
	cases = append(cases, unknown)
	for _, sc := range cases {
		r := run(sc)
		f := figures(r, sc.limit, 0.85, 1.3)
		add(f)
		if f.sustained < 0.85 || f.above > sec || f.steady < 0 || f.steady > 5*sec {
			t.Errorf("%s: sustained %.3f N (want ≥ 0.85), %v above 1.3 N (want ≤ 1s), steady at %v (want ≤ 5s)\n%v", sc.name, f.sustained, f.above, f.steady, r)
		}
		if b := r.ctl.Baseline(); b < 0.95 || b > 1.05 {
			t.Errorf("%s: baseline %.3f, want 1", sc.name, b)
		}
	}

	// The same with the engine's first tries counted, in a sparse space
	// where 5% of the addresses answer. The ratio is noisier, so the
	// band the rate keeps to is wider: [0.8, 1.4] N. The figures are the
	// mean over seeds, and the worst.
	const seeds = 8
	mean := row{name: "N=50k, RTT 50 ms, 5% answer, firsts (mean of 8)"}
	worst := row{name: "N=50k, RTT 50 ms, 5% answer, firsts (worst of 8)", sustained: 1}
	for seed := range uint64(seeds) {
		sc := lab("", fixed(50*ms))
		sc.density, sc.firsts, sc.seed = 0.05, true, seed
		r := run(sc)
		f := figures(r, sc.limit, 0.8, 1.4)
		mean.steady += f.steady / seeds
		mean.sustained += f.sustained / seeds
		mean.above += f.above / seeds
		worst.steady = max(worst.steady, f.steady)
		worst.sustained = min(worst.sustained, f.sustained)
		worst.above = max(worst.above, f.above)
		if f.steady < 0 || f.steady > 5*sec || f.sustained < 0.85 || f.above > 3*sec {
			t.Errorf("sparse, seed %d: steady at %v in [0.8, 1.4] N (want ≤ 5s), sustained %.3f N (want ≥ 0.85), %v above 1.3 N (want ≤ 3s)\n%v", seed, f.steady, f.sustained, f.above, r)
		}
	}
	add(mean)
	add(worst)

	// No bottleneck: the senders' ceiling is the limit. The rate keeps
	// to [0.9, 1] × the ceiling; the figures are against it.
	free := func(name string, density float64, retries int, firsts bool) scenario {
		return scenario{name: name, dur: 10 * sec, ceiling: ceiling, rtt: fixed(50 * ms), density: density, retries: retries, firsts: firsts}
	}
	var climb []time.Duration
	for _, sc := range []scenario{
		free("unthrottled, 400k/s ceiling", 1, 3, false),
		free("unthrottled, 5% answer, firsts", 0.05, 3, true),
		free("unthrottled, 5% answer, no retries", 0.05, 0, false),
	} {
		r := run(sc)
		f := figures(r, fixed(sc.ceiling), 0.9, 1)
		add(f)
		climb = append(climb, r.reach(0.9, fixed(sc.ceiling)))
		if f.steady < 0 || f.steady > 3*sec || f.sustained < 0.9 {
			t.Errorf("%s: steady at %v (want ≤ 3s), sustained %.3f of the ceiling (want ≥ 0.9)\n%v", sc.name, f.steady, f.sustained, r)
		}
		if r.ctl.Rate() > senderCap*sc.ceiling {
			t.Errorf("%s: rate %.0f, more than %v × what the senders reach", sc.name, r.ctl.Rate(), senderCap)
		}
	}
	// A sparse space climbs as fast as a dense one, but for the first
	// windows' statistics: learnAnswers answers at 5% of 10k/s take 0.4 s.
	for i, c := range climb[1:] {
		if c < 0 || c > climb[0]+sec {
			t.Errorf("sparse space %d reached 90%% of the ceiling at %v, the dense one at %v", i+1, c, climb[0])
		}
	}
}

// TestSchedule checks that the rate follows a bottleneck that changes
// mid-scan, 50k, then 20k, then 80k/s, within 5 s of each change, and is
// above 1.3 N for at most a second after each.
func TestSchedule(t *testing.T) {
	changes := []time.Duration{0, 10 * sec, 20 * sec, 30 * sec}
	var rows []row
	defer func() { t.Log(table(rows)) }()
	for _, rtt := range labRTTs {
		sc := scenario{
			name:    fmt.Sprintf("50k, 20k, 80k, RTT %v", rtt),
			dur:     changes[3],
			ceiling: ceiling,
			limit:   steps(changes[:3], []float64{50e3, 20e3, 80e3}),
			rtt:     fixed(rtt),
			retries: 3,
		}
		r := run(sc)
		for i := range 3 {
			at := r.settled(changes[i], changes[i+1], 0.85, 1.3, sc.limit)
			rows = append(rows, row{
				name:      fmt.Sprintf("%s: to %.0fk", sc.name, sc.limit(changes[i])/1000),
				steady:    at - changes[i],
				sustained: r.mean(changes[i]+5*sec, changes[i+1], sc.limit),
				above:     r.above(max(changes[i], 5*sec), changes[i+1], 1.3, sc.limit),
			})
			if at < 0 || at-changes[i] > 5*sec {
				t.Errorf("%s: did not follow the change at %v within 5s (settled at %v)\n%v", sc.name, changes[i], at, r)
			}
			if a := rows[len(rows)-1].above; a > sec {
				t.Errorf("%s: %v above 1.3 N after the change at %v, want ≤ 1s\n%v", sc.name, a, changes[i], r)
			}
		}
	}
}

// TestCapture checks that capture drops slow the rate down although the
// network's ratio holds: the receiver keeps 150k replies a second, below
// what the network carries.
func TestCapture(t *testing.T) {
	const kept = 150e3
	sc := scenario{name: "capture keeps 150k/s", dur: 30 * sec, ceiling: ceiling, capture: kept, rtt: fixed(ms), retries: 3}
	r := run(sc)
	f := figures(r, fixed(kept), 0.85, 1.3)
	t.Log(table([]row{f}))
	if f.sustained < 0.85 || f.sustained > 1.1 || f.above > 0 {
		t.Errorf("sustained %.3f of what the capture keeps (want 0.85 to 1.1), %v above 1.3 times it\n%v", f.sustained, f.above, r)
	}
	if b := r.ctl.Baseline(); b < 0.95 {
		t.Errorf("baseline %.3f: the capture's loss was taken for the network's", b)
	}
	var seen bool
	for _, s := range r.ticks {
		seen = seen || s.state == CaptureLoss
	}
	if !seen {
		t.Errorf("never in state %v\n%v", CaptureLoss, r)
	}
}

// TestPathLoss checks that a path that starts to lose a fifth of the
// probes, whatever the rate, moves the baseline down instead of cutting
// the rate to nothing.
func TestPathLoss(t *testing.T) {
	loss := steps([]time.Duration{0, 10 * sec}, []float64{0, 0.2})
	for _, sc := range []scenario{
		{name: "N=50k, 20% path loss from 10 s", dur: 30 * sec, ceiling: ceiling, limit: fixed(50e3), rtt: fixed(50 * ms), retries: 3, pathLoss: loss},
		{name: "unthrottled, 20% path loss from 10 s", dur: 30 * sec, ceiling: ceiling, rtt: fixed(50 * ms), retries: 3, pathLoss: loss},
	} {
		r := run(sc)
		target := fixed(ceiling)
		if sc.limit != nil {
			target = sc.limit
		}
		if m := r.mean(15*sec, sc.dur, target); m < 0.85 {
			t.Errorf("%s: sustained %.3f after the loss began, want ≥ 0.85\n%v", sc.name, m, r)
		}
		if b := r.ctl.Baseline(); b < 0.75 || b > 0.85 {
			t.Errorf("%s: baseline %.3f, want 0.8", sc.name, b)
		}
	}
}

// TestUndiluted checks the fallback when the engine does not count first
// tries in a sparse space with retries: the retries dilute the ratio, and
// the controller must not take that for loss and cut the rate to nothing.
func TestUndiluted(t *testing.T) {
	sc := scenario{name: "unthrottled, 5% answer, 3 retries, no firsts", dur: 10 * sec, ceiling: ceiling, rtt: fixed(50 * ms), density: 0.05, retries: 3}
	r := run(sc)
	f := figures(r, fixed(ceiling), 0.9, 1)
	t.Log(table([]row{f}))
	for _, s := range r.ticks {
		if s.at > 2*sec && s.sent < DefaultStart {
			t.Fatalf("rate %.0f at %v, below the start rate\n%v", s.sent, s.at, r)
		}
	}
}
