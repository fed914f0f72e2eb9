package lab

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Config describes one lab. Every lab is dual-stack. The zero value is a
// lab with no open ports, no filtered hosts and no loss: every address in
// Space and Space6 answers every port with RST.
type Config struct {
	// Open lists the planted open ports, the ground truth: IPv4 addresses,
	// and IPv6 addresses inside Space6. The address
	// netip.IPv4Unspecified() means that port is open on every IPv4
	// address, and netip.IPv6Unspecified() on every IPv6 address.
	Open []netip.AddrPort

	// Drop lists filtered blocks, IPv4 prefixes or IPv6 prefixes inside
	// Space6: the target namespace silently drops every packet sent to
	// them.
	Drop []netip.Prefix

	// LossPercent is the share of packets, 0 to 100, dropped at random in
	// each direction between the namespaces. Zero means no loss.
	LossPercent int

	// Second, if valid, gives the scan namespace a second link, from
	// SecondScanAddr, to a second target namespace that answers for this
	// prefix, a part of Space: the scan namespace routes Second there via
	// SecondTargetAddr, and the rest of Space through the first link, so
	// that the targets leave by two interfaces from two addresses. The
	// planted ports of Open inside Second are planted there, and those on
	// every IPv4 address on both sides; Drop and LossPercent apply on
	// both. The second link carries IPv4 only: all of Space6 stays on
	// the first.
	Second netip.Prefix
}

// Lab is a running lab. Its methods are safe for concurrent use.
type Lab struct {
	name string
}

// scriptTimeout bounds each run of lab.sh.
const scriptTimeout = 2 * time.Minute

// seq numbers the labs that this process starts.
var seq atomic.Uint32

// Start brings a lab up for t and registers t.Cleanup to tear it down. It
// skips t if it is not running as root or if ip or nft is missing, and
// fails t if the lab cannot be built, leaving nothing behind. The
// environment variable LAB_LISTEN may name a prebuilt trawl-lab-listen;
// otherwise the first Start in a process builds bin/trawl-lab-listen.
func Start(t testing.TB, c Config) *Lab {
	t.Helper()
	RequireRoot(t)
	for _, tool := range []string{"ip", "nft", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s (iproute2, nftables, bash) to build the lab: %v", tool, err)
		}
	}
	if err := c.validate(); err != nil {
		t.Fatalf("lab.Start: %v", err)
	}
	root := RepoRoot(t)
	env := append(os.Environ(), "LAB_LISTEN="+listenBinary(t, root))
	script := filepath.Join(root, "scripts", "lab.sh")

	l := &Lab{name: newName()}
	args := []string{"up", l.name}
	first, second := c.openFiles()
	dir := t.TempDir()
	for _, f := range []struct{ flag, name, text string }{{"--open", "open", first}, {"--second-open", "open2", second}} {
		if f.text == "" {
			continue
		}
		file := filepath.Join(dir, f.name)
		if err := os.WriteFile(file, []byte(f.text), 0o644); err != nil {
			t.Fatalf("lab.Start: write open ports: %v", err)
		}
		args = append(args, f.flag, file)
	}
	if c.Second.IsValid() {
		args = append(args, "--second", c.Second.Masked().String())
	}
	for _, p := range c.Drop {
		args = append(args, "--drop", p.Masked().String())
	}
	if c.LossPercent > 0 {
		args = append(args, "--loss", strconv.Itoa(c.LossPercent))
	}

	// A lab of this name can only be left over from a dead process that
	// had our pid, so clear it away first.
	if out, err := runScript(env, script, "down", l.name); err != nil {
		t.Fatalf("lab.sh down %s: %v\n%s", l.name, err, out)
	}
	t.Cleanup(func() {
		if out, err := runScript(env, script, "down", l.name); err != nil {
			t.Errorf("lab.sh down %s: %v\n%s", l.name, err, out)
		}
	})
	if out, err := runScript(env, script, args...); err != nil {
		t.Fatalf("lab.sh %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return l
}

// Name returns the lab's name. Its namespaces are Name()+"-scan" and
// Name()+"-tgt", and with Config.Second, Name()+"-tgt2".
func (l *Lab) Name() string { return l.name }

// ScanInterface returns the name of the scan namespace's end of the veth
// pair, the interface that leads to the targets.
func (l *Lab) ScanInterface() string { return "trl-" + l.name + "-s" }

// SecondInterface returns the name of the scan namespace's end of the
// second veth pair, which leads to the targets in Config.Second. It
// exists only if Config.Second was given.
func (l *Lab) SecondInterface() string { return "trl-" + l.name + "-s2" }

// Command returns an exec.Cmd that runs name with args inside the scan
// namespace, where every route leads only to the target namespace.
func (l *Lab) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", l.name + "-scan", name}, args...)...)
}

