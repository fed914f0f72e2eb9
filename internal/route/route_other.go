//go:build !linux

package route

import (
	"fmt"
	"net"
	"net/netip"
	"runtime"
)

// Get is not supported on this GOOS.
func Get(dst netip.Addr) (Route, error) {
	return Route{}, fmt.Errorf("route to %v: not supported on %s", dst, runtime.GOOS)
}

// Neighbour is not supported on this GOOS.
func Neighbour(index int, ip netip.Addr) (net.HardwareAddr, error) {
	return nil, fmt.Errorf("neighbour %v: not supported on %s", ip, runtime.GOOS)
}

// NextHops is not supported on this GOOS.
func NextHops(dsts []netip.Addr) ([]Route, error) {
	return nil, fmt.Errorf("routes: not supported on %s", runtime.GOOS)
}
