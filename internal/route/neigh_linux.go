package route

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Neighbour returns the link-layer address the kernel's neighbour table
// holds for ip on interface index: its ARP cache for an IPv4 address (an
// IPv4-mapped one is IPv4), its NDP cache for an IPv6 address. A zone in
// ip is not used: index names the link. It sends nothing: an address the
// kernel has not resolved, or no longer trusts, is ErrNoNeighbour.
func Neighbour(index int, ip netip.Addr) (net.HardwareAddr, error) {
	if !ip.IsValid() {
		return nil, errors.New("neighbour of the zero address: no address")
	}
	ip = ip.Unmap().WithZone("")
	var hw net.HardwareAddr
	err := exchange(dumpRequest(unix.RTM_GETNEIGH, unix.SizeofNdMsg, familyOf(ip)), func(m syscall.NetlinkMessage) error {
		found, err := parseNeighbour(m, index, ip)
		if found != nil {
			hw = found
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("neighbour %v: %w", ip, err)
	}
	if hw == nil {
		return nil, fmt.Errorf("neighbour %v: %w", ip, ErrNoNeighbour)
	}
	return hw, nil
}

// usable are the neighbour states whose link-layer address the kernel
// itself would send to.
const usable = unix.NUD_REACHABLE | unix.NUD_STALE | unix.NUD_DELAY | unix.NUD_PROBE | unix.NUD_PERMANENT

// parseNeighbour returns the link-layer address in m if m is a usable
// entry for ip, IPv4 or IPv6 without a zone, on interface index, and nil
// otherwise.
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
	if nd.Family != familyOf(ip) || int(nd.Ifindex) != index || nd.State&usable == 0 {
		return nil, nil
	}
	var dst netip.Addr
	var hw net.HardwareAddr
	err := eachAttr(m.Data[unix.SizeofNdMsg:], func(typ uint16, v []byte) {
		switch typ {
		case unix.NDA_DST:
			dst, _ = addrFrom(nd.Family, v)
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
