package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trawlscan/trawl/internal/lab"
)

// The pod's link into the lab: a veth pair from the pause container's
// network namespace to the lab's target namespace, on a subnet of its own
// beside the lab's 198.19.0.0/24.
const (
	podAddr    = "198.19.1.1"
	podGateway = "198.19.1.2"
	podMAC     = "02:74:72:00:01:01"
	gatewayMAC = "02:74:72:00:01:02"
)

// pauseSource is the pod's first process: it holds the network namespace
// that the scanning containers join, and does nothing until it is killed.
const pauseSource = `package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGTERM, syscall.SIGINT)
	<-c
}
`

// TestContainer builds the image (scripts/image.sh, as "make image" does)
// and scans the lab from inside a container, as the Kubernetes pattern
// runs it: a pause container with --network none holds a network namespace
// whose only link leads into the lab's target namespace, and trawl:latest
// joins it with --network container:. It scans once with only NET_RAW (the
// raw scan) and once with no capability (the connect() fallback); both
// must find every planted port and nothing else. No container is ever on a
// Docker network.
func TestContainer(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the container build and scans in -short mode")
	}
	if buildTags != "" {
		t.Skipf("the image holds the same static build whatever the tags (%q); the default run tests it", buildTags)
	}
	lab.RequireRoot(t)
	for _, tool := range []string{"nsenter", "ip"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s to wire the container into the lab: %v", tool, err)
		}
	}
	root := lab.RepoRoot(t)
	buildImage(t, root)

	truth := lab.Truth(netip.MustParsePrefix("198.18.5.0/24"), 1, 256, 200, 5)
	l := lab.Start(t, lab.Config{Open: truth})
	pod := startPod(t, l, root)
	args := []string{"-p", "1-256", "198.18.5.0/24", "--rate", "50000", "--wait", "1s"}

	t.Run("NET_RAW", func(t *testing.T) {
		out := containerScan(t, pod, []string{"--cap-drop", "ALL", "--cap-add", "NET_RAW"}, args...)
		if out.code != 0 {
			t.Fatalf("exit %d: %s", out.code, out.stderr)
		}
		if strings.Contains(out.stderr, "falling back") {
			t.Errorf("fell back to connect() although the container has NET_RAW: %s", out.stderr)
		}
		requireRecall(t, out, truth, true)
		if n := sent(t, out.stderr); n != 256*256 {
			t.Errorf("sent %d probes, want %d", n, 256*256)
		}
	})
	t.Run("no capabilities", func(t *testing.T) {
		out := containerScan(t, pod, []string{"--cap-drop", "ALL"}, args...)
		if !strings.Contains(out.stderr, "falling back to a connect() scan") {
			t.Errorf("no fallback notice on stderr without NET_RAW: %s", out.stderr)
		}
		if out.code != 0 {
			t.Fatalf("exit %d: %s", out.code, out.stderr)
		}
		requireRecall(t, out, truth, false)
	})
}

func buildImage(t *testing.T, root string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(root, "scripts", "image.sh"))
	cmd.Dir = root
	start := time.Now()
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 3 {
		t.Skipf("Docker cannot run here: %s", bytes.TrimSpace(out))
	}
	if err != nil {
		t.Fatalf("scripts/image.sh: %v\n%s", err, out)
	}
	t.Logf("%s (%v)", lastLine(string(out)), time.Since(start).Round(time.Millisecond))
}

