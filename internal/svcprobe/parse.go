package svcprobe

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// A SyntaxError reports a line of a probe database that Load cannot parse.
type SyntaxError struct {
	// File is the name given to Load.
	File string
	// Line is the 1-based number of the bad line.
	Line int
	// Msg says what is wrong with the line and, where it helps, what a
	// good one looks like.
	Msg string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// maxLine bounds the length of a line. nmap's own reader stops at 2 KiB;
// its longest line today is under 2 KiB.
const maxLine = 1 << 20

// parser holds Load's state.
type parser struct {
	name     string
	db       *DB
	stats    Stats
	line     int
	cur      *Probe            // the probe the following lines belong to
	curUDP   bool              // cur is a UDP probe, to be dropped
	excluded bool              // an Exclude line was seen
	byName   map[string]*Probe // TCP probes
	udp      map[string]*Probe // UDP probes, only ever fallbacks
}

func (p *parser) errorf(format string, args ...any) error {
	return &SyntaxError{File: p.name, Line: p.line, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) parse(r io.Reader) error {
	p.byName = make(map[string]*Probe)
	p.udp = make(map[string]*Probe)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	for sc.Scan() {
		p.line++
		if err := p.parseLine(sc.Text()); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			p.line++
			return p.errorf("line longer than %d bytes", maxLine)
		}
		return fmt.Errorf("read %s: %w", p.name, err)
	}
	p.endProbe()
	return p.link()
}

// parseLine parses one line of the file.
func (p *parser) parseLine(line string) error {
	line = strings.TrimRight(line, " \t\r")
	line = strings.TrimLeft(line, " \t")
	if line == "" || line[0] == '#' {
		return nil
	}
	directive, rest, _ := strings.Cut(line, " ")
	rest = strings.TrimLeft(rest, " \t")
	switch directive {
	case "Exclude":
		return p.parseExclude(rest)
	case "Probe":
		p.endProbe()
		return p.parseProbe(rest)
	}
	if p.cur == nil {
		switch directive {
		case "match", "softmatch", "ports", "sslports", "rarity", "fallback", "totalwaitms", "tcpwrappedms":
			return p.errorf("%s line before any Probe line", directive)
		}
		return p.errorf("unknown directive %q: want Probe or Exclude", directive)
	}
	switch directive {
	case "match", "softmatch":
		return p.parseMatch(directive == "softmatch", rest)
	case "ports":
		set, err := parsePorts(rest)
		if err != nil {
			return p.errorf("ports: %v", err)
		}
		p.cur.ports = append(p.cur.ports, set...)
	case "sslports":
		set, err := parsePorts(rest)
		if err != nil {
			return p.errorf("sslports: %v", err)
		}
		p.cur.sslports = append(p.cur.sslports, set...)
		p.cur.TLSWrapped = true
	case "rarity":
		n, err := strconv.Atoi(rest)
		if err != nil || n < 1 || n > 9 {
			return p.errorf("rarity %q: want a whole number from 1 to 9", rest)
		}
		p.cur.Rarity = n
	case "totalwaitms", "tcpwrappedms":
		n, err := strconv.Atoi(rest)
		if err != nil || n < 100 || n > 300000 {
			return p.errorf("%s %q: want milliseconds from 100 to 300000", directive, rest)
		}
		d := time.Duration(n) * time.Millisecond
		if directive == "totalwaitms" {
			p.cur.TotalWait = d
		} else {
			p.cur.TCPWrapped = d
		}
	case "fallback":
		names := strings.FieldsFunc(rest, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
		if len(names) == 0 {
			return p.errorf("fallback line names no probe: want fallback GetRequest[,Other...]")
		}
		p.cur.fallback = append(p.cur.fallback, names...)
		p.cur.fallbackLine = p.line
	default:
		return p.errorf("unknown directive %q: want match, softmatch, ports, sslports, rarity, fallback, totalwaitms, tcpwrappedms or Probe", directive)
	}
	return nil
}

// parseExclude parses the ports after "Exclude ", in nmap's -p syntax
// (T:9100-9107,U:...). Only TCP ports, and ports given without a protocol,
// are kept.
func (p *parser) parseExclude(rest string) error {
	if p.cur != nil {
		return p.errorf("Exclude line after a Probe line: it must come first")
	}
	if p.excluded {
		return p.errorf("second Exclude line: list every port in one")
	}
	p.excluded = true
	tcp := true
	for _, item := range strings.Split(rest, ",") {
		item = strings.TrimSpace(item)
		if proto, ports, ok := strings.Cut(item, ":"); ok {
			switch strings.ToUpper(proto) {
			case "T":
				tcp = true
			case "U", "S", "P":
				tcp = false
			default:
				return p.errorf("Exclude: unknown protocol %q in %q: want T:, U: or S:", proto, item)
			}
			item = ports
		}
		r, err := parseRange(item, true)
		if err != nil {
			return p.errorf("Exclude: %v", err)
		}
		if tcp {
			p.db.exclude = append(p.db.exclude, r)
		}
	}
	return nil
}

// parseProbe parses the rest of a "Probe TCP name q|payload|" line.
func (p *parser) parseProbe(rest string) error {
	proto, rest, _ := strings.Cut(rest, " ")
	if proto != "TCP" && proto != "UDP" {
		return p.errorf("Probe protocol %q: want TCP or UDP", proto)
	}
	name, rest, ok := strings.Cut(rest, " ")
	if name == "" || !isAlnum(name[0]) || !isWord(name) {
		return p.errorf("Probe name %q: want printable ASCII starting with a letter or digit", name)
	}
	if !ok || len(rest) < 2 || rest[0] != 'q' {
		return p.errorf("Probe %s: want a payload like q|GET / HTTP/1.0\\r\\n\\r\\n| after the name", name)
	}
	delim := rest[1]
	body, _, ok := strings.Cut(rest[2:], string(delim))
	if !ok {
		return p.errorf("Probe %s: payload has no closing %q", name, delim)
	}
	payload, err := unescape(body)
	if err != nil {
		return p.errorf("Probe %s payload: %v", name, err)
	}
	// Anything after the payload (nmap's "no-payload" flag for UDP) is
	// ignored, as nmap does.
	pr := &Probe{
		Name:      name,
		Payload:   payload,
		Rarity:    defaultRarity,
		TotalWait: DefaultTotalWait,
		line:      p.line,
	}
	p.cur, p.curUDP = pr, proto == "UDP"
	if p.curUDP {
		p.stats.UDP++
		return nil
	}
	if len(payload) == 0 || name == "NULL" {
		if p.db.null != nil {
			return p.errorf("second NULL probe %s (the first is on line %d): only one TCP probe may send nothing", name, p.db.null.line)
		}
	}
	return nil
}

// endProbe files the current probe.
func (p *parser) endProbe() {
	pr := p.cur
	p.cur = nil
	if pr == nil {
		return
	}
	if p.curUDP {
		if _, dup := p.udp[pr.Name]; !dup {
			p.udp[pr.Name] = pr
		}
		return
	}
	p.stats.Probes++
	if len(pr.Payload) == 0 || pr.Name == "NULL" {
		p.db.null = pr
	} else {
		p.db.probes = append(p.db.probes, pr)
	}
	if _, dup := p.byName[pr.Name]; !dup {
		p.byName[pr.Name] = pr // nmap uses the first of two probes with one name
	}
}

// link resolves fallback names into each probe's chain: itself, its
// fallbacks in order, then the NULL probe, as nmap does for TCP. A fallback
// names a TCP probe or, failing that, a UDP one: nmap's own file has the
// TCP probe DNSVersionBindReqTCP fall back on the UDP DNSVersionBindReq.
func (p *parser) link() error {
	all := p.db.probes
	if p.db.null != nil {
		all = append([]*Probe{p.db.null}, all...)
	}
	for _, pr := range all {
		pr.chain = append(pr.chain, pr)
		for _, name := range pr.fallback {
			fb := p.byName[name]
			if fb == nil {
				fb = p.udp[name]
			}
			if fb == nil {
				p.line = pr.fallbackLine
				return p.errorf("fallback %q: no probe has that name", name)
			}
			pr.chain = appendNew(pr.chain, fb)
		}
		if p.db.null != nil {
			pr.chain = appendNew(pr.chain, p.db.null)
		}
		pr.fallback = nil
	}
	return nil
}

func appendNew(chain []*Probe, p *Probe) []*Probe {
	for _, q := range chain {
		if q == p {
			return chain
		}
	}
	return append(chain, p)
}

// parseMatch parses the rest of a match or softmatch line:
//
//	service m|regex|flags [p/product/] [v/version/] [i/info/] [h/host/]
//	[o/os/] [d/device/] [cpe:/cpe/]...
//
// where each '|' or '/' may be any delimiter.
func (p *parser) parseMatch(soft bool, rest string) error {
	directive := "match"
	if soft {
		directive = "softmatch"
	}
	service, rest, ok := strings.Cut(rest, " ")
	if service == "" || !ok {
		return p.errorf("%s: want a service name and a pattern, like %s ssh m|^SSH-|", directive, directive)
	}
	if !isWord(service) {
		return p.errorf("%s: service name %q: want printable ASCII, like ssl/http", directive, service)
	}
	m := &matchLine{service: service, soft: soft, line: p.line}
	mode, pat, flags, rest, err := nextTemplate(rest)
	if err != nil {
		return p.errorf("%s %s: %v", directive, service, err)
	}
	if mode != "m" {
		return p.errorf("%s %s: pattern must start with m, like m|^220 |, not %q", directive, service, mode)
	}
	var caseless, dotall bool
	for _, f := range flags {
		switch f {
		case 'i':
			caseless = true
		case 's':
			dotall = true
		default:
			return p.errorf("%s %s: pattern flag %q: want i or s", directive, service, f)
		}
	}
	for {
		var mode, tmpl string
		mode, tmpl, _, rest, err = nextTemplate(rest)
		if err != nil {
			return p.errorf("%s %s: %v", directive, service, err)
		}
		if mode == "" && tmpl == "" {
			break
		}
		switch mode {
		case "p":
			m.tmpl[fieldProduct] = tmpl
		case "v":
			m.tmpl[fieldVersion] = tmpl
		case "i":
			m.tmpl[fieldInfo] = tmpl
		case "h":
			m.tmpl[fieldHostname] = tmpl
		case "o":
			m.tmpl[fieldOSType] = tmpl
		case "d":
			m.tmpl[fieldDeviceType] = tmpl
		case "cpe:":
			m.cpe = append(m.cpe, tmpl)
		default:
			return p.errorf("%s %s: unknown field %q: want p, v, i, h, o, d or cpe:", directive, service, mode)
		}
	}
	p.stats.Matches++
	conv, filter, err := parsePCRE(pat, caseless, dotall)
	if err != nil {
		p.stats.Skipped++
		if len(p.stats.SkippedExamples) < maxSkippedExamples {
			p.stats.SkippedExamples = append(p.stats.SkippedExamples,
				fmt.Sprintf("%s:%d: %s %s: %v", p.name, p.line, directive, service, err))
		}
	} else {
		p.stats.Compiled++
		m.pattern, m.filter = conv, filter
	}
	p.cur.matches = append(p.cur.matches, m)
	return nil
}

// nextTemplate reads one "x/text/flags" item from s, as nmap does: after
// any spaces, a mode of letters and colons, a delimiter, the text up to the
// next delimiter, and the letters just after it. It returns empty mode and
// text at the end of s.
func nextTemplate(s string) (mode, text, flags, rest string, err error) {
	s = strings.TrimLeft(s, " \t")
	if s == "" {
		return "", "", "", "", nil
	}
	i := 0
	for i < len(s) && (isAlpha(s[i]) || s[i] == ':') {
		i++
	}
	mode = s[:i]
	if i == len(s) || s[i] == ' ' || s[i] == '\t' {
		return "", "", "", "", fmt.Errorf("%q has no delimited text after it, like p/Product/", s[:i])
	}
	delim := s[i]
	end := strings.IndexByte(s[i+1:], delim)
	if end < 0 {
		return "", "", "", "", fmt.Errorf("%s%c... has no closing %q", mode, delim, delim)
	}
	text = s[i+1 : i+1+end]
	j := i + 1 + end + 1
	k := j
	for k < len(s) && isAlpha(s[k]) {
		k++
	}
	return mode, text, s[j:k], s[k:], nil
}

// parsePorts parses a port list such as "21-25,53,80".
func parsePorts(s string) (portSet, error) {
	var set portSet
	for _, item := range strings.Split(s, ",") {
		r, err := parseRange(strings.TrimSpace(item), false)
		if err != nil {
			return nil, err
		}
		set = append(set, r)
	}
	return set, nil
}

// parseRange parses "80", "21-25" and, when open is set, "-1024" and
// "60000-".
func parseRange(s string, open bool) (portRange, error) {
	bad := fmt.Errorf("bad port or range %q: want a list like 21-25,53,80", s)
	lo, hi, isRange := strings.Cut(s, "-")
	lo, hi = strings.TrimSpace(lo), strings.TrimSpace(hi)
	if open && isRange && lo == "" {
		lo = "0"
	}
	if open && isRange && hi == "" {
		hi = "65535"
	}
	a, err := strconv.ParseUint(lo, 10, 16)
	if err != nil {
		return portRange{}, bad
	}
	if !isRange {
		return portRange{uint16(a), uint16(a)}, nil
	}
	b, err := strconv.ParseUint(hi, 10, 16)
	if err != nil || b < a {
		return portRange{}, bad
	}
	return portRange{uint16(a), uint16(b)}, nil
}

// unescape decodes the escapes nmap allows in payloads and template
// arguments: \\ \0 \a \b \f \n \r \t \v and \xHH. Any other escaped byte
// stands for itself.
func unescape(s string) ([]byte, error) {
	if strings.IndexByte(s, '\\') < 0 {
		return []byte(s), nil
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		if i == len(s) {
			return nil, errors.New("trailing backslash")
		}
		switch c = s[i]; c {
		case '0':
			out = append(out, 0)
		case 'a':
			out = append(out, '\a')
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'v':
			out = append(out, '\v')
		case 'x':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return nil, fmt.Errorf("bad escape %q: \\x needs two hex digits", s[i-1:min(i+3, len(s))])
			}
			v, _ := parseHex(s[i+1 : i+3])
			out = append(out, byte(v))
			i += 2
		default:
			out = append(out, c)
		}
	}
	return out, nil
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isAlnum(c byte) bool { return isAlpha(c) || c >= '0' && c <= '9' }

// isWord reports whether s is printable ASCII without spaces.
func isWord(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}
