package connect

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trawlscan/trawl/internal/pace"
	"github.com/trawlscan/trawl/pkg/result"
	"github.com/trawlscan/trawl/pkg/target"
)

// Defaults and bounds for Config.
const (
	// DefaultTimeout is the per-connect timeout when Config.Timeout is 0.
	DefaultTimeout = time.Second
	// MaxConcurrency caps the default concurrency. Each connect in flight
	// holds a file descriptor, an ephemeral port and a worker goroutine
	// (8 KiB of stack and 2-3 KiB of heap once dialing: 10000 in flight
	// measured 120 MiB RSS). More in flight also means bigger bursts of
	// SYNs: at 10000, a loaded 2-core machine dropped them in its own
	// backlog and lost 8% of the lab's open ports to timeouts, while 1024
	// lost none and still settles 1024 silent (filtered) probes a second
	// at the default timeout. --concurrency raises it for slow networks.
	MaxConcurrency = 1024
	// FileHeadroom is how many descriptors of the soft RLIMIT_NOFILE the
	// default concurrency leaves to the rest of the program: outputs,
	// the runtime's poller, standard streams.
	FileHeadroom = 64
)

// The backoff after the system runs out of descriptors or ephemeral ports
// doubles from minBackoff up to maxBackoff while it keeps failing.
const (
	minBackoff = 5 * time.Millisecond
	maxBackoff = 250 * time.Millisecond
)

// Config describes one connect scan. The zero value of every optional field
// means its default.
type Config struct {
	// Space is the set of probes. Required.
	Space *target.Space
	// Perm orders Space. Required; Perm.Len() must equal Space.Len().
	Perm *target.Permutation
	// Start and End bound the permutation positions this run probes,
	// [Start, End), with Start <= End <= Perm.Len(); New trusts its caller
	// (pkg/scan) to have checked. End zero means Perm.Len().
	Start, End uint64
	// Concurrency is the most connects in flight at once, one worker
	// goroutine each. Zero means the soft RLIMIT_NOFILE after RaiseFileLimit,
	// minus FileHeadroom, capped at MaxConcurrency. It is never more than
	// the number of probes.
	Concurrency int
	// Timeout is how long one connect may take before the port counts as
	// filtered; 0 means DefaultTimeout.
	Timeout time.Duration
	// Retries is how many more times a probe that timed out is tried
	// before it is reported filtered. A host, network or protocol
	// unreachable, or an administrative prohibition, is an answer, as in
	// nmap: it is not retried.
	Retries int
	// Rate is the most connect attempts per second, retries included;
	// 0 means unlimited (bounded by Concurrency and the network).
	Rate float64
	// Closed reports closed (refused) ports as well as open ones.
	Closed bool
	// Filtered reports filtered ports as well as open ones.
	Filtered bool
	// Source is the local address that connections to targets of its
	// family, IPv4 or IPv6, are bound to. Connections to targets of the
	// other family, and all of them when Source is the zero Addr, leave
	// from the address the kernel chooses by route, so that one Source
	// serves a mixed scan. An IPv4-mapped IPv6 Source is an error: give it
	// as IPv4.
	Source netip.Addr
}

// Stats are the scan's counters. Read them with Scanner.Stats while it runs.
type Stats struct {
	// Total is the number of probes in this run, End - Start.
	Total uint64
	// Position is how many of them have been handed to workers, including
	// those still in flight.
	Position uint64
	// Sent counts connect attempts, retries and attempts aborted by
	// cancellation included. Attempts that failed locally for lack of
	// descriptors or ports (see Backoffs) are not counted.
	Sent uint64
	// Open, Closed and Filtered count the probes found so, reported or not.
	Open, Closed, Filtered uint64
	// Unreachable counts those of Filtered whose last try failed with a
	// host, network or protocol unreachable error, or an administrative
	// prohibition, rather than a timeout.
	Unreachable uint64
	// Errors counts probes whose connect failed in a way that says nothing
	// about the port, such as a local firewall refusing it (EPERM); they
	// produce no result.
	Errors uint64
	// Backoffs counts attempts that failed locally for lack of file
	// descriptors, buffers or ephemeral ports, and were retried after a
	// pause. Many of them mean Concurrency is too high for the system.
	Backoffs uint64
}

// dialFunc connects to addr. It is a seam for tests; the real one is a
// net.Dialer.
type dialFunc func(ctx context.Context, addr netip.AddrPort) (net.Conn, error)

// Scanner runs one connect scan. Stats and Resume are safe to call
// concurrently with Run.
type Scanner struct {
	cfg     Config
	total   uint64
	workers int
	// dialer4 and dialer6 connect to IPv4 and IPv6 targets; only the one
	// of Config.Source's family binds to it.
	dialer4, dialer6 net.Dialer
	dial             dialFunc
	limit            *pace.Limiter
	ran              atomic.Bool

	next  atomic.Uint64 // next position to claim
	slots []atomic.Uint64

	sent, open, closed, filtered, unreachable, errs, backoffs atomic.Uint64
}

