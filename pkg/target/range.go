package target

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Range is an inclusive range of addresses of one family: IPv4 ranges lie
// in ::ffff:0:0/96, as Addr maps them. First <= Last in every Range this
// package returns, and no range it returns holds more than MaxRange
// addresses.
type Range struct {
	// First is the lowest address in the range.
	First Addr
	// Last is the highest address in the range, inclusive.
	Last Addr
}

// MaxRange is the most addresses one target may hold: MaxPermutation, the
// most probes a scan holds, so an IPv6 /80 on one port is the widest
// sweep; a wider target is refused, naming this limit. Blocks and
// excludes may be wider.
const MaxRange = MaxPermutation

// V4Range returns the Range of host-order IPv4 addresses first to last.
func V4Range(first, last uint32) Range { return Range{First: V4(first), Last: V4(last)} }

// Len returns the number of addresses in r, or 0 if First > Last. For a
// range of 2^64 addresses or more, which only a block can be, it returns
// math.MaxUint64.
func (r Range) Len() uint64 {
	if r.Last.Less(r.First) {
		return 0
	}
	n, ok := r.Last.Sub(r.First)
	if !ok || n == math.MaxUint64 {
		return math.MaxUint64
	}
	return n + 1
}

// Is4 reports whether r is a range of IPv4 addresses.
func (r Range) Is4() bool { return r.First.Is4() && r.Last.Is4() }

// Contains reports whether ip lies in r.
func (r Range) Contains(ip Addr) bool { return !ip.Less(r.First) && !r.Last.Less(ip) }

// String returns r in the shortest form that ParseTarget reads back:
// "198.18.0.1", "198.18.0.0/24" or "2001:db8::/120" when r is exactly a
// CIDR block, and "198.18.0.1-198.18.0.9" otherwise.
func (r Range) String() string {
	b := r.First.AppendTo(nil)
	if r.First == r.Last {
		return string(b)
	}
	if bits, ok := r.prefixLen(); ok {
		b = append(b, '/')
		return string(strconv.AppendInt(b, int64(bits), 10))
	}
	b = append(b, '-')
	return string(r.Last.AppendTo(b))
}

// prefixLen returns the prefix length of r if it is exactly a CIDR block
// of its family: First and Last differ in a run of low bits, all zero in
// First.
func (r Range) prefixLen() (int, bool) {
	xh, xl := r.First.Hi^r.Last.Hi, r.First.Lo^r.Last.Lo
	switch {
	case xl&(xl+1) != 0, xh != 0 && (xl != math.MaxUint64 || xh&(xh+1) != 0),
		r.First.Hi&xh != 0, r.First.Lo&xl != 0:
		return 0, false
	}
	host := bits.OnesCount64(xh) + bits.OnesCount64(xl)
	if r.Is4() {
		return 32 - host, true
	}
	return 128 - host, true
}

// ParseTarget parses one target token: an IPv4 or IPv6 address
// ("198.18.0.1", "2001:db8::1"), a CIDR block ("198.18.0.0/24",
// "2001:db8::/120") or an inclusive range of one family
// ("198.18.0.1-198.18.0.9", "2001:db8::1-2001:db8::ff"). A CIDR block with
// host bits set is masked, as nmap and masscan do. An IPv4-mapped IPv6
// address (::ffff:198.18.0.1) is the IPv4 address, and its prefix length
// counts all 128 bits, as in ::ffff:198.18.0.0/120. Errors are
// *SyntaxError values that name the token, for example
// `bad target "10.0.0.0/33": prefix length 33 > 32`; a target of more than
// MaxRange addresses is one.
func ParseTarget(s string) (Range, error) {
	return parseKind(s, "target")
}

