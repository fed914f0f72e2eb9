package target

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// FuzzParseTarget checks that ParseTarget never panics, that its errors are
// *SyntaxError values naming the input, and that a parsed Range round-trips
// through String.
func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"198.18.0.1", "198.18.0.0/24", "198.18.0.77/24", "198.18.0.1-198.18.0.9", "0.0.0.0/0", "10.0.0.0/33", "1.2.3.010"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseTarget(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Token != s {
				t.Fatalf("ParseTarget(%q) error %v does not name the token", s, err)
			}
			return
		}
		if r.First > r.Last {
			t.Fatalf("ParseTarget(%q) = %v, a reversed range", s, r)
		}
		back, err := ParseTarget(r.String())
		if err != nil || back != r {
			t.Fatalf("ParseTarget(%q) = %v; reparsing %q gives %v, %v", s, r, r.String(), back, err)
		}
	})
}

// FuzzParsePorts checks that ParsePorts never panics, that a parsed set
// round-trips through String, and that At and Index agree.
func FuzzParsePorts(f *testing.F) {
	for _, s := range []string{"80", "1-1024", "22,80,8000-8100", "443,80,80,79-81", "0", "65536", "90-80", "22,,80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePorts(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || !strings.Contains(s, se.Token) {
				t.Fatalf("ParsePorts(%q) error %v does not name an element", s, err)
			}
			return
		}
		back, err := ParsePorts(p.String())
		if err != nil || !back.Equal(p) {
			t.Fatalf("ParsePorts(%q) = %v; reparsing gives %v, %v", s, p, back, err)
		}
		if p.Len() < 1 || p.Len() > 65535 {
			t.Fatalf("ParsePorts(%q).Len() = %d", s, p.Len())
		}
		for _, i := range []int{0, p.Len() / 2, p.Len() - 1} {
			port := p.At(i)
			if j, ok := p.Index(port); !ok || j != i || port == 0 {
				t.Fatalf("ParsePorts(%q): At(%d) = %d, Index(%d) = %d, %v", s, i, port, port, j, ok)
			}
		}
	})
}

// FuzzReadTargets checks that ReadTargets never panics, that every target it
// returns is valid, and that writing them back out reads the same list.
func FuzzReadTargets(f *testing.F) {
	for _, s := range []string{
		"198.18.0.1\n198.18.1.0/24\n",
		"# lab\n198.18.0.1 198.18.0.2,198.18.0.3 # three\r\n\n",
		"198.18.0.1-198.18.0.9\n10.0.0.0/33\n",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rs, err := ReadTargets(strings.NewReader(s), "fuzz")
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || !strings.HasPrefix(err.Error(), "fuzz:") {
				t.Fatalf("ReadTargets(%q) error %v is not a located *SyntaxError", s, err)
			}
			return
		}
		var b strings.Builder
		for _, r := range rs {
			if r.First > r.Last {
				t.Fatalf("ReadTargets(%q) returned reversed range %v", s, r)
			}
			b.WriteString(r.String())
			b.WriteString("\n")
		}
		back, err := ReadTargets(strings.NewReader(b.String()), "fuzz")
		if err != nil || !slices.Equal(back, rs) {
			t.Fatalf("ReadTargets(%q) = %v; reading them back gives %v, %v", s, rs, back, err)
		}
	})
}
