package target

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
)

// ErrEmpty is returned, wrapped, by NewSpace when nothing is left to probe:
// no targets, every target excluded, or no ports.
var ErrEmpty = errors.New("nothing to scan")

// Space is the set of (host, port) probes: the include ranges minus the
// exclude ranges, times the ports. It holds only range lists, so its memory
// is O(ranges) however many probes it spans. A Space is read-only after
// NewSpace and safe for concurrent use.
type Space struct {
	spans  []hostSpan
	hosts  uint64
	ports  Ports
	nports uint64
	has4   bool
	has6   bool
}

// hostSpan is an inclusive run of hosts; before counts the hosts in all
// earlier spans, so Index and Lookup are binary searches.
type hostSpan struct {
	first, last Addr
	before      uint64
}

// ErrTooLarge is returned, wrapped, by NewSpace when the probes number
// more than MaxPermutation, 2^48.
var ErrTooLarge = errors.New("too many probes")

// NewSpace builds the probe space of include minus exclude, times ports.
// Overlapping and adjacent ranges are merged, so each address is probed once
// per port; IPv4 and IPv6 ranges mix freely. The inputs are not modified.
// If nothing remains, the error wraps ErrEmpty; if the probes number
// more than MaxPermutation, it wraps ErrTooLarge and names the largest
// range.
func NewSpace(include, exclude []Range, ports Ports) (*Space, error) {
	switch {
	case len(include) == 0:
		return nil, fmt.Errorf("%w: no targets", ErrEmpty)
	case ports.Len() == 0:
		return nil, fmt.Errorf("%w: no ports", ErrEmpty)
	}
	hosts := subtract(merge(slices.Clone(include)), merge(slices.Clone(exclude)))
	if len(hosts) == 0 {
		return nil, fmt.Errorf("%w: every target is excluded", ErrEmpty)
	}
	s := &Space{ports: ports, nports: uint64(ports.Len())}
	for _, r := range hosts {
		n := r.Len()
		total, carry := bits.Add64(s.hosts, n, 0)
		if hi, probes := bits.Mul64(total, s.nports); n == math.MaxUint64 || carry != 0 || hi != 0 || probes > MaxPermutation {
			return nil, fmt.Errorf("%w: the targets (the largest %s) times %d ports make more than 2^48 probes, the most a scan holds", ErrTooLarge, largest(hosts), s.nports)
		}
		s.spans = append(s.spans, hostSpan{first: r.First, last: r.Last, before: s.hosts})
		s.hosts = total
		if r.Is4() {
			s.has4 = true
		} else {
			s.has6 = true
		}
	}
	return s, nil
}

// largest returns the range of rs with the most addresses, the first of
// those if several tie.
func largest(rs []Range) Range {
	l := rs[0]
	for _, r := range rs {
		if r.Len() > l.Len() {
			l = r
		}
	}
	return l
}

// Len returns the number of probes, Hosts() × Ports().Len(), at most
// MaxPermutation.
func (s *Space) Len() uint64 { return s.hosts * s.nports }

// Hosts returns the number of distinct addresses in the space.
func (s *Space) Hosts() uint64 { return s.hosts }

// Has4 reports whether the space holds IPv4 addresses.
func (s *Space) Has4() bool { return s.has4 }

// Has6 reports whether the space holds IPv6 addresses.
func (s *Space) Has6() bool { return s.has6 }

// Ports returns the ports probed on every host.
func (s *Space) Ports() Ports { return s.ports }

// Ranges returns a copy of the merged host ranges, with excludes removed, in
// ascending order.
func (s *Space) Ranges() []Range {
	rs := make([]Range, len(s.spans))
	for i, sp := range s.spans {
		rs[i] = Range{First: sp.first, Last: sp.last}
	}
	return rs
}

// Index maps i in [0, Len()) to its probe. Probes are ordered host-major:
// i = hostIndex*Ports().Len() + portIndex, hosts and ports ascending. It
// takes O(log ranges) time, does not allocate, and panics if i >= Len().
func (s *Space) Index(i uint64) (ip Addr, port uint16) {
	if i >= s.Len() {
		panic("target: Space.Index out of range")
	}
	h, p := i/s.nports, i%s.nports
	// The last span whose before <= h.
	lo, hi := 0, len(s.spans)
	for hi-lo > 1 {
		mid := int(uint(lo+hi) >> 1)
		if s.spans[mid].before <= h {
			lo = mid
		} else {
			hi = mid
		}
	}
	sp := s.spans[lo]
	return sp.first.Add(h - sp.before), s.ports.At(int(p))
}

// Lookup is the inverse of Index: it returns the index of the probe
// (ip, port), and false if that probe is not in the space. It takes
// O(log ranges) time and does not allocate.
func (s *Space) Lookup(ip Addr, port uint16) (i uint64, ok bool) {
	p, ok := s.ports.Index(port)
	if !ok {
		return 0, false
	}
	// The first span whose last >= ip.
	lo, hi := 0, len(s.spans)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if s.spans[mid].last.Less(ip) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo == len(s.spans) || ip.Less(s.spans[lo].first) {
		return 0, false
	}
	sp := s.spans[lo]
	off, _ := ip.Sub(sp.first)
	return (sp.before+off)*s.nports + uint64(p), true
}
