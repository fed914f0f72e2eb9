package target

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Range is an inclusive range of IPv4 addresses as host-order uint32, so
// 198.18.0.1 is 0xc6120001. First <= Last in every Range this package
// returns.
type Range struct {
	// First is the lowest address in the range.
	First uint32
	// Last is the highest address in the range, inclusive.
	Last uint32
}

// Len returns the number of addresses in r, from 1 to 2^32, or 0 if
// First > Last.
func (r Range) Len() uint64 {
	if r.First > r.Last {
		return 0
	}
	return uint64(r.Last-r.First) + 1
}

// Contains reports whether ip lies in r.
func (r Range) Contains(ip uint32) bool { return r.First <= ip && ip <= r.Last }

// String returns r in the shortest form that ParseTarget reads back:
// "198.18.0.1", "198.18.0.0/24" when r is exactly a CIDR block, and
// "198.18.0.1-198.18.0.9" otherwise.
func (r Range) String() string {
	var b []byte
	b = AppendIP(b, r.First)
	if r.First == r.Last {
		return string(b)
	}
	size := r.Len()
	if size&(size-1) == 0 && uint64(r.First)&(size-1) == 0 {
		b = append(b, '/')
		return string(strconv.AppendInt(b, int64(32-bits.TrailingZeros64(size)), 10))
	}
	b = append(b, '-')
	return string(AppendIP(b, r.Last))
}

// ParseTarget parses one target token: an address ("198.18.0.1"), a CIDR
// block ("198.18.0.0/24") or an inclusive range ("198.18.0.1-198.18.0.9").
// A CIDR block with host bits set is masked, as nmap and masscan do. Errors
// are *SyntaxError values that name the token, for example
// `bad target "10.0.0.0/33": prefix length 33 > 32`.
func ParseTarget(s string) (Range, error) {
	r, reason := parseRange(s)
	if reason != "" {
		return Range{}, &SyntaxError{Kind: "target", Token: s, Reason: reason}
	}
	return r, nil
}

func parseRange(s string) (Range, string) {
	if addr, length, ok := strings.Cut(s, "/"); ok {
		ip, reason := parseIPv4(addr)
		if reason != "" {
			return Range{}, reason
		}
		n, ok := parseUint(length, 32)
		switch {
		case ok:
		case length == "":
			return Range{}, "missing prefix length after /"
		case strings.Trim(length, "0123456789") == "":
			return Range{}, "prefix length " + length + " > 32"
		default:
			return Range{}, "prefix length " + length + " is not a number 0-32"
		}
		mask := uint32(^uint64(0) << (32 - n))
		return Range{First: ip & mask, Last: ip&mask | ^mask}, ""
	}
	if first, last, ok := strings.Cut(s, "-"); ok {
		a, reason := parseIPv4(first)
		if reason != "" {
			return Range{}, "range start: " + reason
		}
		b, reason := parseIPv4(last)
		if reason != "" {
			return Range{}, "range end: " + reason
		}
		if a > b {
			return Range{}, "range start " + first + " > end " + last
		}
		return Range{First: a, Last: b}, ""
	}
	if s == "" {
		return Range{}, "empty target"
	}
	ip, reason := parseIPv4(s)
	if reason != "" {
		return Range{}, reason + targetHint
	}
	return Range{First: ip, Last: ip}, ""
}

// ParseTargets parses target tokens as given on a command line. Each token
// may hold several targets separated by commas ("198.18.0.1,198.18.1.0/24");
// spaces around them are ignored, empty elements are an error. The ranges
// are returned in input order, not merged.
func ParseTargets(tokens []string) ([]Range, error) {
	var rs []Range
	for _, tok := range tokens {
		for elem := range strings.SplitSeq(tok, ",") {
			elem = strings.TrimSpace(elem)
			if elem == "" {
				return nil, &SyntaxError{Kind: "target", Token: tok, Reason: "empty element in comma-separated list"}
			}
			r, err := ParseTarget(elem)
			if err != nil {
				return nil, err
			}
			rs = append(rs, r)
		}
	}
	return rs, nil
}

// ReadTargets reads targets from r, one or more per line, separated by
// whitespace or commas. A '#' starts a comment that runs to the end of the
// line; blank lines are ignored. name labels errors, as in
// `targets.txt:3: bad target "x": ...`; a bad target is a wrapped
// *SyntaxError, a failed read wraps the reader's error.
func ReadTargets(r io.Reader, name string) ([]Range, error) {
	return readRanges(r, name, "target")
}

// readRanges reads ranges of kind "target" or "block" as ReadTargets
// describes.
func readRanges(r io.Reader, name, kind string) ([]Range, error) {
	br := bufio.NewReader(r)
	var rs []Range
	for line := 1; ; line++ {
		text, err := br.ReadString('\n')
		text, _, _ = strings.Cut(text, "#")
		for f := range strings.FieldsFuncSeq(text, isSeparator) {
			t, perr := parseKind(f, kind)
			if perr != nil {
				return nil, fmt.Errorf("%s:%d: %w", name, line, perr)
			}
			rs = append(rs, t)
		}
		switch {
		case err == io.EOF:
			return rs, nil
		case err != nil:
			return nil, fmt.Errorf("read %ss from %s: %w", kind, name, err)
		}
	}
}

func isSeparator(r rune) bool { return r == ',' || unicode.IsSpace(r) }

// merge sorts rs in place, merges overlapping and adjacent ranges, and
// returns the merged prefix of rs.
func merge(rs []Range) []Range {
	slices.SortFunc(rs, func(a, b Range) int { return cmp.Compare(a.First, b.First) })
	out := rs[:0]
	for _, r := range rs {
		if n := len(out); n > 0 && (out[n-1].Last == math.MaxUint32 || r.First <= out[n-1].Last+1) {
			out[n-1].Last = max(out[n-1].Last, r.Last)
			continue
		}
		out = append(out, r)
	}
	return out
}

// subtract returns the addresses of inc that are not in exc. Both must be
// merged (sorted, disjoint, non-adjacent); so is the result.
func subtract(inc, exc []Range) []Range {
	var out []Range
	j := 0
	for _, r := range inc {
		for j < len(exc) && exc[j].Last < r.First {
			j++
		}
		first := uint64(r.First) // uint64: one past 2^32-1 must not wrap
		for k := j; k < len(exc) && exc[k].First <= r.Last; k++ {
			if uint64(exc[k].First) > first {
				out = append(out, Range{First: uint32(first), Last: exc[k].First - 1})
			}
			first = uint64(exc[k].Last) + 1
		}
		if first <= uint64(r.Last) {
			out = append(out, Range{First: uint32(first), Last: r.Last})
		}
	}
	return out
}
