package target

import (
	"errors"
	"math"
	"net/netip"
	"testing"
)

// Addresses at the edges of the families and of the Hi/Lo halves.
var (
	v4Zero   = Addr{Lo: 0xffff_0000_0000}     // ::ffff:0.0.0.0
	v4Max    = Addr{Lo: 0xffff_ffff_ffff}     // ::ffff:255.255.255.255
	loMax    = Addr{Lo: math.MaxUint64}       // ::ffff:ffff:ffff:ffff, the top of Lo
	hiOne    = Addr{Hi: 1}                    // 0:0:0:1::, the first address past loMax
	docFirst = Addr{Hi: 0x20010db8_0000_0000} // 2001:db8::
	docOne   = Addr{Hi: 0x20010db8_0000_0000, Lo: 1}
)

func TestAddrV4(t *testing.T) {
	tests := []struct {
		ip   uint32
		want Addr
		str  string
	}{
		{0, v4Zero, "0.0.0.0"},
		{0xc6120001, Addr{Lo: 0xffff_c612_0001}, "198.18.0.1"},
		{0xffffffff, v4Max, "255.255.255.255"},
	}
	for _, tt := range tests {
		a := V4(tt.ip)
		if a != tt.want || !a.Is4() || a.V4() != tt.ip || a.String() != tt.str {
			t.Errorf("V4(%#x) = %#v (Is4 %v, V4 %#x, %q); want %#v, true, %#x, %q", tt.ip, a, a.Is4(), a.V4(), a.String(), tt.want, tt.ip, tt.str)
		}
	}
}

func TestAddrIs4(t *testing.T) {
	tests := []struct {
		in   Addr
		want bool
	}{
		{v4Zero, true},
		{v4Max, true},
		{Addr{}, false},                            // ::
		{Addr{Lo: 1}, false},                       // ::1
		{Addr{Lo: 0xc6120001}, false},              // ::198.18.0.1, IPv4-compatible
		{v4Zero.Prev(), false},                     // ::fffe:ffff:ffff
		{v4Max.Next(), false},                      // ::1:0:0:0
		{Addr{Hi: 1, Lo: 0xffff_c612_0001}, false}, // 0:0:0:1:0:ffff:c612:1
		{Addr{Lo: 0x0001_ffff_c612_0001}, false},   // ::1:ffff:c612:1
		{docOne, false},
	}
	for _, tt := range tests {
		if got := tt.in.Is4(); got != tt.want {
			t.Errorf("%s.Is4() = %v; want %v", tt.in, got, tt.want)
		}
	}
}

func TestAddrNetip(t *testing.T) {
	tests := []struct {
		name string
		in   string // a netip.Addr
		want Addr
		is4  bool
		back string // a.Netip(), the input unmapped and without its zone
	}{
		{"ipv4", "198.18.0.1", V4(0xc6120001), true, "198.18.0.1"},
		{"ipv4 zero", "0.0.0.0", v4Zero, true, "0.0.0.0"},
		{"ipv4 broadcast", "255.255.255.255", v4Max, true, "255.255.255.255"},
		{"ipv4-mapped", "::ffff:198.18.0.1", V4(0xc6120001), true, "198.18.0.1"},
		{"ipv4-compatible", "::198.18.0.1", Addr{Lo: 0xc6120001}, false, "::c612:1"},
		{"unspecified", "::", Addr{}, false, "::"},
		{"loopback", "::1", Addr{Lo: 1}, false, "::1"},
		{"documentation", "2001:db8::1", docOne, false, "2001:db8::1"},
		{"top of Lo", "::ffff:ffff:ffff:ffff", loMax, false, "::ffff:ffff:ffff:ffff"},
		{"bottom of Hi", "0:0:0:1::", hiOne, false, "0:0:0:1::"},
		{"highest", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", maxAddr, false, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
		{"zone dropped", "fe80::1%eth0", Addr{Hi: 0xfe80_0000_0000_0000, Lo: 1}, false, "fe80::1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := netip.MustParseAddr(tt.in)
			a := FromNetip(in)
			if a != tt.want || a.Is4() != tt.is4 {
				t.Fatalf("FromNetip(%s) = %#v, Is4 %v; want %#v, %v", in, a, a.Is4(), tt.want, tt.is4)
			}
			n := a.Netip()
			if n != netip.MustParseAddr(tt.back) || n.Is4() != tt.is4 || n.Is4In6() || n.Zone() != "" {
				t.Fatalf("FromNetip(%s).Netip() = %v (Is4 %v); want %s", in, n, n.Is4(), tt.back)
			}
			if back := FromNetip(n); back != a {
				t.Errorf("FromNetip(%v) = %#v; want %#v", n, back, a)
			}
			if b := a.As16(); b != in.As16() {
				t.Errorf("%s.As16() = %x; want %x", a, b, in.As16())
			}
		})
	}
	if a := FromNetip(netip.Addr{}); a != (Addr{}) {
		t.Errorf("FromNetip(invalid) = %#v; want the zero Addr", a)
	}
	a := V4(0xc6120001)
	if n := testing.AllocsPerRun(100, func() { a.Netip() }); n != 0 {
		t.Errorf("Netip allocates %v times per call; want 0", n)
	}
}

