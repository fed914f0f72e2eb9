package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/trawlscan/trawl/pkg/result"
)

// version is stamped at build time with -ldflags "-X ...cli.version=v1.2.3".
var version = "dev"

// Exit statuses, as documented in the README.
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitInterrupted = 130
)

// usageError is bad input: exit status 2, nothing sent.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// Main runs trawl with args (without the program name), writing results to
// stdout and diagnostics to stderr, and returns the exit status. Cancelling
// ctx (SIGINT, SIGTERM) stops the scan cleanly: outputs are flushed and
// the scan can be resumed.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "merge" {
		loadServiceNames(stderr)
		return runMerge(args[1:], stdout, stderr)
	}
	opts, fs, err := parseArgs(args, stderr)
	if err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			printUsage(stdout, fs)
			return exitOK
		}
		fmt.Fprintf(stderr, "trawl: %v\n", err)
		return exitUsage
	}
	if opts.version {
		fmt.Fprintf(stdout, "trawl %s\n", version)
		return exitOK
	}
	opts.stateArgs = args
	rec := newRecord(opts.metadataFile, args)
	if opts.resume != "" {
		if opts, err = resumeOptions(opts.resume, args, stderr); err == nil {
			rec.path, rec.args = opts.metadataFile, opts.stateArgs
		}
	}
	if err == nil {
		err = run(ctx, opts, opts.stateArgs, stdout, stderr, rec)
	}
	code := exitCode(err, stderr)
	// --metadata-file is written on every exit path once the flags
	// parse: a failure to write it fails a run that had not failed.
	if werr := rec.write(code, err); werr != nil {
		fmt.Fprintf(stderr, "trawl: %v\n", werr)
		if code == exitOK {
			code = exitFailure
		}
	}
	return code
}

// exitCode returns the exit status for run's error, printing the error
// on stderr but for an interruption, which run has reported.
func exitCode(err error, stderr io.Writer) int {
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "trawl: %v\n", err)
		return exitUsage
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	default:
		fmt.Fprintf(stderr, "trawl: %v\n", err)
		return exitFailure
	}
}

// resumeOptions rebuilds the options of the scan saved in path: its saved
// arguments, then the ones given now (other than --resume), so that a later
// --rate, say, overrides the saved one. The scan continues where the state
// says, with the saved seed, and saves its own state back to path.
func resumeOptions(path string, args []string, stderr io.Writer) (*options, error) {
	st, err := loadState(path)
	if err != nil {
		return nil, err
	}
	var extra []string
	for i := 0; i < len(args); i++ {
		switch {
		case args[i] == "--resume":
			i++
		case strings.HasPrefix(args[i], "--resume="):
		default:
			extra = append(extra, args[i])
		}
	}
	full := append(append([]string{}, st.args...), extra...)
	o, _, err := parseArgs(full, stderr)
	if err != nil {
		return nil, usagef("--resume %s: %v", path, err)
	}
	o.seed = strconv.FormatUint(st.seed, 10)
	o.resume, o.resumeFile, o.resumeFrom, o.stateArgs = path, path, st.position, full
	return o, nil
}

// printUsage writes --help, with flags grouped as masscan users expect.
func printUsage(w io.Writer, fs *pflag.FlagSet) {
	fmt.Fprintf(w, "Usage: trawl [flags] TARGET...\n\nTARGET is an IPv4 or IPv6 address, a CIDR (198.18.0.0/16, 2001:db8::/120) or a range (198.18.0.1-198.18.0.9).\n")
	for _, g := range flagGroups {
		fmt.Fprintf(w, "\n%s:\n", g.title)
		sub := pflag.NewFlagSet(g.title, pflag.ContinueOnError)
		for _, name := range g.flags {
			if f := fs.Lookup(name); f != nil {
				sub.AddFlag(f)
			}
		}
		sub.SortFlags = false
		fmt.Fprint(w, sub.FlagUsages())
	}
	fmt.Fprintf(w, "\nOutput options also take nmap's and masscan's forms: -oL, -oJ, -oD, -oX, -oG FILE, and -iL FILE.\n"+
		"Other commands: trawl merge [-o* FILE] SHARD.ndjson... (combine NDJSON shard outputs).\n"+
		"Exit status: 0 done, 1 runtime failure, 2 bad input, 130 interrupted (resume with --resume).\n")
}

// formatFor maps a flag name to its output format.
var formatFor = map[string]result.Format{
	"output-list":     result.FormatList,
	"output-json":     result.FormatJSON,
	"output-ndjson":   result.FormatNDJSON,
	"output-xml":      result.FormatXML,
	"output-grepable": result.FormatGrepable,
}

// elapsed formats d as h:mm:ss for the status line.
func elapsed(d time.Duration) string {
	s := int(d.Round(time.Second).Seconds())
	return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
}

// namesPorts reports whether a scan under o names ports: in nmap's XML or
// grepable output, or with --banners for ports no probe named.
func namesPorts(o *options) bool {
	for _, out := range o.outputs {
		if out.format == result.FormatXML || out.format == result.FormatGrepable {
			return true
		}
	}
	return o.banners
}

// loadServiceNames makes the outputs name open ports from nmap's own table
// (nmap-services), as nmap does without -sV, when nmap-common installed
// it; otherwise a built-in table of well-known ports names them. Reading
// the table takes about 6 ms, so only what names ports reads it.
func loadServiceNames(stderr io.Writer) {
	err := result.LoadServicesFile(result.ServicesPath)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(stderr, "trawl: warning: %v; naming ports from a built-in table of well-known ones\n", err)
	}
}
