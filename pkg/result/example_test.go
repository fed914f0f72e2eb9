package result_test

import (
	"fmt"
	"io"
	"strings"

	"github.com/trawlscan/trawl/pkg/result"
)

// A list output that a kill -9 cut in the middle of its third line: the
// Reader returns the two whole results and skips the cut one.
func ExampleReader() {
	cut := "#masscan\n" +
		"open tcp 80 198.18.0.1 1767366245\n" +
		"closed tcp 443 198.18.0.1 1767366245\n" +
		"open tcp 22 198.18.0.3 17673"
	d, err := result.NewReader(result.FormatList, strings.NewReader(cut))
	if err != nil {
		fmt.Println(err)
		return
	}
	for {
		r, err := d.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(r.IP, r.Port, r.Status, r.Time.Unix())
	}
	// Output:
	// 198.18.0.1 80 open 1767366245
	// 198.18.0.1 443 closed 1767366245
}
