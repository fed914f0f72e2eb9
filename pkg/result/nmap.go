package result

import (
	"net/netip"
	"strconv"
	"time"
	"unicode/utf8"
)

// This file holds the two nmap formats, XML (-oX) and grepable (-oG), and
// their shared parts. Both write a record per host; consecutive results for
// one address go into the same record, which stays open until a result for
// another address, Flush, or Close.

// xmlOutputVersion is the version of nmap's XML format that FormatXML writes.
const xmlOutputVersion = "1.05"

// dateLayout is the ctime(3) layout nmap writes dates in.
const dateLayout = time.ANSIC

// name returns "trawl" and, if there is one, the version.
func (e *encoder) name() string {
	if e.meta.Version == "" {
		return "trawl"
	}
	return "trawl " + e.meta.Version
}

// finish returns the time of Close, in the location of Meta.Start, and the
// seconds since Meta.Start, never negative.
func (e *encoder) finish() (time.Time, float64) {
	end := e.now().In(e.meta.Start.Location())
	return end, max(end.Sub(e.meta.Start).Seconds(), 0)
}

// totals returns the number of target addresses and of hosts up, for the
// trailers. Each address with a host record counts as a host up once, however
// many records it has.
func (e *encoder) totals() (total, up int) {
	up = len(e.up4) + len(e.up6)
	total = e.meta.NumHosts
	if total <= 0 {
		total = up
	}
	return total, up
}

// beginHost notes that a host record for ip begins, and counts ip as up
// unless an earlier record did.
func (e *encoder) beginHost(ip netip.Addr) {
	e.host = ip
	if ip.Is4() {
		if e.up4 == nil {
			e.up4 = make(map[[4]byte]struct{})
		}
		e.up4[ip.As4()] = struct{}{}
		return
	}
	if e.up6 == nil {
		e.up6 = make(map[[16]byte]struct{})
	}
	e.up6[ip.As16()] = struct{}{}
}

// appendSummary appends nmap's "N IP addresses (M hosts up) scanned in
// S seconds".
func (e *encoder) appendSummary(b []byte, elapsed float64) []byte {
	total, up := e.totals()
	b = strconv.AppendInt(b, int64(total), 10)
	if total == 1 {
		b = append(b, " IP address ("...)
	} else {
		b = append(b, " IP addresses ("...)
	}
	b = strconv.AppendInt(b, int64(up), 10)
	if up == 1 {
		b = append(b, " host up) scanned in "...)
	} else {
		b = append(b, " hosts up) scanned in "...)
	}
	b = strconv.AppendFloat(b, elapsed, 'f', 2, 64)
	return append(b, " seconds"...)
}

