//go:build !linux

package main

import (
	"fmt"
	"net/netip"
	"runtime"
)

// errUnsupported is returned on systems without network namespaces.
var errUnsupported = fmt.Errorf("the trawl lab needs Linux, not %s", runtime.GOOS)

func listen(netip.AddrPort) (int, error) { return -1, errUnsupported }

func raiseNoFile(int) error { return errUnsupported }

func checksumOff([]string) error { return errUnsupported }

func closeListener(int) {}
