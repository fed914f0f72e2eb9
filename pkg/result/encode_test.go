package result

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	testStart = time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	testEnd   = testStart.Add(1500 * time.Millisecond)

	testMeta = Meta{
		Version:     "0.1.0",
		Args:        "trawl -p 22,80,443,8081 -oX - 198.18.0.0/30",
		Start:       testStart,
		Ports:       "22,80,443,8081",
		NumServices: 4,
		NumHosts:    4,
	}

	testResults = []Result{
		{IP: netip.MustParseAddr("198.18.0.1"), Port: 80, Status: StatusOpen, TTL: 64, Time: testStart.Add(200 * time.Millisecond)},
		{IP: netip.MustParseAddr("198.18.0.1"), Port: 443, Status: StatusClosed, TTL: 64, Time: testStart.Add(300 * time.Millisecond)},
		{IP: netip.MustParseAddr("198.18.0.2"), Port: 8081, Status: StatusFiltered, Time: testStart.Add(time.Second)},
		{IP: netip.MustParseAddr("198.18.0.3"), Port: 22, Status: StatusOpen, TTL: 63, Time: testStart.Add(1100 * time.Millisecond)},
	}

	// reasonResults are what a scan reports with --show closed,filtered:
	// every result with its reason, the ICMP ones with the TTL of the
	// unreachable but none of their own.
	reasonResults = []Result{
		{IP: netip.MustParseAddr("198.18.0.1"), Port: 80, Status: StatusOpen, TTL: 64, Reason: ReasonSYNACK, ReasonTTL: 64, Time: testStart},
		{IP: netip.MustParseAddr("198.18.0.1"), Port: 443, Status: StatusClosed, TTL: 64, Reason: ReasonReset, ReasonTTL: 64, Time: testStart},
		{IP: netip.MustParseAddr("198.18.0.2"), Port: 22, Status: StatusFiltered, Reason: ReasonPortUnreach, ReasonTTL: 63, Time: testStart},
		{IP: netip.MustParseAddr("198.18.0.2"), Port: 8081, Status: StatusFiltered, Reason: ReasonAdminProhibited, ReasonTTL: 250, Time: testStart},
		{IP: netip.MustParseAddr("198.18.0.3"), Port: 22, Status: StatusFiltered, Reason: ReasonNoResponse, Time: testStart},
	}

	// suspectResults are a tarpit's: 198.18.0.5 answers every port, so
	// its open ports are Suspect (its closed one is not), beside a host
	// whose open port is not.
	suspectResults = []Result{
		{IP: netip.MustParseAddr("198.18.0.5"), Port: 22, Status: StatusOpen, TTL: 64, Reason: ReasonSYNACK, ReasonTTL: 64, Time: testStart, Suspect: true},
		{IP: netip.MustParseAddr("198.18.0.5"), Port: 23, Status: StatusOpen, TTL: 64, Reason: ReasonSYNACK, ReasonTTL: 64, Time: testStart, Suspect: true},
		{IP: netip.MustParseAddr("198.18.0.5"), Port: 24, Status: StatusClosed, TTL: 64, Reason: ReasonReset, ReasonTTL: 64, Time: testStart},
		{IP: netip.MustParseAddr("198.18.0.6"), Port: 80, Status: StatusOpen, TTL: 63, Reason: ReasonSYNACK, ReasonTTL: 63, Time: testStart},
	}

	// mixedResults are a dual-stack scan's, IPv4 and IPv6 hosts mixed as
	// their replies arrive: an IPv6 host with two ports, one whose
	// address masscan would spell otherwise (2001:db8::1:0:0:0:1), the
	// longest IPv6 address, and an IPv4 host that comes back after
	// them.
	mixedResults = []Result{
		{IP: netip.MustParseAddr("198.18.0.1"), Port: 80, Status: StatusOpen, TTL: 64, Reason: ReasonSYNACK, ReasonTTL: 64, Time: testStart},
		{IP: netip.MustParseAddr("2001:db8::1"), Port: 80, Status: StatusOpen, TTL: 64, Reason: ReasonSYNACK, ReasonTTL: 64, Time: testStart.Add(200 * time.Millisecond)},
		{IP: netip.MustParseAddr("2001:db8::1"), Port: 443, Status: StatusClosed, TTL: 64, Reason: ReasonReset, ReasonTTL: 64, Time: testStart.Add(300 * time.Millisecond)},
		{IP: netip.MustParseAddr("198.18.0.2"), Port: 22, Status: StatusFiltered, Reason: ReasonPortUnreach, ReasonTTL: 63, Time: testStart.Add(time.Second)},
		{IP: netip.MustParseAddr("2001:db8:0:1::1"), Port: 22, Status: StatusFiltered, Reason: ReasonNoResponse, Time: testStart.Add(time.Second)},
		{IP: netip.MustParseAddr("fd00:1234:5678:9abc:def0:1234:5678:9abc"), Port: 8081, Status: StatusOpen, TTL: 57, Reason: ReasonSYNACK, ReasonTTL: 57, Time: testStart.Add(1100 * time.Millisecond), Suspect: true},
		{IP: netip.MustParseAddr("198.18.0.1"), Port: 8081, Status: StatusClosed, TTL: 64, Reason: ReasonReset, ReasonTTL: 64, Time: testStart.Add(1100 * time.Millisecond)},
	}

	formats = []Format{FormatPlain, FormatList, FormatJSON, FormatNDJSON, FormatXML, FormatGrepable}
)

// testClock returns testEnd, for the times in trailers.
func testClock() time.Time { return testEnd }

// encode writes rs in format f with meta m and returns the output.
func encode(t testing.TB, f Format, m Meta, rs []Result) string {
	t.Helper()
	var out bytes.Buffer
	e, err := newEncoder(f, &out, m, testClock)
	if err != nil {
		t.Fatalf("newEncoder(%v): %v", f, err)
	}
	for _, r := range rs {
		if err := e.Encode(r); err != nil {
			t.Fatalf("Encode(%+v): %v", r, err)
		}
	}
	if err := e.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return out.String()
}

// lines joins its arguments, each ended by a newline.
func lines(ls ...string) string {
	return strings.Join(ls, "\n") + "\n"
}

