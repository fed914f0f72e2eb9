package engine

import (
	"context"
	"errors"
	"math/bits"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"golang.org/x/sync/errgroup"

	"github.com/trawlscan/trawl/internal/netio"
	"github.com/trawlscan/trawl/internal/pace"
	"github.com/trawlscan/trawl/internal/packet"
	"github.com/trawlscan/trawl/pkg/result"
	"github.com/trawlscan/trawl/pkg/syncookie"
	"github.com/trawlscan/trawl/pkg/target"
)

// A Watcher asks for the closed and filtered results of some hosts only:
// pkg/scan's suspect check, which counts them for the hosts it is
// deciding and for no other. Asking it first spares the engine building a
// result, with the time, for every RST and every silent probe of a sweep.
// Its methods run on the goroutine that calls out, between its calls.
type Watcher interface {
	// Watching reports whether any host is watched. It is asked before
	// each reply and each silent probe is reported or passed over.
	Watching() bool
	// Watches reports whether ip is.
	Watches(ip target.Addr) bool
}

// Config describes one scan. The zero value of every optional field means
// its default.
type Config struct {
	// Space is the set of probes. Required.
	Space *target.Space
	// Perm orders Space. Required; Perm.Len() must equal Space.Len().
	Perm *target.Permutation
	// Start and End bound the permutation positions this run probes,
	// [Start, End), with Start <= End <= Perm.Len(); New trusts its caller
	// (pkg/scan) to have checked. End zero means Perm.Len().
	Start, End uint64
	// Source and SourcePort are the scanner's address and port in every
	// probe. SourcePort is required, and so is Source unless Sources is
	// given.
	Source     netip.Addr
	SourcePort uint16
	// Sources, if not empty, gives each probe the source address of the
	// route to its target, for targets routed through several interfaces
	// or from several addresses: in steps sorted by First, each source of
	// its First's family, with at most netio.MaxSources distinct
	// addresses; a target before every step of its family goes from the
	// family's first source. It overrides Source. Replies are valid to any
	// of the addresses, each checked against the cookie computed with it.
	Sources []SourceFrom
	// Key is the cookie key; it must be the same for senders and receiver.
	Key syncookie.Key
	// Rate is the total send rate in probes per second; 0 means as fast as
	// the senders go.
	Rate float64
	// RateAuto finds the rate from the share of probes answered (see
	// internal/ratectl), starting low; Rate, if not 0, is then the most
	// it sets.
	RateAuto bool
	// Burst is how many probes may go at once, at the start or after a
	// stall, before pacing holds to Rate; 0 means 10 ms worth, enough to
	// make good a timer that wakes late without bending the rate over a
	// second.
	Burst int
	// Retries is how many more times each unanswered probe is sent.
	Retries int
	// Wait is how long to wait for replies after the last probe; 0 means 2s.
	Wait time.Duration
	// Grace is how long to keep reading replies after ctx is cancelled;
	// 0 means the lesser of Wait and 500 ms.
	Grace time.Duration
	// Closed reports closed ports as well as open ones.
	Closed bool
	// Filtered reports filtered ports as well as open ones: those answered
	// by an ICMP unreachable, and those still unanswered Wait after their
	// last try, with result.ReasonNoResponse, one result per probe.
	Filtered bool
	// Watch, if set, asks for the closed and filtered results that Closed
	// and Filtered leave out, for the hosts it watches.
	Watch Watcher
	// LockThreads locks each sender to an OS thread and, while Run runs,
	// sets the process-wide GOMAXPROCS to one P per sender plus one for
	// the receiver (see Run). False leaves the runtime as it is.
	LockThreads bool
}

