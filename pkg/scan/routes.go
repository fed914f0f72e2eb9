package scan

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/trawlscan/trawl/internal/engine"
	"github.com/trawlscan/trawl/internal/route"
	"github.com/trawlscan/trawl/pkg/target"
)

// Route is one way out of a raw scan: the probes to Targets leave by
// Interface, from Source, as the kernel routes them (or as
// Config.Interface and Config.Source say).
type Route struct {
	// Targets are the target blocks that leave this way, in order.
	Targets []target.Range
	// Interface is the outgoing interface, and Source the probes' source
	// address.
	Interface string
	Source    netip.Addr
}

// String describes r as "198.18.1.0/24 by eth1 from 198.19.2.1", naming
// its first target block and how many more it has ("198.18.0.0/24 and 2
// more by ...").
func (r Route) String() string {
	s := "no targets"
	if len(r.Targets) > 0 {
		s = r.Targets[0].String()
	}
	if len(r.Targets) > 1 {
		s += fmt.Sprintf(" and %d more", len(r.Targets)-1)
	}
	return fmt.Sprintf("%s by %s from %v", s, r.Interface, r.Source)
}

// routesOut splits p's targets by the kernel's routes (route.Split) into
// the ways out of a raw scan, one per source address and interface, in
// the order of their first targets, and returns them with each target
// block's source address for the engine.
//
// Config.Interface and Config.Source replace every route's, as the raw
// socket bound to them makes the kernel send; but where the routes
// themselves leave by several interfaces, or from several addresses, the
// one given would send some probes a way their replies do not come back,
// and routesOut fails with a *ConfigError naming two such routes. So it
// does for a route with no address to send from, or one that spreads a
// destination's packets over several interfaces (route.ErrSpread), unless
// Config says which. With both given, a scan needs no route at all.
// Targets without a route are left to the kernel, which refuses their
// probes (Progress.Failed).
func routesOut(cfg *Config, p Plan) ([]Route, []engine.SourceFrom, error) {
	// both: Config gives the interface, and a source of every target's
	// family.
	both := cfg.Interface != "" && cfg.Source.IsValid() && (cfg.Source.Is4() && !p.Space.Has6() || cfg.Source.Is6() && !p.Space.Has4())
	spans, err := route.Split(p.Space.Ranges())
	switch {
	case err != nil && both:
		// Routing is the caller's: one way, whatever the tables say.
		return []Route{{Targets: p.Space.Ranges(), Interface: cfg.Interface, Source: cfg.Source}}, nil, nil
	case errors.Is(err, route.ErrSpread):
		return nil, nil, configErrorf("Interface", "%w; give both the interface and the source address to send by", err)
	case err != nil:
		return nil, nil, fmt.Errorf("find the source address and interface for %v: %w", p.first(), err)
	}
	if err := contradicts(cfg, spans); err != nil {
		return nil, nil, err
	}
	var routes []Route
	var steps []engine.SourceFrom
	for _, s := range spans {
		switch {
		case errors.Is(s.Err, route.ErrNoRoute):
			continue
		case errors.Is(s.Err, route.ErrNoSource) && !sourceFor(cfg, s.Range):
			return nil, nil, configErrorf("Source", "targets %v leave by %s, which has no %s address to send from; give a source address", s.Range, s.Route.Interface, family(s.Range))
		case errors.Is(s.Err, route.ErrSpread) && cfg.Interface == "":
			return nil, nil, configErrorf("Interface", "targets %v: %w; name the interface to send by", s.Range, s.Err)
		}
		src, iface := s.Route.Source, s.Route.Interface
		if sourceFor(cfg, s.Range) {
			src = cfg.Source
		}
		if cfg.Interface != "" {
			iface = cfg.Interface
		}
		i := 0
		for i < len(routes) && (routes[i].Source != src || routes[i].Interface != iface) {
			i++
		}
		if i == len(routes) {
			routes = append(routes, Route{Interface: iface, Source: src})
		}
		routes[i].Targets = append(routes[i].Targets, s.Range)
		if n := len(steps); n == 0 || steps[n-1].Source != src {
			steps = append(steps, engine.SourceFrom{First: s.Range.First, Source: src})
		}
	}
	switch {
	case len(routes) > 0:
		return routes, steps, nil
	case both:
		return []Route{{Targets: p.Space.Ranges(), Interface: cfg.Interface, Source: cfg.Source}}, nil, nil
	}
	return nil, nil, fmt.Errorf("find the source address and interface for %v (set them to scan without a route): %w", p.first(), route.ErrNoRoute)
}

// contradicts returns a *ConfigError if Config.Interface or Config.Source
// is given while the targets' own routes leave by several interfaces, or
// from several source addresses, naming two of those routes.
func contradicts(cfg *Config, spans []route.Span) error {
	var byIface, bySrc *route.Span
	for i := range spans {
		s := &spans[i]
		if errors.Is(s.Err, route.ErrNoRoute) {
			continue
		}
		if cfg.Interface != "" {
			if byIface == nil {
				byIface = s
			} else if s.Route.Interface != byIface.Route.Interface {
				return configErrorf("Interface", "%s: the targets leave by more than one interface: %s, and %s; leave the interface to the routes, or scan them apart",
					cfg.Interface, describe(*byIface), describe(*s))
			}
		}
		if sourceFor(cfg, s.Range) && s.Route.Source.IsValid() {
			if bySrc == nil {
				bySrc = s
			} else if s.Route.Source != bySrc.Route.Source {
				return configErrorf("Source", "%v: the targets' routes have more than one source address: %s, and %s; leave the source address to the routes, or scan them apart",
					cfg.Source, describe(*bySrc), describe(*s))
			}
		}
	}
	return nil
}

// sourceFor reports whether Config.Source is the source for targets r:
// given, and of r's family.
func sourceFor(cfg *Config, r target.Range) bool {
	return cfg.Source.IsValid() && cfg.Source.Is4() == r.Is4()
}

// family returns "IPv4" or "IPv6", r's family.
func family(r target.Range) string {
	if r.Is4() {
		return "IPv4"
	}
	return "IPv6"
}

// describe names the route of s as Route.String does.
func describe(s route.Span) string {
	src := "no address"
	if s.Route.Source.IsValid() {
		src = s.Route.Source.String()
	}
	via := ""
	if s.Route.Gateway.IsValid() {
		via = " via " + s.Route.Gateway.String()
	}
	return fmt.Sprintf("%v%s by %s from %s", s.Range, via, s.Route.Interface, src)
}
