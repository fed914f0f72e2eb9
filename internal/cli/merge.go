package cli

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"time"

	"github.com/spf13/pflag"

	"github.com/trawlscan/trawl/pkg/result"
)

// runMerge implements "trawl merge [-o* FILE] FILE...": it reads NDJSON
// outputs (such as one per shard, or "-" for stdin), drops repeated
// (address, port) results keeping the first, and writes the rest in any
// format, as IP:PORT lines on stdout by default.
func runMerge(args []string, stdout, stderr io.Writer) int {
	var outs []output
	fs := pflag.NewFlagSet("trawl merge", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	for name, f := range formatFor {
		fs.Var(outputValue{format: f, list: &outs}, name, "")
	}
	if err := fs.Parse(normalize(args)); err != nil {
		fmt.Fprintf(stderr, "trawl merge: %v\n", err)
		return exitUsage
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "trawl merge: name the NDJSON files to merge (- for stdin)")
		return exitUsage
	}
	o, err := openOutputs(outs, stdout, result.Meta{Version: version, Args: "trawl merge", Start: time.Now()}, false)
	if err != nil {
		fmt.Fprintf(stderr, "trawl merge: %v\n", err)
		return exitUsage
	}
	seen := map[netip.AddrPort]bool{}
	err = mergeFiles(fs.Args(), func(r result.Result) {
		ap := netip.AddrPortFrom(r.IP, r.Port)
		if !seen[ap] {
			seen[ap] = true
			o.encode(r)
		}
	})
	if cerr := o.close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintf(stderr, "trawl merge: %v\n", err)
		var se *result.SyntaxError
		if errors.As(err, &se) || errors.Is(err, os.ErrNotExist) {
			return exitUsage
		}
		return exitFailure
	}
	return exitOK
}

// mergeFiles passes every result in the named NDJSON files to emit, in
// order.
func mergeFiles(names []string, emit func(result.Result)) error {
	for _, name := range names {
		if err := mergeFile(name, emit); err != nil {
			return err
		}
	}
	return nil
}

// mergeFile passes every result in one NDJSON file ("-" for stdin) to emit.
func mergeFile(name string, emit func(result.Result)) error {
	var r io.Reader = os.Stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	rd := result.NewNDJSONReader(r)
	for {
		res, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		emit(res)
	}
}
