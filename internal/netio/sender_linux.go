package netio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// OpenSender opens a send-only raw socket for each IP version that has a
// source address, src4 or src6 (either may be the zero Addr, for a version
// not sent, but not both), and returns a Sender of up to batch packets per
// call. Each socket is bound to its source and, if iface is not empty, to
// that interface. Both sockets take the IP header from the packet: for
// IPv4, IPPROTO_RAW implies IP_HDRINCL, and for IPv6, IPPROTO_RAW on an
// AF_INET6 socket implies IPV6_HDRINCL (raw(7), and inet6_create in the
// kernel). The kernel routes each packet and fills in the IPv4 header's
// checksum; the TCP checksum, and the IPv6 header, are ours.
//
// Each batch is one sendmmsg(2) per run of packets of one IP version,
// since a sendmmsg goes to one socket: a batch of one version is one call,
// one sorted by version two, and one that alternates a call per packet
// (into loopback, 0.75 times the rate of the others).
//
// The sockets are blocking and stay out of Go's network poller. A socket
// in the poller (net.IPConn, as under ipv4.RawConn) has an epoll entry on
// its wait queue, so as each sent packet is freed the kernel takes that
// queue's lock, with interrupts off, to signal write space. In the lab's
// VM, where turning interrupts back on is expensive, that was 22% of all
// CPU time (1% on this socket), and the same sendmmsg calls made
// 245-358k probes/s against 390-590k here.
func OpenSender(src4, src6 netip.Addr, iface string, batch int) (*Sender, error) {
	if err := checkRawSources(src4, src6); err != nil {
		return nil, err
	}
	w := &familyWriter{}
	for _, src := range []netip.Addr{src4, src6} {
		if !src.IsValid() {
			continue
		}
		fd, err := openRaw(src, iface)
		if err != nil {
			w.close()
			return nil, err
		}
		if src.Is4() {
			w.v4 = newRawWriter(fd, batch, 4)
		} else {
			w.v6 = newRawWriter(fd, batch, 6)
		}
	}
	s := NewSender(w, batch)
	s.dev = iface
	s.close = w.close
	return s, nil
}

// openRaw opens a send-only raw socket of src's IP version that takes the
// header from each packet (IPPROTO_RAW), binds it to src and, if iface is
// not empty, to that interface, and enlarges its send buffer.
func openRaw(src netip.Addr, iface string) (int, error) {
	family, name := unix.AF_INET, "raw socket"
	var sa unix.Sockaddr
	if src.Is4() {
		sa = &unix.SockaddrInet4{Addr: src.As4()}
	} else {
		family, name = unix.AF_INET6, "raw IPv6 socket"
		sa = &unix.SockaddrInet6{Addr: src.As16()}
	}
	fd, err := unix.Socket(family, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_RAW)
	if err != nil {
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
			return -1, fmt.Errorf("open %s: %w: %w", name, ErrPrivilege, err)
		}
		return -1, fmt.Errorf("open %s: %w", name, err)
	}
	if err := unix.Bind(fd, sa); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("open %s on %v: %w", name, src, err)
	}
	// Best effort: a larger buffer absorbs bursts; the kernel caps it.
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, 4<<20)
	if iface != "" {
		if err := unix.BindToDevice(fd, iface); err != nil {
			unix.Close(fd)
			return -1, fmt.Errorf("bind %s to interface %q: %w", name, iface, err)
		}
	}
	return fd, nil
}

