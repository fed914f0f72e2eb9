package svcprobe

import (
	"errors"
	"fmt"
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// Bytes, not text.
//
// nmap runs its patterns with PCRE in byte mode: one byte is one character,
// and \xff matches the byte 0xff. Go's regexp decodes its input as UTF-8
// instead. A byte such as 0xff, which is not valid UTF-8, reads as U+FFFD and
// never matches the pattern \xff, and a valid two-byte sequence counts as a
// single character for '.', which shifts every fixed-width field in a binary
// banner (MySQL's ^.\0\0\0\x0a, say).
//
// So both sides are widened the same way. latin1 turns each response byte b
// into the rune U+00bb, whose UTF-8 form is one byte for b < 0x80 and two
// above; and convertPCRE writes each byte a pattern names, through \xHH, \0,
// octal or a raw byte in the file, as \x{bb}, and each character class as
// the exact set of bytes PCRE would match. One byte is then one character
// on both sides, offsets of captures map back to bytes one rune per byte
// (unlatin1), and ASCII-only input, the common case, is unchanged.

// latin1 returns b with each byte widened to the rune of the same value, as
// UTF-8.
func latin1(b []byte) string {
	n := len(b)
	for _, c := range b {
		if c >= utf8.RuneSelf {
			n++
		}
	}
	if n == len(b) {
		return string(b)
	}
	var sb strings.Builder
	sb.Grow(n)
	for _, c := range b {
		if c < utf8.RuneSelf {
			sb.WriteByte(c)
		} else {
			sb.WriteByte(0xc0 | c>>6)
			sb.WriteByte(0x80 | c&0x3f)
		}
	}
	return sb.String()
}

// unlatin1 reverses latin1 on a substring of its result. Runes above U+00FF,
// which latin1 never produces, are dropped.
func unlatin1(s string) []byte {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r <= 0xff {
			b = append(b, byte(r))
		}
	}
	return b
}

// errUnsupported marks a PCRE construct that RE2 cannot express.
type errUnsupported string

func (e errUnsupported) Error() string { return string(e) }

// convertPCRE rewrites the PCRE pattern pat, run with nmap's flags i
// (caseless) and s (dot matches newline), as an RE2 pattern over latin1
// input. It returns an error for constructs RE2 lacks; Go's parser catches
// the rest when the result is compiled.
//
// The rewrites:
//   - every byte the pattern names, by \0, \0dd (octal), \xH, \xHH,
//     \x{HH}, \e, \cX or literally when >= 0x80, becomes \x{HH} (see the
//     note on latin1 above);
//   - every character class, [...] and \d \w \s \h \v and their
//     complements, becomes the exact set of bytes PCRE matches, such as
//     [\x{09}-\x{0d} ] for \s (PCRE's \s has the vertical tab, RE2's not);
//   - with i, each ASCII letter becomes [aA] and classes gain the other case
//     of their ASCII letters, before a ^ complements them. RE2's (?i) is not
//     used: it would also fold Latin-1 letters (é and É), which PCRE in the
//     C locale does not;
//   - $ and \Z become (?:\n?\z): without the m flag, PCRE's $ also matches
//     before a final newline, RE2's only at the very end. That consumes the
//     newline, which is only harmless when no capture group holds the $ and
//     nothing but the end of the pattern follows it; other uses are
//     unsupported;
//   - (?#...) comments are dropped, and the header-skipping lookahead idiom
//     of nmap's HTTP lines is rewritten without one (rewriteHeaderLines);
//   - backreferences, other lookarounds, atomic groups, recursion,
//     callouts, conditionals, \G \K \R \X and \p inside classes are
//     unsupported. Possessive quantifiers (*+ ++ ?+) are left for RE2 to
//     reject.
func convertPCRE(pat string, caseless, dotall bool) (string, error) {
	pat = rewriteHeaderLines(pat)
	var b strings.Builder
	b.Grow(len(pat) + 16)
	if dotall {
		b.WriteString("(?s)")
	}
	var groups []bool // open groups: true for capturing ones
	for i := 0; i < len(pat); i++ {
		c := pat[i]
		switch {
		case c == '\\':
			if i+1 == len(pat) {
				return "", errors.New("trailing backslash")
			}
			if pat[i+1] == 'Z' {
				if err := checkDollar(pat, i+2, groups, `\Z`); err != nil {
					return "", err
				}
				b.WriteString(`(?:\n?\z)`)
				i++
				continue
			}
			n, err := convertEscape(&b, pat, i+1, caseless)
			if err != nil {
				return "", err
			}
			i += n
		case c == '[':
			set, n, err := parseClass(pat[i:], caseless)
			if err != nil {
				return "", err
			}
			set.write(&b)
			i += n - 1
		case c == '$':
			if err := checkDollar(pat, i+1, groups, "$"); err != nil {
				return "", err
			}
			b.WriteString(`(?:\n?\z)`)
		case c == '(':
			rest := pat[i+1:]
			if !strings.HasPrefix(rest, "?") {
				groups = append(groups, true)
				b.WriteByte(c)
				continue
			}
			if err := checkGroup(rest[1:]); err != nil {
				return "", err
			}
			if strings.HasPrefix(rest, "?#") {
				// A comment: RE2 has none, so drop it.
				end := strings.IndexByte(rest, ')')
				if end < 0 {
					return "", errors.New("unterminated comment (?#")
				}
				i += end + 1
				continue
			}
			named := strings.HasPrefix(rest, "?<") || strings.HasPrefix(rest, "?P<")
			groups = append(groups, named)
			b.WriteByte(c)
		case c == ')':
			if len(groups) > 0 {
				groups = groups[:len(groups)-1]
			}
			b.WriteByte(c)
		default:
			writeSyntax(&b, c, caseless)
		}
	}
	return b.String(), nil
}

