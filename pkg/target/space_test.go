package target

import (
	"bytes"
	"errors"
	"math"
	"slices"
	"testing"
)

func TestNewSpaceEmpty(t *testing.T) {
	lab := []Range{rng("198.18.0.0", "198.18.0.255")}
	tests := []struct {
		name     string
		inc, exc []Range
		ports    Ports
		wantErr  string
	}{
		{name: "no targets", ports: mustPorts("80"), wantErr: "nothing to scan: no targets"},
		{name: "no ports", inc: lab, wantErr: "nothing to scan: no ports"},
		{name: "all excluded", inc: lab, exc: []Range{rng("198.18.0.0", "198.18.0.127"), rng("198.18.0.128", "198.18.0.255")},
			ports: mustPorts("80"), wantErr: "nothing to scan: every target is excluded"},
		{name: "both families excluded", inc: []Range{lab[0], rng("2001:db8::", "2001:db8::ff")},
			exc:   []Range{rng("2001:db8::", "2001:db8::ffff"), rng("198.18.0.0", "198.18.0.255")},
			ports: mustPorts("80"), wantErr: "nothing to scan: every target is excluded"},
		{name: "everything excluded", inc: []Range{lab[0], rng("::", "::ff"), {First: maxAddr, Last: maxAddr}}, exc: []Range{{First: Addr{}, Last: maxAddr}},
			ports: mustPorts("80"), wantErr: "nothing to scan: every target is excluded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewSpace(tt.inc, tt.exc, tt.ports)
			if !errors.Is(err, ErrEmpty) || err.Error() != tt.wantErr {
				t.Fatalf("NewSpace = %v, %v; want error %q wrapping ErrEmpty", s, err, tt.wantErr)
			}
		})
	}
}

