package main

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trawlscan/trawl/internal/lab"
)

func TestParsePair(t *testing.T) {
	for _, tc := range []struct {
		in, want string // want "" means an error
	}{
		{"198.18.1.2:80", "198.18.1.2:80"},
		{"*:8080", "0.0.0.0:8080"},
		{"0.0.0.0:1", "0.0.0.0:1"},
		{"127.0.0.1:65535", "127.0.0.1:65535"},
		{"198.18.1.2:0", ""},
		{"198.18.1.2:65536", ""},
		{"198.18.1.2:-1", ""},
		{"198.18.1.2", ""},
		{"198.18.1.2:", ""},
		{":80", ""},
		{"*:", ""},
		{"[2001:db8::5]:80", "[2001:db8::5]:80"},
		{"[2001:DB8:0::5]:443", "[2001:db8::5]:443"},
		{"[::]:8080", "[::]:8080"},
		{"[::1]:80", "[::1]:80"},
		{"[2001:db8::5]:0", ""},
		{"[2001:db8::5]", ""},
		{"[2001:db8::5]80", ""},
		{"[2001:db8::5]:", ""},
		{"[2001:db8::g]:80", ""},
		{"[::ffff:198.18.1.2]:80", ""},
		{"[fe80::1%eth0]:80", ""},
		{"[198.18.1.2]:80", ""},
		{"[*]:80", ""},
		{"2001:db8::5:80", ""},
		{"::ffff:198.18.1.2:80", ""},
		{"198.18.1:80", ""},
		{"host:80", ""},
	} {
		got, err := parsePair(tc.in)
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("parsePair(%q) = %s, want an error", tc.in, got)
		case tc.want != "" && err != nil:
			t.Errorf("parsePair(%q): %v", tc.in, err)
		case tc.want != "" && got.String() != tc.want:
			t.Errorf("parsePair(%q) = %s, want %s", tc.in, got, tc.want)
		case err != nil && !strings.Contains(err.Error(), tc.in):
			t.Errorf("parsePair(%q) error %q does not name the input", tc.in, err)
		}
	}
}

func TestReadPairs(t *testing.T) {
	in := "# planted\n198.18.1.2:80\n\n  *:22  \n"
	got, eof, err := readPairs(bufio.NewReader(strings.NewReader(in)), false)
	if err != nil || !eof || len(got) != 2 {
		t.Errorf("file mode: %v, eof %v, err %v; want 2 pairs to EOF", got, eof, err)
	}
	r := bufio.NewReader(strings.NewReader(in + "more"))
	got, eof, err = readPairs(r, true)
	if err != nil || eof || len(got) != 1 {
		t.Errorf("stdin mode: %v, eof %v, err %v; want 1 pair before the blank line", got, eof, err)
	}
	if rest, _ := r.ReadString(0); rest != "  *:22  \nmore" {
		t.Errorf("after the blank line %q remains, want the rest of the input", rest)
	}
	got, eof, err = readPairs(bufio.NewReader(strings.NewReader("198.18.1.2:80")), true)
	if err != nil || !eof || len(got) != 1 {
		t.Errorf("no final newline: %v, eof %v, err %v", got, eof, err)
	}
	if _, _, err := readPairs(bufio.NewReader(strings.NewReader("198.18.1.2:80\nbad\n")), false); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("bad line 2: error %v, want one naming line 2", err)
	}
}

func TestNormalize(t *testing.T) {
	var in []netip.AddrPort
	for _, s := range []string{
		"198.18.1.3:80", "198.18.1.2:80", "198.18.1.2:80", "0.0.0.0:22", "198.18.1.2:22",
		"[2001:db8::1]:22", "[::]:22", "[2001:db8::1]:80", "[2001:db8::1]:80", "0.0.0.0:443", "[2001:db8::1]:443",
	} {
		in = append(in, netip.MustParseAddrPort(s))
	}
	var got []string
	for _, p := range normalize(in) {
		got = append(got, p.String())
	}
	// Each family's unspecified address covers that family only.
	want := []string{"0.0.0.0:22", "0.0.0.0:443", "198.18.1.2:80", "198.18.1.3:80", "[::]:22", "[2001:db8::1]:80", "[2001:db8::1]:443"}
	if !slices.Equal(got, want) {
		t.Errorf("normalize = %v, want %v", got, want)
	}
}