func TestAddrAs16(t *testing.T) {
	want := [16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}
	if got := docOne.As16(); got != want {
		t.Errorf("As16() = %x; want %x", got, want)
	}
	want = [16]byte{10: 0xff, 11: 0xff, 12: 198, 13: 18, 14: 0, 15: 1}
	if got := V4(0xc6120001).As16(); got != want {
		t.Errorf("V4(198.18.0.1).As16() = %x; want %x", got, want)
	}
}

func TestAddrCompare(t *testing.T) {
	// In ascending order; each compares below every later one.
	order := []Addr{
		{},
		{Lo: 1},
		{Lo: 0xc6120001},
		v4Zero.Prev(),
		v4Zero,
		V4(0xc6120001),
		v4Max,
		v4Max.Next(),
		loMax,
		hiOne,
		{Hi: 1, Lo: 1},
		{Hi: 2},
		docFirst,
		docOne,
		{Hi: math.MaxUint64},
		maxAddr,
	}
	for i, a := range order {
		for j, b := range order {
			want := 0
			switch {
			case i < j:
				want = -1
			case i > j:
				want = 1
			}
			if got := a.Compare(b); got != want {
				t.Errorf("%s.Compare(%s) = %d; want %d", a, b, got, want)
			}
			if got := a.Less(b); got != (want < 0) {
				t.Errorf("%s.Less(%s) = %v; want %v", a, b, got, want < 0)
			}
		}
	}
}

func TestAddrArithmetic(t *testing.T) {
	tests := []struct {
		name string
		a    Addr
		n    uint64
		want Addr // a + n
	}{
		{"zero", docOne, 0, docOne},
		{"one", docFirst, 1, docOne},
		{"in Lo", Addr{Hi: 5, Lo: 10}, 1 << 40, Addr{Hi: 5, Lo: 10 + 1<<40}},
		{"carry into Hi", loMax, 1, hiOne},
		{"carry with a remainder", Addr{Lo: math.MaxUint64 - 1}, 5, Addr{Hi: 1, Lo: 3}},
		{"carry by the most", Addr{Hi: 7, Lo: math.MaxUint64}, math.MaxUint64, Addr{Hi: 8, Lo: math.MaxUint64 - 1}},
		{"out of ipv4", v4Max, 1, Addr{Lo: 0x0001_0000_0000_0000}},
		{"into ipv4", v4Zero.Prev(), 1, v4Zero},
		{"wrap at the top", maxAddr, 1, Addr{}},
		{"wrap past the top", maxAddr, 3, Addr{Lo: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.a.Add(tt.n); got != tt.want {
				t.Errorf("%s.Add(%d) = %s; want %s", tt.a, tt.n, got, tt.want)
			}
			if tt.n == 1 {
				if got := tt.a.Next(); got != tt.want {
					t.Errorf("%s.Next() = %s; want %s", tt.a, got, tt.want)
				}
				if got := tt.want.Prev(); got != tt.a {
					t.Errorf("%s.Prev() = %s; want %s", tt.want, got, tt.a)
				}
			}
			// Sub inverts Add unless Add wrapped.
			if !tt.want.Less(tt.a) {
				if d, ok := tt.want.Sub(tt.a); !ok || d != tt.n {
					t.Errorf("%s.Sub(%s) = %d, %v; want %d, true", tt.want, tt.a, d, ok, tt.n)
				}
			}
		})
	}
	if got := (Addr{}).Prev(); got != maxAddr {
		t.Errorf(":: Prev() = %s; want %s", got, maxAddr)
	}
	if got := hiOne.Prev(); got != loMax {
		t.Errorf("%s.Prev() = %s; want %s (borrow from Hi)", hiOne, got, loMax)
	}
	if got := maxAddr.Next(); got != (Addr{}) {
		t.Errorf("%s.Next() = %s; want ::", maxAddr, got)
	}
}

