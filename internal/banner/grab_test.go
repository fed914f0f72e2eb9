package banner

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// fast is a Config whose timeouts keep tests short.
func fast(m Matcher, d *dialer) Config {
	c := Config{ConnectTimeout: 3 * time.Second, ReadTimeout: 400 * time.Millisecond, Total: 5 * time.Second}
	if m != nil {
		c.Matcher = m
	}
	if d != nil {
		c.Dial = d.Dial
	}
	return c
}

// as returns s's address with another port, which the redirecting dialer
// maps back to s.
func as(s *server, port uint16) netip.AddrPort {
	return netip.AddrPortFrom(s.addr.Addr(), port)
}

func TestGrabGreeting(t *testing.T) {
	t.Parallel()
	s := serve(t, "tcp", greet)
	for _, tc := range []struct {
		name    string
		matcher Matcher
		want    Info
	}{
		{"matcher", &fakeMatcher{}, Info{Name: "ssh", Product: "OpenSSH", Version: "9.2p1", ExtraInfo: "protocol 2.0",
			OSType: "Linux", CPE: []string{"cpe:/a:openbsd:openssh:9.2p1", "cpe:/o:linux:linux_kernel"},
			Method: "probed", Conf: 10, Banner: []byte(sshGreeting)}},
		{"banners only", nil, Info{Banner: []byte(sshGreeting)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := redirect(t, s.addr)
			cfg := fast(tc.matcher, d)
			cfg.ReadTimeout, cfg.Total = 8*time.Second, 20*time.Second
			if tc.matcher == nil {
				cfg.ReadTimeout = time.Second
			}
			start := time.Now()
			got := Grab(t.Context(), cfg, s.addr)
			elapsed := time.Since(start)
			assertInfo(t, got, tc.want)
			// The greeting is enough: no probe follows it.
			if n := d.dials.Load(); n != 1 {
				t.Errorf("%d connections, want 1", n)
			}
			// A hard match ends reading at once, rather than after a
			// pause of ReadTimeout/4 (2 s).
			if tc.matcher != nil && elapsed >= cfg.ReadTimeout/4 {
				t.Errorf("took %v: Grab read on after a hard match", elapsed)
			}
		})
	}
}

func TestGrabHTTP(t *testing.T) {
	t.Parallel()
	w := &webServer{}
	s := serve(t, "tcp", w.handle)
	wantHTTP := Info{Name: "http", Product: "nginx", Version: "1.22.1", CPE: []string{"cpe:/a:igor_sysoev:nginx:1.22.1"},
		Method: "probed", Conf: 10,
		HTTPStatus: "HTTP/1.1 200 OK", HTTPServer: "nginx/1.22.1", HTTPTitle: "Welcome to nginx & friends!"}
	for _, tc := range []struct {
		name    string
		port    uint16
		matcher Matcher
		host    string // the Host header expected
		dials   int64
		fast    bool // GET at once, no wait for a greeting
		want    Info
	}{
		{"port 80", 80, &fakeMatcher{}, "127.0.0.1", 1, true, wantHTTP},
		{"port 8080", 8080, &fakeMatcher{}, "127.0.0.1:8080", 1, true, wantHTTP},
		// Elsewhere Grab waits for a greeting, then sends its probes in
		// the Matcher's order on the same connection, GenericLines first:
		// nginx answers it with a 400, which makes the GET next.
		{"other port", 5555, &fakeMatcher{}, "127.0.0.1:5555", 2, false, wantHTTP},
		{"banners only", 5555, nil, "127.0.0.1:5555", 1, false, Info{
			HTTPStatus: "HTTP/1.1 200 OK", HTTPServer: "nginx/1.22.1", HTTPTitle: "Welcome to nginx & friends!"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := redirect(t, s.addr)
			cfg := fast(tc.matcher, d)
			if tc.fast {
				cfg.ReadTimeout, cfg.Total = 8*time.Second, 20*time.Second
			}
			before := len(w.got())
			start := time.Now()
			got := Grab(t.Context(), cfg, as(s, tc.port))
			elapsed := time.Since(start)
			if !strings.HasPrefix(string(got.Banner), "HTTP/1.1 ") {
				t.Errorf("Banner = %q, want the HTTP reply", got.Banner)
			}
			got.Banner = nil
			assertInfo(t, got, tc.want)
			if n := d.dials.Load(); n != tc.dials {
				t.Errorf("%d connections, want %d", n, tc.dials)
			}
			if tc.fast && elapsed >= cfg.ReadTimeout/2 {
				t.Errorf("took %v: Grab waited for a greeting on an HTTP port", elapsed)
			}
			if tc.host != "" {
				reqs := w.got()[before:]
				want := "GET / HTTP/1.0\r\nHost: " + tc.host + "\r\n\r\n"
				if len(reqs) == 0 || reqs[len(reqs)-1] != want {
					t.Errorf("requests %q, want the last to be %q", reqs, want)
				}
			}
		})
	}
}