const (
	xmlHead = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE nmaprun>
<!-- trawl 0.1.0 scan initiated Fri Jan  2 15:04:05 2026 as: trawl -p 22,80,443,8081 -oX - 198.18.0.0/30 -->
<nmaprun scanner="nmap" args="trawl -p 22,80,443,8081 -oX - 198.18.0.0/30" start="1767366245" startstr="Fri Jan  2 15:04:05 2026" version="trawl 0.1.0" xmloutputversion="1.05">
`
	xmlInfo = `<scaninfo type="syn" protocol="tcp" numservices="4" services="22,80,443,8081"/>
<verbose level="0"/>
<debugging level="0"/>
`
	xmlHosts = `<host endtime="1767366245"><status state="up" reason="syn-ack" reason_ttl="64"/>
<address addr="198.18.0.1" addrtype="ipv4"/>
<ports><port protocol="tcp" portid="80"><state state="open" reason="syn-ack" reason_ttl="64"/><service name="http" method="table" conf="3"/></port>
<port protocol="tcp" portid="443"><state state="closed" reason="reset" reason_ttl="64"/><service name="https" method="table" conf="3"/></port>
</ports>
</host>
<host endtime="1767366246"><status state="up" reason="user-set" reason_ttl="0"/>
<address addr="198.18.0.2" addrtype="ipv4"/>
<ports><port protocol="tcp" portid="8081"><state state="filtered" reason="no-response" reason_ttl="0"/></port>
</ports>
</host>
<host endtime="1767366246"><status state="up" reason="syn-ack" reason_ttl="63"/>
<address addr="198.18.0.3" addrtype="ipv4"/>
<ports><port protocol="tcp" portid="22"><state state="open" reason="syn-ack" reason_ttl="63"/><service name="ssh" method="table" conf="3"/></port>
</ports>
</host>
`
	grepHead = "# trawl 0.1.0 scan initiated Fri Jan  2 15:04:05 2026 as: trawl -p 22,80,443,8081 -oX - 198.18.0.0/30\n" +
		"# Ports scanned: TCP(4;22,80,443,8081) UDP(0;) SCTP(0;) PROTOCOLS(0;)\n"
)

func TestEncodeGolden(t *testing.T) {
	noTotal := testMeta
	noTotal.NumHosts = 0
	connect := testMeta
	connect.Connect = true
	bare := Meta{Start: testStart}

	tests := []struct {
		name string
		f    Format
		m    Meta
		rs   []Result
		want string
	}{
		{
			name: "plain",
			f:    FormatPlain,
			m:    testMeta,
			rs:   testResults,
			want: lines(
				"198.18.0.1:80",
				"198.18.0.1:443 closed",
				"198.18.0.2:8081 filtered",
				"198.18.0.3:22",
			),
		},
		{name: "plain empty", f: FormatPlain, m: testMeta},
		{
			name: "list",
			f:    FormatList,
			m:    testMeta,
			rs:   testResults,
			want: lines(
				"#masscan",
				"open tcp 80 198.18.0.1 1767366245",
				"closed tcp 443 198.18.0.1 1767366245",
				"filtered tcp 8081 198.18.0.2 1767366246",
				"open tcp 22 198.18.0.3 1767366246",
				"# end",
			),
		},
		{name: "list empty", f: FormatList, m: testMeta, want: "#masscan\n# end\n"},
		{
			name: "ndjson",
			f:    FormatNDJSON,
			m:    testMeta,
			rs:   testResults,
			want: lines(
				`{"ip":"198.18.0.1","port":80,"proto":"tcp","status":"open","ttl":64,"time":"2026-01-02T15:04:05Z"}`,
				`{"ip":"198.18.0.1","port":443,"proto":"tcp","status":"closed","ttl":64,"time":"2026-01-02T15:04:05Z"}`,
				`{"ip":"198.18.0.2","port":8081,"proto":"tcp","status":"filtered","ttl":0,"time":"2026-01-02T15:04:06Z"}`,
				`{"ip":"198.18.0.3","port":22,"proto":"tcp","status":"open","ttl":63,"time":"2026-01-02T15:04:06Z"}`,
			),
		},
		{name: "ndjson empty", f: FormatNDJSON, m: testMeta},
		{
			name: "ndjson reasons",
			f:    FormatNDJSON,
			m:    testMeta,
			rs:   reasonResults,
			want: lines(
				`{"ip":"198.18.0.1","port":80,"proto":"tcp","status":"open","reason":"syn-ack","reason_ttl":64,"ttl":64,"time":"2026-01-02T15:04:05Z"}`,
				`{"ip":"198.18.0.1","port":443,"proto":"tcp","status":"closed","reason":"reset","reason_ttl":64,"ttl":64,"time":"2026-01-02T15:04:05Z"}`,
				`{"ip":"198.18.0.2","port":22,"proto":"tcp","status":"filtered","reason":"port-unreach","reason_ttl":63,"ttl":0,"time":"2026-01-02T15:04:05Z"}`,
				`{"ip":"198.18.0.2","port":8081,"proto":"tcp","status":"filtered","reason":"admin-prohibited","reason_ttl":250,"ttl":0,"time":"2026-01-02T15:04:05Z"}`,
				`{"ip":"198.18.0.3","port":22,"proto":"tcp","status":"filtered","reason":"no-response","reason_ttl":0,"ttl":0,"time":"2026-01-02T15:04:05Z"}`,
			),
		},
		{
			name: "json reasons",
			f:    FormatJSON,
			m:    testMeta,
			rs:   reasonResults[2:3],
			want: lines(
				"[",
				`{"ip":"198.18.0.2","port":22,"proto":"tcp","status":"filtered","reason":"port-unreach","reason_ttl":63,"ttl":0,"time":"2026-01-02T15:04:05Z"}`,
				"]",
			),
		},
		{
			name: "xml reasons",
			f:    FormatXML,
			m:    testMeta,
			rs:   reasonResults,
			want: xmlHead + xmlInfo + `<host endtime="1767366245"><status state="up" reason="syn-ack" reason_ttl="64"/>
<address addr="198.18.0.1" addrtype="ipv4"/>
<ports><port protocol="tcp" portid="80"><state state="open" reason="syn-ack" reason_ttl="64"/><service name="http" method="table" conf="3"/></port>
<port protocol="tcp" portid="443"><state state="closed" reason="reset" reason_ttl="64"/><service name="https" method="table" conf="3"/></port>
</ports>
</host>
<host endtime="1767366245"><status state="up" reason="user-set" reason_ttl="0"/>
<address addr="198.18.0.2" addrtype="ipv4"/>
<ports><port protocol="tcp" portid="22"><state state="filtered" reason="port-unreach" reason_ttl="63"/><service name="ssh" method="table" conf="3"/></port>
<port protocol="tcp" portid="8081"><state state="filtered" reason="admin-prohibited" reason_ttl="250"/></port>
</ports>
</host>
<host endtime="1767366245"><status state="up" reason="user-set" reason_ttl="0"/>
<address addr="198.18.0.3" addrtype="ipv4"/>
<ports><port protocol="tcp" portid="22"><state state="filtered" reason="no-response" reason_ttl="0"/><service name="ssh" method="table" conf="3"/></port>
</ports>
</host>
<runstats><finished time="1767366246" timestr="Fri Jan  2 15:04:06 2026" summary="trawl 0.1.0 done at Fri Jan  2 15:04:06 2026; 4 IP addresses (3 hosts up) scanned in 1.50 seconds" elapsed="1.50" exit="success"/><hosts up="3" down="1" total="4"/>
</runstats>
</nmaprun>
`,
		},
		{
			name: "grepable reasons: nmap's layout has no field for them",
			f:    FormatGrepable,
			m:    testMeta,
			rs:   reasonResults,
			want: grepHead + lines(
				"Host: 198.18.0.1 ()\tStatus: Up",
				"Host: 198.18.0.1 ()\tPorts: 80/open/tcp//http///, 443/closed/tcp//https///",
				"Host: 198.18.0.2 ()\tStatus: Up",
				"Host: 198.18.0.2 ()\tPorts: 22/filtered/tcp//ssh///, 8081/filtered/tcp/////",
				"Host: 198.18.0.3 ()\tStatus: Up",
				"Host: 198.18.0.3 ()\tPorts: 22/filtered/tcp//ssh///",
				"# trawl 0.1.0 done at Fri Jan  2 15:04:06 2026 -- 4 IP addresses (3 hosts up) scanned in 1.50 seconds",
			),
		},
		{
			name: "ndjson suspect",
			f:    FormatNDJSON,
			m:    testMeta,
			rs:   suspectResults,
			want: lines(
				`{"ip":"198.18.0.5","port":22,"proto":"tcp","status":"open","reason":"syn-ack","reason_ttl":64,"ttl":64,"time":"2026-01-02T15:04:05Z","suspect":true}`,
				`{"ip":"198.18.0.5","port":23,"proto":"tcp","status":"open","reason":"syn-ack","reason_ttl":64,"ttl":64,"time":"2026-01-02T15:04:05Z","suspect":true}`,
				`{"ip":"198.18.0.5","port":24,"proto":"tcp","status":"closed","reason":"reset","reason_ttl":64,"ttl":64,"time":"2026-01-02T15:04:05Z"}`,
				`{"ip":"198.18.0.6","port":80,"proto":"tcp","status":"open","reason":"syn-ack","reason_ttl":63,"ttl":63,"time":"2026-01-02T15:04:05Z"}`,
			),
		},
		{
			name: "json suspect",
			f:    FormatJSON,
			m:    testMeta,
			rs:   suspectResults[:1],
			want: lines(
				"[",
				`{"ip":"198.18.0.5","port":22,"proto":"tcp","status":"open","reason":"syn-ack","reason_ttl":64,"ttl":64,"time":"2026-01-02T15:04:05Z","suspect":true}`,
				"]",
			),
		},
		{
			name: "xml suspect: a script element in the port, as NSE writes",
			f:    FormatXML,
			m:    testMeta,
			rs:   suspectResults,
			want: xmlHead + xmlInfo + `<host endtime="1767366245"><status state="up" reason="syn-ack" reason_ttl="64"/>
<address addr="198.18.0.5" addrtype="ipv4"/>
<ports><port protocol="tcp" portid="22"><state state="open" reason="syn-ack" reason_ttl="64"/><service name="ssh" method="table" conf="3"/><script id="trawl-suspect" output="` + suspectNote + `"/></port>
<port protocol="tcp" portid="23"><state state="open" reason="syn-ack" reason_ttl="64"/><service name="telnet" method="table" conf="3"/><script id="trawl-suspect" output="` + suspectNote + `"/></port>
<port protocol="tcp" portid="24"><state state="closed" reason="reset" reason_ttl="64"/></port>
</ports>
</host>
<host endtime="1767366245"><status state="up" reason="syn-ack" reason_ttl="63"/>
<address addr="198.18.0.6" addrtype="ipv4"/>
<ports><port protocol="tcp" portid="80"><state state="open" reason="syn-ack" reason_ttl="63"/><service name="http" method="table" conf="3"/></port>
</ports>
</host>
<runstats><finished time="1767366246" timestr="Fri Jan  2 15:04:06 2026" summary="trawl 0.1.0 done at Fri Jan  2 15:04:06 2026; 4 IP addresses (2 hosts up) scanned in 1.50 seconds" elapsed="1.50" exit="success"/><hosts up="2" down="2" total="4"/>
</runstats>
</nmaprun>
`,
		},
		{
			name: "grepable suspect: a field after Ports, as Ignored State is",
			f:    FormatGrepable,
			m:    testMeta,
			rs:   suspectResults,
			want: grepHead + lines(
				"Host: 198.18.0.5 ()\tStatus: Up",
				"Host: 198.18.0.5 ()\tPorts: 22/open/tcp//ssh///, 23/open/tcp//telnet///, 24/closed/tcp/////\tSuspect: yes",
				"Host: 198.18.0.6 ()\tStatus: Up",
				"Host: 198.18.0.6 ()\tPorts: 80/open/tcp//http///",
				"# trawl 0.1.0 done at Fri Jan  2 15:04:06 2026 -- 4 IP addresses (2 hosts up) scanned in 1.50 seconds",
			),
		},
		{
			name: "list and plain have no place for suspect",
			f:    FormatList,
			m:    testMeta,
			rs:   suspectResults[:1],
			want: lines("#masscan", "open tcp 22 198.18.0.5 1767366245", "# end"),
		},
		{
			name: "ndjson time in UTC",
			f:    FormatNDJSON,
			m:    testMeta,
			rs: []Result{{
				IP: netip.MustParseAddr("10.0.0.1"), Port: 65535, Status: StatusOpen, TTL: 255,
				Time: time.Date(2026, 1, 2, 16, 4, 5, 999, time.FixedZone("CET", 3600)),
			}},
			want: `{"ip":"10.0.0.1","port":65535,"proto":"tcp","status":"open","ttl":255,"time":"2026-01-02T15:04:05Z"}` + "\n",
		},
		{
			name: "json",
			f:    FormatJSON,
			m:    testMeta,
			rs:   testResults,
			want: lines(
				"[",
				`{"ip":"198.18.0.1","port":80,"proto":"tcp","status":"open","ttl":64,"time":"2026-01-02T15:04:05Z"},`,
				`{"ip":"198.18.0.1","port":443,"proto":"tcp","status":"closed","ttl":64,"time":"2026-01-02T15:04:05Z"},`,
				`{"ip":"198.18.0.2","port":8081,"proto":"tcp","status":"filtered","ttl":0,"time":"2026-01-02T15:04:06Z"},`,
				`{"ip":"198.18.0.3","port":22,"proto":"tcp","status":"open","ttl":63,"time":"2026-01-02T15:04:06Z"}`,
				"]",
			),
		},
		{
			name: "json one",
			f:    FormatJSON,
			m:    testMeta,
			rs:   testResults[3:],
			want: lines(
				"[",
				`{"ip":"198.18.0.3","port":22,"proto":"tcp","status":"open","ttl":63,"time":"2026-01-02T15:04:06Z"}`,
				"]",
			),
		},
		{name: "json empty", f: FormatJSON, m: testMeta, want: "[\n]\n"},
		{
			name: "xml",
			f:    FormatXML,
			m:    testMeta,
			rs:   testResults,
			want: xmlHead + xmlInfo + xmlHosts +
				`<runstats><finished time="1767366246" timestr="Fri Jan  2 15:04:06 2026" summary="trawl 0.1.0 done at Fri Jan  2 15:04:06 2026; 4 IP addresses (3 hosts up) scanned in 1.50 seconds" elapsed="1.50" exit="success"/><hosts up="3" down="1" total="4"/>
</runstats>
</nmaprun>
`,
		},
		{
			name: "xml without NumHosts",
			f:    FormatXML,
			m:    noTotal,
			rs:   testResults,
			want: xmlHead + xmlInfo + xmlHosts +
				`<runstats><finished time="1767366246" timestr="Fri Jan  2 15:04:06 2026" summary="trawl 0.1.0 done at Fri Jan  2 15:04:06 2026; 3 IP addresses (3 hosts up) scanned in 1.50 seconds" elapsed="1.50" exit="success"/><hosts up="3" down="0" total="3"/>
</runstats>
</nmaprun>
`,
		},
		{
			name: "xml empty",
			f:    FormatXML,
			m:    testMeta,
			want: xmlHead + xmlInfo +
				`<runstats><finished time="1767366246" timestr="Fri Jan  2 15:04:06 2026" summary="trawl 0.1.0 done at Fri Jan  2 15:04:06 2026; 4 IP addresses (0 hosts up) scanned in 1.50 seconds" elapsed="1.50" exit="success"/><hosts up="0" down="4" total="4"/>
</runstats>
</nmaprun>
`,
		},
		{
			name: "xml connect",
			f:    FormatXML,
			m:    connect,
			rs: []Result{
				{IP: netip.MustParseAddr("127.0.0.1"), Port: 22, Status: StatusClosed, Time: testStart},
				{IP: netip.MustParseAddr("127.0.0.1"), Port: 8081, Status: StatusOpen, Time: testStart},
			},
			want: xmlHead +
				`<scaninfo type="connect" protocol="tcp" numservices="4" services="22,80,443,8081"/>
<verbose level="0"/>
<debugging level="0"/>
<host endtime="1767366245"><status state="up" reason="conn-refused" reason_ttl="0"/>
<address addr="127.0.0.1" addrtype="ipv4"/>
<ports><port protocol="tcp" portid="22"><state state="closed" reason="conn-refused" reason_ttl="0"/><service name="ssh" method="table" conf="3"/></port>
<port protocol="tcp" portid="8081"><state state="open" reason="syn-ack" reason_ttl="0"/></port>
</ports>
</host>
<runstats><finished time="1767366246" timestr="Fri Jan  2 15:04:06 2026" summary="trawl 0.1.0 done at Fri Jan  2 15:04:06 2026; 4 IP addresses (1 host up) scanned in 1.50 seconds" elapsed="1.50" exit="success"/><hosts up="1" down="3" total="4"/>
</runstats>
</nmaprun>
`,
		},
		{
			name: "xml zero Meta",
			f:    FormatXML,
			m:    bare,
			want: `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE nmaprun>
<!-- trawl scan initiated Fri Jan  2 15:04:05 2026 as:  -->
<nmaprun scanner="nmap" args="" start="1767366245" startstr="Fri Jan  2 15:04:05 2026" version="trawl" xmloutputversion="1.05">
<scaninfo type="syn" protocol="tcp" numservices="0" services=""/>
<verbose level="0"/>
<debugging level="0"/>
<runstats><finished time="1767366246" timestr="Fri Jan  2 15:04:06 2026" summary="trawl done at Fri Jan  2 15:04:06 2026; 0 IP addresses (0 hosts up) scanned in 1.50 seconds" elapsed="1.50" exit="success"/><hosts up="0" down="0" total="0"/>
</runstats>
</nmaprun>
`,
		},
		{
			name: "grepable",
			f:    FormatGrepable,
			m:    testMeta,
			rs:   testResults,
			want: grepHead + lines(
				"Host: 198.18.0.1 ()\tStatus: Up",
				"Host: 198.18.0.1 ()\tPorts: 80/open/tcp//http///, 443/closed/tcp//https///",
				"Host: 198.18.0.2 ()\tStatus: Up",
				"Host: 198.18.0.2 ()\tPorts: 8081/filtered/tcp/////",
				"Host: 198.18.0.3 ()\tStatus: Up",
				"Host: 198.18.0.3 ()\tPorts: 22/open/tcp//ssh///",
				"# trawl 0.1.0 done at Fri Jan  2 15:04:06 2026 -- 4 IP addresses (3 hosts up) scanned in 1.50 seconds",
			),
		},
		{
			name: "grepable one host",
			f:    FormatGrepable,
			m:    noTotal,
			rs:   testResults[3:],
			want: grepHead + lines(
				"Host: 198.18.0.3 ()\tStatus: Up",
				"Host: 198.18.0.3 ()\tPorts: 22/open/tcp//ssh///",
				"# trawl 0.1.0 done at Fri Jan  2 15:04:06 2026 -- 1 IP address (1 host up) scanned in 1.50 seconds",
			),
		},
		{
			name: "plain mixed: IPv6 in brackets",
			f:    FormatPlain,
			m:    noTotal,
			rs:   mixedResults,
			want: lines(
				"198.18.0.1:80",
				"[2001:db8::1]:80",
				"[2001:db8::1]:443 closed",
				"198.18.0.2:22 filtered",
				"[2001:db8:0:1::1]:22 filtered",
				"[fd00:1234:5678:9abc:def0:1234:5678:9abc]:8081",
				"198.18.0.1:8081 closed",
			),
		},
		{
			name: "list mixed: IPv6 bare, as masscan writes it",
			f:    FormatList,
			m:    noTotal,
			rs:   mixedResults,
			want: lines(
				"#masscan",
				"open tcp 80 198.18.0.1 1767366245",
				"open tcp 80 2001:db8::1 1767366245",
				"closed tcp 443 2001:db8::1 1767366245",
				"filtered tcp 22 198.18.0.2 1767366246",
				"filtered tcp 22 2001:db8:0:1::1 1767366246",
				"open tcp 8081 fd00:1234:5678:9abc:def0:1234:5678:9abc 1767366246",
				"closed tcp 8081 198.18.0.1 1767366246",
				"# end",
			),
		},
		{
			name: "ndjson mixed",
			f:    FormatNDJSON,
			m:    noTotal,
			rs:   mixedResults,
			want: lines(
				`{"ip":"198.18.0.1","port":80,"proto":"tcp","status":"open","reason":"syn-ack","reason_ttl":64,"ttl":64,"time":"2026-01-02T15:04:05Z"}`,
				`{"ip":"2001:db8::1","port":80,"proto":"tcp","status":"open","reason":"syn-ack","reason_ttl":64,"ttl":64,"time":"2026-01-02T15:04:05Z"}`,
				`{"ip":"2001:db8::1","port":443,"proto":"tcp","status":"closed","reason":"reset","reason_ttl":64,"ttl":64,"time":"2026-01-02T15:04:05Z"}`,
				`{"ip":"198.18.0.2","port":22,"proto":"tcp","status":"filtered","reason":"port-unreach","reason_ttl":63,"ttl":0,"time":"2026-01-02T15:04:06Z"}`,
				`{"ip":"2001:db8:0:1::1","port":22,"proto":"tcp","status":"filtered","reason":"no-response","reason_ttl":0,"ttl":0,"time":"2026-01-02T15:04:06Z"}`,
				`{"ip":"fd00:1234:5678:9abc:def0:1234:5678:9abc","port":8081,"proto":"tcp","status":"open","reason":"syn-ack","reason_ttl":57,"ttl":57,"time":"2026-01-02T15:04:06Z","suspect":true}`,
				`{"ip":"198.18.0.1","port":8081,"proto":"tcp","status":"closed","reason":"reset","reason_ttl":64,"ttl":64,"time":"2026-01-02T15:04:06Z"}`,
			),
		},
		{
			name: "json mixed",
			f:    FormatJSON,
			m:    noTotal,
			rs:   mixedResults[:3],
			want: lines(
				"[",
				`{"ip":"198.18.0.1","port":80,"proto":"tcp","status":"open","reason":"syn-ack","reason_ttl":64,"ttl":64,"time":"2026-01-02T15:04:05Z"},`,
				`{"ip":"2001:db8::1","port":80,"proto":"tcp","status":"open","reason":"syn-ack","reason_ttl":64,"ttl":64,"time":"2026-01-02T15:04:05Z"},`,
				`{"ip":"2001:db8::1","port":443,"proto":"tcp","status":"closed","reason":"reset","reason_ttl":64,"ttl":64,"time":"2026-01-02T15:04:05Z"}`,
				"]",
			),
		},
		{
			name: "xml mixed: addrtype ipv6, hosts in the order of their results",
			f:    FormatXML,
			m:    noTotal,
			rs:   mixedResults,
			want: xmlHead + xmlInfo + `<host endtime="1767366245"><status state="up" reason="syn-ack" reason_ttl="64"/>
<address addr="198.18.0.1" addrtype="ipv4"/>
<ports><port protocol="tcp" portid="80"><state state="open" reason="syn-ack" reason_ttl="64"/><service name="http" method="table" conf="3"/></port>
</ports>
</host>
<host endtime="1767366245"><status state="up" reason="syn-ack" reason_ttl="64"/>
<address addr="2001:db8::1" addrtype="ipv6"/>
<ports><port protocol="tcp" portid="80"><state state="open" reason="syn-ack" reason_ttl="64"/><service name="http" method="table" conf="3"/></port>
<port protocol="tcp" portid="443"><state state="closed" reason="reset" reason_ttl="64"/><service name="https" method="table" conf="3"/></port>
</ports>
</host>
<host endtime="1767366246"><status state="up" reason="user-set" reason_ttl="0"/>
<address addr="198.18.0.2" addrtype="ipv4"/>
<ports><port protocol="tcp" portid="22"><state state="filtered" reason="port-unreach" reason_ttl="63"/><service name="ssh" method="table" conf="3"/></port>
</ports>
</host>
<host endtime="1767366246"><status state="up" reason="user-set" reason_ttl="0"/>
<address addr="2001:db8:0:1::1" addrtype="ipv6"/>
<ports><port protocol="tcp" portid="22"><state state="filtered" reason="no-response" reason_ttl="0"/><service name="ssh" method="table" conf="3"/></port>
</ports>
</host>
<host endtime="1767366246"><status state="up" reason="syn-ack" reason_ttl="57"/>
<address addr="fd00:1234:5678:9abc:def0:1234:5678:9abc" addrtype="ipv6"/>
<ports><port protocol="tcp" portid="8081"><state state="open" reason="syn-ack" reason_ttl="57"/><script id="trawl-suspect" output="` + suspectNote + `"/></port>
</ports>
</host>
<host endtime="1767366246"><status state="up" reason="reset" reason_ttl="64"/>
<address addr="198.18.0.1" addrtype="ipv4"/>
<ports><port protocol="tcp" portid="8081"><state state="closed" reason="reset" reason_ttl="64"/></port>
</ports>
</host>
<runstats><finished time="1767366246" timestr="Fri Jan  2 15:04:06 2026" summary="trawl 0.1.0 done at Fri Jan  2 15:04:06 2026; 5 IP addresses (5 hosts up) scanned in 1.50 seconds" elapsed="1.50" exit="success"/><hosts up="5" down="0" total="5"/>
</runstats>
</nmaprun>
`,
		},
		{
			name: "grepable mixed: Host lines as nmap -6 writes them",
			f:    FormatGrepable,
			m:    noTotal,
			rs:   mixedResults,
			want: grepHead + lines(
				"Host: 198.18.0.1 ()\tStatus: Up",
				"Host: 198.18.0.1 ()\tPorts: 80/open/tcp//http///",
				"Host: 2001:db8::1 ()\tStatus: Up",
				"Host: 2001:db8::1 ()\tPorts: 80/open/tcp//http///, 443/closed/tcp//https///",
				"Host: 198.18.0.2 ()\tStatus: Up",
				"Host: 198.18.0.2 ()\tPorts: 22/filtered/tcp//ssh///",
				"Host: 2001:db8:0:1::1 ()\tStatus: Up",
				"Host: 2001:db8:0:1::1 ()\tPorts: 22/filtered/tcp//ssh///",
				"Host: fd00:1234:5678:9abc:def0:1234:5678:9abc ()\tStatus: Up",
				"Host: fd00:1234:5678:9abc:def0:1234:5678:9abc ()\tPorts: 8081/open/tcp/////\tSuspect: yes",
				"Host: 198.18.0.1 ()\tStatus: Up",
				"Host: 198.18.0.1 ()\tPorts: 8081/closed/tcp/////",
				"# trawl 0.1.0 done at Fri Jan  2 15:04:06 2026 -- 5 IP addresses (5 hosts up) scanned in 1.50 seconds",
			),
		},
		{
			name: "grepable empty",
			f:    FormatGrepable,
			m:    testMeta,
			want: grepHead + "# trawl 0.1.0 done at Fri Jan  2 15:04:06 2026 -- 4 IP addresses (0 hosts up) scanned in 1.50 seconds\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := encode(t, tt.f, tt.m, tt.rs); got != tt.want {
				t.Errorf("output differs\n got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// interleaved has the results for two addresses interleaved, as replies
// arrive: each result begins a new host record.
var interleaved = []Result{
	{IP: netip.MustParseAddr("198.18.0.1"), Port: 22, Status: StatusOpen, TTL: 64, Time: testStart},
	{IP: netip.MustParseAddr("198.18.0.2"), Port: 22, Status: StatusClosed, TTL: 64, Time: testStart},
	{IP: netip.MustParseAddr("198.18.0.1"), Port: 80, Status: StatusOpen, TTL: 64, Time: testStart},
	{IP: netip.MustParseAddr("198.18.0.2"), Port: 80, Status: StatusOpen, TTL: 64, Time: testStart},
	{IP: netip.MustParseAddr("198.18.0.1"), Port: 443, Status: StatusClosed, TTL: 64, Time: testStart},
}

// TestHostsUpCountsAddresses checks that the trailers count an address
// once however many host records it has, from interleaved results or from
// a Flush between results for one address.
func TestHostsUpCountsAddresses(t *testing.T) {
	want := map[Format]string{
		FormatXML:      `(2 hosts up) scanned in 1.50 seconds" elapsed="1.50" exit="success"/><hosts up="2" down="2" total="4"/>`,
		FormatGrepable: "-- 4 IP addresses (2 hosts up) scanned in 1.50 seconds\n",
	}
	records := map[Format]string{FormatXML: "<host ", FormatGrepable: "\tPorts: "}
	for f, w := range want {
		t.Run(f.String(), func(t *testing.T) {
			doc := encode(t, f, testMeta, interleaved)
			if n := strings.Count(doc, records[f]); n != len(interleaved) {
				t.Errorf("%d host records, want one per result, %d", n, len(interleaved))
			}
			if !strings.Contains(doc, w) {
				t.Errorf("interleaved results: trailer does not contain %q:\n%s", w, doc)
			}

			var out bytes.Buffer
			e, err := newEncoder(f, &out, testMeta, testClock)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range testResults[:2] {
				if err := e.Encode(r); err != nil {
					t.Fatal(err)
				}
				if err := e.Flush(); err != nil {
					t.Fatal(err)
				}
			}
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
			if w := "(1 host up)"; !strings.Contains(out.String(), w) {
				t.Errorf("one address flushed between results: trailer does not contain %q:\n%s", w, out.String())
			}
		})
	}
}

