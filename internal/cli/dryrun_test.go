package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trawlscan/trawl/pkg/scan"
)

// dryRunPlan runs trawl --dry-run with args in dir and decodes its plan.
// It fails t unless the run exits 0 with one JSON line on stdout and
// nothing on stderr.
func dryRunPlan(t *testing.T, args ...string) map[string]any {
	t.Helper()
	code, stdout, stderr := runMain(append([]string{"--dry-run"}, args...)...)
	if code != exitOK || stderr != "" || strings.Count(stdout, "\n") != 1 {
		t.Fatalf("trawl --dry-run %q: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
	}
	var p map[string]any
	if err := json.Unmarshal([]byte(stdout), &p); err != nil {
		t.Fatalf("trawl --dry-run %q printed %q: %v", args, stdout, err)
	}
	return p
}

// TestDryRun checks the plan's fields and that a dry run creates no
// output and no state file.
func TestDryRun(t *testing.T) {
	t.Chdir(t.TempDir())
	p := dryRunPlan(t, "-p", "1-1024", "--connect", "--seed", "18446744073709551615", "--shard", "2/4", "-oX", "out.xml", "198.18.0.0/24")
	want := map[string]any{
		"probes": 65536.0, "hosts": 256.0, "ports": "1-1024", "excluded": 0.0, "blocklisted": 0.0,
		"shard": "2/4", "seed": "18446744073709551615", "retries": 0.0,
		"send_path": "connect", "why": "asked for with --connect", "rate": nil, "seconds_at_rate": nil,
	}
	for k, v := range want {
		if p[k] != v {
			t.Errorf("%s = %#v, want %#v", k, p[k], v)
		}
	}
	for _, name := range []string{"out.xml", "paused.conf"} {
		if _, err := os.Stat(name); err == nil {
			t.Errorf("a dry run created %s", name)
		}
	}

	p = dryRunPlan(t, "-p", "80,443", "--connect", "--rate", "1k", "--retries", "2", "--exclude", "1.0.0.0/16", "1.0.0.0/8")
	if p["probes"] != float64(2*(1<<24-1<<16)) || p["excluded"] != float64(1<<16) || p["rate"] != 1000.0 ||
		p["seconds_at_rate"] != float64(2*(1<<24-1<<16))/1000 || p["retries"] != 2.0 {
		t.Errorf("paced connect plan %v", p)
	}

	// The send path on loopback: raw with CAP_NET_RAW (lo is not
	// Ethernet, so no frames), else connect. Either way unpaced.
	p = dryRunPlan(t, "-p", "1-1024", "127.0.0.1")
	switch {
	case p["send_path"] == "raw" && strings.Contains(p["why"].(string), "not Ethernet") && p["interface"] == "lo" && p["source_ip"] == "127.0.0.1":
	case p["send_path"] == "connect" && strings.Contains(p["why"].(string), "CAP_NET_RAW"):
	default:
		t.Errorf("loopback plan %v", p)
	}
	if p["rate"] != nil || p["seconds_at_rate"] != nil {
		t.Errorf("loopback plan is paced: %v", p)
	}
}

// TestBlocklistFlags checks --blocklist-file and --no-default-blocklist,
// and that a bad line in the file is bad input that names the file, the
// line and the token.
func TestBlocklistFlags(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "blocklist.conf")
	if err := os.WriteFile(good, []byte("# ZMap's format\n1.2.3.0/24  # one /24\n\n1.2.4.1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := dryRunPlan(t, "--connect", "-p", "80", "--blocklist-file", good, "1.0.0.0/8", "198.0.0.0/8")
	if p["blocklisted"] != float64(256+1+131072+256) || p["hosts"] != float64(2<<24-(256+1+131072+256)) {
		t.Errorf("with a blocklist file: %v", p)
	}
	p = dryRunPlan(t, "--connect", "-p", "80", "--blocklist-file", good, "--no-default-blocklist", "1.0.0.0/8", "198.0.0.0/8")
	if p["blocklisted"] != float64(256+1) {
		t.Errorf("with only the blocklist file: %v", p)
	}
	p = dryRunPlan(t, "--connect", "-p", "80", "--no-default-blocklist", "0.0.0.0/0")
	if p["blocklisted"] != 0.0 || p["hosts"] != float64(1<<32) {
		t.Errorf("without the default blocklist: %v", p)
	}

	bad := filepath.Join(dir, "bad.conf")
	if err := os.WriteFile(bad, []byte("10.0.0.0/8\n10.0.0.0/33 # typo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runMain("-p", "80", "--blocklist-file", bad, "1.0.0.0/8")
	if code != exitUsage || stdout != "" || strings.Count(stderr, "\n") != 1 ||
		!strings.Contains(stderr, "bad.conf:2") || !strings.Contains(stderr, `"10.0.0.0/33"`) {
		t.Errorf("bad blocklist file: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func TestSummaryBlocklisted(t *testing.T) {
	p := scan.Progress{Total: 10, Sent: 10, Replies: 10, Closed: 10}
	if s := summary(p, 0, time.Second, true); strings.Contains(s, "blocklist") {
		t.Errorf("summary without blocklisted addresses: %q", s)
	}
	if s := summary(p, 592708864, time.Second, true); !strings.HasSuffix(s, ", 592708864 addresses skipped by the blocklist") {
		t.Errorf("summary: %q", s)
	}
}