func TestParseGen(t *testing.T) {
	prefix, lo, hi, count, seed, err := parseGen("198.18.1.9/24", "1-1024", "10", "-3")
	if err != nil || prefix.String() != "198.18.1.0/24" || lo != 1 || hi != 1024 || count != 10 || seed != -3 {
		t.Errorf("parseGen = %s %d %d %d %d %v", prefix, lo, hi, count, seed, err)
	}
	if _, lo, hi, _, _, err := parseGen("198.18.1.0/24", "443", "1", "0"); err != nil || lo != 443 || hi != 443 {
		t.Errorf("single port: %d-%d %v", lo, hi, err)
	}
	prefix, _, _, count, _, err = parseGen("2001:db8::1:0/120", "1-1024", "1024", "5")
	if err != nil || prefix.String() != "2001:db8::1:0/120" || count != 1024 {
		t.Errorf("parseGen IPv6 = %s %d %v", prefix, count, err)
	}
	// A /64 × every port holds 2^64 × 65535 pairs; the count is bounded
	// by maxCount alone.
	if prefix, _, _, count, _, err := parseGen("2001:db8::/64", "1-65535", "16777216", "5"); err != nil || prefix != lab.Space6 || count != maxCount {
		t.Errorf("parseGen of all of Space6 = %s %d %v", prefix, count, err)
	}
	if _, _, _, _, _, err := parseGen("2001:db8::/64", "1-65535", "16777217", "5"); err == nil || !strings.Contains(err.Error(), "1208907372870555465154560 pairs") {
		t.Errorf("too many for a /64: error %v, want one naming 2^64 × 65535 pairs", err)
	}
	for _, args := range [][4]string{
		{"10.0.0.0/24", "80", "1", "1"},
		{"198.18.0.0/15", "80", "1", "1"},
		{"198.18.1.0", "80", "1", "1"},
		{"2001:db8:1::/120", "80", "1", "1"},
		{"2001:db8::/63", "80", "1", "1"},
		{"::ffff:198.18.1.0/120", "80", "1", "1"},
		{"2001:db8::/126", "1-2", "9", "1"},
		{"2001:db8::/64", "1-65535", "16777217", "1"},
		{"198.18.1.0/24", "0-10", "1", "1"},
		{"198.18.1.0/24", "10-9", "1", "1"},
		{"198.18.1.0/24", "1-65536", "1", "1"},
		{"198.18.1.0/24", "x", "1", "1"},
		{"198.18.1.0/30", "1-2", "9", "1"},
		{"198.18.1.0/24", "1", "-1", "1"},
		{"198.18.1.0/24", "1", "1", "seed"},
	} {
		if _, _, _, _, _, err := parseGen(args[0], args[1], args[2], args[3]); err == nil {
			t.Errorf("parseGen%q succeeded", args)
		}
	}
}

func TestRunGen(t *testing.T) {
	for _, cidr := range []string{"198.18.4.0/24", "2001:db8::400/120", "2001:db8::/64"} {
		var stdout, stderr bytes.Buffer
		if code := run(t.Context(), []string{"-gen", cidr, "1-100", "30", "9"}, nil, &stdout, &stderr); code != 0 {
			t.Fatalf("-gen %s: exit %d: %s", cidr, code, stderr.String())
		}
		var want strings.Builder
		for _, p := range lab.Truth(netip.MustParsePrefix(cidr), 1, 100, 30, 9) {
			want.WriteString(p.String() + "\n")
		}
		if stdout.String() != want.String() {
			t.Errorf("-gen %s printed\n%s\nwant\n%s", cidr, stdout.String(), want.String())
		}
		// What -gen prints, the listener reads back.
		pairs, _, err := readPairs(bufio.NewReader(&stdout), false)
		if err != nil || len(pairs) != 30 {
			t.Errorf("-gen %s output reads back as %d pairs, %v", cidr, len(pairs), err)
		}
	}
}

func TestRunUsage(t *testing.T) {
	for _, args := range [][]string{
		{"-gen", "198.18.4.0/24"},
		{"-gen", "10.0.0.0/8", "1", "1", "1"},
		{"-csum-off"},
		{"-csum-off", "an-interface-name-too-long"},
		{"stray"},
		{"-nosuchflag"},
		{"-f", filepath.Join(t.TempDir(), "missing")},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(t.Context(), args, nil, &stdout, &stderr); code != 2 {
			t.Errorf("run %q: exit %d, want 2; stderr %s", args, code, stderr.String())
		}
	}
}

