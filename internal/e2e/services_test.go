package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trawlscan/trawl/internal/lab"
	"github.com/trawlscan/trawl/pkg/result"
)

// serverBase is where TestBanners starts the lab's real servers: one
// per address from here on, each on its service's usual port.
var serverBase = netip.MustParseAddr("198.18.41.1")

// servicePorts are the usual ports of the lab's servers, and one, 8080,
// that none of them listens on.
const servicePorts = "21,22,25,80,443,6379,8080"

// TestBanners sweeps the lab's real servers (OpenSSH, nginx with and
// without TLS, Redis, vsftpd, Exim) with --banners and checks what trawl
// says of each against what the server is: nmap's service name and
// product, the version where nmap names one, the HTTP status, Server
// header and title of the web servers, the TLS certificate of the https
// server, and a planted listener that says nothing, which keeps
// nmap-services' name with method "table". Every format writes the
// services; the XML stays valid against nmap's DTD. nmap -sV agreeing
// with the same ground truth is lab.TestServers' check.
func TestBanners(t *testing.T) {
	silent := netip.AddrPortFrom(serverBase.Prev(), 80) // a lab listener: accepts and says nothing
	l := lab.Start(t, lab.Config{Open: []netip.AddrPort{silent}})
	servers := l.StartServers(t, serverBase)
	if len(servers) == 0 {
		t.Skip("no server installed: make deps installs them")
	}
	dir := t.TempDir()
	path := func(name string) string { return filepath.Join(dir, name) }
	start := time.Now()
	out := trawl(t, l, "-p", servicePorts, serverBase.Prev().String()+"-"+addrAfter(serverBase, 7).String(),
		"--banners", "--rate", "10000", "-oX", path("out.xml"), "-oG", path("out.gnmap"), "-oL", path("out.list"), "-oJ", path("out.json"))
	elapsed := time.Since(start)
	if out.code != 0 {
		t.Fatalf("exit %d: %s", out.code, out.stderr)
	}
	t.Logf("%d servers in %v; %s", len(servers), elapsed.Round(time.Millisecond), lastLine(out.stderr))

	got := map[netip.AddrPort]result.Result{}
	for _, r := range out.ndjson {
		ap := netip.AddrPortFrom(r.IP, r.Port)
		if _, dup := got[ap]; dup {
			t.Errorf("%v reported twice", ap)
		}
		got[ap] = r
	}
	if len(got) != len(servers)+1 {
		t.Errorf("%d open ports, want the %d servers and the silent listener", len(got), len(servers))
	}
	for _, s := range servers {
		t.Run(s.Kind, func(t *testing.T) {
			r, ok := got[s.Addr]
			switch {
			case !ok:
				t.Fatalf("%v not found open", s.Addr)
			case r.Service == nil:
				t.Fatalf("%v: no service", s.Addr)
			}
			sv := r.Service
			t.Logf("%v: %s (ssl %v) %q %q %q method %s", s.Addr, sv.Name, sv.TLS != nil, sv.Product, sv.Version, sv.ExtraInfo, sv.Method)
			if sv.Name != s.Name || sv.Product != s.Product || sv.Method != result.MethodProbed || sv.Conf != result.ConfMatch {
				t.Errorf("service %q product %q (%s, conf %d), want %q product %q, probed", sv.Name, sv.Product, sv.Method, sv.Conf, s.Name, s.Product)
			}
			if s.Version != "" && sv.Version != s.Version {
				t.Errorf("version %q, want %q", sv.Version, s.Version)
			}
			if len(sv.Banner) == 0 {
				t.Error("no banner")
			}
			if s.Name == "http" && (sv.HTTP == nil || sv.HTTP.Title != lab.ServerTitle || !strings.HasPrefix(sv.HTTP.Server, "nginx") || !strings.HasSuffix(sv.HTTP.Status, " 200 OK")) {
				t.Errorf("HTTP %+v, want 200 OK from nginx, titled %q", sv.HTTP, lab.ServerTitle)
			}
			if (sv.TLS != nil) != (s.Tunnel == "ssl") {
				t.Fatalf("TLS %+v, want it only inside TLS (tunnel %q)", sv.TLS, s.Tunnel)
			}
			if sv.TLS == nil {
				return
			}
			sum := sha256.Sum256(s.Cert.Raw)
			if sv.TLS.SHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("certificate fingerprint %s, want %x", sv.TLS.SHA256, sum)
			}
			if !strings.Contains(sv.TLS.Subject, "CN="+lab.ServerHost) || !containsAll(sv.TLS.SANs, lab.ServerHost, s.Addr.Addr().String()) {
				t.Errorf("certificate subject %q SANs %v, want %s and the server's address", sv.TLS.Subject, sv.TLS.SANs, lab.ServerHost)
			}
			if !sv.TLS.NotBefore.Equal(s.Cert.NotBefore) || !sv.TLS.NotAfter.Equal(s.Cert.NotAfter) || sv.TLS.Version == "" || sv.TLS.Cipher == "" {
				t.Errorf("TLS %+v: want the certificate's validity %v to %v, a version and a cipher", sv.TLS, s.Cert.NotBefore, s.Cert.NotAfter)
			}
		})
	}
	if r, ok := got[silent]; !ok || r.Service == nil || r.Service.Name != "http" || r.Service.Method != result.MethodTable || r.Service.Product != "" {
		t.Errorf("silent listener %v: %+v, want nmap-services' name http with method table", silent, r.Service)
	}

	// Every format carries the services, and reads back to what NDJSON says.
	for _, f := range []struct {
		format result.Format
		file   string
	}{{result.FormatXML, "out.xml"}, {result.FormatGrepable, "out.gnmap"}, {result.FormatList, "out.list"}, {result.FormatJSON, "out.json"}} {
		for _, r := range readOutput(t, f.format, path(f.file)) {
			if netip.AddrPortFrom(r.IP, r.Port) == silent {
				continue // nmap-services' name alone reads back as no service
			}
			want := got[netip.AddrPortFrom(r.IP, r.Port)].Service
			// masscan's list format has the name and the banner, grepable
			// nmap's whole version string: the product alone is in XML and JSON.
			hasProduct := f.format == result.FormatXML || f.format == result.FormatJSON
			switch {
			case r.Service == nil || want == nil:
				t.Errorf("%s: %v:%d service %v, NDJSON's %v", f.file, r.IP, r.Port, r.Service != nil, want != nil)
			case r.Service.Name != want.Name || hasProduct && r.Service.Product != want.Product:
				t.Errorf("%s: %v:%d service %q product %q, NDJSON's %q %q", f.file, r.IP, r.Port, r.Service.Name, r.Service.Product, want.Name, want.Product)
			}
		}
	}
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Error("xmllint missing: make deps installs libxml2-utils")
	} else if b, err := exec.Command("xmllint", "--noout", "--dtdvalid", "/usr/share/nmap/nmap.dtd", path("out.xml")).CombinedOutput(); err != nil {
		t.Errorf("-oX does not validate against nmap.dtd: %v\n%s", err, b)
	}
	if b, err := os.ReadFile(path("out.gnmap")); err == nil {
		t.Logf("-oG:\n%s", b)
	}
}

// addrAfter returns a + n.
func addrAfter(a netip.Addr, n int) netip.Addr {
	for range n {
		a = a.Next()
	}
	return a
}

// containsAll reports whether xs holds every one of want.
func containsAll(xs []string, want ...string) bool {
	for _, w := range want {
		found := false
		for _, x := range xs {
			found = found || x == w
		}
		if !found {
			return false
		}
	}
	return true
}