// checkDollar reports an error unless a $ (or \Z) whose pattern resumes at
// pat[i] can become (?:\n?\z): no open capture group may hold it, and
// nothing but the end of the pattern may follow it.
func checkDollar(pat string, i int, groups []bool, what string) error {
	for _, capturing := range groups {
		if capturing {
			return errUnsupported(what + " inside a capture group")
		}
	}
	if !onlyEndFollows(pat, i) {
		return errUnsupported(what + " followed by more pattern")
	}
	return nil
}

// onlyEndFollows reports whether, from pat[i] on, the pattern can only match
// the empty string at the end of the input: it holds nothing but closing
// parentheses (and their quantifiers), other $, \z and \Z anchors, and the
// other branches of alternations, which do not follow.
func onlyEndFollows(pat string, i int) bool {
	for i < len(pat) {
		switch c := pat[i]; {
		case c == '$':
			i++
		case c == '\\' && i+1 < len(pat) && (pat[i+1] == 'z' || pat[i+1] == 'Z'):
			i += 2
		case c == ')':
			i = skipQuantifier(pat, i+1)
		case c == '|':
			j := closingParen(pat, i)
			if j < 0 {
				return true
			}
			i = j
		default:
			return false
		}
	}
	return true
}

// skipQuantifier returns the index after the quantifier (and its lazy or
// possessive mark) at pat[i], or i if there is none.
func skipQuantifier(pat string, i int) int {
	if i >= len(pat) {
		return i
	}
	switch pat[i] {
	case '*', '+', '?':
		i++
	case '{':
		j := i + 1
		for j < len(pat) && (pat[j] >= '0' && pat[j] <= '9' || pat[j] == ',') {
			j++
		}
		if j == i+1 || j >= len(pat) || pat[j] != '}' {
			return i
		}
		i = j + 1
	default:
		return i
	}
	if i < len(pat) && (pat[i] == '?' || pat[i] == '+') {
		i++
	}
	return i
}

// closingParen returns the index of the ')' that closes the group holding
// pat[i], or -1 when pat[i] is at the top level.
func closingParen(pat string, i int) int {
	depth := 0
	for ; i < len(pat); i++ {
		switch pat[i] {
		case '\\':
			i++
		case '[':
			if _, n, err := parseClass(pat[i:], false); err == nil {
				i += n - 1
			}
		case '(':
			depth++
		case ')':
			if depth == 0 {
				return i
			}
			depth--
		}
	}
	return -1
}

// The idiom nmap's HTTP, SIP and UPnP lines use to skip header lines up to
// the one they look for, without running past the blank line that ends the
// headers: each skipped line may not be followed by an empty one.
const (
	headerLinesAny      = `(?:[^\r\n]*\r\n(?!\r\n))*?`
	headerLinesNonEmpty = `(?:[^\r\n]+\r\n(?!\r\n))*?`
)

