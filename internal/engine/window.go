package engine

import (
	"math/bits"
	"sync"
	"sync/atomic"
	"time"
)

// The engine keeps state for a probe only while the probe can still be
// answered or retried, so that its memory follows the send rate, not the
// size of the space.
//
// The positions [Start, End) are cut into chunks of width w (a power of
// two). A chunk's state is a bitmap of its answered positions, created
// when the sweep's frontier enters it. Each chunk is swept once per try:
// pass 0 as the frontier crosses it, and pass k > 0 (a retry of what is
// still unanswered) once pass k-1 of that chunk has been sent and the retry
// delay has passed. The senders take due retries first and advance the
// frontier otherwise, so retries of early chunks run while the sweep goes
// on. A chunk is retired, and its bitmap dropped, when its last pass has
// been sent and the wait has passed since.
//
// Exactness. A position p belongs to exactly one chunk, c = (p-Start)/w,
// whose state is created once and never reused for another chunk, and the
// receiver marks p with an atomic OR that reports whether it was already
// set. So while c is live, a reply is reported the first time only and a
// retry goes only to a probe still unanswered. A reply that arrives after
// c is retired, more than the wait after the probe's last try, finds no
// state and is counted late, not reported: it can never be reported twice.
// The count of first answers equals End-Start only when every probe is
// answered, which ends the scan early as before. An ICMP unreachable is
// an answer like a RST: it is marked, so it is never retried and counts
// towards that total; a probe left silent is not.
//
// Silent probes. A retired chunk leaves the ring at once but is handed to
// the receiver (takeRetired), which counts its unanswered positions as
// silent and may report each as filtered. The receiver is the only
// goroutine that marks positions, and it sweeps a chunk only once the
// chunk is out of the ring: every answer it took for the chunk is marked
// by then, and every answer after finds no chunk and is late. So a probe
// is reported at most once, answered or silent, and the silent count is
// exact. A retired chunk's bitmap lives on until the receiver takes it,
// at most one read timeout (10 ms) or one frame later.
//
// Memory. The live chunks sit in a ring of ringSlots slots, chunk c in slot
// c mod ringSlots; the frontier waits for slot c's previous chunk, c -
// ringSlots, to retire before it enters c. So at most ringSlots bitmaps of
// w bits are live: ringSlots × w / 8 bytes. chunkWidth picks w so that the
// window a chunk must live, its sweep plus retries × delay plus the wait,
// spans about half the ring at the scan's rate: memory is about 2 × rate ×
// window bits, whatever the size of the space.

// ringSlots is the most chunks alive at once.
const ringSlots = 64

// Bounds of the chunk width, in positions: 512 bytes to 512 KiB of bitmap.
const (
	minChunk = 1 << 12
	maxChunk = 1 << 22
)

// unpacedRate is the rate assumed, to size chunks, when the scan is not
// paced: more than two senders reach on the lab's two cores.
const unpacedRate = 2e6

// chunkWidth returns the chunk width for a scan at rate probes/s (0 means
// unpaced) whose probes must be remembered for window after they are
// sent: the power of two nearest above rate × (window + 1 s) / (ringSlots/2),
// within [minChunk, maxChunk]. The extra second covers the chunk's own
// sweep. With a longer window the ring fills and the frontier waits for
// retirements, which lowers the rate instead of raising memory.
func chunkWidth(rate float64, window time.Duration) uint64 {
	if rate <= 0 {
		rate = unpacedRate
	}
	want := rate * (window + time.Second).Seconds() / (ringSlots / 2)
	if want <= minChunk {
		return minChunk
	}
	if want >= maxChunk {
		return maxChunk
	}
	return 1 << bits.Len64(uint64(want)-1)
}

// chunk is the state of one chunk's positions [lo, hi).
type chunk struct {
	index    uint64 // c
	lo, hi   uint64
	words    []uint64 // answered positions, bit p-lo; atomic
	answered atomic.Uint64
	retried  atomic.Bool // a retry of the chunk has been handed out
	retireAt time.Time   // set under the window's lock once the last pass is sent
}

