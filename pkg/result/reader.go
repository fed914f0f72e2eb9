package result

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"time"
)

// MaxLineLen is the longest line, in bytes, that an NDJSONReader accepts:
// room for a result with a service, whose banner of MaxBanner bytes takes
// up to six times as many, and a certificate's names.
const MaxLineLen = 1 << 20

// SyntaxError reports a line of input that does not decode to a Result.
// The NDJSONReader or Reader that returned it goes on with the next line,
// except a Reader of XML, which stops.
type SyntaxError struct {
	// Line is the 1-based number of the bad line.
	Line int
	// Err says what is wrong with it.
	Err error
}

// Error returns a message such as `line 3: missing key "port"`.
func (e *SyntaxError) Error() string {
	return "line " + strconv.Itoa(e.Line) + ": " + e.Err.Error()
}

// Unwrap returns e.Err.
func (e *SyntaxError) Unwrap() error { return e.Err }

// NDJSONReader reads the results that FormatNDJSON writes, one JSON object
// per line, for example to merge the outputs of shards. Blank lines are
// skipped, keys may come in any order, and unknown keys are ignored. "ip",
// "port" and "status" are required. "ip" is an IPv4 address, or an IPv6
// address without a zone and not IPv4-mapped, in any spelling that
// netip.ParseAddr takes, so that two spellings of one address read as
// one Addr. "proto", if present, must be "tcp";
// "ttl" defaults to 0, "time" to the zero time and "suspect" to false.
// "reason", if present, must be a word ParseReason takes, and
// "reason_ttl" (default 0) is read with it only, as the encoders write
// them. "service", if present and not null, gives a Service: every key
// of it is optional, "conf" must be 0 to 10, "banner" is read as the
// encoders write it, one byte per code point up to U+00FF (a code point
// above gives its UTF-8 bytes), "tls", if present and not null, gives
// its TLS, and "http", if present and not null, its HTTP. Times are kept
// in UTC to the second, the precision the encoders write, so that every
// Result read encodes back to a line that reads as the same Result. A
// last line without its newline is read too; a Reader, for files that a
// killed writer may have cut, skips it.
//
// An NDJSONReader is not safe for concurrent use.
type NDJSONReader struct {
	s    *bufio.Scanner
	line int
	err  error // sticky read error
}

// NewNDJSONReader returns a reader of NDJSON results from r, buffered.
func NewNDJSONReader(r io.Reader) *NDJSONReader {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 0, 4096), MaxLineLen)
	return &NDJSONReader{s: s}
}

// Next returns the next result. At the end of the input it returns io.EOF.
// A line that does not decode gives a *SyntaxError, and the next call goes
// on with the line after it. A failure to read, or a line longer than
// MaxLineLen, gives an error that names the line, and every later call
// returns the same error.
func (d *NDJSONReader) Next() (Result, error) {
	if d.err != nil {
		return Result{}, d.err
	}
	for d.s.Scan() {
		d.line++
		b := bytes.TrimSpace(d.s.Bytes())
		if len(b) == 0 {
			continue
		}
		r, err := parseNDJSON(b)
		if err != nil {
			return Result{}, &SyntaxError{Line: d.line, Err: err}
		}
		return r, nil
	}
	if err := d.s.Err(); err != nil {
		d.err = fmt.Errorf("read line %d: %w", d.line+1, err)
	} else {
		d.err = io.EOF
	}
	return Result{}, d.err
}

// jsonResult is the shape of one NDJSON line; pointers tell missing keys
// from zero values.
type jsonResult struct {
	IP        *string      `json:"ip"`
	Port      *uint16      `json:"port"`
	Proto     *string      `json:"proto"`
	Status    *string      `json:"status"`
	Reason    *string      `json:"reason"`
	ReasonTTL uint8        `json:"reason_ttl"`
	TTL       uint8        `json:"ttl"`
	Time      *string      `json:"time"`
	Suspect   bool         `json:"suspect"`
	Service   *jsonService `json:"service"`
}

// jsonService is the shape of a line's "service" object.
type jsonService struct {
	Name       string    `json:"name"`
	Product    string    `json:"product"`
	Version    string    `json:"version"`
	ExtraInfo  string    `json:"extrainfo"`
	Hostname   string    `json:"hostname"`
	OSType     string    `json:"ostype"`
	DeviceType string    `json:"devicetype"`
	CPE        []string  `json:"cpe"`
	Method     string    `json:"method"`
	Conf       uint8     `json:"conf"`
	Banner     string    `json:"banner"`
	TLS        *jsonTLS  `json:"tls"`
	HTTP       *jsonHTTP `json:"http"`
}