// rewriteHeaderLines removes the lookahead from the header-skipping idiom
// where that changes nothing, which brings back about 540 of the file's
// lines.
//
// Derivation. The idiom is (?:L(?!\r\n))*? X, with L a line [^\r\n]*\r\n
// and X the rest of the pattern. A line has exactly one way to match (up
// to the next \r\n), so the only choice is the number k of lines, which the
// lazy *? tries in the order 0, 1, 2... After line i < k the lookahead sees
// line i+1, and fails exactly when line i+1 is empty; after line k it sees
// the start of X. So when no match of X begins with \r, the idiom matches
// the same texts as "a first line that may be empty, then non-empty lines",
// (?:[^\r\n]*\r\n(?:[^\r\n]+\r\n)*?)??, which tries k in the same order.
// With [^\r\n]+ every line is non-empty already and only the lookahead
// after line k remains, which X's first character satisfies. X is known not
// to begin with \r when it starts with an ASCII letter or digit that no
// quantifier makes optional, which holds for all but one of nmap's uses;
// the rest keep the lookahead and are skipped.
func rewriteHeaderLines(pat string) string {
	if !strings.Contains(pat, `(?!\r\n))*?`) {
		return pat
	}
	var b strings.Builder
	for {
		i, idiom, repl := -1, "", ""
		if j := strings.Index(pat, headerLinesAny); j >= 0 {
			i, idiom, repl = j, headerLinesAny, `(?:[^\r\n]*\r\n(?:[^\r\n]+\r\n)*?)??`
		}
		if j := strings.Index(pat, headerLinesNonEmpty); j >= 0 && (i < 0 || j < i) {
			i, idiom, repl = j, headerLinesNonEmpty, `(?:[^\r\n]+\r\n)*?`
		}
		if i < 0 {
			b.WriteString(pat)
			return b.String()
		}
		end := i + len(idiom)
		if startsWithAlnum(pat[end:]) && !escaped(pat, i) {
			b.WriteString(pat[:i])
			b.WriteString(repl)
		} else {
			b.WriteString(pat[:end])
		}
		pat = pat[end:]
	}
}

// startsWithAlnum reports whether every match of the pattern x begins with
// an ASCII letter or digit: x starts with one that no quantifier makes
// optional.
func startsWithAlnum(x string) bool {
	if x == "" || !isAlnum(x[0]) {
		return false
	}
	return len(x) == 1 || (x[1] != '*' && x[1] != '?' && x[1] != '{')
}

// escaped reports whether pat[i] is preceded by an odd number of
// backslashes.
func escaped(pat string, i int) bool {
	n := 0
	for i > 0 && pat[i-1] == '\\' {
		n++
		i--
	}
	return n%2 == 1
}

// checkGroup rejects the group kinds that follow "(?" in PCRE but not RE2.
// rest is the pattern after "(?".
func checkGroup(rest string) error {
	kinds := []struct{ prefix, name string }{
		{"=", "lookahead (?="},
		{"!", "negative lookahead (?!"},
		{"<=", "lookbehind (?<="},
		{"<!", "negative lookbehind (?<!"},
		{">", "atomic group (?>"},
		{"|", "branch reset (?|"},
		{"(", "conditional (?("},
		{"R", "recursion (?R"},
		{"&", "subroutine call (?&"},
		{"P=", "named backreference (?P="},
		{"P>", "subroutine call (?P>"},
		{"C", "callout (?C"},
		{"'", "quoted group name (?'"},
	}
	for _, k := range kinds {
		if strings.HasPrefix(rest, k.prefix) {
			return errUnsupported(k.name)
		}
	}
	if rest != "" && (rest[0] >= '0' && rest[0] <= '9' || rest[0] == '+' || rest[0] == '-' && len(rest) > 1 && rest[1] >= '0' && rest[1] <= '9') {
		return errUnsupported("subroutine call (?" + rest[:1])
	}
	return nil
}

// convertEscape writes the RE2 form of the escape whose letter is at pat[i]
// (just after the backslash), outside a character class, and returns how
// many bytes after the backslash it consumed.
func convertEscape(b *strings.Builder, pat string, i int, caseless bool) (int, error) {
	c := pat[i]
	if set, ok := escapeSet(c); ok {
		set.write(b)
		return 1, nil
	}
	switch {
	case c >= '1' && c <= '9':
		return 0, errUnsupported("backreference \\" + string(c))
	case c == 'b' || c == 'B' || c == 'A' || c == 'z':
		// Word boundaries (ASCII in both) and text anchors.
		b.WriteByte('\\')
		b.WriteByte(c)
		return 1, nil
	case c == 'p' || c == 'P':
		// Unicode classes of the byte's code point, as PCRE without UTF.
		b.WriteByte('\\')
		b.WriteByte(c)
		return 1, nil
	case c == 'Q':
		// Quote up to \E, byte by byte.
		lit, n := pat[i+1:], len(pat)-i
		if end := strings.Index(lit, `\E`); end >= 0 {
			lit, n = lit[:end], 1+end+2
		}
		for j := 0; j < len(lit); j++ {
			writeByte(b, lit[j], caseless)
		}
		return n, nil
	case c == 'E':
		// A stray \E is ignored by PCRE.
		return 1, nil
	}
	v, n, err := escapeByte(pat, i, false)
	if err != nil {
		return 0, err
	}
	writeByte(b, v, caseless)
	return n, nil
}

