//go:build cgo && !nopcap

package netio

import (
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// packetSockets returns the descriptors of the process's AF_PACKET
// sockets.
func packetSockets() map[int]bool {
	fds := map[int]bool{}
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return fds
	}
	for _, e := range entries {
		fd, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if d, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_DOMAIN); err == nil && d == unix.AF_PACKET {
			fds[fd] = true
		}
	}
	return fds
}

// ignoreOutgoing sets PACKET_IGNORE_OUTGOING (Linux 4.20) on the
// AF_PACKET sockets opened since before: libpcap's. libpcap binds its
// socket to every protocol (ETH_P_ALL), which makes it a tap on every
// frame going out, so that without this the kernel clones each probe sent
// through a raw IP socket for the capture, whose filter then rejects it.
// libpcap 1.10 never sets it (its pcap_setdirection filters in user
// space), and gopacket does not give its descriptor. Failure leaves the
// capture as it was: correct, and slower.
func ignoreOutgoing(before map[int]bool) {
	for fd := range packetSockets() {
		if !before[fd] {
			_ = unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING, 1)
		}
	}
}
