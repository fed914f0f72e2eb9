package scan

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// rawPermitted returns nil if the process may open raw and packet
// sockets, that is, has CAP_NET_RAW in its effective set, and else an
// error wrapping ErrPrivilege. It asks the kernel (capget(2)) and opens
// nothing.
func rawPermitted() error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData // version 3: 64 bits, in two halves
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return fmt.Errorf("read capabilities: %w", err)
	}
	if data[unix.CAP_NET_RAW/32].Effective&(1<<(unix.CAP_NET_RAW%32)) == 0 {
		return fmt.Errorf("open raw socket: %w: not in the process's effective capabilities", ErrPrivilege)
	}
	return nil
}
