//go:build unix

package connect

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/trawlscan/trawl/pkg/result"
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

// classifyErrno maps the errno inside a dial error to an outcome and the
// reason nmap's connect scan gives for it (scan_engine_connect.cc), or
// returns 0 if it holds none of the errnos that decide one.
func classifyErrno(err error) (outcome, result.Reason) {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return 0, result.ReasonNone
	}
	switch errno {
	case syscall.ECONNREFUSED:
		// A RST, or, on Linux, an ICMP or ICMPv6 port unreachable.
		return outClosed, result.ReasonConnRefused
	case syscall.ETIMEDOUT, syscall.EHOSTDOWN:
		// No answer: nmap calls it filtered.
		return outFiltered, result.ReasonNoResponse
	case syscall.EHOSTUNREACH:
		// An ICMP host unreachable or prohibited (Linux maps codes 1,
		// 10 and 13 here), an ICMPv6 address unreachable (code 3), or no
		// route: filtered too.
		return outFiltered, result.ReasonHostUnreach
	case syscall.ENETUNREACH:
		return outFiltered, result.ReasonNetUnreach
	case syscall.ENOPROTOOPT:
		// An ICMP protocol unreachable, on Linux.
		return outFiltered, result.ReasonProtoUnreach
	case syscall.EACCES:
		// An ICMPv6 administratively prohibited, failed policy or reject
		// route (codes 1, 5 and 6), on Linux, or a local prohibit route;
		// nmap's admin-prohibited. IPv4's prohibitions come as
		// EHOSTUNREACH or ENETUNREACH.
		return outFiltered, result.ReasonAdminProhibited
	case syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM,
		syscall.EADDRNOTAVAIL, syscall.EAGAIN:
		// Out of descriptors, buffers or ephemeral ports (older kernels
		// say EAGAIN for the last). Nothing was sent.
		return outBusy, result.ReasonNone
	}
	return 0, result.ReasonNone
}
