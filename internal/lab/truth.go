package lab

import (
	"cmp"
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

// Space6 is the IPv6 block that the target namespace answers for, as
// Space is for IPv4: a /64 of the documentation prefix 2001:db8::/32
// (RFC 3849).
var Space6 = netip.MustParsePrefix("2001:db8::/64")

// ScanAddr6 is the IPv6 address of the scan namespace, where scanners
// run, on the same interface as ScanAddr.
var ScanAddr6 = netip.MustParseAddr("2001:db8:ffff::1")

// TargetAddr6 is the target namespace's IPv6 address on the veth pair,
// the scan namespace's IPv6 default gateway. Both ends hold permanent
// neighbour entries for each other, so no neighbour discovery runs.
var TargetAddr6 = netip.MustParseAddr("2001:db8:ffff::2")

// truthStream separates Truth's random stream from other users of a seed.
const truthStream = 0x7472_6177_6c6c_6162 // "trawllab"

// Truth returns count distinct pairs chosen at random from prefix × ports
// lo through hi, sorted by address and then port. prefix may be IPv4, or
// IPv6 of /64 or longer. Every address of prefix counts, its first and
// last included. The same arguments always give the same pairs, on every
// platform and Go release.
//
// Truth panics if prefix is neither IPv4 nor IPv6 of /64 or longer (an
// IPv4-mapped IPv6 prefix is neither), if lo is 0 or greater than hi, or
// if count is negative or larger than the space holds.
func Truth(prefix netip.Prefix, lo, hi uint16, count int, seed int64) []netip.AddrPort {
	if !prefix.IsValid() || prefix.Addr().Is4In6() || prefix.Addr().Is6() && prefix.Bits() < 64 {
		panic(fmt.Sprintf("lab.Truth: prefix %s is neither IPv4 nor IPv6 of /64 or longer", prefix))
	}
	if lo == 0 || lo > hi {
		panic(fmt.Sprintf("lab.Truth: bad port range %d-%d", lo, hi))
	}
	prefix = prefix.Masked()
	ports := uint64(hi-lo) + 1
	// The space holds n = 2^hostBits × ports pairs. hostBits is at most
	// 64 and ports below 2^16, so n < 2^80 fits in 128 bits; a shift by
	// 64 or more gives 0 in Go, which makes the high word right for
	// every hostBits from 0 to 64.
	hostBits := uint(prefix.Addr().BitLen() - prefix.Bits())
	n := uint128{ports >> (64 - hostBits), ports << hostBits}
	if count < 0 || n.hi == 0 && uint64(count) > n.lo {
		panic(fmt.Sprintf("lab.Truth: count %d outside 0..%d for %s × %d-%d", count, n.lo, prefix, lo, hi))
	}

	// Floyd's algorithm: count distinct indexes in [0, n) with count draws.
	src := rand.NewPCG(uint64(seed), truthStream)
	chosen := make(map[uint128]struct{}, count)
	for j := n.sub64(uint64(count)); j.cmp(n) < 0; j = j.add64(1) {
		t := below128(src, j.add64(1))
		if _, dup := chosen[t]; dup {
			t = j
		}
		chosen[t] = struct{}{}
	}

	out := make([]netip.AddrPort, 0, count)
	for _, i := range slices.SortedFunc(maps.Keys(chosen), uint128.cmp) {
		// Index i is offset × ports + (port - lo). The offset is below
		// 2^hostBits ≤ 2^64, so i.hi < ports and Div64 cannot overflow.
		offset, port := bits.Div64(i.hi, i.lo, ports)
		out = append(out, netip.AddrPortFrom(addrAt(prefix, offset), lo+uint16(port)))
	}
	return out
}

// addrAt returns the address offset places into prefix, which is masked
// and holds more than offset addresses. Adding to the low 64 bits is
// enough: those of prefix's host part are zero, so nothing carries.
func addrAt(prefix netip.Prefix, offset uint64) netip.Addr {
	if prefix.Addr().Is4() {
		a := prefix.Addr().As4()
		binary.BigEndian.PutUint32(a[:], binary.BigEndian.Uint32(a[:])+uint32(offset))
		return netip.AddrFrom4(a)
	}
	a := prefix.Addr().As16()
	binary.BigEndian.PutUint64(a[8:], binary.BigEndian.Uint64(a[8:])+offset)
	return netip.AddrFrom16(a)
}

// uint128 is an unsigned 128-bit number, wide enough to index the pairs
// of an IPv6 /64 × 65535 ports.
type uint128 struct{ hi, lo uint64 }

// cmp returns -1, 0 or +1 as u is less than, equal to or greater than v.
func (u uint128) cmp(v uint128) int {
	if c := cmp.Compare(u.hi, v.hi); c != 0 {
		return c
	}
	return cmp.Compare(u.lo, v.lo)
}

// add64 returns u + x, modulo 2^128.
func (u uint128) add64(x uint64) uint128 {
	lo, carry := bits.Add64(u.lo, x, 0)
	return uint128{u.hi + carry, lo}
}

// sub64 returns u - x, modulo 2^128.
func (u uint128) sub64(x uint64) uint128 {
	lo, borrow := bits.Sub64(u.lo, x, 0)
	return uint128{u.hi - borrow, lo}
}

// below128 returns a uniform number in [0, bound) from src. A bound below
// 2^64 takes below's draws, so that every space that fits in 64 bits,
// IPv4's among them, keeps the stream Truth has always had. A larger one
// takes the high word from one draw, masked to the bit length of bound's,
// and the low word from the next, and rejects results not below bound:
// each try succeeds with probability at least one half.
func below128(src *rand.PCG, bound uint128) uint128 {
	if bound.hi == 0 {
		return uint128{0, below(src, bound.lo)}
	}
	mask := uint64(1)<<bits.Len64(bound.hi) - 1
	for {
		hi := src.Uint64() & mask
		u := uint128{hi, src.Uint64()}
		if u.cmp(bound) < 0 {
			return u
		}
	}
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
