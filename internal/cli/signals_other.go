//go:build !unix

package cli

import (
	"io"

	"github.com/trawlscan/trawl/pkg/scan"
)

// rateSignals does nothing on systems without SIGUSR1 and SIGUSR2.
func rateSignals(*scan.Scan, io.Writer) (stop func()) { return func() {} }