// appendXMLHeader appends the XML declaration, a comment and the elements
// that open <nmaprun>, as nmap writes them.
func (e *encoder) appendXMLHeader(b []byte) []byte {
	m := &e.meta
	b = append(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE nmaprun>\n<!-- "...)
	b = appendComment(b, e.name()+" scan initiated "+m.Start.Format(dateLayout)+" as: "+m.Args)
	// nmap.dtd allows only "nmap" as the scanner, so the name goes in version.
	b = append(b, " -->\n<nmaprun scanner=\"nmap\" args=\""...)
	b = appendAttr(b, m.Args)
	b = append(b, `" start="`...)
	b = strconv.AppendInt(b, m.Start.Unix(), 10)
	b = append(b, `" startstr="`...)
	b = appendAttr(b, m.Start.Format(dateLayout))
	b = append(b, `" version="`...)
	b = appendAttr(b, e.name())
	b = append(b, `" xmloutputversion="`+xmlOutputVersion+`">`+"\n"+`<scaninfo type="`...)
	if m.Connect {
		b = append(b, "connect"...)
	} else {
		b = append(b, "syn"...)
	}
	b = append(b, `" protocol="`+Proto+`" numservices="`...)
	b = strconv.AppendInt(b, int64(m.NumServices), 10)
	b = append(b, `" services="`...)
	b = appendAttr(b, m.Ports)
	return append(b, "\"/>\n<verbose level=\"0\"/>\n<debugging level=\"0\"/>\n"...)
}

// appendXMLPort appends a <port> element for r, first ending the open <host>
// and beginning one for r.IP if r is for another address.
func (e *encoder) appendXMLPort(b []byte, r Result) []byte {
	if r.IP != e.host {
		if e.host.IsValid() {
			b = append(b, "</ports>\n</host>\n"...)
		}
		e.beginHost(r.IP)
		b = append(b, `<host endtime="`...)
		b = strconv.AppendInt(b, r.Time.Unix(), 10)
		reason, ttl := e.hostReason(r)
		b = append(b, `"><status state="up" reason="`...)
		b = append(b, reason...)
		b = append(b, `" reason_ttl="`...)
		b = strconv.AppendUint(b, uint64(ttl), 10)
		b = append(b, "\"/>\n<address addr=\""...)
		b = r.IP.AppendTo(b)
		b = append(b, "\" addrtype=\""...)
		b = append(b, addrType(r.IP)...)
		b = append(b, "\"/>\n<ports>"...)
	}
	b = append(b, `<port protocol="`+Proto+`" portid="`...)
	b = strconv.AppendUint(b, uint64(r.Port), 10)
	reason, ttl := e.portReason(r)
	b = append(b, `"><state state="`...)
	b = append(b, r.Status.String()...)
	b = append(b, `" reason="`...)
	b = append(b, reason...)
	b = append(b, `" reason_ttl="`...)
	b = strconv.AppendUint(b, uint64(ttl), 10)
	b = append(b, `"/>`...)
	if r.Service != nil {
		b = appendXMLService(b, r.Service)
		b = appendXMLScripts(b, r.Service)
	} else if name := Service(r.Port); name != "" {
		b = append(b, `<service name="`...)
		b = append(b, name...)
		b = append(b, `" method="table" conf="3"/>`...)
	}
	if r.Suspect {
		// nmap.dtd lets a <port> end with <script> elements, as NSE
		// writes them; the id names trawl's note.
		b = append(b, `<script id="`+suspectScript+`" output="`+suspectNote+`"/>`...)
	}
	return append(b, "</port>\n"...)
}

// addrType returns nmap's addrtype for ip, "ipv4" or "ipv6".
func addrType(ip netip.Addr) string {
	if ip.Is4() {
		return "ipv4"
	}
	return "ipv6"
}

// suspectScript is the id of the <script> element that marks a Suspect
// port in XML, and suspectNote its output.
const (
	suspectScript = "trawl-suspect"
	suspectNote   = "the host answers nearly every port probed with a SYN-ACK: a SYN proxy, a tarpit or a firewall answering for it"
)

// grepSuspect is the field that ends a grepable "Ports:" line with a
// Suspect open port, after nmap's tab-separated "Name: value" layout.
const grepSuspect = "\tSuspect: yes"

// appendGrepEnd appends the end of the open grepable "Ports:" line: the
// Suspect field if one of its open ports is Suspect, and the newline.
func (e *encoder) appendGrepEnd(b []byte) []byte {
	if e.suspect {
		b = append(b, grepSuspect...)
		e.suspect = false
	}
	return append(b, '\n')
}

// portReason returns nmap's reason for r's state and the TTL of the reply
// that gave it: r's own, or, for ReasonNone, one derived from its Status
// with r.TTL.
func (e *encoder) portReason(r Result) (string, uint8) {
	if r.Reason != ReasonNone {
		return r.Reason.String(), r.ReasonTTL
	}
	switch {
	case r.Status == StatusOpen:
		return "syn-ack", r.TTL
	case r.Status == StatusClosed && e.meta.Connect:
		return "conn-refused", r.TTL
	case r.Status == StatusClosed:
		return "reset", r.TTL
	}
	return "no-response", r.TTL
}

// hostReason returns nmap's reason for calling a host up, given its first
// port's result, and that reason's TTL: the port's reply, or "user-set"
// for a filtered port, as nmap says with -Pn.
func (e *encoder) hostReason(r Result) (string, uint8) {
	if r.Status == StatusFiltered {
		return "user-set", 0
	}
	return e.portReason(r)
}

// appendXMLTrailer appends <runstats> and closes <nmaprun>.
func (e *encoder) appendXMLTrailer(b []byte) []byte {
	end, elapsed := e.finish()
	total, up := e.totals()
	b = append(b, `<runstats><finished time="`...)
	b = strconv.AppendInt(b, end.Unix(), 10)
	b = append(b, `" timestr="`...)
	b = appendAttr(b, end.Format(dateLayout))
	b = append(b, `" summary="`...)
	b = appendAttr(b, e.name()+" done at "+end.Format(dateLayout)+"; "+string(e.appendSummary(nil, elapsed)))
	b = append(b, `" elapsed="`...)
	b = strconv.AppendFloat(b, elapsed, 'f', 2, 64)
	b = append(b, `" exit="success"/><hosts up="`...)
	b = strconv.AppendInt(b, int64(up), 10)
	b = append(b, `" down="`...)
	b = strconv.AppendInt(b, int64(max(total-up, 0)), 10)
	b = append(b, `" total="`...)
	b = strconv.AppendInt(b, int64(total), 10)
	return append(b, "\"/>\n</runstats>\n</nmaprun>\n"...)
}

// appendGrepHeader appends the comment lines that begin nmap's grepable
// output.
func (e *encoder) appendGrepHeader(b []byte) []byte {
	m := &e.meta
	b = append(b, "# "...)
	b = appendLine(b, e.name()+" scan initiated "+m.Start.Format(dateLayout)+" as: "+m.Args)
	b = append(b, "\n# Ports scanned: TCP("...)
	b = strconv.AppendInt(b, int64(m.NumServices), 10)
	b = append(b, ';')
	b = appendLine(b, m.Ports)
	return append(b, ") UDP(0;) SCTP(0;) PROTOCOLS(0;)\n"...)
}

// appendGrepPort appends r's entry to the open "Ports:" line, first ending
// it and beginning lines for r.IP if r is for another address.
func (e *encoder) appendGrepPort(b []byte, r Result) []byte {
	if r.IP == e.host {
		b = append(b, ", "...)
	} else {
		if e.host.IsValid() {
			b = e.appendGrepEnd(b)
		}
		e.beginHost(r.IP)
		b = append(b, "Host: "...)
		b = r.IP.AppendTo(b)
		b = append(b, " ()\tStatus: Up\nHost: "...)
		b = r.IP.AppendTo(b)
		b = append(b, " ()\tPorts: "...)
	}
	// port/state/protocol/owner/service/rpc info/version/
	b = strconv.AppendUint(b, uint64(r.Port), 10)
	b = append(b, '/')
	b = append(b, r.Status.String()...)
	b = append(b, "/"+Proto+"//"...)
	e.suspect = e.suspect || r.Suspect && r.Status == StatusOpen
	if r.Service != nil {
		return appendGrepService(b, r)
	}
	b = append(b, Service(r.Port)...)
	return append(b, "///"...)
}

// appendGrepTrailer appends the comment line that ends nmap's grepable
// output.
func (e *encoder) appendGrepTrailer(b []byte) []byte {
	end, elapsed := e.finish()
	b = append(b, "# "...)
	b = append(b, e.name()...)
	b = append(b, " done at "...)
	b = append(b, end.Format(dateLayout)...)
	b = append(b, " -- "...)
	b = e.appendSummary(b, elapsed)
	return append(b, '\n')
}

// appendLine appends s for a one-line comment: control characters become
// spaces and invalid UTF-8 becomes U+FFFD.
func appendLine(b []byte, s string) []byte {
	for _, c := range s {
		if c < 0x20 || c == 0x7f {
			c = ' '
		}
		b = utf8.AppendRune(b, c)
	}
	return b
}

// xmlChar reports whether c may appear in an XML 1.0 document.
func xmlChar(c rune) bool {
	return c == '\t' || c == '\n' || c == '\r' ||
		c >= 0x20 && c <= 0xd7ff ||
		c >= 0xe000 && c <= 0xfffd ||
		c >= 0x10000 && c <= 0x10ffff
}

// appendAttr appends s escaped for a double- or single-quoted XML attribute
// value. Characters XML cannot hold, and invalid UTF-8, become U+FFFD.
func appendAttr(b []byte, s string) []byte {
	for _, c := range s {
		b = appendAttrRune(b, c)
	}
	return b
}

// appendAttrRune appends c as appendAttr does.
func appendAttrRune(b []byte, c rune) []byte {
	switch {
	case c == '&':
		return append(b, "&amp;"...)
	case c == '<':
		return append(b, "&lt;"...)
	case c == '>':
		return append(b, "&gt;"...)
	case c == '"':
		return append(b, "&quot;"...)
	case c == '\'':
		return append(b, "&apos;"...)
	case c == '\t':
		return append(b, "&#x9;"...)
	case c == '\n':
		return append(b, "&#xA;"...)
	case c == '\r':
		return append(b, "&#xD;"...)
	case xmlChar(c):
		return utf8.AppendRune(b, c)
	}
	return utf8.AppendRune(b, utf8.RuneError)
}

// appendComment appends s for the inside of an XML comment, which may not
// contain "--" or end in "-": a space goes after each '-' that another '-'
// follows, and after a final '-'. Characters XML cannot hold become U+FFFD.
func appendComment(b []byte, s string) []byte {
	prev := rune(0)
	for _, c := range s {
		if prev == '-' && c == '-' {
			b = append(b, ' ')
		}
		if !xmlChar(c) {
			c = utf8.RuneError
		}
		b = utf8.AppendRune(b, c)
		prev = c
	}
	if prev == '-' {
		b = append(b, ' ')
	}
	return b
}
