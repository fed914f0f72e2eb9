package scan

import (
	"math"

	"github.com/trawlscan/trawl/internal/connect"
	"github.com/trawlscan/trawl/pkg/target"
)

// connectScan adapts the connect() scanner to runner.
type connectScan struct{ *connect.Scanner }

func (c connectScan) progress() Progress {
	s := c.Stats()
	return Progress{Total: s.Total, Position: s.Position, Sent: s.Sent, Replies: s.Open + s.Closed,
		Open: s.Open, Closed: s.Closed, Filtered: s.Filtered, Unreachable: s.Unreachable, Failed: s.Errors}
}

func (connectScan) close() {}

// scaleRate does nothing: a connect() scan's pace is its concurrency's.
func (connectScan) scaleRate(float64) {}

func (connectScan) rateHistory() []RatePoint { return nil }

// openConnect prepares a connect() scan of p. Without a Rate it is paced
// only by its concurrency and the network.
func openConnect(cfg *Config, p Plan) (connectScan, error) {
	s, err := connect.New(connect.Config{
		Space: p.Space, Perm: target.NewPermutation(p.Space.Len(), p.Seed), Start: p.Start, End: p.End,
		Concurrency: cfg.Concurrency, Timeout: cfg.Timeout, Retries: cfg.Retries,
		Rate: connectRate(cfg), Closed: cfg.Closed, Filtered: cfg.Filtered, Source: cfg.Source,
	})
	return connectScan{s}, err
}

// connectRate is the rate of a connect() scan: Config's, with 0 (and
// math.Inf(1)) meaning no pacing.
func connectRate(cfg *Config) float64 {
	if math.IsInf(cfg.Rate, 1) {
		return 0
	}
	return cfg.Rate
}
