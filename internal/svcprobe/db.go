package svcprobe

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"sync"
	"time"
)

// DefaultPath is where Debian's nmap-common package installs nmap's service
// probe database.
const DefaultPath = "/usr/share/nmap/nmap-service-probes"

// DefaultIntensity is nmap's default --version-intensity: Probes tries the
// probes of rarity up to 7 besides those that list the port.
const DefaultIntensity = 7

// DefaultTotalWait is how long nmap waits for the response to a probe that
// has no totalwaitms line.
const DefaultTotalWait = 5 * time.Second

// defaultRarity is the rarity of a probe without a rarity line, as in nmap.
const defaultRarity = 5

// DB is a parsed probe database; read-only after Load, safe for concurrent
// use.
type DB struct {
	name    string
	null    *Probe   // the TCP probe that sends nothing, or nil
	probes  []*Probe // the other TCP probes, in file order
	exclude portSet  // TCP ports nmap leaves alone (the Exclude line)
}

// Stats counts what Load kept: match and softmatch lines, how many
// compiled with Go's regexp, and how many were skipped (PCRE features Go
// lacks), with a few examples.
//
// trawl probes TCP only: Load keeps UDP probes only as fallbacks of TCP
// ones (nmap's file has one such) and counts them apart, in UDP. Matches
// counts the lines of every probe, TCP and UDP, and Compiled + Skipped ==
// Matches.
type Stats struct {
	// Probes is the number of TCP probes kept, the NULL probe included.
	Probes int
	// Matches is the number of match and softmatch lines.
	Matches int
	// Compiled is how many of the Matches lines Go's regexp accepts. Each
	// compiles when a response first gets past the cheap literal test in
	// front of it, which keeps memory down: compiling all of nmap's lines
	// at once would take about 100 MiB.
	Compiled int
	// Skipped is how many of the Matches lines use PCRE that Go's regexp
	// cannot express (lookarounds, backreferences, possessive
	// quantifiers...) and never match.
	Skipped int
	// SkippedExamples describes the first few skipped lines, each as
	// "file:line: reason".
	SkippedExamples []string
	// UDP is the number of UDP probes read, which Probes never returns.
	UDP int
}

// maxSkippedExamples bounds Stats.SkippedExamples.
const maxSkippedExamples = 5

// Probe is one probe of the database: what to send on a fresh connection,
// how long to wait, and the match lines its response is tried against.
// A Probe belongs to its DB and must not be modified.
type Probe struct {
	// Name is the probe's name in the database, such as "GetRequest". The
	// probe that sends nothing and waits for the server to speak first is
	// "NULL".
	Name string
	// Payload is what the probe sends once connected, its escapes
	// decoded. It is empty for the NULL probe.
	Payload []byte
	// Rarity, from 1 (common) to 9 (rare), ranks how seldom the probe
	// finds anything: Probes tries it at intensity i when Rarity <= i or
	// when it lists the port. It is 5 for a probe without a rarity line,
	// as in nmap.
	Rarity int
	// TotalWait is how long to wait for the response once the payload is
	// sent (totalwaitms): DefaultTotalWait when the probe does not say.
	TotalWait time.Duration
	// TCPWrapped (tcpwrappedms) is how soon a server must close the
	// connection, having sent nothing, for nmap to call the port
	// tcpwrapped; zero when the probe does not say. nmap's file sets it on
	// the NULL probe only.
	TCPWrapped time.Duration
	// TLSWrapped reports that the probe has an sslports line: on the
	// ports listed there, the database expects the probe to be sent inside
	// TLS once the port is known to speak it.
	TLSWrapped bool

	ports, sslports portSet
	fallback        []string // names from the fallback line
	fallbackLine    int
	chain           []*Probe // itself, its fallbacks, then NULL: the lines Match tries
	matches         []*matchLine
	line            int
}

// HasPort reports whether the probe's ports line lists port, or its
// sslports line when tls is set: nmap's hint that the probe fits the port.
func (p *Probe) HasPort(port uint16, tls bool) bool {
	if tls {
		return p.sslports.has(port)
	}
	return p.ports.has(port)
}

