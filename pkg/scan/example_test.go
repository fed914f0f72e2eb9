package scan_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/netip"
	"strconv"

	"github.com/trawlscan/trawl/pkg/result"
	"github.com/trawlscan/trawl/pkg/scan"
	"github.com/trawlscan/trawl/pkg/target"
)

// listen starts a TCP listener on a free loopback port, for the examples
// to find, and returns its port.
func listen() (net.Listener, int) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	return ln, ln.Addr().(*net.TCPAddr).Port
}

// A scan in three steps: New plans it and opens its sockets, Run reports
// each result as it arrives, and Progress gives the summary. Connect
// needs no privileges; leave Method at Auto for a raw SYN scan.
func Example() {
	ln, port := listen()
	defer ln.Close()

	targets, err := target.ParseTargets([]string{"127.0.0.1"})
	if err != nil {
		log.Fatal(err)
	}
	ports, err := target.ParsePorts(strconv.Itoa(port))
	if err != nil {
		log.Fatal(err)
	}
	s, err := scan.New(scan.Config{Targets: targets, Ports: ports, Method: scan.Connect})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	err = s.Run(context.Background(), func(r result.Result) {
		fmt.Println(r.IP, r.Port == uint16(port), r.Status)
	})
	if err != nil {
		log.Fatal(err)
	}
	p := s.Progress()
	fmt.Printf("%d probe sent, %d open, %d closed\n", p.Sent, p.Open, p.Closed)
	// Output:
	// 127.0.0.1 true open
	// 1 probe sent, 1 open, 0 closed
}

// Run is New, Scan.Run and Close in one call. With Closed, closed ports
// are reported too.
func ExampleRun() {
	ln, port := listen()
	defer ln.Close()
	targets, _ := target.ParseTargets([]string{"127.0.0.1"})
	ports, _ := target.ParsePorts(strconv.Itoa(port))

	open := 0
	p, err := scan.Run(context.Background(), scan.Config{Targets: targets, Ports: ports, Method: scan.Connect, Closed: true},
		func(r result.Result) {
			if r.Status == result.StatusOpen {
				open++
			}
		})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(open, p.Open, p.Total)
	// Output: 1 1 1
}

// Prepare checks a configuration and shows the plan, sending nothing: here
// the second of four shards of a /24 × two ports.
func ExamplePrepare() {
	targets, _ := target.ParseTargets([]string{"198.18.0.0/24"})
	ports, _ := target.ParsePorts("22,80")
	p, err := scan.Prepare(scan.Config{
		Targets: targets, Ports: ports,
		Shard: target.Shard{Index: 2, Count: 4}, Seed: 42, FixedSeed: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.Space.Len(), p.Start, p.End, p.Seed)

	_, err = scan.Prepare(scan.Config{Targets: targets, Ports: ports, Shard: target.Shard{Index: 2, Count: 4}})
	fmt.Println(err)
	// Output:
	// 512 128 256 42
	// Seed: shard 2/4 needs a fixed seed, so that every shard probes in the same order
}

// DryRun shows what a scan would probe and how, opening no socket and
// sending nothing: here a sweep of all of IPv4 on port 443, which skips
// IANA's special-purpose blocks, as a connect() scan at 100,000 probes/s.
// With Method left at Auto, Plan.Method says whether frames, the raw
// socket or connect() would send, and Plan.Fallback why not a faster one.
func ExampleDryRun() {
	targets, _ := target.ParseTargets([]string{"0.0.0.0/0"})
	exclude, _ := target.ParseTargets([]string{"8.8.8.0/24"})
	ports, _ := target.ParsePorts("443")
	p, err := scan.DryRun(scan.Config{
		Targets: targets, Exclude: exclude, Ports: ports,
		Method: scan.Connect, Rate: 100000, Seed: 42, FixedSeed: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.Method, p.Space.Hosts(), p.Excluded, p.Blocklisted)
	fmt.Printf("%.0f hours at %.0f/s\n", float64(p.End-p.Start)/p.Rate/3600, p.Rate)
	// Output:
	// connect 3702258176 256 592708864
	// 10 hours at 100000/s
}

// A plan's Routes are the ways out of a raw scan: here, the targets
// behind a second link leave by it, from its address.
func ExampleRoute_String() {
	first, _ := target.ParseTargets([]string{"198.18.0.0/24", "198.18.2.0/24"})
	second, _ := target.ParseTargets([]string{"198.18.1.0/24"})
	routes := []scan.Route{
		{Targets: first, Interface: "eth0", Source: netip.MustParseAddr("198.19.0.1")},
		{Targets: second, Interface: "eth1", Source: netip.MustParseAddr("198.19.2.1")},
	}
	for _, r := range routes {
		fmt.Println(r)
	}
	// Output:
	// 198.18.0.0/24 and 1 more by eth0 from 198.19.0.1
	// 198.18.1.0/24 by eth1 from 198.19.2.1
}
