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

// Get returns the route the kernel would use to send to dst. If the
// route's interface has no address to send from, it returns the route,
// without a Source, and an error wrapping ErrNoSource.
func Get(dst netip.Addr) (Route, error) {
	if !dst.Is4() {
		return Route{}, fmt.Errorf("route to %v: only IPv4 is supported", dst)
	}
	c, err := dial()
	if err != nil {
		return Route{}, fmt.Errorf("route to %v: %w", dst, err)
	}
	defer c.close()
	return c.get(dst, nil)
}

// get is Get on c. It looks interfaces up in ifaces, by index, and adds
// those it had to ask for; ifaces may be nil.
func (c *conn) get(dst netip.Addr, ifaces map[int]*net.Interface) (Route, error) {
	var r Route
	err := c.exchange(request(dst, 0), func(m syscall.NetlinkMessage) error {
		var err error
		r, err = parse(m)
		return err
	})
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

// request builds an RTM_GETROUTE message for dst, with flags in its
// rtmsg: 0 for the route the kernel would use, or RTM_F_FIB_MATCH for
// the table entry that matched, as a route dump gives it.
func request(dst netip.Addr, flags uint32) []byte {
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
	rt.Flags = flags
	off := unix.SizeofNlMsghdr + rtmsgLen
	attr := (*unix.RtAttr)(unsafe.Pointer(&b[off]))
	attr.Len = uint16(attrLen)
	attr.Type = unix.RTA_DST
	a := dst.As4()
	copy(b[off+unix.SizeofRtAttr:], a[:])
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
			if ip, ok := netip.AddrFromSlice(v); ok {
				r.Source = ip.Unmap()
			}
		case unix.RTA_GATEWAY:
			if ip, ok := netip.AddrFromSlice(v); ok {
				r.Gateway = ip.Unmap()
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
