package svcprobe

import (
	"regexp"
	"strings"
	"testing"
)

// matchPCRE converts and compiles a PCRE pattern and runs it on in, as
// Match does, returning the captures or nil.
func matchPCRE(t *testing.T, pat, flags string, in []byte) []string {
	t.Helper()
	conv, _, err := parsePCRE(pat, strings.Contains(flags, "i"), strings.Contains(flags, "s"))
	if err != nil {
		t.Fatalf("parsePCRE(%q): %v", pat, err)
	}
	re := regexp.MustCompile(conv)
	s := latin1(in)
	idx := re.FindStringSubmatchIndex(s)
	if idx == nil {
		return nil
	}
	out := make([]string, len(idx)/2)
	for i := range out {
		if idx[2*i] >= 0 {
			out[i] = string(unlatin1(s[idx[2*i]:idx[2*i+1]]))
		}
	}
	return out
}

func TestConvertPCRE(t *testing.T) {
	for _, c := range []struct {
		pat, flags string
		in         string
		want       []string // captures 0..n; nil for no match
	}{
		// Bytes, by escape and raw.
		{`^\xff\xFE(.)`, "", "\xff\xfe\x80", []string{"\xff\xfe\x80", "\x80"}},
		{`^\0\x00\01\x4`, "", "\x00\x00\x01\x04", []string{"\x00\x00\x01\x04"}},
		{`^\01a`, "", "\x01a", []string{"\x01a"}},
		{`^\x{e9}\e\cA`, "", "\xe9\x1b\x01", []string{"\xe9\x1b\x01"}},
		{"^caf\xe9", "", "caf\xe9", []string{"caf\xe9"}},
		{"^caf\xc3\xa9", "", "café", []string{"café"}},
		// '.' is one byte, also for valid UTF-8 and for 0xff.
		{`^.\0\0\0\x0a(.)`, "s", "\xc3\x00\x00\x00\x0a\xa9", []string{"\xc3\x00\x00\x00\x0a\xa9", "\xa9"}},
		{`^..$`, "", "é", []string{"é"}},
		{`^a.b`, "", "a\nb", nil},
		{`^a.b`, "s", "a\nb", []string{"a\nb"}},
		// Escaped metacharacters stay literal.
		{`^\(\.\*\)\[\|\]\\`, "", `(.*)[|]\`, []string{`(.*)[|]\`}},
		{`^\Q(.*)\E+$`, "", "(.*)))", []string{"(.*)))"}},
		// Classes are byte sets.
		{`^[\x80-\xff]+`, "", "\x80\xc3\xa9\xffa", []string{"\x80\xc3\xa9\xff"}},
		{`^[^\0]+`, "", "ab\xff\x00c", []string{"ab\xff"}},
		{`^[]a]+`, "", "]a]b", []string{"]a]"}},
		{`^[^]a]+`, "", "bc]", []string{"bc"}},
		{`^[\w.-]+`, "", "a_b-1.2 ", []string{"a_b-1.2"}},
		{`^[a\-z]+`, "", "a-zb", []string{"a-z"}},
		{`^[\d-x]+`, "", "1-x2y", []string{"1-x2"}},
		{`^[[:alpha:][:digit:]]+`, "", "ab12_", []string{"ab12"}},
		{`^[[:^digit:]]+`, "", "ab1", []string{"ab"}},
		{`^[\1\12\b]+`, "", "\x01\n\x08a", []string{"\x01\n\x08"}},
		// PCRE's \s has the vertical tab; \h and \v exist.
		{`^\s+`, "", " \t\v\f\r\nx", []string{" \t\v\f\r\n"}},
		{`^\S+`, "", "x\vy", []string{"x"}},
		{`^[\s]+`, "", "\v ", []string{"\v "}},
		{`^\h\v`, "", "\xa0\x85", []string{"\xa0\x85"}},
		// Caseless: ASCII only, in and out of classes, before negation.
		{`^abc`, "i", "AbC", []string{"AbC"}},
		{`^[a-c]+`, "i", "aBcD", []string{"aBc"}},
		{`^[^a]+`, "i", "bcAa", []string{"bc"}},
		{"^\xe9", "i", "\xc9", nil},
		{`^[\xe0-\xff]`, "i", "\xc9", nil},
		{`^\x41`, "i", "a", []string{"a"}},
		// $ and \Z match at the end and before a final newline.
		{`^ab$`, "", "ab", []string{"ab"}},
		{`^ab$`, "", "ab\n", []string{"ab\n"}},
		{`^ab$`, "", "ab\n\n", nil},
		{`^(a)(?:b$|c)`, "", "ab\n", []string{"ab\n", "a"}},
		{`^a\Z`, "", "a\n", []string{"a\n"}},
		// Comments go.
		{`^a(?#comment)b`, "", "ab", []string{"ab"}},
		// The header-skipping idiom, rewritten.
		{`^HTTP/1\.1 200 OK\r\n(?:[^\r\n]*\r\n(?!\r\n))*?Server: (\S+)`, "", "HTTP/1.1 200 OK\r\nDate: x\r\nServer: a/1\r\n\r\n", []string{"HTTP/1.1 200 OK\r\nDate: x\r\nServer: a/1", "a/1"}},
		{`^HTTP/1\.1 200 OK\r\n(?:[^\r\n]*\r\n(?!\r\n))*?Server: (\S+)`, "", "HTTP/1.1 200 OK\r\nDate: x\r\n\r\nServer: a/1\r\n", nil},
		{`^HTTP/1\.1 200 OK\r\n(?:[^\r\n]+\r\n(?!\r\n))*?Server: (\S+)`, "", "HTTP/1.1 200 OK\r\nServer: a/1\r\n", []string{"HTTP/1.1 200 OK\r\nServer: a/1", "a/1"}},
	} {
		got := matchPCRE(t, c.pat, c.flags, []byte(c.in))
		if strings.Join(got, "\x00|") != strings.Join(c.want, "\x00|") || (got == nil) != (c.want == nil) {
			t.Errorf("/%s/%s on %q = %q, want %q", c.pat, c.flags, c.in, got, c.want)
		}
	}
}

