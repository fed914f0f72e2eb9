package e2e

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/trawlscan/trawl/internal/lab"
	"github.com/trawlscan/trawl/pkg/result"
)

// hostKind is a /28 of the lab that the target namespace answers in one
// way: as hosts do, by an ICMP unreachable of one code, or not at all.
type hostKind struct {
	name   string
	block  netip.Prefix
	action string // the nft verdict; "" answers as hosts do
	// What trawl's SYN scan, and nmap -sS, must say of a closed port.
	status result.Status
	reason result.Reason
	// What a connect() scan, and nmap -sT, must say: Linux turns each
	// unreachable into an errno (icmp_err_convert).
	connStatus result.Status
	connReason result.Reason
}

// hostKinds are the lab's blocks for TestICMPAgainstNmap: 198.18.30.0/28
// answers as hosts do, the next seven /28s reject every SYN with one of
// the ICMP codes that make a port filtered, and the last drops them.
var hostKinds = []hostKind{
	{"host", netip.MustParsePrefix("198.18.30.0/28"), "", result.StatusClosed, result.ReasonReset, result.StatusClosed, result.ReasonConnRefused},
	{"port-unreachable (3)", netip.MustParsePrefix("198.18.30.16/28"), "reject with icmp type port-unreachable", result.StatusFiltered, result.ReasonPortUnreach, result.StatusClosed, result.ReasonConnRefused},
	{"admin-prohibited (13)", netip.MustParsePrefix("198.18.30.32/28"), "reject with icmp type admin-prohibited", result.StatusFiltered, result.ReasonAdminProhibited, result.StatusFiltered, result.ReasonHostUnreach},
	{"drop", netip.MustParsePrefix("198.18.30.48/28"), "drop", result.StatusFiltered, result.ReasonNoResponse, result.StatusFiltered, result.ReasonNoResponse},
	{"net-unreachable (0)", netip.MustParsePrefix("198.18.30.64/28"), "reject with icmp type net-unreachable", result.StatusFiltered, result.ReasonNetUnreach, result.StatusFiltered, result.ReasonNetUnreach},
	{"host-unreachable (1)", netip.MustParsePrefix("198.18.30.80/28"), "reject with icmp type host-unreachable", result.StatusFiltered, result.ReasonHostUnreach, result.StatusFiltered, result.ReasonHostUnreach},
	{"prot-unreachable (2)", netip.MustParsePrefix("198.18.30.96/28"), "reject with icmp type prot-unreachable", result.StatusFiltered, result.ReasonProtoUnreach, result.StatusFiltered, result.ReasonProtoUnreach},
	{"net-prohibited (9)", netip.MustParsePrefix("198.18.30.112/28"), "reject with icmp type net-prohibited", result.StatusFiltered, result.ReasonNetProhibited, result.StatusFiltered, result.ReasonNetUnreach},
	{"host-prohibited (10)", netip.MustParsePrefix("198.18.30.128/28"), "reject with icmp type host-prohibited", result.StatusFiltered, result.ReasonHostProhibited, result.StatusFiltered, result.ReasonHostUnreach},
}

const (
	icmpTargets = "198.18.30.0-198.18.30.143" // the nine blocks
	icmpPorts   = "1-10"
	icmpRetries = 2
)

// kindOf returns the kind of host that a belongs to.
func kindOf(a netip.Addr) hostKind {
	for _, k := range hostKinds {
		if k.block.Contains(a) {
			return k
		}
	}
	panic(fmt.Sprintf("%v is in no block", a))
}

// portVerdict is what a scanner's XML says of one port.
type portVerdict struct {
	state, reason string
	ttl           int
}

// readNmapXML returns the verdict on each port of an nmap-style XML
// document, failing t if one is listed twice or collapsed into
// <extraports>.
func readNmapXML(t *testing.T, who string, doc []byte) map[netip.AddrPort]portVerdict {
	t.Helper()
	var run struct {
		Hosts []struct {
			Address struct {
				Addr string `xml:"addr,attr"`
			} `xml:"address"`
			Extra []struct {
				Count int `xml:"count,attr"`
			} `xml:"ports>extraports"`
			Ports []struct {
				PortID uint16 `xml:"portid,attr"`
				State  struct {
					State     string `xml:"state,attr"`
					Reason    string `xml:"reason,attr"`
					ReasonTTL int    `xml:"reason_ttl,attr"`
				} `xml:"state"`
			} `xml:"ports>port"`
		} `xml:"host"`
	}
	if err := xml.Unmarshal(doc, &run); err != nil {
		t.Fatalf("%s XML: %v\n%s", who, err, doc)
	}
	got := map[netip.AddrPort]portVerdict{}
	for _, h := range run.Hosts {
		ip := netip.MustParseAddr(h.Address.Addr)
		if len(h.Extra) > 0 {
			t.Fatalf("%s: %v has ports collapsed into <extraports>", who, ip)
		}
		for _, p := range h.Ports {
			ap := netip.AddrPortFrom(ip, p.PortID)
			if _, dup := got[ap]; dup {
				t.Errorf("%s: %v listed twice", who, ap)
			}
			got[ap] = portVerdict{p.State.State, p.State.Reason, p.State.ReasonTTL}
		}
	}
	return got
}

