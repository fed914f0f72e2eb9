package scan

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"slices"

	"github.com/trawlscan/trawl/internal/engine"
	"github.com/trawlscan/trawl/internal/netio"
	"github.com/trawlscan/trawl/internal/route"
	"github.com/trawlscan/trawl/pkg/syncookie"
	"github.com/trawlscan/trawl/pkg/target"
)

// Sizes of the raw scan's machinery.
const (
	// captureBuffer is the capture's kernel ring. libpcap maps and touches
	// all of it, so it counts in full towards peak RSS (64 MiB measured as
	// 81 MB RSS); 8 MiB holds about 0.1 s of replies at 400k/s.
	captureBuffer = 8 << 20
	// batch is the sendmmsg batch; larger ones measured no faster.
	batch = 64
	// senderRate is what one sender reaches in the lab on 2 cores
	// (334-364k probes/s) with room to spare; above it a scan adds a
	// sender, up to maxSenders (2 reached 438-485k; 3 were no faster).
	senderRate = 200000
	maxSenders = 2
)

// rawScan adapts the engine to runner.
type rawScan struct {
	*engine.Engine
	closers []func()
	path    rawPath
}

// rawPath is how a raw scan sends and captures, decided before anything
// is opened.
type rawPath struct {
	src      netip.Addr // the probes' source address: the first route's
	iface    string     // the capture's interface, or netio.AllInterfaces
	method   Method     // Frames or RawSocket
	declined error      // why not Frames, with Auto
	// With Frames, the interface to send on and the gateways' MACs, for
	// IPv4 and for IPv6 targets.
	frameIf           string
	nextHop, nextHop6 net.HardwareAddr
	// The ways out (see Plan.Routes); srcs, their source addresses, src
	// first; and, with more than one, each target block's, for the
	// engine; and the raw sockets' addresses, for IPv4 and IPv6, each
	// the family's one source, or the unspecified address if it has
	// several, so that no source address steers the kernel's routing
	// (policy rules), or the zero Addr if it has none.
	routes       []Route
	srcs         []netip.Addr
	sources      []engine.SourceFrom
	bind4, bind6 netip.Addr
}

// bindTo returns the address to bind the raw socket of IPv4 if v4, else
// IPv6, to for sending from srcs: the family's one source address, its
// unspecified address if srcs has several, or the zero Addr if none.
func bindTo(srcs []netip.Addr, v4 bool) netip.Addr {
	var bind netip.Addr
	for _, a := range srcs {
		switch {
		case a.Is4() != v4:
		case bind.IsValid() && v4:
			return netip.IPv4Unspecified()
		case bind.IsValid():
			return netip.IPv6Unspecified()
		default:
			bind = a
		}
	}
	return bind
}

func (r *rawScan) progress() Progress {
	s := r.Stats()
	return Progress{Total: s.Total, Position: s.Position, Pass: s.Pass, Sent: s.Sent, Replies: s.Replies,
		Open: s.Open, Closed: s.Closed, Filtered: s.Unreachable + s.Silent, Unreachable: s.Unreachable, Invalid: s.Invalid, Late: s.Late,
		Dropped: s.Dropped, Failed: s.SendFailed, Rate: s.Rate, AnswerRatio: s.Ratio}
}

func (r *rawScan) scaleRate(f float64) { r.ScaleRate(f) }

func (r *rawScan) rateHistory() []RatePoint {
	var h []RatePoint
	for _, p := range r.RateHistory() {
		h = append(h, RatePoint(p))
	}
	return h
}

func (r *rawScan) close() {
	for _, c := range r.closers {
		c()
	}
	r.closers = nil
}