// mark records an answer for position p and reports whether p had one.
func (c *chunk) mark(p uint64) (had bool) {
	i := p - c.lo
	mask := uint64(1) << (i % 64)
	return atomic.OrUint64(&c.words[i/64], mask)&mask != 0
}

// has reports whether position p has been answered.
func (c *chunk) has(p uint64) bool {
	i := p - c.lo
	return atomic.LoadUint64(&c.words[i/64])&(uint64(1)<<(i%64)) != 0
}

// full reports whether every position of c has been answered.
func (c *chunk) full() bool { return c.answered.Load() == c.hi-c.lo }

// pass is one sweep over one chunk: pass 0 by the frontier, or a retry.
type pass struct {
	ch          *chunk
	try         int
	next        uint64    // next position to hand out
	due         time.Time // retries: not before
	outstanding int       // batches handed out and not yet sent
}

// work is a batch of positions [lo, hi) of one pass, handed to a sender.
type work struct {
	p      *pass
	lo, hi uint64
}

// window hands batches of positions to the senders in order, schedules
// retries and keeps the answered state of the live chunks. Its methods are
// safe for concurrent use.
type window struct {
	start, end uint64
	width      uint64
	retries    int
	delay      time.Duration // between a chunk's passes
	wait       time.Duration // from a chunk's last pass to its retirement

	ring    [ringSlots]atomic.Pointer[chunk] // read by the receiver without the lock
	pending atomic.Bool                      // retired holds chunks

	mu       sync.Mutex
	frontier uint64       // next position of pass 0
	cur      *pass        // pass 0 of the chunk the frontier is in
	queue    []*pass      // retries, due times ascending
	spawning int          // passes not yet sent that will queue a retry
	inflight []uint64     // per sender: first position of its unsent pass-0 batch, or idle
	maxTry   atomic.Int64 // highest try handed out once the frontier is done
	retired  []*chunk     // out of the ring, not yet taken by the receiver
}

func newWindow(start, end, width uint64, retries int, delay, wait time.Duration, senders int) *window {
	w := &window{start: start, end: end, width: width, retries: retries, delay: delay, wait: wait,
		frontier: start, inflight: make([]uint64, senders)}
	for i := range w.inflight {
		w.inflight[i] = idle
	}
	return w
}

// lookup returns the live chunk that holds position p, or nil if p's chunk
// has retired (or was never entered).
func (w *window) lookup(p uint64) *chunk {
	c := (p - w.start) / w.width
	ch := w.ring[c%ringSlots].Load()
	if ch == nil || ch.index != c {
		return nil
	}
	return ch
}

// claim hands sender id a batch of up to n positions: a due retry first,
// else the frontier's next. With nothing to hand out yet it returns ok
// false and how long to wait before asking again; done reports that every
// pass has been handed out.
func (w *window) claim(id int, n uint64, now time.Time) (wk work, ok bool, wait time.Duration, done bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.retire(now)
	for len(w.queue) > 0 && !w.queue[0].due.After(now) {
		p := w.queue[0]
		if p.ch.full() {
			// Nothing left to retry: the chunk's later passes are moot.
			w.queue = w.queue[1:]
			w.spawning -= min(1, w.retries-p.try)
			w.finish(p.ch, now)
			continue
		}
		wk = work{p: p, lo: p.next, hi: min(p.next+n, p.ch.hi)}
		p.next, p.outstanding = wk.hi, p.outstanding+1
		p.ch.retried.Store(true)
		if p.next == p.ch.hi {
			w.queue = w.queue[1:]
		}
		if w.frontier == w.end {
			w.maxTry.Store(int64(max(int(w.maxTry.Load()), p.try)))
		}
		return wk, true, 0, false
	}
	if w.frontier < w.end {
		if w.cur == nil || w.frontier == w.cur.ch.hi {
			if !w.enter() {
				return work{}, false, w.nextWake(now, time.Millisecond), false
			}
		}
		p := w.cur
		wk = work{p: p, lo: w.frontier, hi: min(w.frontier+n, p.ch.hi)}
		w.frontier, p.next, p.outstanding = wk.hi, wk.hi, p.outstanding+1
		w.inflight[id] = wk.lo
		return wk, true, 0, false
	}
	if len(w.queue) == 0 && w.spawning == 0 {
		return work{}, false, 0, true
	}
	return work{}, false, w.nextWake(now, time.Millisecond), false
}

