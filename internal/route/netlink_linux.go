package route

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"syscall"

	"golang.org/x/sys/unix"
)

// exchange sends req on a new rtnetlink socket and hands f each message of
// the answer that carries req's sequence number: the one message of a
// plain request, or every message of a dump up to NLMSG_DONE. An error
// from f ends the exchange.
func exchange(req []byte, f func(syscall.NetlinkMessage) error) error {
	c, err := dial()
	if err != nil {
		return err
	}
	defer c.close()
	return c.exchange(req, f)
}

// conn is an rtnetlink socket for many requests in turn, such as one
// route lookup per block of targets. It is not safe for concurrent use.
type conn struct {
	fd  int
	seq uint32
	buf []byte
}

// dial opens an rtnetlink socket with a 2 s read timeout.
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

// exchange sends req, under a sequence number of its own, and hands f
// each message of the answer, as the function exchange does. Messages
// left over from an earlier exchange that f ended carry an older sequence
// number and are skipped.
func (c *conn) exchange(req []byte, f func(syscall.NetlinkMessage) error) error {
	c.seq++
	binary.NativeEndian.PutUint32(req[8:12], c.seq)
	if err := unix.Sendto(c.fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("send netlink request: %w", err)
	}
	for {
		n, _, err := unix.Recvfrom(c.fd, c.buf, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("read netlink reply: %w", err)
		}
		msgs, err := syscall.ParseNetlinkMessage(c.buf[:n])
		if err != nil {
			return fmt.Errorf("parse netlink reply: %w", err)
		}
		for _, m := range msgs {
			if m.Header.Seq != c.seq {
				continue
			}
			if m.Header.Type == unix.NLMSG_DONE {
				return nil
			}
			if err := f(m); err != nil {
				return err
			}
			if m.Header.Flags&unix.NLM_F_MULTI == 0 {
				return nil
			}
		}
	}
}

// dumpRequest builds a dump request of type typ for address family
// family (unix.AF_INET or unix.AF_INET6), with a family header of size
// hdrLen that is zero but for its first byte, the family.
func dumpRequest(typ uint16, hdrLen int, family uint8) []byte {
	b := make([]byte, unix.SizeofNlMsghdr+hdrLen)
	binary.NativeEndian.PutUint32(b[0:], uint32(len(b)))
	binary.NativeEndian.PutUint16(b[4:], typ)
	binary.NativeEndian.PutUint16(b[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	binary.NativeEndian.PutUint32(b[8:], 1)
	b[unix.SizeofNlMsghdr] = family
	return b
}

// familyOf returns the address family of ip: unix.AF_INET for IPv4 and
// IPv4-mapped IPv6 addresses, unix.AF_INET6 for other IPv6 addresses.
func familyOf(ip netip.Addr) uint8 {
	if ip.Unmap().Is4() {
		return unix.AF_INET
	}
	return unix.AF_INET6
}

// addrFrom returns the address in an attribute of a message of family
// family: 4 bytes for unix.AF_INET, 16 for unix.AF_INET6. ok is false for
// any other length, which the kernel never sends.
func addrFrom(family uint8, v []byte) (ip netip.Addr, ok bool) {
	switch {
	case family == unix.AF_INET && len(v) == 4:
		return netip.AddrFrom4([4]byte(v)), true
	case family == unix.AF_INET6 && len(v) == 16:
		return netip.AddrFrom16([16]byte(v)), true
	}
	return netip.Addr{}, false
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
