package target

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestBlockedDefault(t *testing.T) {
	tests := []struct {
		name    string
		targets string
		want    string // the blocked ranges, merged
	}{
		{"everything loses every block", "0.0.0.0/0",
			"0.0.0.0/8 10.0.0.0/8 100.64.0.0/10 127.0.0.0/8 169.254.0.0/16 172.16.0.0/12 192.0.0.0/24 192.0.2.0/24 " +
				"192.88.99.0/24 192.168.0.0/16 198.18.0.0/15 198.51.100.0/24 203.0.113.0/24 224.0.0.0/3"},
		{"a block named is kept", "10.0.0.0/8", ""},
		{"inside a block", "10.1.2.0/24", ""},
		{"lab /16 inside the benchmarking block", "198.18.0.0/16", ""},
		{"the benchmarking block itself", "198.18.0.0/15", ""},
		{"loopback address", "127.0.0.1", ""},
		{"public /8 with two blocks inside", "198.0.0.0/8", "198.18.0.0/15 198.51.100.0/24"},
		{"overlaps a block in part", "9.255.255.0-10.0.0.255", ""},
		{"overlaps a block in part at its end", "10.255.255.0-11.0.0.0", ""},
		{"contains a block and more", "9.255.255.255-11.0.0.0", "10.0.0.0/8"},
		{"contains a block and one more address", "10.0.0.0-11.0.0.0", "10.0.0.0/8"},
		{"a named block inside a sweep is kept", "0.0.0.0/0 10.1.2.0/24",
			"0.0.0.0/8 10.0.0.0-10.1.1.255 10.1.3.0-10.255.255.255 100.64.0.0/10 127.0.0.0/8 169.254.0.0/16 172.16.0.0/12 192.0.0.0/24 192.0.2.0/24 " +
				"192.88.99.0/24 192.168.0.0/16 198.18.0.0/15 198.51.100.0/24 203.0.113.0/24 224.0.0.0/3"},
		{"reserved block loses the broadcast inside it", "240.0.0.0/4", "255.255.255.255"},
		{"the broadcast address itself", "255.255.255.255", ""},
		{"two adjacent blocks, each strictly inside", "224.0.0.0/3", "224.0.0.0/3"},
		{"two /24s of 192.0.0.0/16", "192.0.0.0/16", "192.0.0.0/24 192.0.2.0/24"},
		{"public space only", "1.0.0.0/8 8.8.8.8", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			targets, err := ParseTargets(strings.Fields(tt.targets))
			if err != nil {
				t.Fatal(err)
			}
			want, err := ParseTargets(strings.Fields(tt.want))
			if err != nil {
				t.Fatal(err)
			}
			got := Blocked(targets, DefaultBlocklist())
			if !slices.Equal(got, want) {
				t.Errorf("Blocked(%s) = %v, want %v", tt.targets, got, want)
			}
			if Count(got) != Count(want) {
				t.Errorf("Count = %d, want %d", Count(got), Count(want))
			}
		})
	}
}

func TestDefaultBlocklist(t *testing.T) {
	want := "0.0.0.0/8 10.0.0.0/8 100.64.0.0/10 127.0.0.0/8 169.254.0.0/16 172.16.0.0/12 " +
		"192.0.0.0/24 192.0.2.0/24 192.88.99.0/24 192.168.0.0/16 198.18.0.0/15 198.51.100.0/24 203.0.113.0/24 " +
		"224.0.0.0/4 240.0.0.0/4 255.255.255.255"
	var got []string
	for _, r := range DefaultBlocklist() {
		got = append(got, r.String())
	}
	if strings.Join(got, " ") != want {
		t.Errorf("DefaultBlocklist() = %s\nwant %s", strings.Join(got, " "), want)
	}
	// 2^32 minus the blocks, which overlap only at 255.255.255.255.
	if n := Count(Blocked([]Range{{0, math.MaxUint32}}, DefaultBlocklist())); n != 592708864 {
		t.Errorf("0.0.0.0/0 loses %d addresses, want 592708864", n)
	}
	b := DefaultBlocklist()
	b[0].First = 1
	if DefaultBlocklist()[0].First != 0 {
		t.Error("DefaultBlocklist returned a shared slice")
	}
}

