package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trawlscan/trawl/internal/lab"
	"github.com/trawlscan/trawl/pkg/result"
)

var trawlBin struct {
	once sync.Once
	path string
	err  error
}

// binary builds trawl once per test process.
func binary(t testing.TB) string {
	t.Helper()
	trawlBin.once.Do(func() {
		dir, err := os.MkdirTemp("", "trawl-e2e")
		if err != nil {
			trawlBin.err = err
			return
		}
		trawlBin.path = filepath.Join(dir, "trawl")
		cmd := exec.Command("go", "build", "-tags", buildTags, "-o", trawlBin.path, "./cmd/trawl")
		cmd.Dir = lab.RepoRoot(t)
		if out, err := cmd.CombinedOutput(); err != nil {
			trawlBin.err = fmt.Errorf("build trawl: %v\n%s", err, out)
		}
	})
	if trawlBin.err != nil {
		t.Fatal(trawlBin.err)
	}
	return trawlBin.path
}

// scanOutput is what one trawl run produced.
type scanOutput struct {
	stdout, stderr string
	code           int
	elapsed        time.Duration
	ndjson         []result.Result
}

// trawl runs the binary with args, inside l's scan namespace if l is not
// nil, with an NDJSON output added, and parses that output.
func trawl(t *testing.T, l *lab.Lab, args ...string) scanOutput {
	t.Helper()
	nd := filepath.Join(t.TempDir(), "out.ndjson")
	args = append(args, "-oD", nd)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var cmd *exec.Cmd
	if l != nil {
		cmd = l.Command(ctx, binary(t), args...)
	} else {
		cmd = exec.CommandContext(ctx, binary(t), args...)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	out := scanOutput{stdout: stdout.String(), stderr: stderr.String(), elapsed: time.Since(start)}
	if ee, ok := err.(*exec.ExitError); ok {
		out.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run trawl: %v", err)
	}
	if ctx.Err() != nil {
		t.Fatalf("trawl %v hung: killed after %v\nstderr: %s", args, out.elapsed, out.stderr)
	}
	if _, err := os.Stat(nd); err != nil {
		t.Fatalf("trawl %v wrote no NDJSON output: %v\nstderr: %s", args, err, out.stderr)
	}
	out.ndjson = readNDJSON(t, nd)
	return out
}

// readNDJSON reads the results in an NDJSON output file.
func readNDJSON(t *testing.T, path string) []result.Result {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rs []result.Result
	rd := result.NewNDJSONReader(f)
	for {
		r, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return rs
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		rs = append(rs, r)
	}
}

// requireRecall checks results against the ground truth: every planted
// port found, nothing else, nothing twice, each with a reply TTL if ttl (a
// connect() scan has none); and that stdout says the same.
func requireRecall(t *testing.T, out scanOutput, truth []netip.AddrPort, ttl bool) {
	t.Helper()
	want := map[netip.AddrPort]bool{}
	for _, ap := range truth {
		want[ap] = true
	}
	got := map[netip.AddrPort]bool{}
	for _, r := range out.ndjson {
		ap := netip.AddrPortFrom(r.IP, r.Port)
		if got[ap] {
			t.Errorf("duplicate result %v", ap)
		}
		got[ap] = true
		if !want[ap] {
			t.Errorf("extra result %v (%v), not planted", ap, r.Status)
		}
		if r.Status != result.StatusOpen || (r.TTL != 0) != ttl {
			t.Errorf("result %v: status %v ttl %d", ap, r.Status, r.TTL)
		}
	}
	missing := 0
	for ap := range want {
		if !got[ap] {
			missing++
			if missing <= 5 {
				t.Errorf("missed planted open port %v", ap)
			}
		}
	}
	lines := strings.Fields(out.stdout)
	if len(lines) != len(out.ndjson) {
		t.Errorf("stdout has %d IP:PORT lines, NDJSON %d results", len(lines), len(out.ndjson))
	}
	t.Logf("recall %d/%d (%.6f), %d results, %v: %s", len(want)-missing, len(want), float64(len(want)-missing)/float64(len(want)), len(got), out.elapsed.Round(time.Millisecond), lastLine(out.stderr))
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

var sentRE = regexp.MustCompile(`(\d+) probes sent`)

// sent reads the number of probes sent from the summary line.
func sent(t *testing.T, stderr string) int {
	t.Helper()
	m := sentRE.FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("no summary line in stderr: %s", stderr)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// TestSlash22 is the acceptance scan: /22 × ports 1-1024 (1,048,576
// probes) at 100,000 probes/s must find every planted port and nothing else.
func TestSlash22(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the 11 s /22 scan in -short mode")
	}
	truth := lab.Truth(netip.MustParsePrefix("198.18.0.0/22"), 1, 1024, 2000, 22)
	l := lab.Start(t, lab.Config{Open: truth})
	out := trawl(t, l, "-p", "1-1024", "198.18.0.0/22", "--rate", "100000")
	if out.code != 0 {
		t.Fatalf("exit %d: %s", out.code, out.stderr)
	}
	requireRecall(t, out, truth, true)
	if n := sent(t, out.stderr); n != 1<<20 {
		t.Errorf("sent %d probes, want exactly %d", n, 1<<20)
	}
}

// TestFilteredDoesNotHang scans a /24 whose every packet is dropped: no
// results, and the scan ends about --wait after its last probe.
func TestFilteredDoesNotHang(t *testing.T) {
	l := lab.Start(t, lab.Config{Drop: []netip.Prefix{netip.MustParsePrefix("198.18.9.0/24")}})
	out := trawl(t, l, "-p", "1-100", "198.18.9.0/24", "--rate", "50000", "--wait", "500ms")
	if out.code != 0 {
		t.Fatalf("exit %d: %s", out.code, out.stderr)
	}
	if len(out.ndjson) != 0 || strings.TrimSpace(out.stdout) != "" {
		t.Fatalf("results from a filtered block: %v %q", out.ndjson, out.stdout)
	}
	if out.elapsed > 5*time.Second {
		t.Errorf("filtered scan took %v; 25,600 probes at 50k/s plus a 500ms wait should take about 1s", out.elapsed)
	}
	if !strings.Contains(out.stderr, "25600 unanswered") {
		t.Errorf("summary should report 25600 unanswered probes: %s", out.stderr)
	}
}

// TestLocalhost scans 127.0.0.1 × 1-1024 with no --rate: it must find the
// open port, report the rest closed, and end as soon as all answered.
func TestLocalhost(t *testing.T) {
	lab.RequireRoot(t)
	var ln net.Listener
	var err error
	for port := 1024; port > 900; port-- {
		if ln, err = net.Listen("tcp4", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			break
		}
	}
	if ln == nil {
		t.Fatalf("no free port in 901-1024 to plant: %v", err)
	}
	defer ln.Close()
	open := netip.MustParseAddrPort(ln.Addr().String())
	out := trawl(t, nil, "-p", "1-1024", "127.0.0.1")
	if out.code != 0 {
		t.Fatalf("exit %d: %s", out.code, out.stderr)
	}
	found := false
	for _, r := range out.ndjson {
		found = found || netip.AddrPortFrom(r.IP, r.Port) == open
	}
	if !found {
		t.Errorf("did not find %v open; got %v", open, out.ndjson)
	}
	if !strings.Contains(out.stderr, "1024 replies") || !strings.Contains(out.stderr, " 0 unanswered") {
		t.Errorf("summary: %s", out.stderr)
	}
	if out.elapsed > time.Second {
		t.Errorf("localhost scan took %v; nmap -sS takes about 0.1s", out.elapsed)
	}
}

// TestShardsCoverExactlyOnce runs two shards with one seed, and then three
// started the Kubernetes way (--shard auto, the index from
// JOB_COMPLETION_INDEX): each time, together they find exactly the planted
// ports, and no probe is in two shards.
func TestShardsCoverExactlyOnce(t *testing.T) {
	truth := lab.Truth(netip.MustParsePrefix("198.18.4.0/24"), 1, 1024, 300, 4)
	l := lab.Start(t, lab.Config{Open: truth})
	t.Run("2 shards", func(t *testing.T) {
		shards(t, l, truth, [][]string{{"--shard", "1/2"}, {"--shard", "2/2"}}, nil)
	})
	t.Run("3 shards auto", func(t *testing.T) {
		var args [][]string
		var env [][]string
		for i := range 3 {
			args = append(args, []string{"--shard", "auto"})
			env = append(env, []string{fmt.Sprintf("JOB_COMPLETION_INDEX=%d", i), "TRAWL_SHARDS=3"})
		}
		shards(t, l, truth, args, env)
	})
}

// shards runs one trawl per shard, each with its shard arguments and
// environment, and checks that the results together are the truth.
func shards(t *testing.T, l *lab.Lab, truth []netip.AddrPort, shardArgs, env [][]string) {
	var all scanOutput
	total := 0
	for i, shard := range shardArgs {
		args := append([]string{"-p", "1-1024", "198.18.4.0/24", "--rate", "100000", "--seed", "7", "--show", "closed"}, shard...)
		if env != nil {
			t.Setenv("JOB_COMPLETION_INDEX", strings.TrimPrefix(env[i][0], "JOB_COMPLETION_INDEX="))
			t.Setenv("TRAWL_SHARDS", strings.TrimPrefix(env[i][1], "TRAWL_SHARDS="))
		}
		out := trawl(t, l, args...)
		if out.code != 0 {
			t.Fatalf("shard %s: exit %d: %s", shard, out.code, out.stderr)
		}
		total += sent(t, out.stderr)
		for _, r := range out.ndjson {
			if r.Status == result.StatusOpen {
				all.ndjson = append(all.ndjson, r)
				all.stdout += r.IP.String() + "\n"
			}
		}
		all.elapsed += out.elapsed
		all.stderr += out.stderr
	}
	if total != 256*1024 {
		t.Errorf("the shards sent %d probes together, want %d", total, 256*1024)
	}
	requireRecall(t, all, truth, true)
}

// TestSendPaths checks how the probes leave: as Ethernet frames to the
// lab's gateway, past the scan namespace's netfilter output hook, or
// through the kernel's IP layer, where an nftables counter sees every one.
// Frames are the default until a route sends part of the targets through
// another gateway, or the gateway's MAC is not in the neighbour table.
// Every run finds every planted port.
func TestSendPaths(t *testing.T) {
	truth := lab.Truth(netip.MustParsePrefix("198.18.2.0/24"), 1, 1024, 200, 2)
	l := lab.Start(t, lab.Config{Open: truth})
	run := func(name string, args ...string) string {
		t.Helper()
		out, err := l.Command(context.Background(), name, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
		return string(out)
	}
	run("nft", "add table ip trawltest; add chain ip trawltest out { type filter hook output priority 0; }; add rule ip trawltest out tcp flags syn counter")
	counted := 0
	syns := func() int { // since the last call
		t.Helper()
		m := regexp.MustCompile(`counter packets (\d+)`).FindStringSubmatch(run("nft", "list table ip trawltest"))
		if m == nil {
			t.Fatal("no counter in the scan namespace's nftables")
		}
		n, _ := strconv.Atoi(m[1])
		n, counted = n-counted, n
		return n
	}
	dev := l.ScanInterface()
	const probes = 1 << 18
	for _, c := range []struct {
		name   string
		setup  [][]string // ip commands in the scan namespace
		flags  []string
		frames bool
	}{
		{name: "default", frames: true},
		{name: "--send-eth", flags: []string{"--send-eth"}, frames: true},
		{name: "--send-ip", flags: []string{"--send-ip"}},
		{name: "a /26 through another gateway", setup: [][]string{
			{"neigh", "replace", "198.19.0.3", "lladdr", "02:74:72:00:00:02", "dev", dev, "nud", "permanent"},
			{"route", "add", "198.18.2.128/26", "via", "198.19.0.3", "dev", dev},
		}},
		{name: "gateway's MAC not known", setup: [][]string{
			{"route", "del", "198.18.2.128/26"},
			{"neigh", "del", "198.19.0.2", "dev", dev},
		}, flags: []string{"--retries", "1"}},
		{name: "gateway's MAC known again", frames: true},
	} {
		for _, cmd := range c.setup {
			run("ip", cmd...)
		}
		out := trawl(t, l, append([]string{"-p", "1-1024", "198.18.2.0/24", "--rate", "200000"}, c.flags...)...)
		if out.code != 0 {
			t.Fatalf("%s: exit %d: %s", c.name, out.code, out.stderr)
		}
		requireRecall(t, out, truth, true)
		n := syns()
		if c.frames && n != 0 || !c.frames && n < probes {
			t.Errorf("%s: the output hook saw %d SYNs; want %s", c.name, n, map[bool]string{true: "0 (frames)", false: "all (raw socket)"}[c.frames])
		}
	}
}

// TestSendEthNeedsEthernet asks for frames on loopback, which has no
// link-layer addresses: exit 1, saying why, before any output is opened.
func TestSendEthNeedsEthernet(t *testing.T) {
	nd := filepath.Join(t.TempDir(), "out.ndjson")
	out, err := exec.Command(binary(t), "-p", "1-10", "127.0.0.1", "--send-eth", "-oD", nd).CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), "--send-eth: interface lo is not Ethernet") {
		t.Fatalf("%v, output %q; want exit 1 and why", err, out)
	}
	if _, err := os.Stat(nd); err == nil {
		t.Error("the failed scan wrote an output file")
	}
}
