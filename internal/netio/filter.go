package netio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"golang.org/x/net/bpf"

	"github.com/trawlscan/trawl/pkg/target"
)

// snapLen is how many bytes of each frame a capture keeps: enough for the
// longest reply the decoder reads. Over IPv4 that is an ICMP error behind
// a Linux cooked header (16 bytes), an IPv4 header with options (60), the
// ICMP header (8) and the quoted probe's IPv4 header with options (60) and
// first 8 bytes of TCP: 152 bytes; a TCP reply needs at most 16 + 60 + 60.
// Over IPv6, without extension headers, an ICMPv6 error needs
// 16 + 40 + 8 + 40 + 8 = 112 bytes and a TCP reply 16 + 40 + 60 = 116.
const snapLen = 160

// MaxSources is the most source addresses, of either family or both, that
// a capture filter takes.
//
// FilterProgram's conditional jumps reach at most 255 instructions ahead,
// and its IPv4 part is the one whose jumps grow with the sources. With n
// IPv4 sources alone, the program is 2n + 31 instructions long on
// Ethernet (one more on raw IP): a list of n compares the destination
// address and another the quoted source, each ending in a jump to the
// final reject. The longest conditional jump, from the EtherType (or
// version) check to that reject, crosses both lists and skips 2n + 27
// instructions: 155 for n = 64, and n could be up to 114. With IPv6
// sources too, the IPv4 part has an entry of its own past the version
// check, and its longest jump, from the fragment check, crosses the
// quoted list alone: n + 23.
//
// The IPv6 part is 18 instructions an address, nine in each of its two
// lists, and 24 more; but no conditional jump crosses a list (see
// oneOf6), so its longest skips a few instructions whatever the number of
// addresses. 64 IPv6 sources make 18 × 64 + 24 = 1,176 instructions, well
// within the 4,096 the kernel takes (BPF_MAXINSNS).
const MaxSources = 64

