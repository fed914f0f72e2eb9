package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/trawlscan/trawl/pkg/result"
)

// outputs fans results out to every requested encoder. Encode is called
// from one goroutine; Flush may be called from another.
type outputs struct {
	encs  []result.Encoder
	files []*os.File
	mu    sync.Mutex
	err   error // the first write error
	found uint64
}

// openOutputs creates the requested files and their encoders, or, if
// resume is set, continues the files a paused scan wrote. Without an
// output on stdout, stdout gets IP:PORT lines. A file that cannot be
// created is a usage error naming it.
func openOutputs(reqs []output, stdout io.Writer, meta result.Meta, resume bool) (*outputs, error) {
	o := &outputs{}
	toStdout := false
	for _, r := range reqs {
		toStdout = toStdout || r.path == "-"
	}
	if !toStdout {
		reqs = append([]output{{format: result.FormatPlain, path: "-"}}, reqs...)
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if resume {
		flags = os.O_RDWR | os.O_CREATE
	}
	for _, r := range reqs {
		if r.path == "-" {
			enc, err := result.NewEncoder(r.format, stdout, meta)
			if err != nil {
				o.close()
				return nil, fmt.Errorf("%s output on stdout: %w", r.format, err)
			}
			o.encs = append(o.encs, enc)
			continue
		}
		f, err := os.OpenFile(r.path, flags, 0o644)
		if err != nil {
			o.close()
			return nil, usagef("cannot write %s output: %w", r.format, err)
		}
		o.files = append(o.files, f)
		var enc result.Encoder
		if resume {
			// A resumed scan continues the documents its first part wrote.
			enc, err = result.NewAppendEncoder(r.format, f, meta)
		} else {
			enc, err = result.NewEncoder(r.format, f, meta)
		}
		if err != nil {
			o.close()
			return nil, fmt.Errorf("%s output %s: %w", r.format, r.path, err)
		}
		o.encs = append(o.encs, enc)
	}
	return o, nil
}

// encode writes r to every output. After a write error it writes nothing
// more; the error is kept for err.
func (o *outputs) encode(r result.Result) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.found++
	if o.err != nil {
		return
	}
	for _, e := range o.encs {
		if err := e.Encode(r); err != nil {
			o.err = fmt.Errorf("write results: %w", err)
			return
		}
	}
}

// flush pushes buffered results out, so that a crash loses at most what
// arrived since the last flush.
func (o *outputs) flush() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, e := range o.encs {
		if err := e.Flush(); err != nil && o.err == nil {
			o.err = fmt.Errorf("write results: %w", err)
		}
	}
	return o.err
}

// close finishes every document and closes the files. It returns the first
// error seen, from writing or closing.
func (o *outputs) close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	var errs []error
	for _, e := range o.encs {
		errs = append(errs, e.Close())
	}
	for _, f := range o.files {
		errs = append(errs, f.Close())
	}
	o.encs, o.files = nil, nil
	if err := errors.Join(errs...); err != nil && o.err == nil {
		o.err = fmt.Errorf("write results: %w", err)
	}
	return o.err
}
