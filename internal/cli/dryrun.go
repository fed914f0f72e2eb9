package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/trawlscan/trawl/pkg/scan"
)

// plan is --dry-run's output, one JSON object.
type plan struct {
	// Probes are this run's probes in one pass: the shard's, from the
	// resume position on. Hosts and Ports span the whole space.
	Probes uint64 `json:"probes"`
	Hosts  uint64 `json:"hosts"`
	Ports  string `json:"ports"`
	// Excluded and Blocklisted count the target addresses that --exclude
	// and the blocklist removed.
	Excluded    uint64 `json:"excluded"`
	Blocklisted uint64 `json:"blocklisted"`
	Shard       string `json:"shard"`
	// Seed is a string, since JSON readers that hold numbers as doubles
	// would round a 64-bit seed.
	Seed      string `json:"seed"`
	Retries   int    `json:"retries"`
	SendPath  string `json:"send_path"`
	Why       string `json:"why"`
	Interface string `json:"interface,omitempty"`
	SourceIP  string `json:"source_ip,omitempty"`
	// Rate is the probes per second the send path holds, and
	// SecondsAtRate the time one pass of Probes takes at it (no burst,
	// retries or wait); both are null when the scan is not paced.
	Rate          *float64 `json:"rate"`
	SecondsAtRate *float64 `json:"seconds_at_rate"`
	// RateAuto says --rate auto finds the rate as the scan goes: Rate is
	// then its most (null for none), and SecondsAtRate the time at that.
	RateAuto bool `json:"rate_auto"`
}

// dryRun prints the plan of the scan that cfg describes as one JSON
// object on stdout, sending nothing, and notes the plan in rec.
func dryRun(cfg scan.Config, o *options, stdout io.Writer, rec *record) error {
	p, err := scan.DryRun(cfg)
	if err != nil {
		return openError(err)
	}
	rec.plan = &p
	out := plan{
		Probes: p.End - p.Start, Hosts: p.Space.Hosts(), Ports: p.Space.Ports().String(),
		Excluded: p.Excluded, Blocklisted: p.Blocklisted,
		Shard: p.Shard.String(), Seed: strconv.FormatUint(p.Seed, 10), Retries: cfg.Retries,
		SendPath: p.Method.String(), Why: why(o, p), Interface: p.Interface,
	}
	if p.Source.IsValid() {
		out.SourceIP = p.Source.String()
	}
	if p.Rate > 0 {
		secs := float64(out.Probes) / p.Rate
		out.Rate, out.SecondsAtRate = &p.Rate, &secs
	}
	out.RateAuto = p.RateAuto
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s\n", b)
	return err
}

// why says why the scan sends the way p.Method does.
func why(o *options, p scan.Plan) string {
	switch {
	case o.connect:
		return "asked for with --connect"
	case o.sendEth:
		return "asked for with --send-eth"
	case o.sendIP:
		return "asked for with --send-ip"
	case o.sendPortable:
		return "asked for with --send-portable"
	case p.Method == scan.Connect:
		return fmt.Sprintf("raw SYN scan not permitted (%v)", p.Fallback)
	case p.Method == scan.RawSocket:
		return fmt.Sprintf("frames declined: %v", p.Fallback)
	}
	return fmt.Sprintf("the kernel routes every target through one gateway on %s, whose MAC it knows", p.Interface)
}
