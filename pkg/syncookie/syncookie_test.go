package syncookie

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/trawlscan/trawl/pkg/target"
)

// referenceKey is the key 00 01 … 0f used by the SipHash paper's vectors.
var referenceKey = func() Key {
	var b [16]byte
	for i := range b {
		b[i] = byte(i)
	}
	return KeyFromBytes(b)
}()

// sum64 is a plain, general SipHash-2-4 written from the paper, used as the
// reference that Compute's unrolled 12-byte form and Compute6's unrolled
// 36-byte form must agree with.
func sum64(k Key, msg []byte) uint64 {
	v := [4]uint64{k.K0 ^ 0x736f6d6570736575, k.K1 ^ 0x646f72616e646f6d, k.K0 ^ 0x6c7967656e657261, k.K1 ^ 0x7465646279746573}
	compress := func(m uint64) {
		v[3] ^= m
		for range 2 {
			v[0], v[1], v[2], v[3] = round(v[0], v[1], v[2], v[3])
		}
		v[0] ^= m
	}
	n := len(msg)
	for len(msg) >= 8 {
		compress(binary.LittleEndian.Uint64(msg))
		msg = msg[8:]
	}
	var last [8]byte
	copy(last[:], msg)
	last[7] = byte(n)
	compress(binary.LittleEndian.Uint64(last[:]))
	v[2] ^= 0xff
	for range 4 {
		v[0], v[1], v[2], v[3] = round(v[0], v[1], v[2], v[3])
	}
	return v[0] ^ v[1] ^ v[2] ^ v[3]
}

func TestReferenceVectors(t *testing.T) {
	seq := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i)
		}
		return b
	}
	tests := []struct {
		name string
		msg  []byte
		want uint64
	}{
		// vectors.h in the reference implementation, entry 0.
		{name: "empty", msg: nil, want: 0x726fdb47dd0e0e31},
		// vectors.h, entry 12: the length of Compute's message.
		{name: "12 bytes", msg: seq(12), want: 0x751e8fbc860ee5fb},
		// The worked example in the paper's appendix A.
		{name: "paper appendix A, 15 bytes", msg: seq(15), want: 0xa129ca6149be45e5},
		// vectors.h, entry 36: the length of Compute6's message.
		{name: "36 bytes", msg: seq(36), want: 0x314dffbe0815a3b4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sum64(referenceKey, tt.msg); got != tt.want {
				t.Fatalf("sum64 = %#x, want %#x", got, tt.want)
			}
		})
	}
}

// message lays out the 4-tuple as Compute documents it.
func message(srcIP, dstIP uint32, srcPort, dstPort uint16) []byte {
	b := make([]byte, 12)
	binary.BigEndian.PutUint32(b[0:], srcIP)
	binary.BigEndian.PutUint32(b[4:], dstIP)
	binary.BigEndian.PutUint16(b[8:], srcPort)
	binary.BigEndian.PutUint16(b[10:], dstPort)
	return b
}

func TestComputeVectors(t *testing.T) {
	tests := []struct {
		name           string
		srcIP, dstIP   uint32
		srcPort, dport uint16
		want           uint32
	}{
		// The 12-byte message 00 … 0b under the paper's key.
		{name: "bytes 00-0b", srcIP: 0x00010203, dstIP: 0x04050607, srcPort: 0x0809, dport: 0x0a0b, want: uint32(sum64(referenceKey, message(0x00010203, 0x04050607, 0x0809, 0x0a0b)))},
		{name: "lab probe", srcIP: 0xc6130001, dstIP: 0xc6120001, srcPort: 61000, dport: 80, want: uint32(sum64(referenceKey, message(0xc6130001, 0xc6120001, 61000, 80)))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Compute(referenceKey, tt.srcIP, tt.dstIP, tt.srcPort, tt.dport)
			if got != tt.want {
				t.Fatalf("Compute = %#08x, want %#08x", got, tt.want)
			}
			if !Valid(referenceKey, tt.srcIP, tt.dstIP, tt.srcPort, tt.dport, got+1) {
				t.Fatal("Valid rejects cookie+1")
			}
			if Valid(referenceKey, tt.srcIP, tt.dstIP, tt.srcPort, tt.dport, got) {
				t.Fatal("Valid accepts the cookie itself (ack must be cookie+1)")
			}
		})
	}
}

