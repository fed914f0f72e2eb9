package netio

import (
	"errors"
	"fmt"
	"syscall"
	"time"
)

// BatchWriter sends a batch of complete IPv4 packets (header included) as
// one sendmmsg(2) call: each to the destination address in its header, or
// each as a frame to one next hop.
// It may send fewer than given; it returns how many went, and the error
// that stopped the next one.
type BatchWriter interface {
	WriteBatch(pkts [][]byte) (int, error)
}

// Sender sends batches of IPv4 packets through a BatchWriter, retrying
// partial batches and skipping packets the kernel refuses for their
// destination alone. It allocates nothing per send. It is not safe for
// concurrent use: give each sending goroutine its own.
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
// IPv4 packet. It retries the rest of a partial batch and waits out a full
// socket buffer (ENOBUFS). A packet the kernel refuses for its destination
// alone (unreachable, or dropped by a local firewall) is skipped, not
// fatal. It returns how many were sent, and an error only for a failure
// that stops the scan.
func (s *Sender) Send(pkts [][]byte) (int, error) {
	if len(pkts) > s.batch {
		return 0, fmt.Errorf("send %d packets: batch holds %d", len(pkts), s.batch)
	}
	for i, p := range pkts {
		if len(p) < 20 {
			return 0, fmt.Errorf("send: packet %d is %d bytes, shorter than an IPv4 header", i, len(p))
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