// Stats are the scan's counters. Read them with Engine.Stats while it runs.
type Stats struct {
	// Total is the number of probes in one pass.
	Total uint64
	// Position is how many probes of the current pass have been handed to
	// the senders; Pass is the current pass (0 is the first try).
	Position uint64
	Pass     int
	// Sent counts the probes sent, retries included.
	Sent uint64
	// SendFailed counts probes the kernel refused to send.
	SendFailed uint64
	// Replies counts valid TCP replies (first answers only); Open and
	// Closed split them.
	Replies, Open, Closed uint64
	// Unreachable counts probes first answered by a valid ICMP destination
	// unreachable (codes 0-3, 9, 10, 13), which makes the port filtered.
	// They are not retried, and count as answered for early completion.
	Unreachable uint64
	// Silent counts probes still unanswered when their state was dropped,
	// Wait after their last try, and, when a scan ends without being
	// cancelled, those left: filtered, with no response. Replies +
	// Unreachable + Silent is Total once such a scan is done.
	Silent uint64
	// Duplicates counts valid replies to probes already answered.
	Duplicates uint64
	// Late counts valid replies that came after their probe's state was
	// dropped, more than Wait after its last try; they are not reported.
	Late uint64
	// Invalid counts captured replies with a wrong cookie or to a probe
	// this scan never sent, and ICMP unreachables with a code that says
	// nothing about the port, such as fragmentation needed.
	Invalid uint64
	// Dropped counts frames the capture lost.
	Dropped uint64
	// Rate is the send rate set now, in probes per second, 0 if unpaced;
	// Ratio the share of probes answered that the rate controller judged
	// last, 0 without Config.RateAuto.
	Rate, Ratio float64
}

// Engine runs one scan over given senders and capture.
type Engine struct {
	cfg     Config
	senders []*netio.Sender
	capture netio.Capture
	src     target.Addr // srcs.addrs[0]
	srcs    sources
	total   uint64
	win     *window
	rc      *rateControl
	allDone chan struct{}

	sent        atomic.Uint64
	firstSent   atomic.Uint64 // with RateAuto, probes sent for the first time
	firstAns    atomic.Uint64 // with RateAuto, first answers that came before their chunk's first retry
	sendFailed  atomic.Uint64
	answered    atomic.Uint64 // first answers of any kind, for completion
	replies     atomic.Uint64
	open        atomic.Uint64
	closed      atomic.Uint64
	unreachable atomic.Uint64
	silent      atomic.Uint64
	dups        atomic.Uint64
	late        atomic.Uint64
	invalid     atomic.Uint64
	dropped     atomic.Uint64
	stop        atomic.Bool
	// finished tells the receiver, before stop, that the scan ended
	// without a cancellation or failure: every probe has had every try
	// and the wait, so the probes of every live chunk still unanswered
	// are silent.
	finished atomic.Bool
}

