//go:build !linux

package scan

import (
	"fmt"
	"runtime"
)

// rawPermitted returns the error that opening a raw socket gives on this
// GOOS, where the raw paths are not supported.
func rawPermitted() error {
	return fmt.Errorf("raw socket: not supported on %s", runtime.GOOS)
}