func TestConvertPCREUnsupported(t *testing.T) {
	for pat, want := range map[string]string{
		`a(?=b)`:          "lookahead (?=",
		`a(?!b)`:          "negative lookahead (?!",
		`(?<=a)b`:         "lookbehind (?<=",
		`(?<!a)b`:         "negative lookbehind (?<!",
		`(?>a+)b`:         "atomic group (?>",
		`(a)\1`:           `backreference \1`,
		`(?P=n)`:          "named backreference (?P=",
		`(?(1)a|b)`:       "conditional (?(",
		`(?R)`:            "recursion (?R",
		`(?1)`:            "subroutine call (?1",
		`a\Gb`:            `escape \G`,
		`a\Kb`:            `escape \K`,
		`a\Rb`:            `escape \R`,
		`a\yb`:            `escape \y`,
		`[\pL]`:           `\p inside a character class`,
		`(a$)`:            "$ inside a capture group",
		`(a\Z)`:           `\Z inside a capture group`,
		`a$b`:             "$ followed by more pattern",
		`(?:a$)b`:         "$ followed by more pattern",
		`(?:a$|b)c`:       "$ followed by more pattern",
		`a++`:             "invalid nested repetition operator",
		`a{1001}`:         "invalid repeat count",
		`\x{100}`:         `\x{100} is above \xff`,
		`[a`:              "missing ] at the end of a character class",
		`[z-a]`:           "range out of order",
		`[[:nope:]]`:      "unknown POSIX class",
		`a\`:              "trailing backslash",
		`(?#never closed`: "unterminated comment",
	} {
		_, _, err := parsePCRE(pat, false, false)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parsePCRE(%q) error = %v, want %q", pat, err, want)
		}
	}
	// $ is fine where only the end can follow it.
	for _, pat := range []string{`a$`, `(?:a$)`, `(?:a$)?`, `(?:a$|b)$`, `a$|b`, `(?:(?:a$))*$`, `a$\z`, `[$]x`, `\$x`} {
		if _, _, err := parsePCRE(pat, false, false); err != nil {
			t.Errorf("parsePCRE(%q): %v", pat, err)
		}
	}
}

