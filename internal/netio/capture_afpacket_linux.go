//go:build linux && (!cgo || nopcap)

package netio

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// afpacketCapture is a Capture on an AF_PACKET socket (packet(7)) bound to
// one interface and to IPv4 frames only, with a classic BPF filter from
// FilterProgram. It needs no libpcap, so a static binary can use it.
type afpacketCapture struct {
	fd       int
	iface    string
	buf      []byte
	received atomic.Uint64
	dropped  atomic.Uint64
}

// OpenCapture opens an AF_PACKET capture on iface for IPv4 TCP replies to
// src:port, with a bufferBytes receive buffer (as far as the kernel allows)
// and a 10 ms read timeout. gopacket's pcapgo handle has no read timeout,
// so trawl uses this one.
func OpenCapture(iface string, src netip.Addr, port uint16, bufferBytes int) (Capture, error) {
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return nil, fmt.Errorf("open capture on %s: %w", iface, err)
	}
	if ifi.Flags&net.FlagLoopback == 0 && len(ifi.HardwareAddr) != 6 {
		return nil, fmt.Errorf("open capture on %s: only Ethernet and loopback interfaces are supported", iface)
	}
	prog, err := FilterProgram(src, port)
	if err != nil {
		return nil, fmt.Errorf("capture filter: %w", err)
	}
	proto := int(htons(unix.ETH_P_IP))
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, proto)
	if err != nil {
		if errors.Is(err, os.ErrPermission) {
			return nil, fmt.Errorf("open capture on %s: %w: %w", iface, ErrPrivilege, err)
		}
		return nil, fmt.Errorf("open capture on %s: %w", iface, err)
	}
	c := &afpacketCapture{fd: fd, iface: iface, buf: make([]byte, snapLen)}
	filter := make([]unix.SockFilter, len(prog))
	for i, ins := range prog {
		filter[i] = unix.SockFilter{Code: ins.Op, Jt: ins.Jt, Jf: ins.Jf, K: ins.K}
	}
	tv := unix.NsecToTimeval((10 * time.Millisecond).Nanoseconds())
	steps := []struct {
		what string
		do   func() error
	}{
		// Attach the filter before binding, so no unfiltered frame queues.
		{"attach filter", func() error {
			return unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]})
		}},
		{"set read timeout", func() error { return unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv) }},
		{"bind", func() error {
			return unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_IP), Ifindex: ifi.Index})
		}},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			unix.Close(fd)
			return nil, fmt.Errorf("open capture on %s: %s: %w", iface, s.what, err)
		}
	}
	// Best effort: FORCE needs CAP_NET_ADMIN, the plain one is capped by
	// net.core.rmem_max.
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, bufferBytes) != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, bufferBytes)
	}
	return c, nil
}

func (c *afpacketCapture) ReadPacket() ([]byte, error) {
	for {
		n, _, err := unix.Recvfrom(c.fd, c.buf, unix.MSG_TRUNC)
		switch {
		case err == nil:
			c.received.Add(1)
			return c.buf[:min(n, len(c.buf))], nil
		case errors.Is(err, unix.EAGAIN):
			return nil, ErrTimeout
		case errors.Is(err, unix.EINTR):
			continue
		default:
			return nil, fmt.Errorf("read capture on %s: %w", c.iface, err)
		}
	}
}

func (c *afpacketCapture) Link() LinkType { return LinkEthernet }

// Stats adds the kernel's drop counter, which resets on every read, to the
// total so far. It is safe to call while another goroutine reads.
func (c *afpacketCapture) Stats() (CaptureStats, error) {
	s, err := unix.GetsockoptTpacketStats(c.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS)
	if err == nil {
		c.dropped.Add(uint64(s.Drops))
	}
	return CaptureStats{Received: c.received.Load(), Dropped: c.dropped.Load()}, err
}

func (c *afpacketCapture) Close() { unix.Close(c.fd) }

// htons converts a 16-bit value to network byte order.
func htons(v uint16) uint16 { return v<<8 | v>>8 }
