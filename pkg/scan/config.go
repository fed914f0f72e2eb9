package scan

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"net/netip"
	"slices"
	"time"

	"github.com/trawlscan/trawl/internal/netio"
	"github.com/trawlscan/trawl/pkg/target"
)

// Defaults for Config's zero values.
const (
	// DefaultRate is the rate, in probes per second, of a scan of anything
	// but loopback when Config.Rate is 0: about ZMap's default, far above
	// masscan's 100/s, so that a large sweep does not flood a network by
	// surprise. Loopback scans are not paced (there is no network to flood).
	DefaultRate = 10000
	// DefaultBurst is how many probes go at full speed first when the rate
	// is the default, so that a small scan (a /24 × 40 ports, a host ×
	// 1-10000) finishes as fast as nmap's.
	DefaultBurst = 10000
	// DefaultWait is how long a scan waits for replies after its last
	// probe when Config.Wait is 0.
	DefaultWait = 2 * time.Second
)

// ErrPrivilege means a raw socket or the capture could not be opened for
// lack of privilege (CAP_NET_RAW). New returns it, wrapped, when Method is
// Frames or RawSocket; with Auto it falls back to Connect instead.
var ErrPrivilege = netio.ErrPrivilege

// Method is how probes leave the machine. The zero value is Auto.
type Method uint8

// The send paths.
const (
	// Auto sends Frames when that is safe, else through a RawSocket, and
	// falls back to Connect when raw sockets are not permitted.
	Auto Method = iota
	// Frames sends each probe as an Ethernet frame to the gateway's MAC on
	// a packet socket, skipping the kernel's routing, firewall output rules
	// and packet taps. It needs every target routed through one gateway on
	// Ethernet, with its MAC in the kernel's neighbour table.
	Frames
	// RawSocket sends through raw IPv4 and IPv6 sockets: the kernel routes
	// every probe and the firewall's output rules apply.
	RawSocket
	// Connect completes a TCP handshake through the kernel for each probe.
	// It needs no privilege, and reports no TTL.
	Connect
	// Portable sends through golang.org/x/net's raw IPv4 and IPv6
	// sockets, a packet a call, as RawSocket does on systems other than
	// Linux; on Linux it is there to be tested, and slower than RawSocket.
	Portable
)

// String returns "auto", "frames", "raw", "connect" or "portable".
func (m Method) String() string {
	switch m {
	case Auto:
		return "auto"
	case Frames:
		return "frames"
	case RawSocket:
		return "raw"
	case Connect:
		return "connect"
	case Portable:
		return "portable"
	}
	return fmt.Sprintf("Method(%d)", uint8(m))
}

