package netio

import (
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"

	"golang.org/x/net/ipv4"
)

// BatchWriter sends a batch of messages, as ipv4.RawConn.WriteBatch does
// with sendmmsg(2). It may send fewer than given.
type BatchWriter interface {
	WriteBatch(ms []ipv4.Message, flags int) (int, error)
}

// Sender sends batches of complete IPv4 packets (header included) through a
// BatchWriter, reusing its messages and addresses so that a send allocates
// nothing. It is not safe for concurrent use: give each sending goroutine
// its own.
type Sender struct {
	w     BatchWriter
	msgs  []ipv4.Message
	addrs []net.IPAddr
	bufs  [][]byte
	close func() error
}

// NewSender returns a Sender of up to batch packets per call over w.
func NewSender(w BatchWriter, batch int) *Sender {
	s := &Sender{w: w, msgs: make([]ipv4.Message, batch), addrs: make([]net.IPAddr, batch), bufs: make([][]byte, batch)}
	for i := range s.msgs {
		s.addrs[i].IP = make(net.IP, 4)
		s.msgs[i].Buffers = s.bufs[i : i+1]
		s.msgs[i].Addr = &s.addrs[i]
	}
	return s
}

// Batch is the most packets one Send takes.
func (s *Sender) Batch() int { return len(s.msgs) }

// Send sends every packet in pkts (at most Batch of them), each an IPv4
// packet whose destination is read from its header. It retries the rest of
// a partial batch and waits out a full socket buffer (ENOBUFS). A packet the
// kernel refuses for its destination alone (unreachable, or dropped by a
// local firewall) is skipped, not fatal. It returns how many were sent, and
// an error only for a failure that stops the scan.
func (s *Sender) Send(pkts [][]byte) (int, error) {
	if len(pkts) > len(s.msgs) {
		return 0, fmt.Errorf("send %d packets: batch holds %d", len(pkts), len(s.msgs))
	}
	for i, p := range pkts {
		if len(p) < 20 {
			return 0, fmt.Errorf("send: packet %d is %d bytes, shorter than an IPv4 header", i, len(p))
		}
		s.bufs[i] = p
		copy(s.addrs[i].IP, p[16:20])
	}
	done, sent := 0, 0
	for done < len(pkts) {
		n, err := s.w.WriteBatch(s.msgs[done:len(pkts)], 0)
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
			return sent, fmt.Errorf("send: %w", err)
		}
	}
	return sent, nil
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
