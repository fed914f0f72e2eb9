package svcprobe

// Match is what a match line says about a response: nmap's service name and
// version fields. Fields the line does not fill are empty. Every string is
// valid UTF-8 without control characters (see display).
type Match struct {
	// Service is nmap's service name, such as "ssh" or "http". "ssl"
	// means the server answered with a TLS handshake: nmap then connects
	// again through TLS, tries the probes again with tls set, and names
	// the service "ssl/" plus what it finds there.
	Service string
	// Product is the software, such as "OpenSSH".
	Product string
	// Version is the software's version, such as "9.2p1 Debian 2+deb12u3".
	Version string
	// Info is nmap's extra information, such as "protocol 2.0".
	Info string
	// Hostname is the host name the server gave, if any.
	Hostname string
	// OSType is the operating system the server runs on, such as "Linux".
	OSType string
	// DeviceType is the kind of device, such as "router" or "printer".
	DeviceType string
	// CPE lists the CPE 2.2 names of the application, hardware and
	// operating system, in that order, each present at most once as in
	// nmap ("cpe:/a:openbsd:openssh:9.2p1").
	CPE []string
	// Soft marks a softmatch line: the service is known but not the
	// product. nmap keeps probing, with probes that can name that service,
	// for a hard match.
	Soft bool
	// Probe is the name of the probe whose line matched: the probe given
	// to DB.Match, one of its fallbacks, or NULL.
	Probe string
	// Line is the number of the line that matched in the database (see
	// DB.Name), for tracing a result back to its rule.
	Line int
}

// Match matches response, the bytes a server sent after probe p, against
// p's match and softmatch lines and then its fallback probes' (the
// fallback directive), and, as nmap does, NULL-probe matches for any
// probe. It fills product/version/info/hostname/ostype/devicetype/cpe
// templates: $1..$9, $P(n) (printable), $SUBST(n,"a","b"), $I(n,">")
// (unpack int).
//
// As in nmap, the first line that matches wins, soft or hard; a nil p means
// the NULL probe. response may hold any bytes. Its length is the caller's to
// bound: nmap reads at most about 4 KiB per probe, and the cost of a match
// grows with the length.
func (db *DB) Match(p *Probe, response []byte) (Match, bool) {
	if p == nil {
		p = db.null
		if p == nil {
			return Match{}, false
		}
	}
	chain := p.chain
	if len(chain) == 0 {
		chain = []*Probe{p} // a Probe not from Load: its own lines only
	}
	s := latin1(response)
	var lower string
	lowered := false
	lowerS := func() string {
		if !lowered {
			lower, lowered = lowerASCII(s), true
		}
		return lower
	}
	for _, q := range chain {
		for _, m := range q.matches {
			if m.pattern == "" || !m.filter.pass(s, lowerS) {
				continue
			}
			re := m.regexp()
			if re == nil || !re.MatchString(s) {
				continue
			}
			return m.fill(q.Name, captures{s: s, idx: re.FindStringSubmatchIndex(s)}), true
		}
	}
	return Match{}, false
}

// fill builds the Match of line m from the groups of its match.
func (m *matchLine) fill(probe string, c captures) Match {
	var f [numFields]string
	for i, tmpl := range m.tmpl {
		if tmpl != "" {
			f[i], _ = expand(tmpl, c, false, fieldMax[i])
		}
	}
	out := Match{
		Service:    m.service,
		Product:    f[fieldProduct],
		Version:    f[fieldVersion],
		Info:       f[fieldInfo],
		Hostname:   f[fieldHostname],
		OSType:     f[fieldOSType],
		DeviceType: f[fieldDeviceType],
		Soft:       m.soft,
		Probe:      probe,
		Line:       m.line,
	}
	// nmap keeps one CPE per part (a, h, o), the last line's, and lists
	// them in that order.
	var parts [3]string
	for _, tmpl := range m.cpe {
		i := indexPart(tmpl)
		if i < 0 {
			continue
		}
		if v, ok := expand(tmpl, c, true, cpeMax-len("cpe:/")); ok && v != "" {
			parts[i] = "cpe:/" + v
		}
	}
	for _, v := range parts {
		if v != "" {
			out.CPE = append(out.CPE, v)
		}
	}
	return out
}

// indexPart returns the position of a CPE template's part (a, h or o) in
// Match.CPE, or -1 for another part.
func indexPart(tmpl string) int {
	if tmpl == "" {
		return -1
	}
	switch tmpl[0] {
	case 'a':
		return 0
	case 'h':
		return 1
	case 'o':
		return 2
	}
	return -1
}
