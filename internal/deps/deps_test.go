package deps

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/trawlscan/trawl"

// pkgInfo is the part of `go list -json` this test reads.
type pkgInfo struct {
	ImportPath string
	Imports    []string
	Deps       []string
	CgoFiles   []string
}

func list(t *testing.T, patterns ...string) []pkgInfo {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list", "-json", "-deps=false"}, patterns...)...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkgInfo
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkgInfo
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func TestBoundaries(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go tool")
	}
	// pkg/scan is the public seam over the engine: it alone in pkg/ may
	// reach into internal/, and so into gopacket and libpcap.
	seam := module + "/pkg/scan"
	// The command's layer speaks to the engine only through the seam.
	belowSeam := []string{"internal/engine", "internal/netio", "internal/route", "internal/connect", "internal/packet"}
	for _, p := range list(t, module+"/...") {
		isPkg := strings.HasPrefix(p.ImportPath, module+"/pkg/") && p.ImportPath != seam
		for _, dep := range p.Deps {
			if isPkg && strings.HasPrefix(dep, module+"/internal/") {
				t.Errorf("%s depends on %s: pkg/ must not import internal/", p.ImportPath, dep)
			}
			if isPkg && (dep == "runtime/cgo" || strings.HasPrefix(dep, "github.com/google/gopacket")) {
				t.Errorf("%s depends on %s: pkg/ is pure Go with the standard library", p.ImportPath, dep)
			}
		}
		for _, imp := range p.Imports {
			if imp == "github.com/google/gopacket/pcap" && p.ImportPath != module+"/internal/netio" {
				t.Errorf("%s imports gopacket/pcap; only internal/netio may", p.ImportPath)
			}
			if strings.HasPrefix(p.ImportPath, module+"/cmd/") && strings.HasPrefix(imp, module+"/") && imp != module+"/internal/cli" {
				t.Errorf("%s imports %s; cmd/ imports only internal/cli", p.ImportPath, imp)
			}
			for _, below := range belowSeam {
				if p.ImportPath == module+"/internal/cli" && imp == module+"/"+below {
					t.Errorf("internal/cli imports %s; it runs scans through pkg/scan only", imp)
				}
			}
		}
		if isPkg && len(p.CgoFiles) > 0 {
			t.Errorf("%s has cgo files %v", p.ImportPath, p.CgoFiles)
		}
	}
}
