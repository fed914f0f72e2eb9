//go:build !linux && (!cgo || nopcap)

package netio

import (
	"fmt"
	"net/netip"
	"runtime"
)

// OpenCapture is not supported on this GOOS without libpcap.
func OpenCapture(iface string, srcs []netip.Addr, port uint16, bufferBytes int) (Capture, error) {
	return nil, fmt.Errorf("open capture on %s: not supported on %s without libpcap", iface, runtime.GOOS)
}
