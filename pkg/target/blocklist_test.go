package target

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

// blocked4 is what a sweep of all of IPv4 loses to DefaultBlocklist.
const blocked4 = "0.0.0.0/8 10.0.0.0/8 100.64.0.0/10 127.0.0.0/8 169.254.0.0/16 172.16.0.0/12 192.0.0.0/24 192.0.2.0/24 192.88.99.0/24 192.168.0.0/16 198.18.0.0/15 198.51.100.0/24 203.0.113.0/24 224.0.0.0/3"

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

		// IPv6: every block but :: and ::1 is wider than a target may be,
		// so a target can lie inside one but never strictly contain it.
		{"ipv6 lab /120 inside the documentation block", "2001:db8::/120", ""},
		{"ipv6 documentation /80", "2001:db8::/80", ""},
		{"ipv6 unspecified address", "::", ""},
		{"ipv6 loopback address", "::1", ""},
		{"ipv6 bottom /120 loses :: and ::1", "::/120", "::/127"},
		{"ipv6 range from ::1 loses ::1", "::1-::ff", "::1"},
		{"ipv6 :: and ::1, each strictly inside", "::-::1", "::/127"},
		{"ipv6 bottom /81 loses :: and ::1", "::/81", "::/127"},
		{"ipv6 below ipv4 and all of ipv4", "::fffe:ffff:ff00/120 0.0.0.0/0", blocked4},
		{"all of ipv4 and the ipv6 above it", "0.0.0.0/0 ::1:0:0:0/120", blocked4},
		{"link-local inside fe80::/10", "fe80::/80", ""},
		{"multicast inside ff00::/8", "ff02::/120", ""},
		{"unique-local inside fc00::/7", "fd00::/80", ""},
		{"discard-only inside 100::/64", "100::/80", ""},
		{"IETF assignments inside 2001::/23", "2001::/96", ""},
		{"local-use translation inside 64:ff9b:1::/48", "64:ff9b:1::/96", ""},
		{"well-known translation prefix is public", "64:ff9b::/96", ""},
		{"public ipv6 space", "2600::/80 2a00::1 2001:200::/120", ""},
		{"overlaps the documentation block in part", "2001:db7:ffff:ffff:ffff:ffff:ffff:ff00-2001:db8::ff", ""},
		{"both families", "0.0.0.0/0 2001:db8::/120 ::/120 10.1.2.0/24",
			"::/127 0.0.0.0/8 10.0.0.0-10.1.1.255 10.1.3.0-10.255.255.255 100.64.0.0/10 127.0.0.0/8 169.254.0.0/16 172.16.0.0/12 192.0.0.0/24 192.0.2.0/24 " +
				"192.88.99.0/24 192.168.0.0/16 198.18.0.0/15 198.51.100.0/24 203.0.113.0/24 224.0.0.0/3"},
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

// prefixRange returns the addresses of p, with host bits masked, as a
// Range, computed independently of ParseTarget and of any size limit.
func prefixRange(p netip.Prefix) Range {
	p = p.Masked()
	first := FromNetip(p.Addr())
	host := 128 - p.Bits()
	if p.Addr().Is4() {
		host = 32 - p.Bits()
	}
	last := first
	if host >= 64 {
		last.Hi |= 1<<(host-64) - 1
		last.Lo = math.MaxUint64
	} else {
		last.Lo |= 1<<host - 1
	}
	return Range{First: first, Last: last}
}

