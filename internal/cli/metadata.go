package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/trawlscan/trawl/pkg/scan"
)

// metadata is --metadata-file's document: one JSON object, written when
// trawl ends, however it ends, so that an automated sweep can archive it
// beside the results (ZMap's --metadata-file). Counters are those of the
// summary line; they are 0, and the plan's fields null, for a run that
// ended before its scan began.
type metadata struct {
	Version     string   `json:"version"`
	CommandLine string   `json:"command_line"`
	Args        []string `json:"args"`
	// Start and End are RFC 3339 times with nanoseconds; Duration is in
	// seconds. Start is when trawl began to scan (or to run, if it
	// never scanned).
	Start    string  `json:"start"`
	End      string  `json:"end"`
	Duration float64 `json:"duration"`
	DryRun   bool    `json:"dry_run"`

	// The plan: null when the run ended before it was made. Seed is a
	// string, as --dry-run writes it, safe from JSON readers that hold
	// numbers as doubles.
	Seed         *string `json:"seed"`
	Shard        *string `json:"shard"`
	SendPath     *string `json:"send_path"`
	Interface    *string `json:"interface"`
	SourceIP     *string `json:"source_ip"`
	Hosts        uint64  `json:"hosts"`
	Ports        *string `json:"ports"`
	Probes       uint64  `json:"probes"`
	Retries      int     `json:"retries"`
	Wait         float64 `json:"wait"`
	SuspectCheck bool    `json:"suspect_check"`
	// RateAsked is --rate, null without it; Rate is the rate the send
	// path held (null: unpaced); RateAchieved is probes sent per second
	// of scanning.
	RateAsked    *float64 `json:"rate_asked"`
	Rate         *float64 `json:"rate"`
	RateAchieved float64  `json:"rate_achieved"`
	// RateAuto is whether --rate auto found the rate (then Rate is its
	// most, null for none); RateHistory is the rate once a second of a
	// raw scan: set, achieved, and the answer ratio judged.
	RateAuto    bool        `json:"rate_auto"`
	RateHistory []ratePoint `json:"rate_history"`
	// ServiceProbes is the probe database --banners used (a path, or
	// "builtin"), null without --banners; ServiceMatches and
	// ServiceSkipped count its match lines and those Go could not
	// compile.
	ServiceProbes  *string `json:"service_probes"`
	ServiceMatches int     `json:"service_matches"`
	ServiceSkipped int     `json:"service_skipped"`

	// The summary's counters.
	Sent         uint64 `json:"sent"`
	Replies      uint64 `json:"replies"`
	Open         uint64 `json:"open"`
	Closed       uint64 `json:"closed"`
	Filtered     uint64 `json:"filtered"`
	Unreachable  uint64 `json:"unreachable"`
	Unanswered   uint64 `json:"unanswered"`
	Invalid      uint64 `json:"invalid"`
	Late         uint64 `json:"late"`
	CaptureDrops uint64 `json:"capture_drops"`
	NotSent      uint64 `json:"not_sent"`
	SuspectHosts uint64 `json:"suspect_hosts"`
	SuspectPorts uint64 `json:"suspect_ports"`
	// Services counts the open ports --banners probed, and
	// ServicesNamed those a match line named.
	Services      uint64 `json:"services"`
	ServicesNamed uint64 `json:"services_named"`
	Excluded      uint64 `json:"excluded"`
	Blocklisted   uint64 `json:"blocklisted"`
	// Results counts the results written to the outputs.
	Results uint64 `json:"results"`

	// Finished is whether the scan ran to its end; ExitStatus is trawl's
	// exit status, and Error what it printed for a status other than 0.
	Finished   bool   `json:"finished"`
	ExitStatus int    `json:"exit_status"`
	Error      string `json:"error,omitempty"`
}

// ratePoint is one second of RateHistory.
type ratePoint struct {
	// T is the seconds since the scan began.
	T float64 `json:"t"`
	// Rate is the rate set and Sent the rate achieved, probes/s.
	Rate float64 `json:"rate"`
	Sent float64 `json:"sent"`
	// Ratio is the share of probes answered that --rate auto judged, and
	// State what it did then.
	Ratio float64 `json:"answer_ratio"`
	State string  `json:"state,omitempty"`
}

// record collects what --metadata-file writes as the run goes. Main
// makes it; run fills it in.
type record struct {
	path     string
	args     []string
	start    time.Time
	scanning time.Time // when the scan began to send; zero if it never did
	end      time.Time // when it stopped
	cfg      scan.Config
	rateSet  bool
	rates    []scan.RatePoint
	plan     *scan.Plan
	final    scan.Progress
	found    uint64
	finished bool
	dryRun   bool
	// file is the metadata file, created once privileges are gone; nil
	// until then. failed says that creating it failed, and was reported.
	file   *os.File
	failed bool
}

