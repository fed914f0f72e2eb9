//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package netio

import (
	"fmt"
	"net/netip"
	"runtime"
)

// OpenPortableSender is not supported on this GOOS, where x/net has no raw
// sockets or the system's cannot send TCP.
func OpenPortableSender(src4, src6 netip.Addr, batch int) (*Sender, error) {
	return nil, fmt.Errorf("portable raw socket: not supported on %s", runtime.GOOS)
}
