package syncookie

import (
	"crypto/rand"
	"encoding/binary"
	"math/bits"

	"github.com/trawlscan/trawl/pkg/target"
)

// Key is the per-scan 128-bit SipHash key. The zero Key is valid but
// predictable; use NewKey for a scan.
type Key struct {
	// K0 and K1 are the key's two halves, read little-endian from its
	// 16 bytes as in the SipHash reference implementation.
	K0, K1 uint64
}

// NewKey returns a random key from crypto/rand.
func NewKey() (Key, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return Key{}, err
	}
	return KeyFromBytes(b), nil
}

// KeyFromBytes returns the key whose 16 bytes are b.
func KeyFromBytes(b [16]byte) Key {
	return Key{K0: binary.LittleEndian.Uint64(b[:8]), K1: binary.LittleEndian.Uint64(b[8:])}
}

// Compute returns the cookie for a probe from srcIP:srcPort (the scanner)
// to dstIP:dstPort (the target). Addresses are IPv4 in host order. The
// cookie is the low 32 bits of SipHash-2-4 over the 12 bytes
// srcIP, dstIP, srcPort, dstPort, each big-endian. It does not allocate.
func Compute(k Key, srcIP, dstIP uint32, srcPort, dstPort uint16) uint32 {
	// The 12-byte message as SipHash reads it: one little-endian word of
	// bytes 0-7, then a final word of bytes 8-11 with the length in the
	// top byte.
	m0 := uint64(bits.ReverseBytes32(srcIP)) | uint64(bits.ReverseBytes32(dstIP))<<32
	m1 := uint64(bits.ReverseBytes16(srcPort)) | uint64(bits.ReverseBytes16(dstPort))<<16 | 12<<56

	v0 := k.K0 ^ 0x736f6d6570736575
	v1 := k.K1 ^ 0x646f72616e646f6d
	v2 := k.K0 ^ 0x6c7967656e657261
	v3 := k.K1 ^ 0x7465646279746573

	v3 ^= m0
	v0, v1, v2, v3 = round(v0, v1, v2, v3)
	v0, v1, v2, v3 = round(v0, v1, v2, v3)
	v0 ^= m0

	v3 ^= m1
	v0, v1, v2, v3 = round(v0, v1, v2, v3)
	v0, v1, v2, v3 = round(v0, v1, v2, v3)
	v0 ^= m1

	v2 ^= 0xff
	for range 4 {
		v0, v1, v2, v3 = round(v0, v1, v2, v3)
	}
	return uint32(v0 ^ v1 ^ v2 ^ v3)
}

// Valid reports whether ack, the acknowledgment number of a SYN-ACK or RST
// from dstIP:dstPort to srcIP:srcPort, answers the probe that Compute
// describes: ack − 1 must equal the cookie.
func Valid(k Key, srcIP, dstIP uint32, srcPort, dstPort uint16, ack uint32) bool {
	return ack-1 == Compute(k, srcIP, dstIP, srcPort, dstPort)
}

// Compute6 returns the cookie for an IPv6 probe from src:srcPort (the
// scanner) to dst:dstPort (the target). The cookie is the low 32 bits of
// SipHash-2-4 over the 36 bytes src, dst, srcPort, dstPort, each
// big-endian: the addresses as their 16 bytes, as target.Addr.As16 gives
// them. It does not allocate.
func Compute6(k Key, src, dst target.Addr, srcPort, dstPort uint16) uint32 {
	// The 36-byte message as SipHash reads it: four little-endian words of
	// bytes 0-7, 8-15, 16-23 and 24-31 (each a big-endian half of an
	// address, so byte-reversed), then a final word of bytes 32-35 with the
	// length in the top byte.
	m0 := bits.ReverseBytes64(src.Hi)
	m1 := bits.ReverseBytes64(src.Lo)
	m2 := bits.ReverseBytes64(dst.Hi)
	m3 := bits.ReverseBytes64(dst.Lo)
	m4 := uint64(bits.ReverseBytes16(srcPort)) | uint64(bits.ReverseBytes16(dstPort))<<16 | 36<<56

	v0 := k.K0 ^ 0x736f6d6570736575
	v1 := k.K1 ^ 0x646f72616e646f6d
	v2 := k.K0 ^ 0x6c7967656e657261
	v3 := k.K1 ^ 0x7465646279746573

	v3 ^= m0
	v0, v1, v2, v3 = round(v0, v1, v2, v3)
	v0, v1, v2, v3 = round(v0, v1, v2, v3)
	v0 ^= m0

	v3 ^= m1
	v0, v1, v2, v3 = round(v0, v1, v2, v3)
	v0, v1, v2, v3 = round(v0, v1, v2, v3)
	v0 ^= m1

	v3 ^= m2
	v0, v1, v2, v3 = round(v0, v1, v2, v3)
	v0, v1, v2, v3 = round(v0, v1, v2, v3)
	v0 ^= m2

	v3 ^= m3
	v0, v1, v2, v3 = round(v0, v1, v2, v3)
	v0, v1, v2, v3 = round(v0, v1, v2, v3)
	v0 ^= m3

	v3 ^= m4
	v0, v1, v2, v3 = round(v0, v1, v2, v3)
	v0, v1, v2, v3 = round(v0, v1, v2, v3)
	v0 ^= m4

	v2 ^= 0xff
	for range 4 {
		v0, v1, v2, v3 = round(v0, v1, v2, v3)
	}
	return uint32(v0 ^ v1 ^ v2 ^ v3)
}

// Valid6 reports whether ack, the acknowledgment number of a SYN-ACK or RST
// from dst:dstPort to src:srcPort, answers the IPv6 probe that Compute6
// describes: ack − 1 must equal the cookie.
func Valid6(k Key, src, dst target.Addr, srcPort, dstPort uint16, ack uint32) bool {
	return ack-1 == Compute6(k, src, dst, srcPort, dstPort)
}

// round is one SipRound.
func round(v0, v1, v2, v3 uint64) (uint64, uint64, uint64, uint64) {
	v0 += v1
	v1 = bits.RotateLeft64(v1, 13)
	v1 ^= v0
	v0 = bits.RotateLeft64(v0, 32)
	v2 += v3
	v3 = bits.RotateLeft64(v3, 16)
	v3 ^= v2
	v0 += v3
	v3 = bits.RotateLeft64(v3, 21)
	v3 ^= v0
	v2 += v1
	v1 = bits.RotateLeft64(v1, 17)
	v1 ^= v2
	v2 = bits.RotateLeft64(v2, 32)
	return v0, v1, v2, v3
}
