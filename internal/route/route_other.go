//go:build !linux

package route

import (
	"fmt"
	"net"
	"net/netip"
	"runtime"

	"github.com/trawlscan/trawl/pkg/target"
)

// Get is not supported on this GOOS.
func Get(dst netip.Addr) (Route, error) {
	return Route{}, fmt.Errorf("route to %v: not supported on %s", dst, runtime.GOOS)
}

// Neighbour is not supported on this GOOS.
func Neighbour(index int, ip netip.Addr) (net.HardwareAddr, error) {
	return nil, fmt.Errorf("neighbour %v: not supported on %s", ip, runtime.GOOS)
}

// AllVia is not supported on this GOOS.
func AllVia(ranges []target.Range, index int, gw netip.Addr) error {
	return fmt.Errorf("routes: not supported on %s", runtime.GOOS)
}

// Split is not supported on this GOOS.
func Split(ranges []target.Range) ([]Span, error) {
	return nil, fmt.Errorf("routes: not supported on %s", runtime.GOOS)
}