// New checks cfg and returns an Engine that sends through senders (one
// goroutine each, sharing the rate) and reads replies from capture.
func New(cfg Config, senders []*netio.Sender, capture netio.Capture) (*Engine, error) {
	if cfg.Space == nil || cfg.Perm == nil || cfg.Perm.Len() != cfg.Space.Len() {
		return nil, errors.New("engine: space and permutation must be given and agree")
	}
	if cfg.End == 0 {
		cfg.End = cfg.Perm.Len()
	}
	if len(senders) == 0 || capture == nil {
		return nil, errors.New("engine: needs at least one sender and a capture")
	}
	if cfg.Wait == 0 {
		cfg.Wait = 2 * time.Second
	}
	if cfg.Grace == 0 {
		cfg.Grace = min(cfg.Wait, 500*time.Millisecond)
	}
	srcs, err := newSources(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.Space.Has4() && srcs.def4 < 0 || cfg.Space.Has6() && srcs.def6 < 0 {
		return nil, errors.New("engine: every address family of the space needs a source address")
	}
	total := cfg.End - cfg.Start
	// A probe's state must outlive its last try by Wait, and its tries
	// are a retry delay apart.
	delay := retryDelay(cfg.Wait)
	width := chunkWidth(cfg.Rate, time.Duration(cfg.Retries)*delay+cfg.Wait)
	e := &Engine{
		cfg: cfg, senders: senders, capture: capture, src: srcs.addrs[0], srcs: srcs, total: total,
		win:     newWindow(cfg.Start, cfg.End, width, cfg.Retries, delay, cfg.Wait, len(senders)),
		rc:      newRateControl(cfg, len(senders), senders[0].Batch()),
		allDone: make(chan struct{}),
	}
	if total == 0 {
		close(e.allDone)
	}
	return e, nil
}

// Stats returns a snapshot of the counters. It is safe to call at any time.
func (e *Engine) Stats() Stats {
	pos := e.win.position()
	pass := 0
	if pos == e.cfg.End {
		pass = int(e.win.maxTry.Load())
	}
	rate, ratio := e.rc.current()
	return Stats{
		Rate: rate, Ratio: ratio,
		Total:       e.total,
		Position:    pos - e.cfg.Start,
		Pass:        pass,
		Sent:        e.sent.Load(),
		SendFailed:  e.sendFailed.Load(),
		Replies:     e.replies.Load(),
		Open:        e.open.Load(),
		Closed:      e.closed.Load(),
		Unreachable: e.unreachable.Load(),
		Silent:      e.silent.Load(),
		Duplicates:  e.dups.Load(),
		Late:        e.late.Load(),
		Invalid:     e.invalid.Load(),
		Dropped:     e.dropped.Load(),
	}
}

// idle marks a sender with no batch claimed but unsent.
const idle = ^uint64(0)

// Resume returns the first permutation position that a later run must
// start from to cover every probe this run has not yet sent once: every
// position below it has been sent. Once the first pass is done it is End;
// retries are not resumed.
func (e *Engine) Resume() uint64 { return e.win.resume() }

// retryDelay is the pause between two tries of a probe, so that slow
// answers are not mistaken for loss: the wait, up to a second.
func retryDelay(wait time.Duration) time.Duration { return min(wait, time.Second) }

// Run scans. It calls out, from one goroutine, for every open port (and
// every closed one if Config.Closed, every filtered one if
// Config.Filtered) as its reply arrives, or, for a probe that stays
// silent, once its state is dropped. It returns when every probe is
// answered, when Wait has passed after the last probe, or, after ctx is
// cancelled, when Grace has passed; then the error is ctx.Err(). A send
// or capture failure ends the scan with that error. Run may be called
// once.
//
// With Config.LockThreads, Run gives each sender an OS thread of its own,
// locked, and holds GOMAXPROCS at one P per sender plus one for the
// receiver while it runs. The scan's work is in the kernel: a sender
// spends most of its time in sendmmsg, which also runs the target's and
// our own receive path in softirq. With a thread and a P each, a sender
// comes back from the call to the P it left, and the runtime neither
// hands Ps around nor moves the senders between threads. In the lab on 2
// cores, two senders reached 438-485k probes/s with three Ps, against
// 376-406k with two.
func (e *Engine) Run(ctx context.Context, out func(result.Result)) error {
	if e.cfg.LockThreads {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(len(e.senders) + 1))
	}

	// A receiver failure cancels the senders, with itself as the cause.
	sendCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var rx sync.WaitGroup
	rx.Add(1)
	go func() {
		defer rx.Done()
		if err := e.receive(out); err != nil {
			cancel(err)
		}
	}()
	defer rx.Wait()
	defer e.stop.Store(true)
	ctlCtx, stopCtl := context.WithCancel(context.Background())
	var ctl sync.WaitGroup
	ctl.Go(func() { e.controlLoop(ctlCtx) })
	defer ctl.Wait()
	defer stopCtl()

	err := e.sendAll(sendCtx)
	if err == nil {
		e.waitQuiet(sendCtx, e.cfg.Wait)
	}
	if ctx.Err() != nil {
		e.waitQuiet(context.Background(), e.cfg.Grace)
		return ctx.Err()
	}
	if cause := context.Cause(sendCtx); cause != nil {
		return cause
	}
	e.finished.Store(err == nil)
	return err
}

// waitQuiet waits d, or until every probe is answered (then it returns
// true), or ctx is done.
func (e *Engine) waitQuiet(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-e.allDone:
		return true
	case <-t.C:
	case <-ctx.Done():
	}
	return false
}

