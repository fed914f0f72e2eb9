package svcprobe

import (
	"errors"
	"io/fs"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// load parses text or fails the test.
func load(t testing.TB, text string) (*DB, Stats) {
	t.Helper()
	db, st, err := Load(strings.NewReader(text), "test")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return db, st
}

func TestLoadProbe(t *testing.T) {
	db, st := load(t, `# comment
Exclude T:9100-9107,U:53,T:1-2,3

Probe TCP NULL q||
totalwaitms 6000
tcpwrappedms 3000
match ssh m|^SSH-| p/x/

Probe UDP Kerberos q|\x6a\x81|
rarity 5
ports 88
match kerberos m|^~| p/y/

Probe TCP Hello q|EHLO\r\n\0\\\x7F\q|
rarity 8
ports 25,587, 10-12
sslports 465
fallback GetRequest, Kerberos
match smtp m=^220 (\S+)= p/Any/ h/$1/
softmatch smtp m|^2\d\d|i

Probe TCP GetRequest q|GET / HTTP/1.0\r\n\r\n|
match http m|^HTTP/|
`)
	want := Stats{Probes: 3, Matches: 5, Compiled: 5, UDP: 1}
	if !reflect.DeepEqual(st, want) {
		t.Errorf("Stats = %+v, want %+v", st, want)
	}

	null := db.Probe("NULL")
	if null == nil || len(null.Payload) != 0 || null.TotalWait != 6*time.Second || null.TCPWrapped != 3*time.Second || null.Rarity != defaultRarity {
		t.Errorf("NULL probe = %+v", null)
	}

	hello := db.Probe("Hello")
	if hello == nil {
		t.Fatal("no Hello probe")
	}
	if got, want := string(hello.Payload), "EHLO\r\n\x00\\\x7fq"; got != want {
		t.Errorf("Hello payload = %q, want %q", got, want)
	}
	if hello.Rarity != 8 || hello.TotalWait != DefaultTotalWait || !hello.TLSWrapped {
		t.Errorf("Hello = %+v", hello)
	}
	for _, c := range []struct {
		port uint16
		tls  bool
		want bool
	}{
		{25, false, true}, {587, false, true}, {10, false, true}, {12, false, true},
		{13, false, false}, {465, false, false}, {465, true, true}, {25, true, false},
	} {
		if got := hello.HasPort(c.port, c.tls); got != c.want {
			t.Errorf("Hello.HasPort(%d, %v) = %v, want %v", c.port, c.tls, got, c.want)
		}
	}
	var chain []string
	for _, p := range hello.chain {
		chain = append(chain, p.Name)
	}
	if want := []string{"Hello", "GetRequest", "Kerberos", "NULL"}; !reflect.DeepEqual(chain, want) {
		t.Errorf("Hello's chain = %q, want %q", chain, want)
	}

	if db.Probe("Kerberos") != nil {
		t.Error("Probe returned a UDP probe")
	}
	for port, want := range map[uint16]bool{9099: false, 9100: true, 9107: true, 9108: false, 53: false, 1: true, 2: true, 3: true} {
		if got := db.Excluded(port); got != want {
			t.Errorf("Excluded(%d) = %v, want %v", port, got, want)
		}
	}
}

func TestProbes(t *testing.T) {
	db, _ := load(t, `Probe TCP NULL q||
Probe TCP A q|a| 
rarity 3
Probe TCP B q|b|
rarity 1
ports 80
Probe TCP C q|c|
rarity 9
ports 80,443
Probe TCP D q|d|
rarity 1
sslports 443
Probe TCP E q|e|
rarity 8
Probe TCP F q|f|
`)
	names := func(ps []*Probe) string {
		var s []string
		for _, p := range ps {
			s = append(s, p.Name)
		}
		return strings.Join(s, " ")
	}
	for _, c := range []struct {
		port      uint16
		tls       bool
		intensity int
		want      string
	}{
		// NULL, then the probes listing the port by rarity (C despite
		// rarity 9), then the rest up to the intensity by rarity, file
		// order among equals (F has the default rarity 5).
		{80, false, 7, "NULL B C D A F"},
		{80, false, 9, "NULL B C D A F E"},
		{80, false, 0, "NULL B C"},
		{80, false, -3, "NULL B C"},
		{80, false, 99, "NULL B C D A F E"},
		{443, false, 7, "NULL C B D A F"},
		{443, true, 7, "NULL D B A F"},
		{22, false, 2, "NULL B D"},
	} {
		if got := names(db.Probes(c.port, c.tls, c.intensity)); got != c.want {
			t.Errorf("Probes(%d, %v, %d) = %s, want %s", c.port, c.tls, c.intensity, got, c.want)
		}
	}
	// The slice is the caller's.
	ps := db.Probes(80, false, 7)
	ps[0] = nil
	if db.Probes(80, false, 7)[0] == nil {
		t.Error("Probes returned a shared slice")
	}
}

func TestLoadSkipsUnsupported(t *testing.T) {
	_, st := load(t, `Probe TCP NULL q||
match a m|^a(?=b)|
match b m|^(a)\1|
match c m|^a{2000}|
match d m|^ok|
match e m|^(a$)|
`)
	if st.Matches != 5 || st.Compiled != 1 || st.Skipped != 4 {
		t.Errorf("Stats = %+v, want 5 lines, 1 compiled, 4 skipped", st)
	}
	want := []string{
		"test:2: match a: lookahead (?=",
		"test:3: match b: backreference \\1",
		"test:4: match c: invalid repeat count",
		"test:6: match e: $ inside a capture group",
	}
	if !reflect.DeepEqual(st.SkippedExamples, want) {
		t.Errorf("SkippedExamples = %q, want %q", st.SkippedExamples, want)
	}
}

func TestLoadErrors(t *testing.T) {
	for _, c := range []struct {
		name, text string
		line       int
		msg        string
	}{
		{"directive before probe", "match a m|a|\n", 1, "match line before any Probe line"},
		{"unknown top directive", "# x\nFoo bar\n", 2, `unknown directive "Foo"`},
		{"unknown directive", "Probe TCP A q|a|\nfoo 1\n", 2, `unknown directive "foo"`},
		{"protocol", "Probe SCTP A q|a|\n", 1, `Probe protocol "SCTP": want TCP or UDP`},
		{"name", "Probe TCP -A q|a|\n", 1, `Probe name "-A"`},
		{"name not ASCII", "Probe TCP A\x01 q|a|\n", 1, `Probe name "A\x01": want printable ASCII`},
		{"service not ASCII", "Probe TCP A q|a|\nmatch s\xc3\xa9 m|a|\n", 2, "service name \"s\u00e9\": want printable ASCII"},
		{"no payload", "Probe TCP A\n", 1, "want a payload like q|"},
		{"payload not q", "Probe TCP A x|a|\n", 1, "want a payload like q|"},
		{"unclosed payload", "Probe TCP A q|abc\n", 1, `payload has no closing '|'`},
		{"bad escape", "Probe TCP A q|\\x4|\n", 1, `\x needs two hex digits`},
		{"two NULL", "Probe TCP NULL q||\nProbe TCP Other q||\n", 2, "second NULL probe Other (the first is on line 1)"},
		{"rarity", "Probe TCP A q|a|\nrarity 10\n", 2, `rarity "10": want a whole number from 1 to 9`},
		{"totalwaitms", "Probe TCP A q|a|\ntotalwaitms 50\n", 2, "want milliseconds from 100 to 300000"},
		{"ports", "Probe TCP A q|a|\nports 80,http\n", 2, `ports: bad port or range "http"`},
		{"port range order", "Probe TCP A q|a|\nports 90-80\n", 2, `bad port or range "90-80"`},
		{"port too big", "Probe TCP A q|a|\nsslports 65536\n", 2, `sslports: bad port or range "65536"`},
		{"fallback unknown", "Probe TCP A q|a|\nfallback Nope\nProbe TCP B q|b|\n", 2, `fallback "Nope": no probe has that name`},
		{"fallback empty", "Probe TCP A q|a|\nfallback ,\n", 2, "fallback line names no probe"},
		{"exclude late", "Probe TCP A q|a|\nExclude T:1\n", 2, "Exclude line after a Probe line"},
		{"exclude twice", "Exclude T:1\nExclude T:2\n", 2, "second Exclude line"},
		{"exclude proto", "Exclude X:1\n", 1, `unknown protocol "X"`},
		{"match no pattern", "Probe TCP A q|a|\nmatch ssh\n", 2, "want a service name and a pattern"},
		{"match not m", "Probe TCP A q|a|\nmatch ssh p|x|\n", 2, `pattern must start with m`},
		{"match unclosed", "Probe TCP A q|a|\nmatch ssh m|^x\n", 2, "has no closing '|'"},
		{"match flag", "Probe TCP A q|a|\nmatch ssh m|^x|g\n", 2, `pattern flag 'g': want i or s`},
		{"match field", "Probe TCP A q|a|\nmatch ssh m|^x| z/y/\n", 2, `unknown field "z"`},
		{"match field unclosed", "Probe TCP A q|a|\nmatch ssh m|^x| p/y\n", 2, "has no closing '/'"},
		{"match field no text", "Probe TCP A q|a|\nsoftmatch ssh m|^x| p\n", 2, `"p" has no delimited text`},
		{"long line", "Probe TCP A q|" + strings.Repeat("a", maxLine) + "|\n", 1, "line longer than"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := Load(strings.NewReader(c.text), "f.probes")
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Load error = %v, want a *SyntaxError", err)
			}
			if se.File != "f.probes" || se.Line != c.line || !strings.Contains(se.Msg, c.msg) {
				t.Errorf("Load error = %v, want f.probes:%d: ...%s...", err, c.line, c.msg)
			}
			if !strings.HasPrefix(err.Error(), "f.probes:") {
				t.Errorf("error %q does not start with the file name", err)
			}
		})
	}
}

func TestLoadFileMissing(t *testing.T) {
	_, _, err := LoadFile(filepath.Join(t.TempDir(), "nope"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadFile error = %v, want fs.ErrNotExist", err)
	}
}

func TestNextTemplate(t *testing.T) {
	for _, c := range []struct{ in, mode, text, flags, rest string }{
		{"m|^a|s p/b/", "m", "^a", "s", " p/b/"},
		{"  m=a|b=i", "m", "a|b", "i", ""},
		{"cpe:/a:x:y:$1/a v/1/", "cpe:", "a:x:y:$1", "a", " v/1/"},
		{"p||", "p", "", "", ""},
		{"", "", "", "", ""},
	} {
		mode, text, flags, rest, err := nextTemplate(c.in)
		if err != nil || mode != c.mode || text != c.text || flags != c.flags || rest != c.rest {
			t.Errorf("nextTemplate(%q) = %q %q %q %q %v, want %q %q %q %q", c.in, mode, text, flags, rest, err, c.mode, c.text, c.flags, c.rest)
		}
	}
}