// New checks cfg, fills in its defaults and returns a Scanner. It raises the
// soft RLIMIT_NOFILE to the hard limit (see RaiseFileLimit), so that the
// workers have descriptors to use. On systems other than Unix it returns
// an error wrapping errors.ErrUnsupported.
func New(cfg Config) (*Scanner, error) {
	if err := supported(); err != nil {
		return nil, err
	}
	if cfg.Space == nil || cfg.Perm == nil || cfg.Perm.Len() != cfg.Space.Len() {
		return nil, errors.New("connect: space and permutation must be given and agree")
	}
	if cfg.End == 0 {
		cfg.End = cfg.Perm.Len()
	}
	switch {
	case cfg.Concurrency < 0:
		return nil, fmt.Errorf("connect: concurrency %d is negative", cfg.Concurrency)
	case cfg.Timeout < 0:
		return nil, fmt.Errorf("connect: timeout %v is negative", cfg.Timeout)
	case cfg.Retries < 0:
		return nil, fmt.Errorf("connect: retries %d is negative", cfg.Retries)
	case cfg.Rate < 0 || math.IsNaN(cfg.Rate):
		return nil, fmt.Errorf("connect: rate %v is negative or not a number", cfg.Rate)
	case cfg.Source.Is4In6():
		return nil, fmt.Errorf("connect: source address %v is IPv4-mapped: give it as %v", cfg.Source, cfg.Source.Unmap())
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	// The soft limit is useful even when raising it failed.
	soft, _ := RaiseFileLimit()
	if cfg.Concurrency == 0 {
		cfg.Concurrency = defaultConcurrency(soft)
	}
	total := cfg.End - cfg.Start
	workers := int(min(uint64(cfg.Concurrency), total))
	// The limiter's schedule may fall 10 ms behind, Rate/100 attempts
	// rounded up: long enough to absorb timer rounding, short enough to
	// stay invisible at one second.
	burst := int(math.Ceil(cfg.Rate / 100))
	s := &Scanner{
		cfg:     cfg,
		total:   total,
		workers: workers,
		limit:   pace.New(cfg.Rate, burst),
		slots:   make([]atomic.Uint64, workers),
	}
	s.dialer4.Timeout, s.dialer6.Timeout = cfg.Timeout, cfg.Timeout
	if cfg.Source.IsValid() {
		d := &s.dialer6
		if cfg.Source.Is4() {
			d = &s.dialer4
		}
		d.LocalAddr = &net.TCPAddr{IP: cfg.Source.AsSlice(), Zone: cfg.Source.Zone()}
		d.Control = control
	}
	s.dial = s.netDial
	s.next.Store(cfg.Start)
	for i := range s.slots {
		s.slots[i].Store(cfg.Start)
	}
	return s, nil
}

// defaultConcurrency is the concurrency for a soft file limit: the limit
// less FileHeadroom, between 1 and MaxConcurrency.
func defaultConcurrency(soft uint64) int {
	if soft <= FileHeadroom {
		return 1
	}
	return int(min(soft-FileHeadroom, MaxConcurrency))
}

// netDial is the real dialFunc. It opens an AF_INET socket for an IPv4
// target and an AF_INET6 one for an IPv6 target, each with its family's
// dialer.
func (s *Scanner) netDial(ctx context.Context, addr netip.AddrPort) (net.Conn, error) {
	if addr.Addr().Is4() {
		return s.dialer4.DialContext(ctx, "tcp4", addr.String())
	}
	return s.dialer6.DialContext(ctx, "tcp6", addr.String())
}

// Concurrency returns the number of workers Run starts: Config.Concurrency
// or its default, capped at the number of probes.
func (s *Scanner) Concurrency() int { return s.workers }

// Stats returns a snapshot of the counters. It is safe to call at any time.
func (s *Scanner) Stats() Stats {
	return Stats{
		Total:       s.total,
		Position:    min(s.next.Load(), s.cfg.End) - s.cfg.Start,
		Sent:        s.sent.Load(),
		Open:        s.open.Load(),
		Closed:      s.closed.Load(),
		Filtered:    s.filtered.Load(),
		Unreachable: s.unreachable.Load(),
		Errors:      s.errs.Load(),
		Backoffs:    s.backoffs.Load(),
	}
}

// Resume returns the first permutation position that is not yet fully
// handled: every position before it has been probed and its result, if
// reported, has been passed to out and out has returned. A later run from
// it misses nothing; it may repeat up to Concurrency probes that finished
// out of order. After Run has returned nil it is End. It is safe to call
// at any time.
func (s *Scanner) Resume() uint64 {
	// Read next before the slots: a position claimed after this read is at
	// least next, and one claimed before it and still in flight is held in
	// its worker's slot from before the claim until it is handled.
	r := min(s.next.Load(), s.cfg.End)
	for i := range s.slots {
		r = min(r, s.slots[i].Load())
	}
	return r
}

// report carries a result from a worker to Run's goroutine; Run signals
// done after out has returned.
type report struct {
	res  result.Result
	done chan<- struct{}
}

// Run scans positions [Start, End). It calls out, from the goroutine that
// called Run, for every open port, and every closed or filtered one if
// Config.Closed or Config.Filtered, as its connect finishes; a nil out
// discards them. It returns nil when every position is handled. If ctx is
// cancelled first it aborts the connects in flight, waits for the workers
// to stop, and returns ctx.Err(); Resume then tells where to continue. Run
// may be called once.
func (s *Scanner) Run(ctx context.Context, out func(result.Result)) error {
	if !s.ran.CompareAndSwap(false, true) {
		return errors.New("connect: Run called twice")
	}
	if out == nil {
		out = func(result.Result) {}
	}
	reports := make(chan report)
	var wg sync.WaitGroup
	for i := range s.slots {
		wg.Go(func() { s.work(ctx, &s.slots[i], reports) })
	}
	finished := make(chan struct{})
	go func() {
		wg.Wait()
		close(finished)
	}()
	for {
		select {
		case r := <-reports:
			out(r.res)
			r.done <- struct{}{}
		case <-finished:
			if s.Resume() < s.cfg.End {
				return ctx.Err()
			}
			return nil
		}
	}
}

// work claims positions one at a time and probes them until none are left
// or ctx is done. slot holds a lower bound of the position in flight, for
// Resume: the last position claimed stays there until the next claim, one
// aborted by ctx stays there for good, and End marks a worker that has
// nothing left in flight.
func (s *Scanner) work(ctx context.Context, slot *atomic.Uint64, reports chan<- report) {
	done := make(chan struct{}, 1)
	for ctx.Err() == nil {
		pos := s.next.Add(1) - 1
		if pos >= s.cfg.End {
			break
		}
		slot.Store(pos)
		ip, port := s.cfg.Space.Index(s.cfg.Perm.At(pos))
		addr := netip.AddrPortFrom(ip.Netip(), port)
		status, reason, ok := s.probe(ctx, addr)
		if !ok {
			return
		}
		if status == result.StatusOpen ||
			status == result.StatusClosed && s.cfg.Closed ||
			status == result.StatusFiltered && s.cfg.Filtered {
			reports <- report{
				res:  result.Result{IP: addr.Addr(), Port: addr.Port(), Status: status, Reason: reason, Time: time.Now()},
				done: done,
			}
			<-done
		}
	}
	slot.Store(s.cfg.End)
}

// outcome is what one connect attempt says.
type outcome uint8

const (
	outOpen     outcome = iota + 1 // connected
	outClosed                      // refused: the port answered with a RST
	outFiltered                    // no answer in time, or unreachable
	outBusy                        // no local descriptor or port: back off and try again
	outAborted                     // ctx is done
	outError                       // failed for a local reason that says nothing about the port
)

// probe connects to addr, retrying filtered attempts up to Retries times
// and attempts that ran out of local resources until they get through.
// It returns the port's status, with StatusInvalid for an error, the
// reason the last attempt gave, in nmap's words for a connect() scan, and
// false if ctx ended it first.
func (s *Scanner) probe(ctx context.Context, addr netip.AddrPort) (result.Status, result.Reason, bool) {
	backoff := minBackoff
	for try := 0; ; {
		if s.limit.Wait(ctx, 1) != nil {
			return result.StatusInvalid, result.ReasonNone, false
		}
		conn, err := s.dial(ctx, addr)
		o, reason := classify(ctx, err)
		if o != outBusy {
			s.sent.Add(1)
		}
		switch o {
		case outOpen:
			if tc, ok := conn.(*net.TCPConn); ok {
				// Linger 0 makes Close send a RST: no TIME_WAIT left behind.
				_ = tc.SetLinger(0)
			}
			_ = conn.Close()
			s.open.Add(1)
			return result.StatusOpen, reason, true
		case outClosed:
			s.closed.Add(1)
			return result.StatusClosed, reason, true
		case outFiltered:
			if try++; reason == result.ReasonNoResponse && try <= s.cfg.Retries {
				continue
			}
			s.filtered.Add(1)
			if reason != result.ReasonNoResponse {
				s.unreachable.Add(1)
			}
			return result.StatusFiltered, reason, true
		case outBusy:
			s.backoffs.Add(1)
			if sleep(ctx, backoff) != nil {
				return result.StatusInvalid, result.ReasonNone, false
			}
			backoff = min(2*backoff, maxBackoff)
		case outAborted:
			return result.StatusInvalid, result.ReasonNone, false
		default:
			s.errs.Add(1)
			return result.StatusInvalid, result.ReasonNone, true
		}
	}
}

// classify maps a dial's error to its outcome and, for an open, closed or
// filtered port, the reason nmap's connect scan gives: syn-ack for a
// connection, conn-refused, no-response for a timeout, or the unreachable
// that the errno stands for. A refusal or a lack of local resources
// counts even after ctx is done; any other failure then is taken for the
// abort.
func classify(ctx context.Context, err error) (outcome, result.Reason) {
	if err == nil {
		return outOpen, result.ReasonSYNACK
	}
	o, reason := classifyErrno(err)
	switch {
	case o == outClosed || o == outBusy:
		return o, reason
	case ctx.Err() != nil:
		return outAborted, result.ReasonNone
	case o != 0:
		return o, reason
	}
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		return outFiltered, result.ReasonNoResponse
	}
	return outError, result.ReasonNone
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
