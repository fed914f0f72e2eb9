package engine

import "sync/atomic"

// bitmap is a fixed-size set of small integers, safe for concurrent use:
// the receiver sets bits while senders test them.
type bitmap struct {
	words []uint64
}

func newBitmap(n uint64) *bitmap {
	return &bitmap{words: make([]uint64, (n+63)/64)}
}

// set adds i and reports whether it was already present.
func (b *bitmap) set(i uint64) (had bool) {
	mask := uint64(1) << (i % 64)
	return atomic.OrUint64(&b.words[i/64], mask)&mask != 0
}

// has reports whether i is present.
func (b *bitmap) has(i uint64) bool {
	return atomic.LoadUint64(&b.words[i/64])&(uint64(1)<<(i%64)) != 0
}
