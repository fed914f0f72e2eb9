package scan

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/trawlscan/trawl/pkg/result"
)

// Progress is a snapshot of a scan's counters. After Run returns it is
// the scan's summary.
type Progress struct {
	// Total is the number of probes in one pass of this run.
	Total uint64
	// Position is how many probes of the current pass have been handed to
	// the senders; Pass is the current pass, 0 for the first try.
	Position uint64
	Pass     int
	// Sent counts the probes sent, retries included.
	Sent uint64
	// Replies counts the probes answered by the port (first answers
	// only): a SYN-ACK or RST, or, for Connect, a connection or a refusal.
	// Open and Closed split them.
	Replies, Open, Closed uint64
	// Filtered counts probes found filtered, reported or not: those an
	// ICMP unreachable answered, and those with no answer after every
	// try; raw scans count the latter Wait after their last try. Once a
	// scan is done, Replies + Filtered is Total, but for Connect probes
	// that failed for a local reason (Failed).
	Filtered uint64
	// Unreachable counts those of Filtered that an ICMP destination
	// unreachable answered: for Connect, a host, network or protocol
	// unreachable error.
	Unreachable uint64
	// Invalid counts captured replies whose cookie did not check out, or
	// that answer a probe this run never sent.
	Invalid uint64
	// Late counts replies that came more than Config.Wait after their
	// probe's last try, when its state was gone; they are not reported,
	// since an earlier reply to the same probe may have been.
	Late uint64
	// Dropped counts frames the capture lost.
	Dropped uint64
	// Failed counts probes that could not be sent (the kernel refused the
	// destination) or, for Connect, failed for a local reason.
	Failed uint64
	// Suspect counts the hosts found to answer nearly every port (see
	// Config.NoSuspectCheck), and SuspectPorts their open results, marked
	// or, with Config.DropSuspect, left out. Open counts these too.
	Suspect, SuspectPorts uint64
	// Rate is the send rate a raw scan holds to now, in probes per
	// second, 0 if unpaced; with Config.RateAuto it moves as the scan
	// goes. AnswerRatio is the share of probes answered that the rate
	// controller judged last, 0 to 1, and 0 without Config.RateAuto.
	Rate, AnswerRatio float64
	// Services counts the open ports that Config.Services has probed,
	// and ServicesNamed those of them that a match line named.
	Services, ServicesNamed uint64
}

// RatePoint is the rate of a raw scan at one moment.
type RatePoint struct {
	// At is the time since the scan started.
	At time.Duration
	// Rate is the rate set, in probes per second (0 unpaced), and Sent
	// the rate achieved over the second before At.
	Rate, Sent float64
	// Ratio is the answer ratio the rate controller judged last, 0
	// without Config.RateAuto, and State what it did then: learning,
	// climbing, network loss, capture loss and so on ("" without).
	Ratio float64
	State string
}

// runner is one of the two scanners below a Scan.
type runner interface {
	Run(ctx context.Context, out func(result.Result)) error
	Resume() uint64
	progress() Progress
	scaleRate(f float64)
	rateHistory() []RatePoint
	close()
}

// Scan is one scan, planned and with its sockets open. Plan, Progress and
// Resume are safe to call from any goroutine while Run runs; Run may be
// called once, and Close once, after Run has returned.
type Scan struct {
	plan Plan
	r    runner
	sus  *suspects     // nil without the suspect check
	svc  *serviceStage // nil without Config.Services
	ran  atomic.Bool
}

// New checks cfg, plans the scan and opens its sockets and capture;
// nothing is sent until Run. Errors are a *ConfigError for a bad cfg, an
// error wrapping ErrPrivilege when cfg.Method is Frames or RawSocket and
// raw sockets are not permitted, or the system's error, with context.
func New(cfg Config) (*Scan, error) {
	p, err := plan(&cfg)
	if err != nil {
		return nil, err
	}
	s := &Scan{plan: p}
	if s.svc, err = openServices(&cfg, &s.plan); err != nil {
		return nil, err
	}
	s.checkSuspects(cfg)
	var fallback error // why not raw, with Auto
	if cfg.Method != Connect {
		raw, err := openRaw(&cfg, p, s.watcher())
		switch {
		case err == nil:
			s.plan.setRaw(&cfg, raw.path)
			s.r = raw
			return s, nil
		case cfg.Method != Auto || !errors.Is(err, ErrPrivilege):
			return nil, err
		}
		fallback = err
	}
	s.plan.setConnect(&cfg, fallback)
	inner := s.connectConfig(cfg)
	if s.r, err = openConnect(&inner, p); err != nil {
		return nil, err
	}
	return s, nil
}