// escapeByte decodes an escape that stands for one byte, whose letter is at
// pat[i], and returns the byte and how many bytes after the backslash it
// took. Inside a class \b is a backspace and \1..\7 start octal numbers.
func escapeByte(pat string, i int, inClass bool) (byte, int, error) {
	c := pat[i]
	switch {
	case c == '0' || inClass && c >= '1' && c <= '7':
		// Octal: \0 and up to two more digits, or up to three digits
		// inside a class.
		v, n := 0, 0
		for n < 3 && i+n < len(pat) && pat[i+n] >= '0' && pat[i+n] <= '7' {
			v = v*8 + int(pat[i+n]-'0')
			n++
		}
		if v > 0xff {
			return 0, 0, fmt.Errorf("octal escape \\%s above \\377", pat[i:i+n])
		}
		return byte(v), n, nil
	case c == 'x':
		if i+1 < len(pat) && pat[i+1] == '{' {
			end := strings.IndexByte(pat[i+2:], '}')
			if end < 0 {
				return 0, 0, errors.New("unterminated \\x{")
			}
			v, ok := parseHex(pat[i+2 : i+2+end])
			if !ok || end == 0 {
				return 0, 0, fmt.Errorf("bad hex escape \\x{%s}", pat[i+2:i+2+end])
			}
			if v > 0xff {
				return 0, 0, fmt.Errorf("\\x{%s} is above \\xff: patterns match bytes", pat[i+2:i+2+end])
			}
			return byte(v), 2 + end + 1, nil
		}
		// PCRE reads up to two hex digits; none means NUL.
		n := 0
		for n < 2 && i+1+n < len(pat) && isHex(pat[i+1+n]) {
			n++
		}
		v, _ := parseHex(pat[i+1 : i+1+n])
		return byte(v), 1 + n, nil
	case c == 'a':
		return '\a', 1, nil
	case c == 'b' && inClass:
		return '\b', 1, nil
	case c == 'e':
		return 0x1b, 1, nil
	case c == 'f':
		return '\f', 1, nil
	case c == 'n':
		return '\n', 1, nil
	case c == 'r':
		return '\r', 1, nil
	case c == 't':
		return '\t', 1, nil
	case c == 'c':
		if i+1 >= len(pat) || pat[i+1] >= utf8.RuneSelf {
			return 0, 0, errors.New("\\c without a control letter")
		}
		x := pat[i+1]
		if x >= 'a' && x <= 'z' {
			x -= 'a' - 'A'
		}
		return x ^ 0x40, 2, nil
	case isAlnum(c):
		return 0, 0, errUnsupported("escape \\" + string(c))
	default:
		// Escaped punctuation, space or a raw byte: itself.
		return c, 1, nil
	}
}

// byteSet is a set of bytes: a character class over latin1 input.
type byteSet [4]uint64

func (s *byteSet) add(lo, hi byte) {
	for c := int(lo); c <= int(hi); c++ {
		s[c>>6] |= 1 << (c & 63)
	}
}

func (s *byteSet) has(c byte) bool { return s[c>>6]&(1<<(c&63)) != 0 }

func (s *byteSet) union(t byteSet) {
	for i := range s {
		s[i] |= t[i]
	}
}

func (s *byteSet) negate() {
	for i := range s {
		s[i] = ^s[i]
	}
}

// fold adds the other case of each ASCII letter in s.
func (s *byteSet) fold() {
	for c := byte('A'); c <= 'Z'; c++ {
		if s.has(c) || s.has(c+'a'-'A') {
			s.add(c, c)
			s.add(c+'a'-'A', c+'a'-'A')
		}
	}
}