// message6 lays out the IPv6 4-tuple as Compute6 documents it.
func message6(src, dst target.Addr, srcPort, dstPort uint16) []byte {
	s, d := src.As16(), dst.As16()
	b := make([]byte, 0, 36)
	b = append(b, s[:]...)
	b = append(b, d[:]...)
	b = binary.BigEndian.AppendUint16(b, srcPort)
	return binary.BigEndian.AppendUint16(b, dstPort)
}

// addr6 returns the target.Addr of an IPv6 address in text form.
func addr6(s string) target.Addr { return target.FromNetip(netip.MustParseAddr(s)) }

func TestCompute6Vectors(t *testing.T) {
	scanner, lab := addr6("2001:2::1"), addr6("2001:2::1:5")
	tests := []struct {
		name           string
		src, dst       target.Addr
		srcPort, dport uint16
		want           uint32
	}{
		// The 36-byte message 00 … 23 under the paper's key: vectors.h,
		// entry 36, 0x314dffbe0815a3b4, whose low 32 bits are the cookie.
		{name: "bytes 00-23", src: addr6("1:203:405:607:809:a0b:c0d:e0f"), dst: addr6("1011:1213:1415:1617:1819:1a1b:1c1d:1e1f"), srcPort: 0x2021, dport: 0x2223, want: 0x0815a3b4},
		{name: "lab probe", src: scanner, dst: lab, srcPort: 61000, dport: 80, want: uint32(sum64(referenceKey, message6(scanner, lab, 61000, 80)))},
		{name: "all ones", src: addr6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), dst: addr6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), srcPort: 65535, dport: 65535,
			want: uint32(sum64(referenceKey, message6(target.Addr{Hi: ^uint64(0), Lo: ^uint64(0)}, target.Addr{Hi: ^uint64(0), Lo: ^uint64(0)}, 65535, 65535)))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Compute6(referenceKey, tt.src, tt.dst, tt.srcPort, tt.dport)
			if got != tt.want {
				t.Fatalf("Compute6 = %#08x, want %#08x", got, tt.want)
			}
			if !Valid6(referenceKey, tt.src, tt.dst, tt.srcPort, tt.dport, got+1) {
				t.Fatal("Valid6 rejects cookie+1")
			}
			if Valid6(referenceKey, tt.src, tt.dst, tt.srcPort, tt.dport, got) {
				t.Fatal("Valid6 accepts the cookie itself (ack must be cookie+1)")
			}
		})
	}
}

// TestCompute6IsNotCompute checks that an IPv4 4-tuple written as
// IPv4-mapped addresses does not share its IPv4 cookie: the two messages
// differ in length, so SipHash keeps them apart.
func TestCompute6IsNotCompute(t *testing.T) {
	const src, dst = 0xc6130001, 0xc6120105
	if Compute6(referenceKey, target.V4(src), target.V4(dst), 61000, 80) == Compute(referenceKey, src, dst, 61000, 80) {
		t.Fatal("Compute6 of the mapped addresses equals Compute")
	}
}

func TestKeyMatters(t *testing.T) {
	other := Key{K0: referenceKey.K0, K1: referenceKey.K1 ^ 1}
	if Compute(referenceKey, 1, 2, 3, 4) == Compute(other, 1, 2, 3, 4) {
		t.Fatal("a one-bit key change left the cookie unchanged")
	}
	a, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatal("two NewKey calls returned the same key")
	}
}

