package netio

import (
	"errors"
	"fmt"
	"net/netip"
	"syscall"
	"time"
)

// BatchWriter sends a batch of complete IPv4 and IPv6 packets (header
// included), in any mix: each to the destination address in its header,
// or each as a frame to the next hop for its IP version. Send has checked
// that each packet holds its version's header.
// It may send fewer than given; it returns how many went, and the error
// that stopped the next one.
type BatchWriter interface {
	WriteBatch(pkts [][]byte) (int, error)
}

// Sender sends batches of IPv4 and IPv6 packets through a BatchWriter,
// retrying partial batches and skipping packets the kernel refuses for
// their destination alone. It allocates nothing per send, and nor do the
// writers of OpenSender and OpenFrameSender. It is not safe for concurrent
// use: give each sending goroutine its own.
type Sender struct {
	w     BatchWriter
	batch int
	dev   string // the interface it sends on, if bound to one, for errors
	close func() error
}

// NewSender returns a Sender of up to batch packets per call over w.
func NewSender(w BatchWriter, batch int) *Sender {
	return &Sender{w: w, batch: batch}
}

// Batch is the most packets one Send takes.
func (s *Sender) Batch() int { return s.batch }

// Send sends every packet in pkts (at most Batch of them), each a complete
// IPv4 or IPv6 packet, in any mix. It retries the rest of a partial batch
// and waits out a full socket buffer (ENOBUFS). A packet the kernel
// refuses for its destination alone (unreachable, or dropped by a local
// firewall) is skipped, not fatal. It returns how many were sent, and an
// error only for a failure that stops the scan.
func (s *Sender) Send(pkts [][]byte) (int, error) {
	if len(pkts) > s.batch {
		return 0, fmt.Errorf("send %d packets: batch holds %d", len(pkts), s.batch)
	}
	for i, p := range pkts {
		if version(p) == 0 {
			return 0, fmt.Errorf("send: packet %d (%d bytes) is neither an IPv4 packet of at least %d bytes nor an IPv6 one of at least %d", i, len(p), ipv4HeaderLen, ipv6HeaderLen)
		}
	}
	done, sent := 0, 0
	for done < len(pkts) {
		n, err := s.w.WriteBatch(pkts[done:])
		if n > 0 {
			done += n
			sent += n
		}
		switch {
		case err == nil && n <= 0:
			return sent, errors.New("send: sendmmsg sent nothing")
		case err == nil:
		case errors.Is(err, syscall.ENOBUFS) || errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EINTR):
			time.Sleep(100 * time.Microsecond)
		case perDestination(err):
			done++
		default:
			return sent, s.fatal(err)
		}
	}
	return sent, nil
}

// Header lengths without options or extension headers, in bytes.
const (
	ipv4HeaderLen = 20
	ipv6HeaderLen = 40
)

// version returns the IP version of packet p, 4 or 6, or 0 if p is
// neither or too short for its version's header.
func version(p []byte) byte {
	switch {
	case len(p) >= ipv4HeaderLen && p[0]>>4 == 4:
		return 4
	case len(p) >= ipv6HeaderLen && p[0]>>4 == 6:
		return 6
	}
	return 0
}

// checkRawSources checks the source addresses of a raw-socket sender: src4
// for IPv4 and src6 for IPv6, at least one of them valid.
func checkRawSources(src4, src6 netip.Addr) error {
	switch {
	case !src4.IsValid() && !src6.IsValid():
		return errors.New("open raw socket: no source address, IPv4 or IPv6")
	case src4.IsValid() && !src4.Is4():
		return fmt.Errorf("open raw socket on %v: not an IPv4 address", src4)
	case src6.IsValid() && (!src6.Is6() || src6.Is4In6()):
		return fmt.Errorf("open raw socket on %v: not an IPv6 address", src6)
	}
	return nil
}

// errNo4 and errNo6 are a BatchWriter's error for a packet of an IP
// version that its sender was opened without.
var (
	errNo4 = errors.New("an IPv4 packet, but this sender was opened without IPv4")
	errNo6 = errors.New("an IPv6 packet, but this sender was opened without IPv6")
)

// fatal describes an error that stops the scan, naming the interface.
func (s *Sender) fatal(err error) error {
	switch {
	case s.dev == "":
		return fmt.Errorf("send: %w", err)
	case errors.Is(err, syscall.ENXIO) || errors.Is(err, syscall.ENODEV) || errors.Is(err, syscall.ENETDOWN):
		return fmt.Errorf("send on %s: %w (did the interface go away?)", s.dev, err)
	default:
		return fmt.Errorf("send on %s: %w", s.dev, err)
	}
}

// perDestination reports whether err concerns one packet's destination
// rather than the socket.
func perDestination(err error) bool {
	for _, e := range []syscall.Errno{syscall.EHOSTUNREACH, syscall.ENETUNREACH, syscall.EACCES, syscall.EPERM, syscall.EMSGSIZE} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// Close closes the underlying socket if the Sender opened it.
func (s *Sender) Close() error {
	if s.close == nil {
		return nil
	}
	return s.close()
}