// newRecord returns the record of a run with args, for --metadata-file
// path ("" for none).
func newRecord(path string, args []string) *record {
	return &record{path: path, args: args, start: time.Now()}
}

// open creates the metadata file, as whoever trawl runs as by now, so
// that a file it cannot write is found before the scan begins. It is a
// usage error naming the file.
func (r *record) open() error {
	if r == nil || r.path == "" {
		return nil
	}
	f, err := os.OpenFile(r.path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		r.failed = true
		return usagef("cannot write --metadata-file: %w", err)
	}
	r.file = f
	return nil
}

// write writes the document for a run that ended with status code and
// error err, and closes the file.
func (r *record) write(code int, err error) error {
	if r == nil || r.path == "" || r.failed {
		return nil
	}
	b, merr := json.MarshalIndent(r.document(code, err), "", "  ")
	if merr != nil {
		return fmt.Errorf("--metadata-file: %w", merr)
	}
	f := r.file
	if f == nil {
		var oerr error
		if f, oerr = os.OpenFile(r.path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644); oerr != nil {
			return fmt.Errorf("cannot write --metadata-file: %w", oerr)
		}
	}
	_, werr := f.Write(append(b, '\n'))
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	r.file = nil
	if werr != nil {
		return fmt.Errorf("write --metadata-file %s: %w", r.path, werr)
	}
	return nil
}

// document is the metadata of the run so far, which ended with status
// code and error err.
func (r *record) document(code int, err error) metadata {
	end := r.end
	if end.IsZero() {
		end = time.Now()
	}
	began := r.scanning
	if began.IsZero() {
		began = r.start
	}
	d := metadata{
		Version: version, CommandLine: strings.Join(append([]string{"trawl"}, r.args...), " "), Args: r.args,
		Start: began.UTC().Format(time.RFC3339Nano), End: end.UTC().Format(time.RFC3339Nano),
		Duration: max(end.Sub(began).Seconds(), 0), DryRun: r.dryRun,
		Retries: r.cfg.Retries, Wait: r.cfg.Wait.Seconds(), Finished: r.finished, ExitStatus: code,
	}
	if d.Args == nil {
		d.Args = []string{}
	}
	if r.rateSet {
		d.RateAsked = &r.cfg.Rate
	}
	d.RateAuto = r.cfg.RateAuto
	d.RateHistory = []ratePoint{}
	for _, p := range r.rates {
		d.RateHistory = append(d.RateHistory, ratePoint{T: p.At.Seconds(), Rate: p.Rate, Sent: p.Sent, Ratio: p.Ratio, State: p.State})
	}
	if err != nil && code != exitOK {
		d.Error = err.Error()
		if errors.Is(err, context.Canceled) {
			d.Error = "interrupted"
		}
	}
	if p := r.plan; p != nil {
		seed, shard, path, ports := strconv.FormatUint(p.Seed, 10), p.Shard.String(), p.Method.String(), p.Space.Ports().String()
		d.Seed, d.Shard, d.SendPath, d.Ports = &seed, &shard, &path, &ports
		if p.Interface != "" {
			d.Interface = &p.Interface
		}
		if p.Source.IsValid() {
			src := p.Source.String()
			d.SourceIP = &src
		}
		d.Hosts, d.Probes, d.Excluded, d.Blocklisted = p.Space.Hosts(), p.End-p.Start, p.Excluded, p.Blocklisted
		d.SuspectCheck = p.SuspectCheck
		if p.ServiceProbes != "" {
			d.ServiceProbes, d.ServiceMatches, d.ServiceSkipped = &p.ServiceProbes, p.ServiceMatches, p.ServiceSkipped
		}
		if p.Rate > 0 {
			d.Rate = &p.Rate
		}
	}
	f := r.final
	if s := d.Duration; s > 0 && !r.scanning.IsZero() {
		d.RateAchieved = float64(f.Sent) / s
	}
	d.Sent, d.Replies, d.Open, d.Closed, d.Filtered, d.Unreachable = f.Sent, f.Replies, f.Open, f.Closed, f.Filtered, f.Unreachable
	d.Unanswered, d.Invalid, d.Late, d.CaptureDrops, d.NotSent = unanswered(f), f.Invalid, f.Late, f.Dropped, f.Failed
	d.SuspectHosts, d.SuspectPorts, d.Results = f.Suspect, f.SuspectPorts, r.found
	d.Services, d.ServicesNamed = f.Services, f.ServicesNamed
	return d
}

// unanswered counts the probes that got neither a reply from the port
// nor an ICMP unreachable.
func unanswered(p scan.Progress) uint64 {
	return p.Total - min(p.Total, p.Replies+p.Unreachable)
}
