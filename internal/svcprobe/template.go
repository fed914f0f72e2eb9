package svcprobe

import (
	"bytes"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// captures gives a template the groups of one regexp match.
type captures struct {
	s   string // the latin1 form of the response
	idx []int  // from FindStringSubmatchIndex
}

// group returns the bytes of capture group n (1 to 9). A group that took
// no part in the match is empty; one the pattern does not have is an
// error.
func (c captures) group(n int) ([]byte, bool) {
	if n < 1 || n > 9 || 2*n+1 >= len(c.idx) {
		return nil, false
	}
	lo, hi := c.idx[2*n], c.idx[2*n+1]
	if lo < 0 {
		return nil, true
	}
	return unlatin1(c.s[lo:hi]), true
}

// Field limits: nmap fills its fields into fixed buffers and leaves a field
// empty when its text does not fit. These are the lengths that fit.
var fieldMax = [numFields]int{
	fieldProduct:    79,
	fieldVersion:    79,
	fieldInfo:       255,
	fieldHostname:   79,
	fieldOSType:     31,
	fieldDeviceType: 31,
}

const cpeMax = 79

// expand fills the template tmpl with the groups in c, as nmap does:
//
//	$1 .. $9           the group's bytes
//	$P(n)              the group's printable ASCII bytes only, which turns
//	                   UTF-16 such as "W\0O\0R\0K\0" into "WORK"
//	$SUBST(n,"a","b")  the group with each "a" replaced by "b"
//	$I(n,">")          the group, 1 to 8 bytes, as an unsigned big-endian
//	                   integer in decimal ("<" for little-endian)
//
// Trailing spaces and commas are trimmed. cpe applies nmap's CPE escaping to
// substituted text (not to the template's own). expand reports false, and
// the field stays empty as in nmap, when the template is malformed, names a
// group the pattern lacks, or the result is longer than limit.
func expand(tmpl string, c captures, cpe bool, limit int) (string, bool) {
	var out []byte
	for tmpl != "" {
		i := strings.IndexByte(tmpl, '$')
		if i < 0 {
			out = append(out, tmpl...)
			break
		}
		out = append(out, tmpl[:i]...)
		sub, n, ok := substitute(tmpl[i:], c)
		if !ok {
			return "", false
		}
		if cpe {
			sub = cpeEscape(sub)
		}
		out = append(out, sub...)
		tmpl = tmpl[i+n:]
	}
	out = bytes.TrimRight(out, " \t\n\v\f\r,")
	if len(out) > limit {
		return "", false
	}
	return display(out), true
}

// substitute expands the variable at the start of s ("$2", "$P(2)", ...).
// It returns the text and how many bytes of s the variable took.
func substitute(s string, c captures) ([]byte, int, bool) {
	// s[0] == '$'
	if len(s) >= 2 && s[1] >= '0' && s[1] <= '9' {
		g, ok := c.group(int(s[1] - '0'))
		return g, 2, ok
	}
	open := strings.IndexByte(s, '(')
	if open < 2 || open > 16 {
		return nil, 0, false
	}
	cmd := s[1:open]
	args, n, ok := parseArgs(s[open+1:])
	if !ok {
		return nil, 0, false
	}
	n += open + 1
	if len(args) == 0 || args[0].str != nil {
		return nil, 0, false
	}
	g, ok := c.group(args[0].num)
	if !ok {
		return nil, 0, false
	}
	switch {
	case cmd == "P" && len(args) == 1:
		var out []byte
		for _, b := range g {
			if b >= 0x20 && b < 0x7f {
				out = append(out, b)
			}
		}
		return out, n, true
	case cmd == "SUBST" && len(args) == 3 && args[1].str != nil && args[2].str != nil:
		if len(args[1].str) == 0 {
			return g, n, true
		}
		return bytes.ReplaceAll(g, args[1].str, args[2].str), n, true
	case cmd == "I" && len(args) == 2 && len(args[1].str) == 1:
		if len(g) > 8 {
			return nil, 0, false
		}
		var v uint64
		switch args[1].str[0] {
		case '>':
			for _, b := range g {
				v = v<<8 | uint64(b)
			}
		case '<':
			for i := len(g) - 1; i >= 0; i-- {
				v = v<<8 | uint64(g[i])
			}
		default:
			return nil, 0, false
		}
		return strconv.AppendUint(nil, v, 10), n, true
	}
	return nil, 0, false
}

// arg is one argument of a template command: a number or a string.
type arg struct {
	num int
	str []byte // nil for a number
}

// parseArgs parses the arguments of a template command up to and including
// its ')': numbers (in C syntax: 12, 0x0c, 014) and double-quoted strings
// with C escapes, separated by commas. It returns them and the bytes used.
func parseArgs(s string) ([]arg, int, bool) {
	var args []arg
	i := 0
	for {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if i == len(s) || len(args) == 5 {
			return nil, 0, false
		}
		if s[i] == ')' && len(args) == 0 {
			return args, i + 1, true
		}
		if s[i] == '"' {
			j := i + 1
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(s) {
				return nil, 0, false
			}
			str, err := unescape(s[i+1 : j])
			if err != nil {
				return nil, 0, false
			}
			if str == nil {
				str = []byte{}
			}
			args = append(args, arg{str: str})
			i = j + 1
		} else {
			j := i
			for j < len(s) && isAlnum(s[j]) {
				j++
			}
			v, err := strconv.ParseInt(s[i:j], 0, 32)
			if err != nil {
				return nil, 0, false
			}
			args = append(args, arg{num: int(v)})
			i = j
		}
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if i == len(s) {
			return nil, 0, false
		}
		switch s[i] {
		case ',':
			i++
		case ')':
			return args, i + 1, true
		default:
			return nil, 0, false
		}
	}
}

// cpeEscape makes text safe inside a CPE name as nmap does: the characters
// CPE 2.2 reserves are percent-encoded, spaces become underscores and
// letters lower case.
func cpeEscape(b []byte) []byte {
	const reserved = ":/?#[]@!$&'()*+,;=%<>\""
	out := make([]byte, 0, len(b))
	for _, c := range b {
		switch {
		case strings.IndexByte(reserved, c) >= 0:
			const hex = "0123456789ABCDEF"
			out = append(out, '%', hex[c>>4], hex[c&0xf])
		case c == ' ':
			out = append(out, '_')
		case c >= 'A' && c <= 'Z':
			out = append(out, c+'a'-'A')
		default:
			out = append(out, c)
		}
	}
	return out
}

// display turns field bytes into a string safe to print and to put in JSON
// or XML: valid UTF-8 is kept and anything else read as Latin-1, and
// control characters are written as \xHH.
func display(b []byte) string {
	valid := utf8.Valid(b)
	clean := valid
	if valid {
		for _, r := range string(b) {
			if unicode.IsControl(r) {
				clean = false
				break
			}
		}
	}
	if clean {
		return string(b)
	}
	var sb strings.Builder
	write := func(r rune) {
		if unicode.IsControl(r) && r <= 0xff {
			const hex = "0123456789abcdef"
			sb.WriteString(`\x`)
			sb.WriteByte(hex[r>>4])
			sb.WriteByte(hex[r&0xf])
			return
		}
		sb.WriteRune(r)
	}
	if valid {
		for _, r := range string(b) {
			write(r)
		}
	} else {
		for _, c := range b {
			write(rune(c))
		}
	}
	return sb.String()
}