func (e *Engine) isAllDone() bool {
	select {
	case <-e.allDone:
		return true
	default:
		return false
	}
}

// sendAll runs every sender until each pass of each chunk is sent or
// every probe is answered. The senders share the rate.
func (e *Engine) sendAll(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	for i, s := range e.senders {
		g.Go(func() error {
			return e.send(ctx, i, s, e.rc.limiters[i])
		})
	}
	return g.Wait()
}

// ScaleRate multiplies the send rate by f, as SIGUSR1 (1.1) and SIGUSR2
// (0.9) ask: with Config.RateAuto the controller goes on from there; an
// unpaced scan stays unpaced. It is safe to call at any time.
func (e *Engine) ScaleRate(f float64) { e.rc.scale(f) }

// RateHistory returns the rate set and achieved, once a second so far.
func (e *Engine) RateHistory() []RatePoint { return e.rc.rateHistory() }

// send asks the window for batches and sends their probes until there is
// nothing left to send. From the second try on it skips answered probes.
func (e *Engine) send(ctx context.Context, id int, s *netio.Sender, p *pace.Limiter) error {
	if e.cfg.LockThreads {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
	}
	maxBatch := uint64(s.Batch())
	buf := make([]byte, int(maxBatch)*packet.SYN6Len)
	// A batch goes IPv4 probes first, then IPv6 ones: a raw socket sends
	// one family a call.
	pkts, pkts6 := make([][]byte, 0, maxBatch), make([][]byte, 0, maxBatch)
	idx := make([]uint64, maxBatch) // the batch's indexes in the space
	space, perm, key, sport := e.cfg.Space, e.cfg.Perm, e.cfg.Key, e.cfg.SourcePort
	// With one source a family, every probe of that family has it; with
	// several, each takes its target's, looked up by a branch that one
	// source never takes.
	steps := e.srcs.firsts != nil
	var src4 uint32
	var tpl4 *packet.Template
	if k := e.srcs.def4; k >= 0 {
		src4, tpl4 = e.srcs.addrs[k].V4(), e.srcs.tpls[k]
	}
	var src6 target.Addr
	var tpl6 *packet.Template6
	if k := e.srcs.def6; k >= 0 {
		src6, tpl6 = e.srcs.addrs[k], e.srcs.tpl6s[k]
	}
	idleTimer := time.NewTimer(time.Hour)
	idleTimer.Stop()
	for !e.isAllDone() {
		batch := maxBatch
		if per := p.Per(); per > 0 {
			// Small batches at low rates, so pacing stays smooth: about
			// one batch per millisecond. The rate may change as the
			// scan goes.
			batch = min(batch, max(1, uint64(time.Millisecond/per)))
		}
		wk, ok, wait, done := e.win.claim(id, batch, time.Now())
		if done {
			return nil
		}
		if !ok {
			idleTimer.Reset(wait)
			select {
			case <-idleTimer.C:
			case <-e.allDone:
				idleTimer.Stop()
			case <-ctx.Done():
				idleTimer.Stop()
				return ctx.Err()
			}
			continue
		}
		pkts, pkts6 = pkts[:0], pkts6[:0]
		perm.Fill(idx[:wk.hi-wk.lo], wk.lo)
		for pos := wk.lo; pos < wk.hi; pos++ {
			if wk.p.try > 0 && wk.p.ch.has(pos) {
				continue
			}
			ip, port := space.Index(idx[pos-wk.lo])
			off := (len(pkts) + len(pkts6)) * packet.SYN6Len
			if ip.Is4() {
				if steps {
					k := e.srcs.of(ip)
					src4, tpl4 = e.srcs.addrs[k].V4(), e.srcs.tpls[k]
				}
				dst := ip.V4()
				seq := syncookie.Compute(key, src4, dst, sport, port)
				pkts = append(pkts, tpl4.Put(buf[off:off+packet.SYNLen], dst, port, seq))
				continue
			}
			if steps {
				k := e.srcs.of(ip)
				src6, tpl6 = e.srcs.addrs[k], e.srcs.tpl6s[k]
			}
			seq := syncookie.Compute6(key, src6, ip, sport, port)
			pkts6 = append(pkts6, tpl6.Put(buf[off:off+packet.SYN6Len], ip, port, seq))
		}
		pkts = append(pkts, pkts6...)
		// A batch not sent for a failure or cancellation stays claimed,
		// so that Resume stays below it.
		if len(pkts) > 0 {
			if err := p.Wait(ctx, len(pkts)); err != nil {
				return err
			}
			n, err := s.Send(pkts)
			e.sent.Add(uint64(n))
			if e.cfg.RateAuto && wk.p.try == 0 {
				e.firstSent.Add(uint64(n))
			}
			if err != nil {
				return err
			}
			e.sendFailed.Add(uint64(len(pkts) - n))
		}
		e.win.sent(id, wk, time.Now())
	}
	return nil
}

