package target

import (
	"errors"
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
			seen := make(map[[2]uint64]bool)
			prev := [2]uint64{}
			for i := range s.Len() {
				ip, port := s.Index(i)
				key := [2]uint64{uint64(ip), uint64(port)}
				if i > 0 && (key[0] < prev[0] || key[0] == prev[0] && key[1] <= prev[1]) {
					t.Fatalf("Index(%d) = %s:%d is not after %s:%d", i, FormatIP(ip), port, FormatIP(uint32(prev[0])), prev[1])
				}
				prev, seen[key] = key, true
				in := slices.ContainsFunc(tt.wantRanges, func(r Range) bool { return r.Contains(ip) })
				if _, ok := ports.Index(port); !ok || !in {
					t.Fatalf("Index(%d) = %s:%d, outside the space", i, FormatIP(ip), port)
				}
				for _, r := range tt.exc {
					if r.Contains(ip) {
						t.Fatalf("Index(%d) = %s, which is excluded by %v", i, FormatIP(ip), r)
					}
				}
				if j, ok := s.Lookup(ip, port); !ok || j != i {
					t.Fatalf("Lookup(%s, %d) = %d, %v; want %d, true", FormatIP(ip), port, j, ok, i)
				}
			}
			if uint64(len(seen)) != s.Len() {
				t.Fatalf("Index gave %d distinct probes; want %d", len(seen), s.Len())
			}

			// Lookup rejects every pair outside the space.
			for _, r := range tt.exc {
				if _, ok := s.Lookup(r.First, ports.At(0)); ok {
					t.Errorf("Lookup(excluded %s) = true", FormatIP(r.First))
				}
			}
			for _, r := range tt.wantRanges {
				if r.First > 0 {
					if _, ok := s.Lookup(r.First-1, ports.At(0)); ok {
						t.Errorf("Lookup(%s, %d) = true; host is outside the space", FormatIP(r.First-1), ports.At(0))
					}
				}
				if r.Last < 0xffffffff {
					if _, ok := s.Lookup(r.Last+1, ports.At(0)); ok {
						t.Errorf("Lookup(%s, %d) = true; host is outside the space", FormatIP(r.Last+1), ports.At(0))
					}
				}
				for _, port := range []uint16{0, 2, 81, 65534} {
					if _, in := ports.Index(port); !in {
						if _, ok := s.Lookup(r.First, port); ok {
							t.Errorf("Lookup(%s, %d) = true; port is outside the space", FormatIP(r.First), port)
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
	if ip, port := s.Index(last); ip != 0xffffffff || port != 65535 {
		t.Errorf("Index(Len()-1) = %s:%d; want 255.255.255.255:65535", FormatIP(ip), port)
	}
	if ip, port := s.Index(10 << 24 * 65535); ip != 11<<24 || port != 1 {
		t.Errorf("Index = %s:%d; want 11.0.0.0:1", FormatIP(ip), port)
	}
	if i, ok := s.Lookup(0xffffffff, 65535); !ok || i != last {
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
		inc = append(inc, Range{First: 0xc6120000 + i<<9, Last: 0xc6120000 + i<<9 + 255})
	}
	s, err := NewSpace(inc, nil, mustPorts("1-1024"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	n := s.Len()
	var i uint64
	var sink uint32
	for b.Loop() {
		ip, port := s.Index(i)
		sink += ip + uint32(port)
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
		s.Lookup(0xc6120000|j&0xffff, 443)
		j += 257
	}
}
