package scan

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trawlscan/trawl/pkg/result"
	"github.com/trawlscan/trawl/pkg/target"
)

// listen starts a loopback server that writes greeting (if any) to every
// connection and holds it open until the test ends; it returns its port.
func listen(t *testing.T, greeting string) uint16 {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			if greeting != "" {
				c.Write([]byte(greeting))
			}
		}
	}()
	return uint16(ln.Addr().(*net.TCPAddr).Port)
}

// listenHTTP starts a loopback web server that answers every request
// with server as its Server header and page as its body, and stops it
// when the test ends; it returns its port.
func listenHTTP(t *testing.T, server, page string) uint16 {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Server", server)
		io.WriteString(w, page)
	}))
	t.Cleanup(s.Close)
	return uint16(s.Listener.Addr().(*net.TCPAddr).Port)
}

// servicesConfig returns a connect() scan of 127.0.0.1 on ports with
// the service stage on.
func servicesConfig(t *testing.T, svc Services, ports ...uint16) Config {
	t.Helper()
	spec := ""
	for i, p := range ports {
		if i > 0 {
			spec += ","
		}
		spec += strconv.Itoa(int(p))
	}
	cfg := config(t, "127.0.0.1", spec)
	cfg.Method, cfg.Services = Connect, &svc
	return cfg
}

// TestServices checks the stage end to end over loopback: an SSH
// greeting is named from nmap's database (or the built-in set), a web
// server's reply to GET / gives the service's HTTP, a port that says
// nothing gets no service, every open result reaches out exactly once
// and never two calls at once, and Progress counts them all.
func TestServices(t *testing.T) {
	ssh := listen(t, "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n")
	web := listenHTTP(t, "nginx/1.22.1", "<html><head><title>Trawl &amp; friends</title></head></html>\n")
	silent := listen(t, "")
	cfg := servicesConfig(t, Services{Timeout: time.Second, ReadTimeout: 200 * time.Millisecond}, ssh, web, silent)
	var inside atomic.Int32
	got := map[uint16]result.Result{}
	p, err := Run(context.Background(), cfg, func(r result.Result) {
		if inside.Add(1) != 1 {
			t.Error("out called while another call runs")
		}
		time.Sleep(10 * time.Millisecond)
		if _, dup := got[r.Port]; dup {
			t.Errorf("port %d reported twice", r.Port)
		}
		got[r.Port] = r
		inside.Add(-1)
	})
	if err != nil {
		t.Fatal(err)
	}
	if s := got[ssh].Service; s == nil || s.Name != "ssh" || s.Product != "OpenSSH" || s.Method != result.MethodProbed || string(s.Banner) != "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n" {
		t.Errorf("ssh port: %+v", s)
	}
	// net/http answers Grab's HTTP/1.0 request in HTTP/1.0.
	want := result.HTTPInfo{Status: "HTTP/1.0 200 OK", Server: "nginx/1.22.1", Title: "Trawl & friends"}
	if s := got[web].Service; s == nil || s.Name != "http" {
		t.Errorf("web port: %+v, want http", s)
	} else if s.HTTP == nil || *s.HTTP != want {
		t.Errorf("web port: HTTP %+v, want %+v", s.HTTP, want)
	}
	if r, ok := got[silent]; !ok || r.Service != nil {
		t.Errorf("silent port: %v %+v, want it open with no service: nothing was learned, and nmap-services has no name for it", ok, r.Service)
	}
	if p.Services != 3 || p.ServicesNamed != 2 || p.Open != 3 {
		t.Errorf("progress: %d services, %d named, %d open; want 3, 2, 3", p.Services, p.ServicesNamed, p.Open)
	}
}

// TestServicesCancel stops a scan while a port that never speaks is
// being probed: Run returns at once with the context's error, and the
// open result still reaches out, with no service.
func TestServicesCancel(t *testing.T) {
	silent := listen(t, "")
	cfg := servicesConfig(t, Services{Timeout: time.Minute, ReadTimeout: 30 * time.Second}, silent)
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var got []result.Result
	probing := make(chan struct{})
	go func() {
		// The scan position is past the one probe, and its result is held.
		for s.Progress().Open == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		close(probing)
		time.Sleep(100 * time.Millisecond)
		cancel()
	}()
	start := time.Now()
	err = s.Run(ctx, func(r result.Result) { got = append(got, r) })
	<-probing
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run: %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Run took %v after cancel", d)
	}
	if len(got) != 1 || got[0].Port != silent || got[0].Service != nil {
		t.Errorf("results %+v, want the open port without a service", got)
	}
}

// TestServicesResume checks that Resume is no later than an open result
// whose port is still being probed, so that a scan stopped then and
// resumed probes it again.
func TestServicesResume(t *testing.T) {
	silent := listen(t, "")
	cfg := servicesConfig(t, Services{Timeout: 2 * time.Second, ReadTimeout: 2 * time.Second}, silent)
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p := s.Plan()
	i, ok := p.Space.Lookup(target.FromNetip(netip.MustParseAddr("127.0.0.1")), silent)
	if !ok {
		t.Fatal("probe not in the space")
	}
	pos := target.NewPermutation(p.Space.Len(), p.Seed).Pos(i)
	var during uint64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for s.Progress().Open == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond)
		during = s.Resume()
	}()
	if err := s.Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	<-done
	if during > pos {
		t.Errorf("Resume %d while port %d (position %d) was being probed", during, silent, pos)
	}
	if after := s.Resume(); after != p.End {
		t.Errorf("Resume %d after Run, want the end %d", after, p.End)
	}
}

// TestServicesProbesFile checks that a probe database that is missing or
// bad is a *ConfigError naming Services.Probes, that a good one is used
// and counted in the Plan, and that more connections than the file limit
// allows is refused.
func TestServicesProbesFile(t *testing.T) {
	port := listen(t, "HELLO trawl-test 1.5\r\n")
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	if err := os.WriteFile(good, []byte("Probe TCP NULL q||\nmatch trawltest m|^HELLO trawl-test ([\\d.]+)\\r\\n| p/Trawl Test/ v/$1/\nmatch other m|(?=x)|\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad")
	if err := os.WriteFile(bad, []byte("Probe TCP NULL q||\nmatch x m|unterminated\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		svc  Services
	}{
		{"missing", Services{Probes: filepath.Join(dir, "none")}},
		{"bad", Services{Probes: bad}},
		{"too many connections", Services{Concurrency: 1 << 30}},
	} {
		_, err := New(servicesConfig(t, c.svc, port))
		var ce *ConfigError
		if !errors.As(err, &ce) || (ce.Field != "Services.Probes" && ce.Field != "Services.Concurrency") {
			t.Errorf("%s: %v, want a *ConfigError for Services", c.name, err)
		}
	}
	s, err := New(servicesConfig(t, Services{Probes: good, Timeout: time.Second}, port))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if p := s.Plan(); p.ServiceProbes != good || p.ServiceMatches != 2 || p.ServiceSkipped != 1 || p.ServiceProbesMissing {
		t.Errorf("plan: %q, %d matches, %d skipped, missing %v; want %q, 2, 1, false", p.ServiceProbes, p.ServiceMatches, p.ServiceSkipped, p.ServiceProbesMissing, good)
	}
	var got *result.ServiceInfo
	if err := s.Run(context.Background(), func(r result.Result) { got = r.Service }); err != nil {
		t.Fatal(err)
	}
	if got == nil || got.Name != "trawltest" || got.Product != "Trawl Test" || got.Version != "1.5" {
		t.Errorf("service %+v, want trawltest Trawl Test 1.5", got)
	}
}
