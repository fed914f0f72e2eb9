package route

import (
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Neighbour returns the link-layer address the kernel's neighbour table
// (ARP cache) holds for ip on interface index. It sends nothing: an
// address the kernel has not resolved, or no longer trusts, is
// ErrNoNeighbour.
func Neighbour(index int, ip netip.Addr) (net.HardwareAddr, error) {
	if !ip.Is4() {
		return nil, fmt.Errorf("neighbour %v: only IPv4 is supported", ip)
	}
	var hw net.HardwareAddr
	err := exchange(neighbourRequest(), func(m syscall.NetlinkMessage) (bool, error) {
		var err error
		hw, err = parseNeighbour(m, index, ip)
		return hw != nil, err
	})
	if err != nil {
		return nil, fmt.Errorf("neighbour %v: %w", ip, err)
	}
	if hw == nil {
		return nil, fmt.Errorf("neighbour %v: %w", ip, ErrNoNeighbour)
	}
	return hw, nil
}

// neighbourRequest builds an RTM_GETNEIGH dump request for IPv4.
func neighbourRequest() []byte {
	total := unix.SizeofNlMsghdr + unix.SizeofNdMsg
	b := make([]byte, total)
	hdr := (*unix.NlMsghdr)(unsafe.Pointer(&b[0]))
	hdr.Len = uint32(total)
	hdr.Type = unix.RTM_GETNEIGH
	hdr.Flags = unix.NLM_F_REQUEST | unix.NLM_F_DUMP
	hdr.Seq = 1
	nd := (*unix.NdMsg)(unsafe.Pointer(&b[unix.SizeofNlMsghdr]))
	nd.Family = unix.AF_INET
	return b
}

// usable are the neighbour states whose link-layer address the kernel
// itself would send to.
const usable = unix.NUD_REACHABLE | unix.NUD_STALE | unix.NUD_DELAY | unix.NUD_PROBE | unix.NUD_PERMANENT

// parseNeighbour returns the link-layer address in m if m is a usable
// entry for ip on interface index, and nil otherwise.
func parseNeighbour(m syscall.NetlinkMessage, index int, ip netip.Addr) (net.HardwareAddr, error) {
	switch m.Header.Type {
	case unix.NLMSG_ERROR:
		return nil, netlinkError(m)
	case unix.RTM_NEWNEIGH:
	default:
		return nil, nil
	}
	if len(m.Data) < unix.SizeofNdMsg {
		return nil, fmt.Errorf("short neighbour message (%d bytes)", len(m.Data))
	}
	nd := (*unix.NdMsg)(unsafe.Pointer(&m.Data[0]))
	if nd.Family != unix.AF_INET || int(nd.Ifindex) != index || nd.State&usable == 0 {
		return nil, nil
	}
	var dst netip.Addr
	var hw net.HardwareAddr
	err := eachAttr(m.Data[unix.SizeofNdMsg:], func(typ uint16, v []byte) {
		switch typ {
		case unix.NDA_DST:
			dst, _ = netip.AddrFromSlice(v)
		case unix.NDA_LLADDR:
			hw = net.HardwareAddr(append([]byte(nil), v...))
		}
	})
	if err != nil {
		return nil, fmt.Errorf("neighbour message: %w", err)
	}
	if dst != ip || len(hw) == 0 {
		return nil, nil
	}
	return hw, nil
}
