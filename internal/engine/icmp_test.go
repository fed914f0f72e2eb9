package engine

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/trawlscan/trawl/pkg/result"
	"github.com/trawlscan/trawl/pkg/target"
)

// firewalled is a network of four /24s × ports 1-16 behind firewalls:
// 198.18.0.0/24 answers as hosts do (SYN-ACK or RST), 198.18.1.0/24 with
// ICMP port unreachable, 198.18.2.0/25 with admin prohibited,
// 198.18.2.128/25 with fragmentation needed (which says nothing about the
// port), and 198.18.3.0/24 not at all.
func firewalled(open []netip.AddrPort) *fakeNet {
	fn := newFakeNet(open, 0)
	fn.silent = func(a target.Addr) bool { return a.V4()>>8 == 0xc61203 }
	fn.unreach = func(a target.Addr) (uint8, bool) {
		switch ip := a.V4(); {
		case ip>>8 == 0xc61201:
			return 3, true
		case ip>>7 == 0xc6120200>>7:
			return 13, true
		case ip>>7 == 0xc6120280>>7:
			return 4, true
		}
		return 0, false
	}
	return fn
}

// wantFor returns the status and reason that firewalled gives ap.
func wantFor(ap netip.AddrPort, open map[netip.AddrPort]bool) (result.Status, result.Reason) {
	a := ap.Addr().As4()
	switch {
	case a[2] == 0 && open[ap]:
		return result.StatusOpen, result.ReasonSYNACK
	case a[2] == 0:
		return result.StatusClosed, result.ReasonReset
	case a[2] == 1:
		return result.StatusFiltered, result.ReasonPortUnreach
	case a[2] == 2 && a[3] < 128:
		return result.StatusFiltered, result.ReasonAdminProhibited
	}
	return result.StatusFiltered, result.ReasonNoResponse
}

// TestICMPFiltered scans firewalled with --show closed,filtered and two
// retries: one result per probe, with the status and reason nmap gives,
// ICMP-answered probes sent once and silent ones three times.
func TestICMPFiltered(t *testing.T) {
	var open []netip.AddrPort
	for _, ap := range plant(300, 5) {
		if ap.Addr().As4()[2] == 0 {
			open = append(open, ap)
		}
	}
	isOpen := map[netip.AddrPort]bool{}
	for _, ap := range open {
		isOpen[ap] = true
	}
	fn := firewalled(open)
	got, e, err := scan(t, context.Background(), fn, "198.18.0.0/22", "1-16", Config{Retries: 2, Wait: 200 * time.Millisecond, Closed: true, Filtered: true})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[netip.AddrPort]bool{}
	counts := map[result.Reason]uint64{}
	for _, r := range got {
		ap := netip.AddrPortFrom(r.IP, r.Port)
		if seen[ap] {
			t.Fatalf("%v reported twice", ap)
		}
		seen[ap] = true
		status, reason := wantFor(ap, isOpen)
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
		counts[r.Reason]++
		tries := 1
		if reason == result.ReasonNoResponse {
			tries = 3
		}
		if n := fn.probes[ap]; n != tries {
			t.Errorf("%v (%v) probed %d times, want %d", ap, reason, n, tries)
		}
	}
	st := e.Stats()
	if uint64(len(seen)) != st.Total {
		t.Fatalf("%d results for %d probes", len(seen), st.Total)
	}
	unreach := counts[result.ReasonPortUnreach] + counts[result.ReasonAdminProhibited]
	if unreach != 256*16+128*16 || st.Unreachable != unreach {
		t.Errorf("%d ICMP results, stats %d; want %d", unreach, st.Unreachable, 384*16)
	}
	if silent := counts[result.ReasonNoResponse]; silent != 384*16 || st.Silent != silent {
		t.Errorf("%d no-response results, stats %d; want %d", silent, st.Silent, 384*16)
	}
	if st.Replies+st.Unreachable+st.Silent != st.Total || st.Open != uint64(len(open)) {
		t.Errorf("stats %+v: replies, unreachables and silent probes must make the total", st)
	}
	// Fragmentation needed comes back for each of the three tries.
	if st.Invalid != 3*128*16 {
		t.Errorf("%d invalid replies, want %d fragmentation-needed messages", st.Invalid, 3*128*16)
	}
	if want := st.Total + 2*384*16; st.Sent != want {
		t.Errorf("sent %d probes, want %d: retries only to the silent", st.Sent, want)
	}
}

