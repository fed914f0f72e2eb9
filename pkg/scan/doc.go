// Package scan runs a whole TCP port scan, as the trawl command does: it
// takes targets and ports, sends cookie-stamped SYNs through a raw socket
// (or, without CAP_NET_RAW, connects through the kernel), and reports each
// port's result as its reply arrives.
//
// # A scan in three steps
//
// New checks a Config, orders the probes and opens the sockets; nothing is
// sent yet. Run sends the probes and calls a function for every result,
// from one goroutine, until every probe is answered, the wait after the
// last probe has passed, or the context is cancelled. Close releases the
// sockets.
//
//	s, err := scan.New(scan.Config{Targets: targets, Ports: ports})
//	if err != nil { ... }
//	defer s.Close()
//	err = s.Run(ctx, func(r result.Result) { fmt.Println(r.IP, r.Port) })
//
// Run calls the function with a result.Result value: on the raw path a
// result costs no allocation. While Run runs, Progress returns the
// counters from any goroutine (sent, replies, open, closed, capture drops),
// and after it returns they are the scan's summary.
//
// # Choosing how probes leave
//
// Config.Method picks the send path. The zero value, Auto, sends Ethernet
// frames to the gateway when the kernel would route every target through
// that one gateway and knows its MAC (for each family, IPv4 and IPv6),
// else sends through raw IPv4 and IPv6 sockets, where the kernel routes each probe; if raw sockets are not
// permitted it falls back to a connect() scan. Plan reports the method
// chosen and, in Fallback, why a faster one was declined. Frames, RawSocket
// and Connect insist on one path; with Frames or RawSocket a lack of
// privilege is an error wrapping ErrPrivilege. DryRun makes the same
// choice, and returns the same Plan, without opening a socket: it needs no
// privileges and sends nothing.
//
// # Reserved space
//
// A scan skips target.DefaultBlocklist, IANA's special-purpose IPv4 and
// IPv6 blocks, plus Config.Blocklist, but only inside a target range that
// strictly contains a block: all of IPv4 loses them, while a target that
// is a block or lies inside one, such as 10.0.0.0/8 or 127.0.0.1, is
// scanned as given. Plan counts the addresses that the blocklist and the
// excludes removed; Config.NoDefaultBlocklist turns the built-in list off.
//
// # Size and memory
//
// One scan takes any space of IPv4 and IPv6 targets mixed, up to 2^48
// probes: all of IPv4 × ports 1-65535, or an IPv6 /80 on one port.
// The scan keeps state for a probe only while it can still be answered or
// retried, so its memory follows the rate and Config.Wait, not the size of the
// space: about 2 × rate × (retries × 1 s + Wait + 1 s) bits. Retries go out
// while the sweep goes on, a second after the previous try of the same probes.
// A reply that arrives more than Wait after its probe's last try finds no
// state; it is counted in Progress.Late and not reported.
//
// # Hosts that answer every port
//
// SYN proxies, tarpits and some firewalls answer every SYN with a SYN-ACK,
// so that every port of such a host looks open. When a scan probes each
// host on SuspectSample (32) ports or more, a host with SuspectOpen (28)
// SYN-ACKs among its first SuspectSample resolved probes (a SYN-ACK, a
// RST, an ICMP unreachable, or silence after the last try, counted from
// its first SYN-ACK) is suspect: its open results carry
// result.Result.Suspect, or with Config.DropSuspect are left out, and
// Progress.Suspect counts such hosts. Since results come in random order,
// a host's open results are held back from its first SYN-ACK until the
// host is decided, at most 27 of them per host; a real host is decided
// after about 5-10 of its probes, when 5 did not answer SYN-ACK.
// Config.NoSuspectCheck turns the check off.
//
// # What is on the port
//
// Config.Services names the service on each open port while the scan
// runs, as nmap -sV does: a pool of workers connects again through the
// kernel's TCP stack, reads the server's greeting or its answers to the
// probes of nmap's service probe database (nmap-service-probes), describes
// a TLS handshake, and sets result.Result.Service. Each open result waits
// for its port; the rest pass at once. Every port is bounded in time
// (Services.Timeout) and in what is kept (4 KiB), whatever the server
// does. Plan.ServiceProbes says which database was loaded; Progress
// counts the ports probed and named.
//
// # Resuming and sharding
//
// A scan probes a keyed permutation of the space of targets × ports. Two
// scans with the same seed (Config.Seed with FixedSeed) probe in the same
// order, so Config.Shard splits one scan between several scanners, and
// Config.Resume continues a scan from the position that Scan.Resume
// returned before it stopped.
//
// # Errors
//
// New returns a *ConfigError, naming the Config field, for a configuration
// that cannot be scanned; an error wrapping ErrPrivilege when a raw path
// was asked for without CAP_NET_RAW; and other errors for system failures
// such as a missing route. Run returns ctx.Err() when cancelled, and an
// error naming the cause when a socket or the capture fails; results found
// before either have already been passed on.
//
// # The process
//
// The package sets no process-wide state unless asked: Config.LockThreads
// locks each sender to an OS thread and sets GOMAXPROCS while Run runs,
// which the trawl command does because it measured faster, and a
// connect() scan or Config.Services raises the soft open-file limit to the
// hard one, for the connections it needs. Scans share
// nothing, so several can run in one process at once, each with its own
// sockets, cookie key and source port.
package scan
