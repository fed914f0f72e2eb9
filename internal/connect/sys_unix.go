//go:build unix

package connect

import (
	"errors"
	"fmt"
	"syscall"
)

// RaiseFileLimit raises the soft RLIMIT_NOFILE to the hard limit and
// returns the new soft limit. If raising fails it returns the soft limit
// as it stands, with the error.
func RaiseFileLimit() (uint64, error) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0, fmt.Errorf("read open-file limit: %w", err)
	}
	if rl.Cur >= rl.Max {
		return uint64(rl.Cur), nil
	}
	soft := uint64(rl.Cur)
	rl.Cur = rl.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return soft, fmt.Errorf("raise open-file limit from %d to %d: %w", soft, uint64(rl.Max), err)
	}
	return uint64(rl.Max), nil
}

// supported reports that connect scans work here.
func supported() error { return nil }

// classifyErrno maps the errno inside a dial error to an outcome, or
// returns 0 if it holds none of the errnos that decide one.
func classifyErrno(err error) outcome {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return 0
	}
	switch errno {
	case syscall.ECONNREFUSED:
		return outClosed
	case syscall.ETIMEDOUT, syscall.EHOSTUNREACH, syscall.ENETUNREACH, syscall.EHOSTDOWN:
		// No answer, or an ICMP unreachable from a router: nmap calls
		// both filtered.
		return outFiltered
	case syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM,
		syscall.EADDRNOTAVAIL, syscall.EAGAIN:
		// Out of descriptors, buffers or ephemeral ports (older kernels
		// say EAGAIN for the last). Nothing was sent.
		return outBusy
	}
	return 0
}
