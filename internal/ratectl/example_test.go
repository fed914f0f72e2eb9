package ratectl_test

import (
	"fmt"
	"time"

	"github.com/trawlscan/trawl/internal/ratectl"
)

// A scan shows the controller its counters every 50 ms and paces its
// senders to the rate it returns. Here the target drops what comes above
// 50k probes a second, and answers every probe that gets through.
func Example() {
	c := ratectl.New(ratectl.Config{Max: 1e6})
	var s ratectl.Sample
	for i := 1; i <= 100; i++ {
		rate := c.Rate()
		s.At = time.Duration(i) * 50 * time.Millisecond
		s.Sent += uint64(rate / 20)
		s.Answered += uint64(min(rate, 50000) / 20)
		s.RTT = time.Microsecond
		c.Observe(s)
		if i%20 == 0 {
			fmt.Printf("%v: %.1fk/s, %s, ratio %.2f against %.2f\n", s.At, c.Rate()/1000, c.State(), c.Ratio(), c.Baseline())
		}
	}
	// Output:
	// 1s: 55.0k/s, climbing, ratio 0.98 against 1.00
	// 2s: 47.5k/s, network loss, ratio 0.84 against 1.00
	// 3s: 48.9k/s, climbing, ratio 1.00 against 1.00
	// 4s: 55.0k/s, climbing, ratio 0.98 against 1.00
	// 5s: 47.5k/s, network loss, ratio 0.84 against 1.00
}

// SIGUSR1 and SIGUSR2 scale the rate by hand; the controller goes on
// from there.
func ExampleController_Scale() {
	c := ratectl.New(ratectl.Config{})
	c.Scale(1.1)
	fmt.Printf("%.0f/s, %s\n", c.Rate(), c.State())
	// Output: 11000/s, manual
}
