package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/trawlscan/trawl/pkg/scan"
)

func runMain(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = Main(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestBadInput(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		token string // the error must name it
	}{
		{"bad address", []string{"-p", "80", "198.18.0.300"}, "198.18.0.300"},
		{"prefix over 32", []string{"-p", "80", "198.18.0.0/33"}, "198.18.0.0/33"},
		{"port 0", []string{"-p", "0", "198.18.0.1"}, "0"},
		{"port over 65535", []string{"-p", "1-65536", "198.18.0.1"}, "65536"},
		{"reversed port range", []string{"-p", "1024-1", "198.18.0.1"}, "1024-1"},
		{"reversed address range", []string{"-p", "80", "198.18.0.9-198.18.0.1"}, "198.18.0.9-198.18.0.1"},
		{"negative rate", []string{"-p", "80", "--rate", "-5", "198.18.0.1"}, "-5"},
		{"rate not a number", []string{"-p", "80", "--rate", "fast", "198.18.0.1"}, "fast"},
		{"infinite rate", []string{"-p", "80", "--rate", "inf", "198.18.0.1"}, `"inf"`},
		{"rate NaN", []string{"-p", "80", "--rate", "nan", "198.18.0.1"}, `"nan"`},
		{"zero rate", []string{"-p", "80", "--rate", "0", "198.18.0.1"}, `"0"`},
		{"negative zero rate", []string{"-p", "80", "--max-rate", "-0k", "198.18.0.1"}, `"-0k"`},
		{"rate infinite with its suffix", []string{"-p", "80", "--rate", "1e308k", "198.18.0.1"}, `"1e308k"`},
		{"malformed shard", []string{"-p", "80", "--shard", "3/2", "--seed", "1", "198.18.0.1"}, "3/2"},
		{"shard without seed", []string{"-p", "80", "--shard", "1/2", "198.18.0.1"}, "--seed"},
		{"bad seed", []string{"-p", "80", "--seed", "x1", "198.18.0.1"}, "x1"},
		{"unreadable target file", []string{"-p", "80", "-iL", "/nonexistent/targets.txt"}, "/nonexistent/targets.txt"},
		{"no targets", []string{"-p", "80"}, "no targets"},
		{"no ports", []string{"198.18.0.1"}, "-p"},
		{"unknown flag", []string{"-p", "80", "--bogus", "198.18.0.1"}, "--bogus"},
		{"negative retries", []string{"-p", "80", "--retries", "-1", "198.18.0.1"}, "-1"},
		{"bad wait", []string{"-p", "80", "--wait", "soon", "198.18.0.1"}, "soon"},
		{"bad exclude", []string{"-p", "80", "--exclude", "1.2.3", "198.18.0.1"}, "1.2.3"},
		{"everything excluded", []string{"-p", "80", "--exclude", "198.18.0.0/24", "198.18.0.1"}, "excluded"},
		{"everything blocklisted", []string{"-p", "80", "224.0.0.0/3"}, "--no-default-blocklist"},
		{"unreadable blocklist", []string{"-p", "80", "--blocklist-file", "/nonexistent/blocklist.conf", "198.18.0.1"}, "/nonexistent/blocklist.conf"},
		{"bad input in a dry run", []string{"--dry-run", "-p", "80", "198.18.0.300"}, "198.18.0.300"},
		{"bad show", []string{"-p", "80", "--show", "open|filtered", "198.18.0.1"}, "open|filtered"},
		{"bad source address", []string{"-p", "80", "--source-ip", "198.19.0.256", "198.18.0.1"}, "198.19.0.256"},
		{"source port too big", []string{"-p", "80", "--source-port", "70000", "198.18.0.1"}, "70000"},
		{"two send paths", []string{"-p", "80", "--send-eth", "--send-ip", "198.18.0.1"}, "--send-ip"},
		{"banner option without --banners", []string{"-p", "80", "--banner-concurrency", "5", "198.18.0.1"}, "--banners"},
		{"negative banner concurrency", []string{"-p", "80", "-sV", "--banner-concurrency", "-1", "198.18.0.1"}, "--banner-concurrency"},
		{"bad banner timeout", []string{"-p", "80", "--banners", "--banner-timeout", "soon", "198.18.0.1"}, "soon"},
		{"missing service probes", []string{"-p", "80", "--banners", "--service-probes", "/nonexistent/probes", "198.18.0.1"}, "/nonexistent/probes"},
		{"portable and raw", []string{"-p", "80", "--send-portable", "--send-ip", "198.18.0.1"}, "--send-portable"},
		{"auto rate misspelt", []string{"-p", "80", "--rate", "autox", "198.18.0.1"}, "autox"},
		{"auto rate's most zero", []string{"-p", "80", "--rate", "auto:0", "198.18.0.1"}, "auto:0"},
		{"IPv6 prefix too wide", []string{"-p", "80", "2001:db8::/64"}, "2001:db8::/64"},
		{"mixed-family range", []string{"-p", "80", "198.18.0.1-2001:db8::1"}, "198.18.0.1-2001:db8::1"},
		{"zoned source address", []string{"-p", "80", "--source-ip", "fe80::1%eth0", "198.18.0.1"}, "fe80::1%eth0"},
		{"send path for connect", []string{"-p", "80", "--connect", "--send-ip", "198.18.0.1"}, "--send-ip"},
		{"unwritable output", []string{"-p", "80", "-oX", "/nonexistent/out.xml", "127.0.0.1"}, "/nonexistent/out.xml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runMain(tt.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d; stderr %q", code, exitUsage, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "trawl: ") {
				t.Errorf("stderr %q, want one line starting with \"trawl: \"", stderr)
			}
			if !strings.Contains(stderr, tt.token) {
				t.Errorf("stderr %q does not name %q", stderr, tt.token)
			}
		})
	}
}