// TestGrabHTTPUnknown checks that an HTTP server that the Matcher does not
// know is still named http, softly.
func TestGrabHTTPUnknown(t *testing.T) {
	t.Parallel()
	w := &webServer{header: "Server: Trawl-Test/0.1\r\n"}
	s := serve(t, "tcp", w.handle)
	got := Grab(t.Context(), fast(&fakeMatcher{}, redirect(t, s.addr)), as(s, 8000))
	got.Banner = nil
	assertInfo(t, got, Info{Name: "http", Method: "probed", Conf: 10, HTTPStatus: "HTTP/1.1 200 OK",
		HTTPServer: "Trawl-Test/0.1", HTTPTitle: "Welcome to nginx & friends!"})
}

func TestGrabTLS(t *testing.T) {
	t.Parallel()
	cert, leaf := selfSigned(t)
	sum := sha256.Sum256(leaf.Raw)
	wantTLS := func(version, alpn string) *TLSInfo {
		return &TLSInfo{Version: version, Cipher: "TLS_AES_128_GCM_SHA256", ALPN: alpn,
			Subject: "CN=trawl test,O=trawl", Issuer: "CN=trawl test,O=trawl",
			SANs:      []string{"trawl.test", "www.trawl.test", "127.0.0.1", "::1"},
			NotBefore: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), NotAfter: time.Date(2035, 1, 2, 3, 4, 5, 0, time.UTC),
			SHA256: hex.EncodeToString(sum[:])}
	}
	wantHTTPS := func(tlsInfo *TLSInfo) Info {
		return Info{Name: "http", Product: "nginx", Version: "1.22.1", CPE: []string{"cpe:/a:igor_sysoev:nginx:1.22.1"},
			Method: "probed", Conf: 10, TLS: tlsInfo, Tunnel: "ssl",
			HTTPStatus: "HTTP/1.1 200 OK", HTTPServer: "nginx/1.22.1", HTTPTitle: "Welcome to nginx & friends!"}
	}
	for _, tc := range []struct {
		name    string
		port    uint16
		alpn    []string // the server's
		matcher Matcher
		dials   int64
		want    Info
	}{
		{"443", 443, []string{"http/1.1"}, &fakeMatcher{}, 1, wantHTTPS(wantTLS("TLS 1.3", "http/1.1"))},
		// The server prefers h2, so the GET goes on a second session that
		// offers http/1.1 only.
		{"443 h2", 443, []string{"h2", "http/1.1"}, &fakeMatcher{}, 2, wantHTTPS(wantTLS("TLS 1.3", "h2"))},
		{"443 banners only", 443, nil, nil, 1, Info{TLS: wantTLS("TLS 1.3", ""),
			HTTPStatus: "HTTP/1.1 200 OK", HTTPServer: "nginx/1.22.1", HTTPTitle: "Welcome to nginx & friends!"}},
		// On a port with no hint, the server is silent, then hangs up on
		// the GET (after GenericLines, which it takes for half a record
		// header, with a Matcher): Grab then speaks TLS.
		{"fallback", 5555, nil, &fakeMatcher{}, 3, wantHTTPS(wantTLS("TLS 1.3", ""))},
		{"fallback banners only", 5555, nil, nil, 2, Info{TLS: wantTLS("TLS 1.3", ""),
			HTTPStatus: "HTTP/1.1 200 OK", HTTPServer: "nginx/1.22.1", HTTPTitle: "Welcome to nginx & friends!"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := &webServer{}
			s := serve(t, "tcp", tlsServer(cert, tc.alpn, w.handle))
			d := redirect(t, s.addr)
			cfg := fast(tc.matcher, d)
			start := time.Now()
			got := Grab(t.Context(), cfg, as(s, tc.port))
			elapsed := time.Since(start)
			if !strings.HasPrefix(string(got.Banner), "HTTP/1.1 200 OK\r\n") {
				t.Errorf("Banner = %q, want the HTTP reply from inside TLS", got.Banner)
			}
			got.Banner = nil
			assertInfo(t, got, tc.want)
			if n := d.dials.Load(); n != tc.dials {
				t.Errorf("%d connections, want %d", n, tc.dials)
			}
			if elapsed > cfg.Total {
				t.Errorf("took %v, over Total %v", elapsed, cfg.Total)
			}
			for _, r := range w.got() {
				if !strings.Contains(r, "\r\nHost: 127.0.0.1") {
					t.Errorf("request %q lacks the Host header", r)
				}
			}
		})
	}
}