func TestAddrSub(t *testing.T) {
	tests := []struct {
		name   string
		a, b   Addr
		want   uint64
		wantOK bool
	}{
		{"equal", docOne, docOne, 0, true},
		{"in Lo", docOne, docFirst, 1, true},
		{"ipv4", V4(0xffffffff), V4(0), 1<<32 - 1, true},
		{"borrow from Hi", hiOne, loMax, 1, true},
		{"borrow, large", Addr{Hi: 1, Lo: 5}, Addr{Lo: 10}, math.MaxUint64 - 4, true},
		{"the most that fits", Addr{Hi: 1, Lo: math.MaxUint64}, hiOne, math.MaxUint64, true},
		{"the most that fits, with a borrow", Addr{Hi: 1, Lo: math.MaxUint64 - 1}, Addr{Lo: math.MaxUint64}, math.MaxUint64, true},
		{"2^64 overflows", hiOne, Addr{}, 0, false},
		{"2^64 overflows, with a borrow", Addr{Hi: 2, Lo: 3}, Addr{Hi: 1, Lo: 3}, 0, false},
		{"everything overflows", maxAddr, Addr{}, 0, false},
		{"negative", docFirst, docOne, 0, false},
		{"negative across Hi", loMax, hiOne, 0, false},
		{"negative, large", Addr{}, maxAddr, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, ok := tt.a.Sub(tt.b); got != tt.want || ok != tt.wantOK {
				t.Errorf("%s.Sub(%s) = %d, %v; want %d, %v", tt.a, tt.b, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestAddrIsMax(t *testing.T) {
	for _, a := range []Addr{{}, v4Max, loMax, {Hi: math.MaxUint64}, {Hi: math.MaxUint64 - 1, Lo: math.MaxUint64}, maxAddr.Prev()} {
		if a.IsMax() {
			t.Errorf("%s.IsMax() = true", a)
		}
	}
	if !maxAddr.IsMax() {
		t.Errorf("%s.IsMax() = false", maxAddr)
	}
}

func TestAddrString(t *testing.T) {
	tests := []struct {
		in   Addr
		want string
	}{
		{V4(0), "0.0.0.0"},
		{V4(0xc6120001), "198.18.0.1"},
		{V4(0xffffffff), "255.255.255.255"},
		{Addr{}, "::"},
		{Addr{Lo: 1}, "::1"},
		{docOne, "2001:db8::1"},
		{Addr{Hi: 0x20010db8_0000_0001, Lo: 0x0000_0000_0001_0000}, "2001:db8:0:1::1:0"},    // the longest zero run is compressed
		{Addr{Hi: 0x20010db8_0000_0000, Lo: 0x0001_0000_0000_0001}, "2001:db8::1:0:0:1"},    // the first of two equal runs
		{Addr{Hi: 0x20010db8_0000_0001, Lo: 0x0001_0001_0001_0001}, "2001:db8:0:1:1:1:1:1"}, // a single 0 is not compressed
		{Addr{Lo: 0xc6120001}, "::c612:1"},                                                  // IPv4-compatible, written in hex
		{Addr{Hi: 0x0064ff9b_0000_0000, Lo: 0xc6120001}, "64:ff9b::c612:1"},
		{v4Zero.Prev(), "::fffe:ffff:ffff"},
		{v4Max.Next(), "::1:0:0:0"},
		{loMax, "::ffff:ffff:ffff:ffff"},
		{hiOne, "0:0:0:1::"},
		{Addr{Hi: 0xfe80_0000_0000_0000, Lo: 0x0211_22ff_fe33_4455}, "fe80::211:22ff:fe33:4455"},
		{maxAddr, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("%#v.String() = %q; want %q", tt.in, got, tt.want)
		}
		if got := string(tt.in.AppendTo([]byte("ip="))); got != "ip="+tt.want {
			t.Errorf("%#v.AppendTo(\"ip=\") = %q; want %q", tt.in, got, "ip="+tt.want)
		}
		if got, err := ParseAddr(tt.want); err != nil || got != tt.in {
			t.Errorf("ParseAddr(%q) = %#v, %v; want %#v", tt.want, got, err, tt.in)
		}
	}
}

func TestAddrAppendToNoAlloc(t *testing.T) {
	buf := make([]byte, 0, 64)
	for _, a := range []Addr{V4(0xffffffff), maxAddr, docOne, Addr{Hi: 0xfe80_0000_0000_0000, Lo: 0x0211_22ff_fe33_4455}} {
		if n := testing.AllocsPerRun(100, func() { buf = a.AppendTo(buf[:0]) }); n != 0 {
			t.Errorf("%s.AppendTo allocates %v times per call; want 0", a, n)
		}
	}
}

func TestParseAddr(t *testing.T) {
	tests := []struct {
		name, in string
		want     Addr
		wantErr  string
	}{
		{name: "ipv4", in: "198.18.0.1", want: V4(0xc6120001)},
		{name: "ipv6", in: "2001:db8::1", want: docOne},
		{name: "ipv6 full", in: "2001:0db8:0000:0000:0000:0000:0000:0001", want: docOne},
		{name: "ipv6 uppercase", in: "2001:DB8::1", want: docOne},
		{name: "ipv6 with a dotted tail", in: "2001:db8::198.18.0.1", want: Addr{Hi: 0x20010db8_0000_0000, Lo: 0xc6120001}},
		{name: "ipv4-mapped", in: "::ffff:198.18.0.1", want: V4(0xc6120001)},
		{name: "ipv4-mapped in hex", in: "::ffff:c612:1", want: V4(0xc6120001)},
		{name: "unspecified", in: "::", want: Addr{}},
		{name: "ipv4 leading zero", in: "198.18.0.010", wantErr: `bad IP address "198.18.0.010": field with a leading zero (octal?)`},
		{name: "ipv4-mapped leading zero", in: "::ffff:198.18.0.010", wantErr: `bad IP address "::ffff:198.18.0.010": not an IPv6 address`},
		{name: "zone", in: "fe80::1%eth0", wantErr: `bad IP address "fe80::1%eth0": an IPv6 zone (%eth0) has no place in a target`},
		{name: "bad ipv6", in: "2001:db8:::1", wantErr: `bad IP address "2001:db8:::1": not an IPv6 address`},
		{name: "empty", in: "", wantErr: `bad IP address "": want 4 decimal fields a.b.c.d`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAddr(tt.in)
			if tt.wantErr != "" {
				var se *SyntaxError
				if err == nil || err.Error() != tt.wantErr || !errors.As(err, &se) || se.Token != tt.in {
					t.Fatalf("ParseAddr(%q) = %v, %v; want error %s", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseAddr(%q) = %#v, %v; want %#v", tt.in, got, err, tt.want)
			}
		})
	}
}
