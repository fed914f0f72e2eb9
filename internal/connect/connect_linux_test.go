package connect

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/trawlscan/trawl/pkg/result"
)

// socket returns a TCP socket of host's family, closed when the test ends.
func socket(t *testing.T, host netip.Addr) int {
	t.Helper()
	domain := unix.AF_INET
	if host.Is6() {
		domain = unix.AF_INET6
	}
	fd, err := unix.Socket(domain, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

// sockaddr returns ap as a unix.Sockaddr of its family.
func sockaddr(ap netip.AddrPort) unix.Sockaddr {
	if ap.Addr().Is4() {
		return &unix.SockaddrInet4{Addr: ap.Addr().As4(), Port: int(ap.Port())}
	}
	return &unix.SockaddrInet6{Addr: ap.Addr().As16(), Port: int(ap.Port())}
}

// sockname returns the local address fd is bound to.
func sockname(t *testing.T, fd int) netip.AddrPort {
	t.Helper()
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), uint16(sa.Port))
	}
	t.Fatalf("socket %d is bound to %T, not an IP address", fd, sa)
	return netip.AddrPort{}
}

// silentPort returns a port of the loopback address host whose SYNs go
// unanswered, so connects to it time out: a listener with a backlog of 0
// whose accept queue is held full by one connection that is never
// accepted. Linux drops SYNs to a listener with a full accept queue, for
// IPv4 and IPv6 alike. It skips the test if the kernel answers anyway.
func silentPort(t *testing.T, host netip.Addr) netip.AddrPort {
	t.Helper()
	fd := socket(t, host)
	if err := unix.Bind(fd, sockaddr(netip.AddrPortFrom(host, 0))); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	ap := sockname(t, fd)
	fill, err := net.DialTimeout("tcp", ap.String(), time.Second)
	if err != nil {
		t.Fatalf("fill the accept queue of %v: %v", ap, err)
	}
	t.Cleanup(func() { fill.Close() })
	if c, err := net.DialTimeout("tcp", ap.String(), 100*time.Millisecond); err == nil {
		c.Close()
		t.Skipf("the kernel accepted a connect to %v past a full accept queue", ap)
	} else if ne, ok := errors.AsType[net.Error](err); !ok || !ne.Timeout() {
		t.Skipf("connect to %v past a full accept queue: %v, want a timeout", ap, err)
	}
	return ap
}

// onLoopbacks runs f in a subtest on 127.0.0.1 and one on ::1, which skips
// without it.
func onLoopbacks(t *testing.T, f func(t *testing.T, host netip.Addr)) {
	for _, host := range []netip.Addr{lo4, lo6} {
		t.Run(host.String(), func(t *testing.T) {
			if host.Is6() {
				need6(t)
			}
			f(t, host)
		})
	}
}

// TestFilteredTimeout checks real connect timeouts, over IPv4 and IPv6:
// retried Retries times, then reported filtered with no-response.
func TestFilteredTimeout(t *testing.T) {
	onLoopbacks(t, func(t *testing.T, host netip.Addr) {
		silent := silentPort(t, host)
		sp, perm := newSpace(t, []netip.Addr{host}, strconv.Itoa(int(silent.Port())))
		const timeout = 150 * time.Millisecond
		s, err := New(Config{Space: sp, Perm: perm, Timeout: timeout, Retries: 2, Filtered: true})
		if err != nil {
			t.Fatal(err)
		}
		began := time.Now()
		got, reasons, err := collectReasons(t, context.Background(), s)
		if err != nil {
			t.Fatal(err)
		}
		if d := time.Since(began); d < 3*timeout || d > 3*timeout+time.Second {
			t.Errorf("3 tries of %v took %v", timeout, d)
		}
		if got[silent] != result.StatusFiltered || reasons[silent] != result.ReasonNoResponse || len(got) != 1 {
			t.Errorf("got %v %v, want %v filtered no-response", got, reasons, silent)
		}
		if st := s.Stats(); st.Sent != 3 || st.Filtered != 1 || st.Unreachable != 0 {
			t.Errorf("Stats = %+v, want 3 attempts and 1 filtered by timeout", st)
		}
	})
}

// TestCancelHungConnect checks that cancelling aborts a real connect that
// would otherwise wait out a long timeout, over IPv4 and IPv6.
func TestCancelHungConnect(t *testing.T) {
	onLoopbacks(t, testCancelHungConnect)
}

