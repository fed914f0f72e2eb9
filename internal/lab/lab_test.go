package lab

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestTruth(t *testing.T) {
	prefix := netip.MustParsePrefix("198.18.1.0/24")
	got := Truth(prefix, 1, 1024, 500, 42)
	if len(got) != 500 {
		t.Fatalf("len = %d, want 500", len(got))
	}
	if !slices.IsSortedFunc(got, netip.AddrPort.Compare) {
		t.Errorf("not sorted")
	}
	if len(slices.Compact(slices.Clone(got))) != len(got) {
		t.Errorf("duplicates in %v", got)
	}
	for _, p := range got {
		if !prefix.Contains(p.Addr()) || p.Port() < 1 || p.Port() > 1024 {
			t.Errorf("%s outside %s × 1-1024", p, prefix)
		}
	}
	if again := Truth(prefix, 1, 1024, 500, 42); !slices.Equal(got, again) {
		t.Errorf("same seed gave different pairs")
	}
	if other := Truth(prefix, 1, 1024, 500, 43); slices.Equal(got, other) {
		t.Errorf("seeds 42 and 43 gave the same pairs")
	}
}

// TestTruthGolden pins the stream, so that a ground-truth file written
// today names the same pairs tomorrow.
func TestTruthGolden(t *testing.T) {
	got := Truth(netip.MustParsePrefix("198.18.0.0/16"), 1, 65535, 4, 1)
	want := []string{"198.18.56.193:17440", "198.18.68.1:11789", "198.18.112.233:54612", "198.18.189.173:22559"}
	var gotText []string
	for _, p := range got {
		gotText = append(gotText, p.String())
	}
	if !slices.Equal(gotText, want) {
		t.Errorf("Truth(198.18.0.0/16, 1, 65535, 4, 1) = %q, want %q", gotText, want)
	}
}

func TestTruthWholeSpace(t *testing.T) {
	got := Truth(netip.MustParsePrefix("198.18.3.4/30"), 7, 9, 12, -5)
	var want []netip.AddrPort
	for _, a := range []string{"198.18.3.4", "198.18.3.5", "198.18.3.6", "198.18.3.7"} {
		for port := uint16(7); port <= 9; port++ {
			want = append(want, netip.AddrPortFrom(netip.MustParseAddr(a), port))
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want every pair %v", got, want)
	}
	if got := Truth(netip.MustParsePrefix("198.18.3.4/30"), 7, 9, 0, 1); len(got) != 0 {
		t.Errorf("count 0 gave %v", got)
	}
}

func TestTruthPanics(t *testing.T) {
	for _, tc := range []struct {
		name   string
		prefix netip.Prefix
		lo, hi uint16
		count  int
	}{
		{"ipv6", netip.MustParsePrefix("2001:db8::/64"), 1, 2, 1},
		{"invalid prefix", netip.Prefix{}, 1, 2, 1},
		{"port 0", netip.MustParsePrefix("198.18.0.0/24"), 0, 2, 1},
		{"lo above hi", netip.MustParsePrefix("198.18.0.0/24"), 3, 2, 1},
		{"negative count", netip.MustParsePrefix("198.18.0.0/24"), 1, 2, -1},
		{"count too large", netip.MustParsePrefix("198.18.0.0/31"), 1, 2, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("no panic")
				}
			}()
			Truth(tc.prefix, tc.lo, tc.hi, tc.count, 1)
		})
	}
}

func TestNewName(t *testing.T) {
	valid := regexp.MustCompile(`^[a-z0-9]{1,8}$`)
	seen := make(map[string]bool)
	for range 100 {
		n := newName()
		if !valid.MatchString(n) {
			t.Fatalf("name %q does not fit lab.sh's [a-z0-9]{1,8}", n)
		}
		if seen[n] {
			t.Fatalf("name %q repeated", n)
		}
		seen[n] = true
	}
}

