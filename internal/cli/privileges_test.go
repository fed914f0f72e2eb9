package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trawlscan/trawl/internal/priv"
)

func init() {
	// Main gives up the process's privileges once the scan's sockets are
	// open. The tests run it in-process, and keep theirs.
	dropPrivileges = func() (runAs, error) { return runAs{}, nil }
}

// TestDropsPrivilegesBeforeOutputs checks that Main gives up its
// privileges after opening the scan's sockets and before creating any
// output file, for a connect() scan too, and that a failure to give them
// up ends the run before the outputs exist.
func TestDropsPrivilegesBeforeOutputs(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	keep := dropPrivileges
	t.Cleanup(func() { dropPrivileges = keep })

	nd := filepath.Join(t.TempDir(), "out.ndjson")
	args := []string{"--connect", "-p", fmt.Sprint(port), "127.0.0.1", "-oD", nd}
	calls := 0
	dropPrivileges = func() (runAs, error) {
		calls++
		if _, err := os.Stat(nd); err == nil {
			t.Error("the output file exists before trawl gives up its privileges")
		}
		return runAs{}, nil
	}
	code, stdout, stderr := runMain(args...)
	if code != exitOK || calls != 1 || strings.TrimSpace(stdout) != fmt.Sprintf("127.0.0.1:%d", port) {
		t.Errorf("exit %d, %d calls to drop privileges, stdout %q, stderr %q; want exit 0, 1 call, the open port", code, calls, stdout, stderr)
	}

	nd = filepath.Join(t.TempDir(), "out.ndjson")
	args[len(args)-1] = nd
	dropPrivileges = func() (runAs, error) { return runAs{}, errors.New("drop privileges: thread 42 kept them") }
	code, stdout, stderr = runMain(args...)
	if code != exitFailure || stdout != "" || !strings.Contains(stderr, "thread 42 kept them") {
		t.Errorf("failed drop: exit %d, stdout %q, stderr %q; want exit 1 and the cause", code, stdout, stderr)
	}
	if _, err := os.Stat(nd); err == nil {
		t.Error("a run that could not give up its privileges created its output file")
	}
}

func TestExplainPermission(t *testing.T) {
	denied := usagef("cannot write ndjson output: %w", &fs.PathError{Op: "open", Path: "/root/out.ndjson", Err: fs.ErrPermission})
	missing := usagef("cannot write ndjson output: %w", &fs.PathError{Op: "open", Path: "/nonexistent/out.ndjson", Err: fs.ErrNotExist})
	tests := []struct {
		as   runAs
		err  error
		want string // in the message; "" for the error unchanged
	}{
		{runAs{sudo: &priv.User{UID: 1000, GID: 1000}}, denied, "as uid 1000, who ran sudo"},
		{runAs{root: true}, denied, "root no longer overrides file permissions"},
		{runAs{}, denied, ""},
		{runAs{sudo: &priv.User{UID: 1000, GID: 1000}}, missing, ""},
		{runAs{root: true}, nil, ""},
	}
	for _, tt := range tests {
		got := tt.as.explain(tt.err)
		if tt.want == "" {
			if got != tt.err {
				t.Errorf("%+v.explain(%v) = %v, want it unchanged", tt.as, tt.err, got)
			}
			continue
		}
		var ue usageError
		if !strings.Contains(got.Error(), tt.want) || !strings.HasPrefix(got.Error(), tt.err.Error()) || !errors.As(got, &ue) {
			t.Errorf("%+v.explain(%v) = %v; want the usage error, then %q", tt.as, tt.err, got, tt.want)
		}
	}
}