func TestSpace(t *testing.T) {
	tests := []struct {
		name       string
		inc, exc   []Range
		ports      string
		wantRanges []Range
	}{
		{name: "one host one port", inc: []Range{rng("198.18.0.1", "198.18.0.1")}, ports: "80",
			wantRanges: []Range{rng("198.18.0.1", "198.18.0.1")}},
		{name: "cidr times ports", inc: []Range{rng("198.18.0.0", "198.18.0.15")}, ports: "22,80,8000-8003",
			wantRanges: []Range{rng("198.18.0.0", "198.18.0.15")}},
		{name: "overlapping includes", inc: []Range{rng("198.18.0.0", "198.18.0.15"), rng("198.18.0.8", "198.18.0.31"), rng("198.18.0.3", "198.18.0.3")},
			ports: "1-3", wantRanges: []Range{rng("198.18.0.0", "198.18.0.31")}},
		{name: "excludes", inc: []Range{rng("198.18.0.0", "198.18.0.63"), rng("198.18.1.0", "198.18.1.9")},
			exc:   []Range{rng("198.18.0.0", "198.18.0.0"), rng("198.18.0.10", "198.18.0.19"), rng("198.18.0.60", "198.18.1.2")},
			ports: "443,80", wantRanges: []Range{rng("198.18.0.1", "198.18.0.9"), rng("198.18.0.20", "198.18.0.59"), rng("198.18.1.3", "198.18.1.9")}},
		{name: "edges of the address space", inc: []Range{rng("0.0.0.0", "0.0.0.3"), rng("255.255.255.250", "255.255.255.255")}, ports: "65535,1",
			wantRanges: []Range{rng("0.0.0.0", "0.0.0.3"), rng("255.255.255.250", "255.255.255.255")}},
		{name: "ipv6 cidr times ports", inc: []Range{rng("2001:db8::", "2001:db8::f")}, ports: "22,80,8000-8003",
			wantRanges: []Range{rng("2001:db8::", "2001:db8::f")}},
		{name: "mixed families", inc: []Range{rng("2001:db8::", "2001:db8::3"), rng("198.18.0.0", "198.18.0.3"), rng("::1", "::1"), rng("198.18.0.2", "198.18.0.9")},
			exc:   []Range{rng("2001:db8::2", "2001:db8::2"), rng("198.18.0.5", "198.18.0.5")},
			ports: "443,80", wantRanges: []Range{rng("::1", "::1"), rng("198.18.0.0", "198.18.0.4"), rng("198.18.0.6", "198.18.0.9"), rng("2001:db8::", "2001:db8::1"), rng("2001:db8::3", "2001:db8::3")}},
		{name: "ipv6 edges of the address space", inc: []Range{rng("::", "::3"), rng(top6+"fffa", top6+"ffff")}, ports: "65535,1",
			wantRanges: []Range{rng("::", "::3"), rng(top6+"fffa", top6+"ffff")}},
		{name: "ipv6 excludes at :: and at the top", inc: []Range{rng("::", "::f"), rng(top6+"fff0", top6+"ffff"), rng("10.0.0.0", "10.0.0.1")},
			exc:   []Range{rng("::", "::1"), rng(top6+"fffe", top6+"ffff")},
			ports: "7", wantRanges: []Range{rng("::2", "::f"), rng("10.0.0.0", "10.0.0.1"), rng(top6+"fff0", top6+"fffd")}},
		{name: "ipv6 across 64 bits", inc: []Range{rng("2001:db8::ffff:ffff:ffff:fff8", "2001:db8:0:1::7")},
			exc:   []Range{rng("2001:db8::ffff:ffff:ffff:ffff", "2001:db8::ffff:ffff:ffff:ffff")},
			ports: "1-3", wantRanges: []Range{rng("2001:db8::ffff:ffff:ffff:fff8", "2001:db8::ffff:ffff:ffff:fffe"), rng("2001:db8:0:1::", "2001:db8:0:1::7")}},
		{name: "ipv6 excludes of every kind", inc: []Range{rng("2001:db8::", "2001:db8::3f"), rng("2001:db8::1:0", "2001:db8::1:9")},
			exc:   []Range{rng("2001:db8::", "2001:db8::"), rng("2001:db8::10", "2001:db8::1f"), rng("2001:db8::3c", "2001:db8::1:2"), rng("198.18.0.0", "198.18.255.255")},
			ports: "80", wantRanges: []Range{rng("2001:db8::1", "2001:db8::f"), rng("2001:db8::20", "2001:db8::3b"), rng("2001:db8::1:3", "2001:db8::1:9")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inc, exc := slices.Clone(tt.inc), slices.Clone(tt.exc)
			ports := mustPorts(tt.ports)
			s, err := NewSpace(inc, exc, ports)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(inc, tt.inc) || !slices.Equal(exc, tt.exc) {
				t.Errorf("NewSpace modified its inputs")
			}
			if got := s.Ranges(); !slices.Equal(got, tt.wantRanges) {
				t.Fatalf("Ranges() = %v; want %v", got, tt.wantRanges)
			}
			var hosts uint64
			for _, r := range tt.wantRanges {
				hosts += r.Len()
			}
			if s.Hosts() != hosts || s.Len() != hosts*uint64(ports.Len()) || !s.Ports().Equal(ports) {
				t.Fatalf("Hosts() = %d, Len() = %d, Ports() = %v; want %d, %d, %v", s.Hosts(), s.Len(), s.Ports(), hosts, hosts*uint64(ports.Len()), ports)
			}

			// Index enumerates the space in host-major order, and Lookup inverts it.
			type probe struct {
				ip   Addr
				port uint16
			}
			seen := make(map[probe]bool)
			var prev probe
			for i := range s.Len() {
				ip, port := s.Index(i)
				key := probe{ip, port}
				if i > 0 && (ip.Less(prev.ip) || ip == prev.ip && port <= prev.port) {
					t.Fatalf("Index(%d) = %s:%d is not after %s:%d", i, ip, port, prev.ip, prev.port)
				}
				prev, seen[key] = key, true
				in := slices.ContainsFunc(tt.wantRanges, func(r Range) bool { return r.Contains(ip) })
				if _, ok := ports.Index(port); !ok || !in {
					t.Fatalf("Index(%d) = %s:%d, outside the space", i, ip, port)
				}
				for _, r := range tt.exc {
					if r.Contains(ip) {
						t.Fatalf("Index(%d) = %s, which is excluded by %v", i, ip, r)
					}
				}
				if j, ok := s.Lookup(ip, port); !ok || j != i {
					t.Fatalf("Lookup(%s, %d) = %d, %v; want %d, true", ip, port, j, ok, i)
				}
			}
			if uint64(len(seen)) != s.Len() {
				t.Fatalf("Index gave %d distinct probes; want %d", len(seen), s.Len())
			}

			// Lookup rejects every pair outside the space.
			for _, r := range tt.exc {
				if _, ok := s.Lookup(r.First, ports.At(0)); ok {
					t.Errorf("Lookup(excluded %s) = true", r.First)
				}
			}
			for _, r := range tt.wantRanges {
				if r.First != (Addr{}) {
					if _, ok := s.Lookup(r.First.Prev(), ports.At(0)); ok {
						t.Errorf("Lookup(%s, %d) = true; host is outside the space", r.First.Prev(), ports.At(0))
					}
				}
				if !r.Last.IsMax() {
					if _, ok := s.Lookup(r.Last.Next(), ports.At(0)); ok {
						t.Errorf("Lookup(%s, %d) = true; host is outside the space", r.Last.Next(), ports.At(0))
					}
				}
				for _, port := range []uint16{0, 2, 81, 65534} {
					if _, in := ports.Index(port); !in {
						if _, ok := s.Lookup(r.First, port); ok {
							t.Errorf("Lookup(%s, %d) = true; port is outside the space", r.First, port)
						}
					}
				}
			}
		})
	}
}