// TestGrabTLSAlert checks that a TLS alert in answer to plain text, or
// the Matcher's "ssl", sends Grab to TLS at once.
func TestGrabTLSAlert(t *testing.T) {
	t.Parallel()
	cert, _ := selfSigned(t)
	for _, tc := range []struct {
		name    string
		matcher Matcher
	}{{"matcher", &fakeMatcher{}}, {"banners only", nil}} {
		t.Run(tc.name, func(t *testing.T) {
			w := &webServer{}
			s := serve(t, "tcp", alertPlain(cert, w.handle))
			d := redirect(t, s.addr)
			got := Grab(t.Context(), fast(tc.matcher, d), as(s, 5555))
			if got.TLS == nil || got.HTTPTitle != "Welcome to nginx & friends!" {
				t.Errorf("got %+v, want HTTP inside TLS", got)
			}
			if tc.matcher != nil && (got.Name != "http" || got.Tunnel != "ssl" || got.Product != "nginx") {
				t.Errorf("got %q/%q %q, want ssl/http nginx", got.Tunnel, got.Name, got.Product)
			}
			// The greeting's connection serves the first probe, which
			// draws the alert; the second connection is TLS.
			if n := d.dials.Load(); n != 2 {
				t.Errorf("%d connections, want 2", n)
			}
		})
	}
}

// TestGrabNoProbes checks that a negative MaxProbes leaves only the wait
// for a greeting: one connection, no payload.
func TestGrabNoProbes(t *testing.T) {
	t.Parallel()
	w := &webServer{}
	s := serve(t, "tcp", w.handle)
	d := redirect(t, s.addr)
	cfg := fast(&fakeMatcher{}, d)
	cfg.MaxProbes = -1
	for _, port := range []uint16{5555, 80} {
		got := Grab(t.Context(), cfg, as(s, port))
		if got.Name != "" || got.Banner != nil {
			t.Errorf("port %d: got %+v", port, got)
		}
	}
	if n := d.dials.Load(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
	if reqs := w.got(); len(reqs) != 0 {
		t.Errorf("requests sent: %q", reqs)
	}
}

// TestGrabTLSGreeting checks that on a TLS port where HTTP is not
// expected (IMAPS), Grab waits for a greeting inside TLS, and that the
// greeting is enough.
func TestGrabTLSGreeting(t *testing.T) {
	t.Parallel()
	cert, _ := selfSigned(t)
	s := serve(t, "tcp", tlsServer(cert, nil, greet))
	for _, tc := range []struct {
		name    string
		matcher Matcher
		want    string // Name
	}{{"matcher", &fakeMatcher{}, "ssh"}, {"banners only", nil, ""}} {
		d := redirect(t, s.addr)
		got := Grab(t.Context(), fast(tc.matcher, d), as(s, 993))
		if got.Name != tc.want || got.TLS == nil || string(got.Banner) != sshGreeting {
			t.Errorf("%s: got %+v, want %q inside TLS", tc.name, got, tc.want)
		}
		if tc.matcher != nil && got.Tunnel != "ssl" {
			t.Errorf("%s: Tunnel %q, want ssl", tc.name, got.Tunnel)
		}
		if n := d.dials.Load(); n != 1 {
			t.Errorf("%s: %d connections, want 1", tc.name, n)
		}
	}
}

func TestGrabRefused(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := netip.MustParseAddrPort(ln.Addr().String())
	ln.Close()
	for _, port := range []uint16{addr.Port(), 443, 80} {
		d := redirect(t, addr)
		got := Grab(t.Context(), fast(&fakeMatcher{}, d), netip.AddrPortFrom(addr.Addr(), port))
		if got.Err == nil || got.Name != "" || got.Banner != nil {
			t.Errorf("port %d: got %+v, want only Err", port, got)
		}
		if n := d.dials.Load(); n != 0 {
			t.Errorf("port %d: %d connections made", port, n)
		}
	}
}

func TestGrabCancel(t *testing.T) {
	t.Parallel()
	s := serve(t, "tcp", func(s *server, c net.Conn) { io.Copy(io.Discard, c) })
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	cfg := Config{Matcher: &fakeMatcher{}} // defaults: 2 s reads, 10 s total
	got := Grab(ctx, cfg, s.addr)
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("took %v after the context ended at 200ms", elapsed)
	}
	if got.Err != nil {
		t.Errorf("Err = %v, want nil: a connection was made", got.Err)
	}
	cancel()
	if got := Grab(ctx, cfg, s.addr); got.Err == nil {
		t.Errorf("Grab with an ended context: Err = nil")
	}
}

