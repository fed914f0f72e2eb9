package cli

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/trawlscan/trawl/pkg/result"
)

// outputFlags maps nmap's and masscan's single-dash output options to the
// long flags that pflag understands.
var outputFlags = map[string]string{
	"-oL": "--output-list",
	"-oJ": "--output-json",
	"-oD": "--output-ndjson",
	"-oX": "--output-xml",
	"-oG": "--output-grepable",
	"-iL": "--input-list",
}

// aliasFlags are nmap's spellings of trawl's flags.
var aliasFlags = map[string]string{"-sV": "--banners"}

// ignoredFlags are nmap and masscan options that name what trawl always
// does: a SYN scan, with no host discovery and no DNS.
var ignoredFlags = map[string]bool{"-sS": true, "-Pn": true, "-n": true}

// normalize rewrites argv so that pflag can parse it: "-oX file",
// "-oXfile" and "-oX=file" become "--output-xml=file", and no-op nmap
// options are dropped. Arguments after "--" are left alone.
func normalize(args []string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...)
		}
		if ignoredFlags[a] {
			continue
		}
		if long, ok := aliasFlags[a]; ok {
			out = append(out, long)
			continue
		}
		if len(a) >= 3 {
			if long, ok := outputFlags[a[:3]]; ok {
				rest := strings.TrimPrefix(a[3:], "=")
				switch {
				case rest != "":
					out = append(out, long+"="+rest)
				case i+1 < len(args):
					out = append(out, long+"="+args[i+1])
					i++
				default:
					out = append(out, long)
				}
				continue
			}
		}
		out = append(out, a)
	}
	return out
}

// waitValue is a duration flag that also takes a bare number of seconds,
// as masscan's --wait does.
type waitValue struct{ d *time.Duration }

func (v waitValue) String() string { return v.d.String() }
func (v waitValue) Type() string   { return "duration" }
func (v waitValue) Set(s string) error {
	if secs, err := strconv.ParseFloat(s, 64); err == nil {
		if secs < 0 {
			return fmt.Errorf("%q is negative", s)
		}
		*v.d = time.Duration(secs * float64(time.Second))
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration such as 2s or 500ms", s)
	}
	if d < 0 {
		return fmt.Errorf("%q is negative", s)
	}
	*v.d = d
	return nil
}

// rateValue is a probes-per-second flag that accepts masscan's forms:
// 100000, 100k, 1.5M. The rate must be finite and more than 0: without
// the flag, trawl picks the default.
type rateValue struct {
	r    *float64
	set  *bool
	auto *bool // nil for a flag that takes no "auto"
}

func (v rateValue) String() string {
	switch {
	case v.auto != nil && *v.auto && *v.r > 0:
		return "auto:" + strconv.FormatFloat(*v.r, 'f', -1, 64)
	case v.auto != nil && *v.auto:
		return "auto"
	case !*v.set:
		return ""
	}
	return strconv.FormatFloat(*v.r, 'f', -1, 64)
}
func (v rateValue) Type() string { return "pps" }
func (v rateValue) Set(s string) error {
	if v.auto != nil {
		if rest, ok := strings.CutPrefix(s, "auto"); ok && (rest == "" || rest[0] == ':') {
			*v.auto, *v.set, *v.r = true, false, 0
			if rest == "" {
				return nil
			}
			r, err := parseRate(rest[1:])
			if err != nil {
				return fmt.Errorf("%q: the most for auto: %w", s, err)
			}
			*v.r = r
			return nil
		}
		*v.auto = false
	}
	r, err := parseRate(s)
	if err != nil {
		return err
	}
	*v.r, *v.set = r, true
	return nil
}

// parseRate parses a rate in probes per second such as 10000, 100k or
// 1.5M, more than 0 and finite.
func parseRate(s string) (float64, error) {
	mult := 1.0
	num := s
	switch {
	case strings.HasSuffix(s, "k"), strings.HasSuffix(s, "K"):
		mult, num = 1e3, s[:len(s)-1]
	case strings.HasSuffix(s, "m"), strings.HasSuffix(s, "M"):
		mult, num = 1e6, s[:len(s)-1]
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f*mult, 0) {
		return 0, fmt.Errorf("%q is not a rate such as 10000 or 100k", s)
	}
	if f <= 0 {
		return 0, fmt.Errorf("%q must be more than 0", s)
	}
	return f * mult, nil
}

// showValue collects --show closed, filtered or both (and "open", which
// is always shown).
type showValue struct{ closed, filtered *bool }

func (v showValue) String() string {
	s := "open"
	if *v.closed {
		s += ",closed"
	}
	if *v.filtered {
		s += ",filtered"
	}
	return s
}
func (v showValue) Type() string { return "what" }
func (v showValue) Set(s string) error {
	for _, w := range strings.Split(s, ",") {
		switch strings.TrimSpace(w) {
		case "closed":
			*v.closed = true
		case "filtered":
			*v.filtered = true
		case "open":
		default:
			return fmt.Errorf("%q is not open, closed or filtered", w)
		}
	}
	return nil
}

// addrValue is an IPv4 or IPv6 address flag.
type addrValue struct{ a *netip.Addr }

func (v addrValue) String() string {
	if !v.a.IsValid() {
		return ""
	}
	return v.a.String()
}
func (v addrValue) Type() string { return "IP" }
func (v addrValue) Set(s string) error {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return fmt.Errorf("%q is not an IPv4 or IPv6 address", s)
	}
	*v.a = a.Unmap()
	return nil
}

// output is one requested output: a format and a path ("-" = stdout).
type output struct {
	format result.Format
	path   string
}

// outputValue appends an output of one format each time the flag is given.
type outputValue struct {
	format result.Format
	list   *[]output
}

func (v outputValue) String() string { return "" }
func (v outputValue) Type() string   { return "file" }
func (v outputValue) Set(s string) error {
	if s == "" {
		return fmt.Errorf("needs a file name (or - for stdout)")
	}
	*v.list = append(*v.list, output{format: v.format, path: s})
	return nil
}
