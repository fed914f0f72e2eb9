package target

import (
	"errors"
	"math"
	"testing"
)

func TestParseShard(t *testing.T) {
	tests := []struct {
		name, in string
		want     Shard
		wantErr  string
	}{
		{name: "first", in: "1/4", want: Shard{Index: 1, Count: 4}},
		{name: "last", in: "4/4", want: Shard{Index: 4, Count: 4}},
		{name: "whole", in: "1/1", want: Shard{Index: 1, Count: 1}},
		{name: "zero index", in: "0/4", wantErr: `bad shard "0/4": shard number must be in 1..4`},
		{name: "index past count", in: "5/4", wantErr: `bad shard "5/4": shard number must be in 1..4`},
		{name: "zero count", in: "1/0", wantErr: `bad shard "1/0": shard count must be at least 1`},
		{name: "letters", in: "a/b", wantErr: `bad shard "a/b": want I/N, such as 1/4`},
		{name: "no slash", in: "1", wantErr: `bad shard "1": want I/N, such as 1/4`},
		{name: "empty", in: "", wantErr: `bad shard "": want I/N, such as 1/4`},
		{name: "negative", in: "-1/4", wantErr: `bad shard "-1/4": want I/N, such as 1/4`},
		{name: "extra part", in: "1/4/2", wantErr: `bad shard "1/4/2": want I/N, such as 1/4`},
		{name: "huge", in: "1/99999999999", wantErr: `bad shard "1/99999999999": want I/N, such as 1/4`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseShard(tt.in)
			if tt.wantErr != "" {
				var se *SyntaxError
				if err == nil || err.Error() != tt.wantErr || !errors.As(err, &se) {
					t.Fatalf("ParseShard(%q) = %v, %v; want error %s", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want || got.String() != tt.in {
				t.Fatalf("ParseShard(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestShardBounds(t *testing.T) {
	sizes := []uint64{0, 1, 2, 3, 6, 7, 100, 1001, 1<<48 - 1, math.MaxUint64}
	for _, n := range sizes {
		for count := 1; count <= 7; count++ {
			next := uint64(0)
			for i := 1; i <= count; i++ {
				start, end := Shard{Index: i, Count: count}.Bounds(n)
				if start != next || end < start {
					t.Fatalf("n=%d: shard %d/%d = [%d, %d); want it to start at %d", n, i, count, start, end, next)
				}
				if size, even := end-start, n/uint64(count); size != even && size != even+1 {
					t.Errorf("n=%d: shard %d/%d has %d positions; want %d or %d", n, i, count, size, even, even+1)
				}
				next = end
			}
			if next != n {
				t.Fatalf("n=%d: shards of %d end at %d; want %d", n, count, next, n)
			}
		}
	}
}

func TestShardZeroValue(t *testing.T) {
	var s Shard
	if start, end := s.Bounds(1000); start != 0 || end != 1000 || s.String() != "1/1" {
		t.Errorf("zero Shard: Bounds(1000) = [%d, %d), String() = %q; want [0, 1000), \"1/1\"", start, end, s.String())
	}
}

func TestShardInvalidPanics(t *testing.T) {
	for _, s := range []Shard{{Index: 0, Count: 4}, {Index: 5, Count: 4}, {Index: 1, Count: 0}, {Index: -1, Count: -1}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Shard %+v: Bounds did not panic", s)
				}
			}()
			s.Bounds(10)
		}()
	}
}

func TestShardText(t *testing.T) {
	var s Shard
	if err := s.UnmarshalText([]byte("3/8")); err != nil || s != (Shard{Index: 3, Count: 8}) {
		t.Fatalf("UnmarshalText(\"3/8\") = %v; got %+v", err, s)
	}
	if b, err := s.MarshalText(); err != nil || string(b) != "3/8" {
		t.Fatalf("MarshalText() = %q, %v", b, err)
	}
	if err := s.UnmarshalText([]byte("9/8")); err == nil || s != (Shard{Index: 3, Count: 8}) {
		t.Fatalf("UnmarshalText(\"9/8\") = %v, value %+v; want an error and no change", err, s)
	}
}

// TestShardsCoverMixedSpace checks, exhaustively on a small space of both
// families with ranges at the edges of each, that the shards of a keyed
// permutation of the space visit every probe exactly once.
func TestShardsCoverMixedSpace(t *testing.T) {
	inc, err := ParseTargets([]string{"::-::2", "198.18.0.0/29", "255.255.255.254/31", "2001:db8::ffff:ffff:ffff:fffe-2001:db8:0:1::1",
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffd-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSpace(inc, []Range{rng("198.18.0.3", "198.18.0.3")}, mustPorts("22,80,443"))
	if err != nil {
		t.Fatal(err)
	}
	if !s.Has4() || !s.Has6() {
		t.Fatalf("Has4() = %v, Has6() = %v; want both", s.Has4(), s.Has6())
	}
	const hosts = 3 + 7 + 2 + 4 + 3
	if s.Len() != hosts*3 {
		t.Fatalf("Len() = %d; want %d", s.Len(), hosts*3)
	}
	type probe struct {
		ip   Addr
		port uint16
	}
	for count := 1; count <= 7; count++ {
		perm := NewPermutation(s.Len(), 0xfeed)
		seen := make(map[probe]int)
		for i := 1; i <= count; i++ {
			start, end := Shard{Index: i, Count: count}.Bounds(s.Len())
			for pos := start; pos < end; pos++ {
				ip, port := s.Index(perm.At(pos))
				seen[probe{ip, port}]++
			}
		}
		if uint64(len(seen)) != s.Len() {
			t.Fatalf("%d shards visit %d distinct probes; want %d", count, len(seen), s.Len())
		}
		for p, n := range seen {
			if n != 1 {
				t.Fatalf("%d shards visit %s:%d %d times", count, p.ip, p.port, n)
			}
			if _, ok := s.Lookup(p.ip, p.port); !ok {
				t.Fatalf("%d shards visit %s:%d, outside the space", count, p.ip, p.port)
			}
		}
	}
}