// TestFilteredOnlyWhenAsked scans firewalled without Config.Filtered:
// filtered ports are counted, never reported.
func TestFilteredOnlyWhenAsked(t *testing.T) {
	fn := firewalled(nil)
	got, e, err := scan(t, context.Background(), fn, "198.18.0.0/22", "1-4", Config{Retries: 1, Wait: 100 * time.Millisecond, Closed: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range got {
		if r.Status != result.StatusClosed {
			t.Fatalf("reported %+v without Filtered", r)
		}
	}
	if st := e.Stats(); len(got) != 256*4 || st.Unreachable != 384*4 || st.Silent != 384*4 {
		t.Errorf("%d results, stats %+v", len(got), st)
	}
}

// watchHosts is a Watcher of a set of hosts, watching until stop is set.
// Like the suspect check, it is asked on the goroutine that calls out.
type watchHosts struct {
	hosts map[target.Addr]bool
	stop  bool
	asked int
}

func (w *watchHosts) Watching() bool              { w.asked++; return !w.stop }
func (w *watchHosts) Watches(ip target.Addr) bool { return w.hosts[ip] }

// TestWatcher scans firewalled with neither Closed nor Filtered, under a
// Watcher of one host of each kind: every closed and filtered result of
// those hosts is reported, RST, unreachable or silence, and no other's;
// and once the Watcher watches nothing, nothing more.
func TestWatcher(t *testing.T) {
	open := plant(100, 3)
	watched := map[target.Addr]bool{}
	for _, a := range []string{"198.18.0.7", "198.18.1.7", "198.18.2.7", "198.18.2.200", "198.18.3.7"} {
		watched[target.FromNetip(netip.MustParseAddr(a))] = true
	}
	w := &watchHosts{hosts: watched}
	got, _, err := scan(t, context.Background(), firewalled(open), "198.18.0.0/22", "1-4", Config{Wait: 100 * time.Millisecond, Watch: w})
	if err != nil {
		t.Fatal(err)
	}
	isOpen := map[netip.AddrPort]bool{}
	for _, ap := range open {
		isOpen[ap] = true
	}
	others := map[target.Addr]int{}
	for _, r := range got {
		ap := netip.AddrPortFrom(r.IP, r.Port)
		if r.Status == result.StatusOpen {
			continue
		}
		if !watched[target.FromNetip(r.IP)] {
			t.Errorf("reported %+v of a host not watched", r)
			continue
		}
		if status, reason := wantFor(ap, isOpen); r.Status != status || r.Reason != reason {
			t.Errorf("%v: %v %v, want %v %v", ap, r.Status, r.Reason, status, reason)
		}
		others[target.FromNetip(r.IP)]++
	}
	for ip := range watched {
		want := 0
		for port := uint16(1); port <= 4; port++ {
			if status, _ := wantFor(netip.AddrPortFrom(ip.Netip(), port), isOpen); status != result.StatusOpen {
				want++
			}
		}
		if others[ip] != want {
			t.Errorf("%v: %d closed and filtered results, want %d", ip.Netip(), others[ip], want)
		}
	}
	if w.asked == 0 {
		t.Error("the Watcher was never asked")
	}

	w = &watchHosts{hosts: watched, stop: true}
	got, _, err = scan(t, context.Background(), firewalled(nil), "198.18.0.0/22", "1-4", Config{Wait: 100 * time.Millisecond, Watch: w})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Errorf("%d results with nothing watched, first %+v", len(got), got[0])
	}
}

// TestUnreachablesCompleteTheScan answers every probe with an ICMP
// unreachable: each is an answer, so the scan ends with the last one, not
// after the wait, and retries nothing.
func TestUnreachablesCompleteTheScan(t *testing.T) {
	fn := newFakeNet(nil, 0)
	fn.unreach = func(ip target.Addr) (uint8, bool) { return []uint8{0, 1, 2, 3, 9, 10, 13}[ip.V4()%7], true }
	start := time.Now()
	got, e, err := scan(t, context.Background(), fn, "198.18.0.0/24", "1-16", Config{Retries: 3, Wait: 10 * time.Second, Filtered: true})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("scan took %v; the last unreachable should end it", d)
	}
	st := e.Stats()
	if st.Sent != st.Total || st.Unreachable != st.Total || st.Silent != 0 || uint64(len(got)) != st.Total {
		t.Errorf("%d results, stats %+v", len(got), st)
	}
	want := map[uint32]result.Reason{0: result.ReasonNetUnreach, 1: result.ReasonHostUnreach, 2: result.ReasonProtoUnreach,
		3: result.ReasonPortUnreach, 4: result.ReasonNetProhibited, 5: result.ReasonHostProhibited, 6: result.ReasonAdminProhibited}
	for _, r := range got {
		if w := want[target.HostOrder(r.IP)%7]; r.Reason != w || r.Status != result.StatusFiltered {
			t.Errorf("%v:%d: %v %v, want filtered %v", r.IP, r.Port, r.Status, r.Reason, w)
		}
	}
}

