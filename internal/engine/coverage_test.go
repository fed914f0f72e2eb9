package engine

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trawlscan/trawl/internal/netio"
	"github.com/trawlscan/trawl/pkg/result"
	"github.com/trawlscan/trawl/pkg/syncookie"
	"github.com/trawlscan/trawl/pkg/target"
)

// TestEveryProbeOncePerTry runs whole scans of small spaces into silence,
// where every try of every probe must go out, and checks that each probe
// of the space is sent exactly retries+1 times and nothing else is sent,
// and that, with Filtered, each is reported silent exactly once, whether
// its chunk retired during the scan or was swept at its end: across
// target lists with excludes, port lists, shards, resume points and chunk
// widths, with one and with two senders.
func TestEveryProbeOncePerTry(t *testing.T) {
	spaces := []struct {
		targets, excludes, ports string
		short                    bool // run with -short too
	}{
		{"198.18.0.0/30", "", "80", true},
		{"198.18.0.0/29", "198.18.0.3", "22,80,443", true},
		{"198.18.0.1-198.18.0.13 198.18.1.7", "198.18.0.4-198.18.0.6", "1-5,7,1000-1002", false},
		{"198.18.0.0/24", "198.18.0.128/26", "1,65535", false},
		// IPv4 and IPv6 mixed, each family with its own source.
		{"198.18.0.0/29 2001:db8::/125", "198.18.0.3 2001:db8::5", "22,80,443", true},
		{"2001:db8::fffe-2001:db8::1:3 198.18.0.1-198.18.0.13 2001:db8:1::7", "198.18.0.4-198.18.0.6 2001:db8::1:0", "1-5,7,1000-1002", false},
		// IPv6 alone, from an IPv6 source alone.
		{"2001:db8::/126", "", "80", false},
	}
	cases, probes := 0, 0
	for _, sp := range spaces {
		if testing.Short() && !sp.short {
			continue
		}
		space := newTestSpace(t, sp.targets, sp.excludes, sp.ports)
		n := space.Len()
		perm := target.NewPermutation(n, 77)
		for count := 1; count <= 3; count++ {
			for retries := 0; retries <= 2; retries++ {
				for _, width := range []uint64{1, 7, 64, 1 << 12} {
					// Resume points: none, the first position of each shard, a
					// third and two thirds in.
					for _, cut := range []uint64{0, 1, 3} {
						cases++
						sent, silent := map[netip.AddrPort]int{}, map[netip.AddrPort]int{}
						for idx := 1; idx <= count; idx++ {
							shard := target.Shard{Index: idx, Count: count}
							start, end := shard.Bounds(n)
							mid := start + (end-start)*cut/3
							for _, r := range [][2]uint64{{start, mid}, {mid, end}} {
								runSilent(t, space, perm, r[0], r[1], retries, width, 1+int(r[0]%2), sent, silent)
							}
						}
						name := fmt.Sprintf("%s × %s shards %d retries %d width %d cut %d/3", sp.targets, sp.ports, count, retries, width, cut)
						checkOncePerTry(t, name, space, sent, retries+1)
						checkOncePerTry(t, name+" (reported silent)", space, silent, 1)
						probes += int(n) * (retries + 1)
					}
				}
			}
		}
	}
	t.Logf("%d cases, %d probes checked", cases, probes)
}

// runSilent scans positions [start, end) of space into a network that
// never answers, with Filtered, and adds every probe it sends to sent and
// every probe it reports silent to silent.
func runSilent(t *testing.T, space *target.Space, perm *target.Permutation, start, end uint64, retries int, width uint64, senders int, sent, silent map[netip.AddrPort]int) {
	t.Helper()
	if start == end {
		return
	}
	fn := &silentNet{probes: sent}
	cfg := Config{
		Space: space, Perm: perm, Start: start, End: end,
		Sources: familySources(space), SourcePort: 61000, Key: syncookie.Key{K0: 3, K1: 4},
		Retries: retries, Wait: time.Millisecond, Filtered: true,
	}
	var ss []*netio.Sender
	for range senders {
		ss = append(ss, netio.NewSender(fn, 8))
	}
	e, err := New(cfg, ss, fn)
	if err != nil {
		t.Fatal(err)
	}
	e.win.width = width // narrow chunks, so that small spaces span many
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = e.Run(ctx, func(r result.Result) {
		if r.Status != result.StatusFiltered || r.Reason != result.ReasonNoResponse {
			t.Errorf("reported %+v from silence", r)
		}
		silent[netip.AddrPortFrom(r.IP, r.Port)]++
	})
	if err != nil {
		t.Fatalf("[%d, %d) retries %d width %d: %v", start, end, retries, width, err)
	}
	if st := e.Stats(); st.Silent != end-start {
		t.Fatalf("[%d, %d) retries %d width %d: %d silent, want %d", start, end, retries, width, st.Silent, end-start)
	}
}

// Source addresses of each family for the tests.
var (
	src4 = netip.MustParseAddr("198.19.0.1")
	src6 = netip.MustParseAddr("2001:db8:ff::1")
)

// familySources returns the steps that send a space's IPv4 probes from
// src4 and its IPv6 probes from src6: one source a family.
func familySources(space *target.Space) []SourceFrom {
	var steps []SourceFrom
	if space.Has4() {
		steps = append(steps, SourceFrom{First: target.V4(0), Source: src4})
	}
	if space.Has6() {
		steps = append(steps, SourceFrom{First: target.FromNetip(netip.MustParseAddr("2001::")), Source: src6})
	}
	return steps
}

// silentNet is a network that answers nothing; it counts the probes
// written to it.
type silentNet struct {
	mu     sync.Mutex
	probes map[netip.AddrPort]int
}

func (f *silentNet) WriteBatch(pkts [][]byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range pkts {
		pr := probeOf(p)
		f.probes[netip.AddrPortFrom(pr.dst.Netip(), pr.dport)]++
	}
	return len(pkts), nil
}

func (f *silentNet) ReadPacket() ([]byte, error) {
	time.Sleep(time.Millisecond)
	return nil, netio.ErrTimeout
}
func (f *silentNet) Link() netio.LinkType               { return netio.LinkEthernet }
func (f *silentNet) Stats() (netio.CaptureStats, error) { return netio.CaptureStats{}, nil }
func (f *silentNet) Close()                             {}

// checkOncePerTry checks that sent holds every probe of space exactly
// tries times, and nothing else.
func checkOncePerTry(t *testing.T, name string, space *target.Space, sent map[netip.AddrPort]int, tries int) {
	t.Helper()
	for i := range space.Len() {
		ip, port := space.Index(i)
		ap := netip.AddrPortFrom(ip.Netip(), port)
		if sent[ap] != tries {
			t.Fatalf("%s: %v sent %d times, want %d", name, ap, sent[ap], tries)
		}
		delete(sent, ap)
	}
	for ap, k := range sent {
		t.Fatalf("%s: %v is not in the space but was sent %d times", name, ap, k)
	}
}

func newTestSpace(t testing.TB, targets, excludes, ports string) *target.Space {
	t.Helper()
	inc, err := target.ParseTargets(strings.Fields(targets))
	if err != nil {
		t.Fatal(err)
	}
	exc, err := target.ParseTargets(strings.Fields(excludes))
	if err != nil {
		t.Fatal(err)
	}
	ps, err := target.ParsePorts(ports)
	if err != nil {
		t.Fatal(err)
	}
	space, err := target.NewSpace(inc, exc, ps)
	if err != nil {
		t.Fatal(err)
	}
	return space
}
