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

// MaxLineLen is the longest line, in bytes, that an NDJSONReader accepts.
const MaxLineLen = 64 << 10

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
// them. Times are kept in UTC to
// the second, the precision the encoders write, so that every Result read
// encodes back to a line that reads as the same Result. A last line without
// its newline is read too; a Reader, for files that a killed writer may
// have cut, skips it.
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
	IP        *string `json:"ip"`
	Port      *uint16 `json:"port"`
	Proto     *string `json:"proto"`
	Status    *string `json:"status"`
	Reason    *string `json:"reason"`
	ReasonTTL uint8   `json:"reason_ttl"`
	TTL       uint8   `json:"ttl"`
	Time      *string `json:"time"`
	Suspect   bool    `json:"suspect"`
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
	if j.Time != nil {
		t, err := time.Parse(time.RFC3339, *j.Time)
		if err != nil {
			return Result{}, fmt.Errorf("time: %w", err)
		}
		t = t.UTC().Truncate(time.Second)
		if y := t.Year(); y < 0 || y > 9999 {
			return Result{}, fmt.Errorf("time %q: year %d in UTC is out of range 0-9999", *j.Time, y)
		}
		r.Time = t
	}
	return r, nil
}
