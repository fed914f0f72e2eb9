package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/signal"
	"syscall"

	"github.com/trawlscan/trawl/internal/lab"
)

// backlog is the listen(2) backlog of every planted socket.
const backlog = 4096

// reservedFDs is how many descriptors are kept free for stdio and the runtime.
const reservedFDs = 32

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is the whole program; it returns the exit status (0 ok, 1 failure, 2 usage).
func run(ctx context.Context, args []string, stdin *os.File, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("trawl-lab-listen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("f", "", "read ip:port pairs from `FILE` instead of stdin")
	gen := fs.Bool("gen", false, "print ground truth: CIDR PORTS COUNT SEED as arguments")
	csumOff := fs.Bool("csum-off", false, "turn off checksum offload on the interfaces given as arguments")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var err error
	switch {
	case *gen:
		err = generate(fs.Args(), stdout)
	case *csumOff:
		err = checksumOff(fs.Args())
	case fs.NArg() != 0:
		err = usageError{fmt.Errorf("unexpected argument %q; pairs come from -f FILE or stdin", fs.Arg(0))}
	default:
		err = serve(ctx, *file, stdin, stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "trawl-lab-listen: %v\n", err)
		if errors.As(err, new(usageError)) {
			return 2
		}
		return 1
	}
	return 0
}

// usageError marks an error in the command line or the input, for exit status 2.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// generate prints lab.Truth for the arguments CIDR PORTS COUNT SEED.
func generate(args []string, stdout io.Writer) error {
	if len(args) != 4 {
		return usageError{fmt.Errorf("-gen takes CIDR PORTS COUNT SEED, got %d arguments", len(args))}
	}
	prefix, lo, hi, count, seed, err := parseGen(args[0], args[1], args[2], args[3])
	if err != nil {
		return usageError{err}
	}
	w := bufio.NewWriter(stdout)
	for _, ap := range lab.Truth(prefix, lo, hi, count, seed) {
		w.WriteString(ap.String())
		w.WriteByte('\n')
	}
	return w.Flush()
}

// serve plants the listeners and blocks until ctx ends or stdin closes.
func serve(ctx context.Context, file string, stdin *os.File, stdout io.Writer) error {
	var (
		pairs []netip.AddrPort
		rest  *bufio.Reader // what remains of stdin once the list has been read
		err   error
	)
	if file != "" {
		f, ferr := os.Open(file)
		if ferr != nil {
			return usageError{fmt.Errorf("open pairs file: %w", ferr)}
		}
		pairs, _, err = readPairs(bufio.NewReader(f), false)
		f.Close()
		if err != nil {
			err = fmt.Errorf("%s: %w", file, err)
		}
		rest = bufio.NewReader(stdin)
	} else {
		var eof bool
		rest = bufio.NewReader(stdin)
		pairs, eof, err = readPairs(rest, true)
		if eof {
			rest = nil
		}
	}
	if err != nil {
		return usageError{err}
	}
	pairs = normalize(pairs)

	if err := raiseNoFile(len(pairs) + reservedFDs); err != nil {
		return err
	}
	fds := make([]int, 0, len(pairs))
	defer func() {
		for _, fd := range fds {
			closeListener(fd)
		}
	}()
	for _, p := range pairs {
		fd, err := listen(p)
		if err != nil {
			return fmt.Errorf("listen on %s: %w", p, err)
		}
		fds = append(fds, fd)
	}
	if _, err := io.WriteString(stdout, "ready\n"); err != nil {
		return fmt.Errorf("write ready: %w", err)
	}

	closed := make(chan struct{})
	if rest != nil && isStream(stdin) {
		go func() {
			io.Copy(io.Discard, rest)
			close(closed)
		}()
	}
	select {
	case <-ctx.Done():
	case <-closed:
	}
	return nil
}

// isStream reports whether f is a pipe or a socket, whose end of file means
// that whoever started us has gone away.
func isStream(f *os.File) bool {
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	return fi.Mode()&(os.ModeNamedPipe|os.ModeSocket) != 0
}
