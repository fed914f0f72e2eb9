//go:build unix

package connect

import (
	"syscall"
	"testing"
)

func TestRaiseFileLimit(t *testing.T) {
	var before syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &before); err != nil {
		t.Fatal(err)
	}
	soft, raiseErr := RaiseFileLimit()
	var after syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &after); err != nil {
		t.Fatal(err)
	}
	if soft < uint64(before.Cur) || soft != uint64(after.Cur) {
		t.Errorf("RaiseFileLimit = %d; soft limit was %d, is now %d", soft, uint64(before.Cur), uint64(after.Cur))
	}
	if raiseErr != nil {
		// Some systems refuse a soft limit of RLIM_INFINITY.
		t.Logf("soft limit stays below the hard limit %d: %v", uint64(after.Max), raiseErr)
	} else if soft != uint64(after.Max) {
		t.Errorf("RaiseFileLimit = %d, want the hard limit %d", soft, uint64(after.Max))
	}
}
