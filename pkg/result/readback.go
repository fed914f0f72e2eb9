package result

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"time"
	"unicode"
)

// maxReadLine is the longest line, in bytes, that a Reader accepts. The
// longest line trawl writes is a grepable "Ports:" line for one address
// with every port, at most 65535 entries of 38 bytes, about 2.5 MB.
const maxReadLine = 4 << 20

// Reader reads back the results in a document that an Encoder wrote, in
// any Format, as a resumed scan does to learn what its outputs already
// hold. It reads what trawl writes, not every file a format allows: the
// header, trailer and comment lines are skipped, and a trailer in the
// middle, as a document continued by NewAppendEncoder after a clean stop
// has, is no error. Addresses are IPv4 or IPv6, placed as each format
// writes them (in brackets before a port in plain, bare elsewhere), in any
// spelling netip.ParseAddr takes, masscan's for IPv6 included; an address
// with a zone, or IPv4-mapped, is a syntax error.
//
// The input may end anywhere, as a writer killed in the middle of a write
// leaves it. A record the end cuts into is skipped, as is a record whose
// end the cut may have left undone, so that a Reader returns exactly the
// results that NewAppendEncoder keeps when it continues the file:
//   - in the line formats (plain, list, NDJSON, grepable), a last line
//     without its newline, whole grepable host line included (a list
//     result then lacks the Service of a banner line the cut cut off);
//   - in JSON, a last object without its closing brace;
//   - in XML, a <host> until its </host> and the newline after it are
//     read.
//
// Not every format holds every field. JSON and NDJSON give every field.
// Plain and grepable give no TTL, no Reason and the zero Time; list gives
// no TTL, no Reason and no Suspect, nor does plain; grepable gives Suspect
// to the open ports of a line that ends with its "Suspect: yes" field. XML gives the Reason and ReasonTTL it holds, which
// the encoder derived from the Status and TTL for a result without a
// Reason; it gives the ReasonTTL as the TTL too when the reason is the
// target's TCP reply (syn-ack, reset, conn-refused), else no TTL; and it
// gives every port of a host record the time of the record's first reply
// (its endtime). Times are in UTC, to the second.
//
// Of a Service, JSON and NDJSON give every field, as NDJSONReader does.
// XML gives what a <service> element holds, tunnel="ssl" as an empty TLS,
// the banner of a banner script, the certificate of an ssl-cert script,
// and an HTTP whose Server and Title are the outputs of http-server-header
// and http-title scripts, nmap's own included. Of those outputs it takes
// the first line, which leaves out the "Requested resource was" line that
// nmap's http-title adds after a redirect, or the first item of a list,
// as http-server-header writes two Server headers or more, and keeps
// nmap's words as they are: "Site doesn't have a title (text/html)." for
// a page without one. A port whose <service> is no more than
// nmap-services' name for it, as XML writes a result without a Service,
// has none.
// Grepable gives the service field's name, an empty TLS for "ssl|", and
// for a '?' on an open port MethodTable and ConfTable, else MethodProbed
// and ConfMatch; of the version field, which cannot be split into product
// and version, the part before its final parenthesis as Product and the
// part inside as ExtraInfo; an entry with only the table's name has none.
// List gives the name and banner of the first banner line right after a
// result's line, for its address and port; other banner lines, such as
// masscan writes for a result long after it, are skipped. Plain gives
// none. Every reader keeps at most MaxBanner bytes of a banner.
//
// A Reader is not safe for concurrent use.
type Reader struct {
	f     Format
	s     *bufio.Scanner // for the line formats
	x     *xml.Decoder   // for XML
	in    *eofReader     // under x
	line  int            // 1-based number of the last line read
	queue []Result       // results read, oldest first
	next  int            // queue[next:] are not yet returned
	err   error          // sticky: io.EOF or an error that ends the input
	bad   error          // a line's *SyntaxError, returned after the queue
	host  xmlHost        // the XML host record being read
	done  []Result       // an XML host record read up to its </host>
	// held is the last result of a list line, held back until the next
	// line shows whether a banner line for it follows; hold says there
	// is one.
	held Result
	hold bool
}