// TestHostsUpCountsFamilies checks that the trailers count IPv4 and IPv6
// addresses apart: an IPv4 address and its IPv4-compatible IPv6 twin
// (::198.18.0.1, the same last 32 bits) are two hosts, and an IPv6
// address with interleaved records is one.
func TestHostsUpCountsFamilies(t *testing.T) {
	v4, twin, v6 := netip.MustParseAddr("198.18.0.1"), netip.MustParseAddr("::198.18.0.1"), netip.MustParseAddr("2001:db8::1")
	var rs []Result
	for i, ip := range []netip.Addr{v4, twin, v6, v4, twin, v6} {
		rs = append(rs, Result{IP: ip, Port: uint16(i), Status: StatusOpen, Time: testStart})
	}
	want := map[Format]string{
		FormatXML:      `(3 hosts up) scanned in 1.50 seconds" elapsed="1.50" exit="success"/><hosts up="3" down="0" total="3"/>`,
		FormatGrepable: "-- 3 IP addresses (3 hosts up) scanned in 1.50 seconds\n",
	}
	m := testMeta
	m.NumHosts = 0
	for f, w := range want {
		if doc := encode(t, f, m, rs); !strings.Contains(doc, w) {
			t.Errorf("%v: trailer does not contain %q:\n%s", f, w, doc)
		}
	}
}

