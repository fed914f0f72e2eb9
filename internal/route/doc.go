// Package route asks the kernel how it would send to a destination, IPv4
// or IPv6: the outgoing interface, the preferred source address and the
// gateway, from a netlink RTM_GETROUTE request, and the gateway's
// link-layer address from its neighbour table (RTM_GETNEIGH: ARP for IPv4,
// NDP for IPv6), on Linux (rtnetlink(7)).
package route
