package netio

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"syscall"

	"golang.org/x/net/ipv4"
)

// OpenSender opens a send-only raw IPv4 socket (IPPROTO_RAW, which implies
// IP_HDRINCL) bound to src and, if iface is not empty, to that interface,
// and returns a Sender of up to batch packets per call. The kernel routes
// each packet and fills in the IP checksum; the TCP checksum is ours.
func OpenSender(src netip.Addr, iface string, batch int) (*Sender, error) {
	pc, err := net.ListenPacket("ip4:255", src.String())
	if err != nil {
		if errors.Is(err, os.ErrPermission) {
			return nil, fmt.Errorf("open raw socket: %w: %w", ErrPrivilege, err)
		}
		return nil, fmt.Errorf("open raw socket on %v: %w", src, err)
	}
	if err := tune(pc, iface); err != nil {
		pc.Close()
		return nil, err
	}
	rc, err := ipv4.NewRawConn(pc)
	if err != nil {
		pc.Close()
		return nil, fmt.Errorf("open raw socket: %w", err)
	}
	s := NewSender(rc, batch)
	s.close = rc.Close
	return s, nil
}

// tune enlarges the send buffer and binds the socket to iface.
func tune(pc net.PacketConn, iface string) error {
	sc, ok := pc.(syscall.Conn)
	if !ok {
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return fmt.Errorf("raw socket: %w", err)
	}
	var serr error
	err = raw.Control(func(fd uintptr) {
		// Best effort: a larger buffer absorbs bursts; the kernel caps it.
		_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF, 4<<20)
		if iface != "" {
			if e := syscall.BindToDevice(int(fd), iface); e != nil {
				serr = fmt.Errorf("bind raw socket to interface %q: %w", iface, e)
			}
		}
	})
	if err != nil {
		return fmt.Errorf("raw socket: %w", err)
	}
	return serr
}
