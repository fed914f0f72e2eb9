package result

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// readAll reads every result from input, failing t on any error.
func readAll(t *testing.T, input string) []Result {
	t.Helper()
	d := NewNDJSONReader(strings.NewReader(input))
	var rs []Result
	for {
		r, err := d.Next()
		if err == io.EOF {
			return rs
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		rs = append(rs, r)
	}
}

func TestNDJSONReaderRoundTrip(t *testing.T) {
	got := readAll(t, encode(t, FormatNDJSON, testMeta, testResults))
	if len(got) != len(testResults) {
		t.Fatalf("got %d results, want %d", len(got), len(testResults))
	}
	for i, r := range got {
		w := testResults[i]
		if r.IP != w.IP || r.Port != w.Port || r.Status != w.Status || r.TTL != w.TTL ||
			!r.Time.Equal(w.Time.Truncate(time.Second)) || r.Time.Location() != time.UTC {
			t.Errorf("result %d = %+v, want %+v", i, r, w)
		}
	}
}

func TestNDJSONReaderLenient(t *testing.T) {
	want := Result{
		IP: netip.MustParseAddr("198.18.0.1"), Port: 80, Status: StatusOpen, TTL: 64,
		Time: time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC),
	}
	withReason := want
	withReason.Reason, withReason.ReasonTTL = ReasonSYNACK, 64
	suspect := withReason
	suspect.Suspect = true
	want6 := want
	want6.IP = netip.MustParseAddr("2001:db8::1")
	withService := want
	withService.Service = &ServiceInfo{TLS: &TLSInfo{}}
	tests := []struct {
		name  string
		input string
		want  []Result
	}{
		{"empty input", "", nil},
		{"blank lines", "\n  \n\t\n", nil},
		{"no final newline", `{"ip":"198.18.0.1","port":80,"proto":"tcp","status":"open","ttl":64,"time":"2026-01-02T15:04:05Z"}`, []Result{want}},
		{"CRLF and blank lines", "\r\n" + `{"ip":"198.18.0.1","port":80,"proto":"tcp","status":"open","ttl":64,"time":"2026-01-02T15:04:05Z"}` + "\r\n\r\n", []Result{want}},
		{"keys in another order, spaces", ` { "time" : "2026-01-02T15:04:05Z", "status":"open", "ttl":64, "port":80, "ip":"198.18.0.1" } `, []Result{want}},
		{"unknown keys", `{"ip":"198.18.0.1","port":80,"status":"open","ttl":64,"time":"2026-01-02T15:04:05Z","app":"http","banner":{"x":[1,2]},"service":{"x":1,"tls":{"y":[2]}}}`, []Result{withService}},
		{"service null", `{"ip":"198.18.0.1","port":80,"status":"open","ttl":64,"time":"2026-01-02T15:04:05Z","service":null}`, []Result{want}},
		{"reason", `{"ip":"198.18.0.1","port":80,"status":"open","reason":"syn-ack","reason_ttl":64,"ttl":64,"time":"2026-01-02T15:04:05Z"}`, []Result{withReason}},
		{"suspect", `{"ip":"198.18.0.1","port":80,"proto":"tcp","status":"open","reason":"syn-ack","reason_ttl":64,"ttl":64,"time":"2026-01-02T15:04:05Z","suspect":true}`, []Result{suspect}},
		{"suspect false", `{"ip":"198.18.0.1","port":80,"status":"open","suspect":false,"reason":"syn-ack","reason_ttl":64,"ttl":64,"time":"2026-01-02T15:04:05Z"}`, []Result{withReason}},
		{"reason_ttl without reason", `{"ip":"198.18.0.1","port":80,"status":"open","reason_ttl":64,"ttl":64,"time":"2026-01-02T15:04:05Z"}`, []Result{want}},
		{"offset and fraction", `{"ip":"198.18.0.1","port":80,"status":"open","ttl":64,"time":"2026-01-02T16:04:05.999+01:00"}`, []Result{want}},
		{"optional keys missing", `{"ip":"198.18.0.1","port":80,"status":"open"}`, []Result{{IP: want.IP, Port: 80, Status: StatusOpen}}},
		{"IPv6", `{"ip":"2001:db8::1","port":80,"status":"open","ttl":64,"time":"2026-01-02T15:04:05Z"}`, []Result{want6}},
		{"IPv6 in upper case, zeros spelled out", `{"ip":"2001:DB8:0:0:0:0:0:1","port":80,"status":"open","ttl":64,"time":"2026-01-02T15:04:05Z"}`, []Result{want6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readAll(t, tt.input)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d results, want %d", len(got), len(tt.want))
			}
			for i := range got {
				if !sameResult(got[i], tt.want[i]) {
					t.Errorf("result %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// sameResult reports whether a and b are the same result, comparing times
// with Equal and services with sameService.
func sameResult(a, b Result) bool {
	at, bt := a.Time, b.Time
	as, bs := a.Service, b.Service
	a.Time, b.Time = time.Time{}, time.Time{}
	a.Service, b.Service = nil, nil
	return a == b && at.Equal(bt) && sameService(as, bs)
}

func TestNDJSONReaderErrors(t *testing.T) {
	good := `{"ip":"198.18.0.1","port":80,"proto":"tcp","status":"open","ttl":64,"time":"2026-01-02T15:04:05Z"}`
	tests := []struct {
		name, line, want string
	}{
		{"not JSON", `198.18.0.1:80`, "invalid character"},
		{"array", `[1]`, "cannot unmarshal array"},
		{"two objects", good + good, "invalid character '{' after top-level value"},
		{"missing ip", `{"port":80,"status":"open"}`, `missing key "ip"`},
		{"missing port", `{"ip":"198.18.0.1","status":"open"}`, `missing key "port"`},
		{"missing status", `{"ip":"198.18.0.1","port":80}`, `missing key "status"`},
		{"bad ip", `{"ip":"198.18.0.256","port":80,"status":"open"}`, `ip: ParseAddr("198.18.0.256")`},
		{"IPv4-mapped", `{"ip":"::ffff:1.2.3.4","port":80,"status":"open"}`, "ip: invalid address ::ffff:1.2.3.4: IPv4-mapped; give the IPv4 address 1.2.3.4"},
		{"IPv6 zone", `{"ip":"fe80::1%eth0","port":80,"status":"open"}`, "ip: invalid address fe80::1%eth0: a zone has no place"},
		{"IPv6 in brackets", `{"ip":"[2001:db8::1]","port":80,"status":"open"}`, `ip: ParseAddr("[2001:db8::1]")`},
		{"port too big", `{"ip":"198.18.0.1","port":65536,"status":"open"}`, "cannot unmarshal number 65536"},
		{"port negative", `{"ip":"198.18.0.1","port":-1,"status":"open"}`, "cannot unmarshal number -1"},
		{"port string", `{"ip":"198.18.0.1","port":"80","status":"open"}`, "cannot unmarshal string"},
		{"udp", `{"ip":"198.18.0.1","port":53,"proto":"udp","status":"open"}`, `proto "udp": only "tcp" is supported`},
		{"bad status", `{"ip":"198.18.0.1","port":80,"status":"up"}`, `status: invalid port status "up"`},
		{"bad reason", `{"ip":"198.18.0.1","port":80,"status":"filtered","reason":"icmp"}`, `reason: invalid reason "icmp"`},
		{"empty reason", `{"ip":"198.18.0.1","port":80,"status":"open","reason":""}`, `reason: invalid reason ""`},
		{"reason_ttl too big", `{"ip":"198.18.0.1","port":80,"status":"open","reason":"syn-ack","reason_ttl":256}`, "cannot unmarshal number 256"},
		{"ttl too big", `{"ip":"198.18.0.1","port":80,"status":"open","ttl":256}`, "cannot unmarshal number 256"},
		{"bad time", `{"ip":"198.18.0.1","port":80,"status":"open","time":"1700000000"}`, "time: parsing time"},
		{"year out of range in UTC", `{"ip":"198.18.0.1","port":80,"status":"open","time":"0000-01-01T00:00:00+01:00"}`, "year -1 in UTC is out of range"},
		{"service a string", `{"ip":"198.18.0.1","port":80,"status":"open","service":"http"}`, "cannot unmarshal string into Go struct field jsonResult.service"},
		{"conf above 10", `{"ip":"198.18.0.1","port":80,"status":"open","service":{"name":"http","conf":11}}`, "service: conf 11: want 0 to 10"},
		{"conf too big", `{"ip":"198.18.0.1","port":80,"status":"open","service":{"conf":256}}`, "cannot unmarshal number 256"},
		{"cpe a string", `{"ip":"198.18.0.1","port":80,"status":"open","service":{"cpe":"cpe:/a:x"}}`, "cannot unmarshal string"},
		{"banner bytes", `{"ip":"198.18.0.1","port":80,"status":"open","service":{"banner":[0,1]}}`, "cannot unmarshal array"},
		{"bad not_after", `{"ip":"198.18.0.1","port":443,"status":"open","service":{"tls":{"not_after":"2027-01-01"}}}`, "service: tls not_after: parsing time"},
		{"not_before out of range", `{"ip":"198.18.0.1","port":443,"status":"open","service":{"tls":{"not_before":"0000-01-01T00:00:00+01:00"}}}`, `service: tls not_before "0000-01-01T00:00:00+01:00": year -1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The bad line is line 3, between good ones and after a blank.
			d := NewNDJSONReader(strings.NewReader(good + "\n\n" + tt.line + "\n" + good + "\n"))
			if _, err := d.Next(); err != nil {
				t.Fatal(err)
			}
			_, err := d.Next()
			var se *SyntaxError
			if !errors.As(err, &se) || se.Line != 3 {
				t.Fatalf("Next = %v, want a *SyntaxError for line 3", err)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "line 3: ") || !strings.Contains(msg, tt.want) {
				t.Errorf("error %q, want it to begin with %q and contain %q", msg, "line 3: ", tt.want)
			}
			if _, err := d.Next(); err != nil {
				t.Errorf("Next after a bad line = %v, want the good line after it", err)
			}
			if _, err := d.Next(); err != io.EOF {
				t.Errorf("Next at the end = %v, want io.EOF", err)
			}
		})
	}
	t.Run("status error wraps", func(t *testing.T) {
		_, err := NewNDJSONReader(strings.NewReader(`{"ip":"1.2.3.4","port":1,"status":"x"}`)).Next()
		if !errors.Is(err, ErrInvalidStatus) {
			t.Errorf("error %v does not wrap ErrInvalidStatus", err)
		}
	})
}

// failReader returns data, then err.
type failReader struct {
	data []byte
	err  error
}

func (f *failReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestNDJSONReaderReadErrors(t *testing.T) {
	good := `{"ip":"198.18.0.1","port":80,"status":"open"}` + "\n"
	errRead := errors.New("connection reset")
	tests := []struct {
		name string
		r    io.Reader
		want error
		msg  string
	}{
		{"read error", &failReader{data: []byte(good), err: errRead}, errRead, "read line 2: connection reset"},
		{"line too long", strings.NewReader(good + strings.Repeat(" ", MaxLineLen+1)), nil, "read line 2: bufio.Scanner: token too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewNDJSONReader(tt.r)
			if _, err := d.Next(); err != nil {
				t.Fatal(err)
			}
			for range 2 {
				_, err := d.Next()
				if err == nil || err.Error() != tt.msg || (tt.want != nil && !errors.Is(err, tt.want)) {
					t.Errorf("Next = %v, want %q", err, tt.msg)
				}
				var se *SyntaxError
				if errors.As(err, &se) {
					t.Errorf("Next = %v, a *SyntaxError; want a read error", err)
				}
			}
		})
	}
}

// FuzzNDJSON checks that the reader never panics, and that every result it
// reads encodes in every format, and back to NDJSON that reads as the same
// result. More seeds are in testdata/fuzz/FuzzNDJSON.
func FuzzNDJSON(f *testing.F) {
	f.Add([]byte(encode(f, FormatNDJSON, testMeta, testResults)))
	f.Add([]byte(encode(f, FormatNDJSON, testMeta, serviceResults)))
	f.Fuzz(func(t *testing.T, data []byte) {
		d := NewNDJSONReader(bytes.NewReader(data))
		for range bytes.Count(data, []byte("\n")) + 1 {
			r, err := d.Next()
			var se *SyntaxError
			if errors.As(err, &se) {
				continue
			}
			if err != nil {
				return
			}
			for _, f := range formats {
				e, err := NewEncoder(f, io.Discard, testMeta)
				if err != nil {
					t.Fatal(err)
				}
				if err := e.Encode(r); err != nil {
					t.Fatalf("%v: Encode(%+v): %v", f, r, err)
				}
				if err := e.Close(); err != nil {
					t.Fatal(err)
				}
			}
			line := appendJSON(nil, r)
			again, err := NewNDJSONReader(bytes.NewReader(line)).Next()
			if err != nil {
				t.Fatalf("re-reading %s: %v", line, err)
			}
			if !sameResult(again, r) {
				t.Fatalf("read %+v, encoded %s, read back %+v", r, line, again)
			}
		}
	})
}

func BenchmarkNDJSONReader(b *testing.B) {
	line := appendJSON(nil, testResults[0])
	input := bytes.Repeat(append(line, '\n'), 1000)
	b.SetBytes(int64(len(line) + 1))
	b.ReportAllocs()
	var d *NDJSONReader
	for b.Loop() {
		if d == nil {
			d = NewNDJSONReader(bytes.NewReader(input))
		}
		if _, err := d.Next(); err == io.EOF {
			d = nil
		} else if err != nil {
			b.Fatal(err)
		}
	}
}
