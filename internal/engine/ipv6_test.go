package engine

import (
	"context"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/google/gopacket/layers"

	"github.com/trawlscan/trawl/internal/netio"
	"github.com/trawlscan/trawl/internal/packet"
	"github.com/trawlscan/trawl/pkg/result"
	"github.com/trawlscan/trawl/pkg/syncookie"
	"github.com/trawlscan/trawl/pkg/target"
)

// mixedTargets is a dual-stack network: an IPv4 /24 and an IPv6 /120,
// each host probed on mixedPorts.
const (
	mixedTargets = "198.18.0.0/24 2001:db8::/120"
	mixedPorts   = "22,80,443,8080"
)

// plantMixed returns n distinct open ports of each family in
// mixedTargets × mixedPorts, on hosts .0 to .127, those that
// dualStackFirewall lets answer.
func plantMixed(n int, seed uint64) []netip.AddrPort {
	rng := rand.New(rand.NewPCG(seed, seed))
	ports := []uint16{22, 80, 443, 8080}
	seen := map[netip.AddrPort]bool{}
	var out []netip.AddrPort
	for _, base := range []netip.Addr{netip.MustParseAddr("198.18.0.0"), netip.MustParseAddr("2001:db8::")} {
		for k := 0; k < n; {
			b := base.AsSlice()
			b[len(b)-1] = byte(rng.IntN(128))
			a, _ := netip.AddrFromSlice(b)
			ap := netip.AddrPortFrom(a, ports[rng.IntN(len(ports))])
			if !seen[ap] {
				seen[ap], k = true, k+1
				out = append(out, ap)
			}
		}
	}
	return out
}

// dualStackFirewall makes fn answer mixedTargets as a dual-stack network
// behind firewalls, the same by host number in each family:
//
//	.0-.127       hosts: SYN-ACK or RST
//	.128-.191     port unreachable (ICMP code 3, ICMPv6 code 4)
//	.192-.223     administratively prohibited (ICMP 13, ICMPv6 1)
//	.224-.239     ICMP fragmentation needed (4) / ICMPv6 code 7, an
//	              error in a source routing header: neither says
//	              anything about the port
//	.240-.255     nothing
func dualStackFirewall(fn *fakeNet) {
	fn.silent = func(ip target.Addr) bool { return byte(ip.Lo) >= 240 }
	fn.unreach = func(ip target.Addr) (uint8, bool) {
		codes := [3]uint8{3, 13, 4} // ICMPv4
		if !ip.Is4() {
			codes = [3]uint8{4, 1, 7} // ICMPv6
		}
		switch h := byte(ip.Lo); {
		case h >= 240 || h < 128:
			return 0, false
		case h < 192:
			return codes[0], true
		case h < 224:
			return codes[1], true
		default:
			return codes[2], true
		}
	}
}

// wantDualStack returns the status and reason that dualStackFirewall
// gives ap, and how many times ap must be probed with retries.
func wantDualStack(ap netip.AddrPort, open map[netip.AddrPort]bool, retries int) (result.Status, result.Reason, int) {
	h := ap.Addr().AsSlice()[len(ap.Addr().AsSlice())-1]
	switch {
	case h < 128 && open[ap]:
		return result.StatusOpen, result.ReasonSYNACK, 1
	case h < 128:
		return result.StatusClosed, result.ReasonReset, 1
	case h < 192:
		return result.StatusFiltered, result.ReasonPortUnreach, 1
	case h < 224:
		return result.StatusFiltered, result.ReasonAdminProhibited, 1
	}
	return result.StatusFiltered, result.ReasonNoResponse, retries + 1
}