func testCancelHungConnect(t *testing.T, host netip.Addr) {
	silent := silentPort(t, host)
	sp, perm := newSpace(t, []netip.Addr{host}, strconv.Itoa(int(silent.Port())))
	s, err := New(Config{Space: sp, Perm: perm, Timeout: time.Minute, Filtered: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	began := time.Now()
	got, err := collect(t, ctx, s)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	if d := time.Since(began); d > time.Second {
		t.Errorf("Run returned %v after start, want about 100ms", d)
	}
	if len(got) != 0 || s.Resume() != 0 || s.Stats().Filtered != 0 {
		t.Errorf("got %v, Resume %d, Stats %+v: want nothing handled", got, s.Resume(), s.Stats())
	}
}

// TestFileLimitBackoff runs out of descriptors on purpose: the workers must
// back off and retry, with every port still reported correctly and no
// errors.
func TestFileLimitBackoff(t *testing.T) {
	hosts := []netip.Addr{netip.MustParseAddr("127.0.0.1")}
	ports, truth := plant(t, hosts, 64, func(_, k int) bool { return k%9 == 1 })
	sp, perm := newSpace(t, hosts, ports)
	s, err := New(Config{Space: sp, Perm: perm, Concurrency: 32})
	if err != nil {
		t.Fatal(err)
	}
	// New raised the limit. Lower it now to nothing, so that the scan's
	// first attempts must fail for lack of a descriptor, then after 50 ms
	// to a few more than are open, so that it can finish; restore it when
	// done. (Starting with a few spare left it to timing whether the 32
	// workers ever ran out, since descriptors that other tests closed
	// could still be counted as open: once in a CI run they did not.)
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		t.Fatal(err)
	}
	fds, err := os.ReadDir("/proc/self/fd") // counts its own, now closed
	if err != nil {
		t.Skip(err)
	}
	setLimit := func(cur uint64) {
		l := rl
		l.Cur = cur
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &l); err != nil {
			t.Error(err)
		}
	}
	setLimit(0)
	var mu sync.Mutex
	restored := false
	loosen := time.AfterFunc(50*time.Millisecond, func() {
		mu.Lock()
		defer mu.Unlock()
		if !restored {
			setLimit(uint64(len(fds)) + 3)
		}
	})
	restore := func() {
		loosen.Stop()
		mu.Lock()
		defer mu.Unlock()
		if !restored {
			restored = true
			setLimit(rl.Cur)
		}
	}
	t.Cleanup(restore)
	got, err := collect(t, context.Background(), s)
	restore()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(truth) {
		t.Errorf("got %d open ports, want %d", len(got), len(truth))
	}
	for ap := range truth {
		if got[ap] != result.StatusOpen {
			t.Errorf("%v: got %v, want open", ap, got[ap])
		}
	}
	st := s.Stats()
	if st.Errors != 0 || st.Sent != 64 || st.Open+st.Closed != 64 {
		t.Errorf("Stats = %+v, want 64 attempts, each open or closed", st)
	}
	if st.Backoffs == 0 {
		t.Errorf("Stats = %+v: no backoff, so the descriptors never ran out", st)
	}
	t.Logf("%d backoffs", st.Backoffs)
}

// fdConn is the syscall.RawConn of a bare descriptor, for control.
type fdConn int

func (c fdConn) Control(f func(fd uintptr)) error { f(uintptr(c)); return nil }
func (fdConn) Read(func(fd uintptr) bool) error   { return errors.ErrUnsupported }
func (fdConn) Write(func(fd uintptr) bool) error  { return errors.ErrUnsupported }

// TestControlNoPort checks that control defers the choice of the source
// port to connect time on sockets of both families: bound to port 0 after
// control, a socket has no port yet, while one bound without it has one.
func TestControlNoPort(t *testing.T) {
	onLoopbacks(t, func(t *testing.T, host netip.Addr) {
		network := "tcp4"
		if host.Is6() {
			network = "tcp6"
		}
		for _, withControl := range []bool{false, true} {
			fd := socket(t, host)
			if withControl {
				if err := control(network, "", fdConn(fd)); err != nil {
					t.Fatalf("control on an %s socket: %v", network, err)
				}
			}
			if err := unix.Bind(fd, sockaddr(netip.AddrPortFrom(host, 0))); err != nil {
				t.Fatal(err)
			}
			if port := sockname(t, fd).Port(); (port == 0) != withControl {
				t.Errorf("control %v: bound to port %d; want 0 with control, an ephemeral port without", withControl, port)
			}
		}
	})
}

// netnsEnv tells a re-executed test binary that it runs inside the
// namespace TestNetnsFiltered made.
const netnsEnv = "TRAWL_CONNECT_NETNS"

// TestNetnsFiltered checks filtered ports made by a real firewall, over
// IPv4 and IPv6: in a network namespace of its own, nftables drops SYNs
// to port 7, rejects those to port 8 with ICMP host unreachable or ICMPv6
// address unreachable, and those to port 10 with ICMP or ICMPv6
// administratively prohibited. The scan runs in a copy of the test binary
// started inside the namespace (TestInNetns). It needs root, ip and nft.
func TestNetnsFiltered(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create a network namespace")
	}
	for _, tool := range []string{"ip", "nft"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s: %v", tool, err)
		}
	}
	ns := fmt.Sprintf("trawl-connect-%d", os.Getpid())
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	run("ip", "netns", "add", ns)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	run("ip", "-n", ns, "link", "set", "lo", "up")
	ruleset := `table inet trawltest {
	chain out {
		type filter hook output priority 0; policy accept;
		tcp dport 7 drop
		meta nfproto ipv4 tcp dport 8 reject with icmp type host-unreachable
		meta nfproto ipv6 tcp dport 8 reject with icmpv6 type addr-unreachable
		meta nfproto ipv4 tcp dport 10 reject with icmp type admin-prohibited
		meta nfproto ipv6 tcp dport 10 reject with icmpv6 type admin-prohibited
	}
}`
	nft := exec.Command("ip", "netns", "exec", ns, "nft", "-f", "-")
	nft.Stdin = strings.NewReader(ruleset)
	if out, err := nft.CombinedOutput(); err != nil {
		t.Fatalf("nft: %v\n%s", err, out)
	}
	cmd := exec.Command("ip", "netns", "exec", ns, os.Args[0], "-test.run=^TestInNetns$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), netnsEnv+"=1")
	out, err := cmd.CombinedOutput()
	t.Logf("in namespace %s:\n%s", ns, out)
	if err != nil {
		t.Fatalf("scan in namespace: %v", err)
	}
}

