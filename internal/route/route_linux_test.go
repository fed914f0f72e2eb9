package route

import (
	"encoding/binary"
	"net/netip"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func TestLoopback(t *testing.T) {
	r, err := Get(netip.MustParseAddr("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Interface != "lo" || r.Source != netip.MustParseAddr("127.0.0.1") || r.Gateway.IsValid() {
		t.Fatalf("route to 127.0.0.1 = %+v, want lo from 127.0.0.1 with no gateway", r)
	}
}

func TestNotIPv4(t *testing.T) {
	if _, err := Get(netip.MustParseAddr("::1")); err == nil {
		t.Fatal("IPv6 destination accepted")
	}
}

func TestParseError(t *testing.T) {
	// A netlink error message carrying -ENETUNREACH.
	msg := []byte{
		36, 0, 0, 0, // length
		2, 0, // NLMSG_ERROR
		0, 0, // flags
		1, 0, 0, 0, // seq
		0, 0, 0, 0, // pid
		0x9b, 0xff, 0xff, 0xff, // error -101 (ENETUNREACH), little-endian
		16, 0, 0, 0, 26, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, // echoed header
	}
	msgs, err := syscall.ParseNetlinkMessage(msg)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("test message: %v, %d messages", err, len(msgs))
	}
	if _, err := parse(msgs[0]); err != ErrNoRoute {
		t.Fatalf("parse(ENETUNREACH) = %v, want ErrNoRoute", err)
	}
	short := syscall.NetlinkMessage{Header: syscall.NlMsghdr{Type: unix.NLMSG_ERROR}, Data: []byte{1, 2, 3}}
	if _, err := parse(short); err == nil {
		t.Fatal("parse accepted a 3-byte error message")
	}
}

// FuzzParse feeds arbitrary netlink replies to the route parser, which
// must not panic and must not return a route without an interface index
// or a source address.
func FuzzParse(f *testing.F) {
	f.Add(nlmsg(unix.RTM_NEWROUTE, append(make([]byte, unix.SizeofRtMsg), rtattr(unix.RTA_OIF, []byte{1, 0, 0, 0})...)))
	f.Add(nlmsg(unix.NLMSG_ERROR, []byte{0x9b, 0xff, 0xff, 0xff}))
	f.Fuzz(func(t *testing.T, b []byte) {
		msgs, err := syscall.ParseNetlinkMessage(b)
		if err != nil {
			return
		}
		for _, m := range msgs {
			if r, err := parse(m); err == nil && (r.Index == 0 || !r.Source.IsValid()) {
				t.Fatalf("parse returned %+v with no error", r)
			}
		}
	})
}

// nlmsg frames data as one netlink message of type typ.
func nlmsg(typ uint16, data []byte) []byte {
	b := make([]byte, unix.SizeofNlMsghdr, unix.SizeofNlMsghdr+len(data))
	binary.NativeEndian.PutUint32(b[0:], uint32(unix.SizeofNlMsghdr+len(data)))
	binary.NativeEndian.PutUint16(b[4:], typ)
	return append(b, data...)
}

// rtattr encodes one route attribute, padded to 4 bytes.
func rtattr(typ uint16, v []byte) []byte {
	b := make([]byte, unix.SizeofRtAttr, unix.SizeofRtAttr+len(v)+3)
	binary.NativeEndian.PutUint16(b[0:], uint16(unix.SizeofRtAttr+len(v)))
	binary.NativeEndian.PutUint16(b[2:], typ)
	b = append(b, v...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}
