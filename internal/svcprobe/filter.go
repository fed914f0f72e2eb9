package svcprobe

import (
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// A filter is a cheap test that a response must pass before a line's
// regexp runs: Go's regexp has no way to try thousands of patterns at once,
// and most lines give up on a response at a fixed text they need.
//
// A filter only ever turns away responses its pattern cannot match. Case
// folding is ASCII-only: convertPCRE folds nothing else, and the only
// non-ASCII folds of ASCII letters (U+017F for s, U+212A for k) never occur
// in latin1 input.
type filter struct {
	// prefix is text every match starts with at offset 0, for patterns
	// that begin with ^ and literals.
	prefix string
	// prefixFold compares prefix ignoring ASCII case, when any of it is
	// caseless. That may let through a response the regexp then rejects,
	// never the other way.
	prefixFold bool
	// need is the longest literal every match contains, lower case when
	// needFold.
	need     string
	needFold bool
}

// newFilter derives the filter of the parsed pattern re.
func newFilter(re *syntax.Regexp) filter {
	var f filter
	f.prefix, f.prefixFold = anchoredPrefix(re)
	required(re, func(lit []rune, fold bool) {
		s, ok := literal(lit, fold)
		if ok && len(s) > len(f.need) {
			f.need, f.needFold = s, fold
		}
	})
	return f
}

// pass reports whether s, the latin1 form of a response, may match. lower
// returns s in ASCII lower case, computed once per response by the caller.
func (f *filter) pass(s string, lower func() string) bool {
	if f.prefix != "" && !hasPrefixFold(s, f.prefix, f.prefixFold) {
		return false
	}
	if f.need == "" {
		return true
	}
	if f.needFold {
		return strings.Contains(lower(), f.need)
	}
	return strings.Contains(s, f.need)
}

// anchoredPrefix returns the text that starts every match of re, when re
// begins with ^ and then literals, and whether some of it is caseless. A
// caseless literal ends the text at its first non-ASCII rune, whose folds
// hasPrefixFold does not know.
func anchoredPrefix(re *syntax.Regexp) (prefix string, fold bool) {
	if re.Op != syntax.OpConcat || len(re.Sub) < 2 || re.Sub[0].Op != syntax.OpBeginText {
		return "", false
	}
	var sb strings.Builder
	for _, lit := range re.Sub[1:] {
		if lit.Op != syntax.OpLiteral {
			break
		}
		f := lit.Flags&syntax.FoldCase != 0
		fold = fold || f
		for _, r := range lit.Rune {
			if f && r >= utf8.RuneSelf {
				return sb.String(), fold
			}
			sb.WriteRune(r)
		}
	}
	return sb.String(), fold
}

// required calls visit with each literal that every match of re contains:
// the literals of re's top-level sequence, looking into groups and into
// repetitions of at least one.
func required(re *syntax.Regexp, visit func(lit []rune, fold bool)) {
	switch re.Op {
	case syntax.OpLiteral:
		visit(re.Rune, re.Flags&syntax.FoldCase != 0)
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			required(sub, visit)
		}
	case syntax.OpCapture, syntax.OpPlus:
		required(re.Sub[0], visit)
	case syntax.OpRepeat:
		if re.Min >= 1 {
			required(re.Sub[0], visit)
		}
	}
}

// literal returns lit as text to look for, in ASCII lower case when fold.
// A caseless literal with non-ASCII runes is not used.
func literal(lit []rune, fold bool) (string, bool) {
	var sb strings.Builder
	for _, r := range lit {
		if fold {
			if r >= utf8.RuneSelf {
				return "", false
			}
			if r >= 'A' && r <= 'Z' {
				r += 'a' - 'A'
			}
		}
		sb.WriteRune(r)
	}
	return sb.String(), true
}

// hasPrefixFold reports whether s starts with prefix, ignoring ASCII case
// when fold is set.
func hasPrefixFold(s, prefix string, fold bool) bool {
	if len(s) < len(prefix) {
		return false
	}
	if !fold {
		return s[:len(prefix)] == prefix
	}
	for i := 0; i < len(prefix); i++ {
		a, b := s[i], prefix[i]
		if a == b {
			continue
		}
		if a|0x20 != b|0x20 || a|0x20 < 'a' || a|0x20 > 'z' {
			return false
		}
	}
	return true
}

// lowerASCII returns s with ASCII letters in lower case. Bytes of
// multi-byte runes are never ASCII letters, so s stays valid UTF-8.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; c >= 'A' && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
