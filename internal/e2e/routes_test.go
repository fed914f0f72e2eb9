package e2e

import (
	"context"
	"encoding/json"
	"net/netip"
	"os/exec"
	"strings"
	"testing"

	"github.com/trawlscan/trawl/internal/lab"
)

// TestTwoRoutes scans a lab whose scan namespace has two links, each to a
// target namespace of its own: 198.18.0.0/24 behind the first, from
// 198.19.0.1, and 198.18.1.0/24 behind the second, from 198.19.2.1, which
// answers only probes from that address. Every send path must find every
// planted port on both sides: the default (the raw socket, since frames
// go to one gateway), the raw socket asked for, and connect(). An
// --interface or --source-ip that would send one side's probes the wrong
// way is refused before anything is sent, naming both routes.
func TestTwoRoutes(t *testing.T) {
	first, second := netip.MustParsePrefix("198.18.0.0/24"), netip.MustParsePrefix("198.18.1.0/24")
	truth := append(lab.Truth(first, 1, 1024, 200, 31), lab.Truth(second, 1, 1024, 200, 32)...)
	l := lab.Start(t, lab.Config{Open: truth, Second: second})
	targets := first.String() + "," + second.String()

	t.Run("plan", func(t *testing.T) {
		out, err := l.Command(context.Background(), binary(t), "-p", "1-1024", targets, "--dry-run").Output()
		if err != nil {
			t.Fatalf("--dry-run: %v", err)
		}
		var plan struct {
			SendPath  string `json:"send_path"`
			Why       string `json:"why"`
			Interface string `json:"interface"`
		}
		if err := json.Unmarshal(out, &plan); err != nil {
			t.Fatalf("--dry-run output %q: %v", out, err)
		}
		if plan.SendPath != "raw" || plan.Interface != "any" || !strings.Contains(plan.Why, "2 routes") {
			t.Errorf("plan %+v: want the raw socket, the capture on every interface, and frames declined for the 2 routes", plan)
		}
	})
	for _, c := range []struct {
		name  string
		ports string
		flags []string
	}{
		{"default", "1-1024", nil},
		{"--send-ip", "1-1024", []string{"--send-ip"}},
		{"--send-ip, two senders, one retry", "1-1024", []string{"--send-ip", "--senders", "2", "--retries", "1"}},
		{"--connect", "1-100", []string{"--connect", "--timeout", "2s"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			want := truth
			if c.ports != "1-1024" {
				want = nil
				for _, ap := range truth {
					if ap.Port() <= 100 {
						want = append(want, ap)
					}
				}
			}
			out := trawl(t, l, append([]string{"-p", c.ports, targets, "--rate", "200000"}, c.flags...)...)
			if out.code != 0 {
				t.Fatalf("exit %d: %s", out.code, out.stderr)
			}
			for _, side := range []netip.Prefix{first, second} {
				found, planted := 0, 0
				got := map[netip.AddrPort]bool{}
				for _, r := range out.ndjson {
					got[netip.AddrPortFrom(r.IP, r.Port)] = true
				}
				for _, ap := range want {
					if side.Contains(ap.Addr()) {
						planted++
						if got[ap] {
							found++
						}
					}
				}
				t.Logf("%s: recall %d/%d (%.4f)", side, found, planted, float64(found)/float64(planted))
			}
			requireRecall(t, out, want, c.flags == nil || c.flags[0] != "--connect")
			if !strings.Contains(out.stderr, " 0 invalid") {
				t.Errorf("every reply should be valid, to whichever source: %s", lastLine(out.stderr))
			}
		})
	}
	for _, c := range []struct {
		name  string
		flags []string
		flag  string
	}{
		{"--interface of the first link", []string{"--interface", l.ScanInterface()}, "--interface"},
		{"--interface of the second link", []string{"--interface", l.SecondInterface()}, "--interface"},
		{"--source-ip of the first link", []string{"--source-ip", lab.ScanAddr.String()}, "--source-ip"},
		{"--source-ip of the second link, with --send-ip", []string{"--source-ip", lab.SecondScanAddr.String(), "--send-ip"}, "--source-ip"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd := l.Command(context.Background(), binary(t), append([]string{"-p", "80", targets}, c.flags...)...)
			out, err := cmd.CombinedOutput()
			ee, ok := err.(*exec.ExitError)
			if !ok || ee.ExitCode() != 2 {
				t.Fatalf("%v, output %q; want exit 2", err, out)
			}
			msg := string(out)
			for _, want := range []string{c.flag, "198.18.0.0/24", "198.18.1.0/24", l.ScanInterface(), l.SecondInterface()} {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q does not name %s", msg, want)
				}
			}
			if strings.Contains(msg, "probes sent") {
				t.Errorf("a refused scan sent probes: %s", msg)
			}
		})
	}
	t.Run("both sides' addresses of one link", func(t *testing.T) {
		// The second link's own subnet and the lab's /24 behind it leave
		// by the same interface from the same source: one route.
		out := trawl(t, l, "-p", "80", "198.19.2.2,"+second.String(), "--rate", "200000", "--show", "closed")
		if out.code != 0 || len(out.ndjson) != 257 {
			t.Fatalf("exit %d, %d results (want 257): %s", out.code, len(out.ndjson), out.stderr)
		}
	})
}
