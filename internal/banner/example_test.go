package banner_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/trawlscan/trawl/internal/banner"
)

// A fake SSH server on loopback greets each client; Grab, with no Matcher,
// keeps the greeting.
func ExampleGrab() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"))
			c.Close()
		}
	}()

	addr := netip.MustParseAddrPort(ln.Addr().String())
	info := banner.Grab(context.Background(), banner.Config{Total: 5 * time.Second}, addr)
	fmt.Printf("%q %v\n", info.Banner, info.Err)
	// Output: "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n" <nil>
}
