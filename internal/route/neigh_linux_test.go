package route

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// neighMsg builds an RTM_NEWNEIGH message as the kernel sends in a dump.
func neighMsg(index int32, state uint16, dst netip.Addr, lladdr []byte) []byte {
	nd := make([]byte, unix.SizeofNdMsg)
	nd[0] = unix.AF_INET
	binary.NativeEndian.PutUint32(nd[4:], uint32(index))
	binary.NativeEndian.PutUint16(nd[8:], state)
	a := dst.As4()
	nd = append(nd, rtattr(unix.NDA_DST, a[:])...)
	if lladdr != nil {
		nd = append(nd, rtattr(unix.NDA_LLADDR, lladdr)...)
	}
	return nlmsg(unix.RTM_NEWNEIGH, nd)
}

func parsed(t *testing.T, b []byte) syscall.NetlinkMessage {
	t.Helper()
	msgs, err := syscall.ParseNetlinkMessage(b)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("test message: %v, %d messages", err, len(msgs))
	}
	return msgs[0]
}

func TestParseNeighbour(t *testing.T) {
	gw := netip.MustParseAddr("198.19.0.2")
	mac := []byte{0x02, 0x74, 0x72, 0x00, 0x00, 0x02}
	cases := []struct {
		name string
		msg  []byte
		want []byte
	}{
		{"reachable", neighMsg(3, unix.NUD_REACHABLE, gw, mac), mac},
		{"stale", neighMsg(3, unix.NUD_STALE, gw, mac), mac},
		{"permanent", neighMsg(3, unix.NUD_PERMANENT, gw, mac), mac},
		{"incomplete", neighMsg(3, unix.NUD_INCOMPLETE, gw, nil), nil},
		{"failed", neighMsg(3, unix.NUD_FAILED, gw, mac), nil},
		{"other interface", neighMsg(4, unix.NUD_REACHABLE, gw, mac), nil},
		{"other address", neighMsg(3, unix.NUD_REACHABLE, netip.MustParseAddr("198.19.0.3"), mac), nil},
	}
	for _, c := range cases {
		got, err := parseNeighbour(parsed(t, c.msg), 3, gw)
		if err != nil || !bytes.Equal(got, c.want) {
			t.Errorf("%s: parseNeighbour = %v, %v; want %v", c.name, got, err, net.HardwareAddr(c.want))
		}
	}
	// A netlink error ends the dump with that error.
	if _, err := parseNeighbour(parsed(t, nlmsg(unix.NLMSG_ERROR, []byte{0xff, 0xff, 0xff, 0xff})), 3, gw); err != unix.EPERM {
		t.Errorf("error message: got %v, want EPERM", err)
	}
	// An attribute longer than the message is an error, not a panic.
	bad := neighMsg(3, unix.NUD_REACHABLE, gw, mac)
	binary.NativeEndian.PutUint16(bad[unix.SizeofNlMsghdr+unix.SizeofNdMsg:], 200)
	if _, err := parseNeighbour(parsed(t, bad), 3, gw); err == nil {
		t.Error("overlong attribute accepted")
	}
}

// TestNeighbourLookup reads the real neighbour table: loopback has no
// neighbours, so 127.0.0.1 on lo is not resolved.
func TestNeighbourLookup(t *testing.T) {
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Skipf("no lo: %v", err)
	}
	if hw, err := Neighbour(lo.Index, netip.MustParseAddr("127.0.0.1")); !errors.Is(err, ErrNoNeighbour) {
		t.Fatalf("Neighbour(lo, 127.0.0.1) = %v, %v; want ErrNoNeighbour", hw, err)
	}
}

// FuzzParseNeighbour feeds arbitrary netlink messages to the neighbour
// parser: it must not panic, and an address it returns must come from a
// message for the asked interface.
func FuzzParseNeighbour(f *testing.F) {
	gw := netip.MustParseAddr("198.19.0.2")
	f.Add(neighMsg(3, unix.NUD_REACHABLE, gw, []byte{2, 0, 0, 0, 0, 2}))
	f.Add(neighMsg(3, unix.NUD_INCOMPLETE, gw, nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		msgs, err := syscall.ParseNetlinkMessage(b)
		if err != nil {
			return
		}
		for _, m := range msgs {
			hw, err := parseNeighbour(m, 3, gw)
			if hw != nil && (err != nil || binary.NativeEndian.Uint32(m.Data[4:]) != 3) {
				t.Fatalf("parseNeighbour returned %v, %v for a message of interface %d", hw, err, binary.NativeEndian.Uint32(m.Data[4:]))
			}
		}
	})
}
