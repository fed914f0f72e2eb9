package target

import (
	"math"
	"math/bits"
	"strconv"
	"strings"
)

// Shard is slice Index of Count (1-based) of a scan's positions, so that
// Count scanners with the same seed split one scan between them. The zero
// value means 1/1, everything.
type Shard struct {
	// Index is the 1-based shard number, 1 <= Index <= Count.
	Index int
	// Count is the number of shards.
	Count int
}

// ParseShard parses "I/N", such as "1/4", with 1 <= I <= N. Errors are
// *SyntaxError values naming the token.
func ParseShard(s string) (Shard, error) {
	is, ns, _ := strings.Cut(s, "/")
	i, iok := parseUint(is, math.MaxInt32)
	n, nok := parseUint(ns, math.MaxInt32)
	switch {
	case !iok || !nok:
		return Shard{}, &SyntaxError{Kind: "shard", Token: s, Reason: "want I/N, such as 1/4"}
	case n == 0:
		return Shard{}, &SyntaxError{Kind: "shard", Token: s, Reason: "shard count must be at least 1"}
	case i == 0 || i > n:
		return Shard{}, &SyntaxError{Kind: "shard", Token: s, Reason: "shard number must be in 1.." + ns}
	}
	return Shard{Index: int(i), Count: int(n)}, nil
}

// Bounds returns the contiguous block [start, end) of the positions [0, n)
// that belongs to s: [n*(I-1)/N, n*I/N). The blocks of all shards of N are
// disjoint, cover [0, n), and differ in size by at most one. Bounds panics if
// s is neither the zero value nor a valid I/N.
func (s Shard) Bounds(n uint64) (start, end uint64) {
	i, c := s.norm()
	return part(n, i-1, c), part(n, i, c)
}

// part returns n*k/c rounded down, for k <= c, without overflow.
func part(n, k, c uint64) uint64 {
	hi, lo := bits.Mul64(n, k)
	q, _ := bits.Div64(hi, lo, c) // hi < k <= c, so the quotient fits
	return q
}

func (s Shard) norm() (index, count uint64) {
	if s == (Shard{}) {
		return 1, 1
	}
	if s.Count < 1 || s.Index < 1 || s.Index > s.Count {
		panic("target: invalid Shard " + strconv.Itoa(s.Index) + "/" + strconv.Itoa(s.Count))
	}
	return uint64(s.Index), uint64(s.Count)
}

// String returns s as "I/N"; the zero value is "1/1".
func (s Shard) String() string {
	if s == (Shard{}) {
		return "1/1"
	}
	return strconv.Itoa(s.Index) + "/" + strconv.Itoa(s.Count)
}

// MarshalText implements encoding.TextMarshaler with String's format.
func (s Shard) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler with ParseShard, so a
// *Shard can back a flag (flag.TextVar, pflag.TextVar).
func (s *Shard) UnmarshalText(text []byte) error {
	t, err := ParseShard(string(text))
	if err != nil {
		return err
	}
	*s = t
	return nil
}
