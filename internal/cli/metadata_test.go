package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trawlscan/trawl/pkg/scan"
)

// keepPrivileges makes Main keep the test process's privileges.
func keepPrivileges(t *testing.T) {
	keep := dropPrivileges
	t.Cleanup(func() { dropPrivileges = keep })
	dropPrivileges = func() (runAs, error) { return runAs{}, nil }
}

// readMetadata reads the --metadata-file document at path, failing t
// unless it is one JSON object with exactly the keys of metadata.
func readMetadata(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no metadata file: %v", err)
	}
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("metadata is not a JSON object: %v\n%s", err, b)
	}
	if dec.More() {
		t.Fatalf("metadata holds more than one document:\n%s", b)
	}
	var strict metadata
	sd := json.NewDecoder(bytes.NewReader(b))
	sd.DisallowUnknownFields()
	if err := sd.Decode(&strict); err != nil {
		t.Fatalf("metadata does not decode strictly: %v\n%s", err, b)
	}
	for _, key := range []string{"start", "end"} {
		if _, err := time.Parse(time.RFC3339Nano, doc[key].(string)); err != nil {
			t.Errorf("%s %q: %v", key, doc[key], err)
		}
	}
	return doc
}

// want checks that doc has each key with the value given, as JSON
// decodes it (numbers as float64).
func wantKeys(t *testing.T, doc map[string]any, kv map[string]any) {
	t.Helper()
	for k, v := range kv {
		if got, ok := doc[k]; !ok || fmt.Sprint(got) != fmt.Sprint(v) {
			t.Errorf("metadata %q = %v, want %v", k, got, v)
		}
	}
}

