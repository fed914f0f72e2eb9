package result

import (
	"encoding/json"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAppendContinuesDocuments writes two results, IPv4 and IPv6, closes,
// continues the file with one more, IPv6, as a resumed scan does, and
// checks that each format still parses and holds all three.
func TestAppendContinuesDocuments(t *testing.T) {
	rs := []Result{
		{IP: netip.MustParseAddr("198.18.0.1"), Port: 80, Status: StatusOpen, TTL: 64, Time: time.Unix(1700000000, 0)},
		{IP: netip.MustParseAddr("2001:db8::2"), Port: 22, Status: StatusOpen, TTL: 64, Time: time.Unix(1700000001, 0)},
		{IP: netip.MustParseAddr("2001:db8::3"), Port: 443, Status: StatusOpen, TTL: 64, Time: time.Unix(1700000002, 0)},
	}
	for _, tt := range []struct {
		f          Format
		firstCount int // results written before the resume
	}{
		{FormatJSON, 2}, {FormatJSON, 0}, {FormatXML, 2}, {FormatXML, 0}, {FormatNDJSON, 2}, {FormatList, 2}, {FormatGrepable, 2},
	} {
		t.Run(tt.f.String()+"/"+string(rune('0'+tt.firstCount)), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "out")
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			e, err := NewEncoder(tt.f, f, Meta{Version: "test", Ports: "1-1024", NumServices: 1024})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rs[:tt.firstCount] {
				if err := e.Encode(r); err != nil {
					t.Fatal(err)
				}
			}
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
			f.Close()

			f, err = os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			e, err = NewAppendEncoder(tt.f, f, Meta{Version: "test", Ports: "1-1024", NumServices: 1024})
			if err != nil {
				t.Fatal(err)
			}
			if err := e.Encode(rs[2]); err != nil {
				t.Fatal(err)
			}
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
			f.Close()
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rs[:tt.firstCount] {
				if !strings.Contains(string(data), r.IP.String()) {
					t.Errorf("lost %v from the first part:\n%s", r.IP, data)
				}
			}
			if !strings.Contains(string(data), rs[2].IP.String()) {
				t.Errorf("no resumed result:\n%s", data)
			}
			switch tt.f {
			case FormatJSON:
				var v []map[string]any
				if err := json.Unmarshal(data, &v); err != nil || len(v) != tt.firstCount+1 {
					t.Errorf("continued JSON: %v, %d objects:\n%s", err, len(v), data)
				}
			case FormatXML:
				if _, err := exec.LookPath("xmllint"); err != nil {
					t.Skip("xmllint not installed")
				}
				if _, err := os.Stat(nmapDTD); err != nil {
					t.Skipf("nmap DTD missing: %v", err)
				}
				if out, err := exec.Command("xmllint", "--noout", "--dtdvalid", nmapDTD, path).CombinedOutput(); err != nil {
					t.Errorf("continued XML does not validate: %v\n%s\n%s", err, out, data)
				}
			}
		})
	}
}

func TestAppendAfterKill(t *testing.T) {
	r := Result{IP: netip.MustParseAddr("198.18.0.3"), Port: 443, Status: StatusOpen, TTL: 64, Time: time.Unix(1700000002, 0)}
	tests := []struct {
		name, text string
		f          Format
		want       int // objects after the continuation
	}{
		{"JSON killed after a record", "[\n{\"ip\":\"198.18.0.1\",\"port\":1}", FormatJSON, 2},
		{"JSON killed after the header", "[\n", FormatJSON, 1},
		{"not JSON", "hello", FormatJSON, -1},
		{"XML killed after a host", "", FormatXML, 2},
		{"not XML", "<nothing/>", FormatXML, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "out")
			text := tt.text
			if tt.name == "XML killed after a host" {
				// What a flushed, never-closed XML encoder leaves.
				f, _ := os.Create(path)
				e, _ := NewEncoder(FormatXML, f, Meta{})
				_ = e.Encode(r)
				_ = e.Flush()
				f.Close()
				b, _ := os.ReadFile(path)
				text = string(b)
			}
			if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			e, err := NewAppendEncoder(tt.f, f, Meta{})
			if tt.want < 0 {
				if err == nil {
					t.Fatal("continued a file trawl did not write")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := e.Encode(r); err != nil {
				t.Fatal(err)
			}
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
			data, _ := os.ReadFile(path)
			if tt.f == FormatJSON {
				var v []map[string]any
				if err := json.Unmarshal(data, &v); err != nil || len(v) != tt.want {
					t.Fatalf("continued JSON: %v, %d objects:\n%s", err, len(v), data)
				}
				return
			}
			if n := strings.Count(string(data), "<address "); n != tt.want {
				t.Fatalf("%d hosts, want %d:\n%s", n, tt.want, data)
			}
			if _, err := exec.LookPath("xmllint"); err == nil {
				if out, err := exec.Command("xmllint", "--noout", "--dtdvalid", nmapDTD, path).CombinedOutput(); err != nil {
					t.Errorf("continued XML does not validate: %v\n%s\n%s", err, out, data)
				}
			}
		})
	}
}
