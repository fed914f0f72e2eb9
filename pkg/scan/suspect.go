package scan

import (
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trawlscan/trawl/internal/engine"
	"github.com/trawlscan/trawl/pkg/result"
	"github.com/trawlscan/trawl/pkg/target"
)

// The check for hosts that answer every port: SYN proxies, tarpits such
// as portspoof (a firewall redirect of every port to one listener) and
// firewalls answering for a host. Their open ports say nothing about
// services, and one such host turns a sweep into thousands of results.
const (
	// SuspectSample is how many of a host's probes, counted from its
	// first SYN-ACK on, decide whether it is suspect. Every probe
	// counts once it is resolved: by a SYN-ACK, a RST, an ICMP
	// unreachable, or silence after its last try.
	SuspectSample = 32
	// SuspectOpen is how many of those SuspectSample probes must have
	// answered with a SYN-ACK (7/8 of them) for the host to be suspect.
	// A host that resolves SuspectSample-SuspectOpen+1 (5) probes
	// otherwise first is not.
	SuspectOpen = 28
)

// Why these numbers, and what they cost:
//
//   - The check runs only when the scan probes each host on at least
//     SuspectSample ports on average (this run's probes ≥ SuspectSample ×
//     hosts). A scan of -p 80,443 never marks a host, and never holds a
//     result back.
//   - A host needs SuspectOpen SYN-ACKs among its first SuspectSample
//     resolved probes: a tarpit, which answers every port, always has
//     them. A real host with 300 of 1024 ports open has each probe open
//     with p ≈ 0.29; the first SYN-ACK counts, so it needs 27 more among
//     the next 31: P(Bin(31, 0.29) ≥ 27) ≈ 1e-11. Even a host with 70%
//     of its ports open is marked with P(Bin(31, 0.7) ≥ 27) ≈ 0.02.
//   - Silence counts against a host, like a RST: a host whose firewall
//     lets 60 open ports through and drops the rest is not marked,
//     however few RSTs it sends. A tarpit behind 5% loss each way
//     (about 10% of its probes silent) is still marked with
//     P(Bin(31, 0.9) ≥ 27) ≈ 0.8 without retries, and almost always
//     with --retries 1.
//   - Results stream in the permutation's random order, so a host's open
//     results are held back from its first SYN-ACK until it is decided:
//     at most SuspectOpen-1 (27) results per undecided host, 24 bytes
//     each. A real host is decided as soon as 5 of its probes resolve
//     otherwise, usually after 5-10 of its probes; a tarpit after 28.
//     Every host with an open port keeps a tally (a map entry of about 16
//     bytes) for the rest of the run, so that later results need no new
//     decision. Hosts without an open port cost nothing.
//   - Results still held when the scan ends (a host that got fewer than
//     SuspectSample probes in this run: a shard, a resumed run, an
//     interrupted one) are passed on unmarked: there is not enough
//     evidence to call the host suspect.

// verdict is what the check has decided about a host.
type verdict uint8

const (
	undecided verdict = iota
	genuine           // not suspect: its open results pass at once
	suspect           // its open results are marked Suspect
)

// tally is the count of a host's resolved probes since its first
// SYN-ACK.
type tally struct {
	open, other uint8
	verdict     verdict
}

// heldOpen is an open result held back until its host is decided; the
// host's address is its key in suspects.held.
type heldOpen struct {
	pos       uint64 // the probe's permutation position, for Resume
	nanos     int64  // Result.Time
	port      uint16
	ttl       uint8
	reason    result.Reason
	reasonTTL uint8
}

// suspects applies the check to a scan's results on their way to the
// caller. check and finish run on one goroutine, as Run's out does;
// resume and counts may be called from any.
type suspects struct {
	space *target.Space
	perm  *target.Permutation
	// What the caller asked for: the scanner below reports more to the
	// check (see checkSuspects), which passes on only these.
	closed, filtered, drop bool

	hosts    map[target.Addr]tally // every host with an open port; check's goroutine only
	deciding int                   // how many of them are undecided; check's goroutine only

	mu   sync.Mutex
	held map[target.Addr][]heldOpen // the open results of undecided hosts

	marked      atomic.Uint64 // hosts found suspect
	markedPorts atomic.Uint64 // their open results, marked or dropped

	batch []result.Result // results to pass on, reused
}

// checksSuspects reports whether a scan of p under cfg runs the check:
// unless cfg turns it off, when it probes each host on SuspectSample
// ports or more on average.
func checksSuspects(cfg *Config, p Plan) bool {
	return !cfg.NoSuspectCheck && p.End-p.Start >= SuspectSample*p.Space.Hosts()
}

// checkSuspects sets up the suspect check for s, if its plan has one.
// The scanner below the check reports to it more than cfg asks for, and
// the check passes on only what cfg asks for: the raw engine reports the
// closed and filtered results of the hosts the check is deciding (see
// watcher), the connect scanner every one (see connectConfig).
func (s *Scan) checkSuspects(cfg Config) {
	if s.plan.SuspectCheck {
		s.sus = newSuspects(&cfg, s.plan)
	}
}

