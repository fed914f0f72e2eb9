package lab

import (
	"maps"
	"testing"
)

func TestParseCounters(t *testing.T) {
	listing := "table inet trawl_test {\n" +
		"\tchain input {\n" +
		"\t\ttype filter hook input priority filter - 10; policy accept;\n" +
		"\t\tip daddr 198.18.30.0/28 tcp flags syn counter packets 160 bytes 7040\n" +
		"\t\tip daddr 198.18.30.16/28 tcp flags syn counter packets 673 bytes 29612 reject\n" +
		"\t\tip daddr 198.18.30.32/28 tcp flags syn counter packets 0 bytes 0 reject with icmp admin-prohibited\n" +
		"\t\tip daddr 198.18.30.48/28 tcp flags syn counter packets 18446744073709551615 bytes 1 drop\n" +
		"\t\tip6 daddr 2001:db8::/120 tcp flags syn counter packets 7 bytes 560 reject with icmpv6 admin-prohibited\n" +
		"\t}\n}\n"
	want := map[string]uint64{
		"ip daddr 198.18.30.0/28 tcp flags syn":  160,
		"ip daddr 198.18.30.16/28 tcp flags syn": 673,
		"ip daddr 198.18.30.32/28 tcp flags syn": 0,
		"ip daddr 198.18.30.48/28 tcp flags syn": 1<<64 - 1,
		"ip6 daddr 2001:db8::/120 tcp flags syn": 7,
	}
	if got := parseCounters(listing); !maps.Equal(got, want) {
		t.Errorf("parseCounters = %v, want %v", got, want)
	}
}
