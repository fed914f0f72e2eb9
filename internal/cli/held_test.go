package cli

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trawlscan/trawl/pkg/result"
	"github.com/trawlscan/trawl/pkg/target"
)

// writeResults writes rs to path in format f, as a scan's output that was
// flushed, then killed: no trailer.
func writeResults(t *testing.T, f result.Format, path string, rs []result.Result) {
	t.Helper()
	var out bytes.Buffer
	e, err := result.NewEncoder(f, &out, result.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if err := e.Encode(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestReadHeld checks, for every resume position of a small space, that
// readHeld keeps exactly the results at or after it, from the union of
// the output files, each of which holds only some of them.
func TestReadHeld(t *testing.T) {
	o, _, err := parseArgs([]string{"--connect", "-p", "1-20", "--seed", "5", "198.18.0.0/30"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	plan := prepare(t, o, nil)
	n := plan.Space.Len()
	perm := target.NewPermutation(n, plan.Seed)
	// The result of the probe at each position; statuses vary, and the
	// files hold the probes at even positions (NDJSON, list) or odd ones
	// (XML, JSON, grepable).
	byPos := make([]result.Result, n)
	var even, odd []result.Result
	for pos := range n {
		ip, port := plan.Space.Index(perm.At(pos))
		r := result.Result{IP: ip.Netip(), Port: port, Status: result.Status(1 + pos%3), Time: time.Unix(1700000000, 0)}
		byPos[pos] = r
		if pos%2 == 0 {
			even = append(even, r)
		} else {
			odd = append(odd, r)
		}
	}
	dir := t.TempDir()
	outs := []output{
		{format: result.FormatNDJSON, path: filepath.Join(dir, "out.ndjson")},
		{format: result.FormatList, path: filepath.Join(dir, "out.list")},
		{format: result.FormatXML, path: filepath.Join(dir, "out.xml")},
		{format: result.FormatJSON, path: filepath.Join(dir, "out.json")},
		{format: result.FormatGrepable, path: filepath.Join(dir, "out.grep")},
		{format: result.FormatXML, path: filepath.Join(dir, "missing.xml")},
		{format: result.FormatPlain, path: "-"},
	}
	for _, out := range outs[:5] {
		rs := odd
		if out.format == result.FormatNDJSON || out.format == result.FormatList {
			rs = even
		}
		writeResults(t, out.format, out.path, rs)
	}
	for start := range n + 1 {
		p := plan
		p.Start = start
		var warn bytes.Buffer
		held, err := readHeld(outs, p, &warn)
		if err != nil || warn.Len() > 0 {
			t.Fatalf("start %d: %v %s", start, err, warn.String())
		}
		if len(held) != int(n-start) {
			t.Errorf("start %d: %d results held, want %d", start, len(held), n-start)
		}
		for pos, r := range byPos {
			_, ok := held[netip.AddrPortFrom(r.IP, r.Port)]
			if ok != (uint64(pos) >= start) {
				t.Errorf("start %d: result at position %d held: %v", start, pos, ok)
			}
		}
	}

	// A record that does not decode is a warning, not an error.
	if err := os.WriteFile(outs[0].path, []byte("{\"ip\":\"198.18.0.1\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var warn bytes.Buffer
	if _, err := readHeld(outs[:1], plan, &warn); err != nil || !strings.Contains(warn.String(), "out.ndjson, line 1: missing key \"port\": a result there may be written again") {
		t.Errorf("bad record: %v, warning %q", err, warn.String())
	}
	// A file that cannot be read is an error (root reads it anyway).
	if os.Getuid() != 0 {
		if err := os.Chmod(outs[0].path, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := readHeld(outs[:1], plan, &warn); err == nil || !strings.Contains(err.Error(), "read back ndjson output") {
			t.Errorf("an unreadable output: %v, want an error", err)
		}
	}
}

// TestResumeWritesNoRepeats resumes a connect() scan of two open loopback
// ports whose outputs already hold one of them, as after a kill -9 just
// after its reply: the resumed run writes only the other, in every output.
func TestResumeWritesNoRepeats(t *testing.T) {
	keep := dropPrivileges
	t.Cleanup(func() { dropPrivileges = keep })
	dropPrivileges = func() (runAs, error) { return runAs{}, nil }
	var ports [2]int
	for i := range ports {
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		ports[i] = ln.Addr().(*net.TCPAddr).Port
	}
	dir := t.TempDir()
	nd, xml := filepath.Join(dir, "out.ndjson"), filepath.Join(dir, "out.xml")
	held := result.Result{IP: netip.MustParseAddr("127.0.0.1"), Port: uint16(ports[0]), Status: result.StatusOpen, Time: time.Unix(1700000000, 0)}
	writeResults(t, result.FormatNDJSON, nd, []result.Result{held})
	writeResults(t, result.FormatXML, xml, []result.Result{held})
	statePath := filepath.Join(dir, "paused.conf")
	args := []string{"--connect", "-p", fmt.Sprintf("%d,%d", ports[0], ports[1]), "127.0.0.1", "--seed", "3", "-q", "-oD", nd, "-oX", xml}
	if err := (state{args: args, seed: 3, position: 0}).save(statePath); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runMain("--resume", statePath)
	if want := fmt.Sprintf("127.0.0.1:%d\n", ports[1]); code != exitOK || stdout != want {
		t.Fatalf("resumed: exit %d, stdout %q, stderr %q; want exit 0 and only %q", code, stdout, stderr, want)
	}
	for _, out := range []output{{result.FormatNDJSON, nd}, {result.FormatXML, xml}} {
		seen := map[netip.AddrPort]int{}
		if err := readBack(out, func(r result.Result) { seen[netip.AddrPortFrom(r.IP, r.Port)]++ }, os.Stderr); err != nil {
			t.Fatal(err)
		}
		for _, p := range ports {
			if n := seen[netip.AddrPortFrom(held.IP, uint16(p))]; n != 1 {
				t.Errorf("%s output: port %d written %d times, want once", out.format, p, n)
			}
		}
	}
}
