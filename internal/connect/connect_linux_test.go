package connect

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/trawlscan/trawl/pkg/result"
)

// silentPort returns a loopback port whose SYNs go unanswered, so connects
// to it time out: a listener with a backlog of 0 whose accept queue is held
// full by one connection that is never accepted. Linux drops SYNs to a
// listener with a full accept queue. It skips the test if the kernel
// answers anyway.
func silentPort(t *testing.T) netip.AddrPort {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	ap := netip.AddrPortFrom(netip.AddrFrom4(sa.(*unix.SockaddrInet4).Addr), uint16(sa.(*unix.SockaddrInet4).Port))
	fill, err := net.DialTimeout("tcp4", ap.String(), time.Second)
	if err != nil {
		t.Fatalf("fill the accept queue of %v: %v", ap, err)
	}
	t.Cleanup(func() { fill.Close() })
	if c, err := net.DialTimeout("tcp4", ap.String(), 100*time.Millisecond); err == nil {
		c.Close()
		t.Skipf("the kernel accepted a connect to %v past a full accept queue", ap)
	} else if ne, ok := errors.AsType[net.Error](err); !ok || !ne.Timeout() {
		t.Skipf("connect to %v past a full accept queue: %v, want a timeout", ap, err)
	}
	return ap
}

// TestFilteredTimeout checks real connect timeouts: retried Retries times,
// then reported filtered.
func TestFilteredTimeout(t *testing.T) {
	silent := silentPort(t)
	hosts := []netip.Addr{silent.Addr()}
	sp, perm := newSpace(t, hosts, strconv.Itoa(int(silent.Port())))
	const timeout = 150 * time.Millisecond
	s, err := New(Config{Space: sp, Perm: perm, Timeout: timeout, Retries: 2, Filtered: true})
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	got, err := collect(t, context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(began); d < 3*timeout || d > 3*timeout+time.Second {
		t.Errorf("3 tries of %v took %v", timeout, d)
	}
	if got[silent] != result.StatusFiltered || len(got) != 1 {
		t.Errorf("got %v, want %v filtered", got, silent)
	}
	if st := s.Stats(); st.Sent != 3 || st.Filtered != 1 {
		t.Errorf("Stats = %+v, want 3 attempts and 1 filtered", st)
	}
}

// TestCancelHungConnect checks that cancelling aborts a real connect that
// would otherwise wait out a long timeout.
func TestCancelHungConnect(t *testing.T) {
	silent := silentPort(t)
	sp, perm := newSpace(t, []netip.Addr{silent.Addr()}, strconv.Itoa(int(silent.Port())))
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

// netnsEnv tells a re-executed test binary that it runs inside the
// namespace TestNetnsFiltered made.
const netnsEnv = "TRAWL_CONNECT_NETNS"

// TestNetnsFiltered checks filtered ports made by a real firewall: in a
// network namespace of its own, nftables drops SYNs to port 7 and rejects
// those to port 8 with ICMP host unreachable. The scan runs in a copy of
// the test binary started inside the namespace (TestInNetns). It needs
// root, ip and nft.
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
	ruleset := `table ip trawltest {
	chain out {
		type filter hook output priority 0; policy accept;
		tcp dport 7 drop
		tcp dport 8 reject with icmp type host-unreachable
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
// namespace; it skips anywhere else.
func TestInNetns(t *testing.T) {
	if os.Getenv(netnsEnv) == "" {
		t.Skip("runs only inside TestNetnsFiltered's namespace")
	}
	// The reject must come back as EHOSTUNREACH at once, not as a timeout.
	if c, err := net.DialTimeout("tcp4", "127.0.0.1:8", 100*time.Millisecond); err == nil {
		c.Close()
		t.Fatal("connect to the rejected port 8 succeeded")
	} else if !errors.Is(err, syscall.EHOSTUNREACH) {
		t.Fatalf("connect to the rejected port 8: %v, want EHOSTUNREACH", err)
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:80")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	sp, perm := newSpace(t, []netip.Addr{netip.MustParseAddr("127.0.0.1")}, "7-9,80")
	s, err := New(Config{Space: sp, Perm: perm, Timeout: 200 * time.Millisecond, Retries: 1, Closed: true, Filtered: true})
	if err != nil {
		t.Fatal(err)
	}
	got, reasons, err := collectReasons(t, context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	lo := netip.MustParseAddr("127.0.0.1")
	want := map[netip.AddrPort]result.Result{
		netip.AddrPortFrom(lo, 7):  {Status: result.StatusFiltered, Reason: result.ReasonNoResponse},
		netip.AddrPortFrom(lo, 8):  {Status: result.StatusFiltered, Reason: result.ReasonHostUnreach},
		netip.AddrPortFrom(lo, 9):  {Status: result.StatusClosed, Reason: result.ReasonConnRefused},
		netip.AddrPortFrom(lo, 80): {Status: result.StatusOpen, Reason: result.ReasonSYNACK},
	}
	for ap, w := range want {
		if got[ap] != w.Status || reasons[ap] != w.Reason {
			t.Errorf("%v: got %v %q, want %v %q", ap, got[ap], reasons[ap], w.Status, w.Reason)
		}
	}
	// Port 7 is tried twice; port 8's unreachable is an answer.
	wantStats := Stats{Total: 4, Position: 4, Sent: 5, Open: 1, Closed: 1, Filtered: 2, Unreachable: 1}
	if st := s.Stats(); st != wantStats {
		t.Errorf("Stats = %+v, want %+v", st, wantStats)
	}
	t.Logf("results %v, stats %+v", got, s.Stats())
}