// Filter returns the BPF filter, in pcap-filter(7) syntax, that passes
// exactly
//   - the unfragmented IPv4 packets to one of the IPv4 srcs that are TCP
//     SYN-ACKs or RSTs to port, or ICMP destination unreachables (type 3,
//     any code) that quote a TCP packet from one of them, from port;
//   - the IPv6 packets without extension headers to one of the IPv6 srcs
//     that are TCP SYN-ACKs or RSTs to port, or ICMPv6 destination
//     unreachables (type 1, any code) that quote, at their offset 8, an
//     IPv6 packet without extension headers carrying TCP from one of
//     them, from port.
//
// srcs must hold 1 to MaxSources valid addresses, of either family or
// both. An IPv4-mapped IPv6 address counts as IPv4, and zones are
// ignored. Sources of one family give a filter for that family alone.
func Filter(srcs []netip.Addr, port uint16) string {
	v4, v6 := families(srcs)
	var parts []string
	if len(v4) > 0 {
		dst := make([]string, len(v4))
		quoted := make([]string, len(v4))
		for i, src := range v4 {
			dst[i] = "ip dst host " + src.String()
			quoted[i] = fmt.Sprintf("icmp[20:4] == %d", target.HostOrder(src))
		}
		parts = append(parts, fmt.Sprintf("%s and ((tcp dst port %d and (tcp[13] & 0x12 == 0x12 or tcp[13] & 0x04 != 0))"+
			" or (icmp[0] == 3 and icmp[17] == 6 and %s and icmp[((icmp[8] & 0xf) << 2) + 8:2] == %d))",
			anyOf(dst), port, anyOf(quoted), port))
	}
	if len(v6) > 0 {
		// libpcap's tcp[] accessor reads IPv4 alone, so the TCP header is
		// read through ip6[], at 40, as is the next header (6): "tcp"
		// would also take a fragment header before TCP. icmp6[] reads at
		// 40 past an IPv6 header whose next header is ICMPv6 (58), or a
		// fragment header before ICMPv6, whose ICMPv6 header it misses:
		// icmp6[0] is then the fragment header's next header, 58, never
		// 1. The quoted IPv6 header starts at icmp6[8]: its next header
		// at icmp6[14], its source at icmp6[16] to icmp6[31], and TCP's
		// source port at icmp6[48].
		dst := make([]string, len(v6))
		quoted := make([]string, len(v6))
		for i, src := range v6 {
			dst[i] = "ip6 dst host " + src.String()
			b := src.As16()
			words := make([]string, 4)
			for w := range words {
				words[w] = fmt.Sprintf("icmp6[%d:4] == %#x", 16+4*w, binary.BigEndian.Uint32(b[4*w:]))
			}
			quoted[i] = "(" + strings.Join(words, " and ") + ")"
		}
		parts = append(parts, fmt.Sprintf("%s and ((ip6[6] == 6 and ip6[42:2] == %d and (ip6[53] & 0x12 == 0x12 or ip6[53] & 0x04 != 0))"+
			" or (icmp6[0] == 1 and icmp6[14] == 6 and %s and icmp6[48:2] == %d))",
			anyOf(dst), port, anyOf(quoted), port))
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return "(" + strings.Join(parts, ") or (") + ")"
}

// anyOf joins alternatives with "or", in parentheses if there are several.
func anyOf(alts []string) string {
	if len(alts) == 1 {
		return alts[0]
	}
	return "(" + strings.Join(alts, " or ") + ")"
}

// checkSources returns an error unless srcs holds 1 to MaxSources valid
// addresses.
func checkSources(srcs []netip.Addr) error {
	if len(srcs) == 0 || len(srcs) > MaxSources {
		return fmt.Errorf("%d source addresses, want 1 to %d", len(srcs), MaxSources)
	}
	for _, src := range srcs {
		if !src.IsValid() {
			return errors.New("invalid source address")
		}
	}
	return nil
}

// families splits srcs into IPv4 and IPv6 addresses, in their order, an
// IPv4-mapped IPv6 address as IPv4, and without zones: the filter sees
// addresses as packets carry them.
func families(srcs []netip.Addr) (v4, v6 []netip.Addr) {
	for _, src := range srcs {
		src = src.Unmap().WithZone("")
		if src.Is4() {
			v4 = append(v4, src)
		} else {
			v6 = append(v6, src)
		}
	}
	return v4, v6
}

// FilterProgram assembles, with golang.org/x/net/bpf, the classic BPF
// program equivalent to Filter(srcs, port) for frames of link:
// LinkEthernet, or LinkRaw, the bare IPv4 and IPv6 packets that a
// SOCK_DGRAM packet socket's filter sees, told apart by their version. As
// in libpcap's code for Filter, a load past the end of the frame rejects
// it. srcs must hold 1 to MaxSources valid addresses, of either family or
// both, taken as Filter takes them. Sources of one family give a program
// for that family alone.
func FilterProgram(link LinkType, srcs []netip.Addr, port uint16) ([]bpf.RawInstruction, error) {
	if err := checkSources(srcs); err != nil {
		return nil, fmt.Errorf("filter: %w", err)
	}
	v4, v6 := families(srcs)
	var a assembler
	var ip uint32       // where the IP header starts
	var is4, is6 uint32 // what A holds for each family once loaded
	switch link {
	case LinkEthernet:
		ip, is4, is6 = 14, 0x0800, 0x86dd
		a.op(bpf.LoadAbsolute{Off: 12, Size: 2}) // EtherType
	case LinkRaw:
		is4, is6 = 0x40, 0x60
		a.op(bpf.LoadAbsolute{Off: 0, Size: 1}) // version, and IHL or traffic class
		a.op(bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 0xf0})
	default:
		return nil, fmt.Errorf("filter for link type %d: only Ethernet and raw IP are supported", link)
	}
	switch {
	case len(v6) == 0:
		a.jumpIf(bpf.JumpNotEqual, is4, "reject", "")
	case len(v4) == 0:
		a.jumpIf(bpf.JumpEqual, is6, "ip6", "")
		a.op(bpf.RetConstant{Val: 0})
	default:
		// IPv6 jumps over the IPv4 part unconditionally, as far as it
		// takes.
		a.jumpIf(bpf.JumpEqual, is4, "ip4", "")
		a.jumpIf(bpf.JumpNotEqual, is6, "neither", "")
		a.jump("ip6")
		a.label("neither")
		a.op(bpf.RetConstant{Val: 0})
		a.label("ip4")
	}
	if len(v4) > 0 {
		a.ipv4(ip, v4, port)
	}
	if len(v6) > 0 {
		a.label("ip6")
		a.ipv6(ip, v6, port)
	}
	return a.assemble()
}

