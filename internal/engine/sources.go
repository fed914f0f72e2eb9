package engine

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/trawlscan/trawl/internal/netio"
	"github.com/trawlscan/trawl/internal/packet"
	"github.com/trawlscan/trawl/pkg/target"
)

// SourceFrom is one step of Config.Sources: the probes to First, an IPv4
// address in host order, and to every address after it up to the next
// step's First, go out from Source.
type SourceFrom struct {
	First  uint32
	Source netip.Addr
}

// sources gives each probe its source address and SYN template by
// destination, and tells the receiver which addresses are ours. It does
// not allocate after newSources, and is safe for concurrent reads.
type sources struct {
	addrs []uint32           // the distinct source addresses, host order
	tpls  []*packet.Template // a SYN template for each of addrs
	// firsts are the steps' first addresses, ascending, and index[i] the
	// index in addrs of step i's source; both nil when there is one
	// source, for a send loop as fast as before there were several.
	firsts []uint32
	index  []uint8
}

// newSources builds the sources of cfg: Sources if given, else Source.
func newSources(cfg Config) (sources, error) {
	steps := cfg.Sources
	if len(steps) == 0 {
		steps = []SourceFrom{{Source: cfg.Source}}
	}
	var s sources
	for i, st := range steps {
		if !st.Source.Is4() {
			return sources{}, fmt.Errorf("engine: source address %v is not IPv4", st.Source)
		}
		if i > 0 && st.First <= steps[i-1].First {
			return sources{}, errors.New("engine: Sources must be in ascending order of First")
		}
		a := target.HostOrder(st.Source)
		k := slices.Index(s.addrs, a)
		if k < 0 {
			if len(s.addrs) == netio.MaxSources {
				return sources{}, fmt.Errorf("engine: more than %d source addresses", netio.MaxSources)
			}
			tpl, err := packet.NewTemplate(a, cfg.SourcePort)
			if err != nil {
				return sources{}, err
			}
			k = len(s.addrs)
			s.addrs, s.tpls = append(s.addrs, a), append(s.tpls, tpl)
		}
		if n := len(s.index); n == 0 || int(s.index[n-1]) != k {
			s.firsts, s.index = append(s.firsts, st.First), append(s.index, uint8(k))
		}
	}
	if len(s.addrs) == 1 {
		s.firsts, s.index = nil, nil
	}
	return s, nil
}

// of returns the index in addrs of the source of probes to ip: that of
// the last step whose First is ip or below it, or of the first step for
// an address before them all. It is a binary search over the steps.
func (s *sources) of(ip uint32) int {
	// Find n, the number of steps with First <= ip: the invariant is
	// that firsts[:lo] are all <= ip and firsts[hi:] all > ip.
	lo, hi := 0, len(s.firsts)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if s.firsts[m] <= ip {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return int(s.index[max(lo-1, 0)])
}

// has reports whether a is one of the source addresses.
func (s *sources) has(a uint32) bool {
	for _, x := range s.addrs {
		if x == a {
			return true
		}
	}
	return false
}