func TestComputeDoesNotAllocate(t *testing.T) {
	var sink uint32
	n := testing.AllocsPerRun(1000, func() {
		sink += Compute(referenceKey, 0xc6130001, 0xc6120001, 61000, 80)
	})
	if n != 0 {
		t.Fatalf("Compute allocates %v times per call", n)
	}
	_ = sink
}

func TestCompute6DoesNotAllocate(t *testing.T) {
	var sink uint32
	src, dst := addr6("2001:2::1"), addr6("2001:2::1:5")
	n := testing.AllocsPerRun(1000, func() {
		sink += Compute6(referenceKey, src, dst, 61000, 80)
	})
	if n != 0 {
		t.Fatalf("Compute6 allocates %v times per call", n)
	}
	_ = sink
}

// FuzzValid checks that the unrolled cookie agrees with the reference
// SipHash for any key and 4-tuple, and that only ack = cookie+1 is valid.
func FuzzValid(f *testing.F) {
	f.Add(uint64(0), uint64(0), uint32(0), uint32(0), uint16(0), uint16(0), uint32(0))
	f.Add(referenceKey.K0, referenceKey.K1, uint32(0xc6130001), uint32(0xc6120001), uint16(61000), uint16(80), uint32(1))
	f.Add(^uint64(0), ^uint64(0), ^uint32(0), ^uint32(0), ^uint16(0), ^uint16(0), ^uint32(0))
	f.Fuzz(func(t *testing.T, k0, k1 uint64, src, dst uint32, sport, dport uint16, ack uint32) {
		k := Key{K0: k0, K1: k1}
		want := uint32(sum64(k, message(src, dst, sport, dport)))
		if got := Compute(k, src, dst, sport, dport); got != want {
			t.Fatalf("Compute = %#x, reference %#x", got, want)
		}
		if Valid(k, src, dst, sport, dport, ack) != (ack == want+1) {
			t.Fatalf("Valid(ack=%#x) disagrees with cookie %#x", ack, want)
		}
	})
}

// FuzzValid6 checks that the unrolled IPv6 cookie agrees with the
// reference SipHash for any key and 4-tuple, and that only ack = cookie+1
// is valid.
func FuzzValid6(f *testing.F) {
	f.Add(uint64(0), uint64(0), uint64(0), uint64(0), uint64(0), uint64(0), uint16(0), uint16(0), uint32(0))
	f.Add(referenceKey.K0, referenceKey.K1, uint64(0x20010002_00000000), uint64(1), uint64(0x20010002_00000000), uint64(0x1_0005), uint16(61000), uint16(80), uint32(1))
	f.Add(^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0), ^uint16(0), ^uint16(0), ^uint32(0))
	f.Fuzz(func(t *testing.T, k0, k1, srcHi, srcLo, dstHi, dstLo uint64, sport, dport uint16, ack uint32) {
		k := Key{K0: k0, K1: k1}
		src, dst := target.Addr{Hi: srcHi, Lo: srcLo}, target.Addr{Hi: dstHi, Lo: dstLo}
		want := uint32(sum64(k, message6(src, dst, sport, dport)))
		if got := Compute6(k, src, dst, sport, dport); got != want {
			t.Fatalf("Compute6 = %#x, reference %#x", got, want)
		}
		if Valid6(k, src, dst, sport, dport, ack) != (ack == want+1) {
			t.Fatalf("Valid6(ack=%#x) disagrees with cookie %#x", ack, want)
		}
	})
}

func BenchmarkCompute(b *testing.B) {
	b.ReportAllocs()
	var sink uint32
	ip := uint32(0xc6120000)
	for b.Loop() {
		ip++
		sink += Compute(referenceKey, 0xc6130001, ip, 61000, uint16(ip))
	}
	_ = sink
}

func BenchmarkCompute6(b *testing.B) {
	b.ReportAllocs()
	var sink uint32
	src, dst := addr6("2001:2::1"), addr6("2001:2::")
	for b.Loop() {
		dst.Lo++
		sink += Compute6(referenceKey, src, dst, 61000, uint16(dst.Lo))
	}
	_ = sink
}
