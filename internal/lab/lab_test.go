package lab

import (
	"context"
	"errors"
	"math/rand/v2"
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

// TestTruth6 checks Truth on IPv6 prefixes, both those whose space fits
// in 64 bits and a /64, whose space does not: the pairs are distinct,
// sorted, inside the prefix and the ports, and the same for the same seed.
func TestTruth6(t *testing.T) {
	for _, tc := range []struct {
		prefix string
		lo, hi uint16
		count  int
	}{
		{"2001:db8::/120", 1, 1024, 500},
		{"2001:db8::ffff:ffff:ffff:ff00/120", 1, 65535, 300},
		{"2001:db8::/96", 80, 80, 100},
		{"2001:db8::/64", 1, 65535, 200},
		{"2001:db8::/64", 443, 443, 200},
		{"2001:db8::5/128", 1, 10, 5},
	} {
		prefix := netip.MustParsePrefix(tc.prefix)
		got := Truth(prefix, tc.lo, tc.hi, tc.count, 42)
		if len(got) != tc.count {
			t.Errorf("%s: len = %d, want %d", prefix, len(got), tc.count)
		}
		if !slices.IsSortedFunc(got, netip.AddrPort.Compare) {
			t.Errorf("%s: not sorted", prefix)
		}
		if len(slices.Compact(slices.Clone(got))) != len(got) {
			t.Errorf("%s: duplicates in %v", prefix, got)
		}
		for _, p := range got {
			if !p.Addr().Is6() || !prefix.Contains(p.Addr()) || p.Port() < tc.lo || p.Port() > tc.hi {
				t.Errorf("%s outside %s × %d-%d", p, prefix, tc.lo, tc.hi)
			}
		}
		if again := Truth(prefix, tc.lo, tc.hi, tc.count, 42); !slices.Equal(got, again) {
			t.Errorf("%s: same seed gave different pairs", prefix)
		}
		if other := Truth(prefix, tc.lo, tc.hi, tc.count, 43); slices.Equal(got, other) {
			t.Errorf("%s: seeds 42 and 43 gave the same pairs", prefix)
		}
	}
	// A /64 spreads its pairs over the whole interface identifier, so
	// the high half of it is not always zero.
	var high bool
	for _, p := range Truth(Space6, 1, 65535, 50, 7) {
		high = high || p.Addr().As16()[8] != 0
	}
	if !high {
		t.Errorf("Truth(%s) chose only addresses in its first 2^56", Space6)
	}
}

// TestTruth6Golden pins the IPv6 streams, below 2^64 pairs and above.
func TestTruth6Golden(t *testing.T) {
	for _, tc := range []struct {
		prefix string
		want   []string
	}{
		{"2001:db8::/120", []string{"[2001:db8::38]:49475", "[2001:db8::44]:303", "[2001:db8::70]:59860", "[2001:db8::bd]:44374"}},
		{"2001:db8::/64", []string{"[2001:db8::1be:45bf:73cc:1d36]:29865", "[2001:db8::3680:31f8:63d2:3861]:37804", "[2001:db8::663f:23ec:7c0c:5c39]:15048", "[2001:db8::ac26:4972:fd67:fd3d]:19550"}},
	} {
		var got []string
		for _, p := range Truth(netip.MustParsePrefix(tc.prefix), 1, 65535, 4, 1) {
			got = append(got, p.String())
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("Truth(%s, 1, 65535, 4, 1) = %q, want %q", tc.prefix, got, tc.want)
		}
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
	got = Truth(netip.MustParsePrefix("2001:db8::ffff:ffff:ffff:fffe/127"), 7, 8, 4, -5)
	want = nil
	for _, a := range []string{"2001:db8::ffff:ffff:ffff:fffe", "2001:db8::ffff:ffff:ffff:ffff"} {
		for port := uint16(7); port <= 8; port++ {
			want = append(want, netip.AddrPortFrom(netip.MustParseAddr(a), port))
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("IPv6: got %v, want every pair %v", got, want)
	}
}

func TestTruthPanics(t *testing.T) {
	for _, tc := range []struct {
		name   string
		prefix netip.Prefix
		lo, hi uint16
		count  int
	}{
		{"ipv6 shorter than /64", netip.MustParsePrefix("2001:db8::/63"), 1, 2, 1},
		{"ipv4-mapped", netip.MustParsePrefix("::ffff:198.18.0.0/120"), 1, 2, 1},
		{"ipv6 count too large", netip.MustParsePrefix("2001:db8::/127"), 1, 2, 5},
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

func TestUint128(t *testing.T) {
	top := uint128{1<<64 - 1, 1<<64 - 1}
	for _, tc := range []struct {
		name      string
		got, want uint128
	}{
		{"carry", uint128{0, 1<<64 - 1}.add64(1), uint128{1, 0}},
		{"borrow", uint128{1, 0}.sub64(1), uint128{0, 1<<64 - 1}},
		{"wrap up", top.add64(1), uint128{}},
		{"wrap down", uint128{}.sub64(1), top},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	if (uint128{1, 0}).cmp(uint128{0, 1<<64 - 1}) != 1 || (uint128{0, 5}).cmp(uint128{0, 6}) != -1 || top.cmp(top) != 0 {
		t.Errorf("cmp does not order by the high word, then the low")
	}
}

// TestBelow128 checks that draws stay below bounds of 2^64 and more, and
// reach both words' range.
func TestBelow128(t *testing.T) {
	src := rand.NewPCG(1, 2)
	for _, bound := range []uint128{{1, 0}, {1, 5}, {3, 0}, {0xffff, 1 << 63}, {1<<64 - 1, 1<<64 - 1}} {
		var highWords, topHalf int
		for range 1000 {
			u := below128(src, bound)
			if u.cmp(bound) >= 0 {
				t.Fatalf("below128(%v) = %v", bound, u)
			}
			if u.hi != 0 {
				highWords++
			}
			if u.lo >= 1<<63 {
				topHalf++
			}
		}
		if bound.hi > 1 && highWords == 0 || topHalf == 0 {
			t.Errorf("below128(%v): %d of 1000 draws had a high word, %d a low word of 2^63 or more", bound, highWords, topHalf)
		}
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
	c.Open = append(c.Open, netip.MustParseAddrPort("[2001:db8::5]:80"), netip.AddrPortFrom(netip.IPv6Unspecified(), 8080))
	c.Drop = []netip.Prefix{netip.MustParsePrefix("198.18.2.0/24"), netip.MustParsePrefix("2001:db8::100/120"), Space6}
	if err := c.validate(); err != nil {
		t.Errorf("validate with IPv6: %v", err)
	}
	if first, second := c.openFiles(); first != "*:8080\n198.18.0.9:22\n[2001:db8::5]:80\n[::]:8080\n" || second != "198.18.1.2:80\n*:8080\n" {
		t.Errorf("openFiles with IPv6 = %q, %q; want IPv6 only in the first", first, second)
	}
	for _, bad := range []Config{
		{LossPercent: -1},
		{LossPercent: 101},
		{Open: []netip.AddrPort{netip.MustParseAddrPort("[::1]:80")}},
		{Open: []netip.AddrPort{netip.MustParseAddrPort("[2001:db8:1::5]:80")}},
		{Open: []netip.AddrPort{netip.MustParseAddrPort("[::ffff:198.18.1.2]:80")}},
		{Open: []netip.AddrPort{netip.MustParseAddrPort("[2001:db8::5%eth0]:80")}},
		{Open: []netip.AddrPort{netip.MustParseAddrPort("[2001:db8::5]:0")}},
		{Open: []netip.AddrPort{netip.MustParseAddrPort("198.18.1.2:0")}},
		{Drop: []netip.Prefix{{}}},
		{Drop: []netip.Prefix{netip.MustParsePrefix("2001:db8::/32")}},
		{Drop: []netip.Prefix{netip.MustParsePrefix("2001:db8:1::/120")}},
		{Drop: []netip.Prefix{netip.MustParsePrefix("::ffff:198.18.0.0/120")}},
		{Second: netip.MustParsePrefix("198.19.0.0/24")},
		{Second: netip.MustParsePrefix("198.18.0.0/16")},
	} {
		err := bad.validate()
		if err == nil {
			t.Errorf("validate(%+v) = nil, want an error", bad)
			continue
		}
		for _, p := range bad.Open {
			if !strings.Contains(err.Error(), p.String()) || !strings.Contains(err.Error(), Space6.String()) {
				t.Errorf("validate(%+v) = %q, want it to name %s and %s", bad, err, p, Space6)
			}
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
	if code, _ := dial(t, l, "[2001:db8::1]:80"); code != 1 {
		t.Errorf("dial [2001:db8::1]:80: exit %d, want 1 (refused)", code)
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
				netip.MustParseAddrPort("[2001:db8::7]:80"),
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
			// The second link is IPv4 only: IPv6 stays on the first.
			{"[2001:db8::7]:80", 0},
			{"[2001:db8::8]:80", 1},
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
		{"bad IPv6 drop", []string{"--drop", "2001:db8::/129"}},
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
		{"up", "ok", "--drop", "2001:db8::/64; flush ruleset"},
		{"up", "ok", "--drop", "2001:db8::g/64"},
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
	for _, cidr := range []string{"198.18.1.0/24", "2001:db8::100/120"} {
		out, err := runScript(env, filepath.Join(root, "scripts", "lab.sh"), "truth", "x", cidr, "1-1024", "20", "7")
		if err != nil {
			t.Fatalf("truth %s: %v\n%s", cidr, err, out)
		}
		var want strings.Builder
		for _, p := range Truth(netip.MustParsePrefix(cidr), 1, 1024, 20, 7) {
			want.WriteString(p.String() + "\n")
		}
		if string(out) != want.String() {
			t.Errorf("lab.sh truth %s printed\n%s\nwant Truth's\n%s", cidr, out, want.String())
		}
	}
}
