package e2e

import (
	"context"
	"encoding/json"
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

// oracleHost is one target of TestHostKindsAgainstNmap: an address the
// target namespace answers for in one way.
type oracleHost struct {
	name string
	ip   netip.Addr
	// rule is the nft input verdict for SYNs to ports 1-1024 ("" answers
	// as hosts do); tarpit redirects them all to one listener instead.
	rule   string
	tarpit bool
	// tries is how many SYNs trawl sends each port with --retries 2: one
	// where an answer comes, three where none does.
	tries uint64
}

// tarpitPort is where the tarpit's redirect sends every port, outside
// the ports scanned.
const tarpitPort = 4444

var oracleHosts = []oracleHost{
	{"host, 300 open", netip.MustParseAddr("198.18.31.1"), "", false, 1},
	{"host, 3 open", netip.MustParseAddr("198.18.31.2"), "", false, 1},
	{"port-unreachable", netip.MustParseAddr("198.18.31.3"), "reject with icmp type port-unreachable", false, 1},
	{"reset", netip.MustParseAddr("198.18.31.4"), "reject with tcp reset", false, 1},
	{"drop", netip.MustParseAddr("198.18.31.5"), "drop", false, 3},
	{"tarpit", netip.MustParseAddr("198.18.31.6"), "", true, 1},
}

const (
	oracleTrawlTargets = "198.18.31.1-198.18.31.6"
	oracleNmapTargets  = "198.18.31.1-6"
	oraclePorts        = "1-1024"
)

// oracleHostOf returns the host of a.
func oracleHostOf(a netip.Addr) oracleHost {
	for _, h := range oracleHosts {
		if h.ip == a {
			return h
		}
	}
	panic(fmt.Sprintf("%v is no oracle host", a))
}

// TestHostKindsAgainstNmap is the oracle test for hosts that answer in
// every way a real network does, one target of each kind: a busy host
// with 300 of ports 1-1024 open, a host with 3 open, one whose firewall
// rejects ports 1-1024 with ICMP port-unreachable, one that resets them
// all, one that drops them all, and a tarpit whose nat prerouting rule
// redirects every port to one listener (portspoof's iptables REDIRECT).
// The firewalled hosts have port 80 planted behind their rule.
//
// trawl -p 1-1024 --show closed,filtered --retries 2 and nmap -sS -p
// 1-1024 --max-retries 2 must agree port by port (state, reason and
// reason TTL) on the first five hosts, and on the tarpit's state (open);
// every open result of the tarpit, and no other result, must be marked
// suspect in NDJSON, XML (valid against nmap's DTD) and grepable; the
// summary and the metadata file count one suspect host; --drop-suspect
// leaves the tarpit's ports out; and the answered hosts get each SYN
// once, the dropping one three times.
func TestHostKindsAgainstNmap(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the nmap oracle of six hosts × 1-1024 in -short mode (the -race pass); the full pass runs it")
	}
	if _, err := exec.LookPath("nmap"); err != nil {
		t.Skipf("needs nmap as the oracle: %v", err)
	}
	busy := lab.Truth(netip.PrefixFrom(oracleHosts[0].ip, 32), 1, 1024, 300, 31)
	planted := append([]netip.AddrPort{}, busy...)
	for _, p := range []uint16{22, 80, 443} {
		planted = append(planted, netip.AddrPortFrom(oracleHosts[1].ip, p))
	}
	for _, h := range oracleHosts[2:5] {
		planted = append(planted, netip.AddrPortFrom(h.ip, 80)) // behind the rule
	}
	planted = append(planted, netip.AddrPortFrom(netip.IPv4Unspecified(), tarpitPort))
	l := lab.Start(t, lab.Config{Open: planted})
	var rules []string
	for _, h := range oracleHosts {
		if h.rule != "" {
			rules = append(rules, fmt.Sprintf("ip daddr %v tcp dport %s counter %s", h.ip, oraclePorts, h.rule))
		}
	}
	l.Firewall(t, rules...)
	l.Prerouting(t, fmt.Sprintf("ip daddr %v tcp dport %s counter redirect to :%d", oracleHosts[5].ip, oraclePorts, tarpitPort))
	l.NoICMPRateLimit(t)

	// trawl, with every output that marks suspects.
	dir := t.TempDir()
	xmlPath, grepPath, metaPath := filepath.Join(dir, "out.xml"), filepath.Join(dir, "out.gnmap"), filepath.Join(dir, "meta.json")
	args := []string{"-p", oraclePorts, oracleTrawlTargets, "--show", "closed,filtered", "--retries", "2", "--wait", "500ms",
		"-oX", xmlPath, "-oG", grepPath, "--metadata-file", metaPath}
	out := trawl(t, l, args...)
	if out.code != 0 {
		t.Fatalf("trawl: exit %d: %s", out.code, out.stderr)
	}
	t.Logf("trawl %s: %v: %s", strings.Join(args, " "), out.elapsed.Round(time.Millisecond), lastLine(out.stderr))
	if !strings.Contains(lastLine(out.stderr), ", 1 suspect host answering nearly every port (1024 of the open)") {
		t.Errorf("the summary does not count one suspect host: %s", lastLine(out.stderr))
	}

	// The SYNs each firewalled host received from trawl: one per port
	// where an answer came, three where none did.
	counters := l.Counters(t)
	for _, h := range oracleHosts {
		key := fmt.Sprintf("ip daddr %v tcp dport %s", h.ip, oraclePorts)
		n, ok := counters[key]
		if !ok {
			continue
		}
		if want := h.tries * 1024; n != want {
			t.Errorf("%s received %d SYNs from trawl --retries 2, want %d", h.name, n, want)
		}
		t.Logf("%s: %d SYNs from trawl --retries 2 for 1024 ports", h.name, n)
	}

	// NDJSON: one result per probe; exactly the tarpit's open ones
	// marked.
	seen := map[netip.AddrPort]bool{}
	for _, r := range out.ndjson {
		ap := netip.AddrPortFrom(r.IP, r.Port)
		if seen[ap] {
			t.Errorf("%v reported twice", ap)
		}
		seen[ap] = true
		h := oracleHostOf(r.IP)
		if want := h.tarpit && r.Status == result.StatusOpen; r.Suspect != want {
			t.Errorf("NDJSON %v (%s, %v): suspect %v, want %v", ap, h.name, r.Status, r.Suspect, want)
		}
	}
	if want := len(oracleHosts) * 1024; len(seen) != want {
		t.Errorf("%d results, want one for each of %d probes", len(seen), want)
	}

	// XML: valid against nmap's DTD, the tarpit's ports each with its
	// <script id="trawl-suspect">.
	doc, err := os.ReadFile(xmlPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("xmllint"); err == nil {
		if b, err := exec.Command("xmllint", "--noout", "--dtdvalid", "/usr/share/nmap/nmap.dtd", xmlPath).CombinedOutput(); err != nil {
			t.Errorf("xmllint rejects -oX: %v\n%s", err, b)
		}
	}
	for ap, marked := range xmlSuspects(t, doc) {
		if want := oracleHostOf(ap.Addr()).tarpit; marked != want {
			t.Errorf("XML %v: suspect script %v, want %v", ap, marked, want)
		}
	}
	// Grepable: read back, the tarpit's open ports marked by their
	// line's "Suspect: yes" field.
	grepSuspects := readSuspects(t, result.FormatGrepable, grepPath)
	for ap, marked := range grepSuspects {
		if want := oracleHostOf(ap.Addr()).tarpit; marked != want {
			t.Errorf("grepable %v: suspect %v, want %v", ap, marked, want)
		}
	}
	if n := len(grepSuspects); n != len(seen) {
		t.Errorf("grepable output holds %d results, NDJSON %d", n, len(seen))
	}

	// The metadata file counts the suspect host.
	var meta map[string]any
	if b, err := os.ReadFile(metaPath); err != nil {
		t.Errorf("no metadata file: %v", err)
	} else if err := json.Unmarshal(b, &meta); err != nil {
		t.Errorf("metadata: %v\n%s", err, b)
	} else if meta["suspect_hosts"] != 1.0 || meta["suspect_ports"] != 1024.0 || meta["exit_status"] != 0.0 || meta["sent"] != 8192.0 {
		t.Errorf("metadata: suspect_hosts %v, suspect_ports %v, exit_status %v, sent %v; want 1, 1024, 0 and 8192 (6144 + 2048 retries)",
			meta["suspect_hosts"], meta["suspect_ports"], meta["exit_status"], meta["sent"])
	}

	// nmap -sS, with every port listed (-d3 keeps nmap from folding
	// them into <extraports>).
	nmapXML := filepath.Join(dir, "nmap.xml")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	nargs := []string{"-sS", "-Pn", "-n", "--reason", "-T4", "--max-retries", "2", "-d3", "-p", oraclePorts, "-oX", nmapXML, oracleNmapTargets}
	cmd := l.Command(ctx, "nmap", nargs...)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("nmap %v: %v", nargs, err)
	}
	t.Logf("nmap %s: %v", strings.Join(nargs, " "), time.Since(start).Round(time.Millisecond))
	nmapDoc, err := os.ReadFile(nmapXML)
	if err != nil {
		t.Fatal(err)
	}
	theirs := readNmapXML(t, "nmap", nmapDoc)
	mine := readNmapXML(t, "trawl", doc)
	if len(theirs) != len(seen) || len(mine) != len(seen) {
		t.Errorf("nmap lists %d ports, trawl's XML %d; want %d", len(theirs), len(mine), len(seen))
	}

	// Port by port, and the table for the record.
	type tally struct{ trawl, nmap map[string]int }
	tallies := map[string]*tally{}
	agree := map[string]int{}
	for ap, n := range theirs {
		h := oracleHostOf(ap.Addr())
		m, ok := mine[ap]
		same := ok && m == n
		if h.tarpit {
			same = ok && m.state == n.state
		}
		if same {
			agree[h.name]++
		} else {
			t.Errorf("%v (%s): trawl says %+v, nmap %+v", ap, h.name, m, n)
		}
		if tallies[h.name] == nil {
			tallies[h.name] = &tally{map[string]int{}, map[string]int{}}
		}
		tallies[h.name].trawl[m.state+"/"+m.reason]++
		tallies[h.name].nmap[n.state+"/"+n.reason]++
	}
	for _, h := range oracleHosts {
		marked := 0
		for ap, s := range grepSuspects {
			if ap.Addr() == h.ip && s {
				marked++
			}
		}
		tl := tallies[h.name]
		if tl == nil {
			t.Errorf("%s: nmap lists none of its ports", h.name)
			continue
		}
		t.Logf("%-16s | trawl %-40s | nmap %-40s | agree %4d/1024 | suspect %4d", h.name, verdictCounts(tl.trawl), verdictCounts(tl.nmap), agree[h.name], marked)
	}

	// --drop-suspect: the same open ports, but for the tarpit's.
	out = trawl(t, l, "-p", oraclePorts, oracleTrawlTargets, "--retries", "2", "--wait", "500ms", "--drop-suspect")
	if out.code != 0 {
		t.Fatalf("trawl --drop-suspect: exit %d: %s", out.code, out.stderr)
	}
	requireRecall(t, out, planted[:len(busy)+3], true)
	for _, r := range out.ndjson {
		if r.Suspect || oracleHostOf(r.IP).tarpit {
			t.Errorf("--drop-suspect reported %v:%d (suspect %v)", r.IP, r.Port, r.Suspect)
		}
	}
}

