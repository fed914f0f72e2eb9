package packet

import (
	"encoding/binary"
	"fmt"
	"net"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// SYNLen is the length in bytes of a probe: a 20-byte IPv4 header and a
// 24-byte TCP header carrying one MSS option.
const SYNLen = 44

// Offsets of the fields that Template.Put patches.
const (
	offIPID      = 4
	offIPSum     = 10
	offIPDst     = 16
	offTCP       = 20
	offTCPDst    = offTCP + 2
	offTCPSeq    = offTCP + 4
	offTCPSum    = offTCP + 16
	defaultTTL   = 64
	defaultWin   = 64240
	defaultMSS   = 1460
	tcpHeaderLen = 24
)

// Template is a SYN probe with its destination address, destination port,
// sequence number and IP ID left zero, and its checksums computed over those
// zeros. Put fills them in for one probe. A Template is read-only after
// NewTemplate and safe for concurrent use.
type Template struct {
	b     [SYNLen]byte
	ipSum uint16 // ones' complement sum (not inverted) of the base IP header
	tcSum uint16 // ones' complement sum of the base TCP pseudo-header and header
}

// NewTemplate builds, with gopacket, the SYN that every probe from
// srcIP:srcPort starts from: TTL 64, don't-fragment, window 64240, MSS 1460.
func NewTemplate(srcIP uint32, srcPort uint16) (*Template, error) {
	src := make(net.IP, 4)
	binary.BigEndian.PutUint32(src, srcIP)
	ip := &layers.IPv4{
		Version:  4,
		TTL:      defaultTTL,
		Flags:    layers.IPv4DontFragment,
		Protocol: layers.IPProtocolTCP,
		SrcIP:    src,
		DstIP:    net.IPv4zero.To4(),
	}
	b, err := serializeSYN("SYN template", ip, srcPort, defaultMSS, SYNLen)
	if err != nil {
		return nil, err
	}
	t := &Template{}
	copy(t.b[:], b)
	t.ipSum = ^binary.BigEndian.Uint16(t.b[offIPSum:])
	t.tcSum = ^binary.BigEndian.Uint16(t.b[offTCPSum:])
	return t, nil
}

// Put writes the probe to dstIP:dstPort with sequence number seq into dst,
// which must be at least SYNLen bytes long, and returns dst[:SYNLen]. The
// IP ID is derived from seq. Both checksums are updated incrementally from
// the template's, as in RFC 1624 eqn. 3 with the old fields all zero.
func (t *Template) Put(dst []byte, dstIP uint32, dstPort uint16, seq uint32) []byte {
	p := dst[:SYNLen]
	copy(p, t.b[:])
	id := uint16(seq>>16) ^ uint16(seq)
	binary.BigEndian.PutUint16(p[offIPID:], id)
	binary.BigEndian.PutUint32(p[offIPDst:], dstIP)
	binary.BigEndian.PutUint16(p[offTCPDst:], dstPort)
	binary.BigEndian.PutUint32(p[offTCPSeq:], seq)

	addr := uint32(dstIP>>16) + uint32(dstIP&0xffff)
	ipSum := uint32(t.ipSum) + addr + uint32(id)
	tcSum := uint32(t.tcSum) + addr + uint32(dstPort) + seq>>16 + seq&0xffff
	binary.BigEndian.PutUint16(p[offIPSum:], ^fold(ipSum))
	binary.BigEndian.PutUint16(p[offTCPSum:], ^fold(tcSum))
	return p
}

// fold reduces a 32-bit sum of 16-bit words to a 16-bit ones' complement sum.
func fold(s uint32) uint16 {
	s = s>>16 + s&0xffff
	s += s >> 16
	return uint16(s)
}

// ipLayer is a network layer gopacket can both serialize and use for the
// TCP checksum's pseudo-header: *layers.IPv4 or *layers.IPv6.
type ipLayer interface {
	gopacket.NetworkLayer
	gopacket.SerializableLayer
}

// serializeSYN builds, with gopacket, the SYN from srcPort over ip:
// window 64240 and one MSS option of mss, both checksums computed. It
// returns its bytes, or an error saying which template (what) failed if
// gopacket fails or the SYN is not want bytes long.
func serializeSYN(what string, ip ipLayer, srcPort, mss uint16, want int) ([]byte, error) {
	opt := make([]byte, 2)
	binary.BigEndian.PutUint16(opt, mss)
	tcp := &layers.TCP{
		SrcPort: layers.TCPPort(srcPort),
		SYN:     true,
		Window:  defaultWin,
		Options: []layers.TCPOption{{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: opt}},
	}
	if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
		return nil, fmt.Errorf("build %s: %w", what, err)
	}
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, ip, tcp); err != nil {
		return nil, fmt.Errorf("build %s: %w", what, err)
	}
	if len(buf.Bytes()) != want {
		return nil, fmt.Errorf("build %s: got %d bytes, want %d", what, len(buf.Bytes()), want)
	}
	return buf.Bytes(), nil
}
