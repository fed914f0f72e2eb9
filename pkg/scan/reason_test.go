package scan

import (
	"context"
	"slices"
	"testing"

	"github.com/trawlscan/trawl/pkg/result"
)

// TestReasonsOnLoopback scans open and closed loopback ports with each
// scanner and checks the reasons, in nmap's words, and their TTLs: a
// connect() scan sees no packet, so it has none.
func TestReasonsOnLoopback(t *testing.T) {
	for _, tc := range []struct {
		m      Method
		closed result.Reason
		ttl    uint8
	}{
		{m: RawSocket, closed: result.ReasonReset, ttl: 64},
		{m: Connect, closed: result.ReasonConnRefused},
	} {
		t.Run(tc.m.String(), func(t *testing.T) {
			spec, open := listeners(t, 3)
			cfg := config(t, "127.0.0.1", spec+",21000-21099")
			cfg.Method, cfg.Closed, cfg.Filtered = tc.m, true, true
			s := newOrSkip(t, cfg)
			var got []result.Result
			if err := s.Run(context.Background(), func(r result.Result) { got = append(got, r) }); err != nil {
				t.Fatal(err)
			}
			if p := s.Progress(); len(got) != int(p.Total) || p.Filtered != 0 || p.Replies != p.Total {
				t.Fatalf("%d results, progress %+v", len(got), p)
			}
			for _, r := range got {
				want := result.Result{IP: r.IP, Port: r.Port, Status: result.StatusClosed, TTL: tc.ttl, Reason: tc.closed, ReasonTTL: tc.ttl, Time: r.Time}
				if slices.Contains(open, r.Port) {
					want.Status, want.Reason = result.StatusOpen, result.ReasonSYNACK
				}
				if r != want {
					t.Errorf("got %+v, want %+v", r, want)
				}
			}
		})
	}
}