func TestHelpAndVersion(t *testing.T) {
	code, stdout, _ := runMain("--help")
	if code != 0 || !strings.Contains(stdout, "Usage: trawl") || !strings.Contains(stdout, "--rate") || !strings.Contains(stdout, "Speed and accuracy:") {
		t.Errorf("--help: exit %d, output %q", code, stdout)
	}
	code, stdout, _ = runMain("--version")
	if code != 0 || stdout != "trawl dev\n" {
		t.Errorf("--version: exit %d, output %q", code, stdout)
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		in, want []string
	}{
		{[]string{"-oX", "a.xml", "-p", "80"}, []string{"--output-xml=a.xml", "-p", "80"}},
		{[]string{"-oLlist.txt", "-oJ=x.json"}, []string{"--output-list=list.txt", "--output-json=x.json"}},
		{[]string{"-iL", "-", "-sS", "-Pn", "-n"}, []string{"--input-list=-"}},
		{[]string{"-oD"}, []string{"--output-ndjson"}},
		{[]string{"-sV", "-p", "22"}, []string{"--banners", "-p", "22"}},
		{[]string{"--", "-oX", "x"}, []string{"--", "-oX", "x"}},
	}
	for _, tt := range tests {
		if got := normalize(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTargetsFromFileAndStdinSyntax(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "targets.txt")
	if err := os.WriteFile(good, []byte("# lab\n198.18.0.0/30, 198.18.1.1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o, _, err := parseArgs([]string{"-p", "80,443", "-iL", good, "--seed", "5"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := prepare(t, o, strings.NewReader(""))
	if p.Space.Len() != 5*2 || p.Seed != 5 || p.Loopback {
		t.Errorf("plan: %d probes, seed %d, loopback %v", p.Space.Len(), p.Seed, p.Loopback)
	}
	bad := filepath.Join(dir, "bad.txt")
	if err := os.WriteFile(bad, []byte("198.18.0.1\n198.18.0.256\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runMain("-p", "80", "-iL", bad)
	if code != exitUsage || !strings.Contains(stderr, "bad.txt:2") || !strings.Contains(stderr, "198.18.0.256") {
		t.Errorf("bad target file: exit %d, %q", code, stderr)
	}
}

// prepare plans the scan that o describes, sending nothing.
func prepare(t *testing.T, o *options, stdin io.Reader) scan.Plan {
	t.Helper()
	cfg, err := buildConfig(o, stdin)
	if err != nil {
		t.Fatal(err)
	}
	p, err := scan.Prepare(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRateSuffixes(t *testing.T) {
	for in, want := range map[string]float64{"100000": 1e5, "100k": 1e5, "1.5M": 1.5e6, "250": 250} {
		o, _, err := parseArgs([]string{"--rate", in}, nil)
		if err != nil || o.rate != want || !o.rateSet {
			t.Errorf("--rate %s = %v (%v), want %v", in, o.rate, err, want)
		}
	}
}

// TestRateAuto checks --rate auto and auto:MAX, and that --max-rate caps
// the controller or, without auto, is the rate.
func TestRateAuto(t *testing.T) {
	for _, c := range []struct {
		args []string
		auto bool
		rate float64
	}{
		{[]string{"--rate", "auto"}, true, 0},
		{[]string{"--rate", "auto:80k"}, true, 80000},
		{[]string{"--rate", "auto", "--max-rate", "5k"}, true, 5000},
		{[]string{"--rate", "auto:80k", "--max-rate", "100k"}, true, 80000},
		{[]string{"--rate", "auto", "--rate", "20k"}, false, 20000},
		{[]string{"--max-rate", "30k"}, false, 30000},
	} {
		o, _, err := parseArgs(append(c.args, "-p", "80", "198.18.0.1"), nil)
		if err != nil {
			t.Fatalf("%v: %v", c.args, err)
		}
		cfg, err := buildConfig(o, strings.NewReader(""))
		if err != nil || cfg.RateAuto != c.auto || cfg.Rate != c.rate {
			t.Errorf("%v: RateAuto %v, Rate %v, %v; want %v, %v", c.args, cfg.RateAuto, cfg.Rate, err, c.auto, c.rate)
		}
	}
}

func TestShardAuto(t *testing.T) {
	t.Setenv("JOB_COMPLETION_INDEX", "2")
	t.Setenv("TRAWL_SHARDS", "4")
	o, _, err := parseArgs([]string{"-p", "80", "--shard", "auto", "--seed", "9", "198.18.0.0/24"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := prepare(t, o, nil)
	if p.Shard.Index != 3 || p.Shard.Count != 4 || p.Start != 128 || p.End != 192 {
		t.Errorf("shard auto: %+v [%d, %d)", p.Shard, p.Start, p.End)
	}
	t.Setenv("JOB_COMPLETION_INDEX", "")
	if code, _, stderr := runMain("-p", "80", "--shard", "auto", "--seed", "9", "198.18.0.0/24"); code != exitUsage || !strings.Contains(stderr, "JOB_COMPLETION_INDEX") {
		t.Errorf("shard auto without index: exit %d %q", code, stderr)
	}
}

// FuzzArgs: any command line either parses into a plan or fails with one
// line of error; nothing panics. Nothing is run, so nothing is sent.
func FuzzArgs(f *testing.F) {
	for _, seed := range []string{
		"-p 1-1024 198.18.0.0/22 --rate 100k",
		"-p 80,443 -iL - --exclude 198.18.0.0/30 198.18.0.0/24",
		"-p 1-65535 --shard 2/3 --seed 7 198.18.0.1-198.18.0.9",
		"-oX out.xml -oLlist -p 0 1.2.3.4/33",
		"--wait 1.5 --retries 3 --show closed -p 22 127.0.0.1",
		"--shard auto --shards 4 --seed 1 -p 1 198.18.0.0/16",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args := strings.Fields(line)
		for _, a := range args {
			if strings.HasPrefix(a, "-o") || strings.HasPrefix(a, "--output") || strings.HasPrefix(a, "--resume") || strings.HasPrefix(a, "-iL") || strings.HasPrefix(a, "--input") || strings.HasPrefix(a, "--exclude") || strings.HasPrefix(a, "--blocklist") {
				return // these touch files
			}
		}
		o, _, err := parseArgs(args, nil)
		var cfg scan.Config
		if err == nil {
			cfg, err = buildConfig(o, strings.NewReader(""))
		}
		if err == nil {
			_, err = scan.Prepare(cfg)
			err = openError(err)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Fatalf("error for %q spans lines: %q", line, err)
		}
	})
}

func TestMerge(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.ndjson")
	b := filepath.Join(dir, "b.ndjson")
	line := func(ip string, port int) string {
		return `{"ip":"` + ip + `","port":` + strconv.Itoa(port) + `,"proto":"tcp","status":"open","ttl":64,"time":"2026-01-02T15:04:05Z"}` + "\n"
	}
	if err := os.WriteFile(a, []byte(line("198.18.0.1", 80)+line("198.18.0.2", 22)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, []byte(line("198.18.0.2", 22)+line("198.18.0.3", 443)), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "all.json")
	code, stdout, stderr := runMain("merge", "-oJ", out, a, b)
	if code != 0 || stdout != "198.18.0.1:80\n198.18.0.2:22\n198.18.0.3:443\n" {
		t.Fatalf("merge: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var v []map[string]any
	if err := json.Unmarshal(data, &v); err != nil || len(v) != 3 {
		t.Fatalf("merged -oJ: %v, %d objects: %s", err, len(v), data)
	}
	if code, _, stderr := runMain("merge", filepath.Join(dir, "missing.ndjson")); code != exitUsage || !strings.Contains(stderr, "missing.ndjson") {
		t.Errorf("merge of a missing file: exit %d, %q", code, stderr)
	}
}