// ipv4 appends the program's IPv4 part, which starts past the version
// check, for the IPv4 header at ip.
func (a *assembler) ipv4(ip uint32, srcs []netip.Addr, port uint16) {
	var (
		icmp  = ip     // the ICMP header, at X past ip
		quote = ip + 8 // the quoted IPv4 header, at X past ip + 8
	)
	a.op(bpf.LoadAbsolute{Off: ip + 16, Size: 4}) // IP destination
	a.oneOf(srcs, "to us")
	a.label("to us")
	a.op(bpf.LoadAbsolute{Off: ip + 6, Size: 2}) // fragment offset
	a.jumpIf(bpf.JumpBitsSet, 0x1fff, "reject", "")
	a.op(bpf.LoadMemShift{Off: ip})              // X = IP header length
	a.op(bpf.LoadAbsolute{Off: ip + 9, Size: 1}) // protocol
	a.jumpIf(bpf.JumpEqual, 6, "tcp", "")
	a.jumpIf(bpf.JumpNotEqual, 1, "reject", "")
	// ICMP: a destination unreachable quoting TCP from one of srcs, port.
	a.op(bpf.LoadIndirect{Off: icmp, Size: 1}) // type
	a.jumpIf(bpf.JumpNotEqual, 3, "reject", "")
	a.op(bpf.LoadIndirect{Off: quote + 9, Size: 1}) // quoted protocol
	a.jumpIf(bpf.JumpNotEqual, 6, "reject", "")
	a.op(bpf.LoadIndirect{Off: quote + 12, Size: 4}) // quoted source
	a.oneOf(srcs, "from us")
	a.label("from us")
	a.op(bpf.LoadIndirect{Off: quote, Size: 1}) // quoted version and IHL
	a.op(bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 0x0f})
	a.op(bpf.ALUOpConstant{Op: bpf.ALUOpShiftLeft, Val: 2})
	a.op(bpf.ALUOpX{Op: bpf.ALUOpAdd})
	a.op(bpf.TAX{})                             // X = both IP headers' lengths
	a.op(bpf.LoadIndirect{Off: quote, Size: 2}) // quoted TCP source port
	a.jumpIf(bpf.JumpEqual, uint32(port), "accept", "reject")
	// TCP: a SYN-ACK or a RST to port.
	a.label("tcp")
	a.op(bpf.LoadIndirect{Off: ip + 2, Size: 2}) // destination port
	a.jumpIf(bpf.JumpNotEqual, uint32(port), "reject", "")
	a.op(bpf.LoadIndirect{Off: ip + 13, Size: 1}) // flags
	a.jumpIf(bpf.JumpBitsSet, 0x04, "accept", "")
	a.op(bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 0x12})
	a.jumpIf(bpf.JumpEqual, 0x12, "accept", "")
	a.label("reject")
	a.op(bpf.RetConstant{Val: 0})
	a.label("accept")
	a.op(bpf.RetConstant{Val: snapLen})
}

// ipv6 appends the program's IPv6 part, which starts past the version
// check, for the IPv6 header at ip. Its every conditional jump lands
// within a few instructions, on a return of its own where it rejects, so
// that none crosses an address list.
func (a *assembler) ipv6(ip uint32, srcs []netip.Addr, port uint16) {
	var (
		tcp   = ip + 40 // the TCP or ICMPv6 header
		quote = ip + 48 // the quoted IPv6 header
	)
	a.oneOf6(ip+24, srcs, "to us6") // IP destination
	a.label("to us6")
	a.op(bpf.LoadAbsolute{Off: ip + 6, Size: 1}) // next header
	a.jumpIf(bpf.JumpNotEqual, 6, "icmp6", "")
	// TCP: a SYN-ACK or a RST to port.
	a.op(bpf.LoadAbsolute{Off: tcp + 2, Size: 2}) // destination port
	a.jumpIf(bpf.JumpNotEqual, uint32(port), "reject6", "")
	a.op(bpf.LoadAbsolute{Off: tcp + 13, Size: 1}) // flags
	a.jumpIf(bpf.JumpBitsSet, 0x04, "accept6", "")
	a.op(bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 0x12})
	a.jumpIf(bpf.JumpEqual, 0x12, "accept6", "")
	a.label("reject6")
	a.op(bpf.RetConstant{Val: 0})
	a.label("accept6")
	a.op(bpf.RetConstant{Val: snapLen})
	// ICMPv6: a destination unreachable quoting TCP from port and one of
	// srcs, the list last, after a return for the checks before it.
	a.label("icmp6")
	a.jumpIf(bpf.JumpNotEqual, 58, "not ours", "")
	a.op(bpf.LoadAbsolute{Off: tcp, Size: 1}) // type
	a.jumpIf(bpf.JumpNotEqual, 1, "not ours", "")
	a.op(bpf.LoadAbsolute{Off: quote + 6, Size: 1}) // quoted next header
	a.jumpIf(bpf.JumpNotEqual, 6, "not ours", "")
	a.op(bpf.LoadAbsolute{Off: quote + 40, Size: 2}) // quoted TCP source port
	a.jumpIf(bpf.JumpEqual, uint32(port), "quoted source", "not ours")
	a.label("not ours")
	a.op(bpf.RetConstant{Val: 0})
	a.label("quoted source")
	a.oneOf6(quote+8, srcs, "from us6")
	a.label("from us6")
	a.op(bpf.RetConstant{Val: snapLen})
}