// write writes s as an RE2 class of the runes U+0000 to U+00FF.
func (s *byteSet) write(b *strings.Builder) {
	b.WriteByte('[')
	empty := true
	for c := 0; c < 256; c++ {
		if !s.has(byte(c)) {
			continue
		}
		lo := c
		for c+1 < 256 && s.has(byte(c+1)) {
			c++
		}
		empty = false
		writeClassByte(b, byte(lo))
		if c > lo {
			if c > lo+1 {
				b.WriteByte('-')
			}
			writeClassByte(b, byte(c))
		}
	}
	if empty {
		// Nothing matches; RE2 rejects [], so exclude everything.
		b.WriteString(`^\x00-\x{10FFFF}`)
	}
	b.WriteByte(']')
}

// writeClassByte writes c inside a class: itself when it is a letter or a
// digit, \x{HH} otherwise.
func writeClassByte(b *strings.Builder, c byte) {
	if isAlnum(c) {
		b.WriteByte(c)
		return
	}
	const hex = "0123456789abcdef"
	b.WriteString(`\x{`)
	b.WriteByte(hex[c>>4])
	b.WriteByte(hex[c&0xf])
	b.WriteByte('}')
}

// writeByte writes a pattern that matches the byte c, and its other case
// when caseless and c is an ASCII letter.
func writeByte(b *strings.Builder, c byte, caseless bool) {
	switch {
	case caseless && isAlpha(c):
		b.WriteByte('[')
		b.WriteByte(c &^ 0x20)
		b.WriteByte(c | 0x20)
		b.WriteByte(']')
	case isAlnum(c):
		b.WriteByte(c)
	default:
		writeClassByte(b, c)
	}
}

// writeSyntax writes a byte of the pattern that is not part of an escape or
// a class: ASCII letters fold when caseless, other ASCII is pattern syntax
// (or a literal) that RE2 reads as PCRE does, and other bytes are literals.
func writeSyntax(b *strings.Builder, c byte, caseless bool) {
	if c < utf8.RuneSelf && !(caseless && isAlpha(c)) {
		b.WriteByte(c)
		return
	}
	writeByte(b, c, caseless)
}

// escapeSet returns the set of a class escape: \d \w \s \h \v and their
// complements, with PCRE's meaning in byte mode and the C locale.
func escapeSet(c byte) (byteSet, bool) {
	var s byteSet
	switch c | 0x20 {
	case 'd':
		s.add('0', '9')
	case 'w':
		s.add('0', '9')
		s.add('A', 'Z')
		s.add('a', 'z')
		s.add('_', '_')
	case 's':
		s.add('\t', '\r') // \t \n \v \f \r
		s.add(' ', ' ')
	case 'h':
		s.add('\t', '\t')
		s.add(' ', ' ')
		s.add(0xa0, 0xa0)
	case 'v':
		s.add('\n', '\r')
		s.add(0x85, 0x85)
	default:
		return s, false
	}
	if c >= 'A' && c <= 'Z' {
		s.negate()
	}
	return s, true
}

// posixClasses are the [:name:] classes PCRE knows, in the C locale.
var posixClasses = map[string]func(*byteSet){
	"alpha":  func(s *byteSet) { s.add('A', 'Z'); s.add('a', 'z') },
	"digit":  func(s *byteSet) { s.add('0', '9') },
	"alnum":  func(s *byteSet) { s.add('0', '9'); s.add('A', 'Z'); s.add('a', 'z') },
	"upper":  func(s *byteSet) { s.add('A', 'Z') },
	"lower":  func(s *byteSet) { s.add('a', 'z') },
	"space":  func(s *byteSet) { s.add('\t', '\r'); s.add(' ', ' ') },
	"blank":  func(s *byteSet) { s.add('\t', '\t'); s.add(' ', ' ') },
	"punct":  func(s *byteSet) { s.add('!', '/'); s.add(':', '@'); s.add('[', '`'); s.add('{', '~') },
	"print":  func(s *byteSet) { s.add(' ', '~') },
	"graph":  func(s *byteSet) { s.add('!', '~') },
	"cntrl":  func(s *byteSet) { s.add(0, 0x1f); s.add(0x7f, 0x7f) },
	"xdigit": func(s *byteSet) { s.add('0', '9'); s.add('A', 'F'); s.add('a', 'f') },
	"word":   func(s *byteSet) { s.add('0', '9'); s.add('A', 'Z'); s.add('a', 'z'); s.add('_', '_') },
	"ascii":  func(s *byteSet) { s.add(0, 0x7f) },
}

