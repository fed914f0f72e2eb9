package route

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Get returns the route the kernel would use to send to dst, an IPv4 or
// IPv6 address (an IPv4-mapped one is IPv4; a zone is not used). If the
// kernel has no source address for dst, it returns the route, without a
// Source, and an error wrapping ErrNoSource.
func Get(dst netip.Addr) (Route, error) {
	if !dst.IsValid() {
		return Route{}, errors.New("route to the zero address: no destination")
	}
	dst = dst.Unmap().WithZone("")
	c, err := dial()
	if err != nil {
		return Route{}, fmt.Errorf("route to %v: %w", dst, err)
	}
	defer c.close()
	return c.get(dst, nil)
}

// get is Get on c, for a dst without a zone. It looks interfaces up in
// ifaces, by index, and adds those it had to ask for; ifaces may be nil.
func (c *conn) get(dst netip.Addr, ifaces map[int]*net.Interface) (Route, error) {
	var r Route
	err := c.exchange(request(dst, 0), func(m syscall.NetlinkMessage) error {
		var err error
		r, err = parse(m)
		return err
	})
	if err == nil && narrower(r.Source, dst) {
		r.Source, err = netip.Addr{}, ErrNoSource
	}
	if err != nil && !errors.Is(err, ErrNoSource) {
		return Route{}, fmt.Errorf("route to %v: %w", dst, err)
	}
	noSource := err
	ifi := ifaces[r.Index]
	if ifi == nil {
		if ifi, err = net.InterfaceByIndex(r.Index); err != nil {
			return Route{}, fmt.Errorf("route to %v: interface %d: %w", dst, r.Index, err)
		}
		if ifaces != nil {
			ifaces[r.Index] = ifi
		}
	}
	r.Interface, r.HardwareAddr = ifi.Name, ifi.HardwareAddr
	if noSource != nil {
		return r, fmt.Errorf("route to %v: %w", dst, noSource)
	}
	return r, nil
}

// narrower reports whether src, the kernel's choice of source for dst, is
// an IPv6 address of narrower scope than dst, so that no reply from dst
// could reach it: ::1 for any other destination, or a link-local address
// for a destination beyond the link (RFC 4291, section 2.5.6). The kernel
// picks one when it has no better (RFC 6724, section 5, rule 2 only
// prefers a wide enough scope).
func narrower(src, dst netip.Addr) bool {
	switch {
	case !src.Is6():
		return false
	case src.IsLoopback():
		return !dst.IsLoopback()
	case src.IsLinkLocalUnicast():
		return !dst.IsLoopback() && !dst.IsLinkLocalUnicast() && !dst.IsLinkLocalMulticast() && !dst.IsInterfaceLocalMulticast()
	}
	return false
}

// request builds an RTM_GETROUTE message for dst, IPv4 or IPv6 without a
// zone, with flags in its rtmsg: 0 for the route the kernel would use, or
// RTM_F_FIB_MATCH for the table entry that matched, as a route dump gives
// it.
func request(dst netip.Addr, flags uint32) []byte {
	a := dst.AsSlice()
	attrLen := unix.SizeofRtAttr + len(a)
	total := unix.SizeofNlMsghdr + unix.SizeofRtMsg + attrLen
	b := make([]byte, total)
	hdr := (*unix.NlMsghdr)(unsafe.Pointer(&b[0]))
	hdr.Len = uint32(total)
	hdr.Type = unix.RTM_GETROUTE
	hdr.Flags = unix.NLM_F_REQUEST
	hdr.Seq = 1
	rt := (*unix.RtMsg)(unsafe.Pointer(&b[unix.SizeofNlMsghdr]))
	rt.Family = familyOf(dst)
	rt.Dst_len = uint8(8 * len(a))
	rt.Flags = flags
	off := unix.SizeofNlMsghdr + unix.SizeofRtMsg
	attr := (*unix.RtAttr)(unsafe.Pointer(&b[off]))
	attr.Len = uint16(attrLen)
	attr.Type = unix.RTA_DST
	copy(b[off+unix.SizeofRtAttr:], a)
	return b
}

// parse reads the kernel's answer to an RTM_GETROUTE request: the route,
// or the netlink error.
func parse(m syscall.NetlinkMessage) (Route, error) {
	switch m.Header.Type {
	case unix.RTM_NEWROUTE:
		return parseRoute(m)
	case unix.NLMSG_ERROR:
		if err := netlinkError(m); err != nil {
			// The kernel answers a lookup that ends in an unreachable
			// route with EHOSTUNREACH (or ENETUNREACH with none at all),
			// a prohibit route with EACCES, and a blackhole with EINVAL.
			if errors.Is(err, unix.ENETUNREACH) || errors.Is(err, unix.EHOSTUNREACH) ||
				errors.Is(err, unix.EACCES) || errors.Is(err, unix.EINVAL) {
				return Route{}, ErrNoRoute
			}
			return Route{}, err
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
	var r Route
	err := eachAttr(m.Data[unix.SizeofRtMsg:], func(typ uint16, v []byte) {
		switch typ {
		case unix.RTA_OIF:
			if len(v) >= 4 {
				r.Index = int(binary.NativeEndian.Uint32(v))
			}
		case unix.RTA_PREFSRC:
			if ip, ok := addrFrom(rt.Family, v); ok {
				r.Source = ip
			}
		case unix.RTA_GATEWAY:
			if ip, ok := addrFrom(rt.Family, v); ok {
				r.Gateway = ip
			}
		case unix.RTA_VIA:
			if ip, ok := viaAddr(v); ok {
				r.Gateway = ip
			}
		}
	})
	if err != nil {
		return Route{}, fmt.Errorf("route message: %w", err)
	}
	if r.Index == 0 {
		return Route{}, ErrNoRoute
	}
	if !r.Source.IsValid() {
		return r, ErrNoSource
	}
	return r, nil
}

// viaAddr returns the gateway in an RTA_VIA attribute, which the kernel
// sends instead of RTA_GATEWAY for a next hop of the other family, such
// as an IPv4 route's IPv6 gateway (RFC 8950): struct rtvia, a 16-bit
// address family and the address.
func viaAddr(v []byte) (netip.Addr, bool) {
	if len(v) < 2 {
		return netip.Addr{}, false
	}
	switch family := binary.NativeEndian.Uint16(v); family {
	case unix.AF_INET, unix.AF_INET6:
		return addrFrom(uint8(family), v[2:])
	}
	return netip.Addr{}, false
}
