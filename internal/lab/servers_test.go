//go:build linux

package lab

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// nmapRun is the part of nmap's XML output that TestServers reads.
type nmapRun struct {
	Hosts []struct {
		Address struct {
			Addr string `xml:"addr,attr"`
		} `xml:"address"`
		Ports []struct {
			Port  uint16 `xml:"portid,attr"`
			State struct {
				State string `xml:"state,attr"`
			} `xml:"state"`
			Service struct {
				Name      string `xml:"name,attr"`
				Product   string `xml:"product,attr"`
				Version   string `xml:"version,attr"`
				ExtraInfo string `xml:"extrainfo,attr"`
				Tunnel    string `xml:"tunnel,attr"`
				Method    string `xml:"method,attr"`
				Conf      string `xml:"conf,attr"`
			} `xml:"service"`
		} `xml:"ports>port"`
	} `xml:"host"`
}

// TestServers starts the lab's real servers and checks, from the scan
// namespace, that each answers as its kind does and that nmap -sV names
// each as Server says; then that cleanup leaves no process and no file.
func TestServers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real servers and runs nmap -sV")
	}
	var (
		name string
		pids []int
	)
	t.Run("up", func(t *testing.T) {
		l := Start(t, Config{})
		name = l.Name()
		start := time.Now()
		servers := l.StartServers(t, netip.MustParseAddr("198.18.40.1"))
		t.Logf("StartServers: %d servers in %v", len(servers), time.Since(start).Round(time.Millisecond))
		if len(servers) == 0 {
			t.Skip("no server installed: make deps installs them")
		}
		pids = targetPIDs(t, l)
		for i, s := range servers {
			if want := netip.MustParseAddr("198.18.40.1"); s.Addr.Addr() != addrPlus(want, slices.IndexFunc(serverKinds, func(k serverKind) bool { return k.kind == s.Kind })) {
				t.Errorf("server %d (%s) at %v, not at its kind's place", i, s.Kind, s.Addr)
			}
			t.Run(s.Kind, func(t *testing.T) { checkServer(t, l, s) })
		}
		checkNmap(t, l, servers)
	})
	if name == "" {
		return
	}
	if what := leftover(t, name); what != "" {
		t.Errorf("after cleanup, %s remains", what)
	}
	if anyAlive(pids) {
		t.Errorf("after cleanup, processes of %v still run", pids)
	}
	if dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "trawl-lab-"+name+"-servers-*")); len(dirs) > 0 {
		t.Errorf("after cleanup, %v remains", dirs)
	}
}

// addrPlus returns a + n.
func addrPlus(a netip.Addr, n int) netip.Addr {
	for range n {
		a = a.Next()
	}
	return a
}

// targetPIDs returns the processes running in l's target namespace.
func targetPIDs(t *testing.T, l *Lab) []int {
	t.Helper()
	out, err := exec.Command("ip", "netns", "pids", l.Name()+"-tgt").Output()
	if err != nil {
		t.Fatalf("ip netns pids: %v", err)
	}
	var pids []int
	for _, f := range strings.Fields(string(out)) {
		if p, err := strconv.Atoi(f); err == nil {
			pids = append(pids, p)
		}
	}
	return pids
}