// TestHeaderLinesExhaustive checks rewriteHeaderLines' derivation on every
// input of up to 8 bytes over the alphabet that matters: each rewritten
// idiom must match exactly the inputs, and end exactly where, the lookahead
// form does, which headerReference computes by the definition.
func TestHeaderLinesExhaustive(t *testing.T) {
	for _, c := range []struct {
		idiom    string
		nonEmpty bool
	}{
		{headerLinesAny, false},
		{headerLinesNonEmpty, true},
	} {
		conv, _, err := parsePCRE("^"+c.idiom+"S", false, false)
		if err != nil {
			t.Fatal(err)
		}
		re := regexp.MustCompile(conv)
		alphabet := []byte("a\r\nS")
		var walk func(in []byte)
		n := 0
		walk = func(in []byte) {
			n++
			wantEnd, wantOK := headerReference(in, c.nonEmpty)
			loc := re.FindIndex(in)
			if (loc != nil) != wantOK || loc != nil && loc[1] != wantEnd {
				t.Fatalf("%s on %q: regexp %v, reference end %d ok %v", c.idiom, in, loc, wantEnd, wantOK)
			}
			if len(in) == 8 {
				return
			}
			for _, b := range alphabet {
				walk(append(in, b))
			}
		}
		walk(nil)
		if n != (1<<18-1)/3 { // 4^0 + ... + 4^8
			t.Fatalf("tried %d inputs", n)
		}
	}
}

// headerReference matches ^(?:L(?!\r\n))*?S by its definition, with L the
// line [^\r\n]*\r\n ([^\r\n]+\r\n when nonEmpty): the lazy loop tries S
// after 0, 1, 2... lines, each line has one way to match, and the lookahead
// after a line rejects a blank line next. It returns the end of the match.
func headerReference(in []byte, nonEmpty bool) (int, bool) {
	pos := 0
	for {
		if pos < len(in) && in[pos] == 'S' {
			return pos + 1, true
		}
		end := pos
		for end < len(in) && in[end] != '\r' && in[end] != '\n' {
			end++
		}
		if nonEmpty && end == pos || end+1 >= len(in) || in[end] != '\r' || in[end+1] != '\n' {
			return 0, false
		}
		pos = end + 2
		if pos+1 < len(in) && in[pos] == '\r' && in[pos+1] == '\n' {
			return 0, false
		}
	}
}

func TestRewriteHeaderLinesKeepsUnsafe(t *testing.T) {
	// After the idiom, \r or an optional letter could begin the rest, so
	// the lookahead stays and the line is skipped.
	for _, pat := range []string{
		headerLinesAny + `\r\nX`,
		headerLinesAny + `S?X`,
		headerLinesAny,
		`\` + headerLinesAny + "S",
	} {
		if got := rewriteHeaderLines(pat); got != pat {
			t.Errorf("rewriteHeaderLines(%q) = %q, want it unchanged", pat, got)
		}
	}
	got := rewriteHeaderLines("^A" + headerLinesAny + "Server: " + headerLinesNonEmpty + "X")
	if want := `^A(?:[^\r\n]*\r\n(?:[^\r\n]+\r\n)*?)??Server: (?:[^\r\n]+\r\n)*?X`; got != want {
		t.Errorf("rewriteHeaderLines = %q, want %q", got, want)
	}
}

func TestLatin1(t *testing.T) {
	var all []byte
	for i := 0; i < 256; i++ {
		all = append(all, byte(i))
	}
	s := latin1(all)
	if len([]rune(s)) != 256 {
		t.Errorf("latin1 of 256 bytes has %d runes", len([]rune(s)))
	}
	if got := unlatin1(s); string(got) != string(all) {
		t.Errorf("unlatin1(latin1(x)) != x")
	}
	if got := latin1([]byte("plain")); got != "plain" {
		t.Errorf("latin1(ASCII) = %q", got)
	}
}
