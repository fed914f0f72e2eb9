package e2e

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"net/netip"

	"github.com/trawlscan/trawl/internal/lab"
	"github.com/trawlscan/trawl/pkg/result"
)

// recall returns the share of truth in rs, and the results not in truth.
func recall(rs []result.Result, truth []netip.AddrPort) (float64, []netip.AddrPort) {
	want := map[netip.AddrPort]bool{}
	for _, ap := range truth {
		want[ap] = true
	}
	got := map[netip.AddrPort]bool{}
	var extra []netip.AddrPort
	for _, r := range rs {
		ap := netip.AddrPortFrom(r.IP, r.Port)
		if !want[ap] {
			extra = append(extra, ap)
		}
		got[ap] = true
	}
	found := 0
	for ap := range want {
		if got[ap] {
			found++
		}
	}
	return float64(found) / float64(len(want)), extra
}

// TestLossWithRetries drops 5% of packets each way: two retries must
// find ≥ 99.9% of the open ports, report nothing that is not open, and
// resend only what went unanswered.
func TestLossWithRetries(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the /22 loss scans in -short mode")
	}
	truth := lab.Truth(netip.MustParsePrefix("198.18.0.0/22"), 1, 1024, 2000, 5)
	l := lab.Start(t, lab.Config{Open: truth, LossPercent: 5})
	for _, retries := range []string{"0", "2"} {
		out := trawl(t, l, "-p", "1-1024", "198.18.0.0/22", "--rate", "100000", "--retries", retries, "--wait", "1s")
		if out.code != 0 {
			t.Fatalf("exit %d: %s", out.code, out.stderr)
		}
		r, extra := recall(out.ndjson, truth)
		n := sent(t, out.stderr)
		t.Logf("--retries %s: recall %.5f, %d probes sent for %d targets, %v: %s", retries, r, n, 1<<20, out.elapsed.Round(time.Millisecond), lastLine(out.stderr))
		if len(extra) > 0 {
			t.Errorf("--retries %s: %d results that are not open, e.g. %v", retries, len(extra), extra[0])
		}
		if retries == "2" {
			if r < 0.999 {
				t.Errorf("--retries 2 under 5%% loss each way: recall %.5f, want ≥ 0.999", r)
			}
			// One pass sends 2^20; each retry only the ~10% unanswered.
			if n > 1<<20*13/10 {
				t.Errorf("sent %d probes: retries must resend only unanswered probes", n)
			}
		} else if n != 1<<20 {
			t.Errorf("one try sent %d probes, want exactly %d", n, 1<<20)
		}
	}
}

// TestUnprivilegedConnect runs trawl without CAP_NET_RAW in the lab: it
// must say so, fall back to connect() and still find every open port of a
// /26 × 1-1024.
func TestUnprivilegedConnect(t *testing.T) {
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("setpriv (util-linux) not installed")
	}
	truth := lab.Truth(netip.MustParsePrefix("198.18.2.0/26"), 1, 1024, 400, 26)
	l := lab.Start(t, lab.Config{Open: truth})
	// A directory that nobody (uid 65534) can reach and write.
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
		"--bounding-set=-net_raw,-net_admin", bin, "-p", "1-1024", "198.18.2.0/26", "-oD", nd, "--timeout", "2s")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("unprivileged scan: %v\n%s", err, stderr.String())
	}
	elapsed := time.Since(start)
	if !strings.Contains(stderr.String(), "falling back to a connect() scan") || strings.Count(stderr.String(), "\n") != 2 {
		t.Errorf("want one fallback notice naming the cause, then the summary; got: %s", stderr.String())
	}
	out := scanOutput{ndjson: readNDJSON(t, nd)}
	r, extra := recall(out.ndjson, truth)
	t.Logf("connect() scan as nobody: recall %.4f, %d results in %v: %s", r, len(out.ndjson), elapsed.Round(time.Millisecond), lastLine(stderr.String()))
	if r != 1 || len(extra) > 0 {
		t.Errorf("recall %.4f, %d extra results", r, len(extra))
	}

	// --send-ip and --send-eth ask for raw packets: no fallback, exit 1.
	for _, flag := range []string{"--send-ip", "--send-eth"} {
		cmd := l.Command(ctx, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
			"--bounding-set=-net_raw,-net_admin", bin, "-p", "1-1024", "198.18.2.0/26", flag)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), "CAP_NET_RAW") || strings.Contains(string(out), "falling back") {
			t.Errorf("unprivileged %s: %v, output %q; want exit 1 for lack of CAP_NET_RAW, no fallback", flag, err, out)
		}
	}
}

