package scan

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/trawlscan/trawl/internal/lab"
	"github.com/trawlscan/trawl/internal/netio"
)

// TestPlanTwoRoutes plans scans, in a lab with two links, of targets
// behind both: each way out is a Route of the plan, the probes go through
// the raw socket and the capture is on every interface; an interface or
// source address given against the routes, or frames, are refused before
// anything is opened.
func TestPlanTwoRoutes(t *testing.T) {
	l := lab.Start(t, lab.Config{Second: netip.MustParsePrefix("198.18.1.0/24")})
	plan := func(cfg Config) (p Plan, err error) {
		l.InScan(t, func() error {
			p, err = DryRun(cfg)
			return nil
		})
		return p, err
	}
	one, two := l.ScanInterface(), l.SecondInterface()

	p, err := plan(config(t, "198.18.0.0/23 198.18.3.0/24", "80"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"198.18.0.0/24 and 1 more by " + one + " from 198.19.0.1", "198.18.1.0/24 by " + two + " from 198.19.2.1"}
	if len(p.Routes) != 2 || p.Routes[0].String() != want[0] || p.Routes[1].String() != want[1] {
		t.Errorf("routes %v, want %q", p.Routes, want)
	}
	if p.Method != RawSocket && p.Method != Connect || p.Method == RawSocket && (p.Interface != netio.AllInterfaces || p.Source != lab.ScanAddr) {
		t.Errorf("method %v, interface %q, source %v: want the raw socket, every interface, and the first route's source", p.Method, p.Interface, p.Source)
	}
	if p.Method == RawSocket && (p.Fallback == nil || !strings.Contains(p.Fallback.Error(), "2 routes")) {
		t.Errorf("fallback %v, want frames declined for the 2 routes", p.Fallback)
	}

	// Only the first link's targets: one route, as before.
	if p, err := plan(config(t, "198.18.0.0/24", "80")); err != nil || len(p.Routes) != 1 || p.Routes[0].Interface != one {
		t.Errorf("one link: routes %v, %v", p.Routes, err)
	}

	for _, c := range []struct {
		name  string
		set   func(*Config)
		field string
	}{
		{"interface", func(c *Config) { c.Interface = one }, "Interface"},
		{"source", func(c *Config) { c.Source = lab.SecondScanAddr }, "Source"},
		{"both", func(c *Config) { c.Interface, c.Source = two, lab.SecondScanAddr }, "Interface"},
	} {
		cfg := config(t, "198.18.0.0/23", "80")
		c.set(&cfg)
		_, err := plan(cfg)
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != c.field || !strings.Contains(err.Error(), "198.18.0.0/24") || !strings.Contains(err.Error(), "198.18.1.0/24") {
			t.Errorf("%s given: %v; want a ConfigError of %s naming both routes", c.name, err, c.field)
		}
	}
	cfg := config(t, "198.18.0.0/23", "80")
	cfg.Method = Frames
	var fe *FramesError
	if _, err := plan(cfg); !errors.As(err, &fe) {
		t.Errorf("frames: %v, want a FramesError", err)
	}
}