// assembler builds a classic BPF program whose jumps name labels, and
// resolves them into skips.
type assembler struct {
	ins    []bpf.Instruction
	jumps  []jump
	labels map[string]int
}

// jump is a conditional jump at ins[at] to labels t and f; "" falls
// through.
type jump struct {
	at   int
	t, f string
}

func (a *assembler) op(i bpf.Instruction) { a.ins = append(a.ins, i) }

func (a *assembler) jumpIf(cond bpf.JumpTest, val uint32, t, f string) {
	a.jumps = append(a.jumps, jump{at: len(a.ins), t: t, f: f})
	a.op(bpf.JumpIf{Cond: cond, Val: val})
}

// jump jumps to label to, however far.
func (a *assembler) jump(to string) {
	a.jumps = append(a.jumps, jump{at: len(a.ins), t: to})
	a.op(bpf.Jump{})
}

// oneOf goes on to label to if A holds one of the IPv4 addrs, and jumps
// to "reject" otherwise.
func (a *assembler) oneOf(addrs []netip.Addr, to string) {
	for _, src := range addrs {
		a.jumpIf(bpf.JumpEqual, target.HostOrder(src), to, "")
	}
	a.jump("reject")
}

// oneOf6 jumps to label to, which must follow, if the 16 bytes at off, an
// IPv6 address, are one of addrs, and rejects the packet otherwise. It
// compares them with each address a word at a time, the last word first:
// the low half of the interface identifier is the likeliest to differ, so
// that a packet to another address costs two instructions an address.
// Each address takes nine instructions, whose conditional jumps stay
// among them, and the jump to to is unconditional: however many addrs
// there are, the list adds nothing to any conditional jump's reach.
func (a *assembler) oneOf6(off uint32, addrs []netip.Addr, to string) {
	for i, src := range addrs {
		b := src.As16()
		next := fmt.Sprintf("%s, not %d", to, i)
		for w := 12; w >= 0; w -= 4 {
			a.op(bpf.LoadAbsolute{Off: off + uint32(w), Size: 4})
			a.jumpIf(bpf.JumpNotEqual, binary.BigEndian.Uint32(b[w:]), next, "")
		}
		a.jump(to)
		a.label(next)
	}
	a.op(bpf.RetConstant{Val: 0})
}

func (a *assembler) label(name string) {
	if a.labels == nil {
		a.labels = map[string]int{}
	}
	a.labels[name] = len(a.ins)
}

func (a *assembler) assemble() ([]bpf.RawInstruction, error) {
	skip := func(from int, to string) (uint32, error) {
		if to == "" {
			return 0, nil
		}
		at, ok := a.labels[to]
		if !ok || at <= from {
			return 0, fmt.Errorf("filter: no label %q after instruction %d", to, from)
		}
		return uint32(at - from - 1), nil
	}
	for _, j := range a.jumps {
		t, err := skip(j.at, j.t)
		if err != nil {
			return nil, err
		}
		f, err := skip(j.at, j.f)
		if err != nil {
			return nil, err
		}
		switch ins := a.ins[j.at].(type) {
		case bpf.Jump:
			ins.Skip = t
			a.ins[j.at] = ins
		case bpf.JumpIf:
			if t > 255 || f > 255 {
				return nil, fmt.Errorf("filter: jump at %d too long", j.at)
			}
			ins.SkipTrue, ins.SkipFalse = uint8(t), uint8(f)
			a.ins[j.at] = ins
		}
	}
	return bpf.Assemble(a.ins)
}
