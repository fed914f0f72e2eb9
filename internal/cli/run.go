package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/trawlscan/trawl/pkg/result"
	"github.com/trawlscan/trawl/pkg/scan"
)

// run executes one scan described by o, and notes in rec what
// --metadata-file writes.
func run(ctx context.Context, o *options, args []string, stdout, stderr io.Writer, rec *record) error {
	cfg, err := buildConfig(o, os.Stdin)
	if err != nil {
		return err
	}
	rec.cfg, rec.rateSet = cfg, o.rateSet || o.maxRateSet
	if o.dryRun {
		rec.dryRun = true
		return dryRun(cfg, o, stdout, rec)
	}
	if namesPorts(o) {
		loadServiceNames(stderr)
	}
	sc, err := scan.New(cfg)
	if err != nil {
		return openError(err)
	}
	defer sc.Close()
	p := sc.Plan()
	rec.plan = &p
	if p.Method == scan.Connect && p.Fallback != nil {
		fmt.Fprintf(stderr, "trawl: raw SYN scan not permitted (%v); falling back to a connect() scan\n", p.Fallback)
	}
	if p.ServiceProbesMissing {
		fmt.Fprintf(stderr, "trawl: %s not found (Debian's nmap-common installs it): naming services with a small built-in probe set\n", scan.DefaultServiceProbes)
	}
	meta := result.Meta{
		Version: version, Args: strings.Join(append([]string{"trawl"}, args...), " "), Start: time.Now(),
		Ports: p.Space.Ports().String(), NumServices: p.Space.Ports().Len(), NumHosts: int(min(p.Space.Hosts(), 1<<31-1)),
		Connect: p.Method == scan.Connect,
	}
	// The sockets are open: no privilege from here on, and the files are
	// created as whoever trawl now runs as.
	as, err := dropPrivileges()
	if err != nil {
		return err
	}
	// A resumed run sends again the last seconds of probes before the
	// checkpoint: the results its files already hold for them are not
	// written twice.
	var held heldBack
	if o.resume != "" {
		if held, err = readHeld(o.outputs, p, stderr); err != nil {
			return as.explain(err)
		}
	}
	if err := rec.open(); err != nil {
		return as.explain(err)
	}
	outs, err := openOutputs(o.outputs, stdout, meta, o.resume != "")
	if err != nil {
		return as.explain(err)
	}

	// The state for --resume is saved every tick once the scan has run
	// two seconds (small scans never leave a file), and at the end if the
	// scan did not finish. A tick saves the position of the tick before,
	// whose replies have all arrived and been flushed by now, so that a
	// kill -9 loses no result, only up to two seconds of probing. The
	// suspect check holds some open results back for longer: a tick
	// saves no later than the oldest still held (sc.Resume() now), so
	// that a resumed run probes them again.
	statePath := o.resumeFile
	saveState := func(pos uint64) error {
		return as.explain(state{args: o.stateArgs, seed: p.Seed, position: pos}.save(statePath))
	}
	saved, warned := false, false
	start := time.Now()
	rec.scanning = start
	prev := p.Start
	st := newStatus(o, stderr, sc.Progress, start, func(now time.Time) {
		pos := sc.Resume()
		_ = outs.flush()
		defer func() { prev = pos }()
		if now.Sub(start) < 2*time.Second {
			return
		}
		if err := saveState(min(prev, pos)); err != nil {
			if !warned {
				fmt.Fprintf(stderr, "\rtrawl: warning: %v\n", err)
				warned = true
			}
			return
		}
		saved = true
	})
	st.start()
	stopSignals := rateSignals(sc, stderr)
	runErr := sc.Run(ctx, held.filter(outs.encode))
	stopSignals()
	st.stop()
	rec.rates = sc.RateHistory()
	outErr := outs.close()
	final := sc.Progress()
	rec.end, rec.final, rec.found, rec.finished = time.Now(), final, outs.found, runErr == nil
	if !o.quiet {
		fmt.Fprintln(stderr, summary(final, p.Blocklisted, time.Since(start), runErr == nil))
	}
	if runErr == nil && outErr == nil {
		if saved || o.resume != "" {
			_ = os.Remove(statePath)
		}
		return nil
	}
	interrupted := ctx.Err() != nil && errors.Is(runErr, ctx.Err())
	if interrupted || runErr != nil {
		if err := saveState(sc.Resume()); err != nil {
			fmt.Fprintf(stderr, "trawl: %v\n", err)
		} else {
			fmt.Fprintf(stderr, "trawl: scan state saved; continue with: trawl --resume %s\n", statePath)
		}
	}
	if interrupted {
		fmt.Fprintf(stderr, "trawl: interrupted after %d of %d probes; %d results written\n", final.Position, final.Total, outs.found)
		return context.Canceled
	}
	if runErr != nil {
		return runErr
	}
	return outErr
}

