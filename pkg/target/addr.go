package target

import (
	"encoding/binary"
	"math/bits"
	"net/netip"
)

// Addr is an IP address as a 128-bit number, so that IPv4 and IPv6 targets
// share one ordered space: an IPv6 address as its 16 bytes big-endian, an
// IPv4 address a.b.c.d as its IPv4-mapped form ::ffff:a.b.c.d. The zero
// Addr is ::. Addrs are comparable with ==, and Compare orders them
// numerically, so every IPv4 address sorts inside ::ffff:0:0/96.
type Addr struct {
	// Hi is the address's first 8 bytes, big-endian.
	Hi uint64
	// Lo is the address's last 8 bytes, big-endian; for IPv4, 0xffff<<32
	// | the host-order IPv4 address.
	Lo uint64
}

// v4Lo is Lo's top half for every IPv4-mapped address.
const v4Lo = 0xffff << 32

// V4 returns the Addr of the host-order IPv4 address ip, 198.18.0.1 being
// 0xc6120001.
func V4(ip uint32) Addr { return Addr{Lo: v4Lo | uint64(ip)} }

// FromNetip returns a's Addr: IPv4 and IPv4-mapped IPv6 addresses as IPv4,
// any other IPv6 address as is, its zone dropped. The invalid netip.Addr
// gives the zero Addr.
func FromNetip(a netip.Addr) Addr {
	if !a.IsValid() {
		return Addr{}
	}
	b := a.As16()
	return Addr{Hi: binary.BigEndian.Uint64(b[:8]), Lo: binary.BigEndian.Uint64(b[8:])}
}

// Is4 reports whether a is an IPv4 address, in ::ffff:0:0/96.
func (a Addr) Is4() bool { return a.Hi == 0 && a.Lo>>32 == 0xffff }

// V4 returns the host-order IPv4 address of a, its low 32 bits; it is
// meaningful only if a.Is4().
func (a Addr) V4() uint32 { return uint32(a.Lo) }

// Netip returns a as a netip.Addr: IPv4 (Is4 true) when a.Is4(), IPv6
// otherwise. It does not allocate.
func (a Addr) Netip() netip.Addr {
	if a.Is4() {
		return AddrOf(a.V4())
	}
	return netip.AddrFrom16(a.As16())
}

// As16 returns a's 16 bytes in network order, IPv4 in its mapped form.
func (a Addr) As16() [16]byte {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], a.Hi)
	binary.BigEndian.PutUint64(b[8:], a.Lo)
	return b
}

// Compare returns -1, 0 or +1 as a is below, equal to or above b.
func (a Addr) Compare(b Addr) int {
	switch {
	case a.Hi < b.Hi:
		return -1
	case a.Hi > b.Hi:
		return 1
	case a.Lo < b.Lo:
		return -1
	case a.Lo > b.Lo:
		return 1
	}
	return 0
}

// Less reports whether a is below b.
func (a Addr) Less(b Addr) bool { return a.Hi < b.Hi || a.Hi == b.Hi && a.Lo < b.Lo }

// Add returns a + n, wrapping past ffff:...:ffff to ::.
func (a Addr) Add(n uint64) Addr {
	lo, carry := bits.Add64(a.Lo, n, 0)
	return Addr{Hi: a.Hi + carry, Lo: lo}
}

// Next returns a + 1, wrapping to ::.
func (a Addr) Next() Addr { return a.Add(1) }

// Prev returns a − 1, wrapping to ffff:...:ffff.
func (a Addr) Prev() Addr {
	lo, borrow := bits.Sub64(a.Lo, 1, 0)
	return Addr{Hi: a.Hi - borrow, Lo: lo}
}

// Sub returns a − b and true if a >= b and the difference fits in a
// uint64; otherwise 0 and false.
func (a Addr) Sub(b Addr) (uint64, bool) {
	lo, borrow := bits.Sub64(a.Lo, b.Lo, 0)
	hi, under := bits.Sub64(a.Hi, b.Hi, borrow)
	if under != 0 || hi != 0 {
		return 0, false
	}
	return lo, true
}

// IsMax reports whether a is ffff:...:ffff, the highest address.
func (a Addr) IsMax() bool { return a.Hi == ^uint64(0) && a.Lo == ^uint64(0) }

// String returns a in dotted-quad form for IPv4 and in RFC 5952 form for
// IPv6, as netip.Addr writes them.
func (a Addr) String() string { return a.Netip().String() }

// AppendTo appends a's String form to dst and returns the extended slice.
// It does not allocate when dst has room.
func (a Addr) AppendTo(dst []byte) []byte {
	if a.Is4() {
		return AppendIP(dst, a.V4())
	}
	return netip.AddrFrom16(a.As16()).AppendTo(dst)
}