// enter starts the chunk at the frontier, if its ring slot is free.
func (w *window) enter() bool {
	c := (w.frontier - w.start) / w.width
	slot := &w.ring[c%ringSlots]
	if old := slot.Load(); old != nil {
		return false // not retired yet
	}
	lo := w.start + c*w.width
	hi := min(lo+w.width, w.end)
	ch := &chunk{index: c, lo: lo, hi: hi, words: make([]uint64, (hi-lo+63)/64)}
	slot.Store(ch)
	w.cur = &pass{ch: ch, next: lo}
	if w.retries > 0 {
		w.spawning++
	}
	return true
}

// sent records that sender id has sent batch wk (or given up on it).
func (w *window) sent(id int, wk work, now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if wk.p.try == 0 {
		w.inflight[id] = idle
	}
	p := wk.p
	p.outstanding--
	if p.outstanding > 0 || p.next < p.ch.hi {
		return
	}
	// The pass is sent in full: queue the next, or start the wait.
	if p.try < w.retries {
		w.spawning--
		if !p.ch.full() {
			next := &pass{ch: p.ch, try: p.try + 1, next: p.ch.lo, due: now.Add(w.delay)}
			w.queue = append(w.queue, next)
			if next.try < w.retries {
				w.spawning++
			}
			return
		}
	}
	w.finish(p.ch, now)
}

// finish starts ch's wait before retirement.
func (w *window) finish(ch *chunk, now time.Time) {
	ch.retireAt = now.Add(w.wait)
}

// retire drops the chunks whose wait is over from the ring and queues
// them for the receiver. The caller holds the lock.
func (w *window) retire(now time.Time) {
	for i := range w.ring {
		if ch := w.ring[i].Load(); ch != nil && !ch.retireAt.IsZero() && !ch.retireAt.After(now) {
			w.drop(i, ch)
		}
	}
}

// drop takes ch out of ring slot i and queues it for the receiver. The
// caller holds the lock.
func (w *window) drop(i int, ch *chunk) {
	w.ring[i].Store(nil)
	w.retired = append(w.retired, ch)
	w.pending.Store(true)
}

// retireDue retires the chunks whose wait is over, as a claim does.
func (w *window) retireDue(now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.retire(now)
}

// retireAll retires every live chunk, wait over or not: once a scan has
// finished, every probe has had every try and the wait.
func (w *window) retireAll() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := range w.ring {
		if ch := w.ring[i].Load(); ch != nil {
			w.drop(i, ch)
		}
	}
}

// takeRetired appends the retired chunks to buf, forgets them and returns
// buf.
func (w *window) takeRetired(buf []*chunk) []*chunk {
	w.mu.Lock()
	defer w.mu.Unlock()
	buf = append(buf, w.retired...)
	clear(w.retired)
	w.retired = w.retired[:0]
	w.pending.Store(false)
	return buf
}

// nextWake is how long a sender with nothing to send should wait: until the
// first retry is due or a chunk retires, or at most poll.
func (w *window) nextWake(now time.Time, poll time.Duration) time.Duration {
	d := poll
	if len(w.queue) > 0 {
		d = min(d, w.queue[0].due.Sub(now))
	}
	return max(d, 50*time.Microsecond)
}

// resume returns the first position not yet sent by pass 0: every position
// below it has been sent at least once.
func (w *window) resume() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	r := w.frontier
	for _, p := range w.inflight {
		r = min(r, p)
	}
	return r
}

// position returns the frontier: how far pass 0 has handed out.
func (w *window) position() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.frontier
}

// live returns how many chunks hold state now.
func (w *window) live() int {
	n := 0
	for i := range w.ring {
		if w.ring[i].Load() != nil {
			n++
		}
	}
	return n
}
