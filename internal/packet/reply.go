package packet

import (
	"encoding/binary"
	"errors"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/trawlscan/trawl/pkg/target"
)

// Kind classifies a reply to a SYN probe.
type Kind uint8

// Reply kinds. The zero Kind is not a reply to a probe.
const (
	KindNone    Kind = iota
	KindSYNACK       // a TCP SYN-ACK: the port is open
	KindRST          // a TCP RST: the port is closed
	KindUnreach      // an ICMP or ICMPv6 destination unreachable quoting the probe
)

// Reply is the part of a captured reply that trawl needs. Src is the
// target and Dst the scanner, for every Kind: for KindUnreach they are the
// quoted probe's destination and source, whoever sent the ICMP message.
type Reply struct {
	// SrcIP and DstIP are IPv4 addresses (Is4) for a reply over IPv4 and
	// IPv6 addresses for a reply over IPv6, never IPv4-mapped ones: the
	// Decoder drops IPv6 packets that carry those (RFC 4291 §2.5.5.2), as
	// Linux does.
	SrcIP, DstIP     target.Addr
	SrcPort, DstPort uint16
	// Ack is a TCP reply's acknowledgment number: the probe's cookie + 1
	// (a RST may carry the cookie itself). Zero for KindUnreach.
	Ack uint32
	// Seq is, for KindUnreach, the quoted probe's sequence number: its
	// cookie. Zero for a TCP reply.
	Seq uint32
	// TTL is the IPv4 TTL or IPv6 hop limit of the reply as captured: the
	// ICMP message's for KindUnreach.
	TTL uint8
	// Code is, for KindUnreach, the ICMP code (RFC 792) of an IPv4 reply,
	// such as 3 for port unreachable, or the ICMPv6 code (RFC 4443 §3.1)
	// of an IPv6 one, such as 4 for port unreachable: SrcIP's family tells
	// which. Zero for a TCP reply.
	Code uint8
	Kind Kind
}

// Lengths in the quote of an ICMP error: an IPv4 header of at least
// minIPv4 bytes, then at least quotedTCP bytes of the TCP header (ports
// and sequence number), which is all RFC 792 promises. An ICMPv6 error's
// body starts with icmp6Unused bytes before its quote, whose IPv6 header
// is ipv6Len bytes; RFC 4443 §3.1 quotes as much as fits in 1280 bytes.
const (
	minIPv4     = 20
	quotedTCP   = 8
	icmp6Unused = 4
	ipv6Len     = 40
)

// Decoder decodes captured frames into Replies with gopacket's
// DecodingLayerParser and reused layers, without allocating. It is not safe
// for concurrent use; give each receiver its own.
type Decoder struct {
	// parser decodes from the link layer, or for raw IP the IPv4 packets.
	parser *gopacket.DecodingLayerParser
	// raw6 decodes, for raw IP, the IPv6 packets; nil for a link layer.
	raw6    *gopacket.DecodingLayerParser
	eth     layers.Ethernet
	sll     layers.LinuxSLL
	ip4     layers.IPv4
	ip6     plainIPv6
	tcp     layers.TCP
	icmp4   layers.ICMPv4
	icmp6   layers.ICMPv6
	decoded []gopacket.LayerType
}

// NewDecoder returns a Decoder for frames whose first layer is link: an
// Ethernet or Linux cooked (SLL) header, or raw IP. For raw IP, link may
// be layers.LayerTypeIPv4 or LayerTypeIPv6: either takes packets of both
// families, told apart by their version nibble, as a raw-IP capture
// (LINKTYPE_RAW) mixes them.
func NewDecoder(link gopacket.LayerType) *Decoder {
	d := &Decoder{decoded: make([]gopacket.LayerType, 0, 4)}
	newParser := func(first gopacket.LayerType) *gopacket.DecodingLayerParser {
		p := gopacket.NewDecodingLayerParser(first, &d.eth, &d.sll, &d.ip4, &d.ip6, &d.tcp, &d.icmp4, &d.icmp6)
		p.IgnoreUnsupported = true
		return p
	}
	switch link {
	case layers.LayerTypeIPv4, layers.LayerTypeIPv6:
		d.parser = newParser(layers.LayerTypeIPv4)
		d.raw6 = newParser(layers.LayerTypeIPv6)
	default:
		d.parser = newParser(link)
	}
	return d
}

