package target

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

// addr parses an IPv4 or IPv6 address for a test table; it panics on a typo.
func addr(s string) Addr {
	a, err := ParseAddr(s)
	if err != nil {
		panic(err)
	}
	return a
}

// rng returns the Range of the addresses first to last, of either family.
func rng(first, last string) Range { return Range{First: addr(first), Last: addr(last)} }

func TestParseTarget(t *testing.T) {
	tests := []struct {
		name, in string
		want     Range
		wantErr  string
	}{
		{name: "address", in: "198.18.0.1", want: rng("198.18.0.1", "198.18.0.1")},
		{name: "cidr", in: "198.18.0.0/24", want: rng("198.18.0.0", "198.18.0.255")},
		{name: "cidr host bits masked", in: "198.18.0.77/24", want: rng("198.18.0.0", "198.18.0.255")},
		{name: "cidr /32", in: "198.18.0.7/32", want: rng("198.18.0.7", "198.18.0.7")},
		{name: "cidr /0", in: "1.2.3.4/0", want: rng("0.0.0.0", "255.255.255.255")},
		{name: "range", in: "198.18.0.1-198.18.0.9", want: rng("198.18.0.1", "198.18.0.9")},
		{name: "range of one", in: "198.18.0.1-198.18.0.1", want: rng("198.18.0.1", "198.18.0.1")},
		{name: "range over all", in: "0.0.0.0-255.255.255.255", want: rng("0.0.0.0", "255.255.255.255")},

		{name: "empty", in: "", wantErr: `bad target "": empty target`},
		{name: "prefix too long", in: "10.0.0.0/33", wantErr: `bad target "10.0.0.0/33": prefix length 33 > 32`},
		{name: "prefix huge", in: "10.0.0.0/99999999999999999999", wantErr: `bad target "10.0.0.0/99999999999999999999": prefix length 99999999999999999999 > 32`},
		{name: "prefix missing", in: "10.0.0.0/", wantErr: `bad target "10.0.0.0/": missing prefix length after /`},
		{name: "prefix not a number", in: "10.0.0.0/x", wantErr: `bad target "10.0.0.0/x": prefix length x is not a number 0-32`},
		{name: "prefix negative", in: "10.0.0.0/-1", wantErr: `bad target "10.0.0.0/-1": prefix length -1 is not a number 0-32`},
		{name: "cidr bad address", in: "10.0.0.256/8", wantErr: `bad target "10.0.0.256/8": field > 255`},
		{name: "cidr no address", in: "/8", wantErr: `bad target "/8": want 4 decimal fields a.b.c.d`},
		{name: "reversed range", in: "198.18.0.9-198.18.0.1", wantErr: `bad target "198.18.0.9-198.18.0.1": range start 198.18.0.9 > end 198.18.0.1`},
		{name: "range bad start", in: "x-198.18.0.1", wantErr: `bad target "x-198.18.0.1": range start: want 4 decimal fields a.b.c.d`},
		{name: "range bad end", in: "198.18.0.1-9", wantErr: `bad target "198.18.0.1-9": range end: want 4 dot-separated fields a.b.c.d`},
		{name: "range open", in: "198.18.0.1-", wantErr: `bad target "198.18.0.1-": range end: want 4 decimal fields a.b.c.d`},
		{name: "hostname", in: "example.com", wantErr: `bad target "example.com": want 4 decimal fields a.b.c.d; a target is an IPv4 or IPv6 address, a CIDR block or a range such as a.b.c.d-e.f.g.h`},

		// IPv6.
		{name: "ipv6 address", in: "2001:db8::1", want: rng("2001:db8::1", "2001:db8::1")},
		{name: "ipv6 full form", in: "2001:0db8:0000:0000:0000:0000:0000:0001", want: rng("2001:db8::1", "2001:db8::1")},
		{name: "ipv6 uppercase", in: "2001:DB8::A:B", want: rng("2001:db8::a:b", "2001:db8::a:b")},
		{name: "ipv6 loopback /128", in: "::1/128", want: rng("::1", "::1")},
		{name: "ipv6 unspecified", in: "::", want: Range{}},
		{name: "ipv6 highest", in: "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", want: Range{First: maxAddr, Last: maxAddr}},
		{name: "ipv4-mapped is ipv4", in: "::ffff:198.18.0.1", want: V4Range(0xc6120001, 0xc6120001)},
		{name: "ipv4-mapped in hex is ipv4", in: "::FFFF:c612:1", want: V4Range(0xc6120001, 0xc6120001)},
		{name: "ipv4-compatible is ipv6", in: "::198.18.0.1", want: Range{First: Addr{Lo: 0xc6120001}, Last: Addr{Lo: 0xc6120001}}},
		{name: "nat64 embedded ipv4 is ipv6", in: "64:ff9b::198.18.0.1", want: rng("64:ff9b::c612:1", "64:ff9b::c612:1")},
		{name: "ipv6 cidr", in: "2001:db8::/120", want: rng("2001:db8::", "2001:db8::ff")},
		{name: "ipv6 cidr host bits masked", in: "2001:db8::77/120", want: rng("2001:db8::", "2001:db8::ff")},
		{name: "ipv6 cidr /127", in: "2001:db8::3/127", want: rng("2001:db8::2", "2001:db8::3")},
		{name: "ipv6 cidr /96", in: "2001:db8::1:2:3/96", want: rng("2001:db8::1:0:0", "2001:db8::1:ffff:ffff")},
		{name: "ipv6 cidr /80, the widest", in: "2001:db8::ffff:0:0:1/80", want: rng("2001:db8:0:0:ffff::", "2001:db8::ffff:ffff:ffff:ffff")},
		{name: "ipv6 cidr /81 at the bottom", in: "::/81", want: rng("::", "::7fff:ffff:ffff")},
		{name: "ipv6 cidr /80 at the top", in: "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/80", want: Range{First: Addr{Hi: math.MaxUint64, Lo: 0xffff << 48}, Last: maxAddr}},
		{name: "ipv4-mapped cidr counts 128 bits", in: "::ffff:198.18.0.77/120", want: V4Range(0xc6120000, 0xc61200ff)},
		{name: "ipv4-mapped cidr in hex", in: "::ffff:c612:4d/120", want: V4Range(0xc6120000, 0xc61200ff)},
		{name: "ipv4-mapped /128", in: "::ffff:198.18.0.77/128", want: V4Range(0xc612004d, 0xc612004d)},
		{name: "ipv4-mapped /96 is all of ipv4", in: "::ffff:198.18.0.77/96", want: V4Range(0, math.MaxUint32)},
		{name: "ipv6 range", in: "2001:db8::1-2001:db8::ff", want: rng("2001:db8::1", "2001:db8::ff")},
		{name: "ipv6 range of one", in: "2001:db8::1-2001:db8::1", want: rng("2001:db8::1", "2001:db8::1")},
		{name: "ipv6 range across 64 bits", in: "2001:db8::ffff:ffff:ffff:ff00-2001:db8:0:1::ff", want: Range{First: Addr{Hi: 0x20010db800000000, Lo: 0xffffffffffffff00}, Last: Addr{Hi: 0x20010db800000001, Lo: 0xff}}},
		{name: "ipv6 range of 2^48", in: "2001:db8::-2001:db8::ffff:ffff:ffff", want: Range{First: Addr{Hi: 0x20010db800000000}, Last: Addr{Hi: 0x20010db800000000, Lo: 1<<48 - 1}}},
		{name: "ipv6 range of 2^48 across 64 bits", in: "2001:db8::ffff:8000:0:0-2001:db8:0:1:0:7fff:ffff:ffff", want: Range{First: Addr{Hi: 0x20010db800000000, Lo: 0xffff_8000_0000_0000}, Last: Addr{Hi: 0x20010db800000001, Lo: 1<<47 - 1}}},
		{name: "ipv6 range to the top", in: "ffff:ffff:ffff:ffff:ffff:ffff:ffff:0-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", want: Range{First: Addr{Hi: math.MaxUint64, Lo: math.MaxUint64 &^ 0xffff}, Last: maxAddr}},
		{name: "ipv4-mapped range is ipv4", in: "::ffff:198.18.0.1-198.18.0.9", want: V4Range(0xc6120001, 0xc6120009)},

		{name: "ipv6 /79", in: "2001:db8::/79", wantErr: `bad target "2001:db8::/79": more than 2^48 addresses, the most a scan holds: give a longer prefix, such as /80 for IPv6`},
		{name: "ipv6 /65", in: "2001:db8::/65", wantErr: `bad target "2001:db8::/65": more than 2^48 addresses, the most a scan holds: give a longer prefix, such as /80 for IPv6`},
		{name: "ipv6 /64", in: "2001:db8::/64", wantErr: `bad target "2001:db8::/64": more than 2^48 addresses, the most a scan holds: give a longer prefix, such as /80 for IPv6`},
		{name: "ipv6 prefix too long", in: "2001:db8::/129", wantErr: `bad target "2001:db8::/129": prefix length 129 > 128`},
		{name: "ipv6 prefix not a number", in: "2001:db8::/0x40", wantErr: `bad target "2001:db8::/0x40": prefix length 0x40 is not a number 0-128`},
		{name: "ipv4-mapped prefix too long", in: "::ffff:198.18.0.0/129", wantErr: `bad target "::ffff:198.18.0.0/129": prefix length 129 > 128`},
		{name: "ipv4-mapped /80 is too large", in: "::ffff:198.18.0.0/80", wantErr: `bad target "::ffff:198.18.0.0/80": it holds both IPv6 and IPv4-mapped addresses; give the IPv4 ones apart`},
		{name: "dotted ipv4 prefix stays 0-32", in: "198.18.0.0/120", wantErr: `bad target "198.18.0.0/120": prefix length 120 > 32`},
		{name: "prefix of both families", in: "::fffe:0:0/95", wantErr: `bad target "::fffe:0:0/95": it holds both IPv6 and IPv4-mapped addresses; give the IPv4 ones apart`},
		{name: "ipv4-mapped prefix of both families", in: "::ffff:198.18.0.0/95", wantErr: `bad target "::ffff:198.18.0.0/95": it holds both IPv6 and IPv4-mapped addresses; give the IPv4 ones apart`},
		{name: "/80 holding ipv4", in: "::/80", wantErr: `bad target "::/80": it holds both IPv6 and IPv4-mapped addresses; give the IPv4 ones apart`},
		{name: "ipv6 zone", in: "fe80::1%eth0", wantErr: `bad target "fe80::1%eth0": an IPv6 zone (%eth0) has no place in a target; a target is an IPv4 or IPv6 address, a CIDR block or a range such as a.b.c.d-e.f.g.h`},
		{name: "ipv6 zone in cidr", in: "fe80::1%eth0/128", wantErr: `bad target "fe80::1%eth0/128": an IPv6 zone (%eth0) has no place in a target`},
		{name: "ipv6 zone in range", in: "fe80::1-fe80::2%2", wantErr: `bad target "fe80::1-fe80::2%2": range end: an IPv6 zone (%2) has no place in a target`},
		{name: "ipv6 triple colon", in: "2001:db8:::1", wantErr: `bad target "2001:db8:::1": not an IPv6 address; a target is an IPv4 or IPv6 address, a CIDR block or a range such as a.b.c.d-e.f.g.h`},
		{name: "ipv6 two ::", in: "2001::db8::1", wantErr: `bad target "2001::db8::1": not an IPv6 address; a target is an IPv4 or IPv6 address, a CIDR block or a range such as a.b.c.d-e.f.g.h`},
		{name: "ipv6 bad digit", in: "2001:db8::g", wantErr: `bad target "2001:db8::g": not an IPv6 address; a target is an IPv4 or IPv6 address, a CIDR block or a range such as a.b.c.d-e.f.g.h`},
		{name: "ipv6 nine groups", in: "1:2:3:4:5:6:7:8:9", wantErr: `bad target "1:2:3:4:5:6:7:8:9": not an IPv6 address; a target is an IPv4 or IPv6 address, a CIDR block or a range such as a.b.c.d-e.f.g.h`},
		{name: "ipv6 in brackets", in: "[2001:db8::1]", wantErr: `bad target "[2001:db8::1]": not an IPv6 address; a target is an IPv4 or IPv6 address, a CIDR block or a range such as a.b.c.d-e.f.g.h`},
		{name: "ipv4 with a port", in: "198.18.0.1:80", wantErr: `bad target "198.18.0.1:80": an address with a port? give ports with -p; a target is an IPv4 or IPv6 address, a CIDR block or a range such as a.b.c.d-e.f.g.h`},
		{name: "ipv4 with a port in a cidr", in: "198.18.0.1:80/32", wantErr: `bad target "198.18.0.1:80/32": an address with a port? give ports with -p`},
		{name: "ipv4 with a port in a range", in: "198.18.0.1-198.18.0.9:80", wantErr: `bad target "198.18.0.1-198.18.0.9:80": range end: an address with a port? give ports with -p`},
		{name: "ipv6 cidr bad address", in: "2001:db8::x/120", wantErr: `bad target "2001:db8::x/120": not an IPv6 address`},
		{name: "ipv6 range mixes families", in: "2001:db8::1-198.18.0.1", wantErr: `bad target "2001:db8::1-198.18.0.1": range from 2001:db8::1 to 198.18.0.1 mixes IPv4 and IPv6`},
		{name: "ipv4 range to ipv6", in: "198.18.0.1-2001:db8::1", wantErr: `bad target "198.18.0.1-2001:db8::1": range from 198.18.0.1 to 2001:db8::1 mixes IPv4 and IPv6`},
		{name: "range from ipv6 just below ipv4-mapped", in: "::fffe:ffff:ffff-::ffff:0.0.0.0", wantErr: `bad target "::fffe:ffff:ffff-::ffff:0.0.0.0": range from ::fffe:ffff:ffff to ::ffff:0.0.0.0 mixes IPv4 and IPv6`},
		{name: "ipv6 range around all of ipv4", in: "::fffe:ffff:ffff-::1:0:0:0", wantErr: `bad target "::fffe:ffff:ffff-::1:0:0:0": the range holds both IPv6 and IPv4-mapped addresses; give the IPv4 ones apart`},
		{name: "ipv6 range of everything", in: "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", wantErr: `bad target "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff": the range holds both IPv6 and IPv4-mapped addresses; give the IPv4 ones apart`},
		{name: "ipv6 reversed range", in: "2001:db8::ff-2001:db8::1", wantErr: `bad target "2001:db8::ff-2001:db8::1": range start 2001:db8::ff > end 2001:db8::1`},
		{name: "ipv6 range of 2^49", in: "2001:db8::-2001:db8::1:ffff:ffff:ffff", wantErr: `bad target "2001:db8::-2001:db8::1:ffff:ffff:ffff": more than 2^48 addresses, the most a scan holds: give a longer prefix, such as /80 for IPv6`},
		{name: "ipv6 range of 2^64", in: "2001:db8::-2001:db8::ffff:ffff:ffff:ffff", wantErr: `bad target "2001:db8::-2001:db8::ffff:ffff:ffff:ffff": more than 2^48 addresses, the most a scan holds: give a longer prefix, such as /80 for IPv6`},
		{name: "ipv6 range bad end", in: "2001:db8::1-2001:db8::1::", wantErr: `bad target "2001:db8::1-2001:db8::1::": range end: not an IPv6 address`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTarget(tt.in)
			if tt.wantErr != "" {
				var se *SyntaxError
				if err == nil || err.Error() != tt.wantErr || !errors.As(err, &se) || se.Token != tt.in {
					t.Fatalf("ParseTarget(%q) = %v, %v; want error %s", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseTarget(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

// TestParseTargetTooLarge checks the limit on a target's size at its
// boundary, 2^48 addresses, in each form a target takes, and that every
// target wider than that is refused with a *SyntaxError that names it.
func TestParseTargetTooLarge(t *testing.T) {
	const reason = "more than 2^48 addresses, the most a scan holds: give a longer prefix, such as /80 for IPv6"
	for _, in := range []string{
		"2001:db8::/80", "ffff:ffff:ffff:ffff:ffff::/80", "::/81", "::ffff:0:0/96", "0.0.0.0/0",
		"2001:db8::-2001:db8::ffff:ffff:ffff", "2001:db8::1-2001:db8::1:0:0:0", "2001:db8::ffff:8000:0:0-2001:db8:0:1:0:7fff:ffff:ffff",
	} {
		if r, err := ParseTarget(in); err != nil || r.Len() > MaxRange {
			t.Errorf("ParseTarget(%q) = %v (%d addresses), %v; want a target of at most 2^48 addresses", in, r, r.Len(), err)
		}
	}
	for _, in := range []string{
		"2001:db8::/79", "::/79", "2001:db8::/64", "2001:db8::/48", "::/0", "fe80::/10", "::ffff:198.18.0.0/24",
		"2001:db8::-2001:db8::1:0:0:0", "2001:db8::ffff:8000:0:0-2001:db8:0:1:0:8000:0:0", "2000::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	} {
		r, err := ParseTarget(in)
		var se *SyntaxError
		if !errors.As(err, &se) || se.Kind != "target" || se.Token != in || se.Reason != reason {
			t.Errorf("ParseTarget(%q) = %v, %v; want a *SyntaxError naming it: %s", in, r, err, reason)
		}
		// A block may be as wide as it likes.
		if _, err := ParseBlocks([]string{in}); err != nil {
			t.Errorf("ParseBlocks(%q) = %v", in, err)
		}
	}
}

func TestRangeLen(t *testing.T) {
	tests := []struct {
		name string
		in   Range
		want uint64
	}{
		{"reversed", rng("198.18.0.9", "198.18.0.1"), 0},
		{"reversed ipv6", Range{First: Addr{Hi: 1}, Last: Addr{Lo: math.MaxUint64}}, 0},
		{"one", rng("2001:db8::1", "2001:db8::1"), 1},
		{"all of ipv4", V4Range(0, math.MaxUint32), 1 << 32},
		{"borrow from Hi", Range{First: Addr{Lo: math.MaxUint64}, Last: Addr{Hi: 1, Lo: 5}}, 7},
		{"a /80", rng("2001:db8::", "2001:db8::ffff:ffff:ffff"), 1 << 48},
		{"2^64-1", Range{First: Addr{Hi: 1}, Last: Addr{Hi: 1, Lo: math.MaxUint64 - 1}}, math.MaxUint64},
		{"a /64 is 2^64, saturated", Range{First: Addr{Hi: 1}, Last: Addr{Hi: 1, Lo: math.MaxUint64}}, math.MaxUint64},
		{"2^64+1, saturated", Range{First: Addr{Hi: 1}, Last: Addr{Hi: 2}}, math.MaxUint64},
		{"fe80::/10, saturated", rng("fe80::", "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), math.MaxUint64},
		{"everything, saturated", Range{Last: maxAddr}, math.MaxUint64},
	}
	for _, tt := range tests {
		if got := tt.in.Len(); got != tt.want {
			t.Errorf("%s: %v.Len() = %d; want %d", tt.name, tt.in, got, tt.want)
		}
	}
}

func TestRangeString(t *testing.T) {
	tests := []struct {
		name string
		in   Range
		want string
	}{
		{name: "address", in: rng("198.18.0.1", "198.18.0.1"), want: "198.18.0.1"},
		{name: "cidr", in: rng("198.18.0.0", "198.18.0.255"), want: "198.18.0.0/24"},
		{name: "pair is /31", in: rng("198.18.0.0", "198.18.0.1"), want: "198.18.0.0/31"},
		{name: "unaligned pair", in: rng("198.18.0.1", "198.18.0.2"), want: "198.18.0.1-198.18.0.2"},
		{name: "everything", in: rng("0.0.0.0", "255.255.255.255"), want: "0.0.0.0/0"},
		{name: "range", in: rng("198.18.0.1", "198.18.0.9"), want: "198.18.0.1-198.18.0.9"},
		{name: "ipv6 address", in: rng("2001:db8::1", "2001:db8::1"), want: "2001:db8::1"},
		{name: "ipv6 unspecified", in: Range{}, want: "::"},
		{name: "ipv6 highest", in: Range{First: maxAddr, Last: maxAddr}, want: "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
		{name: "ipv6 cidr", in: rng("2001:db8::", "2001:db8::ff"), want: "2001:db8::/120"},
		{name: "ipv6 pair is /127", in: rng("2001:db8::", "2001:db8::1"), want: "2001:db8::/127"},
		{name: "ipv6 unaligned pair", in: rng("2001:db8::1", "2001:db8::2"), want: "2001:db8::1-2001:db8::2"},
		{name: "ipv6 range", in: rng("2001:db8::1", "2001:db8::ff"), want: "2001:db8::1-2001:db8::ff"},
		{name: "ipv6 /80", in: rng("2001:db8:0:0:ffff::", "2001:db8::ffff:ffff:ffff:ffff"), want: "2001:db8:0:0:ffff::/80"},
		{name: "ipv6 /80 at the top", in: Range{First: Addr{Hi: math.MaxUint64, Lo: 0xffff << 48}, Last: maxAddr}, want: "ffff:ffff:ffff:ffff:ffff::/80"},
		{name: "ipv6 /79", in: rng("2001:db8::", "2001:db8::1:ffff:ffff:ffff"), want: "2001:db8::/79"},
		{name: "ipv6 /65", in: rng("2001:db8::8000:0:0:0", "2001:db8::ffff:ffff:ffff:ffff"), want: "2001:db8:0:0:8000::/65"},
		{name: "ipv6 /65 at the top", in: Range{First: Addr{Hi: math.MaxUint64, Lo: 1 << 63}, Last: maxAddr}, want: "ffff:ffff:ffff:ffff:8000::/65"},
		{name: "ipv6 /64", in: rng("2001:db8::", "2001:db8::ffff:ffff:ffff:ffff"), want: "2001:db8::/64"},
		{name: "ipv6 /63", in: rng("2001:db8::", "2001:db8:0:1:ffff:ffff:ffff:ffff"), want: "2001:db8::/63"},
		{name: "ipv6 documentation /32", in: rng("2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"), want: "2001:db8::/32"},
		{name: "ipv6 link-local /10", in: rng("fe80::", "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), want: "fe80::/10"},
		{name: "ipv6 global unicast /3", in: rng("2000::", "3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), want: "2000::/3"},
		{name: "ipv6 top half /1", in: Range{First: Addr{Hi: 1 << 63}, Last: maxAddr}, want: "8000::/1"},
		{name: "ipv6 everything", in: Range{Last: maxAddr}, want: "::/0"},
		{name: "ipv6 /96 has no dotted quad", in: rng("64:ff9b::", "64:ff9b::ffff:ffff"), want: "64:ff9b::/96"},
		{name: "ipv6 range across 64 bits", in: Range{First: Addr{Hi: 0x20010db800000000, Lo: math.MaxUint64}, Last: Addr{Hi: 0x20010db800000001}}, want: "2001:db8::ffff:ffff:ffff:ffff-2001:db8:0:1::"},
		{name: "ipv6 range of 2^64-1", in: Range{First: Addr{Hi: 1}, Last: Addr{Hi: 1, Lo: math.MaxUint64 - 1}}, want: "0:0:0:1::-::1:ffff:ffff:ffff:fffe"},
		{name: "ipv6 aligned but 2^63+1", in: Range{First: Addr{Hi: 1}, Last: Addr{Hi: 1, Lo: 1 << 63}}, want: "0:0:0:1::-::1:8000:0:0:0"},
		{name: "ipv6 range of 2^64+1", in: Range{First: Addr{Hi: 1}, Last: Addr{Hi: 2}}, want: "0:0:0:1::-0:0:0:2::"},
		{name: "ipv6 two /64s, unaligned", in: Range{First: Addr{Hi: 1}, Last: Addr{Hi: 2, Lo: math.MaxUint64}}, want: "0:0:0:1::-::2:ffff:ffff:ffff:ffff"},
		{name: "ipv6 /63 less its last address", in: Range{First: Addr{Hi: 2}, Last: Addr{Hi: 3, Lo: math.MaxUint64 - 1}}, want: "0:0:0:2::-::3:ffff:ffff:ffff:fffe"},
		{name: "ipv6 top half but its first address", in: Range{First: Addr{Hi: 1 << 63, Lo: 1}, Last: maxAddr}, want: "8000::1-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
		{name: "ipv4 mapped is dotted", in: rng("::ffff:198.18.0.0", "::ffff:198.18.0.255"), want: "198.18.0.0/24"},
		{name: "ipv4 mapped /96 is 0.0.0.0/0", in: Range{First: V4(0), Last: V4(math.MaxUint32)}, want: "0.0.0.0/0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.String(); got != tt.want {
				t.Errorf("String() = %q; want %q", got, tt.want)
			}
			// Every range reads back as a block; one a target may be
			// reads back as a target, and a wider one is refused.
			if back, err := ParseBlocks([]string{tt.want}); err != nil || !slices.Equal(back, []Range{tt.in}) {
				t.Errorf("ParseBlocks(%q) = %v, %v; want %v", tt.want, back, err, tt.in)
			}
			back, err := ParseTarget(tt.want)
			var se *SyntaxError
			switch {
			case tt.in.Len() <= MaxRange && (err != nil || back != tt.in):
				t.Errorf("ParseTarget(%q) = %v, %v; want %v", tt.want, back, err, tt.in)
			case tt.in.Len() > MaxRange && (!errors.As(err, &se) || !strings.Contains(se.Reason, "the most a scan holds")):
				t.Errorf("ParseTarget(%q) = %v, %v; want an error: the most a scan holds", tt.want, back, err)
			}
		})
	}
}

func TestParseTargets(t *testing.T) {
	tests := []struct {
		name    string
		in      []string
		want    []Range
		wantErr string
	}{
		{name: "none", in: nil, want: nil},
		{name: "one per token", in: []string{"198.18.0.1", "198.18.1.0/31"},
			want: []Range{rng("198.18.0.1", "198.18.0.1"), rng("198.18.1.0", "198.18.1.1")}},
		{name: "comma separated", in: []string{"198.18.0.1,198.18.1.0/31", "10.0.0.1"},
			want: []Range{rng("198.18.0.1", "198.18.0.1"), rng("198.18.1.0", "198.18.1.1"), rng("10.0.0.1", "10.0.0.1")}},
		{name: "spaces after commas", in: []string{"198.18.0.1, 198.18.0.2"},
			want: []Range{rng("198.18.0.1", "198.18.0.1"), rng("198.18.0.2", "198.18.0.2")}},
		{name: "empty token", in: []string{""}, wantErr: `bad target "": empty element in comma-separated list`},
		{name: "empty element", in: []string{"198.18.0.1,,198.18.0.2"}, wantErr: `bad target "198.18.0.1,,198.18.0.2": empty element in comma-separated list`},
		{name: "trailing comma", in: []string{"198.18.0.1,"}, wantErr: `bad target "198.18.0.1,": empty element in comma-separated list`},
		{name: "bad element", in: []string{"198.18.0.1,10.0.0.0/33"}, wantErr: `bad target "10.0.0.0/33": prefix length 33 > 32`},
		{name: "ipv6 and ipv4 mixed", in: []string{"2001:db8::/127,198.18.0.1", " ::1 ,2001:db8::5-2001:db8::6"},
			want: []Range{rng("2001:db8::", "2001:db8::1"), rng("198.18.0.1", "198.18.0.1"), rng("::1", "::1"), rng("2001:db8::5", "2001:db8::6")}},
		{name: "widest ipv6 element", in: []string{"2001:db8::/80,::1"}, want: []Range{rng("2001:db8::", "2001:db8::ffff:ffff:ffff"), rng("::1", "::1")}},
		{name: "bad ipv6 element", in: []string{"::1,2001:db8::/79"}, wantErr: `bad target "2001:db8::/79": more than 2^48 addresses, the most a scan holds: give a longer prefix, such as /80 for IPv6`},
		{name: "wide block as a target", in: []string{"198.18.0.1", "fe80::/10"}, wantErr: `bad target "fe80::/10": more than 2^48 addresses, the most a scan holds: give a longer prefix, such as /80 for IPv6`},
		{name: "address with a port", in: []string{"198.18.0.1:443"}, wantErr: `bad target "198.18.0.1:443": an address with a port? give ports with -p; a target is an IPv4 or IPv6 address, a CIDR block or a range such as a.b.c.d-e.f.g.h`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTargets(tt.in)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("ParseTargets(%q) = %v, %v; want error %s", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("ParseTargets(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestReadTargets(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []Range
		wantErr string
	}{
		{name: "empty", in: "", want: nil},
		{name: "comments and blanks", in: "# lab\n\n   \n# end\n", want: nil},
		{name: "one per line", in: "198.18.0.1\n198.18.1.0/31\n",
			want: []Range{rng("198.18.0.1", "198.18.0.1"), rng("198.18.1.0", "198.18.1.1")}},
		{name: "no final newline", in: "198.18.0.1\n198.18.0.2",
			want: []Range{rng("198.18.0.1", "198.18.0.1"), rng("198.18.0.2", "198.18.0.2")}},
		{name: "many per line", in: "198.18.0.1 198.18.0.2,198.18.0.3\t198.18.0.4 , 198.18.0.5\r\n",
			want: []Range{rng("198.18.0.1", "198.18.0.1"), rng("198.18.0.2", "198.18.0.2"), rng("198.18.0.3", "198.18.0.3"),
				rng("198.18.0.4", "198.18.0.4"), rng("198.18.0.5", "198.18.0.5")}},
		{name: "trailing comment", in: "198.18.0.1 # gateway\n#198.18.0.2\n",
			want: []Range{rng("198.18.0.1", "198.18.0.1")}},
		{name: "comment glued on", in: "198.18.0.1#gateway\n",
			want: []Range{rng("198.18.0.1", "198.18.0.1")}},
		{name: "bad line", in: "198.18.0.1\n\nx\n", wantErr: `targets.txt:3: bad target "x": want 4 decimal fields a.b.c.d; a target is an IPv4 or IPv6 address, a CIDR block or a range such as a.b.c.d-e.f.g.h`},
		{name: "bad last line", in: "198.18.0.1\n10.0.0.0/33", wantErr: `targets.txt:2: bad target "10.0.0.0/33": prefix length 33 > 32`},
		{name: "ipv6 lines", in: "2001:db8::1\n2001:db8::/120\n2001:db8::1:1-2001:db8::1:9\n",
			want: []Range{rng("2001:db8::1", "2001:db8::1"), rng("2001:db8::", "2001:db8::ff"), rng("2001:db8::1:1", "2001:db8::1:9")}},
		{name: "mixed lines", in: "# dual stack\n198.18.0.1 2001:db8::1,::ffff:198.18.0.2\t::1\r\n198.18.1.0/31 # v4\n2001:db8::/127#v6\n",
			want: []Range{rng("198.18.0.1", "198.18.0.1"), rng("2001:db8::1", "2001:db8::1"), rng("198.18.0.2", "198.18.0.2"), rng("::1", "::1"),
				rng("198.18.1.0", "198.18.1.1"), rng("2001:db8::", "2001:db8::1")}},
		{name: "ipv6 prefix as wide as may be", in: "2001:db8::1\n2001:db8::/80\n",
			want: []Range{rng("2001:db8::1", "2001:db8::1"), rng("2001:db8::", "2001:db8::ffff:ffff:ffff")}},
		{name: "ipv6 prefix too large", in: "2001:db8::1\n2001:db8::/79\n", wantErr: `targets.txt:2: bad target "2001:db8::/79": more than 2^48 addresses, the most a scan holds: give a longer prefix, such as /80 for IPv6`},
		{name: "address with a port", in: "198.18.0.1\n198.18.0.2:80 # web\n", wantErr: `targets.txt:2: bad target "198.18.0.2:80": an address with a port? give ports with -p; a target is an IPv4 or IPv6 address, a CIDR block or a range such as a.b.c.d-e.f.g.h`},
		{name: "prefix of both families", in: "::fffe:0:0/95\n", wantErr: `targets.txt:1: bad target "::fffe:0:0/95": it holds both IPv6 and IPv4-mapped addresses; give the IPv4 ones apart`},
		{name: "ipv6 zone", in: "fe80::1%eth0\n", wantErr: `targets.txt:1: bad target "fe80::1%eth0": an IPv6 zone (%eth0) has no place in a target; a target is an IPv4 or IPv6 address, a CIDR block or a range such as a.b.c.d-e.f.g.h`},
		{name: "mixed-family range", in: "\n::1-127.0.0.1\n", wantErr: `targets.txt:2: bad target "::1-127.0.0.1": range from ::1 to 127.0.0.1 mixes IPv4 and IPv6`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadTargets(strings.NewReader(tt.in), "targets.txt")
			if tt.wantErr != "" {
				var se *SyntaxError
				if err == nil || err.Error() != tt.wantErr || !errors.As(err, &se) {
					t.Fatalf("ReadTargets(%q) = %v, %v; want error %s", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("ReadTargets(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestReadTargetsReadError(t *testing.T) {
	r := io.MultiReader(strings.NewReader("198.18.0.1\n"), iotest.ErrReader(iotest.ErrTimeout))
	_, err := ReadTargets(r, "-")
	if !errors.Is(err, iotest.ErrTimeout) {
		t.Fatalf("ReadTargets = %v; want an error wrapping %v", err, iotest.ErrTimeout)
	}
	var se *SyntaxError
	if errors.As(err, &se) {
		t.Errorf("read error %v is a *SyntaxError", err)
	}
}

// top6 is the top /112 of IPv6 without its last group.
const top6 = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:"

func TestMergeSubtract(t *testing.T) {
	all := rng("0.0.0.0", "255.255.255.255")
	tests := []struct {
		name     string
		inc, exc []Range
		want     []Range
	}{
		{name: "disjoint kept apart", inc: []Range{rng("10.0.0.5", "10.0.0.6"), rng("10.0.0.1", "10.0.0.2")},
			want: []Range{rng("10.0.0.1", "10.0.0.2"), rng("10.0.0.5", "10.0.0.6")}},
		{name: "adjacent merged", inc: []Range{rng("10.0.0.3", "10.0.0.4"), rng("10.0.0.1", "10.0.0.2")},
			want: []Range{rng("10.0.0.1", "10.0.0.4")}},
		{name: "overlap merged", inc: []Range{rng("10.0.0.0", "10.0.0.255"), rng("10.0.0.7", "10.0.1.3"), rng("10.0.0.9", "10.0.0.9")},
			want: []Range{rng("10.0.0.0", "10.0.1.3")}},
		{name: "top of space merged", inc: []Range{all, rng("255.255.255.255", "255.255.255.255"), rng("1.0.0.0", "1.0.0.0")},
			want: []Range{all}},
		{name: "hole", inc: []Range{rng("10.0.0.0", "10.0.0.255")}, exc: []Range{rng("10.0.0.7", "10.0.0.9")},
			want: []Range{rng("10.0.0.0", "10.0.0.6"), rng("10.0.0.10", "10.0.0.255")}},
		{name: "ends cut", inc: []Range{rng("10.0.0.0", "10.0.0.255")}, exc: []Range{rng("9.0.0.0", "10.0.0.0"), rng("10.0.0.255", "11.0.0.0")},
			want: []Range{rng("10.0.0.1", "10.0.0.254")}},
		{name: "one exclude spans includes", inc: []Range{rng("10.0.0.0", "10.0.0.9"), rng("10.0.0.20", "10.0.0.29"), rng("10.0.0.40", "10.0.0.49")},
			exc:  []Range{rng("10.0.0.5", "10.0.0.44")},
			want: []Range{rng("10.0.0.0", "10.0.0.4"), rng("10.0.0.45", "10.0.0.49")}},
		{name: "all excluded", inc: []Range{rng("10.0.0.0", "10.0.0.9")}, exc: []Range{all}, want: nil},
		{name: "exclude top", inc: []Range{all}, exc: []Range{rng("255.0.0.0", "255.255.255.255"), rng("0.0.0.0", "0.255.255.255")},
			want: []Range{rng("1.0.0.0", "254.255.255.255")}},

		// IPv6, alone and mixed with IPv4 in one list.
		{name: "families sorted apart", inc: []Range{rng("2001:db8::1", "2001:db8::9"), rng("10.0.0.1", "10.0.0.2"), rng("::1", "::1"), rng("fe80::", "fe80::ff")},
			want: []Range{rng("::1", "::1"), rng("10.0.0.1", "10.0.0.2"), rng("2001:db8::1", "2001:db8::9"), rng("fe80::", "fe80::ff")}},
		{name: "ipv6 overlap merged", inc: []Range{rng("2001:db8::80", "2001:db8::1ff"), rng("2001:db8::", "2001:db8::ff"), rng("2001:db8::200", "2001:db8::200")},
			want: []Range{rng("2001:db8::", "2001:db8::200")}},
		{name: "ipv6 adjacent across 64 bits merged", inc: []Range{rng("2001:db8:0:1::", "2001:db8:0:1::ff"), rng("2001:db8::ff00:0:0:0", "2001:db8::ffff:ffff:ffff:ffff")},
			want: []Range{rng("2001:db8::ff00:0:0:0", "2001:db8:0:1::ff")}},
		{name: "ipv6 top of space merged", inc: []Range{{First: maxAddr, Last: maxAddr}, rng(top6+"ff00", top6+"ffff"), rng("::", "::")},
			want: []Range{rng("::", "::"), rng(top6+"ff00", top6+"ffff")}},
		{name: "mixed excludes", inc: []Range{rng("198.18.0.0", "198.18.0.255"), rng("2001:db8::", "2001:db8::ff")},
			exc:  []Range{rng("2001:db8::10", "2001:db8::1f"), rng("198.18.0.128", "198.18.1.0"), rng("::", "::ffff"), rng("2001:db8::ff", "2001:db8::ffff")},
			want: []Range{rng("198.18.0.0", "198.18.0.127"), rng("2001:db8::", "2001:db8::f"), rng("2001:db8::20", "2001:db8::fe")}},
		{name: "ipv4 excludes leave ipv6", inc: []Range{rng("10.0.0.0", "10.0.0.9"), rng("2001:db8::", "2001:db8::9")}, exc: []Range{all},
			want: []Range{rng("2001:db8::", "2001:db8::9")}},
		{name: "exclude at the top of ipv6", inc: []Range{rng(top6+"ff00", top6+"ffff")}, exc: []Range{rng(top6+"fff0", top6+"ffff")},
			want: []Range{rng(top6+"ff00", top6+"ffef")}},
		{name: "exclude the top address only", inc: []Range{rng(top6+"ff00", top6+"ffff")}, exc: []Range{{First: maxAddr, Last: maxAddr}},
			want: []Range{rng(top6+"ff00", top6+"fffe")}},
		{name: "exclude at ::", inc: []Range{rng("::", "::ff")}, exc: []Range{rng("::", "::f")},
			want: []Range{rng("::10", "::ff")}},
		{name: "exclude :: only", inc: []Range{rng("::", "::ff"), rng("198.18.0.0", "198.18.0.1")}, exc: []Range{rng("::", "::")},
			want: []Range{rng("::1", "::ff"), rng("198.18.0.0", "198.18.0.1")}},
		{name: "exclude everything", inc: []Range{rng("::", "::ff"), all, {First: maxAddr, Last: maxAddr}}, exc: []Range{{First: Addr{}, Last: maxAddr}}, want: nil},
		{name: "one exclude spans both families", inc: []Range{rng("::1", "::1"), rng("198.18.0.0", "198.18.0.9"), rng("2001:db8::", "2001:db8::9")},
			exc:  []Range{{First: addr("198.18.0.5"), Last: addr("2001:db8::4")}},
			want: []Range{rng("::1", "::1"), rng("198.18.0.0", "198.18.0.4"), rng("2001:db8::5", "2001:db8::9")}},

		// The families meet at ::fffe:ffff:ffff | 0.0.0.0 and at
		// 255.255.255.255 | ::1:0:0:0; ranges that touch there stay apart.
		{name: "top of ipv4 and the ipv6 above stay apart", inc: []Range{rng("::1:0:0:0", "::1:0:0:ff"), rng("255.255.255.0", "255.255.255.255")},
			want: []Range{rng("255.255.255.0", "255.255.255.255"), rng("::1:0:0:0", "::1:0:0:ff")}},
		{name: "bottom of ipv4 and the ipv6 below stay apart", inc: []Range{rng("0.0.0.0", "0.0.0.255"), rng("::fffe:ffff:ff00", "::fffe:ffff:ffff")},
			want: []Range{rng("::fffe:ffff:ff00", "::fffe:ffff:ffff"), rng("0.0.0.0", "0.0.0.255")}},
		{name: "all of ipv4 between its neighbours", inc: []Range{rng("::1:0:0:0", "::1:0:0:0"), rng("0.0.0.0", "255.255.255.255"), rng("::fffe:ffff:ffff", "::fffe:ffff:ffff")},
			want: []Range{rng("::fffe:ffff:ffff", "::fffe:ffff:ffff"), rng("0.0.0.0", "255.255.255.255"), rng("::1:0:0:0", "::1:0:0:0")}},
		{name: "ipv4 exclude at the boundary leaves the ipv6 above", inc: []Range{rng("255.255.255.0", "255.255.255.255"), rng("::1:0:0:0", "::1:0:0:ff")},
			exc: []Range{rng("255.255.255.128", "255.255.255.255")}, want: []Range{rng("255.255.255.0", "255.255.255.127"), rng("::1:0:0:0", "::1:0:0:ff")}},

		// A wide block (::/64, ::/8) holds all of IPv4, so it absorbs the
		// IPv4 ranges that overlap it, though its own ends are IPv6.
		{name: "a block holding ipv4 absorbs ipv4 excludes", inc: []Range{rng("198.18.0.0", "198.18.0.255"), rng("2001:db8::", "2001:db8::ff")},
			exc:  []Range{{Last: Addr{Lo: math.MaxUint64}}, rng("10.0.0.0", "10.255.255.255")},
			want: []Range{rng("2001:db8::", "2001:db8::ff")}},
		{name: "a block holding ipv4 absorbs ipv4 includes", inc: []Range{rng("198.18.0.0", "198.18.0.255"), {Last: Addr{Lo: math.MaxUint64}}, rng("10.0.0.0", "10.0.0.255")},
			exc:  []Range{rng("198.18.0.1", "198.18.0.254")},
			want: []Range{rng("::", "198.18.0.0"), rng("198.18.0.255", "::ffff:ffff:ffff:ffff")}},
		{name: "an exclude across the families absorbs the ipv4 inside it", inc: []Range{rng("198.18.0.0", "198.18.0.255"), rng("2001:db8::", "2001:db8::f")},
			exc:  []Range{{First: addr("198.18.0.5"), Last: addr("2001:db8::4")}, rng("198.18.0.10", "198.18.0.20")},
			want: []Range{rng("198.18.0.0", "198.18.0.4"), rng("2001:db8::5", "2001:db8::f")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := subtract(merge(slices.Clone(tt.inc)), merge(slices.Clone(tt.exc)))
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v; want %v", got, tt.want)
			}
		})
	}
}

// checkMerged fails unless rs is merged: sorted, disjoint, and touching
// only where one family meets the other.
func checkMerged(t *testing.T, what string, rs []Range) {
	t.Helper()
	for i, r := range rs {
		if r.Last.Less(r.First) {
			t.Fatalf("%s = %v: %v is reversed", what, rs, r)
		}
		if i == 0 {
			continue
		}
		p := rs[i-1]
		if !p.Last.Less(r.First) || p.Last.Next() == r.First && p.Last.Is4() == r.First.Is4() {
			t.Fatalf("%s = %v: %v and %v overlap or touch within a family", what, rs, p, r)
		}
	}
}

// holds reports whether some range of rs holds ip.
func holds(rs []Range, ip Addr) bool {
	return slices.ContainsFunc(rs, func(r Range) bool { return r.Contains(ip) })
}

// TestMergeSubtractExhaustive checks merge, subtract and NewSpace against
// set membership for every pair of lists of up to two ranges in a window
// of 6 addresses across each boundary between the families,
// ::fffe:ffff:ffff | 0.0.0.0 and 255.255.255.255 | ::1:0:0:0, and at the
// top of the space: 3 × 463 × 463 cases. A range there may hold both
// families, as a wide block such as ::/64 does. With -short, the include
// lists are of one range: 3 × 22 × 463 cases.
func TestMergeSubtractExhaustive(t *testing.T) {
	const n = 6
	ports := mustPorts("80")
	for _, base := range []Addr{{Lo: v4Lo - n/2}, V4(math.MaxUint32 - n/2 + 1), {Hi: math.MaxUint64, Lo: math.MaxUint64 - (n - 1)}} {
		var ranges []Range
		for a := uint64(0); a < n; a++ {
			for b := a; b < n; b++ {
				ranges = append(ranges, Range{base.Add(a), base.Add(b)})
			}
		}
		lists := [][]Range{nil}
		for _, a := range ranges {
			lists = append(lists, []Range{a})
		}
		for _, a := range ranges {
			for _, b := range ranges {
				lists = append(lists, []Range{a, b})
			}
		}
		incLists := lists
		if testing.Short() {
			incLists = lists[:len(ranges)+1]
		}
		oneFamily := func(rs []Range) bool {
			return !slices.ContainsFunc(rs, func(r Range) bool { return r.First.Is4() != r.Last.Is4() })
		}
		for _, inc := range incLists {
			m := merge(slices.Clone(inc))
			checkMerged(t, fmt.Sprintf("merge(%v)", inc), m)
			for off := range uint64(n) {
				if ip := base.Add(off); holds(m, ip) != holds(inc, ip) {
					t.Fatalf("merge(%v) = %v: holds %s is %v", inc, m, ip, holds(m, ip))
				}
			}
			for _, exc := range lists {
				got := subtract(m, merge(slices.Clone(exc)))
				what := fmt.Sprintf("subtract(%v, %v)", inc, exc)
				checkMerged(t, what, got)
				has4, has6 := false, false
				for off := range uint64(n) {
					ip := base.Add(off)
					want := holds(inc, ip) && !holds(exc, ip)
					if holds(got, ip) != want {
						t.Fatalf("%s = %v: holds %s is %v, want %v", what, got, ip, !want, want)
					}
					has4 = has4 || want && ip.Is4()
					has6 = has6 || want && !ip.Is4()
				}
				if !oneFamily(inc) || !oneFamily(exc) || len(got) == 0 {
					continue
				}
				// Ranges of one family give ranges of one family, and
				// the space knows which families it holds.
				if !oneFamily(got) {
					t.Fatalf("%s = %v: a range of both families", what, got)
				}
				s, err := NewSpace(inc, exc, ports)
				if err != nil || !slices.Equal(s.Ranges(), got) || s.Has4() != has4 || s.Has6() != has6 {
					t.Fatalf("NewSpace(%v, %v) = %v, %v; want %v, Has4 %v, Has6 %v", inc, exc, s, err, got, has4, has6)
				}
			}
		}
	}
}

// ParseTarget reads IPv4 and IPv6 targets alike; a target may hold at
// most 2^48 addresses, the most probes a scan holds, so /80 is the widest
// IPv6 prefix.
func ExampleParseTarget() {
	for _, s := range []string{"198.18.0.0/24", "2001:db8::77/120", "2001:db8::1-2001:db8::ff", "::ffff:198.18.0.1", "2001:db8::/80", "2001:db8::/79"} {
		r, err := ParseTarget(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%s: %s, %d addresses, IPv4 %v\n", s, r, r.Len(), r.Is4())
	}
	// Output:
	// 198.18.0.0/24: 198.18.0.0/24, 256 addresses, IPv4 true
	// 2001:db8::77/120: 2001:db8::/120, 256 addresses, IPv4 false
	// 2001:db8::1-2001:db8::ff: 2001:db8::1-2001:db8::ff, 255 addresses, IPv4 false
	// ::ffff:198.18.0.1: 198.18.0.1, 1 addresses, IPv4 true
	// 2001:db8::/80: 2001:db8::/80, 281474976710656 addresses, IPv4 false
	// bad target "2001:db8::/79": more than 2^48 addresses, the most a scan holds: give a longer prefix, such as /80 for IPv6
}