// parseRange parses a target or block token as ParseTarget describes,
// without its limit on size.
func parseRange(s string) (Range, string) {
	if addr, length, ok := strings.Cut(s, "/"); ok {
		ip, reason := parseAddr(addr)
		if reason != "" {
			return Range{}, reason
		}
		width := uint64(128)
		if !strings.Contains(addr, ":") {
			width = 32
		}
		n, ok := parseUint(length, width)
		switch {
		case ok:
		case length == "":
			return Range{}, "missing prefix length after /"
		case strings.Trim(length, "0123456789") == "":
			return Range{}, "prefix length " + length + " > " + strconv.FormatUint(width, 10)
		default:
			return Range{}, "prefix length " + length + " is not a number 0-" + strconv.FormatUint(width, 10)
		}
		host := uint(width - n)
		hiMask, loMask := ^uint64(0), ^uint64(0)<<host
		if host >= 64 {
			hiMask, loMask = ^uint64(0)<<(host-64), 0
		}
		first := Addr{Hi: ip.Hi & hiMask, Lo: ip.Lo & loMask}
		r := Range{First: first, Last: Addr{Hi: first.Hi | ^hiMask, Lo: first.Lo | ^loMask}}
		if r.First.Is4() != r.Last.Is4() {
			return Range{}, "it holds both IPv6 and IPv4-mapped addresses; give the IPv4 ones apart"
		}
		return r, ""
	}
	if first, last, ok := strings.Cut(s, "-"); ok {
		a, reason := parseAddr(first)
		if reason != "" {
			return Range{}, "range start: " + reason
		}
		b, reason := parseAddr(last)
		if reason != "" {
			return Range{}, "range end: " + reason
		}
		switch {
		case a.Is4() != b.Is4():
			return Range{}, "range from " + first + " to " + last + " mixes IPv4 and IPv6"
		case b.Less(a):
			return Range{}, "range start " + first + " > end " + last
		case !a.Is4() && a.Less(V4(0)) && V4(math.MaxUint32).Less(b):
			return Range{}, "the range holds both IPv6 and IPv4-mapped addresses; give the IPv4 ones apart"
		}
		return Range{First: a, Last: b}, ""
	}
	if s == "" {
		return Range{}, "empty target"
	}
	ip, reason := parseAddr(s)
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
	return parseTokens(tokens, "target")
}

// parseTokens parses tokens of kind "target" or "block", as ParseTargets
// describes.
func parseTokens(tokens []string, kind string) ([]Range, error) {
	var rs []Range
	for _, tok := range tokens {
		for elem := range strings.SplitSeq(tok, ",") {
			elem = strings.TrimSpace(elem)
			if elem == "" {
				return nil, &SyntaxError{Kind: kind, Token: tok, Reason: "empty element in comma-separated list"}
			}
			r, err := parseKind(elem, kind)
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
	slices.SortFunc(rs, func(a, b Range) int { return a.First.Compare(b.First) })
	out := rs[:0]
	for _, r := range rs {
		// Ranges merge when they overlap, whatever their families (a
		// block such as ::/64 holds all of IPv4), and when they touch
		// within one family, so the last IPv4 address and the IPv6 one
		// after it stay apart.
		if n := len(out); n > 0 && (!out[n-1].Last.Less(r.First) || out[n-1].Last.Next() == r.First && out[n-1].Last.Is4() == r.First.Is4()) {
			if out[n-1].Last.Less(r.Last) {
				out[n-1].Last = r.Last
			}
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
		for j < len(exc) && exc[j].Last.Less(r.First) {
			j++
		}
		// first is the next address of r not yet excluded; done is set
		// once an exclusion runs to the top of the address space, past
		// which first would wrap.
		first, done := r.First, false
		for k := j; k < len(exc) && !r.Last.Less(exc[k].First); k++ {
			if first.Less(exc[k].First) {
				out = append(out, Range{First: first, Last: exc[k].First.Prev()})
			}
			if exc[k].Last.IsMax() {
				done = true
				break
			}
			first = exc[k].Last.Next()
		}
		if !done && !r.Last.Less(first) {
			out = append(out, Range{First: first, Last: r.Last})
		}
	}
	return out
}
