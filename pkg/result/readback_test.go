package result

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// readBack reads every result in doc, a document in format f, failing t
// on any error.
func readBack(t testing.TB, f Format, doc string) []Result {
	t.Helper()
	d, err := NewReader(f, strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	var rs []Result
	for {
		r, err := d.Next()
		if err == io.EOF {
			return rs
		}
		if err != nil {
			t.Fatalf("%v: Next after %d results: %v\n%s", f, len(rs), err, doc)
		}
		rs = append(rs, r)
	}
}

// kept returns what a document in format f, of a SYN scan, keeps of rs
// written without a Flush: the fields the format holds, times in UTC to
// the second, in XML the reason the encoder derives for a result without
// one, and the time of each host record's first result, and what
// keptService says of each service.
func kept(f Format, rs []Result) []Result {
	out := make([]Result, len(rs))
	var host netip.Addr
	var first time.Time
	for i, r := range rs {
		r.Time = r.Time.UTC().Truncate(time.Second)
		switch f {
		case FormatPlain:
			r.TTL, r.Reason, r.ReasonTTL, r.Time, r.Suspect = 0, ReasonNone, 0, time.Time{}, false
		case FormatGrepable:
			r.TTL, r.Reason, r.ReasonTTL, r.Time = 0, ReasonNone, 0, time.Time{}
			r.Suspect = r.Suspect && r.Status == StatusOpen
		case FormatList:
			r.TTL, r.Reason, r.ReasonTTL, r.Suspect = 0, ReasonNone, 0, false
		case FormatXML:
			if r.Reason == ReasonNone {
				r.Reason = map[Status]Reason{StatusOpen: ReasonSYNACK, StatusClosed: ReasonReset, StatusFiltered: ReasonNoResponse}[r.Status]
				r.ReasonTTL = r.TTL
			}
			r.TTL = 0
			if tcpReply(r.Reason) {
				r.TTL = r.ReasonTTL
			}
			if r.IP != host {
				host, first = r.IP, r.Time
			}
			r.Time = first
		}
		r.Service = keptService(f, r)
		out[i] = r
	}
	return out
}

// requireSame fails t unless got and want are the same results, in order.
func requireSame(t *testing.T, got, want []Result) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d results, want %d:\n got %v\nwant %v", len(got), len(want), got, want)
	}
	for i := range got {
		if !sameResult(got[i], want[i]) || got[i].Time.Location() != time.UTC {
			t.Errorf("result %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// readbackSets are results to write and read back: the usual ones, IPv4
// and IPv6 mixed, those with services, those of one address with
// consecutive ports (one XML or grepable host record), IPv4 or IPv6, and
// those of addresses that alternate, within a family and between the two.
func readbackSets() map[string][]Result {
	sets := map[string][]Result{"none": nil, "results": testResults, "reasons": reasonResults, "suspect": suspectResults, "mixed": mixedResults,
		"services": serviceResults}
	var oneHost, oneHost6, alternating, families []Result
	for i := range 8 {
		r := Result{
			IP: netip.AddrFrom4([4]byte{198, 18, 0, 9}), Port: uint16(1 + i), Status: Status(1 + i%3), TTL: uint8(i),
			Time: testStart.Add(time.Duration(i) * 100 * time.Millisecond),
		}
		oneHost = append(oneHost, r)
		r.IP = netip.AddrFrom4([4]byte{198, 18, 1, byte(i % 2)})
		alternating = append(alternating, r)
		if i%2 == 1 {
			// The IPv4-compatible twin of the IPv4 address before it:
			// another host, though its last 32 bits are the same.
			r.IP = netip.AddrFrom16([16]byte{12: 198, 13: 18, 14: 1, 15: 0})
		}
		families = append(families, r)
		r.IP = netip.MustParseAddr("2001:db8::9")
		oneHost6 = append(oneHost6, r)
	}
	sets["one host"], sets["one IPv6 host"], sets["alternating"], sets["alternating families"] = oneHost, oneHost6, alternating, families
	return sets
}

func TestReaderRoundTrip(t *testing.T) {
	for _, f := range formats {
		for name, rs := range readbackSets() {
			t.Run(f.String()+"/"+name, func(t *testing.T) {
				requireSame(t, readBack(t, f, encode(t, f, testMeta, rs)), kept(f, rs))
				requireSame(t, readBack(t, f, encode(t, f, nastyMeta, rs)), kept(f, rs))
			})
		}
	}
}

// TestReaderFlushed reads documents with a Flush after every result, as
// a scan's outputs have one every second: XML and grepable begin a host
// record again after each.
func TestReaderFlushed(t *testing.T) {
	rs := readbackSets()["one host"]
	for _, f := range formats {
		t.Run(f.String(), func(t *testing.T) {
			var out bytes.Buffer
			e, err := newEncoder(f, &out, testMeta, testClock)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rs {
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
			want := kept(f, rs)
			if f == FormatXML {
				// Every result has a host record, and its own time.
				for i := range want {
					want[i].Time = rs[i].Time.UTC().Truncate(time.Second)
				}
			}
			requireSame(t, readBack(t, f, out.String()), want)
		})
	}
}

// cutDocs returns documents in format f to cut: readbackSets, and the
// usual and some mixed results written in two parts, the second continuing
// the first with NewAppendEncoder after a Close, as a resumed scan does
// after a clean stop (the trailer of list and grepable stays in the
// middle).
func cutDocs(t *testing.T, f Format) map[string][]Result {
	t.Helper()
	docs := map[string][]Result{}
	for name, rs := range readbackSets() {
		if name == "one IPv6 host" || name == "alternating families" {
			// Cut as "one host" and "alternating" are; "mixed" cuts
			// IPv6 records, and each cut costs a read of the document.
			continue
		}
		docs[encode(t, f, testMeta, rs)] = rs
	}
	path := filepath.Join(t.TempDir(), "resumed")
	writeFile(t, path, encode(t, f, testMeta, testResults[:2]))
	appendResults(t, f, path, testResults[2:])
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	docs[string(data)] = testResults
	// IPv4 and IPv6, then, resumed, the same IPv6 host again and IPv4.
	path = filepath.Join(t.TempDir(), "resumed mixed")
	writeFile(t, path, encode(t, f, testMeta, mixedResults[:2]))
	appendResults(t, f, path, mixedResults[2:4])
	if data, err = os.ReadFile(path); err != nil {
		t.Fatal(err)
	}
	docs[string(data)] = mixedResults[:4]
	return docs
}

// writeFile writes text to path, failing t on error.
func writeFile(t testing.TB, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// appendResults continues the document in path, format f, with rs, as a
// resumed scan does.
func appendResults(t testing.TB, f Format, path string, rs []Result) {
	t.Helper()
	file, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	e, err := NewAppendEncoder(f, file, testMeta)
	if err != nil {
		t.Fatalf("NewAppendEncoder: %v", err)
	}
	for _, r := range rs {
		if err := e.Encode(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestReaderCut cuts documents at every byte, as a kill -9 can, and
// checks that a Reader returns a prefix of the results without an error,
// and exactly what the file holds once NewAppendEncoder has continued it:
// what it read from the cut file, then what the continuation wrote.
func TestReaderCut(t *testing.T) {
	extra := Result{IP: netip.MustParseAddr("198.18.7.7"), Port: 7, Status: StatusOpen, TTL: 7, Time: testStart}
	for _, f := range formats {
		t.Run(f.String(), func(t *testing.T) {
			file, err := os.Create(filepath.Join(t.TempDir(), "out"))
			if err != nil {
				t.Fatal(err)
			}
			defer file.Close()
			for doc, rs := range cutDocs(t, f) {
				full := readBack(t, f, doc)
				if len(full) != len(rs) {
					t.Fatalf("whole document: read %d results, want %d", len(full), len(rs))
				}
				for i := range len(doc) + 1 {
					got := readBack(t, f, doc[:i])
					if len(got) > len(full) {
						t.Fatalf("cut at %d: %d results, more than the whole document's %d", i, len(got), len(full))
					}
					for j := range got {
						want := full[j]
						if f == FormatList && j == len(got)-1 && got[j].Service == nil {
							// Cut between an open line and the
							// banner line after it: the service
							// is cut off with its line, as it is
							// when NewAppendEncoder continues.
							want.Service = nil
						}
						if !sameResult(got[j], want) {
							t.Fatalf("cut at %d: result %d = %+v, want %+v", i, j, got[j], want)
						}
					}
					if (f == FormatJSON || f == FormatXML) && len(got) == 0 && !headerDone(f, doc[:i]) {
						continue // NewAppendEncoder refuses a file without a header
					}
					data := continued(t, f, file, doc[:i], extra)
					again := readBack(t, f, string(data))
					want := append(got, kept(f, []Result{extra})...)
					if len(again) != len(want) || !sameResult(again[len(again)-1], want[len(want)-1]) {
						t.Fatalf("cut at %d and continued: read %d results, want %d:\n%s", i, len(again), len(want), data)
					}
					for j := range got {
						if !sameResult(again[j], got[j]) {
							t.Fatalf("cut at %d and continued: result %d = %+v, want %+v", i, j, again[j], got[j])
						}
					}
					checkWhole(t, f, data)
				}
			}
		})
	}
}

// continued makes file hold text, continues it in format f with r as a
// resumed scan does, and returns what it then holds.
func continued(t *testing.T, f Format, file *os.File, text string, r Result) []byte {
	t.Helper()
	if err := file.Truncate(0); err != nil {
		t.Fatal(err)
	}
	if _, err := file.WriteAt([]byte(text), 0); err != nil {
		t.Fatal(err)
	}
	e, err := NewAppendEncoder(f, file, testMeta)
	if err != nil {
		t.Fatalf("NewAppendEncoder: %v", err)
	}
	if err := e.Encode(r); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	size, err := file.Seek(0, io.SeekCurrent)
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, size)
	if _, err := file.ReadAt(data, 0); err != nil {
		t.Fatal(err)
	}
	return data
}

// headerDone reports whether a cut JSON or XML document has its whole
// header, which NewAppendEncoder needs to continue it.
func headerDone(f Format, doc string) bool {
	if f == FormatJSON {
		return strings.Contains(doc, "[")
	}
	return strings.Contains(doc, "<debugging level=\"0\"/>\n")
}

// checkWhole fails t unless data, a continued document in format f, ends
// with the whole trailer, and a continued JSON document is valid. (The
// Reader has checked that the XML is well formed up to its trailer.)
func checkWhole(t *testing.T, f Format, data []byte) {
	t.Helper()
	end := map[Format]string{FormatList: "# end\n", FormatJSON: "]\n", FormatXML: "</runstats>\n</nmaprun>\n", FormatGrepable: " seconds\n"}[f]
	if !bytes.HasSuffix(data, []byte(end)) || f == FormatJSON && !json.Valid(data) {
		t.Fatalf("continued %v document is not whole:\n%s", f, data)
	}
}

// TestReaderCutLongLine cuts a grepable host line longer than the block
// NewAppendEncoder reads back at a time, and checks that the continued
// file holds the results before the line and the new one.
func TestReaderCutLongLine(t *testing.T) {
	var rs []Result
	for p := range 5000 {
		rs = append(rs, Result{IP: netip.MustParseAddr("198.18.0.1"), Port: uint16(p + 1), Status: StatusOpen, Time: testStart})
	}
	var out bytes.Buffer
	e, err := newEncoder(FormatGrepable, &out, testMeta, testClock)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rs {
		if err := e.Encode(r); err != nil {
			t.Fatal(err)
		}
		if i == 9 {
			if err := e.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	doc := out.String()
	start := strings.LastIndex(doc[:len(doc)-1], "\n") + 1
	if n := len(doc) - start; n <= tailSize+100 {
		t.Fatalf("last line is %d bytes; want more than %d", n, tailSize+100)
	}
	path := filepath.Join(t.TempDir(), "out")
	extra := Result{IP: netip.MustParseAddr("198.18.7.7"), Port: 7, Status: StatusOpen}
	for _, cut := range []int{len(doc) - 1, start + tailSize + 100, start + 100} {
		got := readBack(t, FormatGrepable, doc[:cut])
		requireSame(t, got, kept(FormatGrepable, rs[:10]))
		writeFile(t, path, doc[:cut])
		appendResults(t, FormatGrepable, path, []Result{extra})
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		requireSame(t, readBack(t, FormatGrepable, string(data)), append(got, extra))
		if n := strings.Count(string(data), "Status: Up"); n != 2 {
			t.Errorf("cut at %d and continued: %d Status lines, want 2 (the cut host's goes too)", cut, n)
		}
	}
}

// TestReaderNmapIPv6 reads what nmap 7.93 wrote for "nmap -6 -sT -Pn -p
// 22,80,8080 --reason ::1 2001:db8::1", with a listener on [::1]:8080
// and no route to 2001:db8::1, in testdata/nmap-ipv6.gnmap and .xml: the
// Reader takes nmap's own IPv6 records, whose layout trawl copies.
func TestReaderNmapIPv6(t *testing.T) {
	local, far := netip.MustParseAddr("::1"), netip.MustParseAddr("2001:db8::1")
	grepable := []Result{
		{IP: local, Port: 22, Status: StatusClosed},
		{IP: local, Port: 80, Status: StatusClosed},
		{IP: local, Port: 8080, Status: StatusOpen},
		{IP: far, Port: 22, Status: StatusFiltered},
		{IP: far, Port: 80, Status: StatusFiltered},
		{IP: far, Port: 8080, Status: StatusFiltered},
	}
	localTime, farTime := time.Unix(1796305651, 0).UTC(), time.Unix(1796305652, 0).UTC()
	xml := []Result{
		{IP: local, Port: 22, Status: StatusClosed, Reason: ReasonConnRefused, Time: localTime},
		{IP: local, Port: 80, Status: StatusClosed, Reason: ReasonConnRefused, Time: localTime},
		{IP: local, Port: 8080, Status: StatusOpen, Reason: ReasonSYNACK, Time: localTime},
		{IP: far, Port: 22, Status: StatusFiltered, Reason: ReasonNoResponse, Time: farTime},
		{IP: far, Port: 80, Status: StatusFiltered, Reason: ReasonNoResponse, Time: farTime},
		{IP: far, Port: 8080, Status: StatusFiltered, Reason: ReasonNoResponse, Time: farTime},
	}
	for _, tt := range []struct {
		f    Format
		file string
		want []Result
	}{
		{FormatGrepable, "nmap-ipv6.gnmap", grepable},
		{FormatXML, "nmap-ipv6.xml", xml},
	} {
		t.Run(tt.f.String(), func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			requireSame(t, readBack(t, tt.f, string(data)), tt.want)
		})
	}
}

// masscanAddr spells ip as masscan 1.3 does in every format
// (_append_ipv6 in src/massip-addr.c): groups in lower-case hex without
// leading zeros, and "::" for the first run of zero groups, even a lone
// one, where RFC 5952 takes the longest run of two or more.
func masscanAddr(ip netip.Addr) string {
	if ip.Is4() {
		return ip.String()
	}
	a := ip.As16()
	var b []byte
	elided := false
	for i := 0; i < 16; i += 2 {
		n := uint16(a[i])<<8 | uint16(a[i+1])
		if n == 0 && !elided {
			elided = true
			for i < 13 && a[i+2] == 0 && a[i+3] == 0 {
				i += 2
			}
			b = append(b, ':')
			if i == 14 {
				// The run reaches the end: "::" ends the address.
				i = 16
				b = append(b, ':')
			}
			continue
		}
		if i > 0 {
			b = append(b, ':')
		}
		b = strconv.AppendUint(b, uint64(n), 16)
	}
	return string(b)
}

// TestListMasscanIPv6 checks the list format against masscan's for IPv6:
// trawl's line is masscan's, byte for byte, wherever masscan spells the
// address as RFC 5952 does, and the Reader reads masscan's spelling of
// every address, those where the two differ included.
func TestListMasscanIPv6(t *testing.T) {
	// differ holds the addresses that masscan spells otherwise, and how.
	differ := map[string]string{
		"2001:db8:0:1::1":      "2001:db8::1:0:0:0:1",
		"2001:db8:0:1:1:1:1:1": "2001:db8::1:1:1:1:1",
		"1:0:0:2::3":           "1::2:0:0:0:3",
		"0:0:1::1":             "::1:0:0:0:0:1",
		"1:2:3:4:5:6:7:0":      "1:2:3:4:5:6:7::",
		"0:1:2:3:4:5:6:7":      "::1:2:3:4:5:6:7",
	}
	addrs := []string{
		"2001:db8::1", "::1", "::", "1::", "fe80::1", "64:ff9b::c612:1", "2001:db8::1:0:0:1",
		"fd00:1234:5678:9abc:def0:1234:5678:9abc", "198.18.0.1",
	}
	for a := range differ {
		addrs = append(addrs, a)
	}
	for _, a := range addrs {
		ip := netip.MustParseAddr(a)
		r := Result{IP: ip, Port: 80, Status: StatusOpen, Time: time.Unix(1700000000, 0).UTC()}
		masscan := "open tcp 80 " + masscanAddr(ip) + " 1700000000\n"
		if want, ok := differ[ip.String()]; ok != (masscanAddr(ip) != ip.String()) || ok && masscanAddr(ip) != want {
			t.Errorf("masscan spells %s as %s; the table says %q", a, masscanAddr(ip), want)
		}
		if got := string(appendList(nil, r)); got != masscan && differ[ip.String()] == "" {
			t.Errorf("list line %q, masscan writes %q", got, masscan)
		}
		requireSame(t, readBack(t, FormatList, "#masscan\n"+masscan+"# end\n"), []Result{r})
	}
}

// TestReaderSpellings checks that every reader gives one Addr for two
// spellings of one IPv6 address, so that trawl merge, which dedups on the
// address and port, sees them as one: other tools, and hands, spell
// addresses otherwise than RFC 5952.
func TestReaderSpellings(t *testing.T) {
	const a, b = "2001:db8::a", "2001:0DB8:0:0:0:0:0:000A"
	docs := map[Format]string{
		FormatPlain:    "[" + a + "]:80\n[" + b + "]:80\n",
		FormatList:     "open tcp 80 " + a + " 0\nopen tcp 80 " + b + " 0\n",
		FormatNDJSON:   `{"ip":"` + a + `","port":80,"status":"open"}` + "\n" + `{"ip":"` + b + `","port":80,"status":"open"}` + "\n",
		FormatJSON:     "[\n" + `{"ip":"` + a + `","port":80,"status":"open"},` + "\n" + `{"ip":"` + b + `","port":80,"status":"open"}` + "\n]\n",
		FormatGrepable: "Host: " + a + " ()\tPorts: 80/open/tcp/////\nHost: " + b + " ()\tPorts: 80/open/tcp/////\n",
		FormatXML: xmlHead + xmlInfo +
			`<host><address addr="` + a + `" addrtype="ipv6"/><ports><port protocol="tcp" portid="80"><state state="open" reason="syn-ack"/></port></ports></host>` + "\n" +
			`<host><address addr="` + b + `" addrtype="ipv6"/><ports><port protocol="tcp" portid="80"><state state="open" reason="syn-ack"/></port></ports></host>` + "\n",
	}
	for f, doc := range docs {
		rs := readBack(t, f, doc)
		if len(rs) != 2 || rs[0].IP != rs[1].IP || rs[0].IP != netip.MustParseAddr(a) || rs[0].IP.String() != a {
			t.Errorf("%v: read %v, want %s twice", f, rs, a)
		}
	}
}

func TestReaderErrors(t *testing.T) {
	tests := []struct {
		f    Format
		doc  string
		want []string // per Next: "ok", "eof", or a substring of the error
	}{
		{FormatPlain, "198.18.0.1:80\nfoo\n198.18.0.1:81 up\n198.18.0.1:82 closed\n", []string{"ok", `line 2: "foo": not an ip:port`, `line 3: invalid port status "up"`, "ok", "eof"}},
		{FormatPlain, "[::1]:80\n[::ffff:198.18.0.1]:80\n[fe80::1%eth0]:80\n2001:db8::1:80\n[198.18.0.1]:80\n[2001:db8::1]:81 closed\n",
			[]string{"ok", `line 2: "[::ffff:198.18.0.1]:80": invalid address ::ffff:198.18.0.1: IPv4-mapped; give the IPv4 address 198.18.0.1`,
				`line 3: "[fe80::1%eth0]:80": invalid address fe80::1%eth0: a zone has no place in the formats; give the address without %eth0`,
				`line 4: "2001:db8::1:80": invalid ip:port`, `line 5: "[198.18.0.1]:80": invalid ip:port`, "ok", "eof"}},
		{FormatList, "open tcp 80 ::ffff:198.18.0.1 0\nopen tcp 80 [2001:db8::1] 0\nopen tcp 80 fe80::1%eth0 0\nopen tcp 80 2001:DB8::1 0\n",
			[]string{"line 1: address: invalid address ::ffff:198.18.0.1: IPv4-mapped", "line 2: address: ParseAddr", "line 3: address: invalid address fe80::1%eth0", "ok", "eof"}},
		{FormatGrepable, "Host: ::ffff:198.18.0.1 ()\tPorts: 80/open/tcp/////\nHost: 2001:db8::1 ()\tPorts: 80/open/tcp/////\n",
			[]string{"line 1: address: invalid address ::ffff:198.18.0.1: IPv4-mapped", "ok", "eof"}},
		{FormatXML, xmlHead + xmlInfo + "<host><address addr=\"2001:db8::1\" addrtype=\"ipv4\"/></host>\n",
			[]string{`line 8: <address addr="2001:db8::1" addrtype="ipv4">: want "ipv6"`}},
		{FormatXML, xmlHead + xmlInfo + "<host><address addr=\"198.18.0.1\" addrtype=\"ipv6\"/></host>\n",
			[]string{`line 8: <address addr="198.18.0.1" addrtype="ipv6">: want "ipv4"`}},
		{FormatXML, xmlHead + xmlInfo + "<host><address addr=\"::ffff:198.18.0.1\" addrtype=\"ipv6\"/></host>\n",
			[]string{"line 8: <address>: address: invalid address ::ffff:198.18.0.1: IPv4-mapped"}},
		{FormatList, "#masscan\nopen tcp 80 198.18.0.1\nopen udp 53 198.18.0.1 0\nopen tcp 80 198.18.0.1 x\nopen tcp 65536 198.18.0.1 0\nopen tcp 80 198.18.0.300 0\nopen tcp 80 198.18.0.1 253402300800\nopen tcp 80 198.18.0.1 0\n",
			[]string{"line 2: 4 fields, want 5", `line 3: protocol "udp"`, `line 4: time "x"`, `line 5: port "65536"`, "line 6: address: ParseAddr", "line 7: time", "ok", "eof"}},
		{FormatJSON, "[\n{\"ip\":\"198.18.0.1\",\"port\":80,\"status\":\"open\"},\n{\"ip\":\"198.18.0.1\"},\n{\"ip\":\"198.18.0.1\",\"port\":81,\"status\":\"open\"}\n]\n",
			[]string{"ok", `line 3: missing key "port"`, "ok", "eof"}},
		{FormatNDJSON, "{\"ip\":\"198.18.0.1\",\"port\":80,\"status\":\"open\"}\n{\"ip\":\"198.18.0.1\",\"port\":81,\"status\":\"open\"}", []string{"ok", "eof"}},
		{FormatGrepable, "# c\nHost: 198.18.0.1 ()\tStatus: Up\nHost: 198.18.0.1 ()\tPorts: 80/open/tcp//http///, 81/up/tcp/////\nHost: 198.18.0.1 ()\tPorts: 82/open/tcp////\nHost: 198.18.0.1 ()\tPorts: 83/open/udp/////\nPorts: 1\nHost: 198.18.0.1\tPorts: 84/open/tcp/////\nHost: 198.18.0.1 ()\tPorts: 84/open/tcp/////, 85/closed/tcp/////\n",
			[]string{`line 3: port entry "81/up/tcp/////": invalid port status "up"`, `line 4: port entry "82/open/tcp////": 7 fields`, `line 5: port entry "83/open/udp/////": protocol "udp"`, `line 6: want a "Host: " line`, `line 7: no " (" after`, "ok", "ok", "eof"}},
		{FormatXML, xmlHead + xmlInfo + "<host><address addr=\"198.18.0.1\" addrtype=\"ipv4\"/><ports><port protocol=\"tcp\" portid=\"80\"><state state=\"up\"/></port></ports></host>\n<host></host>\n",
			[]string{`line 8: <state>: invalid port status "up"`, `line 8: <state>`}},
		{FormatXML, xmlHead + xmlInfo + "<host></host>\n", []string{"line 8: <host> without an <address>"}},
		{FormatXML, xmlHead + xmlInfo + "<host><address addr=\"198.18.0.1\" addrtype=\"ipv4\"/><ports><port protocol=\"tcp\" portid=\"80\"><state state=\"open\" reason=\"syn-ack\"/></port></ports></host>\n<host><</host>\n",
			[]string{"ok", "line 9: expected element name after <", "line 9: expected"}},
		{FormatXML, "<nmaprun>\n<host endtime=\"x\">", []string{"line 2: <host endtime>: time \"x\""}},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprint(tt.f, i), func(t *testing.T) {
			d, err := NewReader(tt.f, strings.NewReader(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			for j, w := range tt.want {
				_, err := d.Next()
				var se *SyntaxError
				switch {
				case w == "ok" && err != nil, w == "eof" && err != io.EOF:
					t.Fatalf("Next %d = %v, want %s", j, err, w)
				case w == "ok" || w == "eof":
				case err == nil || !strings.Contains(err.Error(), w) || !errors.As(err, &se):
					t.Fatalf("Next %d = %v, want a *SyntaxError with %q", j, err, w)
				}
			}
		})
	}
}

func TestReaderReadErrors(t *testing.T) {
	errRead := errors.New("connection reset")
	for _, f := range formats {
		t.Run(f.String(), func(t *testing.T) {
			doc := encode(t, f, testMeta, testResults)
			d, err := NewReader(f, &failReader{data: []byte(doc), err: errRead})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for {
				_, err := d.Next()
				if err == nil {
					n++
					continue
				}
				if !errors.Is(err, errRead) {
					t.Fatalf("Next = %v after %d results, want the read error", err, n)
				}
				if _, again := d.Next(); again != err {
					t.Errorf("Next after the read error = %v, want it again", again)
				}
				break
			}
			if n != len(testResults) {
				t.Errorf("%d results before the read error, want %d", n, len(testResults))
			}
		})
	}
	d, err := NewReader(FormatList, strings.NewReader("open tcp 80 198.18.0.1 0\n#"+strings.Repeat(" ", maxReadLine)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Next(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Next(); err == nil || err.Error() != "read line 2: bufio.Scanner: token too long" {
		t.Errorf("Next on a long line = %v", err)
	}
	if _, err := NewReader(FormatInvalid, strings.NewReader("")); !errors.Is(err, ErrInvalidFormat) {
		t.Errorf("NewReader(FormatInvalid) = %v, want ErrInvalidFormat", err)
	}
}

// fuzzReader checks that a Reader of format f never panics and ends, and
// that the results it reads, encoded in f with a Flush after each (so that
// each has its own XML or grepable host record), read back as the same
// results.
func fuzzReader(f *testing.F, ft Format) {
	for _, rs := range readbackSets() {
		doc := encode(f, ft, testMeta, rs)
		f.Add([]byte(doc))
		f.Add([]byte(doc[:len(doc)*2/3]))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := NewReader(ft, bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		e, err := NewEncoder(ft, &out, testMeta)
		if err != nil {
			t.Fatal(err)
		}
		var rs []Result
		for range len(data) + 2 {
			r, err := d.Next()
			var se *SyntaxError
			if errors.As(err, &se) {
				if se.Line < 1 {
					t.Fatalf("syntax error on line %d: %v", se.Line, err)
				}
				if ft == FormatXML {
					break
				}
				continue
			}
			if err != nil {
				break
			}
			if err := e.Encode(r); err != nil {
				t.Fatalf("Encode(%+v): %v", r, err)
			}
			if err := e.Flush(); err != nil {
				t.Fatal(err)
			}
			rs = append(rs, r)
		}
		if _, err := d.Next(); err == nil {
			t.Fatalf("more results than bytes in %q", data)
		}
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
		again := readBack(t, ft, out.String())
		if len(again) != len(rs) {
			t.Fatalf("read %d results, encoded and read back %d:\n%s", len(rs), len(again), out.String())
		}
		for i := range rs {
			if !sameResult(again[i], rs[i]) {
				t.Fatalf("read %+v, encoded and read back %+v", rs[i], again[i])
			}
		}
	})
}

func FuzzReaderPlain(f *testing.F)    { fuzzReader(f, FormatPlain) }
func FuzzReaderList(f *testing.F)     { fuzzReader(f, FormatList) }
func FuzzReaderJSON(f *testing.F)     { fuzzReader(f, FormatJSON) }
func FuzzReaderNDJSON(f *testing.F)   { fuzzReader(f, FormatNDJSON) }
func FuzzReaderXML(f *testing.F)      { fuzzReader(f, FormatXML) }
func FuzzReaderGrepable(f *testing.F) { fuzzReader(f, FormatGrepable) }

func BenchmarkReader(b *testing.B) {
	for _, f := range formats {
		b.Run(f.String(), func(b *testing.B) {
			doc := []byte(encode(b, f, testMeta, readbackSets()["alternating"]))
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			for b.Loop() {
				d, err := NewReader(f, bytes.NewReader(doc))
				if err != nil {
					b.Fatal(err)
				}
				for {
					if _, err := d.Next(); err == io.EOF {
						break
					} else if err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
