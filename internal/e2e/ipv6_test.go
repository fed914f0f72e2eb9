package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trawlscan/trawl/internal/lab"
	"github.com/trawlscan/trawl/pkg/result"
)

// The IPv6 side of the lab's ground truth: a /120 beside an IPv4 /24 of
// the same shape, so that one scan covers both families.
var (
	block4 = netip.MustParsePrefix("198.18.6.0/24")
	block6 = netip.MustParsePrefix("2001:db8::6:0/120")
)

// TestIPv6SendPaths scans the lab's IPv6 /120 alone and mixed with an
// IPv4 /24 × ports 1-1024, by every send path: frames to the gateway's MAC
// from the neighbour table, raw IPv4 and IPv6 sockets, and the portable
// x/net sockets. Each run finds every planted port of both families and
// nothing else, sends each probe exactly once, and writes IPv6 results as
// IPv6 addresses, [addr]:port on stdout. An nftables counter on the scan
// namespace's output hook tells frames (it sees none) from the sockets (it
// sees every probe).
func TestIPv6SendPaths(t *testing.T) {
	truth4 := lab.Truth(block4, 1, 1024, 150, 61)
	truth6 := lab.Truth(block6, 1, 1024, 150, 62)
	l := lab.Start(t, lab.Config{Open: append(append([]netip.AddrPort(nil), truth4...), truth6...)})
	run := func(args ...string) string {
		t.Helper()
		out, err := l.Command(context.Background(), "nft", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("nft %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	run("add table inet trawl6; add chain inet trawl6 out { type filter hook output priority 0; }; add rule inet trawl6 out meta nfproto ipv6 tcp flags syn counter")
	counted := 0
	syns6 := func() int { // IPv6 SYNs through the output hook since the last call
		t.Helper()
		m := regexp.MustCompile(`counter packets (\d+)`).FindStringSubmatch(run("list", "table", "inet", "trawl6"))
		if m == nil {
			t.Fatal("no counter in the scan namespace's nftables")
		}
		n, _ := strconv.Atoi(m[1])
		n, counted = n-counted, n
		return n
	}
	const probes6 = 256 * 1024
	for _, c := range []struct {
		name    string
		flags   []string
		targets []string
		truth   []netip.AddrPort
		frames  bool
	}{
		{"frames, IPv6", nil, []string{block6.String()}, truth6, true},
		{"frames, mixed", nil, []string{block6.String(), block4.String()}, append(append([]netip.AddrPort(nil), truth4...), truth6...), true},
		{"--send-ip, IPv6", []string{"--send-ip"}, []string{block6.String()}, truth6, false},
		{"--send-ip, mixed", []string{"--send-ip"}, []string{block4.String(), block6.String()}, append(append([]netip.AddrPort(nil), truth4...), truth6...), false},
		{"--send-portable, mixed", []string{"--send-portable"}, []string{block6.String(), block4.String()}, append(append([]netip.AddrPort(nil), truth4...), truth6...), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"-p", "1-1024", "--rate", "100000"}, c.flags...)
			out := trawl(t, l, append(args, c.targets...)...)
			if out.code != 0 {
				t.Fatalf("exit %d: %s", out.code, out.stderr)
			}
			requireRecall(t, out, c.truth, true)
			if n, want := sent(t, out.stderr), 1024*256*len(c.targets); n != want {
				t.Errorf("sent %d probes, want exactly %d", n, want)
			}
			for _, r := range out.ndjson {
				if block6.Contains(r.IP) != r.IP.Is6() || r.IP.Is4In6() {
					t.Errorf("result %v is not of its target's family", r.IP)
				}
			}
			for _, ap := range c.truth {
				if ap.Addr().Is6() && !strings.Contains(out.stdout, "["+ap.Addr().String()+"]:"+strconv.Itoa(int(ap.Port()))+"\n") {
					t.Errorf("stdout lacks [%v]:%d", ap.Addr(), ap.Port())
					break
				}
			}
			if n := syns6(); c.frames && n != 0 || !c.frames && n < probes6 {
				t.Errorf("the output hook saw %d IPv6 SYNs; want %s", n, map[bool]string{true: "0 (frames)", false: "all (raw socket)"}[c.frames])
			}
		})
	}
}

// TestIPv6Localhost scans ::1 and 127.0.0.1 × 1-1024 together with no
// --rate, as root and by connect(): each finds the planted port of each
// family, reports the rest closed, and ends as soon as all answered.
func TestIPv6Localhost(t *testing.T) {
	lab.RequireRoot(t)
	var open []netip.AddrPort
	for _, network := range []string{"tcp4", "tcp6"} {
		host := map[string]string{"tcp4": "127.0.0.1", "tcp6": "::1"}[network]
		var ln net.Listener
		var err error
		for port := 1024; port > 900 && ln == nil; port-- {
			ln, err = net.Listen(network, net.JoinHostPort(host, strconv.Itoa(port)))
		}
		if ln == nil {
			t.Skipf("cannot listen on %s ports 901-1024 (no IPv6 on lo?): %v", host, err)
		}
		defer ln.Close()
		open = append(open, netip.MustParseAddrPort(ln.Addr().String()))
	}
	for _, method := range []string{"--send-ip", "--connect"} {
		out := trawl(t, nil, "-p", "1-1024", "::1", "127.0.0.1", method)
		if out.code != 0 {
			t.Fatalf("%s: exit %d: %s", method, out.code, out.stderr)
		}
		found := map[netip.AddrPort]bool{}
		for _, r := range out.ndjson {
			found[netip.AddrPortFrom(r.IP, r.Port)] = true
		}
		for _, ap := range open {
			if !found[ap] {
				t.Errorf("%s: did not find %v open; got %v", method, ap, out.ndjson)
			}
		}
		if !strings.Contains(out.stderr, "2048 replies") || !strings.Contains(out.stderr, " 0 unanswered") {
			t.Errorf("%s: summary: %s", method, out.stderr)
		}
		if out.elapsed > 2*time.Second {
			t.Errorf("%s: loopback scan took %v; it should run unpaced", method, out.elapsed)
		}
	}
}

