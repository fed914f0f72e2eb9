//go:build cgo && !nopcap && !linux

package netio

// packetSockets returns nothing: only Linux has AF_PACKET sockets.
func packetSockets() map[int]bool { return nil }

// ignoreOutgoing does nothing: other systems' captures are BPF devices,
// which see outgoing packets only as libpcap's direction asks.
func ignoreOutgoing(map[int]bool) {}
