package cli

import (
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/spf13/pflag"

	"github.com/trawlscan/trawl/internal/banner"
	"github.com/trawlscan/trawl/pkg/result"
	"github.com/trawlscan/trawl/pkg/scan"
)

// options are the parsed command line.
type options struct {
	ports        string
	rate         float64
	rateSet      bool
	rateAuto     bool
	maxRate      float64
	maxRateSet   bool
	retries      int
	wait         time.Duration
	inputLists   []string
	excludes     []string
	excludeFiles []string
	blocklists   []string
	noBlocklist  bool
	dryRun       bool
	shard        string
	shards       int
	seed         string
	connect      bool
	iface        string
	sendEth      bool
	sendIP       bool
	sendPortable bool
	sourceIP     netip.Addr
	sourcePort   int
	outputs      []output
	showClosed   bool
	showFiltered bool
	dropSuspect  bool
	metadataFile string
	quiet        bool
	statusJSON   bool
	version      bool
	senders      int
	resume       string
	resumeFile   string
	concurrency  int
	timeout      time.Duration
	banners      bool
	bannerConc   int
	bannerWait   time.Duration
	probesFile   string
	rest         []string

	// Set by resumeOptions, not by flags.
	resumeFrom uint64   // first permutation position still to send
	stateArgs  []string // the arguments a saved state repeats
}

// flagGroups orders --help the way masscan's documentation groups options.
var flagGroups = []struct {
	title string
	flags []string
}{
	{"Targets and ports", []string{"ports", "input-list", "exclude", "excludefile", "blocklist-file", "no-default-blocklist"}},
	{"Speed and accuracy", []string{"rate", "retries", "wait", "senders"}},
	{"Outputs", []string{"output-list", "output-json", "output-ndjson", "output-xml", "output-grepable", "show", "drop-suspect", "metadata-file", "quiet", "status-json"}},
	{"Distributed and resumed scans", []string{"shard", "shards", "seed", "resume", "resume-file"}},
	{"Network", []string{"interface", "source-ip", "source-port", "send-eth", "send-ip", "send-portable"}},
	{"Services (what answers an open port)", []string{"banners", "banner-concurrency", "banner-timeout", "service-probes"}},
	{"Unprivileged (connect) scans", []string{"connect", "concurrency", "timeout"}},
	{"Information", []string{"dry-run", "help", "version"}},
}

