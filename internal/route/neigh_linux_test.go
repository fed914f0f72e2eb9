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

// neighMsg builds an RTM_NEWNEIGH message as the kernel sends in a dump,
// of dst's family.
func neighMsg(index int32, state uint16, dst netip.Addr, lladdr []byte) []byte {
	nd := make([]byte, unix.SizeofNdMsg)
	nd[0] = familyOf(dst)
	binary.NativeEndian.PutUint32(nd[4:], uint32(index))
	binary.NativeEndian.PutUint16(nd[8:], state)
	nd = append(nd, rtattr(unix.NDA_DST, dst.AsSlice())...)
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

// neigh6Entry and neigh6Multicast are two messages of the kernel's
// answer (Linux 6.18, little-endian) to an IPv6 neighbour dump: a
// permanent entry for fe80::2 on interface 3, and the multicast entry
// for ff02::16 on interface 2, which needs no resolution (NUD_NOARP).
var (
	neigh6Entry = []byte{
		88, 0, 0, 0, // length
		28, 0, // RTM_NEWNEIGH
		2, 0, // NLM_F_MULTI
		0, 0, 0, 0, // seq
		0x99, 0x5b, 0, 0, // pid
		10, 0, 0, 0, // ndmsg: AF_INET6, padding
		3, 0, 0, 0, // interface 3
		0x80, 0, // NUD_PERMANENT
		0, 1, // flags, type unicast
		20, 0, 1, 0, // NDA_DST fe80::2
		0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
		10, 0, 2, 0, // NDA_LLADDR 02:74:72:00:00:02, padded
		0x02, 0x74, 0x72, 0, 0, 2, 0, 0,
		8, 0, 4, 0, 0, 0, 0, 0, // NDA_PROBES 0
		20, 0, 3, 0, // NDA_CACHEINFO
		2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0,
	}
	neigh6Multicast = []byte{
		88, 0, 0, 0, // length
		28, 0, // RTM_NEWNEIGH
		2, 0, // NLM_F_MULTI
		0, 0, 0, 0, // seq
		0x99, 0x5b, 0, 0, // pid
		10, 0, 0, 0, // ndmsg: AF_INET6, padding
		2, 0, 0, 0, // interface 2
		0x40, 0, // NUD_NOARP
		0, 5, // flags, type multicast
		20, 0, 1, 0, // NDA_DST ff02::16
		0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x16,
		10, 0, 2, 0, // NDA_LLADDR 33:33:00:00:00:16, padded
		0x33, 0x33, 0, 0, 0, 0x16, 0, 0,
		8, 0, 4, 0, 0, 0, 0, 0, // NDA_PROBES 0
		20, 0, 3, 0, // NDA_CACHEINFO
		0x58, 0x96, 0, 0, 0xe8, 0x7e, 0, 0, 0xe8, 0x7e, 0, 0, 0, 0, 0, 0,
	}
)

func TestParseNeighbour(t *testing.T) {
	gw := netip.MustParseAddr("198.19.0.2")
	gw6 := netip.MustParseAddr("fe80::2")
	mac := []byte{0x02, 0x74, 0x72, 0x00, 0x00, 0x02}
	type row struct {
		name  string
		msg   []byte
		index int
		gw    netip.Addr
		want  []byte
	}
	cases := []row{
		{"reachable", neighMsg(3, unix.NUD_REACHABLE, gw, mac), 3, gw, mac},
		{"stale", neighMsg(3, unix.NUD_STALE, gw, mac), 3, gw, mac},
		{"permanent", neighMsg(3, unix.NUD_PERMANENT, gw, mac), 3, gw, mac},
		{"incomplete", neighMsg(3, unix.NUD_INCOMPLETE, gw, nil), 3, gw, nil},
		{"failed", neighMsg(3, unix.NUD_FAILED, gw, mac), 3, gw, nil},
		{"other interface", neighMsg(4, unix.NUD_REACHABLE, gw, mac), 3, gw, nil},
		{"other address", neighMsg(3, unix.NUD_REACHABLE, netip.MustParseAddr("198.19.0.3"), mac), 3, gw, nil},
		{"IPv6 reachable", neighMsg(3, unix.NUD_REACHABLE, gw6, mac), 3, gw6, mac},
		{"IPv6 delay", neighMsg(3, unix.NUD_DELAY, gw6, mac), 3, gw6, mac},
		{"IPv6 incomplete", neighMsg(3, unix.NUD_INCOMPLETE, gw6, nil), 3, gw6, nil},
		{"IPv6 other address", neighMsg(3, unix.NUD_REACHABLE, netip.MustParseAddr("fe80::3"), mac), 3, gw6, nil},
		{"IPv6 entry, IPv4 gateway", neighMsg(3, unix.NUD_REACHABLE, gw6, mac), 3, gw, nil},
		{"IPv4 entry, IPv6 gateway", neighMsg(3, unix.NUD_REACHABLE, gw, mac), 3, gw6, nil},
		{"IPv4-mapped entry", neighMsg(3, unix.NUD_REACHABLE, netip.AddrFrom16(gw.As16()), mac), 3, gw, nil},
	}
	if binary.NativeEndian.Uint16([]byte{1, 0}) == 1 {
		cases = append(cases,
			row{"IPv6 golden", neigh6Entry, 3, gw6, mac},
			row{"IPv6 golden, other interface", neigh6Entry, 2, gw6, nil},
			row{"IPv6 golden multicast", neigh6Multicast, 2, netip.MustParseAddr("ff02::16"), nil})
	}
	for _, c := range cases {
		got, err := parseNeighbour(parsed(t, c.msg), c.index, c.gw)
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

// TestNeighbourLookup reads the real neighbour tables: loopback has no
// neighbours, so neither 127.0.0.1 nor ::1 on lo is resolved.
func TestNeighbourLookup(t *testing.T) {
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Skipf("no lo: %v", err)
	}
	for _, a := range []string{"127.0.0.1", "::ffff:127.0.0.1", "::1"} {
		if hw, err := Neighbour(lo.Index, netip.MustParseAddr(a)); !errors.Is(err, ErrNoNeighbour) {
			t.Errorf("Neighbour(lo, %s) = %v, %v; want ErrNoNeighbour", a, hw, err)
		}
	}
	if _, err := Neighbour(lo.Index, netip.Addr{}); err == nil || errors.Is(err, ErrNoNeighbour) {
		t.Errorf("Neighbour(lo, the zero Addr) = %v, want an error of its own", err)
	}
}

// FuzzParseNeighbour feeds arbitrary netlink messages to the neighbour
// parser: it must not panic, and an address it returns must come from a
// message of the asked family, for the asked interface.
func FuzzParseNeighbour(f *testing.F) {
	gw := netip.MustParseAddr("198.19.0.2")
	f.Add(neighMsg(3, unix.NUD_REACHABLE, gw, []byte{2, 0, 0, 0, 0, 2}))
	f.Add(neighMsg(3, unix.NUD_INCOMPLETE, gw, nil))
	gw6 := netip.MustParseAddr("fe80::2")
	f.Add(neighMsg(3, unix.NUD_STALE, gw6, []byte{2, 0, 0, 0, 0, 2}))
	f.Add(neigh6Entry)
	f.Add(neigh6Multicast)
	f.Fuzz(func(t *testing.T, b []byte) {
		msgs, err := syscall.ParseNetlinkMessage(b)
		if err != nil {
			return
		}
		for _, m := range msgs {
			for _, ip := range []netip.Addr{gw, gw6} {
				hw, err := parseNeighbour(m, 3, ip)
				if hw != nil && (err != nil || binary.NativeEndian.Uint32(m.Data[4:]) != 3 || m.Data[0] != familyOf(ip)) {
					t.Fatalf("parseNeighbour(%v) returned %v, %v for a message of family %d, interface %d", ip, hw, err, m.Data[0], binary.NativeEndian.Uint32(m.Data[4:]))
				}
			}
		}
	})
}