// TestInNetns is the half of TestNetnsFiltered that runs inside the
// namespace; it skips anywhere else. It scans 127.0.0.1 alone, then
// 127.0.0.1 and ::1 in one space.
func TestInNetns(t *testing.T) {
	if os.Getenv(netnsEnv) == "" {
		t.Skip("runs only inside TestNetnsFiltered's namespace")
	}
	t.Run("IPv4", func(t *testing.T) { testInNetns(t, []netip.Addr{lo4}) })
	t.Run("mixed", func(t *testing.T) {
		need6(t)
		testInNetns(t, []netip.Addr{lo4, lo6})
	})
}

func testInNetns(t *testing.T, hosts []netip.Addr) {
	// The reject of a SYN to ::1 comes back while connect() still holds
	// the socket, and Linux drops that first ICMPv6 error (nstat's
	// TcpExtLockDroppedIcmps); the one for the SYN retransmitted after the
	// initial RTO of 1 s gets through. ICMP for 127.0.0.1 is not delayed
	// so, nor is either family's from a real network, which answers after
	// connect() has returned.
	timeout := 200 * time.Millisecond
	if slices.ContainsFunc(hosts, netip.Addr.Is6) {
		timeout = 1500 * time.Millisecond
	}
	want := map[netip.AddrPort]result.Result{}
	for _, host := range hosts {
		// Linux reports ICMP's administratively prohibited (code 13) as
		// EHOSTUNREACH, ICMPv6's (code 1) as EACCES.
		prohibited, reason := syscall.EHOSTUNREACH, result.ReasonHostUnreach
		if host.Is6() {
			prohibited, reason = syscall.EACCES, result.ReasonAdminProhibited
		}
		// The rejects must come back as errors, not as timeouts.
		for port, errno := range map[uint16]syscall.Errno{8: syscall.EHOSTUNREACH, 10: prohibited} {
			ap := netip.AddrPortFrom(host, port)
			if c, err := net.DialTimeout("tcp", ap.String(), timeout); err == nil {
				c.Close()
				t.Fatalf("connect to the rejected %v succeeded", ap)
			} else if !errors.Is(err, errno) {
				t.Fatalf("connect to the rejected %v: %v, want %v", ap, err, errno)
			}
		}
		ln, err := net.Listen("tcp", netip.AddrPortFrom(host, 80).String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		want[netip.AddrPortFrom(host, 7)] = result.Result{Status: result.StatusFiltered, Reason: result.ReasonNoResponse}
		want[netip.AddrPortFrom(host, 8)] = result.Result{Status: result.StatusFiltered, Reason: result.ReasonHostUnreach}
		want[netip.AddrPortFrom(host, 9)] = result.Result{Status: result.StatusClosed, Reason: result.ReasonConnRefused}
		want[netip.AddrPortFrom(host, 10)] = result.Result{Status: result.StatusFiltered, Reason: reason}
		want[netip.AddrPortFrom(host, 80)] = result.Result{Status: result.StatusOpen, Reason: result.ReasonSYNACK}
	}
	sp, perm := newSpace(t, hosts, "7-10,80")
	s, err := New(Config{Space: sp, Perm: perm, Timeout: timeout, Retries: 1, Closed: true, Filtered: true})
	if err != nil {
		t.Fatal(err)
	}
	got, reasons, err := collectReasons(t, context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Errorf("got %d results, want %d", len(got), len(want))
	}
	for ap, w := range want {
		if got[ap] != w.Status || reasons[ap] != w.Reason {
			t.Errorf("%v: got %v %q, want %v %q", ap, got[ap], reasons[ap], w.Status, w.Reason)
		}
	}
	// On each host port 7 is tried twice; the unreachables of ports 8 and
	// 10 are answers.
	n := uint64(len(hosts))
	wantStats := Stats{Total: 5 * n, Position: 5 * n, Sent: 6 * n, Open: n, Closed: n, Filtered: 3 * n, Unreachable: 2 * n}
	if st := s.Stats(); st != wantStats {
		t.Errorf("Stats = %+v, want %+v", st, wantStats)
	}
	t.Logf("results %v, stats %+v", got, s.Stats())
}
