package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trawlscan/trawl/internal/lab"
)

func init() {
	// Under "sudo go test" every trawl these tests start would become the
	// user who ran sudo, who cannot write the tests' root-owned temporary
	// directories. The test that wants sudo's variables sets them.
	os.Unsetenv("SUDO_UID")
	os.Unsetenv("SUDO_GID")
}

// TestNoPrivilegesWhileScanning watches a raw scan of the lab from outside,
// through /proc, from the moment its output file exists (trawl creates it
// once it has given up its privileges) until it exits: every thread must
// hold no capability, effective, permitted, inheritable or ambient, and
// have no_new_privs set. Run as root, trawl stays uid 0; with SUDO_UID and
// SUDO_GID set, as sudo sets them, it becomes that user on every thread,
// and its output and state files are that user's. Both scans must find
// every planted port.
func TestNoPrivilegesWhileScanning(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the two 5 s scans in -short mode")
	}
	truth := lab.Truth(netip.MustParsePrefix("198.18.6.0/24"), 1, 100, 100, 6)
	l := lab.Start(t, lab.Config{Open: truth})
	t.Run("root", func(t *testing.T) {
		watchScan(t, l, truth, nil, map[string]string{"Uid": "0 0 0 0", "Gid": "0 0 0 0"})
	})
	t.Run("sudo", func(t *testing.T) {
		// nobody and nogroup (65534) own the files; 65534 is their only group.
		watchScan(t, l, truth, []string{"SUDO_UID=65534", "SUDO_GID=65534"},
			map[string]string{"Uid": "65534 65534 65534 65534", "Gid": "65534 65534 65534 65534", "Groups": "65534"})
	})
}

// watchScan runs a raw scan of 198.18.6.0/24 × 1-100 at 5,000 probes/s
// (about 5 s) in l with env added to the environment, in a directory that
// every user can write, and checks every thread's /proc status while it
// runs against the fields in want and the ones every scan must have. It
// checks that the output file, and the state file if seen, belong to the
// Uid in want, and that the scan found every planted port.
func watchScan(t *testing.T, l *lab.Lab, truth []netip.AddrPort, env []string, want map[string]string) {
	t.Helper()
	for _, k := range []string{"CapInh", "CapPrm", "CapEff", "CapAmb"} {
		want[k] = "0000000000000000"
	}
	want["NoNewPrivs"] = "1"
	uid, _ := strconv.Atoi(strings.Fields(want["Uid"])[0])
	gid, _ := strconv.Atoi(strings.Fields(want["Gid"])[0])

	dir, err := os.MkdirTemp("/tmp", "trawl-priv-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := l.Command(ctx, binary(t), "-p", "1-100", "198.18.6.0/24", "--rate", "5000", "-oD", "out.ndjson")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	// ip netns exec becomes trawl in the same process.
	pid := cmd.Process.Pid
	nd := filepath.Join(dir, "out.ndjson")
	samples, threads, stateOwner := 0, 0, -1
	var last map[string]string
	var waitErr error
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
watch:
	for {
		select {
		case waitErr = <-done:
			break watch
		case <-tick.C:
		}
		if _, err := os.Stat(nd); err != nil {
			continue // not scanning yet
		}
		statuses, err := procStatuses(pid)
		if err != nil {
			continue // exited meanwhile
		}
		samples++
		threads = max(threads, len(statuses)-1)
		for name, st := range statuses {
			for k, v := range want {
				if st[k] != v {
					t.Errorf("%s: %s %q, want %q", name, k, st[k], v)
				}
			}
			last = st
		}
		if owner, err := ownerOf(filepath.Join(dir, "paused.conf")); err == nil {
			stateOwner = owner
		}
		if t.Failed() {
			_ = cmd.Process.Kill()
			<-done
			t.FailNow()
		}
	}
	elapsed := time.Since(start)
	if waitErr != nil {
		t.Fatalf("scan: %v\n%s", waitErr, stderr.String())
	}
	if samples < 5 {
		t.Fatalf("watched the scan %d times in %v; want at least 5 while it runs", samples, elapsed)
	}
	t.Logf("%d samples of up to %d threads, each with Uid %s, Gid %s, Groups %q, CapInh %s, CapPrm %s, CapEff %s, CapBnd %s, CapAmb %s, NoNewPrivs %s",
		samples, threads, last["Uid"], last["Gid"], last["Groups"], last["CapInh"], last["CapPrm"], last["CapEff"], last["CapBnd"], last["CapAmb"], last["NoNewPrivs"])
	if strings.Contains(stderr.String(), "warning") {
		t.Errorf("warnings on stderr: %s", stderr.String())
	}
	if owner, err := ownerOf(nd); err != nil || owner != uid {
		t.Errorf("the output file belongs to uid %d (%v), want %d", owner, err, uid)
	}
	if fi, err := os.Stat(nd); err == nil && int(fi.Sys().(*syscall.Stat_t).Gid) != gid {
		t.Errorf("the output file belongs to gid %d, want %d", fi.Sys().(*syscall.Stat_t).Gid, gid)
	}
	switch stateOwner {
	case -1:
		t.Errorf("never saw the state file during the %v scan", elapsed.Round(time.Millisecond))
	case uid:
	default:
		t.Errorf("the state file belonged to uid %d, want %d", stateOwner, uid)
	}
	requireRecall(t, scanOutput{stdout: stdout.String(), stderr: stderr.String(), elapsed: elapsed, ndjson: readNDJSON(t, nd)}, truth, true)
}

// procStatuses reads /proc/PID/status and every /proc/PID/task/*/status,
// keyed by file name, each as its fields by name with single spaces
// between values.
func procStatuses(pid int) (map[string]map[string]string, error) {
	names, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	if err != nil || len(names) == 0 {
		return nil, fmt.Errorf("no threads of %d: %v", pid, err)
	}
	names = append(names, fmt.Sprintf("/proc/%d/status", pid))
	out := map[string]map[string]string{}
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		fields := map[string]string{}
		for line := range strings.Lines(string(b)) {
			k, v, _ := strings.Cut(line, ":")
			fields[k] = strings.Join(strings.Fields(v), " ")
		}
		if fields["Name"] != "trawl" {
			return nil, fmt.Errorf("%s is %q", name, fields["Name"])
		}
		out[name] = fields
	}
	return out, nil
}

// ownerOf returns the user ID that owns the file name.
func ownerOf(name string) (int, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return -1, err
	}
	return int(fi.Sys().(*syscall.Stat_t).Uid), nil
}
