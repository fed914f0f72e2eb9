package result

import (
	"bytes"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ServiceInfo is what trawl learned of the service on an open port from a
// follow-up connection (--banners): nmap's version detection fields, the
// server's first bytes, its TLS handshake and its HTTP reply. Every field
// is optional; the zero value is a service nothing is known of.
type ServiceInfo struct {
	// Name is nmap's name for the service, such as "ssh" or "http"; for a
	// service inside TLS, the name of the one inside ("http" on 443, as
	// nmap says it with tunnel="ssl"). XML, grepable and list write ""
	// as "unknown", as nmap does.
	Name string
	// Product is the product name, such as "OpenSSH"; "" if not known.
	Product string
	// Version is the product's version, such as "9.2p1 Debian
	// 2+deb12u3"; "" if not known.
	Version string
	// ExtraInfo is nmap's further information (the i// field of a match
	// line), such as "protocol 2.0"; "" if none.
	ExtraInfo string
	// Hostname is the host name the service gave (h//); "" if none.
	Hostname string
	// OSType is the operating system the service revealed (o//), such
	// as "Linux"; "" if none.
	OSType string
	// DeviceType is the kind of device the service revealed (d//), such
	// as "router"; "" if none.
	DeviceType string
	// CPE holds the match's CPE names, such as
	// "cpe:/a:openbsd:openssh:9.2p1"; nil if none.
	CPE []string
	// Method is how Name was found: MethodProbed, a match or softmatch
	// line of nmap-service-probes matched, or MethodTable, the name is
	// nmap-services' for the port. "" means not known. The JSON formats
	// write it as it is; XML and grepable, which know only nmap's two,
	// write anything but MethodProbed as MethodTable.
	Method string
	// Conf is nmap's confidence in Name, 0 to 10: ConfMatch (10) for a
	// match or softmatch, ConfTCPWrapped (8) for a server that closed
	// the connection at once, ConfTable (3) for a name from the table.
	// Encoders write a value above 10 as 10.
	Conf uint8
	// Banner is the server's first bytes, or its answer to the probe
	// that matched: any bytes, binary and invalid UTF-8 included; nil if
	// none. Encoders write, and readers keep, its first MaxBanner bytes;
	// XML, as nmap's banner script, without the white space around it.
	Banner []byte
	// TLS is what the service's TLS handshake showed; nil if it spoke
	// no TLS. A non-nil TLS marks the service as one inside TLS, as
	// nmap's tunnel="ssl" does.
	TLS *TLSInfo
	// HTTP is what the service's reply to an HTTP request showed; nil if
	// it sent no HTTP reply. XML writes its Server and Title as nmap's
	// http-server-header and http-title scripts do, on one line, and has
	// no place for its Status; grepable and list have none for any of it.
	HTTP *HTTPInfo
}

// TLSInfo is what a TLS handshake showed of a server and its leaf
// certificate. Every field is optional; the zero value is a handshake
// nothing is known of.
type TLSInfo struct {
	// Version is the protocol version negotiated, as tls.VersionName
	// gives it: "TLS 1.3".
	Version string
	// Cipher is the cipher suite negotiated, as tls.CipherSuiteName
	// gives it: "TLS_AES_128_GCM_SHA256".
	Cipher string
	// ALPN is the application protocol negotiated, such as "h2"; "" if
	// none.
	ALPN string
	// Subject and Issuer are the certificate's distinguished names, as
	// pkix.Name.String writes them: "CN=example.com,O=Example". (A
	// Reader of nmap's own XML gives nmap's spelling,
	// "commonName=example.com/organizationName=Example".)
	Subject, Issuer string
	// SANs are the certificate's subject alternative names: DNS names,
	// IP addresses, email addresses and URIs, each as a string.
	SANs []string
	// NotBefore and NotAfter bound the certificate's validity. Encoders
	// write them in UTC to the second; the zero Time means not known.
	NotBefore, NotAfter time.Time
	// SHA256 is the SHA-256 fingerprint of the certificate (of its DER
	// bytes) in lower-case hex without separators; "" if none.
	SHA256 string
}

// HTTPInfo is what a server's reply to an HTTP request (GET /) showed.
// Every field is optional; the zero value is a reply nothing is known of.
type HTTPInfo struct {
	// Status is the reply's status line, such as "HTTP/1.1 200 OK"; ""
	// if not known.
	Status string
	// Server is the reply's Server header, such as "nginx/1.22.1"; "" if
	// it had none.
	Server string
	// Title is the text of the page's <title> element, such as "Welcome
	// to nginx!"; "" if it had none. (A Reader of nmap's own XML gives
	// the http-title script's text as it is, "Site doesn't have a title
	// (text/html)." for a page without one.)
	Title string
}

// The values of ServiceInfo.Method, as nmap's XML writes them.
const (
	// MethodProbed means a match or softmatch line of
	// nmap-service-probes matched what the server sent.
	MethodProbed = "probed"
	// MethodTable means the name is nmap-services' for the port: no
	// probe matched, or none was sent.
	MethodTable = "table"
)

// The values nmap gives ServiceInfo.Conf (portlist.cc,
// setServiceProbeResults).
const (
	// ConfMatch is nmap's confidence in a name that a match or a
	// softmatch line gave.
	ConfMatch uint8 = 10
	// ConfTCPWrapped is nmap's confidence in "tcpwrapped", for a server
	// that closed the connection before it said anything.
	ConfTCPWrapped uint8 = 8
	// ConfTable is nmap's confidence in a name from nmap-services.
	ConfTable uint8 = 3
)

// maxConf is the highest confidence nmap.dtd allows.
const maxConf = 10

// MaxBanner is the most bytes of a ServiceInfo.Banner that encoders write
// and readers keep.
const MaxBanner = 4 << 10

// unknownName is nmap's name for a service it could not name.
const unknownName = "unknown"

// name returns s.Name, or "unknown" for "".
func (s *ServiceInfo) name() string {
	if s.Name == "" {
		return unknownName
	}
	return s.Name
}

// method returns nmap's method for s: "probed" or "table".
func (s *ServiceInfo) method() string {
	if s.Method == MethodProbed {
		return MethodProbed
	}
	return MethodTable
}

// conf returns s.Conf, at most 10.
func (s *ServiceInfo) conf() uint8 {
	return min(s.Conf, maxConf)
}

// banner returns the part of s.Banner that encoders write.
func (s *ServiceInfo) banner() []byte {
	return s.Banner[:min(len(s.Banner), MaxBanner)]
}

// hasCert reports whether t holds any of the certificate's fields, which
// XML writes as nmap's ssl-cert script does.
func (t *TLSInfo) hasCert() bool {
	return t.Subject != "" || t.Issuer != "" || len(t.SANs) > 0 || !t.NotBefore.IsZero() || !t.NotAfter.IsZero() || t.SHA256 != ""
}

// hexDigits are the lower-case hex digits, by value.
const hexDigits = "0123456789abcdef"

// JSON

// appendJSONService appends `,"service":{...}`, keys in the order of the
// fields of ServiceInfo, TLSInfo and HTTPInfo, empty ones left out.
func appendJSONService(b []byte, s *ServiceInfo) []byte {
	b = append(b, `,"service":{`...)
	start := len(b)
	b = appendJSONField(b, start, "name", s.Name)
	b = appendJSONField(b, start, "product", s.Product)
	b = appendJSONField(b, start, "version", s.Version)
	b = appendJSONField(b, start, "extrainfo", s.ExtraInfo)
	b = appendJSONField(b, start, "hostname", s.Hostname)
	b = appendJSONField(b, start, "ostype", s.OSType)
	b = appendJSONField(b, start, "devicetype", s.DeviceType)
	b = appendJSONList(b, start, "cpe", s.CPE)
	b = appendJSONField(b, start, "method", s.Method)
	if c := s.conf(); c != 0 {
		b = appendJSONKey(b, start, "conf")
		b = strconv.AppendUint(b, uint64(c), 10)
	}
	if p := s.banner(); len(p) > 0 {
		b = appendJSONKey(b, start, "banner")
		b = appendLatin1(b, p)
	}
	if t := s.TLS; t != nil {
		b = appendJSONKey(b, start, "tls")
		b = append(b, '{')
		tstart := len(b)
		b = appendJSONField(b, tstart, "version", t.Version)
		b = appendJSONField(b, tstart, "cipher", t.Cipher)
		b = appendJSONField(b, tstart, "alpn", t.ALPN)
		b = appendJSONField(b, tstart, "subject", t.Subject)
		b = appendJSONField(b, tstart, "issuer", t.Issuer)
		b = appendJSONList(b, tstart, "sans", t.SANs)
		b = appendJSONTime(b, tstart, "not_before", t.NotBefore)
		b = appendJSONTime(b, tstart, "not_after", t.NotAfter)
		b = appendJSONField(b, tstart, "sha256", t.SHA256)
		b = append(b, '}')
	}
	if h := s.HTTP; h != nil {
		b = appendJSONHTTP(appendJSONKey(b, start, "http"), h)
	}
	return append(b, '}')
}

// appendJSONHTTP appends h as `{"status":...,"server":...,"title":...}`,
// empty members left out: `{}` if nothing is known.
func appendJSONHTTP(b []byte, h *HTTPInfo) []byte {
	b = append(b, '{')
	start := len(b)
	b = appendJSONField(b, start, "status", h.Status)
	b = appendJSONField(b, start, "server", h.Server)
	b = appendJSONField(b, start, "title", h.Title)
	return append(b, '}')
}

// appendJSONKey appends `"key":`, after a comma unless the object, whose
// first key would go at start, is still empty.
func appendJSONKey(b []byte, start int, key string) []byte {
	if len(b) > start {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, key...)
	return append(b, `":`...)
}

// appendJSONField appends `"key":"v"`, or nothing if v is "".
func appendJSONField(b []byte, start int, key, v string) []byte {
	if v == "" {
		return b
	}
	return appendJSONString(appendJSONKey(b, start, key), v)
}

// appendJSONList appends `"key":["a","b"]`, or nothing if vs is empty.
func appendJSONList(b []byte, start int, key string, vs []string) []byte {
	if len(vs) == 0 {
		return b
	}
	b = appendJSONKey(b, start, key)
	for i, v := range vs {
		if i == 0 {
			b = append(b, '[')
		} else {
			b = append(b, ',')
		}
		b = appendJSONString(b, v)
	}
	return append(b, ']')
}

// appendJSONTime appends `"key":"2026-01-02T15:04:05Z"`, t in UTC to the
// second, or nothing if t is zero.
func appendJSONTime(b []byte, start int, key string, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	b = appendJSONKey(b, start, key)
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, time.RFC3339)
	return append(b, '"')
}

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes
// U+FFFD, as encoding/json writes it.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, `\n`...)
			case c == '\r':
				b = append(b, `\r`...)
			case c == '\t':
				b = append(b, `\t`...)
			case c < 0x20:
				b = append(b, `\u00`...)
				b = append(b, hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			// Valid JSON, but not JavaScript; encoding/json escapes
			// them too.
			b = append(b, `\u202`...)
			b = append(b, hexDigits[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// appendLatin1 appends p as a JSON string of one code point per byte, from
// U+0000 to U+00FF (Latin-1), as masscan writes a banner in NDJSON:
// printable ASCII as itself, except masscanEscaped, and every other byte
// as \u00XX. The string is all ASCII, and gives back p exactly: take the
// code point of each character as a byte (Python: s.encode("latin-1")).
func appendLatin1(b, p []byte) []byte {
	b = append(b, '"')
	for _, c := range p {
		if bannerPlain(c) {
			b = append(b, c)
			continue
		}
		b = append(b, `\u00`...)
		b = append(b, hexDigits[c>>4], hexDigits[c&0xf])
	}
	return append(b, '"')
}

// bannerPlain reports whether masscan writes byte c of a banner as itself
// (normalize_string in its output.c): printable ASCII other than < > & \ "
// and '. It escapes the rest.
func bannerPlain(c byte) bool {
	switch c {
	case '<', '>', '&', '\\', '"', '\'':
		return false
	}
	return c >= 0x20 && c < 0x7f
}

// latin1Bytes returns the bytes that s, as appendLatin1 writes it, stands
// for: each code point up to U+00FF as a byte. A code point above, which
// another tool may have written, gives its UTF-8 bytes.
func latin1Bytes(s string) []byte {
	p := make([]byte, 0, len(s))
	for _, r := range s {
		if r <= 0xff {
			p = append(p, byte(r))
		} else {
			p = utf8.AppendRune(p, r)
		}
	}
	return p
}

// List (-oL)

// appendListBanner appends masscan's banner line for r, as its out-text.c
// writes it: "banner tcp 22 198.18.0.1 1700000000 ssh SSH-2.0-OpenSSH_9.2p1",
// the service's name and its banner with every byte that bannerPlain
// rejects as \xhh. It appends nothing for a result without a banner.
func appendListBanner(b []byte, r Result) []byte {
	p := r.Service.banner()
	if len(p) == 0 {
		return b
	}
	b = append(b, "banner "+Proto+" "...)
	b = strconv.AppendUint(b, uint64(r.Port), 10)
	b = append(b, ' ')
	b = r.IP.AppendTo(b)
	b = append(b, ' ')
	b = strconv.AppendInt(b, r.Time.Unix(), 10)
	b = append(b, ' ')
	name := r.Service.name()
	for i := 0; i < len(name); i++ {
		b = append(b, listNameByte(name[i]))
	}
	b = append(b, ' ')
	for _, c := range p {
		if bannerPlain(c) {
			b = append(b, c)
			continue
		}
		b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
	}
	return append(b, '\n')
}

// listNameByte returns c for a service name in a list banner line, which
// is one field: '_' for a space or a control character.
func listNameByte(c byte) byte {
	if c <= ' ' || c == 0x7f {
		return '_'
	}
	return c
}

// unescapeHex returns the bytes that s stands for, a banner with bytes
// written as \xhh (either case): each such escape as its byte, anything
// else as it is.
func unescapeHex(s []byte) []byte {
	p := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if hexEscape(s[i:]) {
			hi, _ := unhex(s[i+2])
			lo, _ := unhex(s[i+3])
			p = append(p, hi<<4|lo)
			i += 3
			continue
		}
		p = append(p, s[i])
	}
	return p
}

// unhex returns the value of hex digit c.
func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// keepBanner returns p cut to MaxBanner bytes, or nil if it is empty.
func keepBanner(p []byte) []byte {
	if len(p) == 0 {
		return nil
	}
	return p[:min(len(p), MaxBanner)]
}

// nmap's XML (-oX)

// The ids of the <script> elements that XML writes for a service, as
// nmap's NSE scripts of those names write them.
const (
	bannerScript     = "banner"
	httpServerScript = "http-server-header"
	httpTitleScript  = "http-title"
	sslCertScript    = "ssl-cert"
)

// appendXMLService appends the <service> element for s as nmap -sV
// writes it (output.cc, print_xml_service): attributes in nmap's order,
// tunnel="ssl" for a service inside TLS, and a <cpe> element for each CPE
// name.
func appendXMLService(b []byte, s *ServiceInfo) []byte {
	b = append(b, `<service name="`...)
	b = appendAttr(b, s.name())
	b = append(b, '"')
	b = appendXMLAttr(b, "product", s.Product)
	b = appendXMLAttr(b, "version", s.Version)
	b = appendXMLAttr(b, "extrainfo", s.ExtraInfo)
	b = appendXMLAttr(b, "hostname", s.Hostname)
	b = appendXMLAttr(b, "ostype", s.OSType)
	b = appendXMLAttr(b, "devicetype", s.DeviceType)
	if s.TLS != nil {
		b = append(b, ` tunnel="ssl"`...)
	}
	b = append(b, ` method="`...)
	b = append(b, s.method()...)
	b = append(b, `" conf="`...)
	b = strconv.AppendUint(b, uint64(s.conf()), 10)
	if len(s.CPE) == 0 {
		return append(b, `"/>`...)
	}
	b = append(b, `">`...)
	for _, c := range s.CPE {
		b = append(b, "<cpe>"...)
		b = appendText(b, c)
		b = append(b, "</cpe>"...)
	}
	return append(b, "</service>"...)
}

// appendXMLAttr appends ` key="v"`, escaped, or nothing if v is "".
func appendXMLAttr(b []byte, key, v string) []byte {
	if v == "" {
		return b
	}
	b = append(b, ' ')
	b = append(b, key...)
	b = append(b, `="`...)
	b = appendAttr(b, v)
	return append(b, '"')
}

// appendXMLScripts appends the <script> elements for s, in the order of
// their ids: its banner as nmap's banner script writes one, its HTTP
// reply's Server header and page title as the http-server-header and
// http-title scripts do, and its certificate as the ssl-cert script does.
func appendXMLScripts(b []byte, s *ServiceInfo) []byte {
	if p := trimSpace(s.banner()); len(p) > 0 {
		b = append(b, `<script id="`+bannerScript+`" output="`...)
		b = appendBannerAttr(b, p)
		b = append(b, `"/>`...)
	}
	if h := s.HTTP; h != nil {
		b = appendLineScript(b, httpServerScript, h.Server)
		b = appendLineScript(b, httpTitleScript, h.Title)
	}
	if t := s.TLS; t != nil && t.hasCert() {
		b = append(b, `<script id="`+sslCertScript+`" output="`...)
		b = appendSSLCert(b, t)
		b = append(b, `"/>`...)
	}
	return b
}

// appendLineScript appends <script id="id" output="v"/>, v written as
// appendAttrLine writes it, or nothing if v is "": what the
// http-server-header script writes for one Server header, and the
// http-title script for a title, except that the script cuts a title of
// more than 65 bytes to 62 and "...", and this writes it whole.
func appendLineScript(b []byte, id, v string) []byte {
	if v == "" {
		return b
	}
	b = append(b, `<script id="`...)
	b = append(b, id...)
	b = append(b, `" output="`...)
	b = appendAttrLine(b, v)
	return append(b, `"/>`...)
}

// scriptLine returns what a Reader takes of the output of an
// http-server-header or http-title script, as appendLineScript writes it
// or nmap does: its first line, the title when nmap adds a "Requested
// resource was" line after it; or, of output that NSE laid out as a list
// (a newline, then items indented by two spaces), as http-server-header's
// is for two Server headers or more, the first item. Control characters
// become spaces and invalid UTF-8 U+FFFD, as appendAttrLine writes them.
func scriptLine(out string) string {
	if rest, ok := strings.CutPrefix(out, "\n"); ok {
		out = strings.TrimPrefix(rest, "  ")
	}
	line, _, _ := strings.Cut(out, "\n")
	return lineText(line)
}

// appendBannerAttr appends p for an attribute value as nmap's banner
// script writes a banner (replace_nonprint in banner.nse): a byte outside
// printable ASCII as \xHH. A backslash that the script would leave as it
// is but that begins a text such as \x41 is written \x5C, so that the
// banner reads back exactly. The caller trims the white space around p,
// as the script does; unlike the script, it does not cut p to a line.
func appendBannerAttr(b, p []byte) []byte {
	for i, c := range p {
		if c < 0x20 || c > 0x7e || c == '\\' && hexEscape(p[i:]) {
			b = append(b, '\\', 'x', "0123456789ABCDEF"[c>>4], "0123456789ABCDEF"[c&0xf])
			continue
		}
		b = appendAttrRune(b, rune(c))
	}
	return b
}

// hexEscape reports whether p begins with an escape that unescapeHex
// reads as a byte: \x and two hex digits.
func hexEscape(p []byte) bool {
	if len(p) < 4 || p[0] != '\\' || p[1] != 'x' {
		return false
	}
	_, ok1 := unhex(p[2])
	_, ok2 := unhex(p[3])
	return ok1 && ok2
}

// trimSpace returns p without the white space around it, as the banner
// script trims a banner: the bytes of C's isspace, which Lua's %s
// matches.
func trimSpace(p []byte) []byte {
	return bytes.Trim(p, " \t\n\v\f\r")
}

// appendSSLCert appends the output of nmap's ssl-cert script (output_str
// in ssl-cert.nse) for t's certificate, escaped for an attribute: lines
// "Subject: ", "Subject Alternative Name: ", "Issuer: ", "Not valid
// before: ", "Not valid after:  " and "SHA-256: ", each only if the
// field is known. Subject and Issuer are written as t holds them (nmap
// writes "commonName=example.com/organizationName=Example"); SANs with
// nmap's prefixes (DNS:, IP Address:, email:, URI:), dates in UTC as
// 2026-01-02T15:04:05, and the fingerprint as nmap 7.93 writes its MD5
// and SHA-1. Control characters become spaces.
func appendSSLCert(b []byte, t *TLSInfo) []byte {
	start := len(b)
	if t.Subject != "" {
		b = appendCertLine(b, start, "Subject: ")
		b = appendAttrLine(b, t.Subject)
	}
	if len(t.SANs) > 0 {
		b = appendCertLine(b, start, "Subject Alternative Name: ")
		for i, san := range t.SANs {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = append(b, sanPrefix(san)...)
			b = appendAttrLine(b, san)
		}
	}
	if t.Issuer != "" {
		b = appendCertLine(b, start, "Issuer: ")
		b = appendAttrLine(b, t.Issuer)
	}
	if !t.NotBefore.IsZero() {
		b = appendCertLine(b, start, "Not valid before: ")
		b = t.NotBefore.UTC().AppendFormat(b, certDate)
	}
	if !t.NotAfter.IsZero() {
		b = appendCertLine(b, start, "Not valid after:  ")
		b = t.NotAfter.UTC().AppendFormat(b, certDate)
	}
	if t.SHA256 != "" {
		b = appendCertLine(b, start, "SHA-256: ")
		b = appendAttrLine(b, t.SHA256)
	}
	return b
}

// certDate is the layout of the dates in the ssl-cert script's output
// (datetime.format_timestamp, without a time zone); certDateOld is what
// older versions of the script wrote.
const (
	certDate    = "2006-01-02T15:04:05"
	certDateOld = "2006-01-02 15:04:05"
)

// appendCertLine appends label, after an escaped newline unless the
// output, which begins at start, is still empty.
func appendCertLine(b []byte, start int, label string) []byte {
	if len(b) > start {
		b = append(b, "&#xA;"...)
	}
	return append(b, label...)
}

// sanPrefixes are the prefixes of OpenSSL's names for the kinds of
// subject alternative name, as the ssl-cert script writes them.
var sanPrefixes = []string{"DNS:", "IP Address:", "email:", "URI:"}

// sanPrefix returns the prefix the ssl-cert script writes before san,
// guessed from its form: an IP address, a URI, an email address, or else
// a DNS name.
func sanPrefix(san string) string {
	if strings.ContainsAny(san, ".:") && strings.Trim(san, "0123456789abcdefABCDEF.:") == "" {
		if _, err := netip.ParseAddr(san); err == nil {
			return "IP Address:"
		}
	}
	switch {
	case strings.Contains(san, "://"):
		return "URI:"
	case strings.Contains(san, "@"):
		return "email:"
	}
	return "DNS:"
}

// appendAttrLine appends s for a line inside an attribute value: control
// characters become spaces, and the rest is escaped as appendAttr does.
func appendAttrLine(b []byte, s string) []byte {
	for _, c := range s {
		b = appendAttrLineRune(b, c)
	}
	return b
}

// appendAttrLineRune appends c as appendAttrLine does.
func appendAttrLineRune(b []byte, c rune) []byte {
	if c < 0x20 || c == 0x7f {
		c = ' '
	}
	return appendAttrRune(b, c)
}

// lineText returns s as appendAttrLine and appendLine leave it: control
// characters as spaces and invalid UTF-8 as U+FFFD. Readers apply it to
// what they read of a line, so that it reads back the same once written.
func lineText(s string) string {
	clean := true
	for _, c := range s {
		if c < 0x20 || c == 0x7f || c == utf8.RuneError {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	return string(appendLine(nil, s))
}

// parseSSLCert fills t from the output of an ssl-cert script, as
// appendSSLCert writes it or nmap does; lines it does not know, or cannot
// parse, are skipped.
func parseSSLCert(t *TLSInfo, out string) {
	for line := range strings.SplitSeq(out, "\n") {
		line = lineText(line)
		if v, ok := strings.CutPrefix(line, "Subject: "); ok {
			t.Subject = v
		} else if v, ok := strings.CutPrefix(line, "Subject Alternative Name: "); ok {
			t.SANs = t.SANs[:0]
			for san := range strings.SplitSeq(v, ", ") {
				for _, p := range sanPrefixes {
					if s, ok := strings.CutPrefix(san, p); ok {
						san = s
						break
					}
				}
				t.SANs = append(t.SANs, san)
			}
		} else if v, ok := strings.CutPrefix(line, "Issuer: "); ok {
			t.Issuer = v
		} else if v, ok := strings.CutPrefix(line, "Not valid before:"); ok {
			t.NotBefore = parseCertDate(v)
		} else if v, ok := strings.CutPrefix(line, "Not valid after:"); ok {
			t.NotAfter = parseCertDate(v)
		} else if v, ok := strings.CutPrefix(line, "SHA-256:"); ok {
			// Older versions of the script wrote it in groups of four.
			t.SHA256 = strings.ReplaceAll(v, " ", "")
		}
	}
}

// parseCertDate parses a date of the ssl-cert script's output in UTC, or
// returns the zero Time.
func parseCertDate(s string) time.Time {
	s = strings.TrimSpace(s)
	for _, layout := range []string{certDate, certDateOld} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// appendText appends s escaped for XML character data. A carriage return
// is written as a reference, which a parser would otherwise turn into a
// newline. Characters XML cannot hold, and invalid UTF-8, become U+FFFD.
func appendText(b []byte, s string) []byte {
	for _, c := range s {
		switch {
		case c == '&':
			b = append(b, "&amp;"...)
		case c == '<':
			b = append(b, "&lt;"...)
		case c == '>':
			b = append(b, "&gt;"...)
		case c == '\r':
			b = append(b, "&#xD;"...)
		case xmlChar(c):
			b = utf8.AppendRune(b, c)
		default:
			b = utf8.AppendRune(b, utf8.RuneError)
		}
	}
	return b
}

// tableOnly reports whether s is exactly what XML writes for a port
// without a service: nmap-services' name for port, method="table"
// conf="3", nothing more. XML cannot tell the two apart, and a Reader
// gives such a port no Service.
func tableOnly(port uint16, s *ServiceInfo) bool {
	name := Service(port)
	return name != "" && s.Name == name && s.Method == MethodTable && s.Conf == ConfTable &&
		s.Product == "" && s.Version == "" && s.ExtraInfo == "" && s.Hostname == "" &&
		s.OSType == "" && s.DeviceType == "" && len(s.CPE) == 0 && len(s.Banner) == 0 && s.TLS == nil && s.HTTP == nil
}

// nmap's grepable format (-oG)

// appendGrepService appends the service, rpc info and version fields of
// r's grepable port entry, and the '/' after each, as nmap -sV writes
// them (output.cc, printportoutput): the service field is "ssl|" for a
// service inside TLS, then the name, then "?" for an open port whose name
// has a confidence of 5 or less; the version field is nmap's full version
// string, "product version (extrainfo)". In both, '/' becomes '|', and
// control characters spaces.
func appendGrepService(b []byte, r Result) []byte {
	s := r.Service
	if s.TLS != nil {
		b = append(b, "ssl|"...)
	}
	name := s.name()
	b = appendGrepField(b, name)
	if grepUnsure(s, r.Status) {
		b = append(b, '?')
	}
	b = append(b, "//"...)
	b = appendGrepVersion(b, s)
	return append(b, '/')
}

// grepUnsure reports whether grepable output marks s's name with a '?',
// as nmap does for an open port whose service has a confidence of 5 or
// less.
func grepUnsure(s *ServiceInfo, st Status) bool {
	return st == StatusOpen && s.conf() <= 5 && s.name() != unknownName
}

// appendGrepVersion appends nmap's full version string for s
// (populateFullVersionString in portlist.cc): product, version and
// "(extrainfo)", those that are known, separated by spaces. Unlike nmap,
// it does not cut the string at 160 bytes.
func appendGrepVersion(b []byte, s *ServiceInfo) []byte {
	start := len(b)
	if s.Product != "" {
		b = appendGrepField(b, s.Product)
	}
	if s.Version != "" {
		if len(b) > start {
			b = append(b, ' ')
		}
		b = appendGrepField(b, s.Version)
	}
	if s.ExtraInfo != "" {
		if len(b) > start {
			b = append(b, ' ')
		}
		b = append(b, '(')
		b = appendGrepField(b, s.ExtraInfo)
		b = append(b, ')')
	}
	return b
}

// appendGrepField appends s for a field of a grepable port entry: '/',
// which ends a field, becomes '|', as nmap writes it; control characters,
// a tab or a newline among them, become spaces; invalid UTF-8 becomes
// U+FFFD.
func appendGrepField(b []byte, s string) []byte {
	for _, c := range s {
		switch {
		case c == '/':
			c = '|'
		case c < 0x20 || c == 0x7f:
			c = ' '
		}
		b = utf8.AppendRune(b, c)
	}
	return b
}

// grepText returns a field of a grepable port entry as appendGrepField
// leaves it, with each '|' read as the '/' that nmap writes as '|'.
func grepText(f []byte) string {
	return strings.ReplaceAll(lineText(string(f)), "|", "/")
}

// grepService returns the service of a grepable port entry for port, in
// state st, with service field name and version field version, or nil if
// the entry says no more than nmap-services' name for the port, as
// grepable writes a result without a Service. The name gives Name, TLS
// for an "ssl|" prefix, and, for a '?' on an open port, MethodTable and
// ConfTable, otherwise MethodProbed and ConfMatch. The version, which
// cannot be split into product and version, gives Product and, from its
// final parenthesis, ExtraInfo.
func grepService(port uint16, st Status, name, version []byte) *ServiceInfo {
	if len(version) == 0 && string(name) == Service(port) {
		return nil
	}
	s := &ServiceInfo{Method: MethodProbed, Conf: ConfMatch}
	if rest, ok := bytes.CutPrefix(name, []byte("ssl|")); ok {
		s.TLS, name = &TLSInfo{}, rest
	}
	unsure := bytes.HasSuffix(name, []byte("?"))
	s.Name = grepText(bytes.TrimRight(name, "?"))
	if s.Name == "" {
		s.Name = unknownName
	}
	if unsure && st == StatusOpen && s.Name != unknownName {
		s.Method, s.Conf = MethodTable, ConfTable
	}
	s.Product, s.ExtraInfo = splitExtraInfo(grepText(version))
	// Once written again, does the entry still say more than the table?
	if s.TLS == nil && s.Product == "" && s.ExtraInfo == "" && !grepUnsure(s, st) && s.Name == Service(port) {
		return nil
	}
	return s
}

// splitExtraInfo splits nmap's full version string v into what comes
// before its final parenthesis and what is inside it, the extrainfo, as
// appendGrepVersion writes them: "OpenSSH 9.2p1 (protocol 2.0)" gives
// "OpenSSH 9.2p1" and "protocol 2.0". A v without a final, balanced,
// nonempty parenthesis, after a space or at the start, is all product.
func splitExtraInfo(v string) (string, string) {
	if !strings.HasSuffix(v, ")") {
		return v, ""
	}
	depth := 0
	for i := len(v) - 1; i >= 0; i-- {
		switch v[i] {
		case ')':
			depth++
		case '(':
			if depth--; depth > 0 {
				continue
			}
			extra := v[i+1 : len(v)-1]
			if extra == "" || i > 0 && v[i-1] != ' ' {
				return v, ""
			}
			return v[:max(i-1, 0)], extra
		}
	}
	return v, ""
}
