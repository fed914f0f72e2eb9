package netio

import (
	"fmt"
	"net/netip"

	"golang.org/x/net/bpf"

	"github.com/trawlscan/trawl/pkg/target"
)

// snapLen is how many bytes of each frame a capture keeps: enough for the
// longest reply the decoder reads, an ICMP error behind a Linux cooked
// header (16 bytes), an IPv4 header with options (60), the ICMP header (8)
// and the quoted probe's IPv4 header with options (60) and first 8 bytes
// of TCP: 152 bytes. A TCP reply needs at most 14 + 60 + 60.
const snapLen = 160

// Filter returns the BPF filter, in pcap-filter(7) syntax, that passes
// exactly the unfragmented IPv4 packets to src that are TCP SYN-ACKs or
// RSTs to port, or ICMP destination unreachables (type 3, any code) that
// quote a TCP packet from src:port.
func Filter(src netip.Addr, port uint16) string {
	return fmt.Sprintf("ip dst host %s and ((tcp dst port %d and (tcp[13] & 0x12 == 0x12 or tcp[13] & 0x04 != 0))"+
		" or (icmp[0] == 3 and icmp[17] == 6 and icmp[20:4] == %d and icmp[((icmp[8] & 0xf) << 2) + 8:2] == %d))",
		src, port, target.HostOrder(src), port)
}

// FilterProgram assembles, with golang.org/x/net/bpf, the classic BPF
// program equivalent to Filter(src, port) for Ethernet frames. As in
// libpcap's code for Filter, a load past the end of the frame rejects it.
func FilterProgram(src netip.Addr, port uint16) ([]bpf.RawInstruction, error) {
	dst := target.HostOrder(src)
	const (
		eth    = 14      // Ethernet header
		icmp   = eth     // the ICMP header, at X past eth
		quote  = eth + 8 // the quoted IPv4 header, at X past eth + 8
		reject = 29
		accept = 30
	)
	// skip returns the skip from instruction at to instruction to.
	skip := func(at, to int) uint8 { return uint8(to - at - 1) }
	prog := []bpf.Instruction{
		/* 0 */ bpf.LoadAbsolute{Off: 12, Size: 2}, // EtherType
		/* 1 */ bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: 0x0800, SkipTrue: skip(1, reject)},
		/* 2 */ bpf.LoadAbsolute{Off: eth + 16, Size: 4}, // IP destination
		/* 3 */ bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: dst, SkipTrue: skip(3, reject)},
		/* 4 */ bpf.LoadAbsolute{Off: eth + 6, Size: 2}, // fragment offset
		/* 5 */ bpf.JumpIf{Cond: bpf.JumpBitsSet, Val: 0x1fff, SkipTrue: skip(5, reject)},
		/* 6 */ bpf.LoadMemShift{Off: eth}, // X = IP header length
		/* 7 */ bpf.LoadAbsolute{Off: eth + 9, Size: 1}, // protocol
		/* 8 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: 6, SkipTrue: skip(8, 23)},
		/* 9 */ bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: 1, SkipTrue: skip(9, reject)},
		// ICMP: a destination unreachable quoting TCP from src:port.
		/* 10 */ bpf.LoadIndirect{Off: icmp, Size: 1}, // type
		/* 11 */ bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: 3, SkipTrue: skip(11, reject)},
		/* 12 */ bpf.LoadIndirect{Off: quote + 9, Size: 1}, // quoted protocol
		/* 13 */ bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: 6, SkipTrue: skip(13, reject)},
		/* 14 */ bpf.LoadIndirect{Off: quote + 12, Size: 4}, // quoted source
		/* 15 */ bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: dst, SkipTrue: skip(15, reject)},
		/* 16 */ bpf.LoadIndirect{Off: quote, Size: 1}, // quoted version and IHL
		/* 17 */ bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 0x0f},
		/* 18 */ bpf.ALUOpConstant{Op: bpf.ALUOpShiftLeft, Val: 2},
		/* 19 */ bpf.ALUOpX{Op: bpf.ALUOpAdd},
		/* 20 */ bpf.TAX{}, // X = both IP headers' lengths
		/* 21 */ bpf.LoadIndirect{Off: quote, Size: 2}, // quoted TCP source port
		/* 22 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(port), SkipTrue: skip(22, accept), SkipFalse: skip(22, reject)},
		// TCP: a SYN-ACK or a RST to port.
		/* 23 */ bpf.LoadIndirect{Off: eth + 2, Size: 2}, // destination port
		/* 24 */ bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: uint32(port), SkipTrue: skip(24, reject)},
		/* 25 */ bpf.LoadIndirect{Off: eth + 13, Size: 1}, // flags
		/* 26 */ bpf.JumpIf{Cond: bpf.JumpBitsSet, Val: 0x04, SkipTrue: skip(26, accept)},
		/* 27 */ bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 0x12},
		/* 28 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0x12, SkipTrue: skip(28, accept)},
		/* 29 */ bpf.RetConstant{Val: 0},
		/* 30 */ bpf.RetConstant{Val: snapLen},
	}
	return bpf.Assemble(prog)
}
