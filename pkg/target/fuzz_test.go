package target

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

// FuzzParseTarget checks that ParseTarget never panics, that its errors are
// *SyntaxError values naming the input, that a parsed Range holds at most
// MaxRange addresses of one family and round-trips through String, that
// ParseBlocks takes the same token as a block of any size, and that both
// agree with net/netip on addresses and prefixes.
func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{
		"198.18.0.1", "198.18.0.0/24", "198.18.0.77/24", "198.18.0.1-198.18.0.9", "0.0.0.0/0", "10.0.0.0/33", "1.2.3.010",
		"2001:db8::1", "2001:DB8:0:0:0:0:0:1", "2001:db8::/120", "2001:db8::77/120", "2001:db8::1-2001:db8::ff",
		"::ffff:198.18.0.1", "::ffff:198.18.0.0/24", "::ffff:198.18.0.0/120", "::ffff:198.18.0.0/96", "::fffe:0:0/95", "::/80", "::/81",
		"2001:db8::/80", "2001:db8::/79", "::/65", "2001:db8::/64", "::/0", "fe80::/10", "2000::/3", "2001:db8::/129", "fe80::1%eth0",
		"2001:db8::1-198.18.0.1", "2001:db8::ff-2001:db8::1", "2001:db8::-2001:db8::ffff:ffff:ffff", "2001:db8::-2001:db8::1:0:0:0",
		"2001:db8::-2001:db8::ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/80", "::", "64:ff9b::198.18.0.1",
		"198.18.0.1:80", "255.255.255.255", "::1:0:0:0/120", "::fffe:ffff:ffff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseTarget(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Kind != "target" || se.Token != s {
				t.Fatalf("ParseTarget(%q) error %v does not name the token", s, err)
			}
		} else {
			if r.Last.Less(r.First) {
				t.Fatalf("ParseTarget(%q) = %v, a reversed range", s, r)
			}
			if r.Len() > MaxRange {
				t.Fatalf("ParseTarget(%q) = %v, of %d addresses, more than MaxRange", s, r, r.Len())
			}
			if r.First.Is4() != r.Last.Is4() {
				t.Fatalf("ParseTarget(%q) = %v, from one family to the other", s, r)
			}
			back, err := ParseTarget(r.String())
			if err != nil || back != r {
				t.Fatalf("ParseTarget(%q) = %v; reparsing %q gives %v, %v", s, r, r.String(), back, err)
			}
		}
		tooLarge := err != nil && strings.Contains(err.Error(), "the most a scan holds")

		// As a block, the token parses as it does as a target, but for
		// its size; every block round-trips through String.
		if s == strings.TrimSpace(s) && !strings.Contains(s, ",") {
			bs, berr := ParseBlocks([]string{s})
			var se *SyntaxError
			switch {
			case berr != nil && (!errors.As(berr, &se) || se.Kind != "block" || se.Token != s):
				t.Fatalf("ParseBlocks(%q) error %v does not name the token", s, berr)
			case berr != nil && (err == nil || tooLarge):
				t.Fatalf("ParseBlocks(%q) = %v; ParseTarget gives %v, %v", s, berr, r, err)
			case berr == nil && err != nil && !tooLarge:
				t.Fatalf("ParseBlocks(%q) = %v; ParseTarget refuses it for another reason than its size: %v", s, bs, err)
			case berr == nil && len(bs) != 1:
				t.Fatalf("ParseBlocks(%q) = %v; want one block", s, bs)
			case berr == nil && err == nil && bs[0] != r:
				t.Fatalf("ParseBlocks(%q) = %v; ParseTarget gives %v", s, bs, r)
			case berr == nil && tooLarge && bs[0].Len() <= MaxRange:
				t.Fatalf("ParseBlocks(%q) = %v, of %d addresses; ParseTarget says it is too large: %v", s, bs, bs[0].Len(), err)
			case berr == nil:
				b := bs[0]
				if b.Last.Less(b.First) || b.First.Is4() != b.Last.Is4() {
					t.Fatalf("ParseBlocks(%q) = %v, reversed or from one family to the other", s, b)
				}
				if back, err := ParseBlocks([]string{b.String()}); err != nil || !slices.Equal(back, bs) {
					t.Fatalf("ParseBlocks(%q) = %v; reparsing %q gives %v, %v", s, b, b.String(), back, err)
				}
			}
		}

		// An address alone parses as net/netip parses it, less the zone.
		if !strings.ContainsAny(s, "/-") {
			a, nerr := netip.ParseAddr(s)
			switch ok := nerr == nil && a.Zone() == ""; {
			case ok != (err == nil):
				t.Fatalf("ParseTarget(%q) = %v, %v; netip.ParseAddr gives %v, %v", s, r, err, a, nerr)
			case ok && r != (Range{First: FromNetip(a), Last: FromNetip(a)}):
				t.Fatalf("ParseTarget(%q) = %v; netip.ParseAddr gives %v", s, r, a)
			}
		}
		// A prefix that net/netip takes parses to the same addresses,
		// an IPv4-mapped one counting all 128 bits as netip does, unless
		// it holds both families or, as a target, more than MaxRange
		// addresses: then it is refused.
		if p, perr := netip.ParsePrefix(s); perr == nil {
			want := prefixRange(p)
			bs, berr := ParseBlocks([]string{s})
			switch {
			case want.First.Is4() != want.Last.Is4():
				if err == nil || berr == nil || !strings.Contains(err.Error(), "holds both IPv6 and IPv4-mapped addresses") {
					t.Fatalf("ParseTarget(%q) = %v, %v; ParseBlocks gives %v, %v; want both refused: netip.ParsePrefix gives %v, of both families", s, r, err, bs, berr, want)
				}
			case berr != nil || !slices.Equal(bs, []Range{want}):
				t.Fatalf("ParseBlocks(%q) = %v, %v; netip.ParsePrefix gives %v", s, bs, berr, want)
			case want.Len() > MaxRange:
				if !tooLarge {
					t.Fatalf("ParseTarget(%q) = %v, %v; want it refused: netip.ParsePrefix gives %v, of more than MaxRange addresses", s, r, err, want)
				}
			case err != nil || r != want:
				t.Fatalf("ParseTarget(%q) = %v, %v; netip.ParsePrefix gives %v", s, r, err, want)
			}
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
// returns is valid, that ReadBlocklist reads the same list, and that
// writing them back out reads the same list.
func FuzzReadTargets(f *testing.F) {
	for _, s := range []string{
		"198.18.0.1\n198.18.1.0/24\n",
		"# lab\n198.18.0.1 198.18.0.2,198.18.0.3 # three\r\n\n",
		"198.18.0.1-198.18.0.9\n10.0.0.0/33\n",
		"",
		"2001:db8::1\n2001:db8::/120\n2001:db8::1-2001:db8::ff\n",
		"# dual stack\n198.18.0.1 2001:db8::1,::ffff:198.18.0.2\t::1 # four\r\n2001:db8::/127#v6\n",
		"2001:db8::1\n2001:db8::/64\n",
		"::1-127.0.0.1\n",
		"2001:db8::/80 2001:db8:1::/79\n",
		"255.255.255.0/24 ::1:0:0:0/120\n::ffff:198.18.0.0/120,::fffe:0:0/95\n",
		"198.18.0.1:80\n",
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
		// What is a list of targets is a blocklist too.
		if bs, err := ReadBlocklist(strings.NewReader(s), "fuzz"); err != nil || !slices.Equal(bs, rs) {
			t.Fatalf("ReadTargets(%q) = %v; ReadBlocklist gives %v, %v", s, rs, bs, err)
		}
		var b strings.Builder
		for _, r := range rs {
			if r.Last.Less(r.First) || r.Len() > MaxRange || r.First.Is4() != r.Last.Is4() {
				t.Fatalf("ReadTargets(%q) returned %v: reversed, too large or of both families", s, r)
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
