//go:build cgo && !nopcap

package netio

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcap"
)

// pcapCapture is a Capture on a libpcap handle.
type pcapCapture struct {
	h     *pcap.Handle
	link  LinkType
	iface string
}

// OpenCapture opens a libpcap capture on iface, or on every interface if
// iface is AllInterfaces (libpcap's "any", in Linux cooked frames), for
// replies to probes from port and any of srcs (TCP SYN-ACKs and RSTs,
// ICMP and ICMPv6 unreachables quoting a probe): snapshot length snapLen,
// a bufferBytes kernel buffer, a 10 ms read timeout (not immediate mode,
// which wakes the reader for every packet and halves the send rate) and
// the kernel BPF filter Filter(srcs, port). srcs holds 1 to MaxSources
// addresses, IPv4, IPv6 or both.
func OpenCapture(iface string, srcs []netip.Addr, port uint16, bufferBytes int) (Capture, error) {
	if err := checkSources(srcs); err != nil {
		return nil, fmt.Errorf("open capture on %s: %w", iface, err)
	}
	filter := Filter(srcs, port)
	in, err := pcap.NewInactiveHandle(iface)
	if err != nil {
		return nil, fmt.Errorf("open capture on %s: %w", iface, err)
	}
	defer in.CleanUp()
	for _, set := range []func() error{
		func() error { return in.SetSnapLen(snapLen) },
		func() error { return in.SetPromisc(false) },
		func() error { return in.SetTimeout(10 * time.Millisecond) },
		func() error { return in.SetBufferSize(bufferBytes) },
	} {
		if err := set(); err != nil {
			return nil, fmt.Errorf("open capture on %s: %w", iface, err)
		}
	}
	before := packetSockets()
	h, err := in.Activate()
	if err != nil {
		if strings.Contains(strings.ToLower(err.Error()), "permission") || strings.Contains(err.Error(), "not permitted") {
			return nil, fmt.Errorf("open capture on %s: %w: %w", iface, ErrPrivilege, err)
		}
		return nil, fmt.Errorf("open capture on %s: %w", iface, err)
	}
	ignoreOutgoing(before)
	if err := h.SetBPFFilter(filter); err != nil {
		h.Close()
		return nil, fmt.Errorf("capture filter %q: %w", filter, err)
	}
	c := &pcapCapture{h: h, iface: iface}
	switch h.LinkType() {
	case layers.LinkTypeEthernet:
		c.link = LinkEthernet
	case layers.LinkTypeRaw, layers.LinkTypeIPv4, layers.LinkTypeIPv6:
		c.link = LinkRaw
	case layers.LinkTypeLinuxSLL:
		c.link = LinkLinuxSLL
	default:
		h.Close()
		return nil, fmt.Errorf("open capture on %s: link type %v is not supported", iface, h.LinkType())
	}
	return c, nil
}

func (c *pcapCapture) ReadPacket() ([]byte, error) {
	data, _, err := c.h.ZeroCopyReadPacketData()
	if err != nil {
		if errors.Is(err, pcap.NextErrorTimeoutExpired) {
			return nil, ErrTimeout
		}
		return nil, fmt.Errorf("read capture on %s: %w (did the interface go away?)", c.iface, err)
	}
	return data, nil
}

func (c *pcapCapture) Link() LinkType { return c.link }

func (c *pcapCapture) Stats() (CaptureStats, error) {
	s, err := c.h.Stats()
	if err != nil {
		return CaptureStats{}, err
	}
	return CaptureStats{Dropped: uint64(s.PacketsDropped) + uint64(s.PacketsIfDropped)}, nil
}

func (c *pcapCapture) Close() { c.h.Close() }
