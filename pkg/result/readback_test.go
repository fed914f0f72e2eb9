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
// the second, and in XML the reason the encoder derives for a result
// without one, and the time of each host record's first result.
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

// readbackSets are results to write and read back: the usual ones, those
// of one address with consecutive ports (one XML or grepable host record),
// and those of addresses that alternate.
func readbackSets() map[string][]Result {
	sets := map[string][]Result{"none": nil, "results": testResults, "reasons": reasonResults, "suspect": suspectResults}
	var oneHost, alternating []Result
	for i := range 8 {
		r := Result{
			IP: netip.AddrFrom4([4]byte{198, 18, 0, 9}), Port: uint16(1 + i), Status: Status(1 + i%3), TTL: uint8(i),
			Time: testStart.Add(time.Duration(i) * 100 * time.Millisecond),
		}
		oneHost = append(oneHost, r)
		r.IP = netip.AddrFrom4([4]byte{198, 18, 1, byte(i % 2)})
		alternating = append(alternating, r)
	}
	sets["one host"], sets["alternating"] = oneHost, alternating
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

// cutDocs returns documents in format f to cut: each of readbackSets, and
// the usual results written in two parts, the second continuing the first
// with NewAppendEncoder after a Close, as a resumed scan does after a
// clean stop (the trailer of list and grepable stays in the middle).
func cutDocs(t *testing.T, f Format) map[string][]Result {
	t.Helper()
	docs := map[string][]Result{}
	for _, rs := range readbackSets() {
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
						if !sameResult(got[j], full[j]) {
							t.Fatalf("cut at %d: result %d = %+v, want %+v", i, j, got[j], full[j])
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

func TestReaderErrors(t *testing.T) {
	tests := []struct {
		f    Format
		doc  string
		want []string // per Next: "ok", "eof", or a substring of the error
	}{
		{FormatPlain, "198.18.0.1:80\nfoo\n198.18.0.1:81 up\n198.18.0.1:82 closed\n", []string{"ok", `line 2: "foo": not an ip:port`, `line 3: invalid port status "up"`, "ok", "eof"}},
		{FormatPlain, "[::1]:80\n", []string{"line 1: \"[::1]:80\": address is not IPv4", "eof"}},
		{FormatList, "#masscan\nopen tcp 80 198.18.0.1\nopen udp 53 198.18.0.1 0\nopen tcp 80 198.18.0.1 x\nopen tcp 65536 198.18.0.1 0\nopen tcp 80 198.18.0.300 0\nopen tcp 80 198.18.0.1 253402300800\nopen tcp 80 198.18.0.1 0\n",
			[]string{"line 2: 4 fields, want 5", `line 3: protocol "udp"`, `line 4: time "x"`, `line 5: port "65536"`, "line 6: address: ParseAddr", "line 7: time", "ok", "eof"}},
		{FormatJSON, "[\n{\"ip\":\"198.18.0.1\",\"port\":80,\"status\":\"open\"},\n{\"ip\":\"198.18.0.1\"},\n{\"ip\":\"198.18.0.1\",\"port\":81,\"status\":\"open\"}\n]\n",
			[]string{"ok", `line 3: missing key "port"`, "ok", "eof"}},
		{FormatNDJSON, "{\"ip\":\"198.18.0.1\",\"port\":80,\"status\":\"open\"}\n{\"ip\":\"198.18.0.1\",\"port\":81,\"status\":\"open\"}", []string{"ok", "eof"}},
		{FormatGrepable, "# c\nHost: 198.18.0.1 ()\tStatus: Up\nHost: 198.18.0.1 ()\tPorts: 80/open/tcp//http///, 81/up/tcp/////\nHost: 198.18.0.1 ()\tPorts: 82/open/tcp////\nHost: 198.18.0.1 ()\tPorts: 83/open/udp/////\nPorts: 1\nHost: 198.18.0.1\tPorts: 84/open/tcp/////\nHost: 198.18.0.1 ()\tPorts: 84/open/tcp/////, 85/closed/tcp/////\n",
			[]string{`line 3: port entry "81/up/tcp/////": invalid port status "up"`, `line 4: port entry "82/open/tcp////": 7 fields`, `line 5: port entry "83/open/udp/////": protocol "udp"`, `line 6: want a "Host: " line`, `line 7: no " (" after`, "ok", "ok", "eof"}},
		{FormatXML, xmlHead + xmlInfo + "<host><address addr=\"198.18.0.1\" addrtype=\"ipv4\"/><ports><port protocol=\"tcp\" portid=\"80\"><state state=\"up\"/></port></ports></host>\n<host></host>\n",
			[]string{`line 8: <state>: invalid port status "up"`, `line 8: <state>`}},
		{FormatXML, xmlHead + xmlInfo + "<host></host>\n", []string{"line 8: <host> without an IPv4 <address>"}},
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
