package netio

import (
	"fmt"
	"net/netip"
	"strings"

	"golang.org/x/net/bpf"

	"github.com/trawlscan/trawl/pkg/target"
)

// snapLen is how many bytes of each frame a capture keeps: enough for the
// longest reply the decoder reads, an ICMP error behind a Linux cooked
// header (16 bytes), an IPv4 header with options (60), the ICMP header (8)
// and the quoted probe's IPv4 header with options (60) and first 8 bytes
// of TCP: 152 bytes. A TCP reply needs at most 14 + 60 + 60.
const snapLen = 160

// MaxSources is the most source addresses a capture filter takes: each
// costs two instructions, and the filter's conditional jumps reach at
// most 255 instructions ahead.
const MaxSources = 64

// Filter returns the BPF filter, in pcap-filter(7) syntax, that passes
// exactly the unfragmented IPv4 packets to one of srcs that are TCP
// SYN-ACKs or RSTs to port, or ICMP destination unreachables (type 3, any
// code) that quote a TCP packet from one of srcs, from port.
func Filter(srcs []netip.Addr, port uint16) string {
	dst := make([]string, len(srcs))
	quoted := make([]string, len(srcs))
	for i, src := range srcs {
		dst[i] = "ip dst host " + src.String()
		quoted[i] = fmt.Sprintf("icmp[20:4] == %d", target.HostOrder(src))
	}
	return fmt.Sprintf("%s and ((tcp dst port %d and (tcp[13] & 0x12 == 0x12 or tcp[13] & 0x04 != 0))"+
		" or (icmp[0] == 3 and icmp[17] == 6 and %s and icmp[((icmp[8] & 0xf) << 2) + 8:2] == %d))",
		anyOf(dst), port, anyOf(quoted), port)
}

// anyOf joins alternatives with "or", in parentheses if there are several.
func anyOf(alts []string) string {
	if len(alts) == 1 {
		return alts[0]
	}
	return "(" + strings.Join(alts, " or ") + ")"
}

// FilterProgram assembles, with golang.org/x/net/bpf, the classic BPF
// program equivalent to Filter(srcs, port) for frames of link:
// LinkEthernet, or LinkRaw, the bare IPv4 packets that a SOCK_DGRAM
// packet socket's filter sees. As in libpcap's code for Filter, a load
// past the end of the frame rejects it. srcs must hold 1 to MaxSources
// IPv4 addresses.
func FilterProgram(link LinkType, srcs []netip.Addr, port uint16) ([]bpf.RawInstruction, error) {
	if len(srcs) == 0 || len(srcs) > MaxSources {
		return nil, fmt.Errorf("filter for %d source addresses: want 1 to %d", len(srcs), MaxSources)
	}
	for _, src := range srcs {
		if !src.Is4() {
			return nil, fmt.Errorf("filter: source %v is not IPv4", src)
		}
	}
	var a assembler
	var ip uint32 // where the IPv4 header starts
	switch link {
	case LinkEthernet:
		ip = 14
		a.op(bpf.LoadAbsolute{Off: 12, Size: 2}) // EtherType
		a.jumpIf(bpf.JumpNotEqual, 0x0800, "reject", "")
	case LinkRaw:
		a.op(bpf.LoadAbsolute{Off: 0, Size: 1}) // version and IHL
		a.op(bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 0xf0})
		a.jumpIf(bpf.JumpNotEqual, 0x40, "reject", "")
	default:
		return nil, fmt.Errorf("filter for link type %d: only Ethernet and raw IPv4 are supported", link)
	}
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
	return a.assemble()
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

// oneOf goes on to label to if A holds one of addrs, and rejects
// otherwise.
func (a *assembler) oneOf(addrs []netip.Addr, to string) {
	for _, src := range addrs {
		a.jumpIf(bpf.JumpEqual, target.HostOrder(src), to, "")
	}
	a.jumps = append(a.jumps, jump{at: len(a.ins), t: "reject"})
	a.op(bpf.Jump{})
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