// watcher returns the engine.Watcher for s's raw engine: its suspect
// check, or nil without one.
func (s *Scan) watcher() engine.Watcher {
	if s.sus == nil {
		return nil
	}
	return s.sus
}

// connectConfig returns cfg for s's connect scanner, which reports every
// closed and filtered result to the suspect check, if s has one.
func (s *Scan) connectConfig(cfg Config) Config {
	if s.sus != nil {
		cfg.Closed, cfg.Filtered = true, true
	}
	return cfg
}

// newSuspects returns the check for the scan of p under cfg.
func newSuspects(cfg *Config, p Plan) *suspects {
	return &suspects{
		space: p.Space, perm: target.NewPermutation(p.Space.Len(), p.Seed),
		closed: cfg.Closed, filtered: cfg.Filtered, drop: cfg.DropSuspect,
		hosts: map[target.Addr]tally{}, held: map[target.Addr][]heldOpen{},
	}
}

// wrap returns the function the scanner reports to: it runs the check on
// each result and passes on to out what the caller asked for.
func (s *suspects) wrap(out func(result.Result)) func(result.Result) {
	return func(r result.Result) {
		s.check(r)
		for _, r := range s.batch {
			out(r)
		}
		clear(s.batch)
		s.batch = s.batch[:0]
	}
}

// check counts r towards its host's tally and queues in s.batch what is
// to be passed on: r itself, or the host's held results once r decides
// it.
func (s *suspects) check(r result.Result) {
	ip := target.FromNetip(r.IP)
	h, tracked := s.hosts[ip]
	if r.Status != result.StatusOpen {
		if tracked && h.verdict == undecided {
			if h.other++; h.other > SuspectSample-SuspectOpen {
				h.verdict = genuine
				s.deciding--
				s.release(ip, false)
			}
			s.hosts[ip] = h
		}
		if r.Status == result.StatusClosed && s.closed || r.Status == result.StatusFiltered && s.filtered {
			s.batch = append(s.batch, r)
		}
		return
	}
	switch h.verdict {
	case genuine:
		s.batch = append(s.batch, r)
		return
	case suspect:
		s.markedPorts.Add(1)
		if !s.drop {
			r.Suspect = true
			s.batch = append(s.batch, r)
		}
		return
	}
	if !tracked {
		s.deciding++
	}
	h.open++
	s.hold(ip, r)
	if h.open >= SuspectOpen {
		h.verdict = suspect
		s.deciding--
		s.marked.Add(1)
		s.release(ip, true)
	}
	s.hosts[ip] = h
}

// Watching reports whether the check is deciding any host. With Watches,
// it makes the check the raw engine's engine.Watcher: the engine reports
// to it the closed and filtered results of the hosts it is deciding,
// which are all that it counts, and builds none for the others.
func (s *suspects) Watching() bool { return s.deciding > 0 }

// Watches reports whether the check is deciding ip.
func (s *suspects) Watches(ip target.Addr) bool {
	h, ok := s.hosts[ip]
	return ok && h.verdict == undecided
}

// hold keeps the open result r of the undecided host ip.
func (s *suspects) hold(ip target.Addr, r result.Result) {
	pos := position(s.space, s.perm, r)
	var nanos int64 // 0 stands for the zero Time
	if !r.Time.IsZero() {
		nanos = r.Time.UnixNano()
	}
	s.mu.Lock()
	s.held[ip] = append(s.held[ip], heldOpen{
		pos: pos, nanos: nanos, port: r.Port,
		ttl: r.TTL, reason: r.Reason, reasonTTL: r.ReasonTTL,
	})
	s.mu.Unlock()
}

// release queues the results held for ip, now decided: marked Suspect if
// mark (left out with drop), else as they came.
func (s *suspects) release(ip target.Addr, mark bool) {
	s.mu.Lock()
	held := s.held[ip]
	delete(s.held, ip)
	s.mu.Unlock()
	if mark {
		s.markedPorts.Add(uint64(len(held)))
		if s.drop {
			return
		}
	}
	addr := ip.Netip()
	for _, o := range held {
		r := result.Result{
			IP: addr, Port: o.port, Status: result.StatusOpen, TTL: o.ttl,
			Reason: o.reason, ReasonTTL: o.reasonTTL, Suspect: mark,
		}
		if o.nanos != 0 {
			r.Time = time.Unix(0, o.nanos)
		}
		s.batch = append(s.batch, r)
	}
}

// finish passes to out, unmarked, the results still held when the scan
// ends: their hosts had too few probes in this run to be decided.
func (s *suspects) finish(out func(result.Result)) {
	s.mu.Lock()
	ips := make([]target.Addr, 0, len(s.held))
	for ip := range s.held {
		ips = append(ips, ip)
	}
	s.mu.Unlock()
	for _, ip := range ips {
		s.release(ip, false)
	}
	for _, r := range s.batch {
		out(r)
	}
	s.batch = nil
}

// resume returns the lowest permutation position of a result held back,
// or math.MaxUint64 if none is: a scan that stopped now and resumed from
// before it would probe again every result it has not passed on.
func (s *suspects) resume() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := uint64(math.MaxUint64)
	for _, held := range s.held {
		for _, o := range held {
			r = min(r, o.pos)
		}
	}
	return r
}
