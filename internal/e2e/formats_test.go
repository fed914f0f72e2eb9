package e2e

import (
	"bufio"
	"encoding/json"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/trawlscan/trawl/internal/lab"
)

// TestEveryFormatAtOnce writes all five formats from one lab scan, and
// checks each with a parser that trawl's authors did not write where one
// exists: python's json module, xmllint against nmap's DTD.
func TestEveryFormatAtOnce(t *testing.T) {
	truth := lab.Truth(netip.MustParsePrefix("198.18.3.0/24"), 1, 200, 150, 3)
	l := lab.Start(t, lab.Config{Open: truth})
	dir := t.TempDir()
	path := func(name string) string { return filepath.Join(dir, name) }
	out := trawl(t, l, "-p", "1-200", "198.18.3.0/24", "--rate", "100000",
		"-oL", path("out.list"), "-oJ", path("out.json"), "-oD", path("out.ndjson"), "-oX", path("out.xml"), "-oG", path("out.gnmap"), "--status-json")
	if out.code != 0 {
		t.Fatalf("exit %d: %s", out.code, out.stderr)
	}
	requireRecall(t, out, truth, true)
	want := map[string]bool{}
	for _, ap := range truth {
		want[ap.String()] = true
	}
	check := func(format string, got map[string]bool) {
		t.Helper()
		if len(got) != len(want) {
			t.Errorf("%s: %d results, want %d", format, len(got), len(want))
		}
		for k := range got {
			if !want[k] {
				t.Errorf("%s: extra %s", format, k)
			}
		}
	}

	// -oJ: python's json module.
	py := exec.Command("python3", "-c", `import json,sys; print("\n".join("%s:%d" % (o["ip"], o["port"]) for o in json.load(open(sys.argv[1]))))`, path("out.json"))
	if b, err := py.Output(); err != nil {
		t.Errorf("python3 json.load rejects -oJ: %v", err)
	} else {
		check("-oJ (python json)", set(strings.Fields(string(b))))
	}

	// -oD: python's json module, one object per line.
	py = exec.Command("python3", "-c", `import json,sys; print("\n".join("%s:%d" % (o["ip"], o["port"]) for o in map(json.loads, open(sys.argv[1]))))`, path("out.ndjson"))
	if b, err := py.Output(); err != nil {
		t.Errorf("python3 json.loads rejects an -oD line: %v", err)
	} else {
		check("-oD (python json)", set(strings.Fields(string(b))))
	}

	// -oX: xmllint against nmap's DTD, and the ports read back with XPath.
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Error("xmllint missing: make deps installs libxml2-utils")
	} else {
		if b, err := exec.Command("xmllint", "--noout", "--dtdvalid", "/usr/share/nmap/nmap.dtd", path("out.xml")).CombinedOutput(); err != nil {
			t.Errorf("-oX does not validate against nmap.dtd: %v\n%s", err, b)
		}
		b, err := exec.Command("xmllint", "--xpath", `//port[state/@state="open"]/@portid`, path("out.xml")).Output()
		if err != nil || strings.Count(string(b), "portid") != len(truth) {
			t.Errorf("-oX: xpath found %d open ports (%v)", strings.Count(string(b), "portid"), err)
		}
	}

	// -oL: masscan's list format.
	got := map[string]bool{}
	lines := readLines(t, path("out.list"))
	if lines[0] != "#masscan" || lines[len(lines)-1] != "# end" {
		t.Errorf("-oL header/trailer: %q ... %q", lines[0], lines[len(lines)-1])
	}
	listRE := regexp.MustCompile(`^open tcp (\d+) (\S+) \d{10}$`)
	for _, line := range lines[1 : len(lines)-1] {
		m := listRE.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("-oL line %q", line)
		}
		got[m[2]+":"+m[1]] = true
	}
	check("-oL", got)

	// -oG: nmap's grepable format, as `grep Ports:` users read it.
	got = map[string]bool{}
	hostRE := regexp.MustCompile(`^Host: (\S+) \(\)\tPorts: (.*)$`)
	portRE := regexp.MustCompile(`^(\d+)/open/tcp//[^/]*///$`)
	for _, line := range readLines(t, path("out.gnmap")) {
		m := hostRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		for _, p := range strings.Split(m[2], ", ") {
			pm := portRE.FindStringSubmatch(p)
			if pm == nil {
				t.Fatalf("-oG port entry %q", p)
			}
			got[m[1]+":"+pm[1]] = true
		}
	}
	check("-oG", got)

	// --status-json: one JSON object per line on stderr, then the summary.
	for _, line := range strings.Split(strings.TrimSpace(out.stderr), "\n") {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Errorf("--status-json line %q: %v", line, err)
		}
		for _, k := range []string{"rate", "percent", "eta", "found", "sent", "replies", "invalid", "drops"} {
			if _, ok := v[k]; !ok {
				t.Errorf("--status-json line lacks %q: %s", k, line)
			}
		}
	}
}

func set(xs []string) map[string]bool {
	m := map[string]bool{}
	for _, x := range xs {
		m[x] = true
	}
	return m
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}

// TestStatusJSON checks that a scan of a few seconds reports progress
// once a second as JSON on stderr.
func TestStatusJSON(t *testing.T) {
	l := lab.Start(t, lab.Config{})
	out := trawl(t, l, "-p", "1-100", "198.18.7.0/24", "--rate", "10000", "--status-json", "--wait", "100ms")
	n := 0
	for _, line := range strings.Split(out.stderr, "\n") {
		var v struct {
			Percent float64 `json:"percent"`
			Sent    int     `json:"sent"`
		}
		if strings.HasPrefix(line, "{") {
			if err := json.Unmarshal([]byte(line), &v); err != nil {
				t.Fatalf("--status-json line %q: %v", line, err)
			}
			if v.Sent == 0 || v.Percent <= 0 {
				t.Errorf("progress line without progress: %s", line)
			}
			n++
		}
	}
	if n < 1 || n > 4 {
		t.Errorf("%d progress lines for a 2.6 s scan, want about 2:\n%s", n, out.stderr)
	}
}