// matchLine is one match or softmatch line.
type matchLine struct {
	service string
	soft    bool
	pattern string // RE2 form of the line's pattern; "" when it has none
	filter  filter
	once    sync.Once
	re      *regexp.Regexp // compiled from pattern on first use
	tmpl    [numFields]string
	cpe     []string // templates after "cpe:/", such as "a:openbsd:openssh:$2"
	line    int
}

// regexp returns the line's compiled pattern, compiling it on first use, or
// nil when the line has none.
func (m *matchLine) regexp() *regexp.Regexp {
	m.once.Do(func() {
		if m.pattern != "" {
			m.re, _ = regexp.Compile(m.pattern)
		}
	})
	return m.re
}

// The version fields a match line can fill, in Match's order.
const (
	fieldProduct = iota
	fieldVersion
	fieldInfo
	fieldHostname
	fieldOSType
	fieldDeviceType
	numFields
)

// Load parses a probe database in nmap-service-probes format from r. name
// (usually the file's path) prefixes error messages. A syntax error is
// returned as a *SyntaxError naming name:line; a pattern Go's regexp
// cannot compile is not an error but is counted in Stats.Skipped.
func Load(r io.Reader, name string) (*DB, Stats, error) {
	p := parser{name: name, db: &DB{name: name}}
	if err := p.parse(r); err != nil {
		return nil, p.stats, err
	}
	return p.db, p.stats, nil
}

// LoadFile loads the probe database at path. When the file does not exist
// the error satisfies errors.Is(err, fs.ErrNotExist), and callers may fall
// back to Builtin.
func LoadFile(path string) (*DB, Stats, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, Stats{}, fmt.Errorf("load service probes: %w", err)
	}
	defer f.Close()
	return Load(f, path)
}

// Name returns the name the database was loaded under: the path given to
// LoadFile, the name given to Load, or "builtin".
func (db *DB) Name() string { return db.name }

// Excluded reports whether the database's Exclude line lists TCP port:
// nmap does not probe those ports (printers on 9100-9107 print whatever
// they are sent).
func (db *DB) Excluded(port uint16) bool { return db.exclude.has(port) }

// Probes returns the TCP probes to try on port, in nmap's order: the NULL
// probe first, then those whose ports line lists the port (sslports when
// tls is set) whatever their rarity, then the rest whose rarity is at most
// intensity. intensity is nmap's --version-intensity, clamped to 0..9;
// DefaultIntensity is nmap's default.
//
// nmap tries each group in file order, which runs roughly from common to
// rare; Probes sorts each group by rarity, keeping file order among equals,
// so that a caller that tries only the first few gets the likeliest. The
// slice is new on each call; the probes are shared and must not be
// modified.
func (db *DB) Probes(port uint16, tls bool, intensity int) []*Probe {
	intensity = min(max(intensity, 0), 9)
	out := make([]*Probe, 0, len(db.probes)+1)
	if db.null != nil {
		out = append(out, db.null)
	}
	start := len(out)
	for _, p := range db.probes {
		if p.HasPort(port, tls) {
			out = append(out, p)
		}
	}
	byRarity := func(a, b *Probe) int { return cmp.Compare(a.Rarity, b.Rarity) }
	slices.SortStableFunc(out[start:], byRarity)
	start = len(out)
	for _, p := range db.probes {
		if !p.HasPort(port, tls) && p.Rarity <= intensity {
			out = append(out, p)
		}
	}
	slices.SortStableFunc(out[start:], byRarity)
	return out
}

// Probe returns the TCP probe named name, or nil.
func (db *DB) Probe(name string) *Probe {
	if db.null != nil && db.null.Name == name {
		return db.null
	}
	for _, p := range db.probes {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// portSet is a list of inclusive port ranges.
type portSet []portRange

type portRange struct{ lo, hi uint16 }

func (s portSet) has(port uint16) bool {
	for _, r := range s {
		if r.lo <= port && port <= r.hi {
			return true
		}
	}
	return false
}
