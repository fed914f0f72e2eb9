package connect

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// control sets IP_BIND_ADDRESS_NO_PORT on every socket before it is bound
// to Config.Source, so that the kernel picks the ephemeral port at connect
// time, per destination, instead of reserving one at bind time for all of
// them: binding would otherwise cap the scan at one range of ports in all.
// The option is IPPROTO_IP's, but Linux takes it on an AF_INET6 socket as
// well (ipv6_setsockopt hands IPPROTO_IP options to the IPv4 code) and
// honours it when binding one, so the same call serves both families.
func control(_, _ string, c syscall.RawConn) error {
	var serr error
	if err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_BIND_ADDRESS_NO_PORT, 1)
	}); err != nil {
		return err
	}
	return serr
}
