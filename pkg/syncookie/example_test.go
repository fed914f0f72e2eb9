package syncookie_test

import (
	"fmt"
	"net/netip"

	"github.com/trawlscan/trawl/pkg/syncookie"
	"github.com/trawlscan/trawl/pkg/target"
)

// The sequence number of a probe from [2001:2::1]:61000 to [2001:2::1:5]:80
// is its cookie, and the target's SYN-ACK acknowledges it + 1.
func ExampleCompute6() {
	k := syncookie.Key{K0: 1, K1: 2} // a scan uses syncookie.NewKey
	scanner := target.FromNetip(netip.MustParseAddr("2001:2::1"))
	host := target.FromNetip(netip.MustParseAddr("2001:2::1:5"))
	seq := syncookie.Compute6(k, scanner, host, 61000, 80)
	fmt.Println(syncookie.Valid6(k, scanner, host, 61000, 80, seq+1))
	fmt.Println(syncookie.Valid6(k, scanner, host, 61000, 81, seq+1))
	// Output:
	// true
	// false
}