// OpenFrameSender opens a send-only packet socket (packet(7), SOCK_RAW)
// on interface iface and returns a Sender that sends each packet as one
// Ethernet frame to the next hop for its IP version: hop4, the MAC
// address of the IPv4 route's gateway, or hop6, the IPv6 route's, which
// can differ. Either may be nil, for a version not routed this way, but
// not both. A batch is one sendmmsg(2), whatever its mix of versions.
// The packets must be complete, checksums included; the Sender puts the
// Ethernet header before each, from iface's MAC address (zeros if it has
// none, as lo). Frames skip the kernel's IP layer (routing,
// netfilter, the queueing discipline), which in the lab made the same
// sendmmsg batches 6-32% faster than OpenSender's socket; routing and the
// neighbour lookup are the caller's job.
func OpenFrameSender(iface string, hop4, hop6 net.HardwareAddr, batch int) (*Sender, error) {
	if hop4 == nil && hop6 == nil {
		return nil, errors.New("open packet socket: no next hop, IPv4 or IPv6")
	}
	for _, hop := range []net.HardwareAddr{hop4, hop6} {
		if hop != nil && len(hop) != 6 {
			return nil, fmt.Errorf("open packet socket: next hop %v is not an Ethernet address", hop)
		}
	}
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return nil, fmt.Errorf("open packet socket on %s: %w", iface, err)
	}
	ifindex := ifi.Index
	// Protocol 0: the socket receives nothing, so replies are not queued
	// to it as well as to the capture. SOCK_RAW: each frame carries its
	// Ethernet header, so a message needs no address, which the kernel
	// would copy in, look its interface up by and build the header from,
	// for every frame: 3-5% more probes/s into silence in the lab.
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
			return nil, fmt.Errorf("open packet socket: %w: %w", ErrPrivilege, err)
		}
		return nil, fmt.Errorf("open packet socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Ifindex: ifindex}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("bind packet socket to %s: %w", iface, err)
	}
	// Best effort, as in openRaw. Bypassing the queueing discipline saves
	// its lock per frame (veth and most NICs have no queue to lose) and
	// the clones for packet taps, which then do not see the probes: 2-8%
	// more probes/s in the lab.
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, 4<<20)
	_ = unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_QDISC_BYPASS, 1)
	s := NewSender(newFrameWriter(fd, batch, ethHeader(hop4, ifi.HardwareAddr, unix.ETH_P_IP), ethHeader(hop6, ifi.HardwareAddr, unix.ETH_P_IPV6)), batch)
	s.dev = iface
	s.close = func() error { return unix.Close(fd) }
	return s, nil
}

// htons converts a 16-bit value to network byte order, as packet sockets
// take their protocol, on any host.
func htons(v uint16) uint16 {
	return binary.NativeEndian.Uint16(binary.BigEndian.AppendUint16(nil, v))
}

// ethHeader returns the Ethernet header of frames of Ethernet type proto
// from src (all zeros if src is not 6 bytes long, as on lo) to next hop
// dst, or nil if dst is nil.
func ethHeader(dst, src net.HardwareAddr, proto uint16) []byte {
	if dst == nil {
		return nil
	}
	h := make([]byte, 14)
	copy(h[0:6], dst)
	if len(src) == 6 {
		copy(h[6:12], src)
	}
	binary.BigEndian.PutUint16(h[12:], proto)
	return h
}

// mmsghdr is struct mmsghdr of sendmmsg(2); Go pads it as C does.
type mmsghdr struct {
	hdr unix.Msghdr
	len uint32
}

// msgs are the message headers and vectors of one socket's batches, set up
// once: header i points at vector i, and a batch only points the vectors
// at the packets.
type msgs struct {
	hdrs []mmsghdr
	iovs []unix.Iovec
}

// newMsgs returns the messages of a batch of up to batch packets.
func newMsgs(batch int) msgs {
	m := msgs{hdrs: make([]mmsghdr, batch), iovs: make([]unix.Iovec, batch)}
	for i := range m.hdrs {
		m.hdrs[i].hdr.Iov = &m.iovs[i]
		m.hdrs[i].hdr.Iovlen = 1
	}
	return m
}