func TestConfig(t *testing.T) {
	c := Config{Open: []netip.AddrPort{
		netip.MustParseAddrPort("198.18.1.2:80"),
		netip.AddrPortFrom(netip.IPv4Unspecified(), 8080),
	}}
	if err := c.validate(); err != nil {
		t.Errorf("validate: %v", err)
	}
	if first, second := c.openFiles(); first != "198.18.1.2:80\n*:8080\n" || second != "" {
		t.Errorf("openFiles = %q, %q; want %q, \"\"", first, second, "198.18.1.2:80\n*:8080\n")
	}
	c.Second = netip.MustParsePrefix("198.18.1.0/24")
	c.Open = append(c.Open, netip.MustParseAddrPort("198.18.0.9:22"))
	if err := c.validate(); err != nil {
		t.Errorf("validate with Second: %v", err)
	}
	if first, second := c.openFiles(); first != "*:8080\n198.18.0.9:22\n" || second != "198.18.1.2:80\n*:8080\n" {
		t.Errorf("openFiles with Second = %q, %q", first, second)
	}
	for _, bad := range []Config{
		{LossPercent: -1},
		{LossPercent: 101},
		{Open: []netip.AddrPort{netip.MustParseAddrPort("[::1]:80")}},
		{Open: []netip.AddrPort{netip.MustParseAddrPort("198.18.1.2:0")}},
		{Drop: []netip.Prefix{{}}},
		{Drop: []netip.Prefix{netip.MustParsePrefix("2001:db8::/32")}},
		{Second: netip.MustParsePrefix("198.19.0.0/24")},
		{Second: netip.MustParsePrefix("198.18.0.0/16")},
	} {
		if err := bad.validate(); err == nil {
			t.Errorf("validate(%+v) = nil, want an error", bad)
		}
	}
}

// dial tries a TCP handshake with addr from inside l's scan namespace and
// returns bash's exit status (0 connected, 1 refused, 124 timed out after
// two seconds) and how long it took.
func dial(t *testing.T, l *Lab, addr string) (int, time.Duration) {
	t.Helper()
	ap := netip.MustParseAddrPort(addr)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := l.Command(ctx, "timeout", "2", "bash", "-c",
		"exec 3<>/dev/tcp/"+ap.Addr().String()+"/"+strconv.Itoa(int(ap.Port())))
	start := time.Now()
	err := cmd.Run()
	elapsed := time.Since(start)
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, elapsed
	case errors.As(err, &exit):
		return exit.ExitCode(), elapsed
	default:
		t.Fatalf("dial %s: %v", addr, err)
		return -1, elapsed
	}
}

