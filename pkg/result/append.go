package result

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"time"
)

// tailSize is how much of an existing file NewAppendEncoder reads to find
// the trailer it cuts off.
const tailSize = 64 << 10

// NewAppendEncoder returns an Encoder that continues the output in f, a
// file that an earlier Encoder of format ft wrote, as a resumed scan does.
// JSON and XML files lose their trailer, or, if the writer was killed
// before it wrote one, whatever follows the last whole record, and go on in
// place, so that the file is again one valid document after Close; the
// other formats append without a second header. An empty file gets a new
// document.
func NewAppendEncoder(ft Format, f *os.File, m Meta) (Encoder, error) {
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, err
	}
	if size == 0 {
		return NewEncoder(ft, f, m)
	}
	cut, results := size, 0
	if ft == FormatJSON || ft == FormatXML {
		off := max(0, size-tailSize)
		tail := make([]byte, size-off)
		if _, err := f.ReadAt(tail, off); err != nil {
			return nil, err
		}
		c, ok := trailerCut(ft, tail)
		if !ok {
			return nil, fmt.Errorf("continue %s output %s: not a %s file trawl wrote", ft, f.Name(), ft)
		}
		cut = off + int64(c)
		first := []byte("{")
		if ft == FormatXML {
			first = []byte("<host")
		}
		if bytes.Contains(tail[:c], first) || off > 0 {
			results = 1
		}
		if err := f.Truncate(cut); err != nil {
			return nil, err
		}
		if _, err := f.Seek(cut, io.SeekStart); err != nil {
			return nil, err
		}
	}
	if m.Start.IsZero() {
		m.Start = time.Now()
	}
	return newContinuation(ft, f, m, results), nil
}

// trailerCut returns where to cut a JSON or XML document's tail so that
// records can follow: before the trailer if there is one, else after the
// last whole record, else after the header.
func trailerCut(ft Format, tail []byte) (int, bool) {
	if ft == FormatJSON {
		if i := bytes.LastIndexByte(tail, ']'); i >= 0 {
			return len(bytes.TrimRight(tail[:i], " \r\n\t")), true
		}
		if i := bytes.LastIndexByte(tail, '}'); i >= 0 {
			return i + 1, true
		}
		if i := bytes.IndexByte(tail, '['); i >= 0 {
			return i + 1, true
		}
		return 0, false
	}
	if i := bytes.LastIndex(tail, []byte("<runstats>")); i >= 0 {
		return i, true
	}
	for _, end := range []string{"</host>\n", "<debugging level=\"0\"/>\n"} {
		if i := bytes.LastIndex(tail, []byte(end)); i >= 0 {
			return i + len(end), true
		}
	}
	return 0, false
}
