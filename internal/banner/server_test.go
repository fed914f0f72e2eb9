package banner

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/netip"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The test servers listen on loopback only, and every test connection goes
// to one of them: the redirecting dialer refuses any address that is not
// loopback.

// server is a loopback TCP listener that the test started, serving each
// connection with handle on its own goroutine.
type server struct {
	addr     netip.AddrPort
	accepted atomic.Int64
	written  atomic.Int64  // bytes that handlers report writing
	done     chan struct{} // closed at cleanup: handlers return
}

// serve starts a server on network's loopback address. At cleanup it
// closes the listener and every connection and waits for the handlers.
func serve(t testing.TB, network string, handle func(s *server, c net.Conn)) *server {
	t.Helper()
	host := "127.0.0.1:0"
	if network == "tcp6" {
		host = "[::1]:0"
	}
	ln, err := net.Listen(network, host)
	if err != nil {
		t.Fatal(err)
	}
	s := &server{addr: netip.MustParseAddrPort(ln.Addr().String()), done: make(chan struct{})}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns = map[net.Conn]bool{}
	)
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.accepted.Add(1)
			mu.Lock()
			conns[c] = true
			mu.Unlock()
			wg.Go(func() {
				defer func() {
					mu.Lock()
					delete(conns, c)
					mu.Unlock()
					c.Close()
				}()
				handle(s, c)
			})
		}
	})
	t.Cleanup(func() {
		close(s.done)
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return s
}

// sleep waits d, or less if the server is shutting down, and reports
// whether it waited the whole d.
func (s *server) sleep(d time.Duration) bool {
	select {
	case <-s.done:
		return false
	case <-time.After(d):
		return true
	}
}

// dialer is a Config.Dial that sends every connection to one test server,
// whatever port Grab asked for, so that tests can play port 443 or 8080
// without binding it. It counts connections and the bytes that Grab reads
// from the sockets.
type dialer struct {
	t     testing.TB
	to    netip.AddrPort
	dials atomic.Int64
	read  atomic.Int64
}

func redirect(t testing.TB, to netip.AddrPort) *dialer {
	return &dialer{t: t, to: to}
}

func (d *dialer) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || !ap.Addr().IsLoopback() || !d.to.Addr().IsLoopback() {
		d.t.Errorf("test dialer asked for %s: tests only connect to loopback", addr)
		return nil, errors.New("test dialer: not loopback")
	}
	var nd net.Dialer
	c, err := nd.DialContext(ctx, network, d.to.String())
	if err != nil {
		return nil, err
	}
	d.dials.Add(1)
	return &countConn{Conn: c, n: &d.read}, nil
}

// countConn counts the bytes read from a connection.
type countConn struct {
	net.Conn
	n *atomic.Int64
}

func (c *countConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.n.Add(int64(n))
	return n, err
}

// The servers.

const sshGreeting = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"

// greet is an SSH server's first move: send the greeting and wait for the
// client, who never answers properly.
func greet(s *server, c net.Conn) {
	c.Write([]byte(sshGreeting))
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 512)
	if n, _ := c.Read(buf); n > 0 {
		c.Write([]byte("Invalid SSH identification string.\r\n"))
	}
}

// readRequest reads a client's request up to its empty line, at most
// 4 KiB, and returns it, or nil if the client sent none within 5 s.
func readRequest(c net.Conn) []byte {
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var req []byte
	buf := make([]byte, 512)
	for len(req) < 4096 && !bytes.Contains(req, []byte("\r\n\r\n")) {
		n, err := c.Read(buf)
		req = append(req, buf[:n]...)
		if err != nil {
			return nil
		}
	}
	return req
}

const httpBody = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n<TITLE>\n  Welcome to\tnginx &amp; friends!\n</TITLE></head><body>hi</body></html>\n"

// webServer answers a GET like nginx and remembers the requests it got.
type webServer struct {
	mu       sync.Mutex
	requests []string
	header   string // the header section, without the status line
}

func (w *webServer) handle(s *server, c net.Conn) {
	req := readRequest(c)
	if req == nil {
		return
	}
	w.mu.Lock()
	w.requests = append(w.requests, string(req))
	w.mu.Unlock()
	if !bytes.HasPrefix(req, []byte("GET ")) {
		fmt.Fprintf(c, "HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\nConnection: close\r\n\r\n")
		return
	}
	header := w.header
	if header == "" {
		header = "Server: nginx/1.22.1\r\nContent-Type: text/html\r\n"
	}
	fmt.Fprintf(c, "HTTP/1.1 200 OK\r\n%sContent-Length: %d\r\nConnection: close\r\n\r\n%s", header, len(httpBody), httpBody)
}

