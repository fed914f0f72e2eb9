//go:build !linux

package priv

import (
	"errors"
	"fmt"
	"runtime"
)

// Drop is not supported on this GOOS, where trawl opens no raw socket: it
// returns an error wrapping errors.ErrUnsupported and changes nothing.
func Drop(to *User) error {
	return fmt.Errorf("drop privileges: not supported on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}
