//go:build linux && (!cgo || nopcap)

package netio

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The receive ring: ringBlocks blocks of ringBlockSize bytes. With frames
// cut to snapLen by the filter, a 1 MiB block holds about 5,800 replies,
// so the ring holds about 0.1 s of them at 400k/s. The kernel hands a block
// over when it is full or ringTimeout after its first packet.
const (
	ringBlockSize = 1 << 20
	ringTimeout   = 10 // milliseconds
)

// Offsets in struct tpacket_block_desc (its tpacket_hdr_v1 starts at 8)
// and in struct tpacket3_hdr, from linux/if_packet.h.
const (
	blockStatus   = 8
	blockNumPkts  = 12
	blockFirstPkt = 16
	pktNext       = 0
	pktSnaplen    = 12
	pktMac        = 24
)

// ringCapture is a Capture on an AF_PACKET socket (packet(7)) with a
// TPACKET_V3 receive ring shared with the kernel, so that reading replies
// costs no system call per packet. It is bound to one interface, or to
// all, and takes no frame going out: unlike libpcap's ETH_P_ALL socket,
// it is not a tap on the probes, which the kernel would otherwise clone
// for it one by one. A classic BPF filter from FilterProgram passes only
// replies. It needs no libpcap, so a static binary can use it.
type ringCapture struct {
	fd      int
	iface   string
	link    LinkType
	ring    []byte
	blocks  int
	block   int // the block being read
	pkt     int // offset of the next packet in it, 0 if none
	left    int // packets left in it
	dropped atomic.Uint64
}

// OpenCapture opens an AF_PACKET ring capture on iface, or on every
// interface if iface is AllInterfaces, for replies to probes from port
// and any of srcs (TCP SYN-ACKs and RSTs, ICMP and ICMPv6 unreachables
// quoting a probe), with about bufferBytes of ring (at least 2 blocks of
// 1 MiB) and a 10 ms read timeout. srcs holds 1 to MaxSources addresses,
// IPv4, IPv6 or both.
//
// On one interface, which must be Ethernet or loopback, it reads whole
// frames (SOCK_RAW, LinkEthernet). On all of them, whose link layers may
// differ, it reads the IP packets alone (SOCK_DGRAM, LinkRaw): the kernel
// strips each frame's link-layer header before the filter runs.
//
// It takes the frames of the families of srcs alone: bound to ETH_P_IP or
// ETH_P_IPV6 if they are of one family. If they are of both, it is bound
// to every protocol (ETH_P_ALL), which would make it a tap on outgoing
// frames too, and so it sets PACKET_IGNORE_OUTGOING (Linux 4.20).
func OpenCapture(iface string, srcs []netip.Addr, port uint16, bufferBytes int) (Capture, error) {
	typ, link, index := unix.SOCK_DGRAM, LinkRaw, 0
	if iface != AllInterfaces {
		ifi, err := net.InterfaceByName(iface)
		if err != nil {
			return nil, fmt.Errorf("open capture on %s: %w", iface, err)
		}
		if ifi.Flags&net.FlagLoopback == 0 && len(ifi.HardwareAddr) != 6 {
			return nil, fmt.Errorf("open capture on %s: only Ethernet and loopback interfaces are supported", iface)
		}
		typ, link, index = unix.SOCK_RAW, LinkEthernet, ifi.Index
	}
	prog, err := FilterProgram(link, srcs, port)
	if err != nil {
		return nil, fmt.Errorf("capture filter: %w", err)
	}
	v4, v6 := families(srcs)
	proto := unix.ETH_P_ALL
	switch {
	case len(v6) == 0:
		proto = unix.ETH_P_IP
	case len(v4) == 0:
		proto = unix.ETH_P_IPV6
	}
	// Open the socket with protocol 0, which hooks it to no interface, so
	// that it takes no frame; attach the filter and set up the ring; and
	// only then bind it to proto on the interface (or all), as
	// mdlayher/packet does.
	// Opened with ETH_P_IP, the socket would take every IPv4 frame on every
	// interface until the filter was attached, counting them, and counting
	// drops that Stats would report once its queue was full; and, until
	// the bind, replies that pass the filter on any interface. As nothing
	// comes in before the bind, there is nothing to drain (setting up the
	// ring purges the socket's queue anyway).
	fd, err := unix.Socket(unix.AF_PACKET, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, os.ErrPermission) {
			return nil, fmt.Errorf("open capture on %s: %w: %w", iface, ErrPrivilege, err)
		}
		return nil, fmt.Errorf("open capture on %s: %w", iface, err)
	}
	c := &ringCapture{fd: fd, iface: iface, link: link, blocks: max(2, bufferBytes/ringBlockSize)}
	filter := make([]unix.SockFilter, len(prog))
	for i, ins := range prog {
		filter[i] = unix.SockFilter{Code: ins.Op, Jt: ins.Jt, Jf: ins.Jf, K: ins.K}
	}
	req := unix.TpacketReq3{
		Block_size: ringBlockSize, Block_nr: uint32(c.blocks),
		Frame_size: 1 << 11, Frame_nr: uint32(c.blocks * ringBlockSize >> 11),
		Retire_blk_tov: ringTimeout,
	}
	steps := []struct {
		what string
		do   func() error
	}{
		{"attach filter", func() error {
			return unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]})
		}},
		{"set TPACKET_V3", func() error { return unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_VERSION, unix.TPACKET_V3) }},
		// Bound to ETH_P_ALL, the socket would also take every frame going
		// out: a clone of each probe, before the filter rejects it, and on
		// lo a second copy of each reply. Bound to one protocol, it is
		// not given outgoing frames at all.
		{"ignore outgoing frames", func() error {
			if proto != unix.ETH_P_ALL {
				return nil
			}
			return unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING, 1)
		}},
		{"set up ring", func() error { return unix.SetsockoptTpacketReq3(fd, unix.SOL_PACKET, unix.PACKET_RX_RING, &req) }},
		{"map ring", func() (err error) {
			c.ring, err = unix.Mmap(fd, 0, c.blocks*ringBlockSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
			return err
		}},
		// Last, so that the socket takes frames only once it has its
		// filter and its ring.
		{"bind", func() error {
			return unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(uint16(proto)), Ifindex: index})
		}},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			c.Close()
			return nil, fmt.Errorf("open capture on %s: %s: %w", iface, s.what, err)
		}
	}
	return c, nil
}