// verdictCounts formats counts of state/reason verdicts.
func verdictCounts(m map[string]int) string {
	var s []string
	for v, n := range m {
		s = append(s, fmt.Sprintf("%s ×%d", v, n))
	}
	sort.Strings(s)
	return strings.Join(s, ", ")
}

// xmlSuspects returns, for each port in an nmap-style XML document,
// whether it carries trawl's <script id="trawl-suspect">.
func xmlSuspects(t *testing.T, doc []byte) map[netip.AddrPort]bool {
	t.Helper()
	var run struct {
		Hosts []struct {
			Address struct {
				Addr string `xml:"addr,attr"`
			} `xml:"address"`
			Ports []struct {
				PortID  uint16 `xml:"portid,attr"`
				Scripts []struct {
					ID     string `xml:"id,attr"`
					Output string `xml:"output,attr"`
				} `xml:"script"`
			} `xml:"ports>port"`
		} `xml:"host"`
	}
	if err := xml.Unmarshal(doc, &run); err != nil {
		t.Fatalf("XML: %v", err)
	}
	got := map[netip.AddrPort]bool{}
	for _, h := range run.Hosts {
		ip := netip.MustParseAddr(h.Address.Addr)
		for _, p := range h.Ports {
			marked := false
			for _, s := range p.Scripts {
				marked = marked || s.ID == "trawl-suspect" && s.Output != ""
			}
			got[netip.AddrPortFrom(ip, p.PortID)] = marked
		}
	}
	return got
}

// readSuspects reads an output file back with result.Reader and returns
// each result's Suspect flag.
func readSuspects(t *testing.T, f result.Format, path string) map[netip.AddrPort]bool {
	t.Helper()
	got := map[netip.AddrPort]bool{}
	for _, r := range readOutput(t, f, path) {
		got[netip.AddrPortFrom(r.IP, r.Port)] = r.Suspect
	}
	return got
}
