package route

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Get returns the route the kernel would use to send to dst.
func Get(dst netip.Addr) (Route, error) {
	if !dst.Is4() {
		return Route{}, fmt.Errorf("route to %v: only IPv4 is supported", dst)
	}
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return Route{}, fmt.Errorf("route to %v: open netlink: %w", dst, err)
	}
	defer unix.Close(fd)
	tv := unix.Timeval{Sec: 2}
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return Route{}, fmt.Errorf("route to %v: %w", dst, err)
	}
	if err := unix.Sendto(fd, request(dst), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return Route{}, fmt.Errorf("route to %v: send netlink request: %w", dst, err)
	}
	buf := make([]byte, 1<<16)
	n, _, err := unix.Recvfrom(fd, buf, 0)
	if err != nil {
		return Route{}, fmt.Errorf("route to %v: read netlink reply: %w", dst, err)
	}
	r, err := parse(buf[:n])
	if err != nil {
		return Route{}, fmt.Errorf("route to %v: %w", dst, err)
	}
	ifi, err := net.InterfaceByIndex(r.Index)
	if err != nil {
		return Route{}, fmt.Errorf("route to %v: interface %d: %w", dst, r.Index, err)
	}
	r.Interface = ifi.Name
	return r, nil
}

// request builds an RTM_GETROUTE message for dst.
func request(dst netip.Addr) []byte {
	const rtmsgLen = unix.SizeofRtMsg
	attrLen := unix.SizeofRtAttr + 4
	total := unix.SizeofNlMsghdr + rtmsgLen + attrLen
	b := make([]byte, total)
	hdr := (*unix.NlMsghdr)(unsafe.Pointer(&b[0]))
	hdr.Len = uint32(total)
	hdr.Type = unix.RTM_GETROUTE
	hdr.Flags = unix.NLM_F_REQUEST
	hdr.Seq = 1
	rt := (*unix.RtMsg)(unsafe.Pointer(&b[unix.SizeofNlMsghdr]))
	rt.Family = unix.AF_INET
	rt.Dst_len = 32
	off := unix.SizeofNlMsghdr + rtmsgLen
	attr := (*unix.RtAttr)(unsafe.Pointer(&b[off]))
	attr.Len = uint16(attrLen)
	attr.Type = unix.RTA_DST
	a := dst.As4()
	copy(b[off+unix.SizeofRtAttr:], a[:])
	return b
}

// parse reads the RTM_NEWROUTE answer (or the netlink error) in b.
func parse(b []byte) (Route, error) {
	msgs, err := syscall.ParseNetlinkMessage(b)
	if err != nil {
		return Route{}, fmt.Errorf("parse netlink reply: %w", err)
	}
	for _, m := range msgs {
		switch m.Header.Type {
		case unix.NLMSG_ERROR:
			if len(m.Data) >= 4 {
				if errno := int32(binary.NativeEndian.Uint32(m.Data)); errno != 0 {
					if unix.Errno(-errno) == unix.ENETUNREACH || unix.Errno(-errno) == unix.EHOSTUNREACH {
						return Route{}, ErrNoRoute
					}
					return Route{}, unix.Errno(-errno)
				}
			}
		case unix.RTM_NEWROUTE:
			return parseRoute(m)
		}
	}
	return Route{}, ErrNoRoute
}

func parseRoute(m syscall.NetlinkMessage) (Route, error) {
	if len(m.Data) < unix.SizeofRtMsg {
		return Route{}, fmt.Errorf("short route message (%d bytes)", len(m.Data))
	}
	rt := (*unix.RtMsg)(unsafe.Pointer(&m.Data[0]))
	if rt.Type == unix.RTN_UNREACHABLE || rt.Type == unix.RTN_PROHIBIT || rt.Type == unix.RTN_BLACKHOLE {
		return Route{}, ErrNoRoute
	}
	attrs, err := syscall.ParseNetlinkRouteAttr(&m)
	if err != nil {
		return Route{}, fmt.Errorf("parse route attributes: %w", err)
	}
	var r Route
	for _, a := range attrs {
		switch a.Attr.Type {
		case unix.RTA_OIF:
			if len(a.Value) >= 4 {
				r.Index = int(binary.NativeEndian.Uint32(a.Value))
			}
		case unix.RTA_PREFSRC:
			if ip, ok := netip.AddrFromSlice(a.Value); ok {
				r.Source = ip.Unmap()
			}
		case unix.RTA_GATEWAY:
			if ip, ok := netip.AddrFromSlice(a.Value); ok {
				r.Gateway = ip.Unmap()
			}
		}
	}
	if r.Index == 0 {
		return Route{}, ErrNoRoute
	}
	if !r.Source.IsValid() {
		return Route{}, fmt.Errorf("route has no source address (give --source-ip)")
	}
	return r, nil
}