// TestNewEncoderStart checks that a zero Meta.Start means the time
// NewEncoder runs.
func TestNewEncoderStart(t *testing.T) {
	var out bytes.Buffer
	before := time.Now().Unix()
	e, err := NewEncoder(FormatXML, &out, Meta{})
	if err != nil {
		t.Fatal(err)
	}
	after := time.Now().Unix()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(` start="(\d+)"`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no start attribute in\n%s", out.String())
	}
	if got, err := strconv.ParseInt(m[1], 10, 64); err != nil || got < before || got > after {
		t.Errorf("start = %s, want between %d and %d", m[1], before, after)
	}
}

// nastyMeta has header values that need escaping in every format.
var nastyMeta = Meta{
	Version:     "0.1.0-<dev>&\"--",
	Args:        "trawl --rate 10 -oX - 'a\"b' <&> \x00\x01\r\n\tend-",
	Start:       testStart,
	Ports:       "22,80\x7f<&>",
	NumServices: 2,
}

// validDocs returns documents in format f that must be valid: with results,
// empty, with header values that need escaping, flushed in the middle of a
// host, with many results, and with the results for two addresses
// interleaved.
func validDocs(t *testing.T, f Format) map[string]string {
	t.Helper()
	var many []Result
	for i := range 1000 {
		many = append(many, Result{
			IP:     netip.AddrFrom4([4]byte{198, 18, byte(i / 7), byte(i % 7)}),
			Port:   uint16(i),
			Status: Status(1 + i%3),
			TTL:    uint8(i),
			Time:   testStart.Add(time.Duration(i) * time.Millisecond),
		})
	}
	var flushed bytes.Buffer
	e, err := newEncoder(f, &flushed, testMeta, testClock)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range testResults {
		if err := e.Encode(r); err != nil {
			t.Fatal(err)
		}
		if err := e.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"results":     encode(t, f, testMeta, testResults),
		"empty":       encode(t, f, testMeta, nil),
		"escapes":     encode(t, f, nastyMeta, testResults),
		"flushed":     flushed.String(),
		"many":        encode(t, f, testMeta, many),
		"interleaved": encode(t, f, testMeta, interleaved),
		"reasons":     encode(t, f, testMeta, reasonResults),
		"suspect":     encode(t, f, testMeta, suspectResults),
		"mixed":       encode(t, f, testMeta, mixedResults),
		"services":    encode(t, f, testMeta, serviceResults),
	}
}