// parseArgs parses args into options. Positional arguments are in
// opts.rest.
func parseArgs(args []string, stderr io.Writer) (*options, *pflag.FlagSet, error) {
	o := &options{wait: 2 * time.Second, timeout: time.Second, bannerWait: banner.DefaultTotal}
	fs := pflag.NewFlagSet("trawl", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.SortFlags = false

	fs.StringVarP(&o.ports, "ports", "p", "", "ports to scan: 80, 1-1024, 22,80,8000-8100 (required)")
	fs.StringArrayVar(&o.inputLists, "input-list", nil, "read targets from `FILE` (- for stdin); also -iL")
	fs.StringArrayVar(&o.excludes, "exclude", nil, "never probe these targets (addresses, CIDRs, ranges)")
	fs.StringArrayVar(&o.excludeFiles, "excludefile", nil, "never probe the targets listed in `FILE`")
	fs.StringArrayVar(&o.blocklists, "blocklist-file", nil, "also skip the blocks listed in `FILE` (ZMap's format: a CIDR or an address a line, # comments)")
	fs.BoolVar(&o.noBlocklist, "no-default-blocklist", false, "probe reserved space too: by default a target skips each IANA special-purpose block it strictly contains")

	fs.Var(rateValue{&o.rate, &o.rateSet, &o.rateAuto}, "rate", "probes per second, e.g. 100000 or 100k (default: unlimited on loopback, else 10000 after a 10000-probe burst); auto or auto:MAX finds the rate the network carries")
	fs.Var(rateValue{&o.maxRate, &o.maxRateSet, nil}, "max-rate", "the most probes per second: the rate itself (masscan's name), or the most that --rate auto goes to")
	_ = fs.MarkHidden("max-rate")
	fs.IntVar(&o.retries, "retries", 0, "send each unanswered probe up to `N` more times")
	fs.Var(waitValue{&o.wait}, "wait", "how long to wait for replies after the last probe (2s, 500ms, or seconds)")
	fs.IntVar(&o.senders, "senders", 0, "sending goroutines, each with its own socket and thread (default: one per 200k probes/s, at most 2)")

	outs := []struct{ name, help string }{
		{"output-list", "write masscan's list format to `FILE` (-oL)"},
		{"output-json", "write a JSON array to `FILE` (-oJ)"},
		{"output-ndjson", "write one JSON object per line to `FILE` (-oD)"},
		{"output-xml", "write nmap-style XML to `FILE` (-oX)"},
		{"output-grepable", "write nmap's grepable format to `FILE` (-oG)"},
	}
	for _, out := range outs {
		fs.Var(outputValue{format: formatFor[out.name], list: &o.outputs}, out.name, out.help)
	}
	fs.Var(showValue{&o.showClosed, &o.showFiltered}, "show", "also report `closed` ports, filtered ones (ICMP unreachable, or no answer after every try), or both: closed,filtered")
	fs.BoolVar(&o.dropSuspect, "drop-suspect", false, "leave out the open ports of hosts that answer nearly every port (SYN proxies, tarpits); by default they are marked suspect")
	fs.StringVar(&o.metadataFile, "metadata-file", "", "write the scan's metadata and counters to `FILE` as one JSON document when it ends, however it ends")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "print no progress and no summary")
	fs.BoolVar(&o.statusJSON, "status-json", false, "print progress as one JSON object per second on stderr")

	fs.StringVar(&o.shard, "shard", "", "scan only slice `I/N` of the target space (1-based), or auto (Kubernetes Indexed Job); needs --seed")
	fs.IntVar(&o.shards, "shards", 0, "the number of shards for --shard auto (else $TRAWL_SHARDS)")
	fs.StringVar(&o.seed, "seed", "", "seed for the probe order; the same seed gives the same order (default random)")
	fs.StringVar(&o.resume, "resume", "", "continue the scan saved in `FILE` and append to its outputs")
	fs.StringVar(&o.resumeFile, "resume-file", "paused.conf", "where to save the scan's state for --resume")

	fs.StringVarP(&o.iface, "interface", "e", "", "send and capture on this interface (default: the route's)")
	fs.Var(addrValue{&o.sourceIP}, "source-ip", "source address of the probes (default: the route's)")
	fs.IntVar(&o.sourcePort, "source-port", 0, "source port of the probes (default: random in 61000-65535)")
	fs.BoolVar(&o.sendEth, "send-eth", false, "send Ethernet frames to the gateway's MAC, or fail saying why not (default: when the kernel routes every target through one gateway whose MAC it knows)")
	fs.BoolVar(&o.sendIP, "send-ip", false, "send through raw IPv4 and IPv6 sockets, so that the kernel routes every probe, the firewall's output rules apply and tcpdump sees the probes")
	fs.BoolVar(&o.sendPortable, "send-portable", false, "send through the portable raw sockets of golang.org/x/net, one packet a call, as on systems other than Linux (slower; for testing that path)")

	fs.BoolVar(&o.connect, "connect", false, "scan with connect() instead of raw SYNs (the fallback without CAP_NET_RAW)")
	fs.IntVar(&o.concurrency, "concurrency", 0, "connect() scans: connections in flight (default: from the file limit)")
	fs.Var(waitValue{&o.timeout}, "timeout", "connect() scans: timeout per connection")

	fs.BoolVar(&o.banners, "banners", false, "connect again to each open port and name its service from the server's greeting, its answers to nmap's probes and its TLS certificate, as nmap -sV does; also -sV")
	fs.IntVar(&o.bannerConc, "banner-concurrency", 0, "--banners: open ports probed at once (default 256, less if the file limit is low)")
	fs.Var(waitValue{&o.bannerWait}, "banner-timeout", "--banners: the most time spent on one port")
	fs.StringVar(&o.probesFile, "service-probes", "", "--banners: nmap's probe database to use (default "+scan.DefaultServiceProbes+", else a small built-in set)")

	fs.BoolVar(&o.dryRun, "dry-run", false, "send nothing: print the plan (probes, send path, time at the rate) as JSON and exit")
	fs.BoolVar(&o.dryRun, "dryrun", false, "same as --dry-run (ZMap's spelling)")
	_ = fs.MarkHidden("dryrun")
	help := fs.BoolP("help", "h", false, "show this help")
	fs.BoolVarP(&o.version, "version", "V", false, "print the version")

	if err := fs.Parse(normalize(args)); err != nil {
		return nil, fs, err
	}
	if *help {
		return nil, fs, pflag.ErrHelp
	}
	o.rest = fs.Args()
	return o, fs, check(o)
}

// check validates the flags that parse but may be out of range.
func check(o *options) error {
	switch {
	case o.sourcePort < 0 || o.sourcePort > 65535:
		return fmt.Errorf("--source-port %d: must be 1-65535", o.sourcePort)
	case o.shards < 0:
		return fmt.Errorf("--shards %d: must be 1 or more", o.shards)
	case btoi(o.sendEth)+btoi(o.sendIP)+btoi(o.sendPortable) > 1:
		return fmt.Errorf("--send-eth, --send-ip and --send-portable: give one of them")
	case !o.banners && (o.bannerConc != 0 || o.bannerWait != banner.DefaultTotal || o.probesFile != ""):
		return fmt.Errorf("--banner-concurrency, --banner-timeout and --service-probes need --banners")
	case o.connect && (o.sendEth || o.sendIP || o.sendPortable):
		return fmt.Errorf("--connect with --send-eth, --send-ip or --send-portable: a connect() scan sends no raw packets")
	}
	for _, out := range o.outputs {
		if out.format == result.FormatInvalid {
			return fmt.Errorf("unknown output format for %q", out.path)
		}
	}
	return nil
}

// btoi returns 1 for true and 0 for false.
func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
