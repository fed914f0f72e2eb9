package svcprobe

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"regexp"
	"regexp/syntax"
	"strings"
	"testing"
)

// TestAgreesWithPerl checks every line of nmap's file that Go compiles
// against Perl, whose regexes, like nmap's PCRE, match bytes. Inputs are
// drawn from each converted pattern (so that many match), then varied: a
// newline added, cut in half, letters in the other case, one byte changed.
// Both must agree on whether each matches and on groups 1 to 9.
func TestAgreesWithPerl(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: runs Perl on about 180,000 cases")
	}
	perl, err := exec.LookPath("perl")
	if err != nil {
		t.Skipf("no perl to compare with: %v", err)
	}
	realDB(t) // skip without the file
	f, err := os.Open(DefaultPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	type testCase struct {
		line       int
		flags, pat string
		in         []byte
		got        string // Go's answer, in the script's format
	}
	var cases []testCase
	rnd := rand.New(rand.NewSource(1))
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, maxLine)
	line := 0
	for sc.Scan() {
		line++
		l := sc.Text()
		if !strings.HasPrefix(l, "match ") && !strings.HasPrefix(l, "softmatch ") {
			continue
		}
		_, rest, _ := strings.Cut(l, " ")
		_, rest, _ = strings.Cut(rest, " ")
		_, pat, flags, _, err := nextTemplate(rest)
		if err != nil {
			t.Fatal(err)
		}
		caseless, dotall := strings.Contains(flags, "i"), strings.Contains(flags, "s")
		conv, _, err := parsePCRE(pat, caseless, dotall)
		if err != nil {
			continue // skipped lines are counted elsewhere
		}
		re := regexp.MustCompile(conv)
		tree, _ := syntax.Parse(conv, syntax.Perl)
		fl := ""
		if caseless {
			fl += "i"
		}
		if dotall {
			fl += "s"
		}
		for _, in := range variants(rnd, tree) {
			cases = append(cases, testCase{line, fl, pat, in, goAnswer(re, in)})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}

	var stdin bytes.Buffer
	for i, c := range cases {
		fmt.Fprintf(&stdin, "%d\t%s\t%x\t%x\n", i, c.flags, c.pat, c.in)
	}
	cmd := exec.Command(perl, "testdata/pcre_check.pl")
	cmd.Stdin = &stdin
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("perl: %v", err)
	}
	answers := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(answers) != len(cases) {
		t.Fatalf("perl answered %d of %d cases", len(answers), len(cases))
	}
	matched, bad, disagree := 0, 0, 0
	for i, a := range answers {
		_, want, _ := strings.Cut(a, "\t")
		c := cases[i]
		if strings.HasPrefix(c.got, "1") {
			matched++
		}
		if want == "BAD" {
			bad++
			continue
		}
		if want != c.got {
			disagree++
			if disagree <= 10 {
				t.Errorf("line %d /%s/%s on %q:\n\tGo:   %q\n\tPerl: %q", c.line, c.pat, c.flags, c.in, c.got, want)
			}
		}
	}
	t.Logf("%d cases, %d matched, %d patterns Perl rejected, %d disagreements", len(cases), matched, bad, disagree)
	if bad > len(cases)/100 {
		t.Errorf("Perl rejected %d cases", bad)
	}
}

// goAnswer runs re on in as Match does and formats the result as
// testdata/pcre_check.pl does.
func goAnswer(re *regexp.Regexp, in []byte) string {
	s := latin1(in)
	idx := re.FindStringSubmatchIndex(s)
	if idx == nil {
		return "0"
	}
	var b strings.Builder
	b.WriteString("1")
	for i := 1; i <= 9; i++ {
		if 2*i+1 < len(idx) && idx[2*i] >= 0 {
			b.WriteString("\t" + hex.EncodeToString(unlatin1(s[idx[2*i]:idx[2*i+1]])))
		} else {
			b.WriteString("\t-")
		}
	}
	return b.String()
}

// variants returns inputs for a pattern: real banners, strings drawn from
// the pattern and variations of one of them.
func variants(rnd *rand.Rand, re *syntax.Regexp) [][]byte {
	ins := [][]byte{[]byte(sshBanner), []byte(nginxOK), []byte(vsftpd), []byte(postfix), mariadbHandshake}
	for k := 0; k < 4; k++ {
		var b []byte
		generate(rnd, re, &b, 0)
		ins = append(ins, b)
		if k > 0 || len(b) == 0 {
			continue
		}
		nl := append(append([]byte{}, b...), '\n')
		crlf := append(append([]byte{}, b...), "\r\n\n"...)
		half := append([]byte{}, b[:len(b)/2]...)
		swapped := append([]byte{}, b...)
		for j, x := range swapped {
			if x >= 'a' && x <= 'z' || x >= 'A' && x <= 'Z' || x >= 0xc0 && x != 0xd7 && x != 0xf7 {
				swapped[j] ^= 0x20 // ASCII and Latin-1 letters
			}
		}
		changed := append([]byte{}, b...)
		changed[rnd.Intn(len(changed))] = byte(rnd.Intn(256))
		ins = append(ins, nl, crlf, half, swapped, changed)
	}
	return ins
}

// generate appends to b a random string that the parsed pattern re is
// likely to match, in bytes.
func generate(rnd *rand.Rand, re *syntax.Regexp, b *[]byte, depth int) {
	switch re.Op {
	case syntax.OpLiteral:
		for _, c := range re.Rune {
			if c > 0xff {
				continue
			}
			if re.Flags&syntax.FoldCase != 0 && rnd.Intn(2) == 0 && (c|0x20 >= 'a' && c|0x20 <= 'z') {
				c ^= 0x20
			}
			*b = append(*b, byte(c))
		}
	case syntax.OpCharClass:
		var opts []rune
		for i := 0; i+1 < len(re.Rune); i += 2 {
			lo, hi := re.Rune[i], min(re.Rune[i+1], 0xff)
			if lo > 0xff {
				continue
			}
			for k := 0; k < 3; k++ {
				opts = append(opts, lo+rune(rnd.Intn(int(hi-lo+1))))
			}
		}
		if len(opts) > 0 {
			*b = append(*b, byte(opts[rnd.Intn(len(opts))]))
		}
	case syntax.OpAnyCharNotNL:
		c := byte(rnd.Intn(256))
		if c == '\n' {
			c = 'x'
		}
		*b = append(*b, c)
	case syntax.OpAnyChar:
		*b = append(*b, byte(rnd.Intn(256)))
	case syntax.OpCapture:
		generate(rnd, re.Sub[0], b, depth)
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			generate(rnd, sub, b, depth)
		}
	case syntax.OpAlternate:
		generate(rnd, re.Sub[rnd.Intn(len(re.Sub))], b, depth)
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		lo, hi := 0, 3
		switch re.Op {
		case syntax.OpPlus:
			lo = 1
		case syntax.OpQuest:
			hi = 1
		case syntax.OpRepeat:
			lo, hi = re.Min, re.Max
			if hi < 0 {
				hi = lo + 3
			}
		}
		if depth > 6 {
			hi = lo
		}
		for n := lo + rnd.Intn(hi-lo+1); n > 0; n-- {
			generate(rnd, re.Sub[0], b, depth+1)
		}
	}
}