func TestSpaceLarge(t *testing.T) {
	s, err := NewSpace([]Range{rng("0.0.0.0", "255.255.255.255")}, []Range{rng("10.0.0.0", "10.255.255.255")}, mustPorts("1-65535"))
	if err != nil {
		t.Fatal(err)
	}
	const hosts = 1<<32 - 1<<24
	if s.Hosts() != hosts || s.Len() != hosts*65535 {
		t.Fatalf("Hosts() = %d, Len() = %d; want %d, %d", s.Hosts(), s.Len(), uint64(hosts), uint64(hosts*65535))
	}
	last := s.Len() - 1
	if ip, port := s.Index(last); ip != V4(0xffffffff) || port != 65535 {
		t.Errorf("Index(Len()-1) = %s:%d; want 255.255.255.255:65535", ip, port)
	}
	if ip, port := s.Index(10 << 24 * 65535); ip != V4(11<<24) || port != 1 {
		t.Errorf("Index = %s:%d; want 11.0.0.0:1", ip, port)
	}
	if i, ok := s.Lookup(V4(0xffffffff), 65535); !ok || i != last {
		t.Errorf("Lookup(255.255.255.255, 65535) = %d, %v; want %d, true", i, ok, last)
	}
}

func TestSpaceNoAlloc(t *testing.T) {
	s, err := NewSpace([]Range{rng("198.18.0.0", "198.18.3.255"), rng("198.19.0.0", "198.19.0.0")}, []Range{rng("198.18.1.7", "198.18.1.9")}, mustPorts("22,80,443,1000-2000"))
	if err != nil {
		t.Fatal(err)
	}
	var i uint64
	n := testing.AllocsPerRun(1000, func() {
		ip, port := s.Index(i % s.Len())
		if _, ok := s.Lookup(ip, port); !ok {
			panic("Lookup failed")
		}
		i += 7919
	})
	if n != 0 {
		t.Errorf("Index+Lookup allocate %v times per call; want 0", n)
	}
}

