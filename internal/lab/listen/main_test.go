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
		{"[::1]:80", ""},
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
	for _, s := range []string{"198.18.1.3:80", "198.18.1.2:80", "198.18.1.2:80", "0.0.0.0:22", "198.18.1.2:22"} {
		in = append(in, netip.MustParseAddrPort(s))
	}
	var got []string
	for _, p := range normalize(in) {
		got = append(got, p.String())
	}
	want := []string{"0.0.0.0:22", "198.18.1.2:80", "198.18.1.3:80"}
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
	for _, args := range [][4]string{
		{"10.0.0.0/24", "80", "1", "1"},
		{"198.18.0.0/15", "80", "1", "1"},
		{"198.18.1.0", "80", "1", "1"},
		{"2001:db8::/64", "80", "1", "1"},
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
	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), []string{"-gen", "198.18.4.0/24", "1-100", "30", "9"}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var want strings.Builder
	for _, p := range lab.Truth(netip.MustParsePrefix("198.18.4.0/24"), 1, 100, 30, 9) {
		want.WriteString(p.String() + "\n")
	}
	if stdout.String() != want.String() {
		t.Errorf("-gen printed\n%s\nwant\n%s", stdout.String(), want.String())
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

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) uint16 {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return uint16(l.Addr().(*net.TCPAddr).Port)
}

// TestServe plants a port on loopback from a pipe, checks that the kernel
// completes a handshake with it, and that closing the pipe ends serve.
func TestServe(t *testing.T) {
	port := freePort(t)
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
	if _, err := stdinW.WriteString(netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port).String() + "\n\n"); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdoutR).ReadString('\n')
	if err != nil || line != "ready\n" {
		t.Fatalf("serve printed %q (%v), want ready", line, err)
	}
	conn, err := net.DialTimeout("tcp4", netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port).String(), 2*time.Second)
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
	port := freePort(t)
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
	for _, s := range []string{"198.18.1.2:80", "*:8080", "0.0.0.0:1", "[::1]:80", "1.2.3.4:", ":", "*:65536", "1.2.3.4:080"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parsePair(s)
		if err != nil {
			return
		}
		if !p.Addr().Is4() || p.Port() == 0 {
			t.Fatalf("parsePair(%q) = %s, not an IPv4 address with a port", s, p)
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
			if !lab.Space.Contains(p.Addr()) || p.Port() < lo || p.Port() > hi {
				t.Fatalf("%s outside %s × %d-%d", p, prefix, lo, hi)
			}
		}
	})
}