// Decode parses frame and reports the reply it holds. ok is false for
// anything but:
//   - an IPv4 or IPv6 TCP segment with SYN and ACK set, or RST set;
//   - an ICMP destination unreachable (type 3, any code) whose quote holds
//     an unfragmented IPv4 TCP packet from the ICMP message's destination,
//     with at least the first 8 bytes of its TCP header;
//   - an ICMPv6 destination unreachable (type 1, any code) whose quote
//     holds an IPv6 TCP packet, with no extension headers, from the ICMPv6
//     message's destination, with at least the first 8 bytes of its TCP
//     header.
//
// IPv6 packets with extension headers (RFC 8200 §4), which no reply to a
// probe needs, and IPv6 packets with IPv4-mapped addresses are dropped.
func (d *Decoder) Decode(frame []byte) (r Reply, ok bool) {
	p := d.parser
	if d.raw6 != nil && len(frame) > 0 && frame[0]>>4 == 6 {
		p = d.raw6
	}
	if err := p.DecodeLayers(frame, &d.decoded); err != nil {
		return Reply{}, false
	}
	// The parser stops after TCP or ICMP, whose next layer it does not
	// decode, so the transport is the last layer and the network layer
	// carrying it the one before; in a tunnel, the innermost.
	n := len(d.decoded)
	if n < 2 {
		return Reply{}, false
	}
	switch network, transport := d.decoded[n-2], d.decoded[n-1]; {
	case network == layers.LayerTypeIPv4 && d.ip4.Version == 4 && len(d.ip4.SrcIP) == 4 && len(d.ip4.DstIP) == 4:
		src, dst := target.V4(binary.BigEndian.Uint32(d.ip4.SrcIP)), target.V4(binary.BigEndian.Uint32(d.ip4.DstIP))
		switch transport {
		case layers.LayerTypeTCP:
			return d.tcpReply(src, dst, d.ip4.TTL)
		case layers.LayerTypeICMPv4:
			return d.unreach(dst)
		}
	case network == layers.LayerTypeIPv6 && d.ip6.Version == 6:
		src, dst := addr16(d.ip6.SrcIP), addr16(d.ip6.DstIP)
		if src.Is4() || dst.Is4() {
			return Reply{}, false
		}
		switch transport {
		case layers.LayerTypeTCP:
			return d.tcpReply(src, dst, d.ip6.HopLimit)
		case layers.LayerTypeICMPv6:
			return d.unreach6(dst)
		}
	}
	return Reply{}, false
}

// tcpReply reports the decoded TCP segment, from src to dst with TTL or
// hop limit ttl, if it is a SYN-ACK or a RST.
func (d *Decoder) tcpReply(src, dst target.Addr, ttl uint8) (r Reply, ok bool) {
	switch {
	case d.tcp.RST:
		r.Kind = KindRST
	case d.tcp.SYN && d.tcp.ACK:
		r.Kind = KindSYNACK
	default:
		return Reply{}, false
	}
	r.SrcIP = src
	r.DstIP = dst
	r.SrcPort = uint16(d.tcp.SrcPort)
	r.DstPort = uint16(d.tcp.DstPort)
	r.Ack = d.tcp.Ack
	r.TTL = ttl
	return r, true
}

