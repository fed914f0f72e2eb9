package e2e

import (
	"context"
	"fmt"
	"net/netip"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trawlscan/trawl/internal/lab"
	"github.com/trawlscan/trawl/pkg/result"
)

// BenchmarkBanners times trawl --banners against nmap -sV on the lab's
// real servers, and the same trawl scan without --banners, in
// interleaved rounds (one per b.N), all three over the servers' /29 ×
// ports 1-1024 and 6379. It reports each tool's median wall time in
// seconds and how many of the open ports nmap names trawl names the
// same (service name and TLS tunnel), and with the same product, as
// percentages. It logs both tools' findings for each port of the first
// round. scripts/bench.sh runs it as scenario banners.
func BenchmarkBanners(b *testing.B) {
	lab.RequireRoot(b)
	if _, err := exec.LookPath("nmap"); err != nil {
		b.Skipf("needs nmap: %v", err)
	}
	l := lab.Start(b, lab.Config{})
	servers := l.StartServers(b, serverBase)
	if len(servers) == 0 {
		b.Skip("no server installed: make deps installs them")
	}
	targets := netip.PrefixFrom(serverBase, 29).Masked().String()
	const ports = "1-1024,6379"
	bin := binary(b)
	dir := b.TempDir()
	var plain, banners, nmap []float64
	var same, product, total int
	run := func(name string, argv ...string) float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		start := time.Now()
		if out, err := l.Command(ctx, argv[0], argv[1:]...).CombinedOutput(); err != nil {
			b.Fatalf("%s: %v\n%s", name, err, out)
		}
		return time.Since(start).Seconds()
	}
	b.ResetTimer()
	for i := range b.N {
		tx, nx := filepath.Join(dir, fmt.Sprint("trawl", i, ".xml")), filepath.Join(dir, fmt.Sprint("nmap", i, ".xml"))
		plain = append(plain, run("trawl", bin, "-q", "-p", ports, targets, "-oX", filepath.Join(dir, "plain.xml")))
		banners = append(banners, run("trawl --banners", bin, "-q", "--banners", "-p", ports, targets, "-oX", tx))
		nmap = append(nmap, run("nmap -sV", "nmap", "-sS", "-sV", "-n", "-Pn", "-T4", "-p", ports, "-oX", nx, targets))
		got := map[netip.AddrPort]*result.ServiceInfo{}
		for _, r := range readOutput(b, result.FormatXML, tx) {
			got[netip.AddrPortFrom(r.IP, r.Port)] = r.Service
		}
		for _, r := range readOutput(b, result.FormatXML, nx) {
			if r.Status != result.StatusOpen {
				continue
			}
			total++
			want, g := r.Service, got[netip.AddrPortFrom(r.IP, r.Port)]
			if want == nil || g == nil {
				b.Logf("round %d %v:%d: nmap %+v, trawl %+v", i, r.IP, r.Port, want, g)
				continue
			}
			if g.Name == want.Name && (g.TLS != nil) == (want.TLS != nil) {
				same++
				if g.Product == want.Product {
					product++
				}
			}
			if i == 0 {
				b.Logf("%v:%d | nmap -sV: %s | trawl --banners: %s", r.IP, r.Port, describe(want), describe(g))
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(median(plain), "trawl-s")
	b.ReportMetric(median(banners), "trawl-banners-s")
	b.ReportMetric(median(nmap), "nmap-sV-s")
	b.ReportMetric(float64(total)/float64(b.N), "open-ports")
	b.ReportMetric(100*float64(same)/float64(max(total, 1)), "name-agree-%")
	b.ReportMetric(100*float64(product)/float64(max(total, 1)), "product-agree-%")
}

// describe writes s as nmap's normal output does: "ssl/http nginx 1.22.1".
func describe(s *result.ServiceInfo) string {
	name := s.Name
	if s.TLS != nil {
		name = "ssl/" + name
	}
	v := strings.TrimSpace(strings.Join([]string{s.Product, s.Version}, " "))
	if s.ExtraInfo != "" {
		v += " (" + s.ExtraInfo + ")"
	}
	return strings.TrimSpace(name + " " + v)
}

// median returns the median of xs, 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[n/2]
}
