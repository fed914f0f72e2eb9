package netio

import (
	"net/netip"

	"golang.org/x/net/bpf"

	"github.com/trawlscan/trawl/pkg/target"
)

// snapLen is how many bytes of each frame a capture keeps: enough for
// Ethernet, an IPv4 header with options and a TCP header with options.
const snapLen = 128

// FilterProgram assembles, with golang.org/x/net/bpf, the classic BPF
// program equivalent to Filter(src, port) for Ethernet frames: unfragmented
// IPv4 TCP to src:port with SYN and ACK set, or with RST set.
func FilterProgram(src netip.Addr, port uint16) ([]bpf.RawInstruction, error) {
	dst := target.HostOrder(src)
	const eth = 14
	prog := []bpf.Instruction{
		/* 0 */ bpf.LoadAbsolute{Off: 12, Size: 2},
		/* 1 */ bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: 0x0800, SkipTrue: 13},
		/* 2 */ bpf.LoadAbsolute{Off: eth + 9, Size: 1},
		/* 3 */ bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: 6, SkipTrue: 11},
		/* 4 */ bpf.LoadAbsolute{Off: eth + 16, Size: 4},
		/* 5 */ bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: dst, SkipTrue: 9},
		/* 6 */ bpf.LoadAbsolute{Off: eth + 6, Size: 2},
		/* 7 */ bpf.JumpIf{Cond: bpf.JumpBitsSet, Val: 0x1fff, SkipTrue: 7},
		/* 8 */ bpf.LoadMemShift{Off: eth},
		/* 9 */ bpf.LoadIndirect{Off: eth + 2, Size: 2},
		/* 10 */ bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: uint32(port), SkipTrue: 4},
		/* 11 */ bpf.LoadIndirect{Off: eth + 13, Size: 1},
		/* 12 */ bpf.JumpIf{Cond: bpf.JumpBitsSet, Val: 0x04, SkipTrue: 3},
		/* 13 */ bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 0x12},
		/* 14 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0x12, SkipTrue: 1},
		/* 15 */ bpf.RetConstant{Val: 0},
		/* 16 */ bpf.RetConstant{Val: snapLen},
	}
	return bpf.Assemble(prog)
}