func TestCount(t *testing.T) {
	tests := []struct {
		in   []Range
		want uint64
	}{
		{nil, 0},
		{[]Range{{5, 4}}, 0},
		{[]Range{{0, math.MaxUint32}}, 1 << 32},
		{[]Range{{0, math.MaxUint32}, {7, 9}}, 1 << 32},
		{[]Range{{10, 19}, {15, 24}, {25, 25}, {40, 40}}, 17},
		{[]Range{{math.MaxUint32, math.MaxUint32}, {math.MaxUint32 - 1, math.MaxUint32}}, 2},
	}
	for _, tt := range tests {
		in := slices.Clone(tt.in)
		if got := Count(in); got != tt.want {
			t.Errorf("Count(%v) = %d, want %d", tt.in, got, tt.want)
		}
		if !slices.Equal(in, tt.in) {
			t.Errorf("Count(%v) modified its input to %v", tt.in, in)
		}
	}
}

// naiveBlocked is the rule of Blocked for one address, read literally:
// ip is blocked if some target holds it and every target that holds it
// strictly contains a block that holds it.
func naiveBlocked(ip uint32, targets, blocks []Range) bool {
	held := false
	for _, t := range targets {
		if t.First > t.Last || !t.Contains(ip) {
			continue
		}
		held = true
		removed := false
		for _, b := range blocks {
			if b.First <= b.Last && b.Contains(ip) && t.First <= b.First && b.Last <= t.Last && b != t {
				removed = true
				break
			}
		}
		if !removed {
			return false
		}
	}
	return held
}

// checkBlocked compares Blocked and Count with naiveBlocked on every
// address of [base, base+n).
func checkBlocked(t *testing.T, base, n uint32, targets, blocks []Range) {
	t.Helper()
	inT, inB := slices.Clone(targets), slices.Clone(blocks)
	got := Blocked(targets, blocks)
	if !slices.Equal(inT, targets) || !slices.Equal(inB, blocks) {
		t.Fatalf("Blocked(%v, %v) modified its inputs", inT, inB)
	}
	for i, r := range got {
		if r.First > r.Last || r.First < base || r.Last > base+(n-1) || i > 0 && uint64(got[i-1].Last)+1 >= uint64(r.First) {
			t.Fatalf("Blocked(%v, %v) = %v: not merged ranges of the window", targets, blocks, got)
		}
	}
	var want uint64
	j := 0
	for off := uint32(0); off < n; off++ {
		ip := base + off
		for j < len(got) && got[j].Last < ip {
			j++
		}
		in := j < len(got) && got[j].Contains(ip)
		if naive := naiveBlocked(ip, targets, blocks); in != naive {
			t.Fatalf("Blocked(%v, %v) = %v: holds %s is %v, want %v", targets, blocks, got, FormatIP(ip), in, naive)
		} else if naive {
			want++
		}
	}
	if c := Count(got); c != want {
		t.Fatalf("Count(Blocked(%v, %v)) = %d, want %d", targets, blocks, c, want)
	}
}

// TestBlockedExhaustive checks Blocked against the rule for every list of
// one or two targets and of up to two blocks in a space of 6 addresses,
// both at the bottom of the address space and at its top, where a range
// ends at 255.255.255.255: 2 × 462 × 463 cases.
func TestBlockedExhaustive(t *testing.T) {
	const n = 6
	for _, base := range []uint32{0, math.MaxUint32 - (n - 1)} {
		var ranges []Range
		for a := uint32(0); a < n; a++ {
			for b := a; b < n; b++ {
				ranges = append(ranges, Range{base + a, base + b})
			}
		}
		lists := [][]Range{nil}
		for _, a := range ranges {
			lists = append(lists, []Range{a})
		}
		for _, a := range ranges {
			for _, b := range ranges {
				lists = append(lists, []Range{a, b})
			}
		}
		cases := 0
		for _, targets := range lists[1:] {
			for _, blocks := range lists {
				checkBlocked(t, base, n, targets, blocks)
				cases++
			}
		}
		if cases != 462*463 {
			t.Fatalf("%d cases, want %d", cases, 462*463)
		}
	}
}

