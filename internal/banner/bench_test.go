package banner

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkGrabSSH measures grabs per second against a loopback fake SSH
// server with 256 grabs in flight (RunParallel runs parallelism ×
// GOMAXPROCS goroutines), with a Matcher that names the server from its
// greeting, as a sweep's banner stage would run them.
func BenchmarkGrabSSH(b *testing.B) {
	s := serve(b, "tcp", greet)
	cfg := Config{Matcher: &fakeMatcher{}, Total: 5 * time.Second}
	const inFlight = 256
	b.SetParallelism(max(1, inFlight/runtime.GOMAXPROCS(0)))
	b.ReportAllocs()
	var failed atomic.Int64
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if info := Grab(b.Context(), cfg, s.addr); info.Name != "ssh" {
				failed.Add(1)
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "grabs/s")
	if n := failed.Load(); n > 0 {
		b.Errorf("%d of %d grabs did not name ssh", n, b.N)
	}
}