// TestICMPAgainstNmap is the oracle test for ICMP unreachables and
// reasons. In the lab's target namespace nftables rejects every SYN to
// seven /28s, each with another ICMP code, and drops those to another; a
// ninth /28 answers as hosts do, with planted open ports. trawl's SYN scan
// with --show closed,filtered and two retries must find every port with
// the state and the reason (and its TTL) that nmap -sS gives, port by
// port, never retry a probe an unreachable answered (nftables counts the
// SYNs each block receives), and retry the silent ones twice. Its
// connect() scan must agree with nmap -sT the same way.
func TestICMPAgainstNmap(t *testing.T) {
	if _, err := exec.LookPath("nmap"); err != nil {
		t.Skipf("needs nmap as the oracle: %v", err)
	}
	truth := lab.Truth(hostKinds[0].block, 1, 10, 12, 30)
	l := lab.Start(t, lab.Config{Open: truth})
	var rules []string
	for _, k := range hostKinds {
		rules = append(rules, fmt.Sprintf("ip daddr %s tcp flags syn counter %s", k.block, k.action))
	}
	l.Firewall(t, rules...)
	l.NoICMPRateLimit(t)
	open := map[netip.AddrPort]bool{}
	for _, ap := range truth {
		open[ap] = true
	}
	want := func(ap netip.AddrPort, connect bool) (result.Status, result.Reason) {
		k := kindOf(ap.Addr())
		switch {
		case open[ap]:
			return result.StatusOpen, result.ReasonSYNACK
		case connect:
			return k.connStatus, k.connReason
		}
		return k.status, k.reason
	}
	probes := 0
	for _, k := range hostKinds {
		probes += (1 << (32 - k.block.Bits())) * 10
	}

	type row struct {
		kind, scan                string
		trawlVerdict, nmapVerdict map[string]int
	}
	var table []row
	for _, c := range []struct {
		scan  string
		trawl []string
		nmap  []string
	}{
		{"SYN", nil, []string{"-sS"}},
		// A timeout past the kernel's first SYN retransmission (1 s):
		// an unreachable that comes back while connect(2) still holds
		// the socket is only a soft error, and the retransmission's
		// unreachable then ends the connect, as it does for nmap -sT.
		{"connect", []string{"--connect", "--timeout", "1500ms"}, []string{"-sT"}},
	} {
		connect := c.scan == "connect"
		before := l.Counters(t)
		xmlPath := filepath.Join(t.TempDir(), "out.xml")
		args := append([]string{"-p", icmpPorts, icmpTargets, "--show", "closed,filtered", "--retries", fmt.Sprint(icmpRetries), "--wait", "500ms", "-oX", xmlPath}, c.trawl...)
		out := trawl(t, l, args...)
		if out.code != 0 {
			t.Fatalf("%s scan: exit %d: %s", c.scan, out.code, out.stderr)
		}
		t.Logf("trawl %s: %s", strings.Join(args, " "), lastLine(out.stderr))
		after := l.Counters(t)

		// NDJSON: one result per probe, each with the right status,
		// reason and TTLs.
		seen := map[netip.AddrPort]bool{}
		for _, r := range out.ndjson {
			ap := netip.AddrPortFrom(r.IP, r.Port)
			if seen[ap] {
				t.Errorf("%s: %v reported twice", c.scan, ap)
			}
			seen[ap] = true
			status, reason := want(ap, connect)
			if r.Status != status || r.Reason != reason {
				t.Errorf("%s: %v (%s): %v %v, want %v %v", c.scan, ap, kindOf(ap.Addr()).name, r.Status, r.Reason, status, reason)
			}
			ttl, reasonTTL := uint8(64), uint8(64)
			switch {
			case connect || reason == result.ReasonNoResponse:
				ttl, reasonTTL = 0, 0
			case status == result.StatusFiltered:
				ttl = 0
			}
			if r.TTL != ttl || r.ReasonTTL != reasonTTL {
				t.Errorf("%s: %v (%v): ttl %d, reason_ttl %d; want %d and %d", c.scan, ap, reason, r.TTL, r.ReasonTTL, ttl, reasonTTL)
			}
		}
		if len(seen) != probes {
			t.Errorf("%s: %d results, want one for each of %d probes", c.scan, len(seen), probes)
		}

		// The SYNs each block received: one per probe where an answer
		// came, retries+1 where none did. The kernel's own SYN
		// retransmissions add to a connect() scan's: there, an answered
		// block must get fewer than two per probe, and a silent one at
		// least retries+1.
		for i, k := range hostKinds {
			key := strings.TrimSuffix(strings.TrimSuffix(rules[i], " "+k.action), " counter")
			n := after[key] - before[key]
			tries := uint64(1)
			if k.action == "drop" {
				tries = icmpRetries + 1
			}
			const perBlock = 16 * 10
			switch {
			case !connect && n != tries*perBlock:
				t.Errorf("%s: %s received %d SYNs, want %d (%d per probe)", c.scan, k.name, n, tries*perBlock, tries)
			case connect && tries == 1 && n >= 2*perBlock:
				t.Errorf("%s: %s received %d SYNs for %d probes: answered probes were retried", c.scan, k.name, n, perBlock)
			case connect && n < tries*perBlock:
				t.Errorf("%s: %s received %d SYNs, want at least %d (%d per probe)", c.scan, k.name, n, tries*perBlock, tries)
			}
			t.Logf("%s scan: %s: %d SYNs for %d probes", c.scan, k.name, n, perBlock)
		}

		// XML: valid against nmap's DTD, and port by port the same as
		// nmap's own.
		doc, err := os.ReadFile(xmlPath)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := exec.LookPath("xmllint"); err == nil {
			if b, err := exec.Command("xmllint", "--noout", "--dtdvalid", "/usr/share/nmap/nmap.dtd", xmlPath).CombinedOutput(); err != nil {
				t.Errorf("%s: xmllint rejects -oX: %v\n%s", c.scan, err, b)
			}
		}
		mine := readNmapXML(t, "trawl", doc)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		nargs := append(append([]string{}, c.nmap...), "-Pn", "-n", "--reason", "-T4", "--max-retries", fmt.Sprint(icmpRetries), "-p", icmpPorts, "-oX", "-", strings.Replace(icmpTargets, "-198.18.30.", "-", 1))
		cmd := l.Command(ctx, "nmap", nargs...)
		cmd.Stderr = io.Discard
		start := time.Now()
		nmapDoc, err := cmd.Output()
		cancel()
		if err != nil {
			t.Fatalf("nmap %v: %v", nargs, err)
		}
		t.Logf("nmap %s: %v", strings.Join(nargs, " "), time.Since(start).Round(time.Millisecond))
		theirs := readNmapXML(t, "nmap", nmapDoc)
		if len(theirs) != probes || len(mine) != probes {
			t.Errorf("%s: nmap lists %d ports, trawl %d; want %d", c.scan, len(theirs), len(mine), probes)
		}
		tally := map[string]*row{}
		for ap, n := range theirs {
			m, ok := mine[ap]
			if !ok || m != n {
				t.Errorf("%s: %v (%s): trawl says %+v, nmap %+v", c.scan, ap, kindOf(ap.Addr()).name, m, n)
			}
			k := kindOf(ap.Addr()).name
			if tally[k] == nil {
				tally[k] = &row{kind: k, scan: c.scan, trawlVerdict: map[string]int{}, nmapVerdict: map[string]int{}}
			}
			tally[k].trawlVerdict[fmt.Sprintf("%s/%s/%d", m.state, m.reason, m.ttl)]++
			tally[k].nmapVerdict[fmt.Sprintf("%s/%s/%d", n.state, n.reason, n.ttl)]++
		}
		for _, k := range hostKinds {
			if r := tally[k.name]; r != nil {
				table = append(table, *r)
			}
		}
	}
	// The comparison, for the record: state/reason/reason_ttl and how
	// many of the block's 160 ports each scanner gave it.
	verdicts := func(m map[string]int) string {
		var s []string
		for v, n := range m {
			s = append(s, fmt.Sprintf("%s ×%d", v, n))
		}
		sort.Strings(s)
		return strings.Join(s, ", ")
	}
	for _, r := range table {
		t.Logf("%-7s | %-21s | trawl %s | nmap %s", r.scan, r.kind, verdicts(r.trawlVerdict), verdicts(r.nmapVerdict))
	}
}