// TestIPv6UnprivilegedConnect runs a mixed scan as nobody: trawl falls
// back to connect() and finds the planted ports of both families.
func TestIPv6UnprivilegedConnect(t *testing.T) {
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("setpriv (util-linux) not installed")
	}
	p4, p6 := netip.MustParsePrefix("198.18.6.0/27"), netip.MustParsePrefix("2001:db8::6:0/123")
	truth := append(lab.Truth(p4, 1, 256, 40, 63), lab.Truth(p6, 1, 256, 40, 64)...)
	l := lab.Start(t, lab.Config{Open: truth})
	dir, err := os.MkdirTemp("/tmp", "trawl-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "trawl")
	data, err := os.ReadFile(binary(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	nd := filepath.Join(dir, "out.ndjson")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := l.Command(ctx, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
		"--bounding-set=-net_raw,-net_admin", bin, "-p", "1-256", p6.String(), p4.String(), "-oD", nd, "--timeout", "2s")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("unprivileged scan: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "falling back to a connect() scan") {
		t.Errorf("no fallback notice: %s", stderr.String())
	}
	rs := readNDJSON(t, nd)
	r, extra := recall(rs, truth)
	t.Logf("mixed connect() scan as nobody: recall %.4f, %d results: %s", r, len(rs), lastLine(stderr.String()))
	if r != 1 || len(extra) > 0 {
		t.Errorf("recall %.4f, extra %v", r, extra)
	}
}

// TestIPv6Unreachables has the lab's target answer IPv6 probes to some
// ports with ICMPv6 destination unreachables of each code the nft reject
// statement sends, and to the rest as a host does: with --show
// closed,filtered, each port comes out with the status and the reason of
// its answer, and nmap -6 -sS, the oracle, says the same of every port.
func TestIPv6Unreachables(t *testing.T) {
	l := lab.Start(t, lab.Config{Open: []netip.AddrPort{netip.MustParseAddrPort("[2001:db8::6:3]:9")}})
	l.NoICMPRateLimit(t)
	const targets, ports = "2001:db8::6:0/124", "9-13"
	kinds := []struct {
		port   uint16
		reject string
		reason result.Reason
	}{
		{10, "no-route", result.ReasonNoRoute},
		{11, "admin-prohibited", result.ReasonAdminProhibited},
		{12, "addr-unreachable", result.ReasonHostUnreach},
		{13, "port-unreachable", result.ReasonPortUnreach},
	}
	var rules []string
	for _, k := range kinds {
		rules = append(rules, fmt.Sprintf("ip6 daddr %s tcp dport %d reject with icmpv6 type %s", targets, k.port, k.reject))
	}
	l.Firewall(t, rules...)
	xmlPath := filepath.Join(t.TempDir(), "trawl.xml")
	out := trawl(t, l, "-p", ports, targets, "--show", "closed,filtered", "--rate", "50000", "--retries", "1", "--wait", "1s", "-oX", xmlPath)
	if out.code != 0 {
		t.Fatalf("exit %d: %s", out.code, out.stderr)
	}
	if len(out.ndjson) != 16*5 {
		t.Errorf("%d results, want one for each of %d probes", len(out.ndjson), 16*5)
	}
	for _, r := range out.ndjson {
		status, reason := result.StatusClosed, result.ReasonReset
		if r.Port == 9 && r.IP == netip.MustParseAddr("2001:db8::6:3") {
			status, reason = result.StatusOpen, result.ReasonSYNACK
		}
		for _, k := range kinds {
			if k.port == r.Port {
				status, reason = result.StatusFiltered, k.reason
			}
		}
		if r.Status != status || r.Reason != reason || !r.IP.Is6() {
			t.Errorf("%v port %d: %v (%v), want %v (%v)", r.IP, r.Port, r.Status, r.Reason, status, reason)
		}
	}

	if _, err := exec.LookPath("nmap"); err != nil {
		t.Skipf("needs nmap as the oracle: %v", err)
	}
	doc, err := os.ReadFile(xmlPath)
	if err != nil {
		t.Fatal(err)
	}
	got := readNmapXML(t, "trawl", doc)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	nmapOut, err := l.Command(ctx, "nmap", "-6", "-sS", "-n", "-Pn", "--reason", "--max-retries", "1", "-p", ports, "-oX", "-", targets).Output()
	if err != nil {
		t.Fatalf("nmap -6: %v", err)
	}
	oracle := readNmapXML(t, "nmap -6", nmapOut)
	if len(oracle) != len(got) {
		t.Errorf("nmap -6 lists %d ports, trawl %d", len(oracle), len(got))
	}
	for ap, n := range oracle {
		if g := got[ap]; g.state != n.state || g.reason != n.reason {
			t.Errorf("%v: trawl %s (%s), nmap -6 %s (%s)", ap, g.state, g.reason, n.state, n.reason)
		}
	}
}
