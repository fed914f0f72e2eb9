package packet

import (
	"encoding/binary"
	"fmt"
	"net"

	"github.com/google/gopacket/layers"
	"github.com/trawlscan/trawl/pkg/target"
)

// SYN6Len is the length in bytes of an IPv6 probe: a 40-byte IPv6 header
// with no extension headers and a 24-byte TCP header laid out as an IPv4
// probe's, its MSS option saying 1440 rather than 1460.
const SYN6Len = 64

// Offsets of the fields that Template6.Put patches, and the IPv6 probe's
// MSS: 1440, what a 1500-byte Ethernet MTU leaves after the fixed IPv6
// and TCP headers (RFC 9293 §3.7.1), as a Linux host on Ethernet says.
const (
	off6Flow    = 0 // version, traffic class and flow label: one 32-bit word
	off6Dst     = 24
	off6TCP     = ipv6Len
	off6TCPDst  = off6TCP + 2
	off6TCPSeq  = off6TCP + 4
	off6TCPSum  = off6TCP + 16
	flowMask    = 0xfffff
	defaultMSS6 = 1440
)

// Template6 is an IPv6 SYN probe with its destination address, destination
// port, sequence number and flow label left zero, and its TCP checksum
// computed over those zeros. Put fills them in for one probe. A Template6
// is read-only after NewTemplate6 and safe for concurrent use.
type Template6 struct {
	b     [SYN6Len]byte
	tcSum uint16 // ones' complement sum (not inverted) of the base TCP pseudo-header and header
}

// NewTemplate6 builds, with gopacket, the IPv6 SYN that every probe from
// [src]:srcPort starts from: hop limit 64, traffic class 0, next header
// TCP with no extension headers (RFC 8200), window 64240, MSS 1440. src
// must be an IPv6 address: an IPv4-mapped one (src.Is4()) is an error, as
// such addresses do not appear on the wire (RFC 4291 §2.5.5.2).
func NewTemplate6(src target.Addr, srcPort uint16) (*Template6, error) {
	if src.Is4() {
		return nil, fmt.Errorf("build IPv6 SYN template: source %v is an IPv4 address; IPv4 probes use NewTemplate", src)
	}
	s := src.As16()
	ip := &layers.IPv6{
		Version:    6,
		HopLimit:   defaultTTL,
		NextHeader: layers.IPProtocolTCP,
		SrcIP:      net.IP(s[:]),
		DstIP:      net.IPv6zero,
	}
	b, err := serializeSYN("IPv6 SYN template", ip, srcPort, defaultMSS6, SYN6Len)
	if err != nil {
		return nil, err
	}
	t := &Template6{}
	copy(t.b[:], b)
	t.tcSum = ^binary.BigEndian.Uint16(t.b[off6TCPSum:])
	return t, nil
}

// Put writes the probe to [dstIP]:dstPort with sequence number seq into
// dst, which must be at least SYN6Len bytes long, and returns
// dst[:SYN6Len]. dstIP must be an IPv6 address, not IPv4 (Is4); Put does
// not check. The flow label is the low 20 bits of seq: one label per
// probe, each its own flow, drawn from the cookie's uniform distribution
// as RFC 6437 §3 recommends, so that ECMP routers spread the probes as
// they spread other hosts' flows. IPv6 has no header checksum and the flow
// label is not in TCP's pseudo-header (RFC 8200 §8.1), so only the TCP
// checksum changes; it is updated incrementally from the template's, as in
// RFC 1624 eqn. 3 with the old fields all zero.
func (t *Template6) Put(dst []byte, dstIP target.Addr, dstPort uint16, seq uint32) []byte {
	p := dst[:SYN6Len]
	copy(p, t.b[:])
	first := binary.BigEndian.Uint32(p[off6Flow:])
	binary.BigEndian.PutUint32(p[off6Flow:], first|seq&flowMask)
	binary.BigEndian.PutUint64(p[off6Dst:], dstIP.Hi)
	binary.BigEndian.PutUint64(p[off6Dst+8:], dstIP.Lo)
	binary.BigEndian.PutUint16(p[off6TCPDst:], dstPort)
	binary.BigEndian.PutUint32(p[off6TCPSeq:], seq)

	sum := uint32(t.tcSum) + words(dstIP.Hi) + words(dstIP.Lo) + uint32(dstPort) + seq>>16 + seq&0xffff
	binary.BigEndian.PutUint16(p[off6TCPSum:], ^fold(sum))
	return p
}

// words returns the plain sum of x's four 16-bit words: at most 4 × 0xffff,
// so that Put's sum of two of them and six more words stays far below
// 2³², for fold to reduce.
func words(x uint64) uint32 {
	return uint32(x>>48) + uint32(x>>32&0xffff) + uint32(x>>16&0xffff) + uint32(x&0xffff)
}
