package result

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
)

// ServicesPath is where Debian's nmap-common package installs nmap's table
// of port names, nmap-services.
const ServicesPath = "/usr/share/nmap/nmap-services"

// loaded is the table LoadServices loaded, nil until then.
var loaded atomic.Pointer[[]service]

// LoadServices reads a table of port names in nmap-services format ("http
// 80/tcp 0.484143 # comment", one entry a line, # comments) from r and
// makes Service name ports from its TCP entries from then on, in every
// goroutine: the names nmap gives open ports without version detection
// (method="table"). Entries of other protocols are skipped; of two for one
// TCP port, the first counts. A line that is neither blank, a comment nor
// an entry is an error naming it, name (the file's path) and its line
// number, and leaves the table as it was.
func LoadServices(r io.Reader, name string) error {
	var table []service
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		text, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(text)
		if len(f) == 0 {
			continue
		}
		port, proto, ok := strings.Cut(f[min(1, len(f)-1)], "/")
		n, err := strconv.ParseUint(port, 10, 16)
		if len(f) < 2 || !ok || err != nil {
			return fmt.Errorf("%s:%d: %q: want a name, then port/protocol", name, line, strings.TrimSpace(text))
		}
		if proto == "tcp" {
			table = append(table, service{port: uint16(n), name: f[0]})
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	slices.SortStableFunc(table, func(a, b service) int { return cmp.Compare(a.port, b.port) })
	table = slices.CompactFunc(table, func(a, b service) bool { return a.port == b.port })
	loaded.Store(&table)
	return nil
}

// LoadServicesFile loads the nmap-services file at path with LoadServices.
func LoadServicesFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return LoadServices(f, path)
}