// Run scans, calling out from one goroutine for every open port (and
// every closed one with Config.Closed, every filtered one with
// Config.Filtered) as its answer arrives, or for a silent probe once its
// last try has gone unanswered; out must not block for long. With the
// suspect check (Plan.SuspectCheck), a host's open results wait from its
// first SYN-ACK until the check has decided on the host, and those still
// waiting when the scan ends are passed on, unmarked, before Run returns.
// With Config.Services, each open result waits for its port's follow-up
// probe, and Run returns once every one is done; out is then called from
// the stage's goroutines, but never twice at once.
// It returns nil when every probe is answered or the wait
// after the last one has passed. If ctx is cancelled it stops sending,
// reads late replies for a moment and returns ctx.Err(); Resume then says
// where to continue. A socket or capture failure ends the scan with an
// error naming it. Run may be called once.
func (s *Scan) Run(ctx context.Context, out func(result.Result)) error {
	if !s.ran.CompareAndSwap(false, true) {
		return errors.New("scan: Run called twice")
	}
	if out == nil {
		out = func(result.Result) {}
	}
	if s.svc != nil {
		err := s.runSuspects(ctx, s.svc.start(ctx, out))
		s.svc.finish()
		if err == nil {
			err = ctx.Err() // stopped while services were probed
		}
		return err
	}
	return s.runSuspects(ctx, out)
}

// runSuspects runs the scanner, through the suspect check if the scan
// has one.
func (s *Scan) runSuspects(ctx context.Context, out func(result.Result)) error {
	if s.sus == nil {
		return s.r.Run(ctx, out)
	}
	err := s.r.Run(ctx, s.sus.wrap(out))
	s.sus.finish(out)
	return err
}

// Plan returns what New decided: the space, the seed, the positions of
// this run and the send path.
func (s *Scan) Plan() Plan { return s.plan }

// Progress returns the counters so far.
func (s *Scan) Progress() Progress {
	p := s.r.progress()
	if s.sus != nil {
		p.Suspect, p.SuspectPorts = s.sus.marked.Load(), s.sus.markedPorts.Load()
	}
	if s.svc != nil {
		p.Services, p.ServicesNamed = s.svc.done.Load(), s.svc.named.Load()
	}
	return p
}

// ScaleRate multiplies a raw scan's rate by f from now on, as ZMap does on
// SIGUSR1 (1.1) and SIGUSR2 (0.9): with Config.RateAuto the controller
// goes on from the new rate. It does nothing to an unpaced or connect()
// scan. It is safe to call while Run runs.
func (s *Scan) ScaleRate(f float64) { s.r.scaleRate(f) }

// RateHistory returns a raw scan's rate, set and achieved, once a second
// so far; nil for a connect() scan.
func (s *Scan) RateHistory() []RatePoint { return s.r.rateHistory() }

// Resume returns the first permutation position that a later scan with the
// same Config (Config.Resume set to it, Seed and FixedSeed set to Plan's
// seed) must start from to probe everything this one has not: every
// probe before it has been sent once, and, for Connect, its result passed
// to out. It is End once the first pass is done. While Run runs, it is
// also no later than any open result that the suspect check or the
// service stage holds back.
func (s *Scan) Resume() uint64 {
	r := s.r.Resume()
	if s.sus != nil {
		r = min(r, s.sus.resume())
	}
	if s.svc != nil {
		r = min(r, s.svc.resume())
	}
	return r
}

// Close releases the sockets and the capture. Call it once, after Run
// returns or instead of Run.
func (s *Scan) Close() error {
	s.r.close()
	return nil
}

// Run is New, Scan.Run and Close in one call, for a scan that needs
// neither progress nor resume. It returns the final counters.
func Run(ctx context.Context, cfg Config, out func(result.Result)) (Progress, error) {
	s, err := New(cfg)
	if err != nil {
		return Progress{}, err
	}
	defer s.Close()
	err = s.Run(ctx, out)
	return s.Progress(), err
}
