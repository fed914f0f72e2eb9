package lab

import (
	"context"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TargetCommand returns an exec.Cmd that runs name with args inside the
// target namespace, where the targets' kernel and firewall are.
func (l *Lab) TargetCommand(ctx context.Context, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", l.name + "-tgt", name}, args...)...)
}

// Firewall adds rules, in nft(8) syntax, in order to an input chain of a
// table "trawl_test" in the target namespace that runs before the lab's
// own (drops and loss), creating both on first use. The table is of the
// inet family, so that rules may match either IPv4 or IPv6. A rule such
// as "ip daddr 198.18.1.0/28 tcp flags syn counter reject with icmp type
// admin-prohibited", or "ip6 daddr 2001:db8::/120 tcp flags syn counter
// reject with icmpv6 type admin-prohibited", makes the namespace answer
// like a firewall; Counters reads what its counter saw. It fails t if nft
// refuses a rule.
func (l *Lab) Firewall(t testing.TB, rules ...string) {
	t.Helper()
	l.nftChain(t, "input { type filter hook input priority -10; policy accept; }", rules)
}

// Prerouting adds rules, in nft(8) syntax, in order to a nat prerouting
// chain of the inet table "trawl_test" in the target namespace, creating
// both on first use. A rule such as "ip daddr 198.18.1.1 tcp dport 1-1024
// redirect to :4444" makes an address a tarpit, as portspoof's iptables
// REDIRECT does: every port reaches the one listener planted on port
// 4444 (plant it on every address of the family, IPv4Unspecified or
// IPv6Unspecified, since a redirect goes to the namespace's own address),
// and conntrack sends its SYN-ACK back from the port probed. It fails t
// if nft refuses a rule.
func (l *Lab) Prerouting(t testing.TB, rules ...string) {
	t.Helper()
	l.nftChain(t, "prerouting { type nat hook prerouting priority dstnat; policy accept; }", rules)
}

// nftChain adds rules, in order, to the chain that chain declares (its
// name, then its nft(8) spec) in the inet table "trawl_test" of the
// target namespace, creating both on first use. It fails t if nft
// refuses them.
func (l *Lab) nftChain(t testing.TB, chain string, rules []string) {
	t.Helper()
	name, _, _ := strings.Cut(chain, " ")
	script := "add table inet trawl_test\nadd chain inet trawl_test " + chain + "\n"
	for _, r := range rules {
		script += "add rule inet trawl_test " + name + " " + r + "\n"
	}
	cmd := l.TargetCommand(context.Background(), "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("lab %s: nft: %v\n%s\n%s", l.name, err, out, script)
	}
}

// counterRule matches a rule of nft's listing with its counter.
var counterRule = regexp.MustCompile(`(?m)^[ \t]*(.*?)[ \t]*counter packets (\d+) bytes \d+`)

// Counters returns the packets each counter of Firewall's rules has seen,
// keyed by the rule's text before "counter" as nft lists it, such as
// "ip daddr 198.18.1.0/28 tcp flags syn". It fails t if nft fails.
func (l *Lab) Counters(t testing.TB) map[string]uint64 {
	t.Helper()
	out, err := l.TargetCommand(context.Background(), "nft", "list", "table", "inet", "trawl_test").CombinedOutput()
	if err != nil {
		t.Fatalf("lab %s: nft list: %v\n%s", l.name, err, out)
	}
	return parseCounters(string(out))
}

// parseCounters reads the counters in nft's listing of a table.
func parseCounters(listing string) map[string]uint64 {
	counts := map[string]uint64{}
	for _, m := range counterRule.FindAllStringSubmatch(listing, -1) {
		// The pattern's digits fit: nft prints 64-bit counters.
		n, _ := strconv.ParseUint(m[2], 10, 64)
		counts[m[1]] = n
	}
	return counts
}

// NoICMPRateLimit lifts the target namespace's limits on the ICMP and
// ICMPv6 errors it sends (net.ipv4.icmp_ratelimit and
// net.ipv6.icmp.ratelimit, per destination, and icmp_msgs_per_sec and
// icmp_msgs_burst, for the namespace and both families), so that every
// probe a Firewall rule rejects gets its unreachable. With Linux's
// defaults the scanner would get about one a second after a burst of 50,
// as from a real router, and could not compare the answers port by port.
func (l *Lab) NoICMPRateLimit(t testing.TB) {
	t.Helper()
	for key, value := range map[string]string{
		"net/ipv4/icmp_ratelimit":    "0",
		"net/ipv4/icmp_msgs_per_sec": "1000000",
		"net/ipv4/icmp_msgs_burst":   "1000000",
		"net/ipv6/icmp/ratelimit":    "0",
	} {
		// Written from inside the namespace, /proc/sys shows its own.
		cmd := l.TargetCommand(context.Background(), "bash", "-c", `printf "%s\n" "$1" > "/proc/sys/$2"`, "_", value, key)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("lab %s: set %s=%s: %v\n%s", l.name, sysctlName(key), value, err, out)
		}
	}
	for _, key := range []string{"net/ipv4/icmp_ratelimit", "net/ipv6/icmp/ratelimit"} {
		out, err := l.TargetCommand(context.Background(), "cat", "/proc/sys/"+key).Output()
		if err != nil || strings.TrimSpace(string(out)) != "0" {
			t.Fatalf("lab %s: %s is %q after setting it to 0: %v", l.name, sysctlName(key), strings.TrimSpace(string(out)), err)
		}
	}
}

// sysctlName turns a path under /proc/sys into the name sysctl(8) uses.
func sysctlName(path string) string { return strings.ReplaceAll(path, "/", ".") }