// runTool runs name with args and then a file holding doc, and fails t with
// the tool's output if it fails. It skips t if name is not installed.
func runTool(t *testing.T, doc, name string, args ...string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s is not installed: %v", name, err)
	}
	file := filepath.Join(t.TempDir(), "doc")
	if err := os.WriteFile(file, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(name, append(args, file)...).CombinedOutput()
	if err != nil {
		t.Errorf("%s %s: %v\n%s\ndocument:\n%s", name, strings.Join(args, " "), err, out, doc)
	}
}

func TestJSONDecodes(t *testing.T) {
	for name, doc := range validDocs(t, FormatJSON) {
		t.Run(name, func(t *testing.T) {
			var got []map[string]any
			if err := json.Unmarshal([]byte(doc), &got); err != nil {
				t.Fatalf("json.Unmarshal: %v\n%s", err, doc)
			}
			// Each object begins a line; a service's objects are inside it.
			if want := strings.Count(doc, "\n{"); len(got) != want {
				t.Errorf("got %d objects, want %d", len(got), want)
			}
		})
	}
	var got []map[string]any
	if err := json.Unmarshal([]byte(encode(t, FormatJSON, testMeta, testResults)), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"ip": "198.18.0.1", "port": 80.0, "proto": "tcp", "status": "open", "ttl": 64.0, "time": "2026-01-02T15:04:05Z"}
	if len(got) != len(testResults) || !equalMaps(got[0], want) {
		t.Errorf("got %v, want %d objects, the first %v", got, len(testResults), want)
	}
}