// Config describes one scan. The zero value of every optional field means
// its default.
type Config struct {
	// Targets are the addresses to probe. Required.
	Targets []target.Range
	// Exclude are addresses never to probe, even inside Targets.
	Exclude []target.Range
	// Blocklist are blocks to skip as well as target.DefaultBlocklist's.
	// A block is removed only from a target range that strictly contains
	// it, so a target that is a block, or lies inside one, is scanned as
	// given (see target.Blocked).
	Blocklist []target.Range
	// NoDefaultBlocklist turns target.DefaultBlocklist off, leaving only
	// Blocklist. The zero value skips IANA's special-purpose space.
	NoDefaultBlocklist bool
	// Ports are the TCP ports to probe on every target. Required.
	Ports target.Ports

	// Rate is the most probes per second, retries included. Zero means
	// DefaultRate after DefaultBurst at full speed, or no pacing at all
	// when every target is in 127.0.0.0/8; math.Inf(1) means as fast as
	// the senders go.
	Rate float64
	// RateAuto finds the rate from what the network answers (--rate
	// auto): a raw scan starts at 10,000 probes/s and climbs while the
	// share of probes answered holds against the level it learned at low
	// rates, backing off when it falls or the capture drops replies; Rate,
	// if not 0 or +Inf, is then the most it goes to. A connect() scan,
	// whose concurrency already adapts, uses Rate or the default.
	RateAuto bool
	// Burst is how many probes may go at once, at the start or after a
	// stall, before pacing holds to Rate. Zero means 10 ms worth.
	Burst int
	// Retries is how many more times an unanswered probe is sent.
	Retries int
	// Wait is how long to wait for replies after the last probe; zero
	// means DefaultWait.
	Wait time.Duration

	// Shard is the slice of the permutation this scan probes; the zero
	// value means all of it. Shards of more than one need FixedSeed.
	Shard target.Shard
	// Seed orders the probes when FixedSeed is set: scans with the same
	// seed, targets and ports probe in the same order. Without FixedSeed
	// the scan picks a random seed, which Plan reports.
	Seed      uint64
	FixedSeed bool
	// Resume is the permutation position to start from, as Scan.Resume
	// returned it for an earlier run with the same seed and shard. Zero
	// means the shard's start.
	Resume uint64

	// Method is how probes leave; the zero value is Auto.
	Method Method
	// Interface sends and captures on this interface; empty means the
	// route's to the first target.
	Interface string
	// Source is the source address of the probes to targets of its
	// family, IPv4 or IPv6; the zero Addr, and for targets of the other
	// family any Addr, means their routes' (for Connect, the kernel's
	// choice).
	Source netip.Addr
	// SourcePort is the probes' source port; zero means a random one in
	// 61000-65535.
	SourcePort uint16
	// Senders is how many goroutines send, each with its own socket; zero
	// means one per 200,000 probes/s of Rate, at most two.
	Senders int
	// LockThreads locks each sender to an OS thread and sets the
	// process-wide GOMAXPROCS to one per sender plus one while Run runs,
	// restoring it after: 15-20% faster on two cores. False leaves the
	// runtime alone.
	LockThreads bool

	// Closed reports closed ports as well as open ones.
	Closed bool
	// Filtered reports filtered ports as well as open ones: those an ICMP
	// unreachable answered, and those still silent after every try (for
	// raw scans, Wait after the last one), one result per probe.
	Filtered bool

	// NoSuspectCheck turns off the check for hosts that answer nearly
	// every port with a SYN-ACK (SYN proxies, tarpits, firewalls
	// answering for a host). By default, when the scan probes each host
	// on SuspectSample ports or more, a host with SuspectOpen SYN-ACKs
	// among its first SuspectSample resolved probes is suspect: its open
	// results carry result.Result.Suspect, and each host's open results
	// are held back from its first SYN-ACK until it is decided.
	NoSuspectCheck bool
	// DropSuspect leaves the open results of suspect hosts out: they are
	// counted in Progress but not reported.
	DropSuspect bool

	// Concurrency is the most connections in flight for Connect; zero
	// means from the file limit, at most 1024.
	Concurrency int
	// Timeout is how long one connection may take for Connect before the
	// port counts as filtered; zero means one second.
	Timeout time.Duration

	// Services, if not nil, learns what serves each open port (--banners)
	// while the scan runs; see Services. Open results then reach Run's
	// out once their port has been probed, with result.Result.Service
	// set.
	Services *Services
}

// ConfigError is a Config that cannot be scanned. Nothing has been sent.
type ConfigError struct {
	// Field is the Config field at fault, such as "Seed".
	Field string
	// Err says what is wrong with it.
	Err error
}