// rangesOf decodes fuzz bytes into at most 16 ranges of [base, base+64),
// two bytes each; a first byte above the second gives a reversed range,
// which Blocked must ignore.
func rangesOf(b []byte, base uint32) []Range {
	var rs []Range
	for i := 0; i+1 < len(b) && len(rs) < 16; i += 2 {
		rs = append(rs, Range{base + uint32(b[i]%64), base + uint32(b[i+1]%64)})
	}
	return rs
}

// FuzzBlocked checks Blocked and Count against naiveBlocked on a space of
// 64 addresses at the bottom or the top of the address space.
func FuzzBlocked(f *testing.F) {
	f.Add(false, []byte{0, 63}, []byte{8, 15})
	f.Add(true, []byte{0, 63, 8, 8}, []byte{8, 15, 0, 63, 62, 63})
	f.Add(false, []byte{7, 16, 9, 40}, []byte{8, 15, 20, 30, 20, 30})
	f.Add(true, []byte{48, 63}, []byte{48, 63, 63, 63})
	f.Add(false, []byte{9, 3}, []byte{5, 2})
	f.Fuzz(func(t *testing.T, top bool, targets, blocks []byte) {
		base := uint32(0)
		if top {
			base = math.MaxUint32 - 63
		}
		checkBlocked(t, base, 64, rangesOf(targets, base), rangesOf(blocks, base))
	})
}

func TestReadBlocklist(t *testing.T) {
	in := "# ZMap's format\n10.0.0.0/8 # private\n\n192.0.2.1\n  198.51.100.0/24\t\n203.0.113.1-203.0.113.9, 1.2.3.4\n"
	got, err := ReadBlocklist(strings.NewReader(in), "blocklist.conf")
	want := []Range{rng("10.0.0.0", "10.255.255.255"), rng("192.0.2.1", "192.0.2.1"), rng("198.51.100.0", "198.51.100.255"),
		rng("203.0.113.1", "203.0.113.9"), rng("1.2.3.4", "1.2.3.4")}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("ReadBlocklist = %v, %v; want %v", got, err, want)
	}
	for in, want := range map[string]string{
		"10.0.0.0/8\n10.0.0.0/33\n": `blocklist.conf:2: bad block "10.0.0.0/33": prefix length 33 > 32`,
		"# x\n\nexample.com\n":      `blocklist.conf:3: bad block "example.com": want 4 decimal fields a.b.c.d`,
		"1.2.3.4 1.2.3.400":         `blocklist.conf:1: bad block "1.2.3.400": field > 255`,
	} {
		_, err := ReadBlocklist(strings.NewReader(in), "blocklist.conf")
		var se *SyntaxError
		if err == nil || err.Error() != want || !errors.As(err, &se) || se.Kind != "block" {
			t.Errorf("ReadBlocklist(%q) error %v, want %s", in, err, want)
		}
	}
}

// Blocked removes a block only from a target that strictly contains it:
// a sweep of all of IPv4 skips every special-purpose block, but a target
// that is a block, or lies inside one, is scanned as given.
func ExampleBlocked() {
	for _, s := range []string{"0.0.0.0/0", "198.0.0.0/8", "10.0.0.0/8", "198.18.0.0/16", "240.0.0.0/4"} {
		targets, _ := ParseTargets([]string{s})
		blocked := Blocked(targets, DefaultBlocklist())
		fmt.Printf("%s: %d blocked in %d ranges\n", s, Count(blocked), len(blocked))
	}
	// Output:
	// 0.0.0.0/0: 592708864 blocked in 14 ranges
	// 198.0.0.0/8: 131328 blocked in 2 ranges
	// 10.0.0.0/8: 0 blocked in 0 ranges
	// 198.18.0.0/16: 0 blocked in 0 ranges
	// 240.0.0.0/4: 1 blocked in 1 ranges
}