func equalMaps(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// jsonTool runs Python's json.tool on each file named on its command line,
// in one process, since starting python3 is slow.
const jsonTool = `import sys, json.tool
for path in sys.argv[1:]:
    print("json.tool", path, file=sys.stderr)
    sys.argv = ["json.tool", path, "/dev/null"]
    json.tool.main()
`

// TestJSONPythonTool checks the JSON with python3 -m json.tool, which
// rejects masscan's -oJ output.
func TestJSONPythonTool(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skipf("python3 is not installed: %v", err)
	}
	dir := t.TempDir()
	args := []string{"-c", jsonTool}
	for name, doc := range validDocs(t, FormatJSON) {
		path := filepath.Join(dir, name+".json")
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, path)
	}
	if out, err := exec.Command("python3", args...).CombinedOutput(); err != nil {
		t.Errorf("python3 json.tool: %v\n%s", err, out)
	}
}

func TestNDJSONLinesDecode(t *testing.T) {
	for name, doc := range validDocs(t, FormatNDJSON) {
		t.Run(name, func(t *testing.T) {
			for i, line := range strings.Split(doc, "\n") {
				if i == strings.Count(doc, "\n") && line == "" {
					break // after the final newline
				}
				if !json.Valid([]byte(line)) {
					t.Errorf("line %d is not JSON: %s", i+1, line)
				}
			}
		})
	}
}