// NewReader returns a Reader of the results in r, a document in format f,
// buffered. It returns an error wrapping ErrInvalidFormat for a Format it
// does not know.
func NewReader(f Format, r io.Reader) (*Reader, error) {
	d := &Reader{f: f}
	switch f {
	case FormatPlain, FormatList, FormatJSON, FormatNDJSON, FormatGrepable:
		d.s = bufio.NewScanner(r)
		d.s.Buffer(make([]byte, 0, 4096), maxReadLine)
		d.s.Split(scanWholeLines)
	case FormatXML:
		d.in = &eofReader{r: bufio.NewReader(r)}
		d.x = xml.NewDecoder(d.in)
	default:
		return nil, fmt.Errorf("%w %d", ErrInvalidFormat, f)
	}
	return d, nil
}

// Next returns the next result. At the end of the input, whole or cut, it
// returns io.EOF.
//
// A record that does not decode gives a *SyntaxError. In the line formats
// the next call goes on with the line after it; in XML every later call
// returns the same error. A failure to read, or a line longer than 4 MiB,
// gives an error that every later call returns.
func (d *Reader) Next() (Result, error) {
	for d.next == len(d.queue) {
		if err := d.bad; err != nil {
			d.bad = nil
			return Result{}, err
		}
		if d.err != nil {
			return Result{}, d.err
		}
		d.queue, d.next = d.queue[:0], 0
		var err error
		if d.x != nil {
			err = d.readXML()
		} else {
			err = d.readLine()
		}
		if err != nil {
			if len(d.queue) == 0 {
				return Result{}, err
			}
			// A held list result came out with the bad line: return
			// it first, in the order of the input.
			d.bad = err
		}
	}
	d.next++
	return d.queue[d.next-1], nil
}

// scanWholeLines is a bufio.SplitFunc that returns each line with its
// newline, and at the end of the input a last line without one, so that
// the caller can tell that it was cut.
func scanWholeLines(data []byte, atEOF bool) (int, []byte, error) {
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		return i + 1, data[:i+1], nil
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}

// readLine reads one line and queues its results. It returns a
// *SyntaxError for a line that does not decode, and sets d.err at the end
// of the input.
func (d *Reader) readLine() error {
	if !d.s.Scan() {
		if err := d.s.Err(); err != nil {
			d.err = fmt.Errorf("read line %d: %w", d.line+1, err)
		} else {
			d.err = io.EOF
		}
		d.release()
		return nil
	}
	d.line++
	raw := d.s.Bytes()
	cut := raw[len(raw)-1] != '\n'
	if cut && d.f != FormatJSON {
		// A killed writer's last line; NewAppendEncoder cuts it off.
		return nil
	}
	b := bytes.TrimSpace(raw)
	var err error
	switch d.f {
	case FormatPlain:
		err = d.parsePlain(b)
	case FormatList:
		// A banner's text may end in spaces: only the line end goes.
		err = d.parseList(b, bytes.TrimSuffix(bytes.TrimSuffix(raw, []byte("\n")), []byte("\r")))
	case FormatNDJSON:
		err = d.parseJSON(b)
	case FormatJSON:
		// The array's brackets are on lines of their own, except when
		// NewAppendEncoder continued a file cut just after its "[".
		b = bytes.TrimSpace(bytes.TrimPrefix(b, []byte("[")))
		b = bytes.TrimSuffix(b, []byte(","))
		if len(b) == 0 || bytes.Equal(b, []byte("]")) {
			return nil
		}
		err = d.parseJSON(b)
		if err != nil && cut {
			// An object cut before its closing brace; NewAppendEncoder
			// keeps only whole objects.
			return nil
		}
	case FormatGrepable:
		err = d.parseGrepable(b)
	}
	if err != nil {
		return &SyntaxError{Line: d.line, Err: err}
	}
	return nil
}

// parsePlain queues the result of "198.18.0.1:80",
// "198.18.0.1:81 closed" or "[2001:db8::1]:80".
func (d *Reader) parsePlain(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	ap, st, _ := bytes.Cut(b, []byte(" "))
	r := Result{Status: StatusOpen}
	if len(st) > 0 {
		s, err := ParseStatus(string(st))
		if err != nil {
			return err
		}
		r.Status = s
	}
	// ParseAddrPort wants IPv6 in brackets and IPv4 without.
	a, err := netip.ParseAddrPort(string(ap))
	if err != nil {
		return fmt.Errorf("%q: %w", ap, err)
	}
	if err := checkAddr(a.Addr()); err != nil {
		return fmt.Errorf("%q: %w", ap, err)
	}
	r.IP, r.Port = a.Addr(), a.Port()
	d.queue = append(d.queue, r)
	return nil
}