func TestGrabIPv6(t *testing.T) {
	t.Parallel()
	if ln, err := net.Listen("tcp6", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	} else {
		ln.Close()
	}
	w := &webServer{}
	s := serve(t, "tcp6", w.handle)
	got := Grab(t.Context(), fast(&fakeMatcher{}, redirect(t, s.addr)), as(s, 8080))
	if got.Name != "http" || got.HTTPServer != "nginx/1.22.1" {
		t.Errorf("got %+v", got)
	}
	if reqs := w.got(); len(reqs) != 1 || !strings.Contains(reqs[0], "\r\nHost: [::1]:8080\r\n") {
		t.Errorf("requests %q, want Host: [::1]:8080", reqs)
	}
}

// TestGrabHostile runs Grab against servers that misbehave, on a port
// with no hint and on 443 (TLS first), with and without a Matcher, and
// checks the bounds: time within Total, the banner within MaxBytes, bytes
// read from the sockets within MaxBytes per connection (plus, for TLS, a
// record), and no more Match calls per reply than the doubling rule
// allows.
func TestGrabHostile(t *testing.T) {
	t.Parallel()
	garbage := make([]byte, 3000)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range garbage {
		garbage[i] = byte(r.Uint32())
	}
	garbage[0] = 0xff // not a TLS record, not HTTP
	cases := []struct {
		name   string
		handle func(s *server, c net.Conn)
		check  func(t *testing.T, s *server, got Info, port uint16, matcher bool)
	}{
		{"silent", func(s *server, c net.Conn) { io.Copy(io.Discard, c) }, nil},
		{"trickle 1 B/s", func(s *server, c net.Conn) {
			for s.sleep(0) {
				if _, err := c.Write([]byte{'x'}); err != nil || !s.sleep(time.Second) {
					return
				}
			}
		}, nil},
		{"drip 1 B/5ms", func(s *server, c net.Conn) {
			for {
				if _, err := c.Write([]byte{'y'}); err != nil || !s.sleep(5*time.Millisecond) {
					return
				}
			}
		}, func(t *testing.T, s *server, got Info, port uint16, matcher bool) {
			// A reply ends ReadTimeout after its first byte: ~80 bytes.
			if len(got.Banner) > 200 {
				t.Errorf("kept %d bytes of a drip, want it cut at ReadTimeout", len(got.Banner))
			}
		}},
		{"1 GiB", func(s *server, c net.Conn) {
			chunk := make([]byte, 64<<10)
			for sent := 0; sent < 1<<30; sent += len(chunk) {
				n, err := c.Write(chunk)
				s.written.Add(int64(n))
				if err != nil {
					return
				}
			}
		}, func(t *testing.T, s *server, got Info, port uint16, matcher bool) {
			if len(got.Banner) != 1024 {
				t.Errorf("kept %d bytes, want 1024", len(got.Banner))
			}
			// The server stops when Grab closes: what it wrote is what the
			// kernels buffered, not 1 GiB.
			if w := s.written.Load(); w > 64<<20 {
				t.Errorf("the server wrote %d MiB", w>>20)
			}
		}},
		{"garbage", func(s *server, c net.Conn) {
			c.Write(garbage)
			io.Copy(io.Discard, c)
		}, func(t *testing.T, s *server, got Info, port uint16, matcher bool) {
			if port == 443 {
				return // TLS first, then a GET: garbage either way
			}
			if string(got.Banner) != string(garbage[:1024]) {
				t.Errorf("Banner is not the first 1024 bytes sent")
			}
		}},
		{"invalid UTF-8 HTTP", func(s *server, c net.Conn) {
			readRequest(c)
			c.Write([]byte("HTTP/1.1 200 \xff\xfeOK\x00\r\nServer: \xc3\x28bad\x01\r\n\r\n<title>\xe2\x82\x28 \x80</title>"))
		}, func(t *testing.T, s *server, got Info, port uint16, matcher bool) {
			if got.HTTPStatus == "" {
				t.Errorf("no HTTP status")
			}
		}},
		{"close at once", func(s *server, c net.Conn) {}, func(t *testing.T, s *server, got Info, port uint16, matcher bool) {
			if matcher && got.Name != "tcpwrapped" {
				t.Errorf("Name = %q, want tcpwrapped", got.Name)
			}
		}},
		{"reset at once", func(s *server, c net.Conn) {
			c.(*net.TCPConn).SetLinger(0)
		}, func(t *testing.T, s *server, got Info, port uint16, matcher bool) {
			if matcher && got.Name != "tcpwrapped" {
				t.Errorf("Name = %q, want tcpwrapped", got.Name)
			}
		}},
		{"reset mid-handshake", func(s *server, c net.Conn) {
			buf := make([]byte, 64)
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			if n, _ := io.ReadFull(c, buf); n > 0 && buf[0] == 0x16 {
				// Half a ServerHello, then a reset.
				c.Write([]byte{0x16, 0x03, 0x03, 0x00, 0x7a, 0x02, 0x00})
			}
			c.(*net.TCPConn).SetLinger(0)
		}, func(t *testing.T, s *server, got Info, port uint16, matcher bool) {
			if got.TLS != nil {
				t.Errorf("TLS = %+v after a reset handshake", got.TLS)
			}
		}},
	}
	for _, tc := range cases {
		for _, port := range []uint16{5555, 443} {
			for _, matcher := range []bool{true, false} {
				name := tc.name + "/" + map[uint16]string{5555: "plain", 443: "443"}[port] + map[bool]string{true: "/matcher", false: "/banners"}[matcher]
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					s := serve(t, "tcp", tc.handle)
					d := redirect(t, s.addr)
					var m *fakeMatcher
					cfg := Config{ConnectTimeout: time.Second, ReadTimeout: 400 * time.Millisecond, Total: 2 * time.Second,
						MaxBytes: 1024, Dial: d.Dial}
					if matcher {
						m = &fakeMatcher{}
						cfg.Matcher = m
					}
					start := time.Now()
					got := Grab(t.Context(), cfg, as(s, port))
					elapsed := time.Since(start)
					if slack := time.Second; elapsed > cfg.Total+slack {
						t.Errorf("took %v, over Total %v + %v", elapsed, cfg.Total, slack)
					}
					if len(got.Banner) > cfg.MaxBytes {
						t.Errorf("kept %d bytes, over MaxBytes %d", len(got.Banner), cfg.MaxBytes)
					}
					dials := d.dials.Load()
					t.Logf("%v, %d connections, %d bytes read, %d kept, name %q, server wrote %d", elapsed.Round(time.Millisecond),
						dials, d.read.Load(), len(got.Banner), got.Name, s.written.Load())
					perConn := int64(cfg.MaxBytes)
					if port == 443 || got.TLS != nil {
						perConn += 20 << 10 // a TLS record and crypto/tls's read-ahead
					}
					if read := d.read.Load(); read > dials*perConn {
						t.Errorf("read %d bytes over %d connections, over %d each", read, dials, perConn)
					}
					// TLS first, GET first, the greeting, the probes, the
					// TLS fallback or h2's second session, the TLS probes.
					if dials > int64(3+DefaultMaxProbes+1+DefaultMaxProbes) {
						t.Errorf("%d connections", dials)
					}
					if m != nil {
						// Per reply: 11 doublings from 1 to 1024 bytes, plus the final match.
						if calls := m.calls.Load(); calls > dials*12 {
							t.Errorf("%d Match calls over %d connections", calls, dials)
						}
					}
					for _, f := range []string{got.HTTPStatus, got.HTTPServer, got.HTTPTitle} {
						if !utf8.ValidString(f) || strings.ContainsAny(f, "\x00\r\n") {
							t.Errorf("unclean HTTP field %q", f)
						}
					}
					if got.Err != nil {
						t.Errorf("Err = %v, want nil: the server accepted", got.Err)
					}
					if tc.check != nil {
						tc.check(t, s, got, port, matcher)
					}
				})
			}
		}
	}
}

