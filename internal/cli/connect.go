package cli

import "github.com/trawlscan/trawl/internal/connect"

// connectScanner adapts the connect() scanner to scanner.
type connectScanner struct{ *connect.Scanner }

func (c connectScanner) progress() progress {
	s := c.Stats()
	return progress{total: s.Total, position: s.Position, sent: s.Sent, replies: s.Open + s.Closed,
		open: s.Open, closed: s.Closed, filtered: s.Filtered, failed: s.Errors}
}

func (connectScanner) close() {}

// openConnect prepares a connect() scan of p.
func openConnect(o *options, p *plan) (scanner, error) {
	cfg := connect.Config{
		Space: p.space, Perm: p.perm, Start: p.start, End: p.end,
		Concurrency: o.concurrency, Timeout: o.timeout, Retries: o.retries,
		Rate: o.rate, Closed: o.showClosed, Source: o.sourceIP,
	}
	if !o.rateSet {
		cfg.Rate = 0
	}
	s, err := connect.New(cfg)
	if err != nil {
		return nil, err
	}
	return connectScanner{s}, nil
}
