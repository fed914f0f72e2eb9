//go:build cgo

package priv

import (
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestLateSignal sends everyThread's signal to every thread after a round
// has ended, as a thread signalled a second time while its handler ran
// receives it: the process must live on. With the Go runtime's handler
// back in place, it died ("SIGSTKFLT: stack fault"), once in CI. The
// round's call, getpid, changes nothing.
func TestLateSignal(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := everyThread([]call{{trap: unix.SYS_GETPID, name: "getpid"}}); err != nil {
		t.Fatal(err)
	}
	pid := os.Getpid()
	tids, err := threads(pid)
	if err != nil {
		t.Fatal(err)
	}
	for _, tid := range tids {
		if err := unix.Tgkill(pid, tid, privSignal()); err != nil && err != unix.ESRCH {
			t.Fatalf("signal thread %d: %v", tid, err)
		}
	}
	time.Sleep(50 * time.Millisecond) // the signals are handled by now
}

// TestThreadStates checks that a thread that does not answer is described
// by its state and signal masks, and a thread gone by its ID alone.
func TestThreadStates(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	got := threadStates(os.Getpid(), []int{unix.Gettid(), 1 << 30})
	for _, want := range []string{"State=R", "SigBlk=", "SigPnd=", "wchan=", "; 1073741824:"} {
		if !strings.Contains(got, want) {
			t.Errorf("threadStates = %q, want %q in it", got, want)
		}
	}
}
