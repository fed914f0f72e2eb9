//go:build !linux

package connect

import "syscall"

// control is nil here: IP_BIND_ADDRESS_NO_PORT is Linux's, and sockets are
// left as net.Dialer makes them.
var control func(network, address string, c syscall.RawConn) error
