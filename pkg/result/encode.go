package result

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"sync"
	"time"
)

// Format names one output format. The zero value is invalid.
type Format uint8

// The output formats.
const (
	// FormatInvalid is the zero Format; NewEncoder rejects it.
	FormatInvalid Format = iota
	// FormatPlain writes "198.18.0.1:80" for an open port and
	// "198.18.0.1:81 closed" for any other, one per line, with no header.
	// An IPv6 address is in brackets, as in a URL: "[2001:db8::1]:80".
	// A Service is not written, so that the lines stay IP:PORT.
	FormatPlain
	// FormatList is masscan's list format (-oL): a "#masscan" line, then
	// lines of status, protocol, port, address and Unix seconds, such as
	// "open tcp 80 198.18.0.1 1700000000", then a "# end" line. An IPv6
	// address is bare, as masscan writes it: "open tcp 80 2001:db8::1
	// 1700000000". The address is in RFC 5952's form, as in every
	// format: masscan elides the first run of zero groups, even a lone
	// one, rather than the longest, so that for an address such as
	// 2001:db8:0:1::1 it writes 2001:db8::1:0:0:0:1. A Reader takes
	// both. A result whose Service has a Banner is followed by
	// masscan's banner line, "banner tcp 22 198.18.0.1 1700000000 ssh
	// SSH-2.0-OpenSSH_9.2p1\x0d\x0a": the service's name ("unknown" if
	// it has none) and its banner, each byte other than printable ASCII
	// and < > & \ " ' written \xhh, as masscan writes them.
	FormatList
	// FormatJSON is a JSON array (-oJ) of the objects FormatNDJSON writes,
	// one per line. It is valid JSON, "[]" included, once Close has run.
	FormatJSON
	// FormatNDJSON writes one JSON object per line (-oD), keys in this
	// order: {"ip":"198.18.0.1","port":80,"proto":"tcp","status":"open",
	// "reason":"syn-ack","reason_ttl":64,"ttl":64,
	// "time":"2026-01-02T15:04:05Z"}. An IPv6 address is in RFC 5952's
	// form: "ip":"2001:db8::1". Time is RFC 3339 in UTC. "reason" and
	// "reason_ttl" are left out for ReasonNone. A Suspect result ends
	// with "suspect":true after "time"; others have no "suspect" key.
	// A result with a Service ends with a "service" object: "name",
	// "product", "version", "extrainfo", "hostname", "ostype",
	// "devicetype", "cpe" (an array), "method", "conf", "banner",
	// "tls", an object of "version", "cipher", "alpn", "subject",
	// "issuer", "sans" (an array), "not_before", "not_after" and
	// "sha256", and "http", an object of "status", "server" and
	// "title", each key left out when its value is empty (a non-nil
	// TLS or HTTP with nothing known is "tls":{} or "http":{}), such as
	// "http":{"status":"HTTP/1.1 200 OK","server":"nginx/1.22.1",
	// "title":"Welcome to nginx!"}. "banner" is a string of one
	// code point per byte, from U+0000 to U+00FF, as masscan writes
	// banners: printable ASCII as itself, other bytes and < > & \ " '
	// as \u00XX, such as "SSH-2.0-OpenSSH_9.2p1\u000d\u000a".
	FormatNDJSON
	// FormatXML is nmap's XML format (-oX), valid against nmap.dtd once
	// Close has run. Consecutive results for one address share a <host>
	// until a Flush. Hosts come in the order of their results, IPv4 and
	// IPv6 mixed as they came; an IPv6 host's address is written as nmap
	// -6 writes it: <address addr="2001:db8::1" addrtype="ipv6"/>. A
	// Suspect port's <port> ends with <script id="trawl-suspect"
	// output="...">, where nmap.dtd puts NSE's output. A port with a
	// Service has the <service> element nmap -sV writes instead of the
	// table's name: <service name="ssh" product="OpenSSH"
	// version="9.2p1" extrainfo="protocol 2.0" ostype="Linux"
	// method="probed" conf="10"><cpe>cpe:/a:openbsd:openssh:9.2p1</cpe>
	// </service>, with tunnel="ssl" for a service inside TLS; then its
	// banner as nmap's banner script writes it, <script id="banner"
	// output="SSH-2.0-OpenSSH_9.2p1"/>, white space around it trimmed
	// and other bytes outside printable ASCII written \xHH; its HTTP
	// reply's Server header and page title as the http-server-header
	// and http-title scripts write them, <script
	// id="http-server-header" output="nginx/1.22.1"/><script
	// id="http-title" output="Welcome to nginx!"/>, control characters
	// as spaces; and its certificate as the ssl-cert script writes it,
	// <script id="ssl-cert" output="Subject: ...">. The TLS version,
	// cipher and ALPN, and the HTTP status line, have no place.
	FormatXML
	// FormatGrepable is nmap's grepable format (-oG): a "Status: Up" line
	// and a "Ports:" line per host, between comment lines, such as
	// "Host: 2001:db8::1 ()\tStatus: Up" for IPv6, as nmap -6 writes it.
	// Consecutive results for one address share a line until a Flush. A
	// line with a Suspect open port ends with a "Suspect: yes" field,
	// tab-separated as nmap's "Ignored State:" is. A port with a Service
	// has nmap -sV's service and version fields, such as
	// "22/open/tcp//ssh//OpenSSH 9.2p1 (protocol 2.0)/" or
	// "443/open/tcp//ssl|http//nginx 1.22.1/": "ssl|" for a service
	// inside TLS, a '?' after the name of an open port whose Conf is 5
	// or less, and '/' inside a field written '|', as nmap writes them.
	FormatGrepable
)

