package route

import (
	"encoding/binary"
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// conn is an rtnetlink socket for a series of requests.
type conn struct {
	fd  int
	buf []byte
}

func dial() (*conn, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("open netlink: %w", err)
	}
	tv := unix.Timeval{Sec: 2}
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return &conn{fd: fd, buf: make([]byte, 1<<16)}, nil
}

func (c *conn) close() { unix.Close(c.fd) }

// exchange sends req and hands each message of the answer to f until f
// reports it is done, an error ends the dump, or the dump ends
// (NLMSG_DONE).
func (c *conn) exchange(req []byte, f func(syscall.NetlinkMessage) (bool, error)) error {
	if err := unix.Sendto(c.fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("send netlink request: %w", err)
	}
	for {
		n, _, err := unix.Recvfrom(c.fd, c.buf, 0)
		if err != nil {
			return fmt.Errorf("read netlink reply: %w", err)
		}
		msgs, err := syscall.ParseNetlinkMessage(c.buf[:n])
		if err != nil {
			return fmt.Errorf("parse netlink reply: %w", err)
		}
		for _, m := range msgs {
			if m.Header.Type == unix.NLMSG_DONE {
				return nil
			}
			if done, err := f(m); done || err != nil {
				return err
			}
		}
	}
}

// exchange makes one request on a socket of its own.
func exchange(req []byte, f func(syscall.NetlinkMessage) (bool, error)) error {
	c, err := dial()
	if err != nil {
		return err
	}
	defer c.close()
	return c.exchange(req, f)
}

// netlinkError returns the errno an NLMSG_ERROR message carries, or nil
// for an acknowledgement.
func netlinkError(m syscall.NetlinkMessage) error {
	if len(m.Data) < 4 {
		return fmt.Errorf("short netlink error message (%d bytes)", len(m.Data))
	}
	if errno := int32(binary.NativeEndian.Uint32(m.Data)); errno < 0 {
		return unix.Errno(-errno)
	}
	return nil
}

// eachAttr calls f with the type and value of each route attribute
// (rtattr) in b. It checks every length, where syscall's parser can panic
// on a malformed one.
func eachAttr(b []byte, f func(typ uint16, v []byte)) error {
	for len(b) >= unix.SizeofRtAttr {
		n := int(binary.NativeEndian.Uint16(b[0:2]))
		if n < unix.SizeofRtAttr || n > len(b) {
			return fmt.Errorf("bad attribute length %d", n)
		}
		f(binary.NativeEndian.Uint16(b[2:4]), b[unix.SizeofRtAttr:n])
		b = b[min(len(b), (n+unix.RTA_ALIGNTO-1)&^(unix.RTA_ALIGNTO-1)):]
	}
	return nil
}