// TestGrabDefaultsSilent checks the default bounds against a server that
// never speaks: all of Total, and not a moment more.
func TestGrabDefaultsSilent(t *testing.T) {
	if testing.Short() {
		t.Skip("takes DefaultTotal (10 s)")
	}
	t.Parallel()
	s := serve(t, "tcp", func(s *server, c net.Conn) { io.Copy(io.Discard, c) })
	start := time.Now()
	got := Grab(t.Context(), Config{Matcher: &fakeMatcher{}}, s.addr)
	elapsed := time.Since(start)
	if elapsed > DefaultTotal+500*time.Millisecond || elapsed < DefaultTotal-time.Second {
		t.Errorf("took %v, want about DefaultTotal %v", elapsed, DefaultTotal)
	}
	if got.Name != "" || got.Banner != nil {
		t.Errorf("got %+v from a silent server", got)
	}
}

func TestProbeList(t *testing.T) {
	names := func(ps []Probe) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.Name)
		}
		return out
	}
	a := netip.MustParseAddrPort("127.0.0.1:5555")
	for _, tc := range []struct {
		name      string
		matcher   Matcher
		maxProbes int
		sent      int
		tunnel    bool
		getSent   bool
		want      []string
	}{
		{"matcher order", &fakeMatcher{}, 4, 0, false, false, []string{"GenericLines", GetProbe, "HTTPOptions", "RTSPRequest", "Help"}},
		{"GET pulled into reach", &fakeMatcher{}, 2, 0, false, false, []string{"GenericLines", GetProbe, "HTTPOptions", "RTSPRequest", "Help"}},
		{"GET pulled into reach, one left", &fakeMatcher{}, 4, 3, false, false, []string{GetProbe, "GenericLines", "HTTPOptions", "RTSPRequest", "Help"}},
		{"GET first in TLS", &fakeMatcher{}, 4, 0, true, false, []string{GetProbe, "GenericLines", "HTTPOptions", "RTSPRequest", "Help"}},
		{"GET already sent", &fakeMatcher{}, 4, 1, false, true, []string{"GenericLines", "HTTPOptions", "RTSPRequest", "Help"}},
		{"no matcher", nil, 4, 0, false, false, []string{GetProbe}},
		{"matcher without GET", noGet{}, 4, 0, false, false, []string{"A", "B", "C", GetProbe, "D"}},
		{"matcher without GET, few", noGet{}, 4, 0, false, false, []string{"A", "B", "C", GetProbe, "D"}},
		{"matcher without GET, two", noGet{}, 2, 0, false, false, []string{"A", GetProbe, "B", "C", "D"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := &grab{cfg: Config{Matcher: tc.matcher, MaxProbes: tc.maxProbes}, addr: a}
			g.probes[tunnelIndex(tc.tunnel)] = tc.sent
			if tc.tunnel {
				g.getSent[1] = tc.getSent
			} else {
				g.getSent[0] = tc.getSent
			}
			ps := g.probeList(tc.tunnel)
			if got := names(ps); !slices.Equal(got, tc.want) {
				t.Errorf("probes %q, want %q", got, tc.want)
			}
			for _, p := range ps {
				if p.Name == GetProbe && string(p.Payload) != "GET / HTTP/1.0\r\nHost: 127.0.0.1:5555\r\n\r\n" {
					t.Errorf("GET payload %q", p.Payload)
				}
			}
		})
	}
}

