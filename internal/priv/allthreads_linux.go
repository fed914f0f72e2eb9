//go:build !cgo

package priv

import (
	"fmt"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// everyThread makes calls, in order, on every thread of the process, with
// syscall.AllThreadsSyscall: without cgo the Go runtime knows every thread,
// and makes each call on one thread, then on all the others while the world
// is stopped. A call that fails on the first thread fails everyThread
// before any other thread makes it; one that then fails on another thread
// terminates the process, which never goes on with privileges it meant to
// drop.
func everyThread(calls []call) error {
	for _, c := range calls {
		if _, _, errno := syscall.AllThreadsSyscall(c.trap, c.a1, c.a2, c.a3); errno != 0 {
			return fmt.Errorf("%s: %w", c.name, errno)
		}
	}
	return nil
}

// The arguments of capsetZero's call. They are package variables, so that
// they stay where they are while the other threads read them.
var (
	capHeader = unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	capData   [2]unix.CapUserData
)

// capsetZero returns a capset(2) call that empties the effective, permitted
// and inheritable sets of the thread that makes it.
func capsetZero() call {
	return call{trap: unix.SYS_CAPSET, a1: uintptr(unsafe.Pointer(&capHeader)), a2: uintptr(unsafe.Pointer(&capData[0])), name: "capset(0)"}
}
