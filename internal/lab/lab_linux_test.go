package lab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"
)

// handshake tries a TCP handshake with addr from inside l's scan
// namespace, with the kernel's own TCP, and says how it ended: "open"
// (connected), "refused" (a RST) or "timeout" (no answer within timeout).
// If it connected, local is the address the kernel chose to send from.
func handshake(t *testing.T, l *Lab, addr netip.AddrPort, timeout time.Duration) (outcome string, local netip.Addr) {
	t.Helper()
	l.InScan(t, func() error {
		conn, err := net.DialTimeout("tcp", addr.String(), timeout)
		var netErr net.Error
		switch {
		case err == nil:
			outcome = "open"
			local = conn.LocalAddr().(*net.TCPAddr).AddrPort().Addr().Unmap()
			return conn.Close()
		case errors.Is(err, syscall.ECONNREFUSED):
			outcome = "refused"
		case errors.As(err, &netErr) && netErr.Timeout():
			outcome = "timeout"
		default:
			return fmt.Errorf("dial %v: %w", addr, err)
		}
		return nil
	})
	return outcome, local
}

// TestLabDualStack builds a lab with planted ports and filtered blocks in
// both families and checks, with the kernel's TCP in the scan namespace,
// that each IPv6 address answers as planted (accepts, refuses, or stays
// silent), that IPv4 still does beside it, that the routes and permanent
// neighbours are as documented, that Firewall and Prerouting rules match
// IPv6, and that everything is gone after cleanup.
func TestLabDualStack(t *testing.T) {
	var name string
	t.Run("up", func(t *testing.T) {
		l := Start(t, Config{
			Open: []netip.AddrPort{
				netip.MustParseAddrPort("[2001:db8::5]:80"),
				netip.MustParseAddrPort("[2001:db8::]:80"),
				netip.MustParseAddrPort("[2001:db8::ffff:ffff:ffff:ffff]:443"),
				netip.MustParseAddrPort("[2001:db8::100]:22"), // behind the drop
				netip.AddrPortFrom(netip.IPv6Unspecified(), 8080),
				netip.AddrPortFrom(netip.IPv4Unspecified(), 8080),
				netip.MustParseAddrPort("198.18.1.2:80"),
			},
			Drop: []netip.Prefix{netip.MustParsePrefix("2001:db8::100/120"), netip.MustParsePrefix("198.18.2.0/24")},
		})
		name = l.Name()
		const timeout = 500 * time.Millisecond
		for _, tc := range []struct {
			addr, want string
		}{
			{"[2001:db8::5]:80", "open"},
			{"[2001:db8::]:80", "open"},
			{"[2001:db8::ffff:ffff:ffff:ffff]:443", "open"},
			{"[2001:db8::1234:5678:9abc]:8080", "open"},
			{"[2001:db8::5]:81", "refused"},
			{"[2001:db8::6]:80", "refused"},
			{"[2001:db8::ffff:ffff:ffff:fffe]:443", "refused"},
			{"[2001:db8::100]:22", "timeout"},
			{"[2001:db8::1ff]:8080", "timeout"},
			{"198.18.1.2:80", "open"},
			{"198.18.77.9:8080", "open"},
			{"198.18.1.2:81", "refused"},
			{"198.18.2.5:80", "timeout"},
		} {
			addr := netip.MustParseAddrPort(tc.addr)
			start := time.Now()
			got, local := handshake(t, l, addr, timeout)
			if got != tc.want {
				t.Errorf("dial %s: %s, want %s", addr, got, tc.want)
			}
			if elapsed := time.Since(start); got != "timeout" && elapsed > timeout/2 {
				t.Errorf("dial %s: answered after %v, want at once", addr, elapsed)
			}
			want := ScanAddr
			if addr.Addr().Is6() {
				want = ScanAddr6
			}
			if got == "open" && local != want {
				t.Errorf("dial %s: sent from %v, want %v", addr, local, want)
			}
		}

		for _, c := range []struct {
			args []string
			want string
		}{
			{[]string{"-6", "route", "get", "2001:db8::5"}, "via " + TargetAddr6.String() + " dev " + l.ScanInterface()},
			{[]string{"-6", "route", "get", "2001:db8::5"}, "src " + ScanAddr6.String()},
			{[]string{"-6", "neigh", "show", TargetAddr6.String()}, "lladdr 02:74:72:00:00:02 PERMANENT"},
		} {
			out, err := l.Command(context.Background(), "ip", c.args...).CombinedOutput()
			if err != nil || !strings.Contains(string(out), c.want) {
				t.Errorf("ip %s in the scan namespace: %q (%v), want %q in it", strings.Join(c.args, " "), out, err, c.want)
			}
		}
		out, err := l.TargetCommand(context.Background(), "ip", "-6", "neigh", "show", ScanAddr6.String()).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "lladdr 02:74:72:00:00:01 PERMANENT") {
			t.Errorf("target's neighbour %v: %q (%v), want a permanent entry", ScanAddr6, out, err)
		}

		// The test table is of the inet family: its rules match either
		// family, in the filter chain and the nat one.
		rule := "ip6 daddr 2001:db8::5 tcp dport 80"
		l.Firewall(t, rule+" counter drop")
		l.Prerouting(t,
			"ip6 daddr 2001:db8::6 tcp dport 1-1024 redirect to :8080",
			"ip daddr 198.18.31.6 tcp dport 1-1024 redirect to :8080")
		l.NoICMPRateLimit(t)
		for _, tc := range []struct {
			addr, want string
		}{
			{"[2001:db8::5]:80", "timeout"},
			{"[2001:db8::6]:80", "open"},
			{"198.18.31.6:80", "open"},
		} {
			if got, _ := handshake(t, l, netip.MustParseAddrPort(tc.addr), timeout); got != tc.want {
				t.Errorf("dial %s behind Firewall and Prerouting rules: %s, want %s", tc.addr, got, tc.want)
			}
		}
		if n := l.Counters(t)[rule]; n == 0 {
			t.Errorf("Counters()[%q] = 0 after a dial it dropped; counters %v", rule, l.Counters(t))
		}
	})
	if name == "" {
		return
	}
	if what := leftover(t, name); what != "" {
		t.Errorf("after cleanup, %s remains", what)
	}
}