// parseClass parses the PCRE class at the start of pat ("[...]") into the
// set of bytes it matches, and returns the set and the class's length.
func parseClass(pat string, caseless bool) (byteSet, int, error) {
	var set byteSet
	i := 1
	negated := i < len(pat) && pat[i] == '^'
	if negated {
		i++
	}
	first := true
	for {
		if i >= len(pat) {
			return set, 0, errors.New("missing ] at the end of a character class")
		}
		if pat[i] == ']' && !first {
			break
		}
		first = false
		// A POSIX class such as [:alpha:] or [:^alpha:].
		if pat[i] == '[' && i+1 < len(pat) && (pat[i+1] == ':' || pat[i+1] == '.' || pat[i+1] == '=') {
			if end := strings.Index(pat[i+2:], string(pat[i+1])+"]"); end >= 0 {
				if pat[i+1] != ':' {
					return set, 0, errUnsupported("POSIX collating element [" + pat[i+1:i+2])
				}
				name := pat[i+2 : i+2+end]
				neg := strings.HasPrefix(name, "^")
				add, ok := posixClasses[strings.TrimPrefix(name, "^")]
				if !ok {
					return set, 0, fmt.Errorf("unknown POSIX class [:%s:]", name)
				}
				var s byteSet
				add(&s)
				if neg {
					s.negate()
				}
				set.union(s)
				i += 2 + end + 2
				continue
			}
		}
		lo, n, isSet, s, err := classAtom(pat, i)
		if err != nil {
			return set, 0, err
		}
		i += n
		if isSet {
			set.union(s)
			continue
		}
		// A range lo-hi, unless the '-' ends the class or the other end
		// is a set, when the '-' is literal.
		if i+1 < len(pat) && pat[i] == '-' && pat[i+1] != ']' {
			hi, m, hiSet, _, err := classAtom(pat, i+1)
			if err != nil {
				return set, 0, err
			}
			if !hiSet {
				if hi < lo {
					return set, 0, fmt.Errorf("range out of order in character class")
				}
				set.add(lo, hi)
				i += 1 + m
				continue
			}
		}
		set.add(lo, lo)
	}
	if caseless {
		set.fold()
	}
	if negated {
		set.negate()
	}
	return set, i + 1, nil
}

// classAtom reads one member of a class at pat[i]: a byte, or a set such as
// \d. It returns the byte or the set and how many bytes it took.
func classAtom(pat string, i int) (c byte, n int, isSet bool, set byteSet, err error) {
	if pat[i] != '\\' {
		return pat[i], 1, false, set, nil
	}
	if i+1 >= len(pat) {
		return 0, 0, false, set, errors.New("trailing backslash")
	}
	if s, ok := escapeSet(pat[i+1]); ok {
		return 0, 2, true, s, nil
	}
	if pat[i+1] == 'p' || pat[i+1] == 'P' {
		return 0, 0, false, set, errUnsupported("\\" + pat[i+1:i+2] + " inside a character class")
	}
	v, m, err := escapeByte(pat, i+1, true)
	if err != nil {
		return 0, 0, false, set, err
	}
	return v, 1 + m, false, set, nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// parseHex parses up to 8 hex digits; it reports false for other input.
func parseHex(s string) (int, bool) {
	if len(s) > 8 {
		return 0, false
	}
	v := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			v = v*16 + int(c-'0')
		case c >= 'a' && c <= 'f':
			v = v*16 + int(c-'a'+10)
		case c >= 'A' && c <= 'F':
			v = v*16 + int(c-'A'+10)
		default:
			return 0, false
		}
	}
	return v, true
}

// parsePCRE converts pat and checks that RE2 accepts the result, which it
// returns to be compiled when first needed (see matchLine.regexp), with a
// filter that turns away most responses the pattern cannot match.
//
// Compiling every line at once would hold about 100 MiB of programs for
// nmap's 12,000 lines, most of which a scan never runs: the filter turns
// away most responses first. regexp.Compile fails only where syntax.Parse
// does, so a line that parses here compiles later.
func parsePCRE(pat string, caseless, dotall bool) (conv string, f filter, err error) {
	conv, err = convertPCRE(pat, caseless, dotall)
	if err != nil {
		return "", filter{}, err
	}
	re, err := syntax.Parse(conv, syntax.Perl)
	if err != nil {
		// Report Go's reason without the echoed pattern, which is the
		// converted one and confuses more than it helps.
		var se *syntax.Error
		if errors.As(err, &se) {
			return "", filter{}, errors.New(string(se.Code))
		}
		return "", filter{}, err
	}
	return conv, newFilter(re), nil
}