// checkServer talks to s from the scan namespace as a client of its kind
// would, and checks the answer.
func checkServer(t *testing.T, l *Lab, s Server) {
	const timeout = 5 * time.Second
	l.InScan(t, func() error {
		conn, err := net.DialTimeout("tcp", s.Addr.String(), timeout)
		if err != nil {
			return err
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(timeout))
		r := bufio.NewReader(conn)
		line := func() string {
			l, err := r.ReadString('\n')
			if err != nil {
				t.Errorf("read from %v: %v (after %q)", s.Addr, err, l)
			}
			return strings.TrimRight(l, "\r\n")
		}
		switch s.Kind {
		case "ssh":
			// "9.2p1 Debian 2+deb12u10" is "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10".
			want := "SSH-2.0-OpenSSH_" + strings.Replace(s.Version, " Debian ", " Debian-", 1)
			if got := line(); got != want {
				t.Errorf("banner %q, want %q", got, want)
			}
		case "http":
			checkHTTP(t, conn, r, s)
		case "https":
			pool := x509.NewCertPool()
			pool.AddCert(s.Cert)
			tc := tls.Client(conn, &tls.Config{ServerName: ServerHost, RootCAs: pool, NextProtos: []string{"http/1.1"}})
			if err := tc.Handshake(); err != nil {
				t.Fatalf("TLS handshake with %v, verifying against Server.Cert: %v", s.Addr, err)
			}
			state := tc.ConnectionState()
			cert := state.PeerCertificates[0]
			if !cert.Equal(s.Cert) {
				t.Errorf("presented certificate %q is not Server.Cert", cert.Subject)
			}
			if err := cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature); err != nil || !bytes.Equal(cert.RawIssuer, cert.RawSubject) {
				t.Errorf("certificate not self-signed: issuer %q, subject %q, signature %v", cert.Issuer, cert.Subject, err)
			}
			if cert.Subject.CommonName != ServerHost || !slices.Equal(cert.DNSNames, []string{ServerHost}) ||
				len(cert.IPAddresses) != 1 || !cert.IPAddresses[0].Equal(net.IP(s.Addr.Addr().AsSlice())) {
				t.Errorf("certificate CN %q, DNS names %q, IPs %v; want %q, [%q], [%v]", cert.Subject.CommonName, cert.DNSNames, cert.IPAddresses, ServerHost, ServerHost, s.Addr.Addr())
			}
			if err := cert.VerifyHostname(s.Addr.Addr().String()); err != nil {
				t.Errorf("certificate does not name the address: %v", err)
			}
			t.Logf("TLS %s, %s, ALPN %q; certificate %q, DNS %q, IP %v, valid %s to %s",
				tls.VersionName(state.Version), tls.CipherSuiteName(state.CipherSuite), state.NegotiatedProtocol,
				cert.Subject, cert.DNSNames, cert.IPAddresses, cert.NotBefore.Format(time.DateOnly), cert.NotAfter.Format(time.DateOnly))
			checkHTTP(t, tc, bufio.NewReader(tc), s)
		case "redis":
			fmt.Fprintf(conn, "PING\r\n")
			if got := line(); got != "+PONG" {
				t.Errorf("PING: %q, want +PONG", got)
			}
		case "ftp":
			if got, want := line(), "220 (vsFTPd "+s.Version+")"; got != want {
				t.Errorf("banner %q, want %q", got, want)
			}
		case "smtp":
			got := line()
			if want := "220 " + ServerHost + " ESMTP Exim " + s.Version + " "; !strings.HasPrefix(got, want) {
				t.Errorf("banner %q, want it to start %q", got, want)
			}
			fmt.Fprintf(conn, "QUIT\r\n")
			if got := line(); !strings.HasPrefix(got, "221 ") {
				t.Errorf("QUIT: %q, want 221", got)
			}
		default:
			t.Errorf("no check for kind %q", s.Kind)
		}
		return nil
	})
}

// title matches an HTML title.
var title = regexp.MustCompile(`<title>([^<]*)</title>`)

// checkHTTP sends GET / on conn and checks nginx's answer.
func checkHTTP(t *testing.T, w io.Writer, r *bufio.Reader, s Server) {
	t.Helper()
	fmt.Fprintf(w, "GET / HTTP/1.0\r\nHost: %s\r\n\r\n", ServerHost)
	body, err := io.ReadAll(io.LimitReader(r, 64<<10))
	if err != nil {
		t.Errorf("GET / from %v: %v", s.Addr, err)
	}
	head, page, _ := strings.Cut(string(body), "\r\n\r\n")
	if !strings.HasPrefix(head, "HTTP/1.1 200 ") {
		t.Errorf("GET / from %v: %q, want 200", s.Addr, head)
	}
	if want := "\r\nServer: nginx/" + s.Version + "\r\n"; !strings.Contains(head+"\r\n", want) {
		t.Errorf("GET / from %v: header %q, want %q in it", s.Addr, head, strings.TrimSpace(want))
	}
	if m := title.FindStringSubmatch(page); m == nil || m[1] != ServerTitle {
		t.Errorf("GET / from %v: page %q, want title %q", s.Addr, page, ServerTitle)
	}
}

