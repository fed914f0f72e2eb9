package banner

import (
	"bytes"
	"html"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxField is the most bytes that Grab keeps of an HTTP status line,
// Server header or title.
const maxField = 256

// httpReply is what Grab reads from an HTTP response: its status line,
// Server header and title, each cleaned by clean.
type httpReply struct {
	status string
	code   int // the status code, 100 to 999
	server string
	title  string
}

// getRequest returns Grab's HTTP request: GET / with a Host header that
// names the address, with its port unless it is the scheme's default
// (RFC 9110, section 7.2), and without a zone, which the header cannot
// carry.
func (g *grab) getRequest(tunnel bool) []byte {
	a := g.addr.Addr().WithZone("")
	host := a.String()
	if a.Is6() {
		host = "[" + host + "]"
	}
	if p := g.addr.Port(); !(p == 80 && !tunnel || p == 443 && tunnel) {
		host += ":" + strconv.Itoa(int(p))
	}
	return []byte("GET / HTTP/1.0\r\nHost: " + host + "\r\n\r\n")
}

// parseHTTP reads b, the start of an HTTP/1.x response (RFC 9112), and
// reports whether it is one: it begins with a status line, "HTTP/", a
// version, a space and a three-digit code. It reads what it can from a
// reply cut short: the header fields whose lines ended before the cut,
// and the title if the body began and the title ended before it.
func parseHTTP(b []byte) (httpReply, bool) {
	var h httpReply
	line, rest, _ := bytes.Cut(b, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	proto, after, ok := bytes.Cut(line, []byte(" "))
	if !ok || !validProto(proto) {
		return h, false
	}
	code := bytes.TrimLeft(after, " ")
	if len(code) > 3 {
		if code[3] != ' ' {
			return h, false
		}
		code = code[:3]
	}
	if len(code) != 3 || code[0] < '1' || code[0] > '9' || !isDigit(code[1]) || !isDigit(code[2]) {
		return h, false
	}
	h.code = int(code[0]-'0')*100 + int(code[1]-'0')*10 + int(code[2]-'0')
	h.status = clean(line)

	// Header fields, until an empty line. A line that begins with white
	// space continues the field before it (obs-fold, RFC 9112 section 5.2).
	inServer, seen := false, false
	for len(rest) > 0 {
		var field []byte
		field, rest, ok = bytes.Cut(rest, []byte("\n"))
		if !ok {
			break // a line cut short
		}
		field = bytes.TrimSuffix(field, []byte("\r"))
		if len(field) == 0 {
			h.title = title(rest)
			break
		}
		if field[0] == ' ' || field[0] == '\t' {
			if inServer {
				if v := bytes.Trim(field, " \t"); len(v) > 0 {
					h.server = clean([]byte(h.server + " " + string(v)))
				}
			}
			continue
		}
		inServer = false
		name, value, ok := bytes.Cut(field, []byte(":"))
		if ok && !seen && bytes.EqualFold(name, []byte("Server")) {
			h.server = clean(bytes.Trim(value, " \t"))
			inServer, seen = true, true
		}
	}
	return h, true
}

// validProto reports whether p is "HTTP/" and a version: digits with at
// most one dot, such as "1.1" or "2".
func validProto(p []byte) bool {
	v, ok := bytes.CutPrefix(p, []byte("HTTP/"))
	if !ok || len(v) == 0 || len(v) > 8 {
		return false
	}
	major, minor, dot := bytes.Cut(v, []byte("."))
	if len(major) == 0 || dot && len(minor) == 0 {
		return false
	}
	return allDigits(major) && allDigits(minor)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func allDigits(b []byte) bool {
	for _, c := range b {
		if !isDigit(c) {
			return false
		}
	}
	return true
}

// title returns the text of the first <title> element in body, or "".
func title(body []byte) string {
	i := indexFold(body, "<title")
	if i < 0 {
		return ""
	}
	rest := body[i+len("<title"):]
	// "<title>" or "<title attr=...>", not "<titles>".
	if len(rest) == 0 || rest[0] != '>' && rest[0] != ' ' && rest[0] != '\t' && rest[0] != '\r' && rest[0] != '\n' && rest[0] != '/' {
		return ""
	}
	gt := bytes.IndexByte(rest, '>')
	if gt < 0 {
		return ""
	}
	rest = rest[gt+1:]
	j := indexFold(rest, "</title")
	if j < 0 {
		return ""
	}
	return clean([]byte(html.UnescapeString(string(rest[:j]))))
}

// indexFold returns the index of the first instance of the lower-case
// ASCII string pat in b, ignoring ASCII case, or -1. Unlike lowering b
// first, it keeps the indices of b's bytes whatever they are.
func indexFold(b []byte, pat string) int {
	for i := 0; i+len(pat) <= len(b); i++ {
		j := 0
		for j < len(pat) && lowerASCII(b[i+j]) == pat[j] {
			j++
		}
		if j == len(pat) {
			return i
		}
	}
	return -1
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// clean makes a server's bytes fit to print on one line: valid UTF-8,
// control characters as spaces, runs of white space as one space, no
// leading or trailing space, and at most maxField bytes, cut at a rune
// boundary.
func clean(b []byte) string {
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > maxField {
		n := maxField
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = strings.TrimRight(s[:n], " ")
	}
	return s
}

// plainToTLS reports whether h, a reply to plain text, says that the
// port wants TLS, as nginx's "400 The plain HTTP request was sent to HTTPS
// port" and Go's "Client sent an HTTP request to an HTTPS server" do.
func (h httpReply) plainToTLS(reply []byte) bool {
	return h.code == 400 && indexFold(reply, "https") >= 0
}

// Ports where a client speaks first with HTTP, or with TLS: Grab sends
// its GET or ClientHello at once rather than wait for a greeting. They are
// the IANA and customary ports of HTTP, HTTPS and the protocols that are
// TLS from the first byte (SMTPS, LDAPS, IMAPS, POP3S, FTPS, DNS over TLS,
// SIP over TLS, IRC over TLS, Docker, Kubernetes).
var (
	httpPorts = portSet(80, 81, 591, 2080, 3000, 3128, 5000, 5984, 7001, 8000, 8008,
		8080, 8081, 8082, 8088, 8090, 8180, 8888, 9000, 9090, 9200,
		// HTTP inside TLS.
		443, 1443, 2083, 2087, 2096, 2443, 4443, 5443, 5986, 6443, 7443, 8443, 9443, 10250, 10443)
	tlsPorts = portSet(443, 465, 563, 585, 636, 853, 989, 990, 992, 993, 994, 995,
		1443, 2083, 2087, 2096, 2376, 2443, 2484, 3269, 4443, 5061, 5443, 5986, 6443, 6697,
		7443, 8443, 9443, 10250, 10443)
)

func portSet(ports ...uint16) map[uint16]bool {
	m := make(map[uint16]bool, len(ports))
	for _, p := range ports {
		m[p] = true
	}
	return m
}

// httpPort reports whether HTTP is expected on port, plain or in TLS.
func httpPort(port uint16) bool { return httpPorts[port] }

// tlsPort reports whether TLS is expected on port from the first byte.
func tlsPort(port uint16) bool { return tlsPorts[port] }