func TestDefaultBlocklist(t *testing.T) {
	want := []string{"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
		"192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
		"224.0.0.0/4", "240.0.0.0/4", "255.255.255.255/32",
		"::/128", "::1/128", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32", "fc00::/7", "fe80::/10", "ff00::/8"}
	got := DefaultBlocklist()
	if len(got) != len(want) {
		t.Fatalf("DefaultBlocklist() = %v; want the %d blocks %v", got, len(want), want)
	}
	for i, r := range got {
		p := netip.MustParsePrefix(want[i])
		if wr := prefixRange(p); r != wr || r.Is4() != p.Addr().Is4() {
			t.Errorf("DefaultBlocklist()[%d] = %#v; want %s, %#v", i, r, want[i], wr)
		}
		if i > 0 && r.First.Less(got[i-1].First) && r.Is4() == got[i-1].Is4() {
			t.Errorf("DefaultBlocklist()[%d] = %s is out of order", i, want[i])
		}
		// Every block prints as a CIDR block (or an address) and reads
		// back as a block; those a target may be read back as targets.
		s := r.String()
		if s != want[i] && s+"/32" != want[i] && s+"/128" != want[i] {
			t.Errorf("DefaultBlocklist()[%d].String() = %q; want %q", i, s, want[i])
		}
		if back, err := ParseBlocks([]string{s}); err != nil || !slices.Equal(back, []Range{r}) {
			t.Errorf("ParseBlocks(%q) = %v, %v; want %#v", s, back, err, r)
		}
		if back, err := ParseTarget(s); r.Len() <= MaxRange && (err != nil || back != r) || r.Len() > MaxRange && err == nil {
			t.Errorf("ParseTarget(%q) = %v, %v; want %#v if it holds at most 2^48 addresses, else an error", s, back, err, r)
		}
	}
	// The whole list, written out, reads back as a blocklist.
	var text strings.Builder
	for _, r := range got {
		fmt.Fprintln(&text, r)
	}
	if back, err := ReadBlocklist(strings.NewReader(text.String()), "default.conf"); err != nil || !slices.Equal(back, got) {
		t.Errorf("ReadBlocklist(%q) = %v, %v; want %v", text.String(), back, err, got)
	}
	// 2^32 minus the blocks, which overlap only at 255.255.255.255.
	if n := Count(Blocked([]Range{V4Range(0, math.MaxUint32)}, DefaultBlocklist())); n != 592708864 {
		t.Errorf("0.0.0.0/0 loses %d addresses, want 592708864", n)
	}
	b := DefaultBlocklist()
	b[0].First = V4(1)
	if DefaultBlocklist()[0].First != V4(0) {
		t.Error("DefaultBlocklist returned a shared slice")
	}
}

func TestCount(t *testing.T) {
	tests := []struct {
		in   []Range
		want uint64
	}{
		{nil, 0},
		{[]Range{V4Range(5, 4)}, 0},
		{[]Range{V4Range(0, math.MaxUint32)}, 1 << 32},
		{[]Range{V4Range(0, math.MaxUint32), V4Range(7, 9)}, 1 << 32},
		{[]Range{V4Range(10, 19), V4Range(15, 24), V4Range(25, 25), V4Range(40, 40)}, 17},
		{[]Range{V4Range(math.MaxUint32, math.MaxUint32), V4Range(math.MaxUint32-1, math.MaxUint32)}, 2},
		{[]Range{rng("2001:db8::", "2001:db8::ff"), V4Range(0, 255), rng("2001:db8::80", "2001:db8::1:0")}, 256 + 1<<16 + 1},
		{[]Range{rng("2001:db8::ff", "2001:db8::1")}, 0},
		{[]Range{{First: maxAddr, Last: maxAddr}, {First: Addr{}, Last: Addr{}}}, 2},
		{[]Range{prefixRange(netip.MustParsePrefix("2001:db8::/65"))}, 1 << 63},
		{[]Range{prefixRange(netip.MustParsePrefix("2001:db8::/65")), prefixRange(netip.MustParsePrefix("2001:db9::/66"))}, 1<<63 + 1<<62},
		{[]Range{{First: hiOne, Last: Addr{Hi: 1, Lo: math.MaxUint64 - 1}}}, math.MaxUint64},                                                // 2^64-1, exactly
		{[]Range{{First: hiOne, Last: Addr{Hi: 1, Lo: math.MaxUint64 - 1}}, rng("::1", "::1")}, math.MaxUint64},                             // 2^64, saturated
		{[]Range{prefixRange(netip.MustParsePrefix("2001:db8::/65")), prefixRange(netip.MustParsePrefix("2001:db9::/65"))}, math.MaxUint64}, // 2^64, saturated
		{[]Range{prefixRange(netip.MustParsePrefix("2001:db8::/64"))}, math.MaxUint64},                                                      // 2^64 in one range
		{[]Range{prefixRange(netip.MustParsePrefix("fc00::/7"))}, math.MaxUint64},
		{[]Range{{First: Addr{}, Last: maxAddr}, V4Range(0, 9)}, math.MaxUint64},
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
func naiveBlocked(ip Addr, targets, blocks []Range) bool {
	held := false
	for _, t := range targets {
		if t.Last.Less(t.First) || !t.Contains(ip) {
			continue
		}
		held = true
		removed := false
		for _, b := range blocks {
			if !b.Last.Less(b.First) && b.Contains(ip) && !b.First.Less(t.First) && !t.Last.Less(b.Last) && b != t {
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
// address of [base, base+n), which must not wrap past ffff:...:ffff.
func checkBlocked(t *testing.T, base Addr, n uint64, targets, blocks []Range) {
	t.Helper()
	inT, inB := slices.Clone(targets), slices.Clone(blocks)
	got := Blocked(targets, blocks)
	if !slices.Equal(inT, targets) || !slices.Equal(inB, blocks) {
		t.Fatalf("Blocked(%v, %v) modified its inputs", inT, inB)
	}
	for i, r := range got {
		if r.Last.Less(r.First) || r.First.Less(base) || base.Add(n-1).Less(r.Last) || i > 0 && (got[i-1].Last.IsMax() || !got[i-1].Last.Next().Less(r.First)) {
			t.Fatalf("Blocked(%v, %v) = %v: not merged ranges of the window", targets, blocks, got)
		}
	}
	var want uint64
	j := 0
	for off := range n {
		ip := base.Add(off)
		for j < len(got) && got[j].Last.Less(ip) {
			j++
		}
		in := j < len(got) && got[j].Contains(ip)
		if naive := naiveBlocked(ip, targets, blocks); in != naive {
			t.Fatalf("Blocked(%v, %v) = %v: holds %s is %v, want %v", targets, blocks, got, ip, in, naive)
		} else if naive {
			want++
		}
	}
	if c := Count(got); c != want {
		t.Fatalf("Count(Blocked(%v, %v)) = %d, want %d", targets, blocks, c, want)
	}
}

// maxAddr is ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff, the highest address.
var maxAddr = Addr{Hi: math.MaxUint64, Lo: math.MaxUint64}

// windows returns the first addresses of the windows of n addresses, n at
// most 2^32, that the exhaustive and fuzz tests of Blocked use: in IPv4,
// the bottom and the top, where a range ends at 255.255.255.255; in IPv6,
// the bottom and the top of the whole space, where Prev and Next wrap,
// and a window across the carry from Lo into Hi.
func windows(n uint64) (bottom4, top4, bottom6, carry6, top6 Addr) {
	return V4(0), V4(math.MaxUint32).Add(1 - n), Addr{}, Addr{Hi: 0x20010db800000000, Lo: math.MaxUint64 - n/2 + 1}, Addr{Hi: math.MaxUint64, Lo: math.MaxUint64 - (n - 1)}
}

// TestBlockedExhaustive checks Blocked against the rule for every list of
// one or two targets and of up to two blocks in a space of 6 addresses, in
// each of the windows: 5 × 462 × 463 cases. With -short, the IPv6 windows
// take only lists of one target: 2 × 462 × 463 + 3 × 21 × 463 cases.
func TestBlockedExhaustive(t *testing.T) {
	const n = 6
	bottom4, top4, bottom6, carry6, top6 := windows(n)
	for _, base := range []Addr{bottom4, top4, bottom6, carry6, top6} {
		var ranges []Range
		for a := uint64(0); a < n; a++ {
			for b := a; b < n; b++ {
				ranges = append(ranges, Range{base.Add(a), base.Add(b)})
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
		targetLists, want := lists[1:], 462*463
		if testing.Short() && !base.Is4() {
			targetLists, want = lists[1:len(ranges)+1], 21*463
		}
		cases := 0
		for _, targets := range targetLists {
			for _, blocks := range lists {
				checkBlocked(t, base, n, targets, blocks)
				cases++
			}
		}
		if cases != want {
			t.Fatalf("%d cases, want %d", cases, want)
		}
	}
}

// rangesOf decodes fuzz bytes into at most 16 ranges of [base, base+64),
// two bytes each; a first byte above the second gives a reversed range,
// which Blocked must ignore.
func rangesOf(b []byte, base Addr) []Range {
	var rs []Range
	for i := 0; i+1 < len(b) && len(rs) < 16; i += 2 {
		rs = append(rs, Range{base.Add(uint64(b[i] % 64)), base.Add(uint64(b[i+1] % 64))})
	}
	return rs
}

// FuzzBlocked checks Blocked and Count against naiveBlocked on a space of
// 64 addresses at the bottom or the top of IPv4, and the same ranges at
// the bottom (or across the carry from Lo into Hi) or the top of IPv6.
func FuzzBlocked(f *testing.F) {
	f.Add(false, []byte{0, 63}, []byte{8, 15})
	f.Add(true, []byte{0, 63, 8, 8}, []byte{8, 15, 0, 63, 62, 63})
	f.Add(false, []byte{7, 16, 9, 40}, []byte{8, 15, 20, 30, 20, 30})
	f.Add(true, []byte{48, 63}, []byte{48, 63, 63, 63})
	f.Add(false, []byte{9, 3}, []byte{5, 2})
	f.Add(false, []byte{0, 63}, []byte{31, 32, 0, 31})
	f.Fuzz(func(t *testing.T, top bool, targets, blocks []byte) {
		bottom4, top4, bottom6, carry6, top6 := windows(64)
		bases := []Addr{bottom4, bottom6, carry6}
		if top {
			bases = []Addr{top4, top6}
		}
		for _, base := range bases {
			checkBlocked(t, base, 64, rangesOf(targets, base), rangesOf(blocks, base))
		}
	})
}

// TestBlockedIPv6 applies a blocklist of IPv6 blocks, some wider than a
// target may be, to IPv6 targets as wide as one may be.
func TestBlockedIPv6(t *testing.T) {
	p := func(s string) Range { return prefixRange(netip.MustParsePrefix(s)) }
	blocks := []Range{
		p("2001:db8::/120"),                                          // strictly inside the first /80: removed
		p("2001:db8::1:0/112"),                                       // likewise
		p("2001:db8::ffff:ffff:ff00/120"),                            // at the end of the first /80: removed
		p("2001:db8::ffff:ffff:fff0/124"),                            // inside the last one: removed with it
		p("2001:db8:0:0:1::/80"),                                     // equal to the second /80: kept
		p("2001:db8:1::/48"),                                         // wider than a target, holding the third: kept
		rng("2001:db7:ffff:ffff:ffff:ffff:ffff:ff00", "2001:db8::5"), // sticks out of the first /80: kept
		p("2001:db8:2::/120"),                                        // inside no target
		p("::/0"),                                                    // everything, holding every target: kept
		rng("2001:db8::ff", "2001:db8::f"),                           // reversed: ignored
	}
	targets := []Range{p("2001:db8::/80"), p("2001:db8:0:0:1::/80"), p("2001:db8:1::/120"), p("198.18.0.0/24")}
	for _, r := range targets {
		if back, err := ParseTarget(r.String()); err != nil || back != r {
			t.Fatalf("ParseTarget(%q) = %v, %v; want a target", r, back, err)
		}
	}
	want := []Range{p("2001:db8::/120"), p("2001:db8::1:0/112"), p("2001:db8::ffff:ffff:ff00/120")}
	got := Blocked(targets, blocks)
	if !slices.Equal(got, want) {
		t.Errorf("Blocked(%v, %v) = %v; want %v", targets, blocks, got, want)
	}
	if n := Count(got); n != 256+1<<16+256 {
		t.Errorf("Count = %d; want %d", n, 256+1<<16+256)
	}
	// The same blocks, with the IPv4 blocks, in one list.
	got = Blocked(targets, append(DefaultBlocklist()[:16], blocks...))
	if !slices.Equal(got, want) {
		t.Errorf("Blocked with the IPv4 blocks = %v; want %v", got, want)
	}
	// A target that names a block keeps it, though the /80 sweeps past it.
	got = Blocked(append(targets, p("2001:db8::/120")), blocks)
	if want := []Range{p("2001:db8::1:0/112"), p("2001:db8::ffff:ffff:ff00/120")}; !slices.Equal(got, want) {
		t.Errorf("Blocked with 2001:db8::/120 named = %v; want %v", got, want)
	}
}

func TestReadBlocklist(t *testing.T) {
	in := "# ZMap's format\n10.0.0.0/8 # private\n\n192.0.2.1\n  198.51.100.0/24\t\n203.0.113.1-203.0.113.9, 1.2.3.4\n"
	got, err := ReadBlocklist(strings.NewReader(in), "blocklist.conf")
	want := []Range{rng("10.0.0.0", "10.255.255.255"), rng("192.0.2.1", "192.0.2.1"), rng("198.51.100.0", "198.51.100.255"),
		rng("203.0.113.1", "203.0.113.9"), rng("1.2.3.4", "1.2.3.4")}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("ReadBlocklist = %v, %v; want %v", got, err, want)
	}
	in = "# IPv6 too\n2001:db8::/120 # lab\n::1\nfe80::1-fe80::ff, 198.18.0.0/15 ::ffff:10.0.0.1\n"
	got, err = ReadBlocklist(strings.NewReader(in), "blocklist.conf")
	want = []Range{rng("2001:db8::", "2001:db8::ff"), rng("::1", "::1"), rng("fe80::1", "fe80::ff"), rng("198.18.0.0", "198.19.255.255"), rng("10.0.0.1", "10.0.0.1")}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("ReadBlocklist = %v, %v; want %v", got, err, want)
	}
	// Blocks may be of any size, unlike targets; an IPv4-mapped prefix
	// counts all 128 bits.
	in = "fe80::/10\n2000::/3 ::/0\n2001:db8::/64,::ffff:10.0.0.0/104\n"
	got, err = ReadBlocklist(strings.NewReader(in), "blocklist.conf")
	want = []Range{rng("fe80::", "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), rng("2000::", "3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), {Last: maxAddr},
		rng("2001:db8::", "2001:db8::ffff:ffff:ffff:ffff"), rng("10.0.0.0", "10.255.255.255")}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("ReadBlocklist = %v, %v; want %v", got, err, want)
	}
	for in, want := range map[string]string{
		"10.0.0.0/8\n10.0.0.0/33\n": `blocklist.conf:2: bad block "10.0.0.0/33": prefix length 33 > 32`,
		"198.18.0.1:80\n":           `blocklist.conf:1: bad block "198.18.0.1:80": an address with a port? give ports with -p`,
		"::\n::fffe:0:0/95\n":       `blocklist.conf:2: bad block "::fffe:0:0/95": it holds both IPv6 and IPv4-mapped addresses; give the IPv4 ones apart`,
		"::ffff:10.0.0.0/88":        `blocklist.conf:1: bad block "::ffff:10.0.0.0/88": it holds both IPv6 and IPv4-mapped addresses; give the IPv4 ones apart`,
		"10.0.0.0/104":              `blocklist.conf:1: bad block "10.0.0.0/104": prefix length 104 > 32`,
		"# x\n\nexample.com\n":      `blocklist.conf:3: bad block "example.com": want 4 decimal fields a.b.c.d`,
		"1.2.3.4 1.2.3.400":         `blocklist.conf:1: bad block "1.2.3.400": field > 255`,
		"::1\n2001:db8::/129\n":     `blocklist.conf:2: bad block "2001:db8::/129": prefix length 129 > 128`,
		"2001:db8:::1":              `blocklist.conf:1: bad block "2001:db8:::1": not an IPv6 address`,
		"fe80::1%eth0":              `blocklist.conf:1: bad block "fe80::1%eth0": an IPv6 zone (%eth0) has no place in a target`,
		"::1-10.0.0.1":              `blocklist.conf:1: bad block "::1-10.0.0.1": range from ::1 to 10.0.0.1 mixes IPv4 and IPv6`,
	} {
		_, err := ReadBlocklist(strings.NewReader(in), "blocklist.conf")
		var se *SyntaxError
		if err == nil || err.Error() != want || !errors.As(err, &se) || se.Kind != "block" {
			t.Errorf("ReadBlocklist(%q) error %v, want %s", in, err, want)
		}
	}
}

func TestParseBlocks(t *testing.T) {
	tests := []struct {
		name    string
		in      []string
		want    []Range
		wantErr string
	}{
		{name: "none", in: nil, want: nil},
		{name: "ipv4", in: []string{"10.0.0.0/8,192.0.2.1", "198.51.100.1-198.51.100.9"},
			want: []Range{rng("10.0.0.0", "10.255.255.255"), rng("192.0.2.1", "192.0.2.1"), rng("198.51.100.1", "198.51.100.9")}},
		{name: "link-local /10", in: []string{"fe80::/10"}, want: []Range{rng("fe80::", "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff")}},
		{name: "global unicast /3", in: []string{"2000::/3"}, want: []Range{rng("2000::", "3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")}},
		{name: "everything", in: []string{"::/0"}, want: []Range{{Last: maxAddr}}},
		{name: "all of ipv4", in: []string{"0.0.0.0/0"}, want: []Range{V4Range(0, math.MaxUint32)}},
		{name: "a /64 and a /79", in: []string{"2001:db8::/64, 2001:db9::/79"},
			want: []Range{rng("2001:db8::", "2001:db8::ffff:ffff:ffff:ffff"), rng("2001:db9::", "2001:db9::1:ffff:ffff:ffff")}},
		{name: "a range of 2^64 and more", in: []string{"2001:db8::-2001:db8:0:1::"}, want: []Range{rng("2001:db8::", "2001:db8:0:1::")}},
		{name: "ipv4-mapped prefix counts 128 bits", in: []string{"::ffff:198.18.0.0/111"}, want: []Range{V4Range(0xc6120000, 0xc613ffff)}},

		{name: "empty element", in: []string{"fe80::/10,"}, wantErr: `bad block "fe80::/10,": empty element in comma-separated list`},
		{name: "not an address", in: []string{"example.com"}, wantErr: `bad block "example.com": want 4 decimal fields a.b.c.d`},
		{name: "address with a port", in: []string{"10.0.0.1:22"}, wantErr: `bad block "10.0.0.1:22": an address with a port? give ports with -p`},
		{name: "prefix too long", in: []string{"2001:db8::/129"}, wantErr: `bad block "2001:db8::/129": prefix length 129 > 128`},
		{name: "dotted prefix too long", in: []string{"10.0.0.0/104"}, wantErr: `bad block "10.0.0.0/104": prefix length 104 > 32`},
		{name: "prefix of both families", in: []string{"::fffe:0:0/95"}, wantErr: `bad block "::fffe:0:0/95": it holds both IPv6 and IPv4-mapped addresses; give the IPv4 ones apart`},
		{name: "range of both families", in: []string{"::1-10.0.0.1"}, wantErr: `bad block "::1-10.0.0.1": range from ::1 to 10.0.0.1 mixes IPv4 and IPv6`},
		{name: "ipv6 range around all of ipv4", in: []string{"::-::1:0:0:0"}, wantErr: `bad block "::-::1:0:0:0": the range holds both IPv6 and IPv4-mapped addresses; give the IPv4 ones apart`},
		{name: "zone", in: []string{"fe80::%eth0/10"}, wantErr: `bad block "fe80::%eth0/10": an IPv6 zone (%eth0) has no place in a target`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseBlocks(tt.in)
			if tt.wantErr != "" {
				var se *SyntaxError
				if err == nil || err.Error() != tt.wantErr || !errors.As(err, &se) || se.Kind != "block" {
					t.Fatalf("ParseBlocks(%q) = %v, %v; want error %s", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("ParseBlocks(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
			// Each block prints as its shortest form and reads back.
			for _, r := range got {
				if back, err := ParseBlocks([]string{r.String()}); err != nil || !slices.Equal(back, []Range{r}) {
					t.Errorf("ParseBlocks(%q) = %v, %v; want %v", r.String(), back, err, r)
				}
			}
		})
	}
}

// ParseBlocks reads blocks, such as --exclude's, as ParseTargets reads
// targets but of any size: a block may be far wider than a scan.
func ExampleParseBlocks() {
	blocks, err := ParseBlocks([]string{"fe80::/10,2001:db8::/32", "10.0.0.0/8", "::ffff:192.0.2.0/120"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, b := range blocks {
		fmt.Printf("%s, IPv4 %v\n", b, b.Is4())
	}
	_, err = ParseBlocks([]string{"::fffe:0:0/95"})
	fmt.Println(err)
	// Output:
	// fe80::/10, IPv4 false
	// 2001:db8::/32, IPv4 false
	// 10.0.0.0/8, IPv4 true
	// 192.0.2.0/24, IPv4 true
	// bad block "::fffe:0:0/95": it holds both IPv6 and IPv4-mapped addresses; give the IPv4 ones apart
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
