package lab

import (
	"encoding/binary"
	"fmt"
	"maps"
	"math/bits"
	"math/rand/v2"
	"net/netip"
	"slices"
)

// Space is the address block that the target namespace answers for: every
// address in it is local there, so closed ports reply with RST.
var Space = netip.MustParsePrefix("198.18.0.0/16")

// ScanAddr is the address of the scan namespace, where scanners run.
var ScanAddr = netip.MustParseAddr("198.19.0.1")

// TargetAddr is the target namespace's end of the veth pair, the scan
// namespace's default gateway.
var TargetAddr = netip.MustParseAddr("198.19.0.2")

// SecondScanAddr and SecondTargetAddr are the two ends of the second veth
// pair of a lab with Config.Second: the scan namespace's address there,
// and its gateway to Config.Second.
var (
	SecondScanAddr   = netip.MustParseAddr("198.19.2.1")
	SecondTargetAddr = netip.MustParseAddr("198.19.2.2")
)

// truthStream separates Truth's random stream from other users of a seed.
const truthStream = 0x7472_6177_6c6c_6162 // "trawllab"

// Truth returns count distinct pairs chosen at random from prefix × ports
// lo through hi, sorted by address and then port. Every address of prefix
// counts, its first and last included. The same arguments always give the
// same pairs, on every platform and Go release.
//
// Truth panics if prefix is not IPv4, if lo is 0 or greater than hi, or if
// count is negative or larger than the space holds.
func Truth(prefix netip.Prefix, lo, hi uint16, count int, seed int64) []netip.AddrPort {
	if !prefix.IsValid() || !prefix.Addr().Is4() {
		panic(fmt.Sprintf("lab.Truth: prefix %s is not IPv4", prefix))
	}
	if lo == 0 || lo > hi {
		panic(fmt.Sprintf("lab.Truth: bad port range %d-%d", lo, hi))
	}
	prefix = prefix.Masked()
	ports := uint64(hi-lo) + 1
	n := (uint64(1) << (32 - prefix.Bits())) * ports
	if count < 0 || uint64(count) > n {
		panic(fmt.Sprintf("lab.Truth: count %d outside 0..%d for %s × %d-%d", count, n, prefix, lo, hi))
	}

	// Floyd's algorithm: count distinct indexes in [0, n) with count draws.
	src := rand.NewPCG(uint64(seed), truthStream)
	chosen := make(map[uint64]struct{}, count)
	for j := n - uint64(count); j < n; j++ {
		t := below(src, j+1)
		if _, dup := chosen[t]; dup {
			t = j
		}
		chosen[t] = struct{}{}
	}

	base := binary.BigEndian.Uint32(prefix.Addr().AsSlice())
	out := make([]netip.AddrPort, 0, count)
	for _, i := range slices.Sorted(maps.Keys(chosen)) {
		var a [4]byte
		binary.BigEndian.PutUint32(a[:], base+uint32(i/ports))
		out = append(out, netip.AddrPortFrom(netip.AddrFrom4(a), lo+uint16(i%ports)))
	}
	return out
}

// below returns a uniform number in [0, bound) from src, by Lemire's
// multiply-and-reject method. It is written out rather than taken from
// rand.Rand so that Truth's output depends only on PCG-DXSM, whose stream
// is fixed.
func below(src *rand.PCG, bound uint64) uint64 {
	hi, lo := bits.Mul64(src.Uint64(), bound)
	if lo < bound {
		threshold := -bound % bound
		for lo < threshold {
			hi, lo = bits.Mul64(src.Uint64(), bound)
		}
	}
	return hi
}
