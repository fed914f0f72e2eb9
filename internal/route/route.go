package route

import (
	"errors"
	"net"
	"net/netip"

	"github.com/trawlscan/trawl/pkg/target"
)

// Route is the kernel's answer for one destination, IPv4 or IPv6.
type Route struct {
	// Interface is the name of the outgoing interface, such as "eth0" or "lo".
	Interface string
	// Index is the outgoing interface's index.
	Index int
	// HardwareAddr is the outgoing interface's link-layer address: six
	// bytes on Ethernet, empty on loopback and on most tunnels.
	HardwareAddr net.HardwareAddr
	// Source is the preferred source address for the destination, of
	// its family: the kernel's choice, by RFC 6724 for IPv6.
	Source netip.Addr
	// Gateway is the next hop, or the zero Addr if the destination is
	// on-link. It is usually of the destination's family, an IPv6
	// gateway often link-local (fe80::1), without a zone: it is on the
	// link of Index. An IPv4 route may have an IPv6 gateway (RFC 8950).
	Gateway netip.Addr
}

// Span is a block of target addresses, all IPv4 or all IPv6, that the
// kernel routes alike.
type Span struct {
	// Range is the block, part of one target range.
	Range target.Range
	// Route is the kernel's route to every address of Range if Err is
	// nil. With an Err wrapping ErrNoSource or ErrSpread, it is the route
	// the kernel gave for Range.First (with ErrNoSource, without a
	// Source); with ErrNoRoute, the zero Route.
	Route Route
	// Err says why Range has no usable route: it wraps ErrNoRoute,
	// ErrNoSource or ErrSpread.
	Err error
}

// ErrNoRoute means the kernel has no route to the destination.
var ErrNoRoute = errors.New("no route to host")

// ErrNoSource means the kernel has no address of the destination's family
// for the packets' source: the route, say, of a tunnel with no address.
// For an IPv6 destination, an address of narrower scope does not count,
// since no reply could reach it: ::1 for any other destination, or a
// link-local address for one beyond the link.
var ErrNoSource = errors.New("route has no source address")

// ErrSpread means the kernel may send packets to one destination by
// different ways, so that no one interface sees all of them: a multipath
// route with next hops on several interfaces, or a policy routing rule
// that selects by port or protocol.
var ErrSpread = errors.New("packets to one destination may leave by different interfaces")

// ErrNoNeighbour means the kernel's neighbour table holds no usable
// link-layer address for the next hop.
var ErrNoNeighbour = errors.New("next hop's link-layer address not resolved")
