package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// state is what --resume needs to continue a scan: the command line it
// ran with, its seed and how far it got. It is saved as "key = value"
// lines, like masscan's paused.conf.
type state struct {
	args     []string
	seed     uint64
	position uint64
}

// save writes s to path atomically (a temporary file renamed into place),
// so that a crash never leaves half a file, and a failed write, such as on
// a full disk, leaves the file there was.
func (s state) save(path string) error {
	if err := writeAtomic(path, func(w io.Writer) error { return s.write(w, path) }); err != nil {
		return fmt.Errorf("save scan state %s: %w", path, err)
	}
	return nil
}

// write writes s to w in the format parseState reads, with a comment that
// says how to resume from path.
func (s state) write(w io.Writer, path string) error {
	args, err := json.Marshal(s.args)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "# trawl scan state: continue with \"trawl --resume %s\"\nseed = %d\nposition = %d\nargs = %s\n", path, s.seed, s.position, args)
	return err
}

// writeAtomic replaces path with what write writes, through a temporary
// file in the same directory that is synced and then renamed over path.
// If write, the sync or the close fails, path is left as it was and the
// temporary file is removed.
func writeAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".trawl-state-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	err = write(tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// loadState reads a state file written by save.
func loadState(path string) (state, error) {
	f, err := os.Open(path)
	if err != nil {
		return state{}, usagef("--resume: %v", strings.TrimPrefix(err.Error(), "open "))
	}
	defer f.Close()
	return parseState(f, path)
}

func parseState(r io.Reader, name string) (state, error) {
	var s state
	have := map[string]bool{}
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		key, value, ok := strings.Cut(text, "=")
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		var err error
		switch {
		case !ok:
			err = fmt.Errorf("want key = value")
		case key == "seed":
			s.seed, err = strconv.ParseUint(value, 10, 64)
		case key == "position":
			s.position, err = strconv.ParseUint(value, 10, 64)
		case key == "args":
			err = json.Unmarshal([]byte(value), &s.args)
		default:
			err = fmt.Errorf("unknown key %q", key)
		}
		if err != nil {
			return state{}, usagef("--resume %s:%d: %q: %v", name, line, text, err)
		}
		have[key] = true
	}
	if err := sc.Err(); err != nil {
		return state{}, fmt.Errorf("--resume %s: %w", name, err)
	}
	for _, k := range []string{"seed", "position", "args"} {
		if !have[k] {
			return state{}, usagef("--resume %s: no %q line; not a trawl state file", name, k)
		}
	}
	return s, nil
}
