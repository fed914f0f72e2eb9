//go:build linux || darwin || freebsd || netbsd || openbsd

package netio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// OpenPortableSender opens raw sockets through golang.org/x/net's ipv4 and
// ipv6 packages, for the systems where trawl has no send path of its own,
// and returns a Sender of up to batch packets per call that takes the same
// complete packets, in any mix of IP versions, as OpenSender's. Either
// source, src4 or src6, may be the zero Addr, for a version not sent, but
// not both.
//
// For IPv4 it opens a raw IPPROTO_RAW socket bound to src4 with the header
// included (ipv4.RawConn). Each packet's header is parsed here from the
// wire format and marshalled by ipv4.Header in the local kernel's: macOS,
// NetBSD and FreeBSD before 11 take ip_len and ip_off in host byte order.
// (ipv4.ParseHeader reads that local format, not the wire's.) An
// IPPROTO_RAW socket receives nothing; an "ip4:tcp" one would queue a
// copy of every TCP reply that nobody reads.
//
// For IPv6 it opens a raw TCP socket bound to src6, and the kernel builds
// the IPv6 header, since the BSDs have no IPV6_HDRINCL: each packet's
// destination goes in the socket address, and its TCP segment, checksum
// included, goes as it is. The packet must therefore be TCP from src6,
// over which its checksum was computed, and its hop limit, traffic class
// and flow label are the kernel's. The socket's IPV6_CHECKSUM is set to
// -1, its default for TCP, so that no kernel fills a checksum in.
//
// It writes one packet per system call, through x/net's WriteTo, which
// allocates 6 to 8 times per packet. x/net's RawConn.WriteBatch takes the
// header bytes as they are, so the BSDs' byte order would be ours to
// handle, and outside Linux it sends one message per call anyway; on
// Linux, OpenSender's sendmmsg(2) path is the fast one. Into loopback on
// Linux, where the kernel's answer to each SYN costs about as much as the
// send, one core sent 0.7 times OpenSender's IPv4 rate.
func OpenPortableSender(src4, src6 netip.Addr, batch int) (*Sender, error) {
	if err := checkRawSources(src4, src6); err != nil {
		return nil, err
	}
	w := &portableWriter{}
	if src4.IsValid() {
		c, err := listenRaw("ip4:255", src4)
		if err != nil {
			return nil, err
		}
		if w.c4, err = ipv4.NewRawConn(c); err != nil {
			c.Close()
			return nil, fmt.Errorf("open raw socket on %v: %w", src4, err)
		}
	}
	if src6.IsValid() {
		c, err := listenRaw("ip6:tcp", src6)
		if err != nil {
			w.close()
			return nil, err
		}
		w.c6 = ipv6.NewPacketConn(c)
		if err := w.c6.SetChecksum(false, 0); err != nil {
			w.close()
			return nil, fmt.Errorf("open raw socket on %v: turn off IPV6_CHECKSUM: %w", src6, err)
		}
		w.src6 = src6.As16()
		w.dst6.IP = make(net.IP, net.IPv6len)
	}
	s := NewSender(w, batch)
	s.close = w.close
	return s, nil
}

// listenRaw opens a raw socket of network ("ip4:255" or "ip6:tcp") bound
// to src, with a larger send buffer.
func listenRaw(network string, src netip.Addr) (*net.IPConn, error) {
	c, err := net.ListenPacket(network, src.String())
	if err != nil {
		if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) {
			return nil, fmt.Errorf("open raw socket on %v: %w: %w", src, ErrPrivilege, err)
		}
		return nil, fmt.Errorf("open raw socket on %v: %w", src, err)
	}
	ip := c.(*net.IPConn)
	// Best effort: a larger buffer absorbs bursts; the kernel caps it.
	_ = ip.SetWriteBuffer(4 << 20)
	return ip, nil
}

// portableWriter is OpenPortableSender's BatchWriter. It writes each
// packet with its own system call.
type portableWriter struct {
	c4 *ipv4.RawConn // nil without IPv4
	h4 ipv4.Header   // the header being written, reused

	c6   *ipv6.PacketConn // nil without IPv6
	src6 [16]byte         // the IPv6 socket's source address
	dst6 net.IPAddr       // the destination being written, reused
}

// Errors for packets that the portable writer cannot send as they are.
var (
	errHeaderLen = errors.New("an IPv4 packet whose header length overruns it")
	errNotOurs6  = errors.New("an IPv6 packet that is not TCP from the sender's source address: the kernel builds the header, so the TCP checksum must be over that source")
)

// WriteBatch writes pkts one by one, up to the first that fails.
func (w *portableWriter) WriteBatch(pkts [][]byte) (int, error) {
	for i, p := range pkts {
		var err error
		if p[0]>>4 == 6 {
			err = w.write6(p)
		} else {
			err = w.write4(p)
		}
		if err != nil {
			return i, err
		}
	}
	return len(pkts), nil
}

// write4 writes IPv4 packet p: its header, parsed into w.h4, and its
// payload.
func (w *portableWriter) write4(p []byte) error {
	if w.c4 == nil {
		return errNo4
	}
	hl := int(p[0]&0x0f) << 2
	if hl < ipv4HeaderLen || hl > len(p) {
		return errHeaderLen
	}
	flagsFrag := binary.BigEndian.Uint16(p[6:])
	w.h4 = ipv4.Header{
		Version:  4,
		Len:      hl,
		TOS:      int(p[1]),
		TotalLen: int(binary.BigEndian.Uint16(p[2:])),
		ID:       int(binary.BigEndian.Uint16(p[4:])),
		Flags:    ipv4.HeaderFlags(flagsFrag >> 13),
		FragOff:  int(flagsFrag & 0x1fff),
		TTL:      int(p[8]),
		Protocol: int(p[9]),
		Checksum: int(binary.BigEndian.Uint16(p[10:])),
		Src:      net.IP(p[12:16]),
		Dst:      net.IP(p[16:20]),
		Options:  p[ipv4HeaderLen:hl],
	}
	return w.c4.WriteTo(&w.h4, p[hl:], nil)
}

// write6 writes the TCP segment of IPv6 packet p to its destination; the
// kernel builds the header.
func (w *portableWriter) write6(p []byte) error {
	if w.c6 == nil {
		return errNo6
	}
	if p[6] != syscall.IPPROTO_TCP || [16]byte(p[8:24]) != w.src6 {
		return errNotOurs6
	}
	copy(w.dst6.IP, p[24:40])
	_, err := w.c6.WriteTo(p[ipv6HeaderLen:], nil, &w.dst6)
	return err
}

// close closes the sockets opened.
func (w *portableWriter) close() error {
	var errs []error
	if w.c4 != nil {
		errs = append(errs, w.c4.Close())
	}
	if w.c6 != nil {
		errs = append(errs, w.c6.Close())
	}
	return errors.Join(errs...)
}
