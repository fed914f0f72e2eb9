package scan

import (
	"errors"
	"strings"
	"testing"

	"github.com/trawlscan/trawl/pkg/target"
)

// TestPlanCounts checks what the excludes and the blocklist remove, and
// that the two counts and the space's hosts add up to the targets.
func TestPlanCounts(t *testing.T) {
	tests := []struct {
		name, targets, exclude, blocklist string
		noDefault                         bool
		hosts, excluded, blocklisted      uint64
	}{
		{name: "all of IPv4", targets: "0.0.0.0/0", hosts: 3702258432, blocklisted: 592708864},
		{name: "all of IPv4, no default list", targets: "0.0.0.0/0", noDefault: true, hosts: 1 << 32},
		{name: "excludes counted first", targets: "0.0.0.0/0", exclude: "10.0.0.0/8 8.8.8.0/24",
			hosts: 3702258432 - 256, excluded: 1<<24 + 256, blocklisted: 592708864 - 1<<24},
		{name: "a private /8 named", targets: "10.0.0.0/8", hosts: 1 << 24},
		{name: "the lab, inside a block", targets: "198.18.0.0/16 198.19.0.0/24 127.0.0.1", hosts: 65536 + 256 + 1},
		{name: "a /8 around the lab", targets: "198.0.0.0/8", exclude: "198.18.0.0/16",
			hosts: 1<<24 - 131072 - 256, excluded: 65536, blocklisted: 65536 + 256},
		{name: "a block of the caller's", targets: "1.0.0.0/8", blocklist: "1.2.3.0/24 1.2.3.4", hosts: 1<<24 - 256, blocklisted: 256},
		{name: "a block of the caller's alone", targets: "198.0.0.0/8", blocklist: "198.1.0.0/16", noDefault: true,
			hosts: 1<<24 - 65536, blocklisted: 65536},
		{name: "overlapping targets and excludes", targets: "1.0.0.0/24 1.0.0.128/25 1.0.0.0-1.0.1.9", exclude: "1.0.0.0/30 1.0.0.2-1.0.0.5 9.9.9.9",
			hosts: 266 - 6, excluded: 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config(t, tt.targets, "80")
			var err error
			if cfg.Exclude, err = target.ParseTargets(strings.Fields(tt.exclude)); err != nil {
				t.Fatal(err)
			}
			if cfg.Blocklist, err = target.ParseTargets(strings.Fields(tt.blocklist)); err != nil {
				t.Fatal(err)
			}
			cfg.NoDefaultBlocklist = tt.noDefault
			p, err := Prepare(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if p.Space.Hosts() != tt.hosts || p.Excluded != tt.excluded || p.Blocklisted != tt.blocklisted {
				t.Errorf("%d hosts, %d excluded, %d blocklisted; want %d, %d, %d",
					p.Space.Hosts(), p.Excluded, p.Blocklisted, tt.hosts, tt.excluded, tt.blocklisted)
			}
			if sum := p.Space.Hosts() + p.Excluded + p.Blocklisted; sum != target.Count(cfg.Targets) {
				t.Errorf("hosts + excluded + blocklisted = %d, want %d", sum, target.Count(cfg.Targets))
			}
		})
	}
}

// TestEverythingBlocklisted: a sweep with nothing left but reserved space
// is a configuration error that names the blocklist, not the excludes.
func TestEverythingBlocklisted(t *testing.T) {
	cfg := config(t, "224.0.0.0/3", "80")
	_, err := Prepare(cfg)
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Field != "Blocklist" || !errors.Is(err, target.ErrEmpty) {
		t.Errorf("Prepare(224.0.0.0/3): %v, want a *ConfigError for Blocklist", err)
	}
	cfg.Exclude = cfg.Targets
	if _, err := Prepare(cfg); !errors.As(err, &ce) || ce.Field != "Targets" {
		t.Errorf("Prepare(224.0.0.0/3 excluded): %v, want a *ConfigError for Targets", err)
	}
	cfg.Exclude, cfg.NoDefaultBlocklist = nil, true
	if p, err := Prepare(cfg); err != nil || p.Space.Hosts() != 1<<29 {
		t.Errorf("Prepare(224.0.0.0/3) without the default list: %v", err)
	}
}

// TestDryRunAsNew checks that DryRun chooses the send path, source and
// interface that New opens, for each method, on loopback. Nothing is
// sent: the scans are closed without running.
func TestDryRunAsNew(t *testing.T) {
	spec, _ := listeners(t, 1)
	for _, m := range []Method{Auto, Frames, RawSocket, Connect} {
		t.Run(m.String(), func(t *testing.T) {
			cfg := config(t, "127.0.0.1", spec)
			cfg.Method = m
			dry, dryErr := DryRun(cfg)
			s, err := New(cfg)
			if err == nil {
				defer s.Close()
			}
			var fe *FramesError
			switch {
			case m == Frames:
				if !errors.As(err, &fe) || !errors.As(dryErr, &fe) {
					t.Fatalf("frames to loopback: New %v, DryRun %v; want *FramesError from both", err, dryErr)
				}
				return
			case errors.Is(err, ErrPrivilege):
				if !errors.Is(dryErr, ErrPrivilege) {
					t.Fatalf("New: %v; DryRun: %v, want ErrPrivilege too", err, dryErr)
				}
				return
			case err != nil || dryErr != nil:
				t.Fatalf("New: %v; DryRun: %v", err, dryErr)
			}
			got := s.Plan()
			if dry.Method != got.Method || dry.Interface != got.Interface || dry.Source != got.Source || dry.Rate != got.Rate ||
				(dry.Fallback == nil) != (got.Fallback == nil) || errors.Is(dry.Fallback, ErrPrivilege) != errors.Is(got.Fallback, ErrPrivilege) {
				t.Errorf("DryRun: %v on %q from %v at %v/s (%v)\nNew:    %v on %q from %v at %v/s (%v)",
					dry.Method, dry.Interface, dry.Source, dry.Rate, dry.Fallback, got.Method, got.Interface, got.Source, got.Rate, got.Fallback)
			}
			if dry.Method == Auto || dry.Space.Len() != got.Space.Len() || dry.Blocklisted != 0 {
				t.Errorf("DryRun plan %+v", dry)
			}
		})
	}
}
