package deps

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// repoRoot is the repository's top directory, seen from this package's.
const repoRoot = "../.."

// runMake runs make with args and returns its output, or skips t if make is
// not installed.
func runMake(t *testing.T, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip(err)
	}
	cmd := exec.Command("make", args...)
	cmd.Dir = repoRoot
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestMakeBuildInstallsNothing checks that make build only builds, and that
// the targets that need the system packages install them first.
func TestMakeBuildInstallsNothing(t *testing.T) {
	if out := runMake(t, "-n", "build"); strings.Contains(out, "apt-get") {
		t.Errorf("make build installs packages:\n%s", out)
	}
	for _, target := range []string{"test", "demo", "bench"} {
		out := runMake(t, "-n", target)
		install, build := strings.Index(out, "apt-get"), strings.Index(out, "go build")
		if install < 0 || build < install {
			t.Errorf("make %s does not run deps before it builds:\n%s", target, out)
		}
	}
}

// TestMakeHelpListsTargets checks that make help lists every target the
// Makefile documents with "##".
func TestMakeHelpListsTargets(t *testing.T) {
	mk, err := os.ReadFile(filepath.Join(repoRoot, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	out := runMake(t, "help")
	targets := regexp.MustCompile(`(?m)^([a-z-]+):.*## `).FindAllSubmatch(mk, -1)
	if len(targets) == 0 {
		t.Fatal("no documented targets in the Makefile")
	}
	for _, m := range targets {
		if !regexp.MustCompile(`(?m)^\s+` + string(m[1]) + `\s`).MatchString(out) {
			t.Errorf("make help does not list %s:\n%s", m[1], out)
		}
	}
}

// TestDocsStayInRepo checks that README.md and docs/ refer to no path
// outside the repository, which a reader of a clone does not have.
func TestDocsStayInRepo(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot, "docs", "*"))
	if err != nil {
		t.Fatal(err)
	}
	outside := regexp.MustCompile("(^|[\\s(`\"'<])\\.\\./")
	for _, name := range append([]string{filepath.Join(repoRoot, "README.md")}, files...) {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range bytes.Split(b, []byte("\n")) {
			if outside.Match(line) {
				t.Errorf("%s:%d refers outside the repository: %s", name, i+1, line)
			}
		}
	}
}