// nmapDTD is where Debian's nmap package puts the DTD of nmap's XML.
const nmapDTD = "/usr/share/nmap/nmap.dtd"

func TestXMLValidatesAgainstNmapDTD(t *testing.T) {
	if _, err := os.Stat(nmapDTD); err != nil {
		t.Skipf("nmap's DTD is missing (apt-get install nmap): %v", err)
	}
	for name, doc := range validDocs(t, FormatXML) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			runTool(t, doc, "xmllint", "--noout", "--dtdvalid", nmapDTD)
		})
	}
}

// nmapRun is the part of nmap's XML that the tests read back.
type nmapRun struct {
	Scanner string `xml:"scanner,attr"`
	Version string `xml:"version,attr"`
	Args    string `xml:"args,attr"`
	Hosts   []struct {
		Address struct {
			Addr string `xml:"addr,attr"`
		} `xml:"address"`
		Ports []struct {
			PortID int `xml:"portid,attr"`
			State  struct {
				State     string `xml:"state,attr"`
				ReasonTTL int    `xml:"reason_ttl,attr"`
			} `xml:"state"`
		} `xml:"ports>port"`
	} `xml:"host"`
	Finished struct {
		Elapsed string `xml:"elapsed,attr"`
	} `xml:"runstats>finished"`
}

// TestXMLDecodes reads the XML back with encoding/xml, which checks that it
// is well formed even where xmllint is missing, and compares the results.
func TestXMLDecodes(t *testing.T) {
	for name, doc := range validDocs(t, FormatXML) {
		t.Run(name, func(t *testing.T) {
			var run nmapRun
			if err := xml.Unmarshal([]byte(doc), &run); err != nil {
				t.Fatalf("xml.Unmarshal: %v\n%s", err, doc)
			}
			if run.Scanner != "nmap" || run.Finished.Elapsed != "1.50" {
				t.Errorf("scanner %q, elapsed %q; want nmap, 1.50", run.Scanner, run.Finished.Elapsed)
			}
		})
	}
	var run nmapRun
	if err := xml.Unmarshal([]byte(encode(t, FormatXML, nastyMeta, testResults)), &run); err != nil {
		t.Fatal(err)
	}
	// Characters XML cannot hold, \x00 and \x01, become U+FFFD.
	if want := "trawl --rate 10 -oX - 'a\"b' <&> \ufffd\ufffd\r\n\tend-"; run.Args != want {
		t.Errorf("args = %q, want %q", run.Args, want)
	}
	if want := "trawl " + nastyMeta.Version; run.Version != want {
		t.Errorf("version = %q, want %q", run.Version, want)
	}
	var got []Result
	for _, h := range run.Hosts {
		for _, p := range h.Ports {
			s, err := ParseStatus(p.State.State)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, Result{IP: netip.MustParseAddr(h.Address.Addr), Port: uint16(p.PortID), Status: s, TTL: uint8(p.State.ReasonTTL)})
		}
	}
	checkSame(t, got, testResults)
}

// checkSame checks that got and want hold the same results, in order,
// ignoring times.
func checkSame(t *testing.T, got, want []Result) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d results, want %d:\n%v", len(got), len(want), got)
	}
	for i := range got {
		g, w := got[i], want[i]
		g.Time, w.Time = time.Time{}, time.Time{}
		if !sameResult(g, w) {
			t.Errorf("result %d = %+v, want %+v", i, g, w)
		}
	}
}

var (
	grepComment = regexp.MustCompile(`^# [^\n]*$`)
	grepStatus  = regexp.MustCompile(`^Host: (\d+\.\d+\.\d+\.\d+|[0-9a-f:]*:[0-9a-f:]*) \(\)\tStatus: Up$`)
	grepPorts   = regexp.MustCompile(`^Host: (\d+\.\d+\.\d+\.\d+|[0-9a-f:]*:[0-9a-f:]*) \(\)\tPorts: ([^\t]*)(\tSuspect: yes)?$`)
	grepPort    = regexp.MustCompile(`^(\d+)/(open|closed|filtered)/tcp//((?:ssl\|)?[a-z0-9-]*\??)//([^/]*)/$`)
)

// parseGrepable reads grepable output back into results, with regular
// expressions as a script would.
func parseGrepable(t *testing.T, doc string) []Result {
	t.Helper()
	var rs []Result
	ls := strings.Split(strings.TrimSuffix(doc, "\n"), "\n")
	for i, line := range ls {
		switch {
		case grepComment.MatchString(line):
			if i != 0 && i != 1 && i != len(ls)-1 {
				t.Errorf("line %d: comment in the middle: %q", i+1, line)
			}
		case grepStatus.MatchString(line):
		case grepPorts.MatchString(line):
			m := grepPorts.FindStringSubmatch(line)
			for _, entry := range strings.Split(m[2], ", ") {
				p := grepPort.FindStringSubmatch(entry)
				if p == nil {
					t.Fatalf("line %d: bad port entry %q", i+1, entry)
				}
				port, _ := strconv.Atoi(p[1])
				s, _ := ParseStatus(p[2])
				// A service learned by a probe has its own name.
				if p[4] == "" && !strings.ContainsAny(p[3], "?|") && Service(uint16(port)) != "" && p[3] != Service(uint16(port)) {
					t.Errorf("line %d: service %q for port %d, want %q", i+1, p[3], port, Service(uint16(port)))
				}
				rs = append(rs, Result{IP: netip.MustParseAddr(m[1]), Port: uint16(port), Status: s, Suspect: m[3] != "" && s == StatusOpen})
			}
		default:
			t.Errorf("line %d does not parse: %q", i+1, line)
		}
	}
	return rs
}

func TestGrepableParses(t *testing.T) {
	docs := validDocs(t, FormatGrepable)
	for name, doc := range docs {
		t.Run(name, func(t *testing.T) { parseGrepable(t, doc) })
	}
	want := make([]Result, len(testResults))
	for i, r := range testResults {
		r.TTL = 0
		want[i] = r
	}
	checkSame(t, parseGrepable(t, docs["results"]), want)
	checkSame(t, parseGrepable(t, docs["flushed"]), want)
	want = nil
	for _, r := range suspectResults {
		r.TTL, r.Reason, r.ReasonTTL = 0, ReasonNone, 0
		want = append(want, r)
	}
	checkSame(t, parseGrepable(t, docs["suspect"]), want)
	if head := strings.SplitN(docs["escapes"], "\n", 2)[0]; !strings.HasSuffix(head, "'a\"b' <&>      end-") {
		t.Errorf("header line %q: control characters should become spaces", head)
	}
}