// unreach reports the decoded ICMP message, sent to dst, if it is a
// destination unreachable quoting a TCP probe from dst. The quote is read
// by hand, each length checked before it is read, as ZMap's synscan module
// reads it: an IPv4 header of IHL × 4 bytes (version at byte 0, fragment
// offset at 6, protocol at 9, source at 12, destination at 16, options
// after 20), then the TCP header's source port, destination port and
// sequence number.
func (d *Decoder) unreach(dst target.Addr) (r Reply, ok bool) {
	if d.icmp4.TypeCode.Type() != layers.ICMPv4TypeDestinationUnreachable {
		return Reply{}, false
	}
	q := d.icmp4.Payload
	if len(q) < minIPv4 || q[0]>>4 != 4 {
		return Reply{}, false
	}
	ihl := int(q[0]&0x0f) * 4
	if ihl < minIPv4 || len(q) < ihl+quotedTCP ||
		q[9] != uint8(layers.IPProtocolTCP) || binary.BigEndian.Uint16(q[6:8])&0x1fff != 0 {
		return Reply{}, false
	}
	if target.V4(binary.BigEndian.Uint32(q[12:16])) != dst {
		return Reply{}, false // a quote of someone else's packet
	}
	r.Kind = KindUnreach
	r.Code = d.icmp4.TypeCode.Code()
	r.SrcIP = target.V4(binary.BigEndian.Uint32(q[16:20]))
	r.DstIP = dst
	r.TTL = d.ip4.TTL
	quotedPorts(&r, q[ihl:ihl+quotedTCP])
	return r, true
}

// unreach6 reports the decoded ICMPv6 message, sent to dst, if it is a
// destination unreachable quoting a TCP probe from dst. gopacket's ICMPv6
// layer decodes only the type, code and checksum, and leaves the rest of
// the message to its payload; the quote is read from there by hand, each
// length checked before it is read (RFC 4443 §3.1): 4 unused bytes, then
// the probe's IPv6 header (version at byte 0, next header at 6, source at
// 8, destination at 24), then its TCP header's source port, destination
// port and sequence number.
func (d *Decoder) unreach6(dst target.Addr) (r Reply, ok bool) {
	if d.icmp6.TypeCode.Type() != layers.ICMPv6TypeDestinationUnreachable {
		return Reply{}, false
	}
	body := d.icmp6.Payload
	if len(body) < icmp6Unused+ipv6Len+quotedTCP {
		return Reply{}, false
	}
	q := body[icmp6Unused:]
	if q[0]>>4 != 6 || q[6] != uint8(layers.IPProtocolTCP) {
		return Reply{}, false
	}
	if addr16(q[8:24]) != dst {
		return Reply{}, false // a quote of someone else's packet
	}
	probeDst := addr16(q[24:40])
	if probeDst.Is4() {
		return Reply{}, false
	}
	r.Kind = KindUnreach
	r.Code = d.icmp6.TypeCode.Code()
	r.SrcIP = probeDst
	r.DstIP = dst
	r.TTL = d.ip6.HopLimit
	quotedPorts(&r, q[ipv6Len:ipv6Len+quotedTCP])
	return r, true
}

// quotedPorts sets r's ports and Seq from the first 8 bytes of a quoted
// probe's TCP header.
func quotedPorts(r *Reply, tcp []byte) {
	r.DstPort = binary.BigEndian.Uint16(tcp[0:2])
	r.SrcPort = binary.BigEndian.Uint16(tcp[2:4])
	r.Seq = binary.BigEndian.Uint32(tcp[4:8])
}

// addr16 returns the address in b, 16 bytes in network order, as it is:
// an IPv4-mapped address gives an Addr that Is4.
func addr16(b []byte) target.Addr {
	return target.Addr{Hi: binary.BigEndian.Uint64(b[:8]), Lo: binary.BigEndian.Uint64(b[8:16])}
}

// plainIPv6 is gopacket's IPv6 layer refusing packets whose first extension
// header is a hop-by-hop options header, before gopacket would parse it
// inside the IPv6 layer, allocating for each option. Other extension
// headers, which gopacket decodes as layers of their own, stop the parser
// after the IPv6 layer, and Decode drops them for want of a transport.
type plainIPv6 struct{ layers.IPv6 }

// errHopByHop is plainIPv6's error for a packet with a hop-by-hop options
// header.
var errHopByHop = errors.New("IPv6 hop-by-hop options header")

// DecodeFromBytes decodes the IPv6 header in data unless a hop-by-hop
// options header follows it.
func (l *plainIPv6) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) >= ipv6Len && data[6] == uint8(layers.IPProtocolIPv6HopByHop) {
		return errHopByHop
	}
	return l.IPv6.DecodeFromBytes(data, df)
}