// jsonTLS is the shape of a service's "tls" object.
type jsonTLS struct {
	Version   string   `json:"version"`
	Cipher    string   `json:"cipher"`
	ALPN      string   `json:"alpn"`
	Subject   string   `json:"subject"`
	Issuer    string   `json:"issuer"`
	SANs      []string `json:"sans"`
	NotBefore *string  `json:"not_before"`
	NotAfter  *string  `json:"not_after"`
	SHA256    string   `json:"sha256"`
}

// jsonHTTP is the shape of a service's "http" object.
type jsonHTTP struct {
	Status string `json:"status"`
	Server string `json:"server"`
	Title  string `json:"title"`
}

// errMissing is wrapped by the error for a line without a required key.
var errMissing = errors.New("missing key")

// parseNDJSON decodes one line of NDJSON.
func parseNDJSON(line []byte) (Result, error) {
	var j jsonResult
	if err := json.Unmarshal(line, &j); err != nil {
		return Result{}, err
	}
	switch {
	case j.IP == nil:
		return Result{}, fmt.Errorf(`%w "ip"`, errMissing)
	case j.Port == nil:
		return Result{}, fmt.Errorf(`%w "port"`, errMissing)
	case j.Status == nil:
		return Result{}, fmt.Errorf(`%w "status"`, errMissing)
	case j.Proto != nil && *j.Proto != Proto:
		return Result{}, fmt.Errorf("proto %q: only %q is supported", *j.Proto, Proto)
	}
	ip, err := netip.ParseAddr(*j.IP)
	if err != nil {
		return Result{}, fmt.Errorf("ip: %w", err)
	}
	if err := checkAddr(ip); err != nil {
		return Result{}, fmt.Errorf("ip: %w", err)
	}
	status, err := ParseStatus(*j.Status)
	if err != nil {
		return Result{}, fmt.Errorf("status: %w", err)
	}
	r := Result{IP: ip, Port: *j.Port, Status: status, TTL: j.TTL, Suspect: j.Suspect}
	if j.Reason != nil {
		if r.Reason, err = ParseReason(*j.Reason); err != nil {
			return Result{}, fmt.Errorf("reason: %w", err)
		}
		r.ReasonTTL = j.ReasonTTL
	}
	if r.Time, err = parseJSONTime("time", j.Time); err != nil {
		return Result{}, err
	}
	if j.Service != nil {
		if r.Service, err = j.Service.service(); err != nil {
			return Result{}, fmt.Errorf("service: %w", err)
		}
	}
	return r, nil
}

// parseJSONTime parses the RFC 3339 time of key into UTC to the second;
// nil gives the zero Time.
func parseJSONTime(key string, s *string) (time.Time, error) {
	if s == nil {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, *s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %w", key, err)
	}
	t = t.UTC().Truncate(time.Second)
	if y := t.Year(); y < 0 || y > 9999 {
		return time.Time{}, fmt.Errorf("%s %q: year %d in UTC is out of range 0-9999", key, *s, y)
	}
	return t, nil
}

// service returns the ServiceInfo that j holds.
func (j *jsonService) service() (*ServiceInfo, error) {
	if j.Conf > maxConf {
		return nil, fmt.Errorf("conf %d: want 0 to %d", j.Conf, maxConf)
	}
	s := &ServiceInfo{
		Name: j.Name, Product: j.Product, Version: j.Version, ExtraInfo: j.ExtraInfo,
		Hostname: j.Hostname, OSType: j.OSType, DeviceType: j.DeviceType,
		CPE: nonEmpty(j.CPE), Method: j.Method, Conf: j.Conf, Banner: keepBanner(latin1Bytes(j.Banner)),
	}
	if t := j.TLS; t != nil {
		s.TLS = &TLSInfo{
			Version: t.Version, Cipher: t.Cipher, ALPN: t.ALPN, Subject: t.Subject, Issuer: t.Issuer,
			SANs: nonEmpty(t.SANs), SHA256: t.SHA256,
		}
		var err error
		if s.TLS.NotBefore, err = parseJSONTime("tls not_before", t.NotBefore); err != nil {
			return nil, err
		}
		if s.TLS.NotAfter, err = parseJSONTime("tls not_after", t.NotAfter); err != nil {
			return nil, err
		}
	}
	if h := j.HTTP; h != nil {
		s.HTTP = &HTTPInfo{Status: h.Status, Server: h.Server, Title: h.Title}
	}
	return s, nil
}

// nonEmpty returns vs, or nil if it is empty.
func nonEmpty(vs []string) []string {
	if len(vs) == 0 {
		return nil
	}
	return vs
}