// TestDualStackScan scans an IPv4 /24 and an IPv6 /120 in one space from
// an IPv4 and an IPv6 source, through dualStackFirewall with a retry, and
// --show closed,filtered: the fake network checks every probe (checksums
// over the right pseudo-header, cookie of the right family), and the scan
// reports each probe exactly once with the family, status, reason and
// TTLs planted, having sent it once if answered and twice if not.
func TestDualStackScan(t *testing.T) {
	open := plantMixed(40, 8)
	isOpen := map[netip.AddrPort]bool{}
	for _, ap := range open {
		isOpen[ap] = true
	}
	fn := newFakeNet(open, 0)
	dualStackFirewall(fn)
	const retries = 1
	got, e, err := scan(t, context.Background(), fn, mixedTargets, mixedPorts, Config{
		Sources: []SourceFrom{{First: addr("198.18.0.0"), Source: src4}, {First: addr("2001:db8::"), Source: src6}},
		Retries: retries, Wait: 200 * time.Millisecond, Closed: true, Filtered: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[netip.AddrPort]bool{}
	counts := map[bool]map[result.Reason]int{true: {}, false: {}} // by Is4
	for _, r := range got {
		ap := netip.AddrPortFrom(r.IP, r.Port)
		if seen[ap] {
			t.Fatalf("%v reported twice", ap)
		}
		seen[ap] = true
		if r.IP.Zone() != "" || r.IP.Is4In6() || !r.IP.Is4() && !netip.MustParsePrefix("2001:db8::/120").Contains(r.IP) {
			t.Errorf("%v: reported as %#v, want plain IPv4 or IPv6 of the space", ap, r.IP)
		}
		status, reason, _ := wantDualStack(ap, isOpen, retries)
		if r.Status != status || r.Reason != reason {
			t.Errorf("%v: %v %v, want %v %v", ap, r.Status, r.Reason, status, reason)
		}
		wantTTL, wantReasonTTL := uint8(64), uint8(64)
		switch reason {
		case result.ReasonNoResponse:
			wantTTL, wantReasonTTL = 0, 0
		case result.ReasonPortUnreach, result.ReasonAdminProhibited:
			wantTTL, wantReasonTTL = 0, 61
		}
		if r.TTL != wantTTL || r.ReasonTTL != wantReasonTTL {
			t.Errorf("%v (%v): ttl %d reason_ttl %d, want %d and %d", ap, reason, r.TTL, r.ReasonTTL, wantTTL, wantReasonTTL)
		}
		counts[r.IP.Is4()][r.Reason]++
	}
	// Every probe of the space, of either family, went out as often as
	// its answer says, and nothing else went out.
	space := e.cfg.Space
	for i := range space.Len() {
		ip, port := space.Index(i)
		ap := netip.AddrPortFrom(ip.Netip(), port)
		_, _, tries := wantDualStack(ap, isOpen, retries)
		if n := fn.probes[ap]; n != tries {
			t.Errorf("%v probed %d times, want %d", ap, n, tries)
		}
		if !seen[ap] {
			t.Errorf("%v not reported", ap)
		}
	}
	if len(fn.probes) != int(space.Len()) {
		t.Errorf("%d distinct probes sent, want %d", len(fn.probes), space.Len())
	}
	// Per family, each × 4 ports: 128 hosts answer, 64 port unreachable,
	// 32 prohibited, and 32 are silent or say nothing of the port; open
	// as planted.
	for family, is4 := range map[string]bool{"IPv4": true, "IPv6": false} {
		c := counts[is4]
		if c[result.ReasonSYNACK] != 40 || c[result.ReasonReset] != 128*4-40 || c[result.ReasonPortUnreach] != 64*4 ||
			c[result.ReasonAdminProhibited] != 32*4 || c[result.ReasonNoResponse] != 32*4 {
			t.Errorf("%s: results by reason %v", family, c)
		}
	}
	st := e.Stats()
	if st.Total != 2*256*4 || st.Open != 80 || st.Closed != 2*(128*4-40) || st.Unreachable != 2*96*4 || st.Silent != 2*32*4 {
		t.Errorf("stats %+v", st)
	}
	// The uninformative unreachables come back for each try, and count as
	// invalid; nothing else does.
	if want := uint64(2 * 16 * 4 * (retries + 1)); st.Invalid != want {
		t.Errorf("%d invalid replies, want %d uninformative unreachables", st.Invalid, want)
	}
}

// TestIPv6OnlyScan scans an IPv6 space from an IPv6 source alone, given
// as Config.Source: the scan needs no IPv4 source, and finds what is
// planted.
func TestIPv6OnlyScan(t *testing.T) {
	var want []netip.AddrPort
	for _, ap := range plantMixed(30, 9) {
		if ap.Addr().Is6() {
			want = append(want, ap)
		}
	}
	fn := newFakeNet(want, 0)
	got, e, err := scan(t, context.Background(), fn, "2001:db8::/120", mixedPorts, Config{Source: src6, Wait: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if missing := compare(t, got, want); missing != 0 {
		t.Errorf("missed %d of %d open ports", missing, len(want))
	}
	if st := e.Stats(); st.Sent != st.Total || st.Replies != st.Total || st.Invalid != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestDualStackWrongCookiesAreInvalid answers every probe of both
// families with a wrong acknowledgment number.
func TestDualStackWrongCookiesAreInvalid(t *testing.T) {
	fn := newFakeNet(plantMixed(20, 10), 0)
	fn.corrupt = true
	got, e, err := scan(t, context.Background(), fn, mixedTargets, mixedPorts, Config{
		Sources: []SourceFrom{{First: addr("198.18.0.0"), Source: src4}, {First: addr("2001:db8::"), Source: src6}},
		Wait:    200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Fatalf("reported %d results from replies with wrong cookies", len(got))
	}
	if st := e.Stats(); st.Invalid != st.Total || st.Replies != 0 {
		t.Errorf("stats %+v, want every reply invalid", st)
	}
}

// dualStackEngine is an engine over mixedTargets × 1-1024 from src4 and
// src6 whose first pass is sent on paper: tests feed its receiver.
func dualStackEngine(t testing.TB, src6 netip.Addr) *Engine {
	t.Helper()
	space := newTestSpace(t, mixedTargets, "", "1-1024")
	fn := &fakeNet{frames: make(chan []byte, 1)}
	e, err := New(Config{
		Space: space, Perm: target.NewPermutation(space.Len(), 3),
		Sources:    []SourceFrom{{First: addr("198.18.0.0"), Source: src4}, {First: addr("2001:db8::"), Source: src6}},
		SourcePort: 61000, Key: syncookie.Key{K0: 13, K1: 14}, Closed: true, Filtered: true,
	}, []*netio.Sender{netio.NewSender(fn, 1)}, fn)
	if err != nil {
		t.Fatal(err)
	}
	sendOnPaper(e, time.Now())
	return e
}

// TestDualStackReplies hands the receiver of a dual-stack scan replies,
// as frames and as decoded Replies: a reply is valid only to our source
// of its own family, with the cookie of that family computed with that
// source. The IPv6 source's low 32 bits are those of the IPv4 source, so
// that a cookie computed with the wrong family's source is otherwise
// right.
func TestDualStackReplies(t *testing.T) {
	ourSrc6 := netip.MustParseAddr("2001:db8:ff::c613:1") // low 32 bits: 198.19.0.1
	if target.FromNetip(ourSrc6).V4() != target.FromNetip(src4).V4() {
		t.Fatal("the sources' low 32 bits differ")
	}
	key := syncookie.Key{K0: 13, K1: 14}
	e0 := dualStackEngine(t, ourSrc6)
	t4, p4 := e0.cfg.Space.Index(e0.cfg.Perm.At(100))
	t6, p6 := t4, p4
	for i := uint64(101); t6.Is4(); i++ {
		t6, p6 = e0.cfg.Space.Index(e0.cfg.Perm.At(i))
	}
	s4, s6 := target.FromNetip(src4), target.FromNetip(ourSrc6)
	other6 := addr("2001:db8:ff::2")
	c4 := syncookie.Compute(key, s4.V4(), t4.V4(), 61000, p4)
	c6 := syncookie.Compute6(key, s6, t6, 61000, p6)
	tcp := func(src, dst target.Addr, port uint16, ack uint32, kind packet.Kind) packet.Reply {
		return packet.Reply{SrcIP: src, DstIP: dst, SrcPort: port, DstPort: 61000, Ack: ack, TTL: 64, Kind: kind}
	}
	unreach := func(src, dst target.Addr, port uint16, seq uint32, code uint8) packet.Reply {
		return packet.Reply{SrcIP: src, DstIP: dst, SrcPort: port, DstPort: 61000, Seq: seq, TTL: 61, Code: code, Kind: packet.KindUnreach}
	}
	tests := []struct {
		name   string
		r      packet.Reply
		status result.Status // zero: invalid
		reason result.Reason
	}{
		{"IPv4 SYN-ACK", tcp(t4, s4, p4, c4+1, packet.KindSYNACK), result.StatusOpen, result.ReasonSYNACK},
		{"IPv6 SYN-ACK", tcp(t6, s6, p6, c6+1, packet.KindSYNACK), result.StatusOpen, result.ReasonSYNACK},
		{"IPv6 RST acknowledging the cookie + 1", tcp(t6, s6, p6, c6+1, packet.KindRST), result.StatusClosed, result.ReasonReset},
		{"IPv6 RST acknowledging the cookie", tcp(t6, s6, p6, c6, packet.KindRST), result.StatusClosed, result.ReasonReset},
		{"ICMPv6 port unreachable", unreach(t6, s6, p6, c6, 4), result.StatusFiltered, result.ReasonPortUnreach},
		{"ICMPv6 prohibited", unreach(t6, s6, p6, c6, 1), result.StatusFiltered, result.ReasonAdminProhibited},

		{"IPv6 SYN-ACK with the cookie + 2", tcp(t6, s6, p6, c6+2, packet.KindSYNACK), 0, 0},
		{"IPv6 SYN-ACK with the IPv4 cookie of the same addresses", tcp(t6, s6, p6, syncookie.Compute(key, s6.V4(), t6.V4(), 61000, p6)+1, packet.KindSYNACK), 0, 0},
		{"IPv6 SYN-ACK with another source's cookie", tcp(t6, s6, p6, syncookie.Compute6(key, other6, t6, 61000, p6)+1, packet.KindSYNACK), 0, 0},
		{"IPv6 SYN-ACK to another IPv6 address", tcp(t6, other6, p6, syncookie.Compute6(key, other6, t6, 61000, p6)+1, packet.KindSYNACK), 0, 0},
		{"IPv6 SYN-ACK to the IPv4 source", tcp(t6, s4, p6, syncookie.Compute6(key, s4, t6, 61000, p6)+1, packet.KindSYNACK), 0, 0},
		{"IPv6 SYN-ACK to the IPv4 source, the IPv6 source's cookie", tcp(t6, s4, p6, c6+1, packet.KindSYNACK), 0, 0},
		{"IPv4 SYN-ACK to the IPv6 source", tcp(t4, s6, p4, c4+1, packet.KindSYNACK), 0, 0},
		{"IPv4 RST to the IPv6 source", tcp(t4, s6, p4, c4, packet.KindRST), 0, 0},
		{"ICMP unreachable to the IPv6 source", unreach(t4, s6, p4, c4, 3), 0, 0},
		{"ICMPv6 unreachable to the IPv4 source", unreach(t6, s4, p6, syncookie.Compute6(key, s4, t6, 61000, p6), 3), 0, 0},
		{"ICMPv6 unreachable quoting the cookie + 1", unreach(t6, s6, p6, c6+1, 3), 0, 0},
		{"ICMPv6 unreachable with an unmapped code", unreach(t6, s6, p6, c6, 255), 0, 0},
		{"IPv6 SYN-ACK from outside the space", tcp(addr("2001:db8::1:0"), s6, p6, syncookie.Compute6(key, s6, addr("2001:db8::1:0"), 61000, p6)+1, packet.KindSYNACK), 0, 0},
		{"IPv4-mapped SYN-ACK to the IPv6 source", tcp(t4, s6, p4, syncookie.Compute6(key, s6, t4, 61000, p4)+1, packet.KindSYNACK), 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := dualStackEngine(t, ourSrc6)
			var got []result.Result
			e.handle(tt.r, func(r result.Result) { got = append(got, r) })
			st := e.Stats()
			if tt.status == 0 {
				if len(got) != 0 || st.Invalid != 1 {
					t.Fatalf("reported %v, %d invalid; want it counted invalid", got, st.Invalid)
				}
				return
			}
			if len(got) != 1 || st.Invalid != 0 {
				t.Fatalf("reported %v, %d invalid; want one result", got, st.Invalid)
			}
			r := got[0]
			if r.IP != tt.r.SrcIP.Netip() || r.IP.Is4() != tt.r.SrcIP.Is4() || r.IP.Is4In6() || r.Port != tt.r.SrcPort || r.Status != tt.status || r.Reason != tt.reason {
				t.Errorf("reported %+v, want %v %v %v", r, netip.AddrPortFrom(tt.r.SrcIP.Netip(), tt.r.SrcPort), tt.status, tt.reason)
			}
		})
	}
}

// TestDualStackReplyFrames decodes real frames, as fakeNet sends them, of
// each family and hands them to a dual-stack scan's receiver.
func TestDualStackReplyFrames(t *testing.T) {
	key := syncookie.Key{K0: 13, K1: 14}
	e0 := dualStackEngine(t, src6)
	t6, p6 := e0.cfg.Space.Index(e0.cfg.Perm.At(0))
	for i := uint64(1); t6.Is4(); i++ {
		t6, p6 = e0.cfg.Space.Index(e0.cfg.Perm.At(i))
	}
	s6, other6 := target.FromNetip(src6), addr("2001:db8:ff::2")
	c6 := syncookie.Compute6(key, s6, t6, 61000, p6)
	probe := func(src target.Addr, seq uint32) []byte {
		tpl, err := packet.NewTemplate6(src, 61000)
		if err != nil {
			t.Fatal(err)
		}
		return tpl.Put(make([]byte, packet.SYN6Len), t6, p6, seq)
	}
	tests := []struct {
		name   string
		frame  []byte
		status result.Status // zero: invalid
	}{
		{"SYN-ACK", reply(t6.Netip().AsSlice(), src6.AsSlice(), p6, 61000, c6+1, true), result.StatusOpen},
		{"RST", reply(t6.Netip().AsSlice(), src6.AsSlice(), p6, 61000, c6, false), result.StatusClosed},
		{"ICMPv6 port unreachable", unreachReply(probe(s6, c6), 4), result.StatusFiltered},
		{"SYN-ACK with a wrong cookie", reply(t6.Netip().AsSlice(), src6.AsSlice(), p6, 61000, c6+2, true), 0},
		{"SYN-ACK to another address", reply(t6.Netip().AsSlice(), other6.Netip().AsSlice(), p6, 61000, syncookie.Compute6(key, other6, t6, 61000, p6)+1, true), 0},
		{"ICMPv6 quoting another address's probe", unreachReply(probe(other6, syncookie.Compute6(key, other6, t6, 61000, p6)), 4), 0},
		{"ICMPv6 quoting a probe with a wrong cookie", unreachReply(probe(s6, c6+1), 4), 0},
		{"ICMPv6 source routing error", unreachReply(probe(s6, c6), 7), 0},
	}
	dec := packet.NewDecoder(linkLayer(netio.LinkEthernet))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := dec.Decode(tt.frame)
			if !ok {
				t.Fatal("frame does not decode")
			}
			e := dualStackEngine(t, src6)
			var got []result.Result
			e.handle(r, func(r result.Result) { got = append(got, r) })
			if st := e.Stats(); tt.status == 0 && (len(got) != 0 || st.Invalid != 1) {
				t.Fatalf("reported %v, %d invalid; want it counted invalid", got, st.Invalid)
			} else if tt.status != 0 && (len(got) != 1 || got[0].Status != tt.status || got[0].IP != t6.Netip() || !got[0].IP.Is6() || got[0].IP.Is4In6()) {
				t.Fatalf("reported %v, %d invalid; want %v %v", got, st.Invalid, t6, tt.status)
			}
		})
	}
}

// TestNewNeedsASourceOfEachFamily checks that New refuses a space with
// targets of a family that no source address is of, and takes one whose
// every family has a source.
func TestNewNeedsASourceOfEachFamily(t *testing.T) {
	fn := discardNet{}
	for _, tt := range []struct {
		name    string
		targets string
		cfg     Config
		ok      bool
	}{
		{"IPv6 targets, an IPv4 source", "2001:db8::/120", Config{Source: src4}, false},
		{"mixed targets, an IPv4 source", mixedTargets, Config{Source: src4}, false},
		{"mixed targets, two IPv4 sources", mixedTargets, Config{Sources: twoRoutes}, false},
		{"mixed targets, an IPv6 source", mixedTargets, Config{Source: src6}, false},
		{"IPv4 targets, an IPv6 source", "198.18.0.0/24", Config{Sources: []SourceFrom{{First: addr("2001:db8::"), Source: src6}}}, false},
		{"IPv6 targets, an IPv6 source", "2001:db8::/120", Config{Source: src6}, true},
		{"IPv4 targets, an IPv4 source", "198.18.0.0/24", Config{Source: src4}, true},
		{"mixed targets, a source of each", mixedTargets, Config{Sources: []SourceFrom{{First: addr("198.18.0.0"), Source: src4}, {First: addr("2001:db8::"), Source: src6}}}, true},
		{"IPv6 targets, a source of each", "2001:db8::/120", Config{Sources: []SourceFrom{{First: addr("198.18.0.0"), Source: src4}, {First: addr("2001:db8::"), Source: src6}}}, true},
	} {
		space := newTestSpace(t, tt.targets, "", "80")
		cfg := tt.cfg
		cfg.Space, cfg.Perm, cfg.SourcePort = space, target.NewPermutation(space.Len(), 1), 61000
		_, err := New(cfg, []*netio.Sender{netio.NewSender(fn, 8)}, fn)
		if (err == nil) != tt.ok {
			t.Errorf("%s: New = %v, want ok %v", tt.name, err, tt.ok)
		}
	}
}

// TestSendDoesNotAllocatePerBatch runs the send loop over spaces of 64
// and of 2,048 batches, each one chunk wide: the second must cost no more
// allocations than the first, so that a batch, IPv4 or IPv6, from one
// source a family or looked up among several, allocates nothing.
func TestSendDoesNotAllocatePerBatch(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage counters allocate on their own")
	}
	sources := map[string][]SourceFrom{
		"one source a family": {{First: addr("198.18.0.0"), Source: src4}, {First: addr("2001:db8::"), Source: src6}},
		"several IPv4 sources and one IPv6": {
			{First: addr("198.18.0.0"), Source: srcA}, {First: addr("198.18.0.8"), Source: srcB},
			{First: addr("198.18.2.0"), Source: srcA}, {First: addr("2001:db8::"), Source: src6},
		},
	}
	for name, steps := range sources {
		allocs := func(targets string) float64 {
			space := newTestSpace(t, targets, "", "1-64")
			perm := target.NewPermutation(space.Len(), 1)
			return testing.AllocsPerRun(3, func() {
				e, err := New(Config{Space: space, Perm: perm, Sources: steps, SourcePort: 61000, Key: syncookie.Key{K0: 1, K1: 2}},
					[]*netio.Sender{netio.NewSender(discardNet{}, 64)}, discardNet{})
				if err != nil {
					t.Fatal(err)
				}
				e.win.width = maxChunk
				if err := e.sendAll(context.Background()); err != nil {
					t.Fatal(err)
				}
				if s := e.Stats(); s.Sent != space.Len() {
					t.Fatalf("sent %d of %d", s.Sent, space.Len())
				}
			})
		}
		small := allocs("198.18.0.0/27 2001:db8::/123") // 64 hosts × 64 ports: 64 batches
		large := allocs("198.18.0.0/22 2001:db8::/118") // 2,048 × 64: 2,048 batches
		if large > small {
			t.Errorf("%s: %.0f allocations for 64 batches, %.0f for 2,048: %.3f a batch", name, small, large, (large-small)/(2048-64))
		}
	}
}

// BenchmarkProbe6 measures what the sender does per IPv6 probe in
// process, as BenchmarkProbe does per IPv4 probe: permutation, space
// index, cookie and packet patch, over 2001:db8::/115 × 1-1024, as many
// probes as BenchmarkProbe's 198.18.0.0/19 × 1-1024.
func BenchmarkProbe6(b *testing.B) {
	inc, _ := target.ParseTargets([]string{"2001:db8::/115"})
	ps, _ := target.ParsePorts("1-1024")
	space, _ := target.NewSpace(inc, nil, ps)
	perm := target.NewPermutation(space.Len(), 1)
	src := target.FromNetip(src6)
	tpl, _ := packet.NewTemplate6(src, 61000)
	key := syncookie.Key{K0: 1, K1: 2}
	buf := make([]byte, packet.SYN6Len)
	b.SetBytes(packet.SYN6Len)
	b.ReportAllocs()
	var pos uint64
	for b.Loop() {
		ip, port := space.Index(perm.At(pos % space.Len()))
		tpl.Put(buf, ip, port, syncookie.Compute6(key, src, ip, 61000, port))
		pos++
	}
}

// BenchmarkSend6 is BenchmarkSend over an IPv6 space of as many probes,
// 2001:db8::/116 × 1-64, from one IPv6 source.
func BenchmarkSend6(b *testing.B) {
	benchmarkSend(b, "2001:db8::/116", []SourceFrom{{First: addr("2001:db8::"), Source: src6}})
}

// BenchmarkSendMixed is BenchmarkSend over half of each: 198.18.0.0/21
// and 2001:db8::/117 × 1-64, one source a family.
func BenchmarkSendMixed(b *testing.B) {
	benchmarkSend(b, "198.18.0.0/21 2001:db8::/117", []SourceFrom{{First: addr("198.18.0.0"), Source: src4}, {First: addr("2001:db8::"), Source: src6}})
}

// TestCheckProbe checks fakeNet's check of probes, on which the scan
// tests rest: the engine's templates pass it, and a probe with a byte
// changed, or with another source's cookie, does not.
func TestCheckProbe(t *testing.T) {
	key := syncookie.Key{K0: 1, K1: 2}
	s4, s6, t6 := target.FromNetip(src4), target.FromNetip(src6), addr("2001:db8::7")
	tpl4, err := packet.NewTemplate(s4.V4(), 61000)
	if err != nil {
		t.Fatal(err)
	}
	tpl6, err := packet.NewTemplate6(s6, 61000)
	if err != nil {
		t.Fatal(err)
	}
	good4 := tpl4.Put(make([]byte, packet.SYNLen), 0xc6120007, 443, syncookie.Compute(key, s4.V4(), 0xc6120007, 61000, 443))
	good6 := tpl6.Put(make([]byte, packet.SYN6Len), t6, 443, syncookie.Compute6(key, s6, t6, 61000, 443))
	for name, p := range map[string][]byte{"IPv4": good4, "IPv6": good6} {
		if err := checkProbe(p, key); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	flip := func(p []byte, i int) []byte {
		q := append([]byte{}, p...)
		q[i] ^= 0x10
		return q
	}
	for name, p := range map[string][]byte{
		"IPv6 destination changed":      flip(good6, 39),
		"IPv6 source changed":           flip(good6, 23),
		"IPv6 payload length changed":   flip(good6, 5),
		"IPv6 destination port changed": flip(good6, 43),
		"IPv6 TCP checksum changed":     flip(good6, 57),
		"IPv6, the IPv4 cookie":         tpl6.Put(make([]byte, packet.SYN6Len), t6, 443, syncookie.Compute(key, s6.V4(), t6.V4(), 61000, 443)),
		"IPv6, another key's cookie":    tpl6.Put(make([]byte, packet.SYN6Len), t6, 443, syncookie.Compute6(syncookie.Key{K0: 1}, s6, t6, 61000, 443)),
		"IPv4 destination changed":      flip(good4, 19),
		"IPv4 header checksum changed":  flip(good4, 10),
		"IPv4, another port's cookie":   tpl4.Put(make([]byte, packet.SYNLen), 0xc6120007, 443, syncookie.Compute(key, s4.V4(), 0xc6120007, 61000, 444)),
	} {
		if err := checkProbe(p, key); err == nil {
			t.Errorf("%s: checkProbe passed % x", name, p)
		}
	}
}

// TestSeveralSourcesDualStack scans an IPv4 /22 whose probes leave from
// two addresses, as TestSeveralSources does, and an IPv6 /120 from a
// third: every probe has its route's source, and every open port of
// either family is found.
func TestSeveralSourcesDualStack(t *testing.T) {
	open := []netip.AddrPort{
		netip.MustParseAddrPort("198.18.0.7:22"), netip.MustParseAddrPort("198.18.1.0:80"),
		netip.MustParseAddrPort("198.18.1.255:443"), netip.MustParseAddrPort("198.18.3.9:80"),
		netip.MustParseAddrPort("[2001:db8::]:22"), netip.MustParseAddrPort("[2001:db8::ff]:443"),
	}
	fn := &sourceCheck{fakeNet: newFakeNet(open, 0), want: func(dst netip.Addr) netip.Addr {
		switch {
		case dst.Is6():
			return src6
		case netip.MustParsePrefix("198.18.1.0/24").Contains(dst):
			return srcB
		}
		return srcA
	}}
	key := syncookie.Key{K0: 5, K1: 6}
	fn.key = &key
	space := newTestSpace(t, "198.18.0.0/22 2001:db8::/120", "", "22,80,443")
	steps := append(append([]SourceFrom{}, twoRoutes...), SourceFrom{First: addr("2001:db8::"), Source: src6})
	e, err := New(Config{Space: space, Perm: target.NewPermutation(space.Len(), 9), SourcePort: 61000,
		Key: key, Sources: steps, Closed: true},
		[]*netio.Sender{netio.NewSender(fn, 64), netio.NewSender(fn, 64)}, fn)
	if err != nil {
		t.Fatal(err)
	}
	if e.srcs.firsts == nil {
		t.Fatal("no step table for two IPv4 sources")
	}
	var opened []result.Result
	closed := 0
	if err := e.Run(context.Background(), func(r result.Result) {
		if r.Status == result.StatusOpen {
			opened = append(opened, r)
		} else {
			closed++
		}
	}); err != nil {
		t.Fatal(err)
	}
	if n := fn.wrong.Load(); n != 0 {
		t.Errorf("%d probes had the wrong source address", n)
	}
	if len(fn.bad) != 0 {
		t.Errorf("%d bad probes, the first: %v", len(fn.bad), fn.bad[0])
	}
	if missing := compare(t, opened, open); missing != 0 {
		t.Errorf("missed %d of %d open ports", missing, len(open))
	}
	s := e.Stats()
	if closed != int(space.Len())-len(open) || s.Invalid != 0 || s.Sent != space.Len() {
		t.Errorf("%d closed (want %d), stats %+v", closed, int(space.Len())-len(open), s)
	}
}

// FuzzReceiveDualStack is FuzzReceive for a scan of both families from
// src4 and src6: arbitrary frames, and Replies with arbitrary targets of
// either family to any of our sources or another address, go through
// the decoder and the cookie check, and a result comes out only for a
// reply to a probe this run sent, from our source of the target's family,
// whose cookie of that family checks out.
func FuzzReceiveDualStack(f *testing.F) {
	e := dualStackEngine(f, src6)
	s4, s6 := target.FromNetip(src4), target.FromNetip(src6)
	dsts := []target.Addr{s4, s6, addr("2001:db8:ff::2"), addr("198.19.0.2")}
	t6, p6 := e.cfg.Space.Index(e.cfg.Perm.At(0))
	for i := uint64(1); t6.Is4(); i++ {
		t6, p6 = e.cfg.Space.Index(e.cfg.Perm.At(i))
	}
	t4, p4 := e.cfg.Space.Index(e.cfg.Perm.At(0))
	for i := uint64(1); !t4.Is4(); i++ {
		t4, p4 = e.cfg.Space.Index(e.cfg.Perm.At(i))
	}
	c6 := syncookie.Compute6(e.cfg.Key, s6, t6, 61000, p6)
	c4 := syncookie.Compute(e.cfg.Key, s4.V4(), t4.V4(), 61000, p4)
	tpl6, err := packet.NewTemplate6(s6, 61000)
	if err != nil {
		f.Fatal(err)
	}
	probe6 := tpl6.Put(make([]byte, packet.SYN6Len), t6, p6, c6)
	syn, rst, unr := uint8(packet.KindSYNACK), uint8(packet.KindRST), uint8(packet.KindUnreach)
	f.Add(reply(t6.Netip().AsSlice(), src6.AsSlice(), p6, 61000, c6+1, true), t6.Hi, t6.Lo, p6, uint8(1), c6+1, syn, uint8(0))
	f.Add(reply(t6.Netip().AsSlice(), src6.AsSlice(), p6, 61000, c6, false), t6.Hi, t6.Lo, p6, uint8(1), c6, rst, uint8(0))
	f.Add(unreachReply(probe6, 4), t6.Hi, t6.Lo, p6, uint8(1), c6, unr, uint8(3))
	f.Add(unreachReply(probe6, 7), t6.Hi, t6.Lo, p6, uint8(0), syncookie.Compute6(e.cfg.Key, s4, t6, 61000, p6), unr, uint8(3))
	f.Add([]byte{}, t6.Hi, t6.Lo, p6, uint8(0), syncookie.Compute6(e.cfg.Key, s4, t6, 61000, p6)+1, syn, uint8(0))
	f.Add([]byte{}, t4.Hi, t4.Lo, p4, uint8(1), syncookie.Compute(e.cfg.Key, s6.V4(), t4.V4(), 61000, p4)+1, syn, uint8(0))
	f.Add([]byte{}, t4.Hi, t4.Lo, p4, uint8(0), c4+1, syn, uint8(0))
	f.Add([]byte{}, t4.Hi, t4.Lo, p4, uint8(2), c4, rst, uint8(0))
	dec := packet.NewDecoder(layers.LayerTypeEthernet)
	f.Fuzz(func(t *testing.T, frame []byte, hi, lo uint64, sport uint16, to uint8, num uint32, kind, code uint8) {
		e := dualStackEngine(t, src6)
		check := func(r packet.Reply) {
			e.handle(r, func(res result.Result) {
				got := target.FromNetip(res.IP)
				idx, ok := e.cfg.Space.Lookup(got, res.Port)
				if !ok || got != r.SrcIP || res.Port != r.SrcPort || res.IP.Is4() != got.Is4() || res.IP.Is4In6() {
					t.Fatalf("reported %v from reply %+v, not to a probe this run sent", res, r)
				}
				_ = e.cfg.Perm.Pos(idx)
				var c uint32
				switch {
				case got.Is4() && r.DstIP == s4:
					c = syncookie.Compute(e.cfg.Key, s4.V4(), got.V4(), 61000, res.Port)
				case !got.Is4() && r.DstIP == s6:
					c = syncookie.Compute6(e.cfg.Key, s6, got, 61000, res.Port)
				default:
					t.Fatalf("reported %v from reply %+v, to an address that sent no probe of its family", res, r)
				}
				reason, filtered := result.UnreachReason(r.Code)
				if !got.Is4() {
					reason, filtered = result.Unreach6Reason(r.Code)
				}
				var valid bool
				switch r.Kind {
				case packet.KindSYNACK:
					valid = r.Ack == c+1 && res.Status == result.StatusOpen && res.Reason == result.ReasonSYNACK
				case packet.KindRST:
					valid = (r.Ack == c+1 || r.Ack == c) && res.Status == result.StatusClosed && res.Reason == result.ReasonReset
				case packet.KindUnreach:
					valid = r.Seq == c && filtered && res.Status == result.StatusFiltered && res.Reason == reason
				}
				if !valid {
					t.Fatalf("reported %+v from reply %+v that is not a valid answer", res, r)
				}
			})
		}
		if r, ok := dec.Decode(frame); ok {
			check(r)
		}
		r := packet.Reply{SrcIP: target.Addr{Hi: hi, Lo: lo}, DstIP: dsts[int(to)%len(dsts)], SrcPort: sport, DstPort: 61000, Kind: packet.Kind(kind % 4)}
		if r.Kind == packet.KindUnreach {
			r.Seq, r.Code = num, code
		} else {
			r.Ack = num
		}
		check(r)
	})
}
