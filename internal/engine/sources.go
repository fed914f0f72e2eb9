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

// SourceFrom is one step of Config.Sources: the probes to First, and to
// every address of its family after it up to the next step's First, go
// out from Source, an address of the same family.
type SourceFrom struct {
	First  target.Addr
	Source netip.Addr
}

// sources gives each probe its source address and SYN template by
// destination, and tells the receiver which addresses are ours. It does
// not allocate after newSources, and is safe for concurrent reads.
type sources struct {
	addrs []target.Addr       // the distinct source addresses
	tpls  []*packet.Template  // an IPv4 SYN template for each IPv4 one of addrs
	tpl6s []*packet.Template6 // an IPv6 SYN template for each IPv6 one
	// def4 and def6 index in addrs the first source of each family, -1
	// for none.
	def4, def6 int
	// firsts are the steps' first addresses, ascending, and index[i] the
	// index in addrs of step i's source; both nil when no family has more
	// than one source, for a send loop as fast as before there were
	// several.
	firsts []target.Addr
	index  []uint8
}

// newSources builds the sources of cfg: Sources if given, else Source.
func newSources(cfg Config) (sources, error) {
	steps := cfg.Sources
	if len(steps) == 0 {
		steps = []SourceFrom{{Source: cfg.Source}}
	}
	s := sources{def4: -1, def6: -1}
	many := false // a family has more than one source
	for i, st := range steps {
		if !st.Source.IsValid() || st.Source.Zone() != "" {
			return sources{}, fmt.Errorf("engine: source address %v is not an IPv4 or IPv6 address", st.Source)
		}
		if i > 0 && !steps[i-1].First.Less(st.First) {
			return sources{}, errors.New("engine: Sources must be in ascending order of First")
		}
		a := target.FromNetip(st.Source)
		if len(cfg.Sources) > 0 && a.Is4() != st.First.Is4() {
			return sources{}, fmt.Errorf("engine: source %v for targets from %v is of the other family", st.Source, st.First)
		}
		k := slices.Index(s.addrs, a)
		if k < 0 {
			if len(s.addrs) == netio.MaxSources {
				return sources{}, fmt.Errorf("engine: more than %d source addresses", netio.MaxSources)
			}
			var tpl *packet.Template
			var tpl6 *packet.Template6
			var err error
			def := &s.def6
			if a.Is4() {
				def = &s.def4
				tpl, err = packet.NewTemplate(a.V4(), cfg.SourcePort)
			} else {
				tpl6, err = packet.NewTemplate6(a, cfg.SourcePort)
			}
			if err != nil {
				return sources{}, err
			}
			k = len(s.addrs)
			if *def >= 0 {
				many = true
			} else {
				*def = k
			}
			s.addrs, s.tpls, s.tpl6s = append(s.addrs, a), append(s.tpls, tpl), append(s.tpl6s, tpl6)
		}
		if n := len(s.index); n == 0 || int(s.index[n-1]) != k {
			s.firsts, s.index = append(s.firsts, st.First), append(s.index, uint8(k))
		}
	}
	if !many {
		s.firsts, s.index = nil, nil
	}
	return s, nil
}

// of returns the index in addrs of the source of probes to ip: that of
// the last step whose First is ip or below it, if it is of ip's family,
// or else the family's first source. It is a binary search over the
// steps; without steps it is the family's source. It returns -1 if no
// source is of ip's family.
func (s *sources) of(ip target.Addr) int {
	def := s.def6
	if ip.Is4() {
		def = s.def4
	}
	if s.firsts == nil {
		return def
	}
	// Find n, the number of steps with First <= ip: the invariant is
	// that firsts[:lo] are all <= ip and firsts[hi:] all > ip.
	lo, hi := 0, len(s.firsts)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if !ip.Less(s.firsts[m]) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == 0 {
		return def
	}
	if k := int(s.index[lo-1]); s.addrs[k].Is4() == ip.Is4() {
		return k
	}
	return def
}

// has reports whether a is one of the source addresses.
func (s *sources) has(a target.Addr) bool {
	return slices.Contains(s.addrs, a)
}