// sendmmsg sends the first n messages on fd with one sendmmsg(2) and
// returns how many went. The call blocks while the socket buffer is full.
func (m *msgs) sendmmsg(fd, n int) (int, error) {
	if n == 0 {
		return 0, nil
	}
	sent, _, errno := unix.Syscall6(unix.SYS_SENDMMSG, uintptr(fd), uintptr(unsafe.Pointer(&m.hdrs[0])), uintptr(n), 0, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(sent), nil
}

// familyWriter is OpenSender's BatchWriter: a raw socket for each IP
// version opened, nil for the other.
type familyWriter struct {
	v4, v6 *rawWriter
}

// WriteBatch sends the run of packets of one IP version that starts pkts
// through that version's socket, with one sendmmsg(2).
func (w *familyWriter) WriteBatch(pkts [][]byte) (int, error) {
	if len(pkts) == 0 {
		return 0, nil
	}
	v := pkts[0][0] >> 4
	run := 1
	for run < len(pkts) && pkts[run][0]>>4 == v {
		run++
	}
	switch {
	case v == 6 && w.v6 != nil:
		return w.v6.WriteBatch(pkts[:run])
	case v == 6:
		return 0, errNo6
	case w.v4 != nil:
		return w.v4.WriteBatch(pkts[:run])
	default:
		return 0, errNo4
	}
}

// close closes the sockets opened.
func (w *familyWriter) close() error {
	var errs []error
	for _, r := range []*rawWriter{w.v4, w.v6} {
		if r != nil {
			errs = append(errs, unix.Close(r.fd))
		}
	}
	return errors.Join(errs...)
}

// rawWriter sends packets of one IP version through a raw socket, each
// message to the destination copied from its packet's header.
type rawWriter struct {
	fd int
	msgs
	// in4, for IPv4, or in6, for IPv6, are the messages' destinations;
	// the other is nil.
	in4 []unix.RawSockaddrInet4
	in6 []unix.RawSockaddrInet6
}

// newRawWriter returns a writer of up to batch packets of IP version v on
// raw socket fd.
func newRawWriter(fd, batch int, v byte) *rawWriter {
	w := &rawWriter{fd: fd, msgs: newMsgs(batch)}
	if v == 4 {
		w.in4 = make([]unix.RawSockaddrInet4, batch)
	} else {
		w.in6 = make([]unix.RawSockaddrInet6, batch)
	}
	for i := range w.hdrs {
		if w.in4 != nil {
			w.in4[i].Family = unix.AF_INET
			w.hdrs[i].hdr.Name = (*byte)(unsafe.Pointer(&w.in4[i]))
			w.hdrs[i].hdr.Namelen = unix.SizeofSockaddrInet4
		} else {
			w.in6[i].Family = unix.AF_INET6
			w.hdrs[i].hdr.Name = (*byte)(unsafe.Pointer(&w.in6[i]))
			w.hdrs[i].hdr.Namelen = unix.SizeofSockaddrInet6
		}
	}
	return w
}

// WriteBatch sends pkts, all of the writer's IP version (at most the batch
// it was made for), with one sendmmsg(2).
func (w *rawWriter) WriteBatch(pkts [][]byte) (int, error) {
	n := min(len(pkts), len(w.hdrs))
	for i, p := range pkts[:n] {
		w.iovs[i].Base = &p[0]
		w.iovs[i].SetLen(len(p))
		if w.in4 != nil {
			copy(w.in4[i].Addr[:], p[16:20])
		} else {
			copy(w.in6[i].Addr[:], p[24:40])
		}
	}
	return w.sendmmsg(w.fd, n)
}

// frameWriter sends packets of both IP versions as frames on a bound
// SOCK_RAW packet socket: each message is two vectors, the Ethernet
// header to the next hop for its packet's version, then the packet.
type frameWriter struct {
	fd int
	msgs
	// eth4 and eth6 are the Ethernet headers for IPv4 and for IPv6, nil
	// for a version not sent.
	eth4, eth6 []byte
}

// newFrameWriter returns a writer of up to batch packets on packet socket
// fd, with Ethernet headers eth4 and eth6.
func newFrameWriter(fd, batch int, eth4, eth6 []byte) *frameWriter {
	w := &frameWriter{fd: fd, msgs: msgs{hdrs: make([]mmsghdr, batch), iovs: make([]unix.Iovec, 2*batch)}, eth4: eth4, eth6: eth6}
	for i := range w.hdrs {
		w.hdrs[i].hdr.Iov = &w.iovs[2*i]
		w.hdrs[i].hdr.Iovlen = 2
	}
	return w
}

// WriteBatch sends pkts (at most the batch it was made for) with one
// sendmmsg(2), up to the first packet of a version with no next hop.
func (w *frameWriter) WriteBatch(pkts [][]byte) (int, error) {
	n := min(len(pkts), len(w.hdrs))
	for i, p := range pkts[:n] {
		eth, errNo := w.eth4, errNo4
		if p[0]>>4 == 6 {
			eth, errNo = w.eth6, errNo6
		}
		if eth == nil {
			if i == 0 {
				return 0, errNo
			}
			n = i
			break
		}
		w.iovs[2*i].Base = &eth[0]
		w.iovs[2*i].SetLen(len(eth))
		w.iovs[2*i+1].Base = &p[0]
		w.iovs[2*i+1].SetLen(len(p))
	}
	return w.sendmmsg(w.fd, n)
}