// String returns the format's name: "plain", "list", "json", "ndjson", "xml"
// or "grepable"; "invalid" for FormatInvalid, and "Format(N)" for a value out
// of range.
func (f Format) String() string {
	switch f {
	case FormatInvalid:
		return "invalid"
	case FormatPlain:
		return "plain"
	case FormatList:
		return "list"
	case FormatJSON:
		return "json"
	case FormatNDJSON:
		return "ndjson"
	case FormatXML:
		return "xml"
	case FormatGrepable:
		return "grepable"
	}
	return "Format(" + strconv.Itoa(int(f)) + ")"
}

// ErrInvalidFormat is wrapped by NewEncoder's error for a Format it does not
// know.
var ErrInvalidFormat = errors.New("invalid output format")

// ErrClosed is returned by an Encoder's methods after Close.
var ErrClosed = errors.New("result: encoder is closed")

// Meta describes the scan, for the formats that have a header or a trailer
// (list, XML, grepable). Its zero value is usable: missing fields are written
// empty or as zero.
type Meta struct {
	// Version is trawl's version, such as "0.1.0". The formats write it
	// after the name "trawl".
	Version string
	// Args is the command line as typed.
	Args string
	// Start is when the scan started; its location is the one dates are
	// written in. The zero value means the time NewEncoder is called.
	Start time.Time
	// Ports is the port spec, such as "22,80,8000-8100", for nmap's
	// <scaninfo services=...>.
	Ports string
	// NumServices is the number of ports Ports names.
	NumServices int
	// NumHosts is the number of target addresses, for the totals in the
	// trailers. Zero means unknown: the totals then count the hosts that
	// have results.
	NumHosts int
	// Connect says the scan used connect() rather than SYN probes. The XML
	// then says type="connect", and gives "conn-refused" as the reason
	// for a closed port rather than "reset".
	Connect bool
}

