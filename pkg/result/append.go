package result

import (
	"bytes"
	"encoding/json"
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
// other formats lose a last line that a killed writer left without its
// newline, and append without a second header. The file then holds
// exactly the results that a Reader reads from it. An empty file, or one
// cut within its first line, gets a new document.
func NewAppendEncoder(ft Format, f *os.File, m Meta) (Encoder, error) {
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, err
	}
	if size > 0 && ft != FormatJSON && ft != FormatXML {
		cut, err := lineCut(ft, f, size)
		if err != nil {
			return nil, err
		}
		if cut < size {
			if err := f.Truncate(cut); err != nil {
				return nil, err
			}
			if _, err := f.Seek(cut, io.SeekStart); err != nil {
				return nil, err
			}
			size = cut
		}
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
		if ft == FormatJSON && c > 0 && tail[c-1] == '}' ||
			ft == FormatXML && (bytes.Contains(tail[:c], []byte("<host")) || off > 0) {
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
		return jsonCut(tail)
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

// jsonCut is trailerCut for JSON. It goes by lines, since a record's
// strings may hold any of the document's brackets: the encoder writes "[",
// then each record on a line of its own, the lines joined by ",\n", then
// "\n]\n" (or "]\n" right after the "[\n" of an empty document); a
// continued document's first record may share the line of its "[". So the
// tail ends with the line "]", a whole record, a record cut short (after
// a line that is a record and its comma, or "["), or "[".
func jsonCut(tail []byte) (int, bool) {
	t := bytes.TrimRight(tail, " \r\n\t")
	nl := bytes.LastIndexByte(t, '\n')
	last := t[nl+1:]
	if string(last) == "]" {
		if nl < 0 {
			return 0, false
		}
		return len(bytes.TrimRight(t[:nl], " \r\n\t")), true
	}
	start := nl + 1
	if bytes.HasPrefix(last, []byte("[")) {
		last, start = last[1:], start+1
	}
	rec := bytes.TrimSuffix(last, []byte(","))
	if len(rec) == 0 && start > nl+1 {
		return start, true // "[" and nothing after it
	}
	if len(rec) > 0 && rec[0] == '{' && json.Valid(rec) {
		return start + len(rec), true
	}
	// The last record is cut short: keep what is before it.
	if start > nl+1 {
		return start, true
	}
	if nl < 0 {
		return 0, false
	}
	// The line before is a whole record and the comma after it, or the
	// header.
	prev := bytes.TrimRight(t[:nl], " \r\t")
	switch {
	case bytes.HasSuffix(prev, []byte("},")):
		return len(prev) - 1, true
	case bytes.HasSuffix(prev, []byte("[")):
		return len(prev), true
	}
	return 0, false
}

// lineCut returns where to cut f, size bytes of a line format, so that
// records can follow: after its last newline, and, in the grepable format,
// before a last "Status: Up" line whose "Ports:" line was cut off.
func lineCut(ft Format, f *os.File, size int64) (int64, error) {
	cut, err := lastNewline(f, size)
	if err != nil || ft != FormatGrepable || cut == 0 {
		return cut, err
	}
	start, err := lastNewline(f, cut-1)
	if err != nil {
		return 0, err
	}
	// A "Status: Up" line is "Host: ", the address, " ()" and status:
	// 6 + 39 + 3 + 12 = 60 bytes at most, for the longest IPv6 address,
	// eight groups of four hex digits and seven colons.
	const status = "\tStatus: Up\n"
	const maxStatusLine = len("Host: ") + len("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff") + len(" ()") + len(status)
	if n := cut - start; n > int64(len(status)) && n <= int64(maxStatusLine) {
		line := make([]byte, n)
		if _, err := f.ReadAt(line, start); err != nil {
			return 0, err
		}
		if bytes.HasPrefix(line, []byte("Host: ")) && bytes.HasSuffix(line, []byte(status)) {
			return start, nil
		}
	}
	return cut, nil
}

// lastNewline returns the offset just after the last newline in the first
// end bytes of f, or 0 if there is none, reading back from end a block at
// a time.
func lastNewline(f *os.File, end int64) (int64, error) {
	buf := make([]byte, min(end, tailSize))
	for end > 0 {
		off := max(0, end-tailSize)
		b := buf[:end-off]
		if _, err := f.ReadAt(b, off); err != nil {
			return 0, err
		}
		if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
			return off + int64(i) + 1, nil
		}
		end = off
	}
	return 0, nil
}
