package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trawlscan/trawl/internal/lab"
)

// TestRateAuto gives the lab a bottleneck: the target drops SYNs above
// limit per second, as an overloaded router or a rate-limiting firewall
// does, with a policer's burst of 10 ms worth. trawl --rate auto
// --retries 3 must find it: every planted port found, and, after its
// first 5 s, no more than a second sending above 1.3 × the limit, by the
// rate history its --metadata-file records.
func TestRateAuto(t *testing.T) {
	const limit = 20000
	block := netip.MustParsePrefix("198.18.8.0/21")
	truth := lab.Truth(block, 1, 128, 300, 81)
	l := lab.Start(t, lab.Config{Open: truth})
	l.Firewall(t, fmt.Sprintf("tcp flags & (syn | ack) == syn limit rate over %d/second burst %d packets drop", limit, limit/100))
	meta := filepath.Join(t.TempDir(), "meta.json")
	out := trawl(t, l, "-p", "1-128", block.String(), "--rate", "auto", "--retries", "3", "--metadata-file", meta)
	if out.code != 0 {
		t.Fatalf("exit %d: %s", out.code, out.stderr)
	}
	r, extra := recall(out.ndjson, truth)
	if r < 0.999 || len(extra) > 0 {
		t.Errorf("recall %.4f, %d extra", r, len(extra))
	}
	var doc struct {
		RateAuto    bool `json:"rate_auto"`
		RateHistory []struct {
			T     float64 `json:"t"`
			Rate  float64 `json:"rate"`
			Sent  float64 `json:"sent"`
			Ratio float64 `json:"answer_ratio"`
		} `json:"rate_history"`
	}
	b, err := os.ReadFile(meta)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("metadata: %v", err)
	}
	if !doc.RateAuto || len(doc.RateHistory) < 5 {
		t.Fatalf("metadata: rate_auto %v, %d seconds of rate history", doc.RateAuto, len(doc.RateHistory))
	}
	over := 0
	var series []string
	for _, p := range doc.RateHistory {
		series = append(series, fmt.Sprintf("%.0fs %.1fk/%.1fk %.2f", p.T, p.Sent/1000, p.Rate/1000, p.Ratio))
		if p.T > 5 && p.Sent > 1.3*limit {
			over++
		}
	}
	t.Logf("recall %.4f in %v: %s\nsent/set, ratio: %s", r, out.elapsed.Round(time.Millisecond), lastLine(out.stderr), strings.Join(series, ", "))
	if over > 1 {
		t.Errorf("sent above 1.3 × %d/s for %d seconds after the first 5", limit, over)
	}
}

// TestRateSignals sends a paced scan SIGUSR1 twice and SIGUSR2 once: its
// rate goes up 10% twice and down 10%, as each notice on stderr and the
// --status-json lines' target_rate say.
func TestRateSignals(t *testing.T) {
	l := lab.Start(t, lab.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := l.Command(ctx, binary(t), "-p", "1-1024", "198.18.9.0/24", "--rate", "1000", "--status-json",
		"--resume-file", filepath.Join(t.TempDir(), "paused.conf"))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	next := func() string {
		t.Helper()
		select {
		case s, ok := <-lines:
			if !ok {
				t.Fatal("trawl ended early")
			}
			return s
		case <-ctx.Done():
			t.Fatal("no line from trawl")
		}
		return ""
	}
	targetRate := func() float64 {
		t.Helper()
		for {
			var st struct {
				TargetRate *float64 `json:"target_rate"`
			}
			if s := next(); json.Unmarshal([]byte(s), &st) == nil && st.TargetRate != nil {
				return *st.TargetRate
			}
		}
	}
	if r := targetRate(); r != 1000 {
		t.Errorf("target_rate %v at the start, want 1000", r)
	}
	for _, c := range []struct {
		sig  syscall.Signal
		want string
		rate float64
	}{
		{syscall.SIGUSR1, "rate now 1100 probes/s", 1100},
		{syscall.SIGUSR1, "rate now 1210 probes/s", 1210},
		{syscall.SIGUSR2, "rate now 1089 probes/s", 1089},
	} {
		if err := cmd.Process.Signal(c.sig); err != nil {
			t.Fatal(err)
		}
		for s := next(); !strings.Contains(s, c.want); s = next() {
		}
		if r := targetRate(); r < c.rate-1 || r > c.rate+1 {
			t.Errorf("after %v: target_rate %v, want %v", c.sig, r, c.rate)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	for range lines {
	}
	_ = cmd.Wait()
}