type noGet struct{}

func (noGet) Probes(uint16, bool) []Probe {
	return []Probe{{Name: NullProbe}, {Name: "A", Payload: []byte("a")}, {Name: "B", Payload: []byte("b")},
		{Name: "C", Payload: []byte("c")}, {Name: "D", Payload: []byte("d")}}
}
func (noGet) Match(string, []byte) (Identity, bool) { return Identity{}, false }

func TestGetRequest(t *testing.T) {
	for _, tc := range []struct {
		addr   string
		tunnel bool
		want   string
	}{
		{"192.0.2.1:80", false, "192.0.2.1"},
		{"192.0.2.1:80", true, "192.0.2.1:80"},
		{"192.0.2.1:443", true, "192.0.2.1"},
		{"192.0.2.1:443", false, "192.0.2.1:443"},
		{"192.0.2.1:8080", false, "192.0.2.1:8080"},
		{"[2001:db8::1]:80", false, "[2001:db8::1]"},
		{"[2001:db8::1]:8443", true, "[2001:db8::1]:8443"},
		{"[fe80::1%eth0]:8080", false, "[fe80::1]:8080"},
	} {
		g := &grab{addr: netip.MustParseAddrPort(tc.addr)}
		want := "GET / HTTP/1.0\r\nHost: " + tc.want + "\r\n\r\n"
		if got := string(g.getRequest(tc.tunnel)); got != want {
			t.Errorf("%s tunnel=%v: %q, want %q", tc.addr, tc.tunnel, got, want)
		}
	}
}

