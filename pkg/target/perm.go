package target

import (
	"fmt"
	"math/bits"
)

// MaxPermutation is the largest n NewPermutation accepts, 2^48: more than
// any Space holds (2^32 hosts × 65535 ports).
const MaxPermutation = 1 << 48

// rounds is the number of Feistel rounds, each with its own key, written
// out in encrypt and decrypt. The network is a bijection with any number
// of rounds; four scatter consecutive positions well with mix, and promise
// nothing more.
const rounds = 4

// Permutation is a keyed bijection on [0, n), used to visit a Space in an
// order that spreads consecutive probes over hosts and ports. It is a
// balanced Feistel network over the smallest even-bit-width power of two
// >= n, with cycle-walking to stay below n; it keeps no tables, so any n up
// to MaxPermutation costs the same few bytes. Its round function, mix, is a
// keyed mixing function, not a pseudorandom function: the order looks
// random enough to spread probes, but the permutation makes no
// cryptographic claim, and whoever sees part of the order may be able to
// predict the rest. A Permutation is read-only after NewPermutation and safe
// for concurrent use.
type Permutation struct {
	n    uint64
	half uint   // bits in each Feistel half
	mask uint64 // 1<<half - 1
	keys [rounds]uint64
}

// NewPermutation returns the permutation of [0, n) keyed by seed. The same
// (n, seed) always gives the same order. It panics unless
// 1 <= n <= MaxPermutation.
func NewPermutation(n uint64, seed uint64) *Permutation {
	if n == 0 || n > MaxPermutation {
		panic(fmt.Sprintf("target: NewPermutation(%d): n must be in [1, 2^48]", n))
	}
	half := uint(1)
	for uint64(1)<<(2*half) < n {
		half++
	}
	p := &Permutation{n: n, half: half, mask: 1<<half - 1}
	for i := range p.keys {
		seed += 0x9e3779b97f4a7c15 // splitmix64
		z := seed
		z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		p.keys[i] = z ^ z>>31
	}
	return p
}

// Len returns n, the size of the permuted domain.
func (p *Permutation) Len() uint64 { return p.n }

// At returns the index at position pos, for pos in [0, n). It does not
// allocate and panics if pos >= n.
func (p *Permutation) At(pos uint64) uint64 {
	if pos >= p.n {
		panic("target: Permutation.At position out of range")
	}
	// pos lies on a cycle of the Feistel permutation; walking that cycle
	// reaches the next value below n, which keeps the map a bijection.
	x := p.encrypt(pos)
	for x >= p.n {
		x = p.encrypt(x)
	}
	return x
}

// Fill sets dst[i] to At(lo+i) for each i. It panics unless
// lo+len(dst) <= n, and does not allocate. It gives the same indexes as
// At, for about half the cost on a domain that needs walking: it
// walks the positions' cycles side by side, 64 at a time, one step for
// each walk not yet below n per pass. The walks' multiplies then overlap
// in the CPU instead of waiting on each other, and no branch depends on
// where a walk ends, which At mispredicts half the time.
func (p *Permutation) Fill(dst []uint64, lo uint64) {
	if lo > p.n || uint64(len(dst)) > p.n-lo {
		panic("target: Permutation.Fill positions out of range")
	}
	for len(dst) > 0 {
		c := dst[:min(len(dst), 64)]
		var walks [64]uint8 // the indexes in c still at or above n
		k := 0
		for i := range c {
			x := p.encrypt(lo + uint64(i))
			c[i] = x
			walks[k] = uint8(i)
			k += above(x, p.n)
		}
		for k > 0 {
			m := 0
			for _, i := range walks[:k] {
				x := p.encrypt(c[i])
				c[i] = x
				walks[m] = i
				m += above(x, p.n)
			}
			k = m
		}
		dst, lo = dst[len(c):], lo+uint64(len(c))
	}
}

// above returns 1 if x >= n and 0 if not, without a branch.
func above(x, n uint64) int {
	_, borrow := bits.Sub64(x, n, 0)
	return int(borrow ^ 1)
}

// Pos returns the position of index, the inverse of At, for index in
// [0, n). It does not allocate and panics if index >= n.
func (p *Permutation) Pos(index uint64) uint64 {
	if index >= p.n {
		panic("target: Permutation.Pos index out of range")
	}
	x := p.decrypt(index)
	for x >= p.n {
		x = p.decrypt(x)
	}
	return x
}

// encrypt runs the network's rounds, written out: a loop over the keys
// costs At a third more.
func (p *Permutation) encrypt(x uint64) uint64 {
	half, mask := p.half, p.mask
	l, r := x>>half, x&mask
	l ^= mix(r^p.keys[0]) & mask
	r ^= mix(l^p.keys[1]) & mask
	l ^= mix(r^p.keys[2]) & mask
	r ^= mix(l^p.keys[3]) & mask
	return l<<half | r
}

// decrypt runs encrypt's rounds backwards.
func (p *Permutation) decrypt(x uint64) uint64 {
	half, mask := p.half, p.mask
	l, r := x>>half, x&mask
	r ^= mix(l^p.keys[3]) & mask
	l ^= mix(r^p.keys[2]) & mask
	r ^= mix(l^p.keys[1]) & mask
	l ^= mix(r^p.keys[0]) & mask
	return l<<half | r
}

// mix is the Feistel round function, keyed by xoring a round key into its
// input: the xor of the two halves of the 128-bit product of x and a fixed
// odd constant (as in wyhash), so the low bits depend on every input bit.
// Any function keeps the network a bijection; this one makes the order look
// random at the cost of one multiply, and is no pseudorandom function.
func mix(x uint64) uint64 {
	hi, lo := bits.Mul64(x, 0x9e3779b97f4a7c15)
	return hi ^ lo
}