// summary is the end-of-scan line on stderr; blocklisted counts the
// target addresses that the blocklist skipped.
func summary(p scan.Progress, blocklisted uint64, d time.Duration, finished bool) string {
	rate := 0.0
	if d > 0 {
		rate = float64(p.Sent) / d.Seconds()
	}
	verb := "done in"
	if !finished {
		verb = "stopped after"
	}
	s := fmt.Sprintf("trawl: %s %.2fs: %d probes sent (%.0f/s), %d replies, %d open, %d closed, %d unanswered, %d invalid, %d capture drops",
		verb, d.Seconds(), p.Sent, rate, p.Replies, p.Open, p.Closed, unanswered(p), p.Invalid, p.Dropped)
	if p.Filtered > 0 {
		s += fmt.Sprintf(", %d filtered", p.Filtered)
		if p.Unreachable > 0 {
			s += fmt.Sprintf(" (%d by ICMP unreachable)", p.Unreachable)
		}
	}
	if p.Suspect > 0 {
		hosts := "hosts"
		if p.Suspect == 1 {
			hosts = "host"
		}
		s += fmt.Sprintf(", %d suspect %s answering nearly every port (%d of the open)", p.Suspect, hosts, p.SuspectPorts)
	}
	if p.Services > 0 {
		s += fmt.Sprintf(", %d services probed (%d named)", p.Services, p.ServicesNamed)
	}
	if p.Late > 0 {
		s += fmt.Sprintf(", %d late (after --wait, not reported)", p.Late)
	}
	if p.Failed > 0 {
		s += fmt.Sprintf(", %d not sent (unreachable)", p.Failed)
	}
	if blocklisted > 0 {
		s += fmt.Sprintf(", %d addresses skipped by the blocklist", blocklisted)
	}
	return s
}

// status prints progress once a second (a line on a terminal, or JSON
// with --status-json) and calls tick each time.
type status struct {
	o     *options
	w     io.Writer
	get   func() scan.Progress
	tick  func(time.Time) // also called every second
	began time.Time
	tty   bool
	done  chan struct{}
	wg    sync.WaitGroup
	last  scan.Progress
	lastT time.Time
}

func newStatus(o *options, w io.Writer, get func() scan.Progress, began time.Time, tick func(time.Time)) *status {
	return &status{o: o, w: w, get: get, tick: tick, began: began, tty: isTerminal(w), done: make(chan struct{}), lastT: began}
}

func (s *status) start() {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-s.done:
				if s.tty && !s.o.quiet && !s.o.statusJSON {
					fmt.Fprint(s.w, "\r\033[K")
				}
				return
			case now := <-t.C:
				s.tick(now)
				s.print(now)
			}
		}
	}()
}

func (s *status) stop() {
	close(s.done)
	s.wg.Wait()
}

// print writes one progress report.
func (s *status) print(now time.Time) {
	if s.o.quiet || (!s.tty && !s.o.statusJSON) {
		return
	}
	p := s.get()
	rate := float64(p.Sent-s.last.Sent) / now.Sub(s.lastT).Seconds()
	s.last, s.lastT = p, now
	pct := 100.0
	if p.Total > 0 {
		pct = 100 * float64(p.Position) / float64(p.Total)
	}
	eta := time.Duration(0)
	if rate > 0 && p.Position < p.Total {
		eta = time.Duration(float64(p.Total-p.Position) / rate * float64(time.Second))
	}
	found := p.Open
	if s.o.showClosed {
		found += p.Closed
	}
	if s.o.showFiltered {
		found += p.Filtered
	}
	if s.o.statusJSON {
		fmt.Fprintf(s.w, `{"time":%q,"elapsed":%.1f,"rate":%.0f,"target_rate":%.0f,"answer_ratio":%.4f,"percent":%.2f,"eta":%.0f,"pass":%d,"found":%d,"sent":%d,"replies":%d,"open":%d,"closed":%d,"filtered":%d,"invalid":%d,"drops":%d}`+"\n",
			now.UTC().Format(time.RFC3339), now.Sub(s.began).Seconds(), rate, p.Rate, p.AnswerRatio, pct, eta.Seconds(), p.Pass, found, p.Sent, p.Replies, p.Open, p.Closed, p.Filtered, p.Invalid, p.Dropped)
		return
	}
	retry := ""
	if p.Pass > 0 {
		retry = fmt.Sprintf(" (retry %d)", p.Pass)
	}
	auto := ""
	if s.o.rateAuto {
		auto = fmt.Sprintf(" (auto %.1fk/s, %.1f%% answered)", p.Rate/1000, 100*p.AnswerRatio)
	}
	fmt.Fprintf(s.w, "\r\033[Krate %7.1fk/s%s  %6.2f%% done%s  ETA %s  found %d  drops %d", rate/1000, auto, pct, retry, elapsed(eta), found, p.Dropped)
}

// isTerminal reports whether w is a character device such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0 && fi.Mode()&os.ModeDevice != 0 && f.Name() != os.DevNull
}
