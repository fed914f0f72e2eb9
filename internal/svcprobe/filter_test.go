package svcprobe

import (
	"regexp"
	"testing"
)

func TestFilter(t *testing.T) {
	for _, c := range []struct {
		pat, flags string
		want       filter
	}{
		{`^SSH-([\d.]+)-OpenSSH_([\w._-]+) Debian-(\S+)\r?\n`, "", filter{prefix: "SSH-", need: "-OpenSSH_"}},
		{`^220 \(vsFTPd (\S+)`, "", filter{prefix: "220 (vsFTPd ", need: "220 (vsFTPd "}},
		{`^\xff\xfb\x01`, "", filter{prefix: "\u00ff\u00fb\x01", need: "\u00ff\u00fb\x01"}},
		{`^HTTP/1\.[01] \d\d\d .*\r\nServer: nginx/([\d.]+)\r\n`, "s", filter{prefix: "HTTP/1.", need: "\r\nServer: nginx/"}},
		{`^HTTP/1\.0 200`, "i", filter{prefix: "HTTP/1.0 200", prefixFold: true, need: "/1.0 200"}},
		{`SSH-`, "", filter{need: "SSH-"}},
		{`(?:abc)+x{2}`, "", filter{need: "abc"}},
		{`^(?:a|b)cd?`, "", filter{need: "c"}},
		{`^a|^b`, "", filter{}},
		{`^a*b`, "", filter{need: "b"}},
		// é is not folded, so it is compared exactly.
		{"^caf\xe9 ", "i", filter{prefix: "CAF\u00e9 ", prefixFold: true, need: "caf", needFold: true}},
		{`^ab(?i:cd)`, "", filter{prefix: "abCD", prefixFold: true, need: "ab"}},
	} {
		_, got, err := parsePCRE(c.pat, c.flags == "i", c.flags == "s")
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("filter of /%s/%s = %#v, want %#v", c.pat, c.flags, got, c.want)
		}
	}
	if !hasPrefixFold("http/1.0", "HTTP/1.", true) || hasPrefixFold("HTTP/1.0", "HTTP/1!", true) || hasPrefixFold("[", "{", true) || hasPrefixFold("Ab", "ab", false) {
		t.Error("hasPrefixFold is wrong")
	}
	if got := lowerASCII("AbC\u00c9"); got != "abc\u00c9" {
		t.Errorf("lowerASCII = %q", got)
	}
}

// TestFilterNeverRejectsAMatch runs patterns on inputs their regexps match
// and checks that the filter lets each through.
func TestFilterNeverRejectsAMatch(t *testing.T) {
	for _, c := range []struct{ pat, flags, in string }{
		{`^HTTP/1\.0 200`, "i", "http/1.0 200 ok"},
		{`^(?:abc)+x`, "", "abcabcx"},
		{`Server: (\w+)`, "i", "HTTP/1.1 200\r\nSERVER: x"},
		{"^caf\xe9", "i", "CAF\xe9"},
		{`^\x{41}b`, "i", "aB"},
	} {
		conv, f, err := parsePCRE(c.pat, c.flags == "i", c.flags == "s")
		if err != nil {
			t.Fatal(err)
		}
		s := latin1([]byte(c.in))
		if !regexp.MustCompile(conv).MatchString(s) {
			t.Fatalf("/%s/%s does not match %q", c.pat, c.flags, c.in)
		}
		if !f.pass(s, func() string { return lowerASCII(s) }) {
			t.Errorf("filter %#v of /%s/%s rejects %q", f, c.pat, c.flags, c.in)
		}
	}
}
