package lab

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// InScan runs f with the calling goroutine's thread in the scan
// namespace, so that the sockets and captures f opens are the scan
// namespace's, then moves the thread back. It fails t if f returns an
// error.
func (l *Lab) InScan(t testing.TB, f func() error) {
	t.Helper()
	if err := l.inScan(f); err != nil {
		t.Fatalf("lab %s: %v", l.name, err)
	}
}

func (l *Lab) inScan(f func() error) error {
	scan, err := os.Open(filepath.Join("/run/netns", l.name+"-scan"))
	if err != nil {
		return err
	}
	defer scan.Close()
	runtime.LockOSThread()
	home, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer home.Close()
	if err := unix.Setns(int(scan.Fd()), unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("enter %s: %w", scan.Name(), err)
	}
	ferr := f()
	// A thread that cannot go home stays locked, and Go discards it.
	if err := unix.Setns(int(home.Fd()), unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("leave %s: %w", scan.Name(), err)
	}
	runtime.UnlockOSThread()
	return ferr
}
