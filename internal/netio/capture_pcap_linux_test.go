//go:build cgo && !nopcap

package netio

import (
	"errors"
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"
)

// TestPcapIgnoresOutgoing checks that the libpcap capture's socket, bound
// to every protocol, is told to ignore frames going out, so that probes
// sent through raw IP sockets are not cloned for it.
func TestPcapIgnoresOutgoing(t *testing.T) {
	before := packetSockets()
	cp, err := OpenCapture("lo", []netip.Addr{netip.MustParseAddr("127.0.0.1")}, 61000, 1<<20)
	if errors.Is(err, ErrPrivilege) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	n := 0
	for fd := range packetSockets() {
		if before[fd] {
			continue
		}
		n++
		if v, err := unix.GetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING); err != nil || v != 1 {
			t.Errorf("capture socket %d: PACKET_IGNORE_OUTGOING %d (%v), want 1", fd, v, err)
		}
	}
	if n != 1 {
		t.Errorf("%d new AF_PACKET sockets, want libpcap's one", n)
	}
}
