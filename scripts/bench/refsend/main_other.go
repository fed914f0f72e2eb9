//go:build !linux

// Command refsend is scripts/bench.sh's reference sender; it needs Linux's
// AF_PACKET sockets.
package main

import (
	"fmt"
	"os"
	"runtime"
)

func main() {
	fmt.Fprintf(os.Stderr, "refsend: not supported on %s: it sends on Linux AF_PACKET sockets\n", runtime.GOOS)
	os.Exit(1)
}