func (w *webServer) got() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.requests...)
}

// selfSigned returns a certificate for "trawl test" with DNS and IP SANs.
func selfSigned(t testing.TB) (tls.Certificate, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(42),
		Subject:      pkix.Name{CommonName: "trawl test", Organization: []string{"trawl"}},
		Issuer:       pkix.Name{CommonName: "trawl test", Organization: []string{"trawl"}},
		NotBefore:    time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		NotAfter:     time.Date(2035, 1, 2, 3, 4, 5, 0, time.UTC),
		DNSNames:     []string{"trawl.test", "www.trawl.test"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, leaf
}

// tlsServer wraps handle in a TLS session with cert, offering alpn.
func tlsServer(cert tls.Certificate, alpn []string, handle func(s *server, c net.Conn)) func(s *server, c net.Conn) {
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: alpn}
	return func(s *server, c net.Conn) {
		tc := tls.Server(c, cfg)
		tc.SetDeadline(time.Now().Add(5 * time.Second))
		if err := tc.Handshake(); err != nil {
			return
		}
		tc.SetDeadline(time.Time{})
		handle(s, tc)
	}
}

// fakeMatcher is a Matcher with a few nmap-like probes and match lines.
type fakeMatcher struct {
	calls atomic.Int64
}

var fakeProbes = []Probe{
	{Name: NullProbe},
	{Name: "GenericLines", Payload: []byte("\r\n\r\n")},
	{Name: GetProbe, Payload: []byte("GET / HTTP/1.0\r\n\r\n")},
	{Name: "HTTPOptions", Payload: []byte("OPTIONS / HTTP/1.0\r\n\r\n")},
	{Name: "RTSPRequest", Payload: []byte("OPTIONS / RTSP/1.0\r\n\r\n")},
	{Name: "Help", Payload: []byte("HELP\r\n")},
}

var fakeRules = []struct {
	probe string
	re    *regexp.Regexp
	id    Identity
}{
	{NullProbe, regexp.MustCompile(`^SSH-2\.0-OpenSSH_([\w.]+)`), Identity{
		Service: "ssh", Product: "OpenSSH", Version: "9.2p1", Info: "protocol 2.0",
		OSType: "Linux", CPE: []string{"cpe:/a:openbsd:openssh:9.2p1", "cpe:/o:linux:linux_kernel"}}},
	{NullProbe, regexp.MustCompile(`^SSH-`), Identity{Service: "ssh", Soft: true}},
	{GetProbe, regexp.MustCompile(`(?s)^HTTP/1\.[01] \d\d\d .*\r\nServer: nginx/([\d.]+)`), Identity{
		Service: "http", Product: "nginx", Version: "1.22.1", CPE: []string{"cpe:/a:igor_sysoev:nginx:1.22.1"}}},
	{"GenericLines", regexp.MustCompile(`^\x15\x03`), Identity{Service: "ssl"}},
}

func (m *fakeMatcher) Probes(port uint16, tls bool) []Probe { return fakeProbes }

func (m *fakeMatcher) Match(probe string, reply []byte) (Identity, bool) {
	m.calls.Add(1)
	for _, r := range fakeRules {
		if r.probe == probe && r.re.Match(reply) {
			return r.id, true
		}
	}
	return Identity{}, false
}

// alertPlain serves TLS with handle, and answers plain text as OpenSSL
// does: with a TLS alert (protocol_version), then a hang-up.
func alertPlain(cert tls.Certificate, handle func(s *server, c net.Conn)) func(s *server, c net.Conn) {
	serveTLS := tlsServer(cert, nil, handle)
	return func(s *server, c net.Conn) {
		first := make([]byte, 1)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.ReadFull(c, first); err != nil {
			return
		}
		if first[0] != 0x16 {
			c.Write([]byte{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46})
			return
		}
		serveTLS(s, &prefixConn{Conn: c, prefix: first})
	}
}

// prefixConn reads prefix, then the connection.
type prefixConn struct {
	net.Conn
	prefix []byte
}

func (c *prefixConn) Read(b []byte) (int, error) {
	if len(c.prefix) > 0 {
		n := copy(b, c.prefix)
		c.prefix = c.prefix[n:]
		return n, nil
	}
	return c.Conn.Read(b)
}