// freePort returns a port of the loopback address host that was free a
// moment ago, for network "tcp4" or "tcp6".
func freePort(t *testing.T, network, host string) uint16 {
	t.Helper()
	l, err := net.Listen(network, host+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return uint16(l.Addr().(*net.TCPAddr).Port)
}

// TestServe plants a port on loopback from a pipe, checks that the kernel
// completes a handshake with it, and that closing the pipe ends serve.
func TestServe(t *testing.T) {
	testServe(t, netip.MustParseAddr("127.0.0.1"), freePort(t, "tcp4", "127.0.0.1"))
}

// TestServeIPv6 is TestServe on ::1, through an IPv6 socket.
func TestServeIPv6(t *testing.T) {
	if l, err := net.Listen("tcp6", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	} else {
		l.Close()
	}
	testServe(t, netip.IPv6Loopback(), freePort(t, "tcp6", "[::1]"))
}

// testServe plants addr:port from a pipe, checks that the kernel
// completes a handshake with it, and that closing the pipe ends serve.
func testServe(t *testing.T, addr netip.Addr, port uint16) {
	stdinR, stdinW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdinR.Close()
	defer stdinW.Close()
	stdoutR, stdoutW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdoutR.Close()

	done := make(chan error, 1)
	go func() {
		done <- serve(t.Context(), "", stdinR, stdoutW)
		stdoutW.Close()
	}()
	pair := netip.AddrPortFrom(addr, port).String()
	if _, err := stdinW.WriteString(pair + "\n\n"); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdoutR).ReadString('\n')
	if err != nil || line != "ready\n" {
		t.Fatalf("serve printed %q (%v), want ready", line, err)
	}
	conn, err := net.DialTimeout("tcp", pair, 2*time.Second)
	if err != nil {
		t.Errorf("dial planted port: %v", err)
	} else {
		conn.Close()
	}
	stdinW.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not return after stdin closed")
	}
}

// TestServeSignal checks that a pairs file plus cancellation (the signal
// path) works, and that a busy pair fails with its address named.
func TestServeSignal(t *testing.T) {
	port := freePort(t, "tcp4", "127.0.0.1")
	pair := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port).String()
	file := filepath.Join(t.TempDir(), "open")
	if err := os.WriteFile(file, []byte(pair+"\n"+pair+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	stdoutR, stdoutW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdoutR.Close()
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, file, nil, stdoutW)
		stdoutW.Close()
	}()
	if line, err := bufio.NewReader(stdoutR).ReadString('\n'); err != nil || line != "ready\n" {
		t.Fatalf("serve printed %q (%v), want ready", line, err)
	}

	var stderr bytes.Buffer
	if code := run(t.Context(), []string{"-f", file}, nil, new(bytes.Buffer), &stderr); code != 1 || !strings.Contains(stderr.String(), pair) {
		t.Errorf("second listener on %s: exit %d, stderr %q; want 1 naming the pair", pair, code, stderr.String())
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not return after cancellation")
	}
}

func FuzzParsePair(f *testing.F) {
	for _, s := range []string{"198.18.1.2:80", "*:8080", "0.0.0.0:1", "[::1]:80", "1.2.3.4:", ":", "*:65536", "1.2.3.4:080",
		"[2001:db8::5]:80", "[::]:1", "[fe80::1%eth0]:80", "[::ffff:1.2.3.4]:80", "[2001:db8::5]:080"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parsePair(s)
		if err != nil {
			return
		}
		a := p.Addr()
		if !(a.Is4() || a.Is6() && !a.Is4In6() && a.Zone() == "") || p.Port() == 0 {
			t.Fatalf("parsePair(%q) = %s, not an IPv4 or plain IPv6 address with a port", s, p)
		}
		again, err := parsePair(p.String())
		if err != nil || again != p {
			t.Fatalf("parsePair(%q) = %s, which reparses as %s, %v", s, p, again, err)
		}
	})
}

func FuzzParseGen(f *testing.F) {
	f.Add("198.18.1.0/24", "1-1024", "10", "1")
	f.Add("198.18.0.0/16", "80", "65536", "-9")
	f.Add("198.18.255.255/32", "65535-65535", "1", "0")
	f.Add("2001:db8::/120", "1-1024", "10", "1")
	f.Add("2001:db8::/64", "1-65535", "1000", "-9")
	f.Fuzz(func(t *testing.T, cidr, ports, count, seed string) {
		prefix, lo, hi, n, s, err := parseGen(cidr, ports, count, seed)
		if err != nil || n > 1000 {
			return
		}
		got := lab.Truth(prefix, lo, hi, n, s)
		if len(got) != n {
			t.Fatalf("Truth gave %d pairs, want %d", len(got), n)
		}
		for _, p := range got {
			if !prefix.Contains(p.Addr()) || p.Port() < lo || p.Port() > hi {
				t.Fatalf("%s outside %s × %d-%d", p, prefix, lo, hi)
			}
		}
	})
}
