//go:build !linux

package netio

import (
	"fmt"
	"net"
	"net/netip"
	"runtime"
)

// OpenSender is not supported on this GOOS.
func OpenSender(src netip.Addr, iface string, batch int) (*Sender, error) {
	return nil, fmt.Errorf("raw socket: not supported on %s", runtime.GOOS)
}

// OpenFrameSender is not supported on this GOOS.
func OpenFrameSender(iface string, nextHop net.HardwareAddr, batch int) (*Sender, error) {
	return nil, fmt.Errorf("packet socket: not supported on %s", runtime.GOOS)
}
