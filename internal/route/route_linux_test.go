package route

import (
	"net/netip"
	"testing"
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
	if _, err := parse(msg); err != ErrNoRoute {
		t.Fatalf("parse(ENETUNREACH) = %v, want ErrNoRoute", err)
	}
	if _, err := parse([]byte{1, 2, 3}); err == nil {
		t.Fatal("parse accepted 3 bytes")
	}
}