// start runs trawl in l's scan namespace in dir without waiting for it.
func start(t *testing.T, l *lab.Lab, dir string, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := l.Command(context.Background(), binary(t), args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd, &stderr
}

// interruptAndResume stops a /22 scan with sig after a few seconds, then
// resumes it; the results of both parts together must be the full truth.
func interruptAndResume(t *testing.T, sig syscall.Signal) {
	truth := lab.Truth(netip.MustParsePrefix("198.18.0.0/22"), 1, 1024, 2000, 33)
	l := lab.Start(t, lab.Config{Open: truth})
	dir := t.TempDir()
	args := []string{"-p", "1-1024", "198.18.0.0/22", "--rate", "100000", "-oD", "out.ndjson", "-oJ", "out.json", "-oX", "out.xml", "-oL", "out.list", "-oG", "out.grep"}
	cmd, stderr := start(t, l, dir, args...)
	time.Sleep(3500 * time.Millisecond)
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	code := cmd.ProcessState.ExitCode()
	first := readNDJSON(t, filepath.Join(dir, "out.ndjson"))
	t.Logf("first part, %v: exit %d (%v), %d results\n%s", sig, code, err, len(first), stderr.String())
	if sig == syscall.SIGKILL {
		if code != -1 {
			t.Fatalf("exit %d after SIGKILL", code)
		}
	} else if code != 130 || !strings.Contains(stderr.String(), "trawl --resume paused.conf") {
		t.Fatalf("interrupted scan: exit %d, stderr %s", code, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "paused.conf")); err != nil {
		t.Fatalf("no state file after %v: %v", sig, err)
	}
	if len(first) == 0 || len(first) >= len(truth) {
		t.Fatalf("the first part found %d of %d; interrupt it part way", len(first), len(truth))
	}

	cmd, stderr = start(t, l, dir, "--resume", "paused.conf")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("resumed scan: %v\n%s", err, stderr.String())
	}
	all := readNDJSON(t, filepath.Join(dir, "out.ndjson"))
	t.Logf("resumed: %d results in all: %s", len(all), lastLine(stderr.String()))
	r, extra := recall(all, truth)
	if r != 1 || len(extra) > 0 {
		t.Errorf("first part + resumed part: recall %.4f, %d extra; want exactly the uninterrupted result", r, len(extra))
	}
	seen := map[netip.AddrPort]int{}
	for _, res := range all {
		seen[netip.AddrPortFrom(res.IP, res.Port)]++
	}
	dups := len(all) - len(seen)
	if dups > 0 {
		t.Errorf("%d results reported twice across the two parts", dups)
	}
	// The other outputs, continued in the same way, hold the same results,
	// once each.
	for name, f := range map[string]result.Format{"out.json": result.FormatJSON, "out.xml": result.FormatXML, "out.list": result.FormatList, "out.grep": result.FormatGrepable} {
		rs := readOutput(t, f, filepath.Join(dir, name))
		got := map[netip.AddrPort]bool{}
		for _, res := range rs {
			got[netip.AddrPortFrom(res.IP, res.Port)] = true
		}
		if len(rs) != len(seen) || len(got) != len(seen) {
			t.Errorf("%s: %d results, %d of them distinct; want the %d of out.ndjson, once each", name, len(rs), len(got), len(seen))
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "paused.conf")); !os.IsNotExist(err) {
		t.Errorf("state file left after the scan finished: %v", err)
	}
	// The continued JSON and XML files are whole documents again, even
	// after a kill -9 cut them anywhere.
	if out, err := exec.Command("python3", "-m", "json.tool", filepath.Join(dir, "out.json")).CombinedOutput(); err != nil {
		t.Errorf("resumed -oJ is not valid JSON: %v %s", err, out)
	}
	if _, err := exec.LookPath("xmllint"); err == nil {
		if out, err := exec.Command("xmllint", "--noout", "--dtdvalid", "/usr/share/nmap/nmap.dtd", filepath.Join(dir, "out.xml")).CombinedOutput(); err != nil {
			t.Errorf("resumed -oX does not validate: %v %s", err, out)
		}
	}
}

// readOutput reads every result in an output file of format f.
func readOutput(t testing.TB, f result.Format, path string) []result.Result {
	t.Helper()
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	d, err := result.NewReader(f, file)
	if err != nil {
		t.Fatal(err)
	}
	var rs []result.Result
	for {
		r, err := d.Next()
		if errors.Is(err, io.EOF) {
			return rs
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		rs = append(rs, r)
	}
}

func TestInterruptAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the /22 interrupt scan in -short mode")
	}
	interruptAndResume(t, syscall.SIGINT)
}

// TestKillNineAndResume: a kill -9 loses no result and at most a couple of
// seconds of probing; the periodic state file resumes the scan, which
// writes no result that the outputs already hold.
func TestKillNineAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the /22 kill -9 scan in -short mode")
	}
	interruptAndResume(t, syscall.SIGKILL)
}

// TestInterfaceVanishes deletes the scan interface mid-scan: trawl must
// exit 1 naming the cause, promptly, with its outputs flushed.
func TestInterfaceVanishes(t *testing.T) {
	l := lab.Start(t, lab.Config{Open: []netip.AddrPort{netip.MustParseAddrPort("198.18.0.1:80")}})
	dir := t.TempDir()
	cmd, stderr := start(t, l, dir, "-p", "80,1-1024", "198.18.0.0/16", "--rate", "20000", "-oJ", "out.json")
	time.Sleep(1500 * time.Millisecond)
	if out, err := l.Command(context.Background(), "ip", "link", "del", l.ScanInterface()).CombinedOutput(); err != nil {
		t.Fatalf("delete %s: %v %s", l.ScanInterface(), err, out)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("trawl still running 10s after its interface went away")
	}
	if code := cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(stderr.String(), l.ScanInterface()) {
		t.Errorf("exit %d, want 1 with a cause naming the interface; stderr: %s", code, stderr.String())
	}
	if out, err := exec.Command("python3", "-m", "json.tool", filepath.Join(dir, "out.json")).CombinedOutput(); err != nil {
		t.Errorf("-oJ output not flushed and closed: %v %s", err, out)
	}
}