// leftover reports whether any of lab name's namespaces, interfaces, state
// or listener remain, naming the first found.
func leftover(t *testing.T, name string) string {
	t.Helper()
	out, err := exec.Command("ip", "netns", "list").CombinedOutput()
	if err != nil {
		t.Fatalf("ip netns list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		ns, _, _ := strings.Cut(line, " ")
		if ns == name+"-scan" || ns == name+"-tgt" || ns == name+"-tgt2" {
			return "namespace " + ns
		}
	}
	for _, ifname := range []string{"trl-" + name + "-s", "trl-" + name + "-t", "trl-" + name + "-s2", "trl-" + name + "-t2"} {
		if exec.Command("ip", "link", "show", ifname).Run() == nil {
			return "interface " + ifname
		}
	}
	if _, err := os.Stat("/run/trawl-lab/" + name); err == nil {
		return "state /run/trawl-lab/" + name
	}
	return ""
}

func TestLab(t *testing.T) {
	var (
		name        string
		listenerPID string
	)
	t.Run("up", func(t *testing.T) {
		l := Start(t, Config{
			Open: []netip.AddrPort{
				netip.MustParseAddrPort("198.18.1.2:80"),
				netip.MustParseAddrPort("198.18.1.3:443"),
				netip.MustParseAddrPort("198.18.0.0:80"),
				netip.MustParseAddrPort("198.18.1.255:80"),
				netip.AddrPortFrom(netip.IPv4Unspecified(), 8080),
			},
			Drop: []netip.Prefix{netip.MustParsePrefix("198.18.2.0/24")},
		})
		name = l.Name()
		pid, err := os.ReadFile(filepath.Join("/run/trawl-lab", name, "listen.pid"))
		if err != nil {
			t.Fatalf("read listener pid: %v", err)
		}
		listenerPID = strings.TrimSpace(string(pid))

		for _, tc := range []struct {
			addr string
			want int
		}{
			{"198.18.1.2:80", 0},
			{"198.18.1.3:443", 0},
			{"198.18.0.0:80", 0},
			{"198.18.1.255:80", 0},
			{"198.18.77.9:8080", 0},
			{"198.18.1.2:81", 1},
			{"198.18.1.4:80", 1},
			{"198.18.255.255:22", 1},
			{"198.18.2.5:80", 124},
			{"198.18.2.5:8080", 124},
		} {
			code, elapsed := dial(t, l, tc.addr)
			if code != tc.want {
				t.Errorf("dial %s: exit %d, want %d", tc.addr, code, tc.want)
			}
			if tc.want != 124 && elapsed > time.Second {
				t.Errorf("dial %s took %v, want an answer within a second", tc.addr, elapsed)
			}
		}

		out, err := exec.Command("ip", "netns", "exec", name+"-scan", "ip", "-o", "link", "show", l.ScanInterface()).CombinedOutput()
		if err != nil {
			t.Errorf("ScanInterface %q not in the scan namespace: %v\n%s", l.ScanInterface(), err, out)
		}
		out, err = exec.Command("ip", "netns", "exec", name+"-scan", "cat", "/proc/sys/net/ipv4/ip_local_port_range").CombinedOutput()
		if err != nil || strings.Join(strings.Fields(string(out)), " ") != "32768 60999" {
			t.Errorf("ip_local_port_range in the scan namespace = %q (%v), want 32768 60999", out, err)
		}
	})
	if name == "" {
		return
	}
	if what := leftover(t, name); what != "" {
		t.Errorf("after cleanup, %s remains", what)
	}
	if listenerPID != "" {
		// A zombie awaiting its reaper (pid 1) has exited all the same.
		if stat, err := os.ReadFile("/proc/" + listenerPID + "/stat"); err == nil && !strings.Contains(string(stat), ") Z ") {
			t.Errorf("after cleanup, listener pid %s still runs: %s", listenerPID, stat)
		}
	}
}

func TestLabZeroConfig(t *testing.T) {
	l := Start(t, Config{})
	if code, _ := dial(t, l, "198.18.0.1:80"); code != 1 {
		t.Errorf("dial 198.18.0.1:80: exit %d, want 1 (refused)", code)
	}
	if _, err := os.Stat(filepath.Join("/run/trawl-lab", l.Name(), "listen.pid")); err == nil {
		t.Errorf("a listener runs without open ports")
	}
}

// TestLabSecond builds a lab with a second link to 198.18.1.0/24 and
// checks that each side answers for its own addresses, from its own
// planted ports, and that everything is gone after cleanup.
func TestLabSecond(t *testing.T) {
	var name string
	t.Run("up", func(t *testing.T) {
		l := Start(t, Config{
			Second: netip.MustParsePrefix("198.18.1.0/24"),
			Open: []netip.AddrPort{
				netip.MustParseAddrPort("198.18.0.7:80"),
				netip.MustParseAddrPort("198.18.1.7:80"),
				netip.AddrPortFrom(netip.IPv4Unspecified(), 8080),
			},
		})
		name = l.Name()
		for _, tc := range []struct {
			addr string
			want int
		}{
			{"198.18.0.7:80", 0},
			{"198.18.1.7:80", 0},
			{"198.18.0.8:8080", 0},
			{"198.18.1.8:8080", 0},
			{"198.18.0.7:81", 1},
			{"198.18.1.8:80", 1},
		} {
			if code, _ := dial(t, l, tc.addr); code != tc.want {
				t.Errorf("dial %s: exit %d, want %d", tc.addr, code, tc.want)
			}
		}
		out, err := l.Command(context.Background(), "ip", "route", "get", "198.18.1.7").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "dev "+l.SecondInterface()) || !strings.Contains(string(out), "src "+SecondScanAddr.String()) {
			t.Errorf("route to 198.18.1.7 is not through %s from %v: %s (%v)", l.SecondInterface(), SecondScanAddr, out, err)
		}
	})
	if name == "" {
		return
	}
	if what := leftover(t, name); what != "" {
		t.Errorf("after cleanup, %s remains", what)
	}
}

