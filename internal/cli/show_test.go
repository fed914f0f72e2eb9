package cli

import (
	"io"
	"strings"
	"testing"

	"github.com/trawlscan/trawl/pkg/scan"
)

// TestShow checks that --show asks the scan for closed ports, filtered
// ones, or both, however it is spelled.
func TestShow(t *testing.T) {
	tests := []struct {
		args             string
		closed, filtered bool
	}{
		{"", false, false},
		{"--show open", false, false},
		{"--show closed", true, false},
		{"--show filtered", false, true},
		{"--show closed,filtered", true, true},
		{"--show filtered --show closed", true, true},
		{"--show open,filtered", false, true},
	}
	for _, tt := range tests {
		o, _, err := parseArgs(strings.Fields("-p 80 198.18.0.1 "+tt.args), io.Discard)
		if err != nil {
			t.Fatalf("%q: %v", tt.args, err)
		}
		cfg, err := buildConfig(o, strings.NewReader(""))
		if err != nil {
			t.Fatalf("%q: %v", tt.args, err)
		}
		if cfg.Closed != tt.closed || cfg.Filtered != tt.filtered {
			t.Errorf("%q: Closed %v Filtered %v, want %v %v", tt.args, cfg.Closed, cfg.Filtered, tt.closed, tt.filtered)
		}
	}
}

// TestSummaryFiltered checks the summary's counts of filtered probes: all
// of them, with those an ICMP unreachable answered, and the unanswered
// ones, which got nothing back at all.
func TestSummaryFiltered(t *testing.T) {
	p := scan.Progress{Total: 100, Sent: 120, Replies: 60, Open: 10, Closed: 50, Filtered: 40, Unreachable: 30}
	s := summary(p, 0, 0, true)
	for _, want := range []string{"60 replies", "10 open", "50 closed", "10 unanswered", ", 40 filtered (30 by ICMP unreachable)"} {
		if !strings.Contains(s, want) {
			t.Errorf("summary %q lacks %q", s, want)
		}
	}
	p = scan.Progress{Total: 100, Sent: 100, Replies: 100, Open: 1, Closed: 99}
	if s := summary(p, 0, 0, true); strings.Contains(s, "filtered") || !strings.Contains(s, "0 unanswered") {
		t.Errorf("summary %q: nothing filtered, nothing unanswered", s)
	}
}