// receive reads and handles replies until stopped or the capture fails,
// and sweeps the chunks the window retires. When stopped it sweeps those
// whose wait is over, or, if the scan finished, every chunk left.
func (e *Engine) receive(out func(result.Result)) error {
	dec := packet.NewDecoder(linkLayer(e.capture.Link()))
	lastStats := time.Now()
	var retired []*chunk
	defer func() {
		if e.finished.Load() {
			e.win.retireAll()
		} else {
			e.win.retireDue(time.Now())
		}
		e.sweep(retired, out)
	}()
	for n := 0; !e.stop.Load(); n++ {
		if e.win.pending.Load() {
			retired = e.sweep(retired, out)
		}
		// Look at the clock only on an idle read or every 4096 frames,
		// not once a reply, to refresh the capture's drop counter.
		frame, err := e.capture.ReadPacket()
		if (n%4096 == 0 || err != nil) && time.Since(lastStats) > 500*time.Millisecond {
			e.pollStats()
			lastStats = time.Now()
		}
		if errors.Is(err, netio.ErrTimeout) {
			continue
		}
		if err != nil {
			return err
		}
		if r, ok := dec.Decode(frame); ok {
			e.handle(r, out)
		}
	}
	e.pollStats()
	return nil
}

func (e *Engine) pollStats() {
	if st, err := e.capture.Stats(); err == nil {
		e.dropped.Store(st.Dropped)
	}
}

// watching reports whether Config.Watch watches any host.
func (e *Engine) watching() bool {
	return e.cfg.Watch != nil && e.cfg.Watch.Watching()
}

// watches reports whether Config.Watch asks for ip's results.
func (e *Engine) watches(ip target.Addr) bool {
	return e.watching() && e.cfg.Watch.Watches(ip)
}

// sweep takes the chunks the window has retired, reusing buf, counts their
// unanswered probes as silent and, with Config.Filtered or for the hosts
// Config.Watch watches, reports each as filtered with no response. It runs
// on the receiver's goroutine, the one that marks answers: a chunk is out
// of the ring before it is swept, so every answer to it is marked by then,
// and any later one finds no chunk and is late. No probe is reported
// twice.
func (e *Engine) sweep(buf []*chunk, out func(result.Result)) []*chunk {
	buf = e.win.takeRetired(buf[:0])
	now := time.Now()
	for _, ch := range buf {
		var silent uint64
		for i, w := range ch.words {
			lo := ch.lo + uint64(i)*64
			unanswered := ^w
			if n := ch.hi - lo; n < 64 {
				unanswered &= 1<<n - 1
			}
			silent += uint64(bits.OnesCount64(unanswered))
			for ; unanswered != 0 && (e.cfg.Filtered || e.watching()); unanswered &= unanswered - 1 {
				pos := lo + uint64(bits.TrailingZeros64(unanswered))
				ip, port := e.cfg.Space.Index(e.cfg.Perm.At(pos))
				if e.cfg.Filtered || e.cfg.Watch.Watches(ip) {
					out(result.Result{IP: ip.Netip(), Port: port, Status: result.StatusFiltered, Reason: result.ReasonNoResponse, Time: now})
				}
			}
		}
		e.silent.Add(silent)
	}
	clear(buf)
	return buf
}