// assertInfo compares got with want, field by field.
func assertInfo(t *testing.T, got, want Info) {
	t.Helper()
	if got.Name != want.Name || got.Product != want.Product || got.Version != want.Version ||
		got.ExtraInfo != want.ExtraInfo || got.Hostname != want.Hostname || got.OSType != want.OSType ||
		got.DeviceType != want.DeviceType || !slices.Equal(got.CPE, want.CPE) ||
		got.Method != want.Method || got.Conf != want.Conf || got.Tunnel != want.Tunnel {
		t.Errorf("identity:\n got %+v\nwant %+v", got, want)
	}
	if string(got.Banner) != string(want.Banner) {
		t.Errorf("Banner = %q, want %q", got.Banner, want.Banner)
	}
	if got.HTTPStatus != want.HTTPStatus || got.HTTPServer != want.HTTPServer || got.HTTPTitle != want.HTTPTitle {
		t.Errorf("HTTP: got %q %q %q, want %q %q %q", got.HTTPStatus, got.HTTPServer, got.HTTPTitle,
			want.HTTPStatus, want.HTTPServer, want.HTTPTitle)
	}
	if (got.TLS == nil) != (want.TLS == nil) {
		t.Errorf("TLS = %+v, want %+v", got.TLS, want.TLS)
	} else if got.TLS != nil {
		g, w := *got.TLS, *want.TLS
		if g.Version != w.Version || g.Cipher != w.Cipher || g.ALPN != w.ALPN || g.Subject != w.Subject ||
			g.Issuer != w.Issuer || !slices.Equal(g.SANs, w.SANs) || !g.NotBefore.Equal(w.NotBefore) ||
			!g.NotAfter.Equal(w.NotAfter) || g.SHA256 != w.SHA256 {
			t.Errorf("TLS:\n got %+v\nwant %+v", g, w)
		}
	}
	if got.Err != want.Err {
		t.Errorf("Err = %v, want %v", got.Err, want.Err)
	}
}