// Encoder writes results in one format, buffered. Its methods are safe for
// concurrent use, so that Flush can run from a timer or a signal handler
// while another goroutine calls Encode.
type Encoder interface {
	// Encode writes r, buffered. It returns an error if r.IP is not an
	// IPv4 address, or an IPv6 address without a zone that is not
	// IPv4-mapped (wrapping ErrInvalidAddr), if r.Status is invalid
	// (wrapping ErrInvalidStatus), if r.Reason is out of range (wrapping
	// ErrInvalidReason), or if an earlier write failed.
	Encode(r Result) error
	// Flush writes everything buffered to the underlying writer without
	// ending the document, so that a reader sees every result encoded so
	// far as a complete record. In the XML and grepable formats it ends
	// the open host record, so a later result for the same address begins
	// a new one.
	Flush() error
	// Close writes the trailer, if the format has one, and flushes. It
	// must be called exactly once, and is what makes a JSON or XML file
	// valid. It does not close the underlying writer.
	Close() error
}

// bufferSize is the size of an encoder's write buffer in bytes.
const bufferSize = 64 << 10

// NewEncoder returns an Encoder that writes results to w in format f,
// buffered, with m for the header and trailer. The header is buffered at
// once and reaches w on the first Flush or Close.
func NewEncoder(f Format, w io.Writer, m Meta) (Encoder, error) {
	e, err := newEncoder(f, w, m, time.Now)
	if err != nil {
		return nil, err
	}
	return e, nil
}

// newEncoder is NewEncoder with a clock, so that tests can fix the times in
// headers and trailers.
func newEncoder(f Format, w io.Writer, m Meta, now func() time.Time) (*encoder, error) {
	if f == FormatInvalid || f > FormatGrepable {
		return nil, fmt.Errorf("%w %d", ErrInvalidFormat, f)
	}
	if m.Start.IsZero() {
		m.Start = now()
	}
	e := &encoder{
		f:    f,
		w:    bufio.NewWriterSize(w, bufferSize),
		buf:  make([]byte, 0, 512),
		meta: m,
		now:  now,
	}
	e.buf = e.appendHeader(e.buf[:0])
	if _, err := e.w.Write(e.buf); err != nil {
		return nil, err
	}
	return e, nil
}

// newContinuation returns an encoder that writes no header, as if n
// results were already written: it continues a document.
func newContinuation(f Format, w io.Writer, m Meta, n int) *encoder {
	return &encoder{f: f, w: bufio.NewWriterSize(w, bufferSize), buf: make([]byte, 0, 512), meta: m, now: time.Now, n: n}
}

// encoder implements every Format; the methods switch on f.
type encoder struct {
	mu     sync.Mutex
	f      Format
	w      *bufio.Writer
	buf    []byte // reused for each record
	meta   Meta
	now    func() time.Time
	closed bool
	n      int        // results encoded
	host   netip.Addr // address of the host record still open; zero if none
	// suspect says that the open grepable host line has a Suspect open
	// port, so that it ends with the Suspect field.
	suspect bool
	// up4 and up6 hold every IPv4 and IPv6 address with a host record
	// (XML, grepable), for the hosts up in the trailer: results come in
	// any order, so one address can have several records. The keys are
	// the address's 4 or 16 bytes rather than a netip.Addr, whose 24
	// bytes hold a pointer for the garbage collector to scan: a million
	// IPv4 hosts up cost about 12 MB.
	up4 map[[4]byte]struct{}
	up6 map[[16]byte]struct{}
}

// Encode implements Encoder.
func (e *encoder) Encode(r Result) error {
	if err := r.check(); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return ErrClosed
	}
	b := e.buf[:0]
	switch e.f {
	case FormatPlain:
		b = appendPlain(b, r)
	case FormatList:
		b = appendList(b, r)
	case FormatNDJSON:
		b = appendJSON(b, r)
		b = append(b, '\n')
	case FormatJSON:
		if e.n > 0 {
			b = append(b, ",\n"...)
		}
		b = appendJSON(b, r)
	case FormatXML:
		b = e.appendXMLPort(b, r)
	case FormatGrepable:
		b = e.appendGrepPort(b, r)
	}
	e.buf = b
	e.n++
	_, err := e.w.Write(b)
	return err
}

// Flush implements Encoder.
func (e *encoder) Flush() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return ErrClosed
	}
	if err := e.endHost(); err != nil {
		return err
	}
	return e.w.Flush()
}