// parseList reads one list line, b, trimmed, or raw, with only its end
// cut off. It holds the result of "open tcp 80 198.18.0.1 1700000000" or
// "open tcp 80 2001:db8::1 1700000000", after queuing the one held
// before, since a banner line after it gives its Service. It skips blank
// lines and "#" comments, such as the header and the trailer.
func (d *Reader) parseList(b, raw []byte) error {
	if len(b) == 0 || b[0] == '#' {
		return nil
	}
	if bytes.HasPrefix(b, []byte("banner ")) {
		return d.parseListBanner(bytes.TrimLeftFunc(raw, unicode.IsSpace))
	}
	// No banner line follows the held result: it comes out before
	// this line's result, or its error.
	d.release()
	f := bytes.Fields(b)
	if len(f) != 5 {
		return fmt.Errorf("%d fields, want 5: status, protocol, port, address and time", len(f))
	}
	s, err := ParseStatus(string(f[0]))
	if err != nil {
		return err
	}
	ip, port, t, err := parseListProbe(f)
	if err != nil {
		return err
	}
	d.held, d.hold = Result{IP: ip, Port: port, Status: s, Time: t}, true
	return nil
}

// parseListProbe reads the protocol, port, address and time of a list
// line's fields f, f[1] to f[4], as masscan writes them on its status and
// banner lines alike.
func parseListProbe(f [][]byte) (netip.Addr, uint16, time.Time, error) {
	if string(f[1]) != Proto {
		return netip.Addr{}, 0, time.Time{}, fmt.Errorf("protocol %q: only %q is supported", f[1], Proto)
	}
	port, err := parsePort(f[2])
	if err != nil {
		return netip.Addr{}, 0, time.Time{}, err
	}
	ip, err := parseAddr(f[3])
	if err != nil {
		return netip.Addr{}, 0, time.Time{}, err
	}
	t, err := parseUnix(f[4])
	return ip, port, t, err
}

// release queues the held list result, if there is one.
func (d *Reader) release() {
	if d.hold {
		d.queue = append(d.queue, d.held)
		d.held, d.hold = Result{}, false
	}
}

// parseListBanner reads masscan's banner line, "banner tcp 22 198.18.0.1
// 1700000000 ssh SSH-2.0-OpenSSH_9.2p1", as appendListBanner writes it,
// and gives its name and banner to the held result if the line is for
// its address and port and it has no service yet. Otherwise it skips the
// line, as it does one without banner text: masscan may write a banner
// line long after the result it belongs to, or several for one result.
func (d *Reader) parseListBanner(b []byte) error {
	f := bytes.SplitN(b, []byte(" "), 7)
	if len(f) < 6 {
		return fmt.Errorf("banner line: %d fields, want 7: banner, protocol, port, address, time, service and banner", len(f))
	}
	ip, port, _, err := parseListProbe(f)
	if err != nil {
		return err
	}
	if len(f) < 7 || !d.hold || d.held.Service != nil || d.held.IP != ip || d.held.Port != port {
		return nil
	}
	banner := keepBanner(unescapeHex(f[6]))
	if banner == nil {
		return nil
	}
	name := make([]byte, len(f[5]))
	for i, c := range f[5] {
		name[i] = listNameByte(c)
	}
	if len(name) == 0 {
		name = []byte(unknownName)
	}
	d.held.Service = &ServiceInfo{Name: string(name), Banner: banner}
	return nil
}

// parseJSON queues the result of one NDJSON line, or of one element of a
// JSON array on its own line.
func (d *Reader) parseJSON(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	r, err := parseNDJSON(b)
	if err != nil {
		return err
	}
	d.queue = append(d.queue, r)
	return nil
}

