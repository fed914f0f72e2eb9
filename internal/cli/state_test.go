package cli

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
)

func TestStateRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "paused.conf")
	want := state{args: []string{"-p", "1-1024", "198.18.0.0/22", "-oD", "out file.ndjson"}, seed: 1 << 63, position: 123456}
	if err := want.save(path); err != nil {
		t.Fatal(err)
	}
	got, err := loadState(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("loaded %+v, want %+v", got, want)
	}
}

// fullWriter takes n bytes and then fails as a full disk does.
type fullWriter struct {
	w io.Writer
	n int
}

func (f *fullWriter) Write(p []byte) (int, error) {
	if len(p) <= f.n {
		f.n -= len(p)
		return f.w.Write(p)
	}
	n, _ := f.w.Write(p[:f.n])
	f.n = 0
	return n, syscall.ENOSPC
}

// TestStateSaveFailedWrite checks that a state file whose write fails
// part way, as on a full disk, is not renamed over the good one, and that
// the error names the file.
func TestStateSaveFailedWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "paused.conf")
	good := state{args: []string{"-p", "80", "198.18.0.0/24"}, seed: 1, position: 100}
	if err := good.save(path); err != nil {
		t.Fatal(err)
	}
	later := state{args: good.args, seed: 1, position: 200}
	err := writeAtomic(path, func(w io.Writer) error { return later.write(&fullWriter{w: w, n: 20}, path) })
	if !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("writeAtomic through a full disk = %v, want ENOSPC", err)
	}
	if got, err := loadState(path); err != nil || !reflect.DeepEqual(got, good) {
		t.Errorf("after a failed save, loaded %+v, %v; want the state before, %+v", got, err, good)
	}
	if files, _ := os.ReadDir(dir); len(files) != 1 {
		t.Errorf("after a failed save, %d files in the directory, want 1 (no temporary file left)", len(files))
	}

	missing := filepath.Join(dir, "missing", "paused.conf")
	if err := good.save(missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("save(%s) = %v, want an error naming the file", missing, err)
	}
}

func TestStateErrors(t *testing.T) {
	tests := map[string]string{
		"seed = x\nposition = 1\nargs = []\n": "seed = x",
		"seed = 1\nargs = []\n":               `no "position"`,
		"seed = 1\nposition = 1\nargs = [\n":  "args = [",
		"seed 1\n":                            "seed 1",
		"colour = blue\n":                     "colour",
	}
	for in, token := range tests {
		if _, err := parseState(strings.NewReader(in), "p.conf"); err == nil || !strings.Contains(err.Error(), token) {
			t.Errorf("parseState(%q) = %v, want an error naming %q", in, err, token)
		}
	}
	if _, err := loadState(filepath.Join(t.TempDir(), "missing.conf")); err == nil || !strings.Contains(err.Error(), "missing.conf") {
		t.Errorf("loadState(missing) = %v", err)
	}
}

// FuzzParseState: the state parser never panics, and what it accepts
// saves and loads back unchanged.
func FuzzParseState(f *testing.F) {
	f.Add("# trawl\nseed = 5\nposition = 10\nargs = [\"-p\",\"80\"]\n")
	f.Add("seed=1\nposition=2\nargs=[]")
	f.Add("args = null\nseed = 0\nposition = 0\n")
	f.Fuzz(func(t *testing.T, in string) {
		s, err := parseState(strings.NewReader(in), "fuzz")
		if err != nil {
			return
		}
		path := filepath.Join(t.TempDir(), "s.conf")
		if err := s.save(path); err != nil {
			t.Fatal(err)
		}
		back, err := loadState(path)
		if err != nil {
			t.Fatalf("saved state does not load: %v", err)
		}
		if back.seed != s.seed || back.position != s.position || len(back.args) != len(s.args) {
			t.Fatalf("round trip: %+v != %+v", back, s)
		}
		os.Remove(path)
	})
}