// checkNmap runs nmap -sV on the servers from the scan namespace, logs
// its lines, and checks that it names each as Server says.
func checkNmap(t *testing.T, l *Lab, servers []Server) {
	if _, err := exec.LookPath("nmap"); err != nil {
		t.Skipf("needs nmap: %v", err)
	}
	var ports, addrs []string
	for _, s := range servers {
		ports = append(ports, strconv.Itoa(int(s.Addr.Port())))
		addrs = append(addrs, s.Addr.Addr().String())
	}
	normal := filepath.Join(t.TempDir(), "nmap.txt")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	args := append([]string{"-sV", "-Pn", "-n", "-p", strings.Join(ports, ","), "-oN", normal, "-oX", "-"}, addrs...)
	start := time.Now()
	out, err := l.Command(ctx, "nmap", args...).Output()
	elapsed := time.Since(start)
	if err != nil {
		t.Fatalf("nmap %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	text, _ := os.ReadFile(normal)
	t.Logf("nmap %s (%v):\n%s", strings.Join(args, " "), elapsed.Round(time.Millisecond), text)
	var run nmapRun
	if err := xml.Unmarshal(out, &run); err != nil {
		t.Fatalf("nmap's XML: %v", err)
	}
	for _, s := range servers {
		found := false
		for _, h := range run.Hosts {
			if h.Address.Addr != s.Addr.Addr().String() {
				continue
			}
			for _, p := range h.Ports {
				if p.Port != s.Addr.Port() {
					continue
				}
				found = true
				got := p.Service
				t.Logf("%-5s %-21v %s: name=%q tunnel=%q product=%q version=%q extrainfo=%q method=%s conf=%s",
					s.Kind, s.Addr, p.State.State, got.Name, got.Tunnel, got.Product, got.Version, got.ExtraInfo, got.Method, got.Conf)
				if p.State.State != "open" || got.Name != s.Name || got.Tunnel != s.Tunnel {
					t.Errorf("nmap: %v %s %s/%s, want open %s/%s", s.Addr, p.State.State, got.Tunnel, got.Name, s.Tunnel, s.Name)
				}
				if got.Product != s.Product || got.Version != s.Version {
					t.Errorf("nmap: %v is %q version %q, want %q version %q", s.Addr, got.Product, got.Version, s.Product, s.Version)
				}
			}
		}
		if !found {
			t.Errorf("nmap reported nothing for %v (%s)", s.Addr, s.Kind)
		}
	}
}

// fatalTB is a testing.TB whose Fatal and Fatalf record the message and
// end the goroutine, as the real ones do, without failing the test; the
// rest, Cleanup among them, goes to the test it wraps.
type fatalTB struct {
	testing.TB
	fatal string
}

func (f *fatalTB) Helper() {}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (f *fatalTB) Fatal(args ...any) {
	f.fatal = fmt.Sprint(args...)
	runtime.Goexit()
}

// TestServersFail checks that StartServers fails the test, quoting the
// server's output, when a server exits instead of listening, and that
// the servers it started before still go away with the lab.
func TestServersFail(t *testing.T) {
	if _, err := lookPathSbin("nginx"); err != nil {
		t.Skipf("needs nginx: %v", err)
	}
	// An nginx that reports a version and then fails as a bad
	// configuration would.
	bin := t.TempDir()
	fake := "#!/bin/sh\nif [ \"$1\" = -v ]; then echo 'nginx version: nginx/0.0.1' >&2; exit 0; fi\necho 'fake nginx: bind() failed' >&2\nexit 1\n"
	if err := os.WriteFile(filepath.Join(bin, "nginx"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))

	var (
		name string
		pids []int
	)
	t.Run("up", func(t *testing.T) {
		l := Start(t, Config{})
		name = l.Name()
		f := &fatalTB{TB: t}
		done := make(chan struct{})
		go func() {
			defer close(done)
			l.StartServers(f, netip.MustParseAddr("198.18.41.1"))
		}()
		<-done
		if want := "fake nginx: bind() failed"; !strings.Contains(f.fatal, "http server") || !strings.Contains(f.fatal, want) {
			t.Errorf("StartServers failed with %q, want the http server's output %q in it", f.fatal, want)
		}
		t.Logf("StartServers failed with: %s", f.fatal)
		pids = targetPIDs(t, l)
	})
	if name == "" {
		return
	}
	if anyAlive(pids) {
		t.Errorf("after cleanup, processes of %v still run", pids)
	}
	if dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "trawl-lab-"+name+"-servers-*")); len(dirs) > 0 {
		t.Errorf("after cleanup, %v remains", dirs)
	}
}