// TestMetadataFile runs a connect() scan of five listening loopback ports
// and 45 closed ones with --metadata-file: one JSON document with the
// run's plan, counters and exit status. 127.0.0.1 answers on 5 of 50
// ports, so it is not suspect.
func TestMetadataFile(t *testing.T) {
	keepPrivileges(t)
	var ports []string
	for range 5 {
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		ports = append(ports, fmt.Sprint(ln.Addr().(*net.TCPAddr).Port))
	}
	ports = append(ports, "20001-20045")
	dir := t.TempDir()
	path := filepath.Join(dir, "meta.json")
	args := []string{"--connect", "-p", strings.Join(ports, ","), "127.0.0.1", "--seed", "42", "--rate", "5k", "-q", "--metadata-file", path}
	code, stdout, stderr := runMain(args...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if n := strings.Count(stdout, "\n"); n != 5 {
		t.Errorf("%d results on stdout, want 5", n)
	}
	doc := readMetadata(t, path)
	wantKeys(t, doc, map[string]any{
		"version": version, "command_line": "trawl " + strings.Join(args, " "),
		"seed": "42", "shard": "1/1", "send_path": "connect", "hosts": 1, "probes": 50,
		"rate_asked": 5000, "rate": 5000, "retries": 0, "wait": 2,
		"sent": 50, "replies": 50, "open": 5, "closed": 45, "filtered": 0, "unanswered": 0, "invalid": 0, "late": 0,
		"capture_drops": 0, "suspect_check": true, "suspect_hosts": 0, "suspect_ports": 0, "excluded": 0, "blocklisted": 0,
		"results": 5, "finished": true, "exit_status": 0, "dry_run": false,
	})
	if _, ok := doc["error"]; ok {
		t.Errorf("error %q for a scan that succeeded", doc["error"])
	}
	if r, _ := doc["rate_achieved"].(float64); r <= 0 || doc["duration"].(float64) <= 0 {
		t.Errorf("rate_achieved %v, duration %v: want both above 0", doc["rate_achieved"], doc["duration"])
	}
}

// TestMetadataEveryExit: the document is written on every exit path
// once the flags parse, with the exit status: bad input (2), a runtime
// failure (1), an interruption (130), a dry run (0); and a metadata file
// that cannot be written is bad input, found before anything is sent.
func TestMetadataEveryExit(t *testing.T) {
	keepPrivileges(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "meta.json")

	code, _, stderr := runMain("-p", "80", "198.18.0.300", "--metadata-file", path)
	if code != exitUsage {
		t.Fatalf("bad target: exit %d, want 2: %s", code, stderr)
	}
	doc := readMetadata(t, path)
	wantKeys(t, doc, map[string]any{"exit_status": 2, "finished": false, "sent": 0, "seed": nil, "send_path": nil})
	if e, _ := doc["error"].(string); !strings.Contains(e, "198.18.0.300") {
		t.Errorf("error %q does not name the bad token", e)
	}

	// /dev/full fails every write: the outputs' flush at the end is a
	// runtime failure.
	if _, err := os.Stat("/dev/full"); err == nil {
		code, _, stderr = runMain("--connect", "-p", "20001-20010", "127.0.0.1", "-q", "-oD", "/dev/full", "--show", "closed", "--metadata-file", path)
		if code != exitFailure {
			t.Fatalf("output to /dev/full: exit %d, want 1: %s", code, stderr)
		}
		doc = readMetadata(t, path)
		wantKeys(t, doc, map[string]any{"exit_status": 1, "send_path": "connect", "sent": 10, "closed": 10})
		if e, _ := doc["error"].(string); !strings.Contains(e, "write results") {
			t.Errorf("error %q, want the write failure", e)
		}
	}

	// Interrupted before the first probe: Main returns 130 with the
	// outputs flushed and the state saved.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	statePath := filepath.Join(dir, "paused.conf")
	code = Main(ctx, []string{"--connect", "-p", "20001-20100", "127.0.0.1", "--rate", "10", "-q", "--resume-file", statePath, "--metadata-file", path}, &out, &errb)
	if code != exitInterrupted {
		t.Fatalf("interrupted: exit %d, want 130: %s", code, errb.String())
	}
	doc = readMetadata(t, path)
	wantKeys(t, doc, map[string]any{"exit_status": 130, "finished": false, "error": "interrupted", "probes": 100, "send_path": "connect"})

	code, stdout, stderr := runMain("--dry-run", "-p", "1-1024", "198.18.0.0/24", "--seed", "7", "--metadata-file", path)
	if code != exitOK || stdout == "" {
		t.Fatalf("dry run: exit %d: %s", code, stderr)
	}
	doc = readMetadata(t, path)
	wantKeys(t, doc, map[string]any{"exit_status": 0, "dry_run": true, "seed": "7", "probes": 262144, "sent": 0, "rate_asked": nil})

	bad := filepath.Join(dir, "missing", "meta.json")
	code, _, stderr = runMain("--connect", "-p", "20001", "127.0.0.1", "--metadata-file", bad)
	if code != exitUsage || !strings.Contains(stderr, bad) {
		t.Errorf("unwritable metadata file: exit %d, stderr %q; want 2 naming %s", code, stderr, bad)
	}
	if strings.Count(stderr, bad) != 1 {
		t.Errorf("the unwritable metadata file is reported more than once: %q", stderr)
	}
}

// TestSummarySuspect: the summary counts the suspect hosts and their open
// ports, before the blocklist's count, which ends the line.
func TestSummarySuspect(t *testing.T) {
	p := scan.Progress{Total: 2048, Sent: 2048, Replies: 2048, Open: 1030, Closed: 1018, Suspect: 1, SuspectPorts: 1024}
	if s := summary(p, 7, time.Second, true); !strings.Contains(s, ", 1 suspect host answering nearly every port (1024 of the open), 7 addresses") {
		t.Errorf("summary %q", s)
	}
	p.Suspect = 2
	if s := summary(p, 0, time.Second, true); !strings.Contains(s, ", 2 suspect hosts") {
		t.Errorf("summary %q", s)
	}
	p.Suspect = 0
	if s := summary(p, 0, time.Second, true); strings.Contains(s, "suspect") {
		t.Errorf("summary %q mentions suspects when there are none", s)
	}
}
