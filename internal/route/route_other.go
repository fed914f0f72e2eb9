//go:build !linux

package route

import (
	"fmt"
	"net/netip"
	"runtime"
)

// Get is not supported on this GOOS.
func Get(dst netip.Addr) (Route, error) {
	return Route{}, fmt.Errorf("route to %v: not supported on %s", dst, runtime.GOOS)
}