func (e *ConfigError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// FramesError is New's error when Method is Frames and frames cannot be
// sent safely: the interface is not Ethernet, some target would be routed
// elsewhere, or the kernel knows no MAC for the gateway.
type FramesError struct {
	// Why names the condition that failed.
	Why error
}

func (e *FramesError) Error() string { return "cannot send frames: " + e.Why.Error() }
func (e *FramesError) Unwrap() error { return e.Why }

func configErrorf(field, format string, a ...any) error {
	return &ConfigError{Field: field, Err: fmt.Errorf(format, a...)}
}

// Plan is what a scan will probe and how, decided by New before anything
// is sent.
type Plan struct {
	// Space is every probe of the scan: targets × ports, minus excludes
	// and blocked addresses.
	Space *target.Space
	// Excluded counts the target addresses that Config.Exclude removed,
	// and Blocklisted those of the rest that the blocklist removed, so
	// Space.Hosts() + Excluded + Blocklisted is the number of distinct
	// addresses in Config.Targets.
	Excluded, Blocklisted uint64
	// Seed orders Space; Shard is the slice of it this scan probes.
	Seed  uint64
	Shard target.Shard
	// Start and End are the permutation positions of this run, [Start,
	// End): the shard's, from Config.Resume on.
	Start, End uint64
	// Method is the send path chosen: never Auto.
	Method Method
	// Fallback says why Method is not Auto's first choice: why frames were
	// declined (RawSocket), or why raw sockets could not be opened
	// (Connect). It is nil when the first choice held or Config asked for
	// a method.
	Fallback error
	// Loopback reports whether every target is in 127.0.0.0/8.
	Loopback bool
	// Interface is where Frames and RawSocket capture replies, and Source
	// the probes' source address: Config's, or those of the first route
	// (see Routes). With Connect, Interface is empty and Source is
	// Config.Source (the zero Addr lets the kernel choose); before the
	// method is chosen (Prepare with Auto), both are Config's.
	Interface string
	Source    netip.Addr
	// Routes are the ways out of a Frames or RawSocket scan, one per
	// source address and interface, in the order of their first targets:
	// each probe leaves by its target's route, from that route's source
	// address. With more than one, Method is RawSocket, Interface is the
	// first route's or, if they leave by several, "any" (the capture is
	// on every interface), and Source is the first route's. Nil for
	// Connect, and before the method is chosen.
	Routes []Route
	// Rate is the most probes per second that Method holds, retries
	// included, after its burst; 0 means unpaced. Before the method is
	// chosen (Prepare with Auto), it is the raw paths' rate. With
	// RateAuto it is the most the controller may set, 0 for no limit.
	Rate float64
	// RateAuto reports whether a raw scan finds its rate itself
	// (Config.RateAuto).
	RateAuto bool
	// SuspectCheck reports whether the scan checks for hosts that answer
	// every port: unless Config.NoSuspectCheck, when it probes each host
	// on SuspectSample ports or more on average.
	SuspectCheck bool
	// ServiceProbes names the probe database that Config.Services uses,
	// as New loaded it: its path, or "builtin" when ServiceProbesMissing
	// says that DefaultServiceProbes was not found. ServiceMatches counts
	// its match and softmatch lines, and ServiceSkipped those that use
	// PCRE that Go's regexp cannot express, which never match. All are
	// zero without Config.Services, and before New.
	ServiceProbes        string
	ServiceProbesMissing bool
	ServiceMatches       int
	ServiceSkipped       int
}

// Prepare checks cfg and returns the plan that New would follow, opening
// nothing and sending nothing: its Method is cfg.Method, still Auto if
// that was asked. Every error is a *ConfigError.
func Prepare(cfg Config) (Plan, error) {
	return plan(&cfg)
}

// plan checks cfg and decides what to probe.
func plan(cfg *Config) (Plan, error) {
	switch {
	case len(cfg.Targets) == 0:
		return Plan{}, configErrorf("Targets", "no targets given")
	case cfg.Ports.Len() == 0:
		return Plan{}, configErrorf("Ports", "no ports given")
	case cfg.Rate < 0 || math.IsNaN(cfg.Rate):
		return Plan{}, configErrorf("Rate", "%v: must be more than 0", cfg.Rate)
	case cfg.Burst < 0:
		return Plan{}, configErrorf("Burst", "%d: must be 0 or more", cfg.Burst)
	case cfg.Retries < 0:
		return Plan{}, configErrorf("Retries", "%d: must be 0 or more", cfg.Retries)
	case cfg.Wait < 0:
		return Plan{}, configErrorf("Wait", "%v: must be 0 or more", cfg.Wait)
	case cfg.Senders < 0 || cfg.Senders > 64:
		return Plan{}, configErrorf("Senders", "%d: must be 1-64", cfg.Senders)
	case cfg.Concurrency < 0:
		return Plan{}, configErrorf("Concurrency", "%d: must be 1 or more", cfg.Concurrency)
	case cfg.Timeout < 0:
		return Plan{}, configErrorf("Timeout", "%v: must be 0 or more", cfg.Timeout)
	case cfg.Method > Portable:
		return Plan{}, configErrorf("Method", "%v: not a send path", cfg.Method)
	case cfg.DropSuspect && cfg.NoSuspectCheck:
		return Plan{}, configErrorf("DropSuspect", "needs the suspect check, which NoSuspectCheck turns off")
	case cfg.Source.IsValid() && (cfg.Source.Zone() != "" || cfg.Source.Is4In6()):
		return Plan{}, configErrorf("Source", "%v is not an IPv4 or IPv6 address", cfg.Source)
	case cfg.Shard != (target.Shard{}) && (cfg.Shard.Count < 1 || cfg.Shard.Index < 1 || cfg.Shard.Index > cfg.Shard.Count):
		return Plan{}, configErrorf("Shard", "%d/%d: want I/N with 1 <= I <= N", cfg.Shard.Index, cfg.Shard.Count)
	case cfg.Shard.Count > 1 && !cfg.FixedSeed:
		return Plan{}, configErrorf("Seed", "shard %v needs a fixed seed, so that every shard probes in the same order", cfg.Shard)
	}
	if err := checkServices(cfg.Services); err != nil {
		return Plan{}, err
	}
	blocks := cfg.Blocklist
	if !cfg.NoDefaultBlocklist {
		blocks = append(target.DefaultBlocklist(), blocks...)
	}
	blocked := target.Blocked(cfg.Targets, blocks)
	// With T the targets, E the excludes and B the blocked addresses, the
	// space holds T − E − B. The excludes remove |T| − |T − E|, and since
	// T − E and E are disjoint with union T ∪ E, |T − E| = |T ∪ E| − |E|:
	// counts of merged ranges, however many addresses they span. The
	// blocklist removes the rest, |T − E| − |T − E − B|.
	all := target.Count(cfg.Targets)
	kept := target.Count(slices.Concat(cfg.Targets, cfg.Exclude)) - target.Count(cfg.Exclude)
	space, err := target.NewSpace(cfg.Targets, slices.Concat(cfg.Exclude, blocked), cfg.Ports)
	switch {
	case err != nil && kept > 0 && errors.Is(err, target.ErrEmpty):
		return Plan{}, configErrorf("Blocklist", "%w: every target address is blocklisted (a block is skipped inside a target that strictly contains it; name the block itself to scan it)", target.ErrEmpty)
	case err != nil:
		field := "Targets"
		if cfg.Ports.Len() == 0 {
			field = "Ports"
		}
		return Plan{}, &ConfigError{Field: field, Err: err}
	}
	p := Plan{Space: space, Excluded: all - kept, Blocklisted: kept - space.Hosts(), Seed: cfg.Seed, Shard: cfg.Shard, Method: cfg.Method}
	if !cfg.FixedSeed {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return Plan{}, fmt.Errorf("random seed: %w", err)
		}
		p.Seed = binary.LittleEndian.Uint64(b[:])
	}
	p.Start, p.End = cfg.Shard.Bounds(space.Len())
	// Every counter of the scan (probes sent, retries included; positions
	// for --resume) fits in 64 bits: positions are below Space.Len() <=
	// 2^48, and sends at most (End-Start) × (Retries+1).
	if hi, _ := bits.Mul64(p.End-p.Start, uint64(cfg.Retries)+1); hi != 0 {
		return Plan{}, configErrorf("Retries", "%d: %d probes × %d tries overflow the scan's counters", cfg.Retries, p.End-p.Start, cfg.Retries+1)
	}
	if cfg.Resume != 0 {
		if cfg.Resume < p.Start || cfg.Resume > p.End {
			return Plan{}, configErrorf("Resume", "position %d is outside this scan's [%d, %d)", cfg.Resume, p.Start, p.End)
		}
		p.Start = cfg.Resume
	}
	p.Loopback = true
	for _, r := range space.Ranges() {
		if !r.First.Netip().IsLoopback() || !r.Last.Netip().IsLoopback() {
			p.Loopback = false
		}
	}
	p.Interface, p.Source = cfg.Interface, cfg.Source
	p.SuspectCheck = checksSuspects(cfg, p)
	p.Rate, _ = pacing(cfg, p)
	p.RateAuto = cfg.RateAuto
	if cfg.Method == Connect {
		p.Rate, p.RateAuto = connectRate(cfg), false
	}
	return p, nil
}

// first returns the first target address of p, whose route decides the
// source address, the interface and the send path.
func (p Plan) first() netip.Addr { return p.Space.Ranges()[0].First.Netip() }

// firstOf returns the first target address of p of the family of IPv4
// if v4, else of IPv6, and false if p has none.
func (p Plan) firstOf(v4 bool) (netip.Addr, bool) {
	for _, r := range p.Space.Ranges() {
		if r.Is4() == v4 {
			return r.First.Netip(), true
		}
	}
	return netip.Addr{}, false
}

// pacing returns the rate and burst for the engine: Config's, or the
// defaults, with 0 meaning unpaced.
func pacing(cfg *Config, p Plan) (rate float64, burst int) {
	switch {
	case math.IsInf(cfg.Rate, 1), cfg.RateAuto && cfg.Rate == 0:
		return 0, 0
	case cfg.Rate > 0:
		return cfg.Rate, cfg.Burst
	case p.Loopback:
		return 0, 0
	}
	return DefaultRate, DefaultBurst
}
