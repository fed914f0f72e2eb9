package route

import (
	"errors"
	"net"
	"net/netip"
)

// Route is the kernel's answer for one IPv4 destination.
type Route struct {
	// Interface is the name of the outgoing interface, such as "eth0" or "lo".
	Interface string
	// Index is the outgoing interface's index.
	Index int
	// HardwareAddr is the outgoing interface's link-layer address: six
	// bytes on Ethernet, empty on loopback and on most tunnels.
	HardwareAddr net.HardwareAddr
	// Source is the preferred source address for the destination.
	Source netip.Addr
	// Gateway is the next hop, or the zero Addr if dst is on-link.
	Gateway netip.Addr
}

// ErrNoRoute means the kernel has no route to the destination.
var ErrNoRoute = errors.New("no route to host")

// ErrNoNeighbour means the kernel's neighbour table holds no usable
// link-layer address for the next hop.
var ErrNoNeighbour = errors.New("next hop's link-layer address not resolved")