// word returns the uint32 at off in the ring, which the kernel writes
// concurrently: block status words are read and written atomically.
func (c *ringCapture) word(off int) *uint32 {
	return (*uint32)(unsafe.Pointer(&c.ring[off]))
}

func (c *ringCapture) ReadPacket() ([]byte, error) {
	for {
		if c.left > 0 {
			p := c.pkt
			c.left--
			c.pkt = p + int(*c.word(p + pktNext))
			mac := int(*(*uint16)(unsafe.Pointer(&c.ring[p+pktMac])))
			n := int(*c.word(p + pktSnaplen))
			return c.ring[p+mac : p+mac+n : p+mac+n], nil
		}
		base := c.block * ringBlockSize
		if c.pkt != 0 {
			// Done with this block: give it back, go to the next.
			atomic.StoreUint32(c.word(base+blockStatus), unix.TP_STATUS_KERNEL)
			c.pkt = 0
			c.block = (c.block + 1) % c.blocks
			continue
		}
		if atomic.LoadUint32(c.word(base+blockStatus))&unix.TP_STATUS_USER != 0 {
			c.left = int(*c.word(base + blockNumPkts))
			c.pkt = base + int(*c.word(base + blockFirstPkt))
			if c.left == 0 {
				// An empty block: any nonzero offset makes the next
				// round hand it back.
				c.pkt = base + 1
			}
			continue
		}
		if err := c.wait(); err != nil {
			return nil, err
		}
	}
}

// wait polls until the kernel hands over a block, the read timeout passes
// (ErrTimeout) or the socket fails.
func (c *ringCapture) wait() error {
	fds := []unix.PollFd{{Fd: int32(c.fd), Events: unix.POLLIN | unix.POLLERR}}
	n, err := unix.Poll(fds, ringTimeout)
	switch {
	case errors.Is(err, unix.EINTR):
		return nil
	case err != nil:
		return fmt.Errorf("read capture on %s: %w", c.iface, err)
	case n == 0:
		return ErrTimeout
	case fds[0].Revents&(unix.POLLERR|unix.POLLHUP|unix.POLLNVAL) != 0:
		serr, _ := unix.GetsockoptInt(c.fd, unix.SOL_SOCKET, unix.SO_ERROR)
		if serr == 0 {
			serr = int(unix.ENETDOWN)
		}
		return fmt.Errorf("read capture on %s: %w (did the interface go away?)", c.iface, unix.Errno(serr))
	}
	return nil
}

func (c *ringCapture) Link() LinkType { return c.link }

// Stats adds the kernel's counters, which reset on every read, to the
// totals so far. It is safe to call while another goroutine reads.
func (c *ringCapture) Stats() (CaptureStats, error) {
	s, err := unix.GetsockoptTpacketStatsV3(c.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS)
	if err == nil {
		c.dropped.Add(uint64(s.Drops))
	}
	return CaptureStats{Dropped: c.dropped.Load()}, err
}

func (c *ringCapture) Close() {
	if c.ring != nil {
		_ = unix.Munmap(c.ring)
		c.ring = nil
	}
	unix.Close(c.fd)
}