// docker runs the docker client and returns its trimmed stdout, failing t
// on error.
func docker(t *testing.T, args ...string) string {
	t.Helper()
	out, err := run("docker", args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// run runs a command with a timeout and returns its trimmed stdout; the
// error carries the command line and its stderr.
func run(name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

// startPod starts a pause container with --network none and wires its
// network namespace into l's target namespace: podAddr, with a default
// route via podGateway, the target namespace's end of a new veth pair. It
// returns the container's name, for --network container:NAME. Cleanup
// removes the container, and the pair goes with its namespace.
func startPod(t *testing.T, l *lab.Lab, root string) string {
	t.Helper()
	name := "trawl-e2e-" + l.Name()
	image := "trawl-e2e-pause:" + l.Name()
	tgt := l.Name() + "-tgt"
	podIf, tgtIf := "trc-"+l.Name()+"-c", "trc-"+l.Name()+"-t"

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(pauseSource), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\nCOPY pause /pause\nENTRYPOINT [\"/pause\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	build := exec.Command("go", "build", "-o", "pause", "main.go")
	build.Dir = dir
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the pause program: %v\n%s", err, out)
	}

	// A container of this name can only be left over from a dead test
	// process that had our pid.
	run("docker", "rm", "-f", name)
	t.Cleanup(func() {
		run("docker", "rm", "-f", name)
		run("docker", "rmi", image)
	})
	docker(t, "build", "-q", "-t", image, dir)
	docker(t, "run", "-d", "--name", name, "--network", "none", "--cap-drop", "ALL", image)
	pid := docker(t, "inspect", "-f", "{{.State.Pid}}", name)

	t.Cleanup(func() {
		// Only a half-built pair is left in the root namespace; a moved
		// end goes with its namespace.
		run("ip", "link", "del", podIf)
		run("ip", "-n", tgt, "link", "del", tgtIf)
	})
	listen := os.Getenv("LAB_LISTEN")
	if listen == "" {
		listen = filepath.Join(root, "bin", "trawl-lab-listen")
	}
	in := func(args ...string) []string { return append([]string{"nsenter", "-t", pid, "-n"}, args...) }
	steps := [][]string{
		{"ip", "link", "add", podIf, "address", podMAC, "type", "veth", "peer", "name", tgtIf, "address", gatewayMAC},
		{"ip", "link", "set", podIf, "netns", pid},
		{"ip", "link", "set", tgtIf, "netns", tgt},
		in("ip", "link", "set", "lo", "up"),
		in("ip", "addr", "add", podAddr+"/24", "dev", podIf),
		in("ip", "link", "set", podIf, "up"),
		in("ip", "route", "add", "default", "via", podGateway, "dev", podIf),
		in("ip", "neigh", "replace", podGateway, "lladdr", gatewayMAC, "dev", podIf, "nud", "permanent"),
		in(listen, "-csum-off", podIf),
		{"ip", "-n", tgt, "addr", "add", podGateway + "/24", "dev", tgtIf},
		{"ip", "-n", tgt, "link", "set", tgtIf, "up"},
		{"ip", "-n", tgt, "neigh", "replace", podAddr, "lladdr", podMAC, "dev", tgtIf, "nud", "permanent"},
		{"ip", "netns", "exec", tgt, listen, "-csum-off", tgtIf},
	}
	for _, s := range steps {
		if _, err := run(s[0], s[1:]...); err != nil {
			t.Fatalf("wire the pod into the lab: %v", err)
		}
	}

	// The pod must have no way out but the lab: loopback and our link.
	links, err := run("nsenter", "-t", pid, "-n", "ip", "-o", "link", "show")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(strings.Split(links, "\n")); n != 2 || !strings.Contains(links, podIf+"@") {
		t.Fatalf("the pod's namespace should hold only lo and %s:\n%s", podIf, links)
	}
	return name
}

// containerScan runs trawl:latest with args in pod's network namespace,
// with the Docker options opts, on a read-only root filesystem as the
// Kubernetes Job runs it: NDJSON and the resume state go to a bind-mounted
// directory.
func containerScan(t *testing.T, pod string, opts []string, args ...string) scanOutput {
	t.Helper()
	name := pod + "-scan"
	dir := t.TempDir()
	run("docker", "rm", "-f", name)
	t.Cleanup(func() { run("docker", "rm", "-f", name) })

	cmdArgs := []string{"run", "--rm", "--name", name, "--network", "container:" + pod, "--read-only", "-v", dir + ":/out"}
	cmdArgs = append(cmdArgs, opts...)
	cmdArgs = append(cmdArgs, "trawl:latest")
	cmdArgs = append(cmdArgs, args...)
	cmdArgs = append(cmdArgs, "-oD", "/out/out.ndjson", "--resume-file", "/out/paused.conf")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker", cmdArgs...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	out := scanOutput{stdout: stdout.String(), stderr: stderr.String(), elapsed: time.Since(start)}
	if ctx.Err() != nil {
		t.Fatalf("docker %v hung: killed after %v\nstderr: %s", cmdArgs, out.elapsed, out.stderr)
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		out.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("docker run: %v", err)
	}
	nd := filepath.Join(dir, "out.ndjson")
	if _, err := os.Stat(nd); err != nil {
		t.Fatalf("the container wrote no NDJSON output (exit %d): %v\nstderr: %s", out.code, err, out.stderr)
	}
	out.ndjson = readNDJSON(t, nd)
	if strings.Contains(out.stderr, "warning") {
		t.Errorf("warnings on stderr: %s", out.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "paused.conf")); out.code == 0 && err == nil {
		t.Errorf("a finished scan left its resume state behind")
	}
	return out
}