// Close implements Encoder.
func (e *encoder) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return ErrClosed
	}
	e.closed = true
	if err := e.endHost(); err != nil {
		return err
	}
	e.buf = e.appendTrailer(e.buf[:0])
	if _, err := e.w.Write(e.buf); err != nil {
		return err
	}
	return e.w.Flush()
}

// endHost ends the open XML or grepable host record, if there is one.
func (e *encoder) endHost() error {
	if !e.host.IsValid() {
		return nil
	}
	e.host = netip.Addr{}
	var err error
	switch e.f {
	case FormatXML:
		_, err = e.w.WriteString("</ports>\n</host>\n")
	case FormatGrepable:
		_, err = e.w.Write(e.appendGrepEnd(e.buf[:0]))
	}
	return err
}

// appendHeader appends the format's header, if it has one.
func (e *encoder) appendHeader(b []byte) []byte {
	switch e.f {
	case FormatList:
		b = append(b, "#masscan\n"...)
	case FormatJSON:
		b = append(b, "[\n"...)
	case FormatXML:
		b = e.appendXMLHeader(b)
	case FormatGrepable:
		b = e.appendGrepHeader(b)
	}
	return b
}

// appendTrailer appends the format's trailer, if it has one.
func (e *encoder) appendTrailer(b []byte) []byte {
	switch e.f {
	case FormatList:
		b = append(b, "# end\n"...)
	case FormatJSON:
		if e.n > 0 {
			b = append(b, '\n')
		}
		b = append(b, "]\n"...)
	case FormatXML:
		b = e.appendXMLTrailer(b)
	case FormatGrepable:
		b = e.appendGrepTrailer(b)
	}
	return b
}

// appendPlain appends "198.18.0.1:80\n", or "198.18.0.1:81 closed\n" for a
// port that is not open; an IPv6 address goes in brackets,
// "[2001:db8::1]:80\n".
func appendPlain(b []byte, r Result) []byte {
	b = netip.AddrPortFrom(r.IP, r.Port).AppendTo(b)
	if r.Status != StatusOpen {
		b = append(b, ' ')
		b = append(b, r.Status.String()...)
	}
	return append(b, '\n')
}

// appendList appends "open tcp 80 198.18.0.1 1700000000\n", or "open tcp
// 80 2001:db8::1 1700000000\n" for IPv6, and the banner line of its
// service, if it has one.
func appendList(b []byte, r Result) []byte {
	b = append(b, r.Status.String()...)
	b = append(b, " "+Proto+" "...)
	b = strconv.AppendUint(b, uint64(r.Port), 10)
	b = append(b, ' ')
	b = r.IP.AppendTo(b)
	b = append(b, ' ')
	b = strconv.AppendInt(b, r.Time.Unix(), 10)
	b = append(b, '\n')
	if r.Service != nil {
		b = appendListBanner(b, r)
	}
	return b
}

// appendJSON appends r as a JSON object with no trailing newline.
func appendJSON(b []byte, r Result) []byte {
	b = append(b, `{"ip":"`...)
	b = r.IP.AppendTo(b)
	b = append(b, `","port":`...)
	b = strconv.AppendUint(b, uint64(r.Port), 10)
	b = append(b, `,"proto":"`+Proto+`","status":"`...)
	b = append(b, r.Status.String()...)
	if r.Reason != ReasonNone {
		b = append(b, `","reason":"`...)
		b = append(b, r.Reason.String()...)
		b = append(b, `","reason_ttl":`...)
		b = strconv.AppendUint(b, uint64(r.ReasonTTL), 10)
		b = append(b, `,"ttl":`...)
	} else {
		b = append(b, `","ttl":`...)
	}
	b = strconv.AppendUint(b, uint64(r.TTL), 10)
	b = append(b, `,"time":"`...)
	b = r.Time.UTC().AppendFormat(b, time.RFC3339)
	if r.Suspect {
		b = append(b, `","suspect":true`...)
	} else {
		b = append(b, '"')
	}
	if r.Service != nil {
		b = appendJSONService(b, r.Service)
	}
	return append(b, '}')
}