// parseGrepable queues the results of a grepable "Ports:" line, such as
// "Host: 198.18.0.1 ()\tPorts: 80/open/tcp//http///, 81/closed/tcp/////"
// or "Host: 2001:db8::1 ()\tPorts: 80/open/tcp//http///", or of none if
// one entry does not decode. An entry ends at its eighth '/', since no
// field holds one, so that a version field may hold ", ". Its service
// and version fields give a Service as grepService reads them. It skips
// blank lines, "#" comments and "Status:" lines.
func (d *Reader) parseGrepable(b []byte) error {
	if len(b) == 0 || b[0] == '#' {
		return nil
	}
	rest, ok := bytes.CutPrefix(b, []byte("Host: "))
	if !ok {
		return errors.New(`want a "Host: " line or a "#" comment`)
	}
	addr, fields, ok := bytes.Cut(rest, []byte(" ("))
	if !ok {
		return errors.New(`no " (" after the address`)
	}
	ip, err := parseAddr(addr)
	if err != nil {
		return err
	}
	_, fields, ok = bytes.Cut(fields, []byte(")\t"))
	if !ok {
		return errors.New(`no ")<tab>" after the host name`)
	}
	ports, ok := bytes.CutPrefix(fields, []byte("Ports: "))
	if !ok {
		if bytes.HasPrefix(fields, []byte("Status: ")) {
			return nil
		}
		return errors.New(`want "Status: " or "Ports: " after the address`)
	}
	ports, extra, _ := bytes.Cut(ports, []byte("\t"))
	suspect := false
	for field := range bytes.SplitSeq(extra, []byte("\t")) {
		suspect = suspect || string(field) == grepSuspect[1:]
	}
	n := len(d.queue)
	for len(ports) > 0 {
		var entry []byte
		entry, ports = grepEntry(ports)
		// port/state/protocol/owner/service/rpc info/version/
		f := bytes.Split(entry, []byte("/"))
		if len(f) != 8 {
			d.queue = d.queue[:n]
			return fmt.Errorf("port entry %q: %d fields, want 8", entry, len(f))
		}
		if len(f[7]) > 0 {
			d.queue = d.queue[:n]
			return fmt.Errorf("port entry %q: %q after the last '/'", entry, f[7])
		}
		port, err := parsePort(f[0])
		if err == nil {
			if string(f[2]) != Proto {
				err = fmt.Errorf("protocol %q: only %q is supported", f[2], Proto)
			}
		}
		var s Status
		if err == nil {
			s, err = ParseStatus(string(f[1]))
		}
		if err != nil {
			d.queue = d.queue[:n]
			return fmt.Errorf("port entry %q: %w", entry, err)
		}
		d.queue = append(d.queue, Result{IP: ip, Port: port, Status: s, Suspect: suspect && s == StatusOpen,
			Service: grepService(port, s, f[4], f[6])})
	}
	return nil
}

// grepEntry cuts the first port entry from ports, the entries of a
// "Ports:" field: up to its seventh '/' and the ", " after it, or, if
// there is none, up to the next ", ".
func grepEntry(ports []byte) (entry, rest []byte) {
	end, slashes := 0, 0
	for end < len(ports) && slashes < 7 {
		if ports[end] == '/' {
			slashes++
		}
		end++
	}
	if slashes == 7 {
		if end == len(ports) {
			return ports, nil
		}
		if after, ok := bytes.CutPrefix(ports[end:], []byte(", ")); ok {
			return ports[:end], after
		}
	}
	entry, rest, _ = bytes.Cut(ports, []byte(", "))
	return entry, rest
}

// parsePort parses a decimal TCP port, 0-65535.
func parsePort(b []byte) (uint16, error) {
	n, err := strconv.ParseUint(string(b), 10, 16)
	if err != nil {
		return 0, fmt.Errorf("port %q: want a number from 0 to 65535", b)
	}
	return uint16(n), nil
}

// parseAddr parses a dotted-quad IPv4 address or a bare IPv6 address, in
// any spelling, that checkAddr takes.
func parseAddr(b []byte) (netip.Addr, error) {
	ip, err := netip.ParseAddr(string(b))
	if err != nil {
		return netip.Addr{}, fmt.Errorf("address: %w", err)
	}
	if err := checkAddr(ip); err != nil {
		return netip.Addr{}, fmt.Errorf("address: %w", err)
	}
	return ip, nil
}

// The Unix seconds of the first and the last second of years 0-9999 in
// UTC, the times the JSON formats can write.
const (
	minUnix = -62167219200
	maxUnix = 253402300799
)

// parseUnix parses Unix seconds into a UTC time in years 0-9999.
func parseUnix(b []byte) (time.Time, error) {
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || n < minUnix || n > maxUnix {
		return time.Time{}, fmt.Errorf("time %q: want Unix seconds in years 0-9999", b)
	}
	return time.Unix(n, 0).UTC(), nil
}

// eofReader is the byte reader under a Reader's xml.Decoder. It notes when
// the input ends, so that a syntax error there can be told to be a cut.
type eofReader struct {
	r   *bufio.Reader
	eof bool
}

// Read implements io.Reader.
func (e *eofReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	e.eof = e.eof || err == io.EOF
	return n, err
}

// ReadByte implements io.ByteReader, which xml.Decoder uses rather than
// buffering again, so that it reads no further than it has parsed.
func (e *eofReader) ReadByte() (byte, error) {
	b, err := e.r.ReadByte()
	e.eof = e.eof || err == io.EOF
	return b, err
}

