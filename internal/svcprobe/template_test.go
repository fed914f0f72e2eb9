package svcprobe

import (
	"reflect"
	"strings"
	"testing"
)

func TestTemplates(t *testing.T) {
	db, _ := load(t, `Probe TCP NULL q||
match printable m|^P(.*)\r\n$|s p/$P(1)/
match subst m|^S(\S+) (\S+)| v/$SUBST(1,"_",".")/ i/$SUBST( 2 , "--", "\x2d" )/
match int m|^I(..)(..)(.)|s v/$I(1,">").$I(2,"<")/ i/$I(3,">")/
match groups m|^G(a)?(b)(c)?| p/[$1][$2][$3]/ v/$2$2 , ,  /
match cpe m|^C (\S+) (\S+)| p/$1/ cpe:/a:vendor:Prod Name:$2/ cpe:/o:Linux:Linux_Kernel/ cpe:/o:debian:$1/a cpe:/h:hw/
match badvar m|^B(x)| p/$5/ v/$Q(1)/ i/$P(1/ h/$1 and $/ o/$1/
match long m|^L(.*)| v/$1/ i/$1/
match unicode m|^U(.*)|s p/$1/ v/$P(1)/
match bin m|^X(.*)|s i/$1/
`)
	for _, c := range []struct {
		in   string
		want Match
	}{
		{"PW\x00O\x00R\x00K\x00\xffG\r\n", Match{Service: "printable", Product: "WORKG"}},
		{"S1_2_3 a--b--c", Match{Service: "subst", Version: "1.2.3", Info: "a-b-c"}},
		{"I\x01\x02\x03\x04\xff", Match{Service: "int", Version: "258.1027", Info: "255"}},
		{"Gb", Match{Service: "groups", Product: "[][b][]", Version: "bb"}},
		{"Gabc", Match{Service: "groups", Product: "[a][b][c]", Version: "bb"}},
		{"C Debian-12 9.2+X/y", Match{Service: "cpe", Product: "Debian-12", CPE: []string{
			"cpe:/a:vendor:Prod Name:9.2%2Bx%2Fy", // only substituted text is escaped
			"cpe:/h:hw",
			"cpe:/o:debian:debian-12", // the last o wins, as in nmap
		}}},
		// A malformed or impossible template leaves its field empty,
		// and the other fields are still filled.
		{"Bx", Match{Service: "badvar", OSType: "x"}},
		// Fields longer than nmap's buffers are dropped, as nmap does.
		{"L" + strings.Repeat("v", 100), Match{Service: "long", Info: strings.Repeat("v", 100)}},
		{"L" + strings.Repeat("v", 300), Match{Service: "long"}},
		// Valid UTF-8 is kept; anything else reads as Latin-1.
		{"Ucafé", Match{Service: "unicode", Product: "café", Version: "caf"}},
		{"Ucaf\xe9", Match{Service: "unicode", Product: "café", Version: "caf"}},
		// Control characters are escaped; trailing space and commas go.
		{"Xa\x00b\x1b\tc\x7f, \r\n", Match{Service: "bin", Info: `a\x00b\x1b\x09c\x7f`}},
	} {
		got, ok := db.Match(nil, []byte(c.in))
		c.want.Probe = "NULL"
		got.Line = 0
		if !ok || !reflect.DeepEqual(got, c.want) {
			t.Errorf("Match(%q) =\n\t%+v, %v\nwant\n\t%+v", c.in, got, ok, c.want)
		}
	}
}

func TestParseArgs(t *testing.T) {
	for _, c := range []struct {
		in   string
		args []arg
		n    int
	}{
		{`1)`, []arg{{num: 1}}, 2},
		{`0x10, "a\"b", "\x41\\" )rest`, []arg{{num: 16}, {str: []byte(`a"b`)}, {str: []byte(`A\`)}}, 24},
		{`1,"")`, []arg{{num: 1}, {str: []byte{}}}, 5},
	} {
		args, n, ok := parseArgs(c.in)
		if !ok || n != c.n || !reflect.DeepEqual(args, c.args) {
			t.Errorf("parseArgs(%q) = %+v, %d, %v; want %+v, %d", c.in, args, n, ok, c.args, c.n)
		}
	}
	for _, in := range []string{``, `1`, `1,`, `"abc`, `x)`, `1 2)`, `1,2,3,4,5,6)`, `"\x4")`} {
		if args, _, ok := parseArgs(in); ok {
			t.Errorf("parseArgs(%q) = %+v, want failure", in, args)
		}
	}
}

func TestCPEEscape(t *testing.T) {
	if got, want := string(cpeEscape([]byte(`A b:c/d?e#f[g]h@i!j$k&l'm(n)o*p+q,r;s=t%u<v>w"x`))),
		"a_b%3Ac%2Fd%3Fe%23f%5Bg%5Dh%40i%21j%24k%26l%27m%28n%29o%2Ap%2Bq%2Cr%3Bs%3Dt%25u%3Cv%3Ew%22x"; got != want {
		t.Errorf("cpeEscape = %s, want %s", got, want)
	}
}