// choosePath decides how a raw SYN scan of p sends, by frames or through
// the raw socket as cfg.Method allows (see framesTo), from which source
// addresses, and where it captures (see routesOut). It reads the kernel's
// route and neighbour tables and opens nothing, so New and DryRun decide
// alike.
func choosePath(cfg *Config, p Plan) (rawPath, error) {
	var path rawPath
	var err error
	if path.routes, path.sources, err = routesOut(cfg, p); err != nil {
		return path, err
	}
	ifaces := map[string]bool{}
	for _, r := range path.routes {
		if !slices.Contains(path.srcs, r.Source) {
			path.srcs = append(path.srcs, r.Source)
		}
		ifaces[r.Interface] = true
	}
	if len(path.srcs) > netio.MaxSources {
		return path, configErrorf("Targets", "their routes leave from %d source addresses; a scan takes at most %d", len(path.srcs), netio.MaxSources)
	}
	path.src, path.iface = path.srcs[0], path.routes[0].Interface
	if len(ifaces) > 1 {
		path.iface = netio.AllInterfaces
	}
	path.bind4, path.bind6 = bindTo(path.srcs, true), bindTo(path.srcs, false)
	if len(path.srcs) == 1 {
		path.sources = nil
	}
	path.method = RawSocket
	switch cfg.Method {
	case Portable:
		path.method = Portable
	case Auto, Frames:
		path.frameIf, path.nextHop, path.nextHop6, path.declined = framesFor(cfg, p, path.routes)
		switch {
		case path.declined == nil:
			path.method = Frames
		case cfg.Method == Frames:
			return path, &FramesError{Why: path.declined}
		}
	}
	return path, nil
}

// framesFor returns the interface and the gateways' MACs, for IPv4 and
// for IPv6 targets (nil for a family p has none of), to send p's probes
// to as frames (see framesTo), or why not: the targets must leave by one
// interface from one source address a family.
func framesFor(cfg *Config, p Plan, routes []Route) (iface string, hop4, hop6 net.HardwareAddr, err error) {
	for i, r := range routes {
		for _, o := range routes[:i] {
			if o.Interface != r.Interface || o.Source.Is4() == r.Source.Is4() {
				return "", nil, nil, fmt.Errorf("the targets leave by %d routes: %v, and %v", len(routes), o, r)
			}
		}
	}
	for _, v4 := range []bool{true, false} {
		first, ok := p.firstOf(v4)
		if !ok {
			continue
		}
		rt, rtErr := route.Get(first)
		fi, hw, err := framesTo(cfg, p, first, rt, rtErr)
		switch {
		case err != nil:
			return "", nil, nil, err
		case iface != "" && fi != iface:
			return "", nil, nil, fmt.Errorf("IPv4 targets leave by %s, IPv6 ones by %s", iface, fi)
		case v4:
			hop4 = hw
		default:
			hop6 = hw
		}
		iface = fi
	}
	return iface, hop4, hop6, nil
}

// openRaw opens the senders and the capture for a raw SYN scan of p, by
// frames or through the raw socket as choosePath decides, whose engine
// also reports to watch what it watches (nil for none).
func openRaw(cfg *Config, p Plan, watch engine.Watcher) (*rawScan, error) {
	path, err := choosePath(cfg, p)
	if err != nil {
		return nil, err
	}
	sport := cfg.SourcePort
	if sport == 0 {
		var b [2]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, err
		}
		sport = 61000 + binary.LittleEndian.Uint16(b[:])%4536
	}
	sc := &rawScan{path: path}
	var senders []*netio.Sender
	for range numSenders(cfg, p) {
		var s *netio.Sender
		switch path.method {
		case Frames:
			s, err = netio.OpenFrameSender(path.frameIf, path.nextHop, path.nextHop6, batch)
		case Portable:
			s, err = netio.OpenPortableSender(path.bind4, path.bind6, batch)
		default:
			s, err = netio.OpenSender(path.bind4, path.bind6, cfg.Interface, batch)
		}
		if err != nil {
			sc.close()
			return nil, err
		}
		senders = append(senders, s)
		sc.closers = append(sc.closers, func() { s.Close() })
	}
	capture, err := netio.OpenCapture(path.iface, path.srcs, sport, captureBuffer)
	if err != nil {
		sc.close()
		return nil, err
	}
	sc.closers = append(sc.closers, capture.Close)
	if sc.Engine, err = newEngine(cfg, p, path.src, path.sources, sport, senders, capture, watch); err != nil {
		sc.close()
		return nil, err
	}
	return sc, nil
}