// RequireRoot skips t unless it runs as root.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (CAP_NET_ADMIN) to build network namespaces")
	}
}

// RepoRoot returns the repository root: the nearest directory at or above
// the working directory that holds go.mod. It fails t if there is none.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("lab.RepoRoot: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("lab.RepoRoot: no go.mod at or above the working directory")
		}
		dir = parent
	}
}

// validate checks what lab.sh and the listener would otherwise reject
// halfway through building the lab.
func (c Config) validate() error {
	if c.LossPercent < 0 || c.LossPercent > 100 {
		return fmt.Errorf("LossPercent %d outside 0..100", c.LossPercent)
	}
	for _, p := range c.Open {
		a := p.Addr()
		if p.Port() == 0 || !(a.Is4() || a == netip.IPv6Unspecified() || Space6.Contains(a)) {
			return fmt.Errorf("open port %s: want an IPv4 address or one inside %s (or %s, every IPv6 address), and a port from 1 to 65535", p, Space6, netip.IPv6Unspecified())
		}
	}
	for _, p := range c.Drop {
		if !p.IsValid() || !(p.Addr().Is4() || Space6.Contains(p.Addr()) && p.Bits() >= Space6.Bits()) {
			return fmt.Errorf("drop block %s: want an IPv4 prefix or an IPv6 one inside %s", p, Space6)
		}
	}
	if c.Second.IsValid() && (!Space.Contains(c.Second.Addr()) || c.Second.Bits() <= Space.Bits()) {
		return fmt.Errorf("second prefix %s: want a part of %s", c.Second, Space)
	}
	return nil
}

// openFiles renders Open in the listener's input format: the ports to
// plant in the first target namespace, and those to plant in the second
// (Config.Second). A port open on every IPv4 address goes to both; the
// IPv6 ones, which include "[::]:port" for every IPv6 address, go to the
// first.
func (c Config) openFiles() (first, second string) {
	var b1, b2 strings.Builder
	for _, p := range c.Open {
		switch {
		case p.Addr().Is6():
			fmt.Fprintf(&b1, "%s\n", p)
		case p.Addr().IsUnspecified():
			fmt.Fprintf(&b1, "*:%d\n", p.Port())
			if c.Second.IsValid() {
				fmt.Fprintf(&b2, "*:%d\n", p.Port())
			}
		case c.Second.IsValid() && c.Second.Contains(p.Addr()):
			fmt.Fprintf(&b2, "%s\n", p)
		default:
			fmt.Fprintf(&b1, "%s\n", p)
		}
	}
	return b1.String(), b2.String()
}

// newName returns a lab name unique among the live processes: "t", then the
// pid and a counter in fixed-width base 36, 8 characters in all.
func newName() string {
	pid := strconv.FormatUint(uint64(os.Getpid())%(36*36*36*36*36), 36)
	n := strconv.FormatUint(uint64(seq.Add(1))%(36*36), 36)
	return "t" + strings.Repeat("0", 5-len(pid)) + pid + strings.Repeat("0", 2-len(n)) + n
}

// built is the listener that this process built, once.
var built struct {
	sync.Once
	path string
	err  error
}

// errNoGo reports that the go tool is missing, which skips rather than fails.
var errNoGo = errors.New("needs the go tool to build trawl-lab-listen")

// listenBinary returns the path of trawl-lab-listen: $LAB_LISTEN if set,
// else root/bin/trawl-lab-listen, built afresh once per process.
func listenBinary(t testing.TB, root string) string {
	t.Helper()
	if bin := os.Getenv("LAB_LISTEN"); bin != "" {
		if _, err := os.Stat(bin); err != nil {
			t.Fatalf("LAB_LISTEN: %v", err)
		}
		return bin
	}
	built.Do(func() { built.path, built.err = build(root, filepath.Join(root, "bin")) })
	if errors.Is(built.err, errNoGo) {
		t.Skip(built.err)
	}
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.path
}

// build builds trawl-lab-listen from the repository at root into dir. It
// links to a name of its own and renames that into place, so that test
// processes building at once never write over a binary that a lab is
// running.
func build(root, dir string) (string, error) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("%w: %w", errNoGo, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("build trawl-lab-listen: %w", err)
	}
	bin := filepath.Join(dir, "trawl-lab-listen")
	tmp := fmt.Sprintf("%s.%d", bin, os.Getpid())
	cmd := exec.Command(goTool, "build", "-buildvcs=false", "-o", tmp, "./internal/lab/listen")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("build trawl-lab-listen: %w\n%s", err, out)
	}
	if err := os.Rename(tmp, bin); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("build trawl-lab-listen: %w", err)
	}
	return bin, nil
}

// runScript runs lab.sh with args and returns its combined output.
func runScript(env []string, script string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", append([]string{script}, args...)...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		err = fmt.Errorf("timed out after %v: %w", scriptTimeout, err)
	}
	return out, err
}
