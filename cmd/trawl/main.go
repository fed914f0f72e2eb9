// Command trawl is a fast, stateless TCP SYN port scanner. See the README
// or run "trawl --help".
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/trawlscan/trawl/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
