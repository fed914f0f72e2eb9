package packet

import (
	"encoding/binary"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// Kind classifies a TCP reply to a SYN probe.
type Kind uint8

// Reply kinds. The zero Kind is not a reply to a probe.
const (
	KindNone   Kind = iota
	KindSYNACK      // the port is open
	KindRST         // the port is closed
)

// Reply is the part of a captured TCP segment that trawl needs. Addresses
// are IPv4 in host order; Src is the target, Dst is the scanner.
type Reply struct {
	SrcIP, DstIP     uint32
	SrcPort, DstPort uint16
	Ack              uint32 // acknowledgment number: the probe's cookie + 1
	TTL              uint8  // IP TTL of the reply as captured
	Kind             Kind
}

// Decoder decodes captured frames into Replies with gopacket's
// DecodingLayerParser and reused layers, without allocating. It is not safe
// for concurrent use; give each receiver its own.
type Decoder struct {
	parser  *gopacket.DecodingLayerParser
	eth     layers.Ethernet
	sll     layers.LinuxSLL
	ip      layers.IPv4
	tcp     layers.TCP
	decoded []gopacket.LayerType
}

// NewDecoder returns a Decoder for frames whose first layer is link: an
// Ethernet or Linux cooked (SLL) header, or raw IPv4.
func NewDecoder(link gopacket.LayerType) *Decoder {
	d := &Decoder{decoded: make([]gopacket.LayerType, 0, 4)}
	d.parser = gopacket.NewDecodingLayerParser(link, &d.eth, &d.sll, &d.ip, &d.tcp)
	d.parser.IgnoreUnsupported = true
	return d
}

// Decode parses frame and reports the reply it holds. ok is false for
// anything that is not an IPv4 TCP segment with SYN and ACK set, or RST set.
func (d *Decoder) Decode(frame []byte) (r Reply, ok bool) {
	if err := d.parser.DecodeLayers(frame, &d.decoded); err != nil {
		return Reply{}, false
	}
	var haveIP, haveTCP bool
	for _, t := range d.decoded {
		switch t {
		case layers.LayerTypeIPv4:
			haveIP = true
		case layers.LayerTypeTCP:
			haveTCP = true
		}
	}
	if !haveIP || !haveTCP || len(d.ip.SrcIP) != 4 || len(d.ip.DstIP) != 4 {
		return Reply{}, false
	}
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
