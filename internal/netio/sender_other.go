//go:build !linux

package netio

import (
	"fmt"
	"net"
	"net/netip"
	"runtime"
)

// OpenSender opens OpenPortableSender's raw sockets for src4 and src6
// (either may be the zero Addr, for a version not sent, but not both):
// outside Linux, trawl has no send path of its own. iface is not bound,
// since the BSDs have no SO_BINDTODEVICE: the kernel routes each packet,
// and iface only names the interface in errors. It is not supported on a
// GOOS without x/net's raw sockets.
func OpenSender(src4, src6 netip.Addr, iface string, batch int) (*Sender, error) {
	s, err := OpenPortableSender(src4, src6, batch)
	if err != nil {
		return nil, err
	}
	s.dev = iface
	return s, nil
}

// OpenFrameSender is not supported on this GOOS.
func OpenFrameSender(iface string, hop4, hop6 net.HardwareAddr, batch int) (*Sender, error) {
	return nil, fmt.Errorf("packet socket: not supported on %s", runtime.GOOS)
}