// xmlHost is what a Reader has read of an XML <host> record.
type xmlHost struct {
	in      bool       // inside <host>
	ip      netip.Addr // from <address>
	time    time.Time  // from endtime
	port    *Result    // the <port> being read; nil outside one
	ports   []Result   // the whole <port> elements read
	service bool       // inside the port's <service>
	cpe     []byte     // the text of the service's <cpe> being read
	inCPE   bool       // inside that <cpe>
}

// readXML reads XML tokens until a host record is whole, and queues its
// results; it sets d.err at the end of the input or at a syntax error.
func (d *Reader) readXML() error {
	for {
		tok, err := d.x.Token()
		if err != nil {
			return d.endXML(err)
		}
		if d.done != nil {
			// Something, normally the newline, follows </host>:
			// NewAppendEncoder keeps this record.
			d.queue, d.done = d.done, nil
		}
		if err := d.xmlToken(tok); err != nil {
			line, _ := d.x.InputPos()
			d.err = &SyntaxError{Line: line, Err: err}
			return d.err
		}
		if len(d.queue) > 0 {
			return nil
		}
	}
}

// endXML handles the error that ends the XML input: io.EOF or a syntax
// error at the end of the input are a cut, anything else is returned.
func (d *Reader) endXML(err error) error {
	var se *xml.SyntaxError
	switch {
	case err == io.EOF || errors.As(err, &se) && d.in.eof:
		d.err = io.EOF
		return nil
	case errors.As(err, &se):
		d.err = &SyntaxError{Line: se.Line, Err: errors.New(se.Msg)}
	default:
		d.err = fmt.Errorf("read XML: %w", err)
	}
	return d.err
}

// xmlToken takes one token of an nmap XML document.
func (d *Reader) xmlToken(tok xml.Token) error {
	h := &d.host
	switch t := tok.(type) {
	case xml.StartElement:
		switch t.Name.Local {
		case "host":
			*h = xmlHost{in: true, ports: h.ports[:0]}
			if v, ok := attr(t, "endtime"); ok {
				tm, err := parseUnix([]byte(v))
				if err != nil {
					return fmt.Errorf("<host endtime>: %w", err)
				}
				h.time = tm
			}
		case "address":
			if !h.in {
				return errors.New("<address> outside <host>")
			}
			v, _ := attr(t, "addr")
			ip, err := parseAddr([]byte(v))
			if err != nil {
				return fmt.Errorf("<address>: %w", err)
			}
			if v, _ := attr(t, "addrtype"); v != addrType(ip) {
				return fmt.Errorf(`<address addr=%q addrtype=%q>: want %q`, ip, v, addrType(ip))
			}
			h.ip = ip
		case "port":
			if !h.in {
				return errors.New("<port> outside <host>")
			}
			if v, _ := attr(t, "protocol"); v != Proto {
				return fmt.Errorf("<port protocol=%q>: only %q is supported", v, Proto)
			}
			v, _ := attr(t, "portid")
			port, err := parsePort([]byte(v))
			if err != nil {
				return fmt.Errorf("<port>: %w", err)
			}
			h.port, h.service, h.inCPE = &Result{Port: port}, false, false
		case "state":
			if h.port == nil {
				return nil // <status> and the like are not about a port
			}
			v, _ := attr(t, "state")
			s, err := ParseStatus(v)
			if err != nil {
				return fmt.Errorf("<state>: %w", err)
			}
			h.port.Status = s
			v, _ = attr(t, "reason")
			if h.port.Reason, err = ParseReason(v); err != nil {
				return fmt.Errorf("<state>: %w", err)
			}
			if v, ok := attr(t, "reason_ttl"); ok {
				ttl, err := strconv.ParseUint(v, 10, 8)
				if err != nil {
					return fmt.Errorf("<state reason_ttl=%q>: want a number from 0 to 255", v)
				}
				h.port.ReasonTTL = uint8(ttl)
			}
			if tcpReply(h.port.Reason) {
				h.port.TTL = h.port.ReasonTTL
			}
		case "service":
			if h.port == nil {
				return nil
			}
			s, err := xmlService(t)
			if err != nil {
				return err
			}
			h.port.Service, h.service = s, true
		case "cpe":
			if h.service && h.port != nil && h.port.Service != nil {
				h.cpe, h.inCPE = h.cpe[:0], true
			}
		case "script":
			if h.port == nil {
				return nil
			}
			id, _ := attr(t, "id")
			out, _ := attr(t, "output")
			switch id {
			case suspectScript:
				h.port.Suspect = true
			case bannerScript:
				portService(h.port).Banner = xmlBanner(out)
			case httpServerScript:
				if v := scriptLine(out); v != "" {
					portHTTP(h.port).Server = v
				}
			case httpTitleScript:
				if v := scriptLine(out); v != "" {
					portHTTP(h.port).Title = v
				}
			case sslCertScript:
				s := portService(h.port)
				if s.TLS == nil {
					s.TLS = &TLSInfo{}
				}
				parseSSLCert(s.TLS, out)
			}
		}
	case xml.CharData:
		if h.inCPE {
			h.cpe = append(h.cpe, t...)
		}
	case xml.EndElement:
		switch t.Name.Local {
		case "cpe":
			if h.inCPE {
				h.port.Service.CPE = append(h.port.Service.CPE, string(h.cpe))
				h.inCPE = false
			}
		case "service":
			h.service = false
		case "port":
			if h.port == nil {
				return nil
			}
			if h.port.Status == StatusInvalid {
				return fmt.Errorf("<port portid=\"%d\"> without a <state>", h.port.Port)
			}
			if s := h.port.Service; s != nil {
				if s.Name == "" {
					s.Name = unknownName
				}
				if tableOnly(h.port.Port, s) {
					h.port.Service = nil
				}
			}
			h.ports = append(h.ports, *h.port)
			h.port, h.service, h.inCPE = nil, false, false
		case "host":
			if !h.ip.IsValid() {
				return errors.New("<host> without an <address>")
			}
			done := make([]Result, len(h.ports))
			for i, r := range h.ports {
				r.IP, r.Time = h.ip, h.time
				done[i] = r
			}
			d.done = done
			h.in = false
		}
	}
	return nil
}

