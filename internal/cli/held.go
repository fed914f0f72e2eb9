package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"

	"github.com/trawlscan/trawl/pkg/result"
	"github.com/trawlscan/trawl/pkg/scan"
	"github.com/trawlscan/trawl/pkg/target"
)

// heldBack holds the results that a resumed scan's output files already
// have for the probes that the resumed run sends again, by address and
// port, so that the run does not write them twice.
//
// A probe has one result, so the key leaves out the status: a port that
// answers otherwise the second time (closed, then open) already has its
// result in the files. An entry stays once matched: the scan reports a
// probe once per run anyway, and the set keeps meaning what the files
// hold. The set is only read during the scan, so it needs no lock.
type heldBack map[netip.AddrPort]struct{}

// readHeld reads back every output file of a resumed scan (stdout, which
// the first part wrote elsewhere, cannot be) and returns the results in
// them that the resumed run, planned by p, can report again.
//
// Which results can come again:
//
//  1. The resumed run sends the permutation positions [p.Start, p.End),
//     and retries only those, so it reports results only for probes at
//     positions in [p.Start, p.End).
//  2. p.Start is the position that the first part saved a tick before it
//     stopped (run.go's prev): the first part went on to send the
//     positions [p.Start, K) for up to about two more seconds, and the
//     files hold the results of those probes that were flushed before it
//     died.
//  3. So the results in the files that the resumed run can report again
//     are exactly those at positions in [p.Start, p.End); none before
//     p.Start can come again. Keeping only those bounds the set by about
//     rate × 2 s × the fraction of probes answered, however large the
//     files are.
//
// Every file is read, and the sets are joined: all outputs got the same
// results, but a kill can cut each at another byte of its buffer. A record
// that a kill cut short is not read (result.Reader skips it, and
// NewAppendEncoder then cuts it off), so its result is written again, once.
// A file that does not exist holds nothing. A record that does not decode
// is reported on warn, and the scan goes on: at worst a result it held is
// written again.
func readHeld(reqs []output, p scan.Plan, warn io.Writer) (heldBack, error) {
	perm := target.NewPermutation(p.Space.Len(), p.Seed)
	held := heldBack{}
	for _, o := range reqs {
		if o.path == "-" {
			continue
		}
		err := readBack(o, func(r result.Result) {
			i, ok := p.Space.Lookup(target.FromNetip(r.IP), r.Port)
			if !ok {
				return
			}
			if pos := perm.Pos(i); pos >= p.Start && pos < p.End {
				held[netip.AddrPortFrom(r.IP, r.Port)] = struct{}{}
			}
		}, warn)
		if err != nil {
			return nil, err
		}
	}
	return held, nil
}

// readBack passes every result in the output file o to keep. It warns
// about records that do not decode, once per file, and returns an error
// only if the file cannot be read.
func readBack(o output, keep func(result.Result), warn io.Writer) error {
	f, err := os.Open(o.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("--resume: read back %s output: %w", o.format, err)
	}
	defer f.Close()
	d, err := result.NewReader(o.format, f)
	if err != nil {
		return err
	}
	warned := false
	for {
		r, err := d.Next()
		var se *result.SyntaxError
		switch {
		case err == nil:
			keep(r)
		case errors.Is(err, io.EOF):
			return nil
		case errors.As(err, &se):
			if o.format == result.FormatXML {
				// The Reader stops at an XML error.
				fmt.Fprintf(warn, "trawl: warning: --resume: %s output %s, %v: the results from there on may be written again\n", o.format, o.path, err)
				return nil
			}
			if !warned {
				fmt.Fprintf(warn, "trawl: warning: --resume: %s output %s, %v: a result there may be written again\n", o.format, o.path, err)
				warned = true
			}
		default:
			return fmt.Errorf("--resume: read back %s output %s: %w", o.format, o.path, err)
		}
	}
}

// filter returns out, made to skip the results in h.
func (h heldBack) filter(out func(result.Result)) func(result.Result) {
	if len(h) == 0 {
		return out
	}
	return func(r result.Result) {
		if _, ok := h[netip.AddrPortFrom(r.IP, r.Port)]; !ok {
			out(r)
		}
	}
}