func BenchmarkSpaceIndex(b *testing.B) {
	var inc []Range
	for i := range uint32(64) { // 64 separate /24s
		inc = append(inc, V4Range(0xc6120000+i<<9, 0xc6120000+i<<9+255))
	}
	s, err := NewSpace(inc, nil, mustPorts("1-1024"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	n := s.Len()
	var i uint64
	var sink uint64
	for b.Loop() {
		ip, port := s.Index(i)
		sink += ip.Lo + uint64(port)
		if i += 104729; i >= n {
			i -= n
		}
	}
	_ = sink
}

func BenchmarkSpaceLookup(b *testing.B) {
	s, err := NewSpace([]Range{rng("198.18.0.0", "198.18.255.255")}, []Range{rng("198.18.7.0", "198.18.7.255")}, mustPorts("22,80,443,1000-2000"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var j uint32
	for b.Loop() {
		s.Lookup(V4(0xc6120000|j&0xffff), 443)
		j += 257
	}
}

func TestNewSpaceTooLarge(t *testing.T) {
	const limit = "make more than 2^48 probes, the most a scan holds"
	doc := addr("2001:db8::")
	// hosts × 65535 <= 2^48: 2^48-1 = 65535 × 0x100010001.
	const most = 0x1_0001_0001
	tests := []struct {
		name    string
		inc     []string // targets, as ParseTargets takes them
		extra   []Range  // more includes, beyond what ParseTarget takes
		exc     []string // blocks, as ParseBlocks takes them
		ports   string
		wantLen uint64 // if the space fits
		wantErr string
	}{
		{name: "a /80", inc: []string{"2001:db8::/80"}, ports: "80", wantLen: 1 << 48},
		{name: "a /80 times 2 ports", inc: []string{"2001:db8::/80"}, ports: "80,443",
			wantErr: "too many probes: the targets (the largest 2001:db8::/80) times 2 ports " + limit},
		{name: "a /81 times 2 ports", inc: []string{"2001:db8::/81"}, ports: "80,443", wantLen: 1 << 48},
		{name: "a /81 times 3 ports", inc: []string{"2001:db8::/81"}, ports: "22,80,443",
			wantErr: "too many probes: the targets (the largest 2001:db8::/81) times 3 ports " + limit},
		{name: "a /88 times 256 ports", inc: []string{"2001:db8::/88"}, ports: "1-256", wantLen: 1 << 48},
		{name: "a /88 times 257 ports", inc: []string{"2001:db8::/88"}, ports: "1-257",
			wantErr: "too many probes: the targets (the largest 2001:db8::/88) times 257 ports " + limit},
		{name: "two /81s merge into a /80", inc: []string{"2001:db8::/81", "2001:db8::8000:0:0/81"}, ports: "80", wantLen: 1 << 48},
		{name: "two /80s merge into a /79", inc: []string{"2001:db8::/80", "2001:db8:0:0:1::/80"}, ports: "80",
			wantErr: "too many probes: the targets (the largest 2001:db8::/79) times 1 ports " + limit},
		{name: "two /80s apart, the lower named", inc: []string{"2001:db8:0:1::/80", "2001:db8::/80"}, ports: "80",
			wantErr: "too many probes: the targets (the largest 2001:db8::/80) times 1 ports " + limit},
		{name: "a /80 and one more", inc: []string{"2001:db8::/80", "::1"}, ports: "80",
			wantErr: "too many probes: the targets (the largest 2001:db8::/80) times 1 ports " + limit},
		{name: "a /80 and one more, less one address", inc: []string{"2001:db8::/80", "::1"}, exc: []string{"2001:db8::5"}, ports: "80", wantLen: 1 << 48},
		{name: "two /80s, one excluded by a wide block", inc: []string{"2001:db8::/80", "2001:db9::/80"}, exc: []string{"2001:db9::/32"}, ports: "80", wantLen: 1 << 48},
		{name: "the largest range overall is named", inc: []string{"2001:db8::/81", "2001:db8:1::-2001:db8:1::8000:0:0", "2001:db8:2::/80"}, ports: "80",
			wantErr: "too many probes: the targets (the largest 2001:db8:2::/80) times 1 ports " + limit},
		{name: "all of ipv4 and a /81", inc: []string{"0.0.0.0/0", "2001:db8::/81"}, ports: "80", wantLen: 1<<47 + 1<<32},
		{name: "all of ipv4 and a /81, times 2 ports", inc: []string{"0.0.0.0/0", "2001:db8::/81"}, ports: "80,443",
			wantErr: "too many probes: the targets (the largest 2001:db8::/81) times 2 ports " + limit},
		{name: "all of ipv4 times every port", inc: []string{"0.0.0.0/0"}, ports: "1-65535", wantLen: 1 << 32 * 65535},
		{name: "a /96 times every port", inc: []string{"2001:db8::/96"}, ports: "1-65535", wantLen: 1 << 32 * 65535},
		{name: "a /95 times every port", inc: []string{"2001:db8::/95"}, ports: "1-65535",
			wantErr: "too many probes: the targets (the largest 2001:db8::/95) times 65535 ports " + limit},
		{name: "all of ipv4 and one more, times every port", inc: []string{"0.0.0.0/0", "2001:db8::/96"}, ports: "1-65535",
			wantErr: "too many probes: the targets (the largest 0.0.0.0/0) times 65535 ports " + limit},
		{name: "exactly 2^48-1 probes", extra: []Range{{First: doc, Last: doc.Add(most - 1)}}, ports: "1-65535", wantLen: 1<<48 - 1},
		{name: "one host past 2^48-1 probes", extra: []Range{{First: doc, Last: doc.Add(most - 1)}}, inc: []string{"::1"}, ports: "1-65535",
			wantErr: "too many probes: the targets (the largest 2001:db8::-2001:db8::1:1:0) times 65535 ports " + limit},
		// Ranges of 2^64 addresses or more, whose Len saturates.
		{name: "a /64 include", extra: []Range{{First: doc, Last: Addr{Hi: doc.Hi, Lo: math.MaxUint64}}}, ports: "80",
			wantErr: "too many probes: the targets (the largest 2001:db8::/64) times 1 ports " + limit},
		{name: "everything included", extra: []Range{{Last: maxAddr}}, exc: []string{"8000::/1"}, ports: "80",
			wantErr: "too many probes: the targets (the largest ::/1) times 1 ports " + limit},
		{name: "2000::/3 and up included, all but a /80 excluded", extra: []Range{{First: Addr{Hi: 1 << 61}, Last: maxAddr}},
			exc: []string{"2000::-2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db8:0:0:1::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"}, ports: "80", wantLen: 1 << 48},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inc, err := ParseTargets(tt.inc)
			if err != nil {
				t.Fatal(err)
			}
			exc, err := ParseBlocks(tt.exc)
			if err != nil {
				t.Fatal(err)
			}
			s, err := NewSpace(append(inc, tt.extra...), exc, mustPorts(tt.ports))
			if tt.wantErr != "" {
				if !errors.Is(err, ErrTooLarge) || err.Error() != tt.wantErr {
					t.Fatalf("NewSpace = %v, %v; want error %q wrapping ErrTooLarge", s, err, tt.wantErr)
				}
				return
			}
			if err != nil || s.Len() != tt.wantLen {
				t.Fatalf("NewSpace = %v; want Len() %d", err, tt.wantLen)
			}
			// The space fits a Permutation, and its last probe is the last
			// port of the last host.
			NewPermutation(s.Len(), 1)
			rs, ports := s.Ranges(), s.Ports()
			ip, port := s.Index(s.Len() - 1)
			if last := rs[len(rs)-1].Last; ip != last || port != ports.At(ports.Len()-1) {
				t.Errorf("Index(Len()-1) = %s:%d; want %s:%d", ip, port, last, ports.At(ports.Len()-1))
			}
			if i, ok := s.Lookup(ip, port); !ok || i != s.Len()-1 {
				t.Errorf("Lookup(%s, %d) = %d, %v; want %d, true", ip, port, i, ok, s.Len()-1)
			}
		})
	}
}

func TestLargest(t *testing.T) {
	p80, p81 := rng("2001:db8::", "2001:db8::ffff:ffff:ffff"), rng("2001:db9::", "2001:db9::7fff:ffff:ffff")
	wide, wider := Range{First: Addr{Hi: 1}, Last: Addr{Hi: 1, Lo: math.MaxUint64}}, Range{Last: maxAddr}
	tests := []struct {
		in   []Range
		want Range
	}{
		{[]Range{p81}, p81},
		{[]Range{p81, p80, rng("::1", "::1")}, p80},
		{[]Range{V4Range(0, 9), V4Range(20, 29)}, V4Range(0, 9)}, // a tie: the first
		{[]Range{p80, wide, wider}, wide},                        // both saturate Len: the first
	}
	for _, tt := range tests {
		if got := largest(tt.in); got != tt.want {
			t.Errorf("largest(%v) = %v; want %v", tt.in, got, tt.want)
		}
	}
}

// TestSpaceLargeIPv6 checks Index and Lookup where a span crosses the
// carry from Lo into Hi and the probe indexes need all 48 bits: all of
// IPv4 and 2^46 IPv6 addresses, half of them on either side of the
// carry, times 2 ports.
func TestSpaceLargeIPv6(t *testing.T) {
	inc, err := ParseTargets([]string{"2001:db8::ffff:e000:0:0-2001:db8:0:1:0:1fff:ffff:ffff", "0.0.0.0/0", "::1"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSpace(inc, []Range{rng("10.0.0.0", "10.255.255.255")}, mustPorts("80,443"))
	if err != nil {
		t.Fatal(err)
	}
	const v4 = 1<<32 - 1<<24
	if s.Hosts() != 1+v4+1<<46 || s.Len() != 2*s.Hosts() || s.Len() < 1<<47 || !s.Has4() || !s.Has6() {
		t.Fatalf("Hosts() = %d, Len() = %d, Has4() = %v, Has6() = %v; want %d, %d, true, true", s.Hosts(), s.Len(), s.Has4(), s.Has6(), uint64(1+v4+1<<46), uint64(2*(1+v4+1<<46)))
	}
	for _, tt := range []struct {
		host uint64
		ip   string
	}{
		{0, "::1"},
		{1, "0.0.0.0"},
		{1 + 10<<24, "11.0.0.0"},
		{v4, "255.255.255.255"},
		{v4 + 1, "2001:db8::ffff:e000:0:0"},
		{v4 + 1<<45, "2001:db8::ffff:ffff:ffff:ffff"},
		{v4 + 1 + 1<<45, "2001:db8:0:1::"},
		{v4 + 1<<46, "2001:db8:0:1:0:1fff:ffff:ffff"},
	} {
		for p, port := range []uint16{80, 443} {
			i := 2*tt.host + uint64(p)
			ip, got := s.Index(i)
			if ip != addr(tt.ip) || got != port {
				t.Errorf("Index(%d) = %s:%d; want %s:%d", i, ip, got, tt.ip, port)
			}
			if j, ok := s.Lookup(addr(tt.ip), port); !ok || j != i {
				t.Errorf("Lookup(%s, %d) = %d, %v; want %d, true", tt.ip, port, j, ok, i)
			}
		}
	}
}

// TestSpaceFamilies checks Has4 and Has6, and Index and Lookup, where
// the families meet: 255.255.255.255 and ::1:0:0:0 are adjacent numbers,
// as are ::fffe:ffff:ffff and 0.0.0.0, but never one range.
func TestSpaceFamilies(t *testing.T) {
	tests := []struct {
		name       string
		inc, exc   []string
		wantRanges int
		has4, has6 bool
	}{
		{name: "top of ipv4 and the ipv6 above", inc: []string{"255.255.255.0/24", "::1:0:0:0/120"}, wantRanges: 2, has4: true, has6: true},
		{name: "bottom of ipv4 and the ipv6 below", inc: []string{"::fffe:ffff:ff00/120", "0.0.0.0/24"}, wantRanges: 2, has4: true, has6: true},
		{name: "all of ipv4 between its neighbours", inc: []string{"::1:0:0:0", "0.0.0.0/0", "::fffe:ffff:ffff"}, wantRanges: 3, has4: true, has6: true},
		{name: "ipv4 only", inc: []string{"198.18.0.0/24", "::ffff:198.18.1.0/120"}, wantRanges: 1, has4: true},
		{name: "ipv6 only", inc: []string{"2001:db8::/120", "::1"}, wantRanges: 2, has6: true},
		{name: "ipv6 excluded by a wide block", inc: []string{"198.18.0.0/24", "2001:db8::/120", "fe80::/120"}, exc: []string{"2000::/3", "fe80::/10"}, wantRanges: 1, has4: true},
		{name: "ipv4 excluded at the boundary", inc: []string{"255.255.255.0/24", "::1:0:0:0/120"}, exc: []string{"255.255.255.0/24"}, wantRanges: 1, has6: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inc, err := ParseTargets(tt.inc)
			if err != nil {
				t.Fatal(err)
			}
			exc, err := ParseBlocks(tt.exc)
			if err != nil {
				t.Fatal(err)
			}
			s, err := NewSpace(inc, exc, mustPorts("80"))
			if err != nil {
				t.Fatal(err)
			}
			rs := s.Ranges()
			if len(rs) != tt.wantRanges || s.Has4() != tt.has4 || s.Has6() != tt.has6 {
				t.Fatalf("Ranges() = %v, Has4() = %v, Has6() = %v; want %d ranges, %v, %v", rs, s.Has4(), s.Has6(), tt.wantRanges, tt.has4, tt.has6)
			}
			// Each range is of one family, and the probes on either side
			// of a boundary are neighbours.
			var first uint64
			for _, r := range rs {
				if r.First.Is4() != r.Last.Is4() {
					t.Errorf("range %v holds both families", r)
				}
				last := first + r.Len() - 1
				for i, ip := range map[uint64]Addr{first: r.First, last: r.Last} {
					if j, ok := s.Lookup(ip, 80); !ok || j != i {
						t.Errorf("Lookup(%s, 80) = %d, %v; want %d, true", ip, j, ok, i)
					}
					if got, _ := s.Index(i); got != ip {
						t.Errorf("Index(%d) = %s; want %s", i, got, ip)
					}
				}
				first = last + 1
			}
			if first != s.Len() {
				t.Errorf("the ranges hold %d hosts; Len() = %d", first, s.Len())
			}
		})
	}
}

// TestSpaceLookupOutside checks that Lookup of a mixed space finds no
// address outside it: of either family, between the families, or equal
// to a member in one half of its 128 bits only.
func TestSpaceLookupOutside(t *testing.T) {
	s, err := NewSpace([]Range{rng("198.18.0.0", "198.18.0.255"), rng("2001:db8::", "2001:db8::ff"), rng("2001:db8:0:1::5", "2001:db8:0:1::5")},
		[]Range{rng("198.18.0.7", "198.18.0.7"), rng("2001:db8::7", "2001:db8::7")}, mustPorts("80"))
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{"198.18.0.1", "198.18.0.255", "2001:db8::", "2001:db8::ff", "2001:db8:0:1::5"} {
		if _, ok := s.Lookup(addr(in), 80); !ok {
			t.Errorf("Lookup(%s, 80) = false; want true", in)
		}
	}
	for _, out := range []string{
		"::", "::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		"198.17.255.255", "198.18.1.0", "198.18.0.7", "0.0.0.0", "255.255.255.255", // IPv4 outside
		"2001:db8::7", "2001:db8::100", "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db8:0:1::4", "2001:db8:0:1::6", // IPv6 outside
		"::fffe:ffff:ffff", "::1:0:0:0", "::ffff:ffff:ffff:ffff", // between the families
		"::c612:1", "::ffff:0:0:1", "2001:db8::ffff:c612:1", // 198.18.0.1 in the low bits only
		"2001:db9::1", "2001:db8:0:2::5", "0:0:0:1::5", "::5", // a member's Lo with another Hi, or its Hi with another Lo
		"2001:db8::5:0:0:0", "2001:db8:0:0:1::1",
	} {
		if i, ok := s.Lookup(addr(out), 80); ok {
			t.Errorf("Lookup(%s, 80) = %d, true; want false", out, i)
		}
	}
}

func TestSpaceNoAllocIPv6(t *testing.T) {
	s, err := NewSpace([]Range{rng("2001:db8::", "2001:db8::3:ffff"), rng("198.18.0.0", "198.18.3.255"), rng("2001:db8:0:1::", "2001:db8:0:1::")},
		[]Range{rng("2001:db8::1:7", "2001:db8::1:9")}, mustPorts("22,80,443,1000-2000"))
	if err != nil {
		t.Fatal(err)
	}
	var i uint64
	buf := make([]byte, 0, 64)
	n := testing.AllocsPerRun(1000, func() {
		ip, port := s.Index(i % s.Len())
		if _, ok := s.Lookup(ip, port); !ok {
			panic("Lookup failed")
		}
		buf = ip.AppendTo(buf[:0])
		i += 7919
	})
	if n != 0 {
		t.Errorf("Index+Lookup+AppendTo allocate %v times per call; want 0", n)
	}
}

// hitlist returns n distinct single IPv6 addresses in 2001:db8::/32, one
// per line, in scattered order, as an -iL file of a hitlist would hold
// them, and the i-th address written.
func hitlist(n int) (text []byte, at func(i int) Addr) {
	at = func(i int) Addr {
		// The multiplier is odd, so i ↦ Lo is a bijection; Hi scatters the
		// addresses over 2^16 /64s.
		x := uint64(i) * 0x9e3779b97f4a7c15
		return Addr{Hi: 0x20010db8_0000_0000 | x>>48, Lo: x}
	}
	text = make([]byte, 0, n*40)
	for i := range n {
		text = at(i).AppendTo(text)
		text = append(text, '\n')
	}
	return text, at
}

func TestSpaceHitlist(t *testing.T) {
	const n = 100_000
	text, at := hitlist(n)
	targets, err := ReadTargets(bytes.NewReader(text), "hitlist.txt")
	if err != nil || len(targets) != n {
		t.Fatalf("ReadTargets = %d targets, %v; want %d", len(targets), err, n)
	}
	s, err := NewSpace(targets, []Range{{First: at(n - 1), Last: at(n - 1)}}, mustPorts("80,443"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Hosts() != n-1 || s.Len() != 2*(n-1) || s.Has4() || !s.Has6() {
		t.Fatalf("Hosts() = %d, Len() = %d, Has4() = %v, Has6() = %v; want %d, %d, false, true", s.Hosts(), s.Len(), s.Has4(), s.Has6(), n-1, 2*(n-1))
	}
	for _, i := range []int{0, 1, n / 2, n - 2} {
		a := at(i)
		j, ok := s.Lookup(a, 443)
		if !ok {
			t.Fatalf("Lookup(%s, 443) = false", a)
		}
		if ip, port := s.Index(j); ip != a || port != 443 {
			t.Errorf("Index(Lookup(%s, 443)) = %s:%d", a, ip, port)
		}
		if _, ok := s.Lookup(a.Next(), 443); ok && !slices.ContainsFunc(targets, func(r Range) bool { return r.Contains(a.Next()) }) {
			t.Errorf("Lookup(%s, 443) = true; the address is not in the hitlist", a.Next())
		}
	}
	if _, ok := s.Lookup(at(n-1), 80); ok {
		t.Errorf("Lookup(%s, 80) = true; the address is excluded", at(n-1))
	}
}

// BenchmarkSpaceHitlist reads a hitlist of a million single IPv6
// addresses and builds its Space.
func BenchmarkSpaceHitlist(b *testing.B) {
	const n = 1_000_000
	text, _ := hitlist(n)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		targets, err := ReadTargets(bytes.NewReader(text), "hitlist.txt")
		if err != nil {
			b.Fatal(err)
		}
		s, err := NewSpace(targets, nil, mustPorts("80,443"))
		if err != nil || s.Hosts() != n {
			b.Fatalf("NewSpace = %v; Hosts() = %d, want %d", err, s.Hosts(), n)
		}
	}
}