// TestRSTAcknowledgingTheCookie answers closed ports with RSTs whose
// acknowledgment number is the cookie itself, as some stacks do.
func TestRSTAcknowledgingTheCookie(t *testing.T) {
	want := plant(100, 6)
	fn := newFakeNet(want, 0)
	fn.rstSeq = true
	got, e, err := scan(t, context.Background(), fn, "198.18.0.0/22", "1-16", Config{Wait: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if missing := compare(t, got, want); missing != 0 {
		t.Errorf("missed %d open ports", missing)
	}
	if st := e.Stats(); st.Closed != st.Total-uint64(len(want)) || st.Invalid != 0 {
		t.Errorf("stats %+v: every RST should count", st)
	}
}

// TestCancelledScanReportsOnlyFinishedSilence cancels a scan into silence
// with Filtered: the probes it reports as no-response are exactly the
// silent ones counted, each had every try, and none is reported twice.
func TestCancelledScanReportsOnlyFinishedSilence(t *testing.T) {
	fn := newFakeNet(nil, 0)
	fn.silent = func(target.Addr) bool { return true }
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	got, e, err := scan(t, ctx, fn, "198.18.0.0/18", "1-16", Config{Rate: 200000, Retries: 1, Wait: 100 * time.Millisecond, Filtered: true})
	if err == nil {
		t.Fatal("the scan finished before the cancellation; make it longer")
	}
	seen := map[netip.AddrPort]bool{}
	for _, r := range got {
		ap := netip.AddrPortFrom(r.IP, r.Port)
		if seen[ap] || r.Reason != result.ReasonNoResponse {
			t.Fatalf("%v: %v %v, seen before %v", ap, r.Status, r.Reason, seen[ap])
		}
		seen[ap] = true
		if n := fn.probes[ap]; n != 2 {
			t.Errorf("%v reported silent after %d tries, want 2", ap, n)
		}
	}
	st := e.Stats()
	if len(got) == 0 || st.Silent != uint64(len(got)) || st.Silent >= st.Total {
		t.Errorf("%d no-response results, stats %+v", len(got), st)
	}
	t.Logf("cancelled after %d of %d positions: %d probes reported silent", st.Position, st.Total, len(got))
}