func TestLabLoss(t *testing.T) {
	l := Start(t, Config{LossPercent: 5})
	out, err := exec.Command("ip", "netns", "exec", l.Name()+"-tgt", "nft", "list", "ruleset").CombinedOutput()
	if err != nil {
		t.Fatalf("nft list ruleset: %v\n%s", err, out)
	}
	if n := strings.Count(string(out), "numgen random mod 100 < 5 drop"); n != 2 {
		t.Errorf("ruleset has %d loss rules, want 2 (one each way):\n%s", n, out)
	}
}

// script runs lab.sh directly, for the cases Start never produces.
func script(t *testing.T, args ...string) ([]byte, error) {
	t.Helper()
	root := RepoRoot(t)
	env := append(os.Environ(), "LAB_LISTEN="+listenBinary(t, root))
	return runScript(env, filepath.Join(root, "scripts", "lab.sh"), args...)
}

func TestUpFailureLeavesNothing(t *testing.T) {
	RequireRoot(t)
	bad := filepath.Join(t.TempDir(), "open")
	if err := os.WriteFile(bad, []byte("198.18.1.2:80\nnot-a-pair\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"bad open file", []string{"--open", bad}},
		{"bad drop", []string{"--drop", "198.18.300.0/24"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := newName()
			t.Cleanup(func() { script(t, "down", name) })
			out, err := script(t, append([]string{"up", name}, tc.args...)...)
			if err == nil {
				t.Fatalf("up succeeded:\n%s", out)
			}
			if !strings.Contains(string(out), "tearing down") {
				t.Errorf("up failed before building anything, so the teardown went untested:\n%s", out)
			}
			if what := leftover(t, name); what != "" {
				t.Errorf("after a failed up, %s remains:\n%s", what, out)
			}
		})
	}
}

func TestUpRefusals(t *testing.T) {
	RequireRoot(t)
	for _, args := range [][]string{
		{"up", "Bad"},
		{"up", "toolongname"},
		{"up", "ok", "--loss", "101"},
		{"up", "ok", "--drop", "198.18.0.0/24; flush ruleset"},
		{"up", "ok", "--open", "/nonexistent"},
	} {
		if out, err := script(t, args...); err == nil {
			t.Errorf("lab.sh %q succeeded:\n%s", args, out)
		}
	}
	if what := leftover(t, "ok"); what != "" {
		t.Errorf("refused up left %s", what)
	}
}

func TestUpTwiceKeepsFirst(t *testing.T) {
	l := Start(t, Config{})
	out, err := script(t, "up", l.Name())
	if err == nil {
		t.Fatalf("second up succeeded:\n%s", out)
	}
	if !strings.Contains(string(out), "already up") {
		t.Errorf("second up: want 'already up' in\n%s", out)
	}
	if code, _ := dial(t, l, "198.18.0.1:80"); code != 1 {
		t.Errorf("after the refused second up, dial exit %d, want 1: the first lab was damaged", code)
	}
}

func TestDownIdempotent(t *testing.T) {
	RequireRoot(t)
	name := newName()
	for range 2 {
		if out, err := script(t, "down", name); err != nil {
			t.Errorf("down %s of a lab that is not up: %v\n%s", name, err, out)
		}
	}
}

// TestScriptTruth needs no root, so it builds into a directory of its own
// rather than the repository's bin/, which the user may not own.
func TestScriptTruth(t *testing.T) {
	root := RepoRoot(t)
	bin, err := build(root, t.TempDir())
	if errors.Is(err, errNoGo) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "LAB_LISTEN="+bin)
	out, err := runScript(env, filepath.Join(root, "scripts", "lab.sh"), "truth", "x", "198.18.1.0/24", "1-1024", "20", "7")
	if err != nil {
		t.Fatalf("truth: %v\n%s", err, out)
	}
	var want strings.Builder
	for _, p := range Truth(netip.MustParsePrefix("198.18.1.0/24"), 1, 1024, 20, 7) {
		want.WriteString(p.String() + "\n")
	}
	if string(out) != want.String() {
		t.Errorf("lab.sh truth printed\n%s\nwant Truth's\n%s", out, want.String())
	}
}