// xmlService returns the service that a <service> element gives: its
// name, product, version, extrainfo, hostname, ostype and devicetype as
// they are, tunnel="ssl" as a TLS, method as MethodProbed for "probed"
// and MethodTable for anything else, and conf, which must be 0 to 10.
func xmlService(t xml.StartElement) (*ServiceInfo, error) {
	s := &ServiceInfo{Method: MethodTable}
	for _, a := range t.Attr {
		switch a.Name.Local {
		case "name":
			s.Name = a.Value
		case "product":
			s.Product = a.Value
		case "version":
			s.Version = a.Value
		case "extrainfo":
			s.ExtraInfo = a.Value
		case "hostname":
			s.Hostname = a.Value
		case "ostype":
			s.OSType = a.Value
		case "devicetype":
			s.DeviceType = a.Value
		case "tunnel":
			if a.Value == "ssl" {
				s.TLS = &TLSInfo{}
			}
		case "method":
			if a.Value == MethodProbed {
				s.Method = MethodProbed
			}
		case "conf":
			c, err := strconv.ParseUint(a.Value, 10, 8)
			if err != nil || c > maxConf {
				return nil, fmt.Errorf("<service conf=%q>: want a number from 0 to %d", a.Value, maxConf)
			}
			s.Conf = uint8(c)
		}
	}
	return s, nil
}

// xmlBanner returns the banner that a banner script's output gives, as
// appendXMLScripts writes it: without the white space around it, and at
// most MaxBanner bytes, cut as the encoder cuts it.
func xmlBanner(out string) []byte {
	return keepBanner(trimSpace(keepBanner(trimSpace(unescapeHex([]byte(out))))))
}

// portService returns r's Service, first giving it one, as nmap's XML
// does for a script without a <service>, if it has none.
func portService(r *Result) *ServiceInfo {
	if r.Service == nil {
		r.Service = &ServiceInfo{Method: MethodTable}
	}
	return r.Service
}

// portHTTP returns the HTTP of r's Service, first giving r a Service, as
// portService does, and the Service an HTTP, if it has none.
func portHTTP(r *Result) *HTTPInfo {
	s := portService(r)
	if s.HTTP == nil {
		s.HTTP = &HTTPInfo{}
	}
	return s.HTTP
}

// tcpReply reports whether r is the target's TCP reply, whose TTL is the
// result's TTL as well as its ReasonTTL.
func tcpReply(r Reason) bool {
	return r == ReasonSYNACK || r == ReasonReset || r == ReasonConnRefused
}

// attr returns the value of the attribute of e with the given local name.
func attr(e xml.StartElement, name string) (string, bool) {
	for _, a := range e.Attr {
		if a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}
