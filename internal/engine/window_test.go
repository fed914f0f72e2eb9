package engine

import (
	"testing"
	"time"
)

func TestChunkWidth(t *testing.T) {
	tests := []struct {
		rate   float64
		window time.Duration
		want   uint64
	}{
		{0, 3 * time.Second, 1 << 18},              // unpaced: 2M/s × 4 s / 32 = 250k
		{500000, 4 * time.Second, 1 << 17},         // 500k × 5 s / 32 = 78k
		{100, time.Second, minChunk},               // a slow scan still gets a whole chunk
		{2e6, time.Hour, maxChunk},                 // a long wait is capped
		{32 * 4096, 0, 4096},                       // exactly a power of two
		{32*4096 + 32, 0, 8192},                    // just above it
		{1e9, 10 * time.Millisecond, maxChunk},     // beyond any NIC
		{10000, 2*time.Second + time.Second, 4096}, // the default rate
	}
	for _, tt := range tests {
		if got := chunkWidth(tt.rate, tt.window); got != tt.want {
			t.Errorf("chunkWidth(%v, %v) = %d, want %d", tt.rate, tt.window, got, tt.want)
		}
	}
}

// TestWindowBoundsState sweeps 2^24 positions with two retries into
// silence at a simulated 500k probes/s, and checks the memory bound and
// the schedule: never more than ringSlots chunks live, each try of each
// position handed out once, a chunk's retry not before the delay after its
// previous pass, and retries running while the sweep goes on.
func TestWindowBoundsState(t *testing.T) {
	const (
		n       = 1 << 24
		rate    = 500000
		batch   = 64
		retries = 2
	)
	wait, delay := 2*time.Second, time.Second
	width := chunkWidth(rate, retries*delay+wait)
	w := newWindow(0, n, width, retries, delay, wait, 1)
	now := time.Unix(0, 0)
	tries := make([]uint8, n)
	lastPass := map[uint64]time.Time{} // per chunk: when its last pass began
	retryBeforeEnd, maxLive := false, 0
	for {
		wk, ok, sleep, done := w.claim(0, batch, now)
		if done {
			break
		}
		if !ok {
			now = now.Add(sleep)
			continue
		}
		c := wk.p.ch.index
		if wk.lo == wk.p.ch.lo && wk.p.try > 0 {
			if since := now.Sub(lastPass[c]); since < delay {
				t.Fatalf("chunk %d try %d began %v after the previous one", c, wk.p.try, since)
			}
			lastPass[c] = now
			retryBeforeEnd = retryBeforeEnd || w.frontier < n
		} else if wk.lo == wk.p.ch.lo {
			lastPass[c] = now
		}
		for p := wk.lo; p < wk.hi; p++ {
			tries[p]++
		}
		now = now.Add(time.Duration(wk.hi-wk.lo) * time.Second / rate)
		w.sent(0, wk, now)
		maxLive = max(maxLive, w.live())
	}
	for p, k := range tries {
		if k != retries+1 {
			t.Fatalf("position %d handed out %d times, want %d", p, k, retries+1)
		}
	}
	if !retryBeforeEnd {
		t.Error("no retry ran before the sweep's end")
	}
	if maxLive > ringSlots {
		t.Errorf("%d chunks live at once, more than %d", maxLive, ringSlots)
	}
	// 3 × 2^24 probes at 500k/s take 100 s; the schedule adds only the
	// tail's retry delays.
	if d := now.Sub(time.Unix(0, 0)); d > 3*n*time.Second/rate+2*delay+time.Second {
		t.Errorf("the sweep took %v of simulated time", d)
	}
	t.Logf("width %d, at most %d chunks live: %d KiB of state for %d probes", width, maxLive, uint64(maxLive)*width/8/1024, 3*n)
}
