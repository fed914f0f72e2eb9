package target

import (
	"math/rand/v2"
	"testing"
)

func TestPermutationExhaustive(t *testing.T) {
	sizes := []uint64{65537, 1<<20 + 3, 1 << 16, 1<<18 - 1}
	for n := uint64(1); n <= 2000; n++ {
		sizes = append(sizes, n)
	}
	seen := make([]uint64, 1<<20+3) // generation stamps, reused across sizes
	gen := uint64(0)
	for _, n := range sizes {
		gen++
		p := NewPermutation(n, 0x5eed+n)
		if p.Len() != n {
			t.Fatalf("n=%d: Len() = %d", n, p.Len())
		}
		for pos := range n {
			i := p.At(pos)
			if i >= n {
				t.Fatalf("n=%d: At(%d) = %d, out of range", n, pos, i)
			}
			if seen[i] == gen {
				t.Fatalf("n=%d: At(%d) = %d, a repeat", n, pos, i)
			}
			seen[i] = gen
			if back := p.Pos(i); back != pos {
				t.Fatalf("n=%d: Pos(At(%d)) = %d", n, pos, back)
			}
		}
	}
}

func TestPermutationSampled(t *testing.T) {
	for _, n := range []uint64{MaxPermutation, 1<<40 + 12345, 1<<47 + 1} {
		p := NewPermutation(n, 42)
		r := rand.New(rand.NewPCG(1, n))
		for range 100_000 {
			pos := r.Uint64N(n)
			i := p.At(pos)
			if i >= n {
				t.Fatalf("n=%d: At(%d) = %d, out of range", n, pos, i)
			}
			if back := p.Pos(i); back != pos {
				t.Fatalf("n=%d: Pos(At(%d)) = %d", n, pos, back)
			}
		}
		for _, pos := range []uint64{0, 1, n - 2, n - 1} {
			if back := p.Pos(p.At(pos)); back != pos {
				t.Fatalf("n=%d: Pos(At(%d)) = %d", n, pos, back)
			}
		}
	}
}

func TestPermutationSeeds(t *testing.T) {
	const n = 1000
	order := func(seed uint64) []uint64 {
		p := NewPermutation(n, seed)
		out := make([]uint64, n)
		for pos := range out {
			out[pos] = p.At(uint64(pos))
		}
		return out
	}
	a, b, c := order(1), order(1), order(2)
	same, fixed := 0, 0
	for pos := range a {
		if a[pos] != b[pos] {
			t.Fatalf("seed 1 twice: At(%d) = %d and %d", pos, a[pos], b[pos])
		}
		if a[pos] == c[pos] {
			same++
		}
		if a[pos] == uint64(pos) {
			fixed++
		}
	}
	// Two random permutations agree on about one position; the identity
	// would agree with itself everywhere.
	if same > 20 || fixed > 20 {
		t.Errorf("seeds 1 and 2 agree on %d of %d positions, seed 1 fixes %d; want both near 1", same, n, fixed)
	}
}

// TestPermutationSpread checks that the order is not close to sequential:
// consecutive positions rarely map to neighbouring indexes.
func TestPermutationSpread(t *testing.T) {
	const n = 1 << 16
	p := NewPermutation(n, 7)
	near := 0
	for pos := uint64(1); pos < n; pos++ {
		a, b := p.At(pos-1), p.At(pos)
		if a-b+16 < 32 { // |a-b| < 16, in unsigned arithmetic
			near++
		}
	}
	if near > n/100 {
		t.Errorf("%d of %d consecutive positions map within 16 of each other", near, n)
	}
}

func TestNewPermutationPanics(t *testing.T) {
	for _, n := range []uint64{0, MaxPermutation + 1} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewPermutation(%d) did not panic", n)
				}
			}()
			NewPermutation(n, 1)
		}()
	}
}

func TestPermutationNoAlloc(t *testing.T) {
	p := NewPermutation(1<<40+12345, 3)
	var pos uint64
	n := testing.AllocsPerRun(1000, func() {
		if p.Pos(p.At(pos)) != pos {
			panic("not a bijection")
		}
		pos += 1 << 30
	})
	if n != 0 {
		t.Errorf("At+Pos allocate %v times per call; want 0", n)
	}
}

func BenchmarkPermutationAt(b *testing.B) {
	for _, bm := range []struct {
		name string
		n    uint64
	}{
		{name: "n=2^24", n: 1 << 24},          // a power of 4: no cycle-walking
		{name: "n=2^24+1", n: 1<<24 + 1},      // worst case: domain is ~4n
		{name: "n=262144*32", n: 262144 * 32}, // /24 x 1-1024 x 32
		{name: "n=2^48", n: MaxPermutation},   // largest
		{name: "n=8.4M", n: 8192 * 1024},      // /19 x 1-1024
	} {
		b.Run(bm.name, func(b *testing.B) {
			p := NewPermutation(bm.n, 1)
			b.ReportAllocs()
			var pos, sink uint64
			for b.Loop() {
				sink += p.At(pos)
				if pos++; pos == bm.n {
					pos = 0
				}
			}
			_ = sink
		})
	}
}

func BenchmarkPermutationPos(b *testing.B) {
	const n = 8192 * 1024
	p := NewPermutation(n, 1)
	b.ReportAllocs()
	var i, sink uint64
	for b.Loop() {
		sink += p.Pos(i)
		if i++; i == n {
			i = 0
		}
	}
	_ = sink
}