// numSenders is Config.Senders, or by default one sender per senderRate
// of the rate, at most maxSenders.
func numSenders(cfg *Config, p Plan) int {
	if cfg.Senders > 0 {
		return cfg.Senders
	}
	if rate, _ := pacing(cfg, p); rate > 0 {
		// With RateAuto, rate is the most the scan may reach.
		return min(maxSenders, 1+int(rate/senderRate))
	}
	return maxSenders
}

// newEngine returns the engine for p that sends from src:sport, or,
// if sources is not empty, from each probe's source by destination,
// through senders and reads the replies from capture, under a new cookie
// key, and reports to watch what it watches.
func newEngine(cfg *Config, p Plan, src netip.Addr, sources []engine.SourceFrom, sport uint16, senders []*netio.Sender, capture netio.Capture, watch engine.Watcher) (*engine.Engine, error) {
	key, err := syncookie.NewKey()
	if err != nil {
		return nil, fmt.Errorf("cookie key: %w", err)
	}
	ecfg := engine.Config{
		Space: p.Space, Perm: target.NewPermutation(p.Space.Len(), p.Seed), Start: p.Start, End: p.End,
		Source: src, Sources: sources, SourcePort: sport, Key: key,
		Retries: cfg.Retries, Wait: cfg.Wait, Closed: cfg.Closed, Filtered: cfg.Filtered, Watch: watch, LockThreads: cfg.LockThreads,
	}
	ecfg.Rate, ecfg.Burst = pacing(cfg, p)
	ecfg.RateAuto = cfg.RateAuto
	return engine.New(ecfg, senders, capture)
}

// framesTo returns the interface and the gateway's MAC to send the probes
// to the targets of first's family as Ethernet frames, which skip the
// kernel's IP layer: 6-32% more probes/s in the lab. rt is the route to
// first, the family's first target, or rtErr why there is none. It
// returns an error saying why not when the raw socket must send them: no route, an Interface other than the route's, a
// non-Ethernet interface (loopback, tunnels), on-link targets (each has a
// MAC of its own), a route table that would send some target elsewhere
// (route.AllVia), or a gateway the kernel's neighbour table has no usable
// MAC for. Nothing is sent to resolve one; with the raw socket the kernel
// resolves it.
func framesTo(cfg *Config, p Plan, first netip.Addr, rt route.Route, rtErr error) (string, net.HardwareAddr, error) {
	if rtErr != nil {
		return "", nil, rtErr
	}
	switch {
	case cfg.Interface != "" && cfg.Interface != rt.Interface:
		return "", nil, fmt.Errorf("interface %s is not %s, the route's to %v", cfg.Interface, rt.Interface, first)
	case len(rt.HardwareAddr) != 6:
		return "", nil, fmt.Errorf("interface %s is not Ethernet", rt.Interface)
	case !rt.Gateway.IsValid():
		return "", nil, fmt.Errorf("%v is on-link on %s, with no gateway", first, rt.Interface)
	}
	var ranges []target.Range
	for _, r := range p.Space.Ranges() {
		if r.Is4() == first.Is4() {
			ranges = append(ranges, r)
		}
	}
	if err := route.AllVia(ranges, rt.Index, rt.Gateway); err != nil {
		return "", nil, err
	}
	hw, err := route.Neighbour(rt.Index, rt.Gateway)
	if err != nil {
		return "", nil, fmt.Errorf("gateway %v on %s: %w", rt.Gateway, rt.Interface, err)
	}
	return rt.Interface, hw, nil
}