func TestFlush(t *testing.T) {
	// wantFlushed is what each format must have written after the first
	// result and a Flush.
	wantFlushed := map[Format]string{
		FormatPlain:  "198.18.0.1:80\n",
		FormatList:   "#masscan\nopen tcp 80 198.18.0.1 1767366245\n",
		FormatJSON:   "[\n" + `{"ip":"198.18.0.1","port":80,"proto":"tcp","status":"open","ttl":64,"time":"2026-01-02T15:04:05Z"}`,
		FormatNDJSON: `{"ip":"198.18.0.1","port":80,"proto":"tcp","status":"open","ttl":64,"time":"2026-01-02T15:04:05Z"}` + "\n",
		FormatXML: xmlHead + xmlInfo + `<host endtime="1767366245"><status state="up" reason="syn-ack" reason_ttl="64"/>
<address addr="198.18.0.1" addrtype="ipv4"/>
<ports><port protocol="tcp" portid="80"><state state="open" reason="syn-ack" reason_ttl="64"/><service name="http" method="table" conf="3"/></port>
</ports>
</host>
`,
		FormatGrepable: grepHead + "Host: 198.18.0.1 ()\tStatus: Up\nHost: 198.18.0.1 ()\tPorts: 80/open/tcp//http///\n",
	}
	for _, f := range formats {
		t.Run(f.String(), func(t *testing.T) {
			var out bytes.Buffer
			e, err := newEncoder(f, &out, testMeta, testClock)
			if err != nil {
				t.Fatal(err)
			}
			if err := e.Encode(testResults[0]); err != nil {
				t.Fatal(err)
			}
			if out.Len() != 0 {
				t.Errorf("wrote %q before Flush; want it buffered", out.String())
			}
			if err := e.Flush(); err != nil {
				t.Fatal(err)
			}
			flushed := out.String()
			if flushed != wantFlushed[f] {
				t.Errorf("after Flush:\n got %q\nwant %q", flushed, wantFlushed[f])
			}
			for _, r := range testResults[1:] {
				if err := e.Encode(r); err != nil {
					t.Fatal(err)
				}
			}
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(out.String(), flushed) {
				t.Errorf("final output does not begin with what Flush wrote:\n%s", out.String())
			}
		})
	}
}

// errWriter fails every write.
type errWriter struct{}

var errWrite = errors.New("disk full")

func (errWriter) Write([]byte) (int, error) { return 0, errWrite }

func TestEncodeErrors(t *testing.T) {
	for _, f := range []Format{FormatInvalid, FormatGrepable + 1, 255} {
		if e, err := NewEncoder(f, io.Discard, testMeta); !errors.Is(err, ErrInvalidFormat) || e != nil {
			t.Errorf("NewEncoder(%v) = %v, %v; want nil, ErrInvalidFormat", f, e, err)
		}
	}
	ok := testResults[0]
	bad := []struct {
		name string
		r    Result
		want error
	}{
		{"zero address", Result{Port: 80, Status: StatusOpen}, ErrInvalidAddr},
		{"IPv4-mapped IPv6", Result{IP: netip.MustParseAddr("::ffff:198.18.0.1"), Port: 80, Status: StatusOpen}, ErrInvalidAddr},
		{"IPv6 with a zone", Result{IP: netip.MustParseAddr("fe80::1%eth0"), Port: 80, Status: StatusOpen}, ErrInvalidAddr},
		{"IPv4-mapped with a zone", Result{IP: netip.MustParseAddr("::ffff:198.18.0.1%eth0"), Port: 80, Status: StatusOpen}, ErrInvalidAddr},
		{"zero status", Result{IP: ok.IP, Port: 80}, ErrInvalidStatus},
		{"status out of range", Result{IP: ok.IP, Port: 80, Status: StatusFiltered + 1}, ErrInvalidStatus},
		{"reason out of range", Result{IP: ok.IP, Port: 80, Status: StatusFiltered, Reason: maxReason + 1}, ErrInvalidReason},
	}
	for _, f := range formats {
		e, err := NewEncoder(f, io.Discard, testMeta)
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range bad {
			if err := e.Encode(tt.r); !errors.Is(err, tt.want) {
				t.Errorf("%v: Encode(%s) = %v, want %v", f, tt.name, err, tt.want)
			}
		}
		if err := e.Encode(ok); err != nil {
			t.Errorf("%v: Encode after bad results: %v", f, err)
		}
		if err := e.Close(); err != nil {
			t.Errorf("%v: Close: %v", f, err)
		}
		if err := e.Encode(ok); !errors.Is(err, ErrClosed) {
			t.Errorf("%v: Encode after Close = %v, want ErrClosed", f, err)
		}
		if err := e.Flush(); !errors.Is(err, ErrClosed) {
			t.Errorf("%v: Flush after Close = %v, want ErrClosed", f, err)
		}
		if err := e.Close(); !errors.Is(err, ErrClosed) {
			t.Errorf("%v: second Close = %v, want ErrClosed", f, err)
		}

		e, err = NewEncoder(f, errWriter{}, testMeta)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Encode(ok); err != nil {
			t.Errorf("%v: buffered Encode = %v, want nil", f, err)
		}
		if err := e.Flush(); !errors.Is(err, errWrite) {
			t.Errorf("%v: Flush to a failing writer = %v, want %v", f, err, errWrite)
		}
		if err := e.Close(); !errors.Is(err, errWrite) {
			t.Errorf("%v: Close to a failing writer = %v, want %v", f, err, errWrite)
		}
	}
}

func TestEncodeAllocs(t *testing.T) {
	for _, f := range formats {
		t.Run(f.String(), func(t *testing.T) {
			e, err := NewEncoder(f, io.Discard, testMeta)
			if err != nil {
				t.Fatal(err)
			}
			rs := slices.Concat(testResults, reasonResults, mixedResults, serviceResults)
			i := 0
			allocs := testing.AllocsPerRun(1000, func() {
				if err := e.Encode(rs[i%len(rs)]); err != nil {
					t.Fatal(err)
				}
				i++
			})
			if allocs != 0 {
				t.Errorf("Encode: %v allocs per result, want 0", allocs)
			}
		})
	}
}

// TestConcurrentFlush runs Flush alongside Encode, as a timer or signal
// handler does; run it with -race.
func TestConcurrentFlush(t *testing.T) {
	const n = 10000
	var out bytes.Buffer
	e, err := NewEncoder(FormatNDJSON, &out, testMeta)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
				if err := e.Flush(); err != nil {
					t.Error(err)
					return
				}
			}
		}
	})
	for i := range n {
		if err := e.Encode(testResults[i%len(testResults)]); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	wg.Wait()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(out.String(), "\n"); got != n {
		t.Errorf("got %d lines, want %d", got, n)
	}
}

func TestFormatString(t *testing.T) {
	want := []string{"invalid", "plain", "list", "json", "ndjson", "xml", "grepable", "Format(7)"}
	for i, w := range want {
		if got := Format(i).String(); got != w {
			t.Errorf("Format(%d).String() = %q, want %q", i, got, w)
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	for _, f := range formats {
		b.Run(f.String(), func(b *testing.B) {
			e, err := NewEncoder(f, io.Discard, testMeta)
			if err != nil {
				b.Fatal(err)
			}
			perResult := (len(encode(b, f, testMeta, testResults)) - len(encode(b, f, testMeta, nil))) / len(testResults)
			b.SetBytes(int64(perResult))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if err := e.Encode(testResults[i%len(testResults)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
