//go:build unix

package cli

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/trawlscan/trawl/pkg/scan"
)

// rateSignals makes SIGUSR1 raise sc's rate by 10% and SIGUSR2 lower it
// by 10%, as ZMap does, saying so on w, until the returned function is
// called.
func rateSignals(sc *scan.Scan, w io.Writer) (stop func()) {
	ch := make(chan os.Signal, 4)
	signal.Notify(ch, syscall.SIGUSR1, syscall.SIGUSR2)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			case sig := <-ch:
				f := 1.1
				if sig == syscall.SIGUSR2 {
					f = 0.9
				}
				sc.ScaleRate(f)
				if p := sc.Progress(); p.Rate > 0 {
					fmt.Fprintf(w, "\rtrawl: %v: rate now %.0f probes/s\n", sig, p.Rate)
				} else {
					fmt.Fprintf(w, "\rtrawl: %v: the scan is unpaced or connect(); rate unchanged\n", sig)
				}
			}
		}
	})
	return func() {
		signal.Stop(ch)
		close(done)
		wg.Wait()
	}
}
