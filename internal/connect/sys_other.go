//go:build !unix

package connect

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/trawlscan/trawl/pkg/result"
)

// RaiseFileLimit raises the soft RLIMIT_NOFILE to the hard limit and
// returns the new soft limit. There is no such limit on this system: it
// returns an error wrapping errors.ErrUnsupported.
func RaiseFileLimit() (uint64, error) {
	return 0, fmt.Errorf("raise open-file limit: %w on %s", errors.ErrUnsupported, runtime.GOOS)
}

// supported reports that connect scans do not work here: the errors that
// tell open from closed from filtered are only mapped for Unix.
func supported() error {
	return fmt.Errorf("connect scan: %w on %s", errors.ErrUnsupported, runtime.GOOS)
}

// classifyErrno is never reached here, since New refuses to build a
// Scanner; it maps nothing.
func classifyErrno(error) (outcome, result.Reason) { return 0, result.ReasonNone }