// handle validates one reply and reports it. A SYN-ACK must acknowledge
// the cookie + 1; a RST may carry the cookie + 1 (RFC 9293) or the cookie
// itself, as some stacks and firewalls send it; an ICMP unreachable must
// quote the cookie as its probe's sequence number, and is checked against
// the quoted addresses and ports, which the decoder puts in Src and Dst.
// With several source addresses, a reply may be to any of them, and its
// cookie is computed with the one it is to. A reply to an address of the
// other family than its target's answers no probe we sent: the cookie of
// the target's family would take the wrong source's bits (an IPv4 cookie
// an IPv6 source's low 32), so it is invalid before any cookie is checked.
func (e *Engine) handle(r packet.Reply, out func(result.Result)) {
	if r.DstPort != e.cfg.SourcePort || r.SrcIP.Is4() != r.DstIP.Is4() || (r.DstIP != e.src && !e.srcs.has(r.DstIP)) {
		e.invalid.Add(1)
		return
	}
	var cookie uint32
	if r.SrcIP.Is4() {
		cookie = syncookie.Compute(e.cfg.Key, r.DstIP.V4(), r.SrcIP.V4(), e.cfg.SourcePort, r.SrcPort)
	} else {
		cookie = syncookie.Compute6(e.cfg.Key, r.DstIP, r.SrcIP, e.cfg.SourcePort, r.SrcPort)
	}
	res := result.Result{IP: r.SrcIP.Netip(), Port: r.SrcPort}
	var valid, report bool
	switch r.Kind {
	case packet.KindSYNACK:
		valid = r.Ack == cookie+1
		res.Status, res.Reason, res.TTL, res.ReasonTTL = result.StatusOpen, result.ReasonSYNACK, r.TTL, r.TTL
		report = true
	case packet.KindRST:
		valid = r.Ack == cookie+1 || r.Ack == cookie
		res.Status, res.Reason, res.TTL, res.ReasonTTL = result.StatusClosed, result.ReasonReset, r.TTL, r.TTL
		report = e.cfg.Closed || e.watches(r.SrcIP)
	case packet.KindUnreach:
		if r.SrcIP.Is4() {
			res.Reason, valid = result.UnreachReason(r.Code)
		} else {
			res.Reason, valid = result.Unreach6Reason(r.Code)
		}
		valid = valid && r.Seq == cookie
		res.Status, res.ReasonTTL = result.StatusFiltered, r.TTL
		report = e.cfg.Filtered || e.watches(r.SrcIP)
	}
	if !valid {
		e.invalid.Add(1)
		return
	}
	idx, ok := e.cfg.Space.Lookup(r.SrcIP, r.SrcPort)
	if !ok {
		e.invalid.Add(1)
		return
	}
	pos := e.cfg.Perm.Pos(idx)
	if pos < e.cfg.Start || pos >= e.cfg.End {
		e.invalid.Add(1)
		return
	}
	ch := e.win.lookup(pos)
	if ch == nil {
		e.late.Add(1)
		return
	}
	if ch.mark(pos) {
		e.dups.Add(1)
		return
	}
	ch.answered.Add(1)
	if e.cfg.RateAuto && !ch.retried.Load() {
		e.firstAns.Add(1)
	}
	n := e.answered.Add(1)
	if n == e.total {
		close(e.allDone)
	}
	e.rc.answered(n, pos)
	switch res.Status {
	case result.StatusOpen:
		e.replies.Add(1)
		e.open.Add(1)
	case result.StatusClosed:
		e.replies.Add(1)
		e.closed.Add(1)
	default:
		e.unreachable.Add(1)
	}
	if report {
		res.Time = time.Now()
		out(res)
	}
}

func linkLayer(l netio.LinkType) gopacket.LayerType {
	switch l {
	case netio.LinkRaw:
		return layers.LayerTypeIPv4
	case netio.LinkLinuxSLL:
		return layers.LayerTypeLinuxSLL
	default:
		return layers.LayerTypeEthernet
	}
}
