package packet

import (
	"encoding/binary"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// Kind classifies a reply to a SYN probe.
type Kind uint8

// Reply kinds. The zero Kind is not a reply to a probe.
const (
	KindNone    Kind = iota
	KindSYNACK       // a TCP SYN-ACK: the port is open
	KindRST          // a TCP RST: the port is closed
	KindUnreach      // an ICMP destination unreachable quoting the probe
)

// Reply is the part of a captured reply that trawl needs. Addresses are
// IPv4 in host order. Src is the target and Dst the scanner, for every
// Kind: for KindUnreach they are the quoted probe's destination and
// source, whoever sent the ICMP message.
type Reply struct {
	SrcIP, DstIP     uint32
	SrcPort, DstPort uint16
	// Ack is a TCP reply's acknowledgment number: the probe's cookie + 1
	// (a RST may carry the cookie itself). Zero for KindUnreach.
	Ack uint32
	// Seq is, for KindUnreach, the quoted probe's sequence number: its
	// cookie. Zero for a TCP reply.
	Seq uint32
	// TTL is the IP TTL of the reply as captured: the ICMP message's for
	// KindUnreach.
	TTL uint8
	// Code is the ICMP code for KindUnreach, such as 3 for port
	// unreachable; zero for a TCP reply.
	Code uint8
	Kind Kind
}

// Lengths in the quote of an ICMP error: an IPv4 header of at least
// minIPv4 bytes, then at least quotedTCP bytes of the TCP header (ports
// and sequence number), which is all RFC 792 promises.
const (
	minIPv4   = 20
	quotedTCP = 8
)

// Decoder decodes captured frames into Replies with gopacket's
// DecodingLayerParser and reused layers, without allocating. It is not safe
// for concurrent use; give each receiver its own.
type Decoder struct {
	parser  *gopacket.DecodingLayerParser
	eth     layers.Ethernet
	sll     layers.LinuxSLL
	ip      layers.IPv4
	tcp     layers.TCP
	icmp    layers.ICMPv4
	decoded []gopacket.LayerType
}

// NewDecoder returns a Decoder for frames whose first layer is link: an
// Ethernet or Linux cooked (SLL) header, or raw IPv4.
func NewDecoder(link gopacket.LayerType) *Decoder {
	d := &Decoder{decoded: make([]gopacket.LayerType, 0, 4)}
	d.parser = gopacket.NewDecodingLayerParser(link, &d.eth, &d.sll, &d.ip, &d.tcp, &d.icmp)
	d.parser.IgnoreUnsupported = true
	return d
}

// Decode parses frame and reports the reply it holds. ok is false for
// anything that is not an IPv4 TCP segment with SYN and ACK set, or RST
// set, or an ICMP destination unreachable (type 3, any code) whose quote
// holds an unfragmented IPv4 TCP packet from the ICMP message's
// destination, with at least the first 8 bytes of its TCP header.
func (d *Decoder) Decode(frame []byte) (r Reply, ok bool) {
	if err := d.parser.DecodeLayers(frame, &d.decoded); err != nil {
		return Reply{}, false
	}
	var haveIP, haveTCP, haveICMP bool
	for _, t := range d.decoded {
		switch t {
		case layers.LayerTypeIPv4:
			haveIP = true
		case layers.LayerTypeTCP:
			haveTCP = true
		case layers.LayerTypeICMPv4:
			haveICMP = true
		}
	}
	if !haveIP || len(d.ip.SrcIP) != 4 || len(d.ip.DstIP) != 4 {
		return Reply{}, false
	}
	switch {
	case haveTCP:
		return d.tcpReply()
	case haveICMP:
		return d.unreach()
	}
	return Reply{}, false
}

// tcpReply reports the decoded TCP segment if it is a SYN-ACK or a RST.
func (d *Decoder) tcpReply() (r Reply, ok bool) {
	switch {
	case d.tcp.RST:
		r.Kind = KindRST
	case d.tcp.SYN && d.tcp.ACK:
		r.Kind = KindSYNACK
	default:
		return Reply{}, false
	}
	r.SrcIP = binary.BigEndian.Uint32(d.ip.SrcIP)
	r.DstIP = binary.BigEndian.Uint32(d.ip.DstIP)
	r.SrcPort = uint16(d.tcp.SrcPort)
	r.DstPort = uint16(d.tcp.DstPort)
	r.Ack = d.tcp.Ack
	r.TTL = d.ip.TTL
	return r, true
}

// unreach reports the decoded ICMP message if it is a destination
// unreachable quoting a TCP probe from its destination. The quote is read
// by hand, each length checked before it is read, as ZMap's synscan module
// reads it: an IPv4 header of IHL × 4 bytes (version at byte 0, fragment
// offset at 6, protocol at 9, source at 12, destination at 16, options
// after 20), then the TCP header's source port, destination port and
// sequence number.
func (d *Decoder) unreach() (r Reply, ok bool) {
	if d.icmp.TypeCode.Type() != layers.ICMPv4TypeDestinationUnreachable {
		return Reply{}, false
	}
	q := d.icmp.Payload
	if len(q) < minIPv4 || q[0]>>4 != 4 {
		return Reply{}, false
	}
	ihl := int(q[0]&0x0f) * 4
	if ihl < minIPv4 || len(q) < ihl+quotedTCP ||
		q[9] != uint8(layers.IPProtocolTCP) || binary.BigEndian.Uint16(q[6:8])&0x1fff != 0 {
		return Reply{}, false
	}
	probeSrc := binary.BigEndian.Uint32(q[12:16])
	if probeSrc != binary.BigEndian.Uint32(d.ip.DstIP) {
		return Reply{}, false // a quote of someone else's packet
	}
	tcp := q[ihl : ihl+quotedTCP]
	r.Kind = KindUnreach
	r.Code = d.icmp.TypeCode.Code()
	r.SrcIP = binary.BigEndian.Uint32(q[16:20])
	r.DstIP = probeSrc
	r.DstPort = binary.BigEndian.Uint16(tcp[0:2])
	r.SrcPort = binary.BigEndian.Uint16(tcp[2:4])
	r.Seq = binary.BigEndian.Uint32(tcp[4:8])
	r.TTL = d.ip.TTL
	return r, true
}
