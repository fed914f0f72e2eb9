package target

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// Ports is a set of TCP ports, stored as sorted, disjoint, merged ranges, so
// even 1-65535 takes a few bytes. The zero value is the empty set. A Ports is
// read-only after ParsePorts and safe for concurrent use.
type Ports struct {
	spans []portSpan
}

// portSpan is an inclusive run of ports; before counts the ports in all
// earlier spans, so At and Index are binary searches.
type portSpan struct {
	first, last uint16
	before      int
}

// ParsePorts parses a port spec: comma-separated ports and inclusive ranges,
// as in "80", "1-1024" or "22,80,8000-8100". Duplicates and overlaps are
// merged. Port 0, ports above 65535, reversed ranges, spaces and empty
// elements are errors; each is a *SyntaxError naming the bad element.
func ParsePorts(spec string) (Ports, error) {
	if spec == "" {
		return Ports{}, &SyntaxError{Kind: "port", Token: spec, Reason: "empty port list; want e.g. 80, 1-1024 or 22,80,8000-8100"}
	}
	var rs [][2]uint16
	for elem := range strings.SplitSeq(spec, ",") {
		r, reason := parsePortRange(elem)
		if reason != "" {
			if elem == "" {
				reason += " in " + strconv.Quote(spec)
			}
			return Ports{}, &SyntaxError{Kind: "port", Token: elem, Reason: reason}
		}
		rs = append(rs, r)
	}
	slices.SortFunc(rs, func(a, b [2]uint16) int { return cmp.Compare(a[0], b[0]) })
	var p Ports
	n := 0
	for _, r := range rs {
		if k := len(p.spans) - 1; k >= 0 && int(r[0]) <= int(p.spans[k].last)+1 {
			if r[1] > p.spans[k].last {
				n += int(r[1] - p.spans[k].last)
				p.spans[k].last = r[1]
			}
			continue
		}
		p.spans = append(p.spans, portSpan{first: r[0], last: r[1], before: n})
		n += int(r[1]-r[0]) + 1
	}
	return p, nil
}

func parsePortRange(s string) ([2]uint16, string) {
	if s == "" {
		return [2]uint16{}, "empty element"
	}
	first, last, isRange := strings.Cut(s, "-")
	a, reason := parsePort(first)
	if reason != "" {
		return [2]uint16{}, reason
	}
	if !isRange {
		return [2]uint16{a, a}, ""
	}
	b, reason := parsePort(last)
	if reason != "" {
		return [2]uint16{}, reason
	}
	if a > b {
		return [2]uint16{}, "range start " + first + " > end " + last
	}
	return [2]uint16{a, b}, ""
}

func parsePort(s string) (uint16, string) {
	v, ok := parseUint(s, 65535)
	switch {
	case ok && v == 0:
		return 0, "port 0 cannot be scanned; ports are 1-65535"
	case ok:
		return uint16(v), ""
	case strings.Trim(s, "0123456789") == "" && s != "":
		return 0, "port " + s + " > 65535"
	default:
		return 0, "want a port (80) or an inclusive range (1-1024)"
	}
}

// Len returns the number of distinct ports in p.
func (p Ports) Len() int {
	if len(p.spans) == 0 {
		return 0
	}
	s := p.spans[len(p.spans)-1]
	return s.before + int(s.last-s.first) + 1
}

// At returns the i-th port of p in ascending order, for i in [0, Len()).
// It takes O(log ranges) time and panics if i is out of range.
func (p Ports) At(i int) uint16 {
	if i < 0 || i >= p.Len() {
		panic("target: Ports.At index out of range")
	}
	// The last span whose before <= i.
	lo, hi := 0, len(p.spans)
	for hi-lo > 1 {
		mid := int(uint(lo+hi) >> 1)
		if p.spans[mid].before <= i {
			lo = mid
		} else {
			hi = mid
		}
	}
	s := p.spans[lo]
	return s.first + uint16(i-s.before)
}

// Index returns the position of port in ascending order, the inverse of At,
// and false if port is not in p.
func (p Ports) Index(port uint16) (int, bool) {
	// The first span whose last >= port.
	lo, hi := 0, len(p.spans)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if p.spans[mid].last < port {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo == len(p.spans) || port < p.spans[lo].first {
		return 0, false
	}
	s := p.spans[lo]
	return s.before + int(port-s.first), true
}

// Equal reports whether p and q hold the same ports.
func (p Ports) Equal(q Ports) bool {
	return slices.Equal(p.spans, q.spans)
}

// String returns the canonical spec of p, such as "22,80,8000-8100", which
// ParsePorts reads back; the empty set is "".
func (p Ports) String() string {
	var b []byte
	for i, s := range p.spans {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendUint(b, uint64(s.first), 10)
		if s.last != s.first {
			b = append(b, '-')
			b = strconv.AppendUint(b, uint64(s.last), 10)
		}
	}
	return string(b)
}

// MarshalText implements encoding.TextMarshaler with String's format.
func (p Ports) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler with ParsePorts, so a
// *Ports can back a flag (flag.TextVar, pflag.TextVar).
func (p *Ports) UnmarshalText(text []byte) error {
	q, err := ParsePorts(string(text))
	if err != nil {
		return err
	}
	*p = q
	return nil
}
