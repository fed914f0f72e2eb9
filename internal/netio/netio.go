package netio

import "errors"

// ErrTimeout is returned by Capture.ReadPacket when its read timeout
// expired with no packet. The caller checks for stop and reads again.
var ErrTimeout = errors.New("capture read timeout")

// ErrPrivilege means a raw socket or a capture could not be opened for lack
// of privilege (CAP_NET_RAW). It wraps the system's error; test with
// errors.Is.
var ErrPrivilege = errors.New("needs CAP_NET_RAW (run as root, or give the binary or container NET_RAW)")

// AllInterfaces is the interface name that makes OpenCapture capture on
// every interface, for scans whose targets are routed through several.
// Frames then come without their link-layer header: LinkLinuxSLL from
// libpcap's "any" device, LinkRaw from the AF_PACKET ring.
const AllInterfaces = "any"

// CaptureStats are the capture's counters since it was opened.
type CaptureStats struct {
	// Dropped is the number of packets the kernel dropped because the
	// capture buffer was full, plus those the interface dropped.
	Dropped uint64
}

// Capture reads captured frames. It is used by one goroutine at a time.
type Capture interface {
	// ReadPacket returns the next frame. The slice is valid until the next
	// call. It returns ErrTimeout when nothing arrived within the read
	// timeout, and another error when the capture failed for good.
	ReadPacket() ([]byte, error)
	// Link names the first layer of every frame, for packet.NewDecoder.
	Link() LinkType
	// Stats returns the counters so far.
	Stats() (CaptureStats, error)
	// Close releases the capture.
	Close()
}

// LinkType is the link-layer framing of captured frames.
type LinkType uint8

// Link types a Capture can report. The zero value is invalid.
const (
	LinkInvalid  LinkType = iota
	LinkEthernet          // Ethernet II, as on veth, physical NICs and Linux lo
	LinkRaw               // raw IPv4 or IPv6, no link header (tun devices); the version tells which
	LinkLinuxSLL          // Linux cooked capture (the "any" pseudo-device)
)
