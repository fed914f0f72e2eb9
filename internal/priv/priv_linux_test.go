package priv

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

func TestParseStatus(t *testing.T) {
	status := "Name:\ttrawl\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t4242\n" +
		"Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nFDSize:\t64\nGroups:\t0 27 \n" +
		"CapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\nCapEff:\t000001ffffffffff\n" +
		"CapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t0\n"
	got, err := parseStatus(status)
	if err != nil {
		t.Fatal(err)
	}
	want := creds{uid: "0 0 0 0", gid: "0 0 0 0", groups: "0 27", prm: 1<<41 - 1, eff: 1<<41 - 1, bnd: 1<<41 - 1, noNewPrivs: "0"}
	if got != want {
		t.Errorf("parseStatus =\n%v, want\n%v", got, want)
	}
	for _, bad := range []string{"", "Uid:\t0\t0\t0\t0\n", strings.Replace(status, "CapEff:\t000001ffffffffff", "CapEff:\tall", 1)} {
		if c, err := parseStatus(bad); err == nil {
			t.Errorf("parseStatus(%q) = %v, want an error", bad, c)
		}
	}
}

// childEnv, when set, makes TestDrop the child process that drops its
// privileges: "plain", or "sudo" with SUDO_UID and SUDO_GID set.
const childEnv = "TRAWL_PRIV_CHILD"

// TestDrop runs Drop in a child process, a copy of the test binary, with
// threads that sit in Go code, in a blocking system call and locked to
// goroutines, then starts more threads, and checks every thread's
// credentials in /proc as the child reports them. Run it with and without
// CGO_ENABLED=0: the two builds drop privileges on every thread in two
// different ways.
func TestDrop(t *testing.T) {
	if mode := os.Getenv(childEnv); mode != "" {
		dropChild(mode)
		return
	}
	t.Run("plain", func(t *testing.T) {
		threads := child(t, "plain", nil)
		for _, c := range threads {
			if os.Geteuid() == 0 && c.uid != "0 0 0 0" {
				t.Errorf("root not under sudo became %q", c.uid)
			}
		}
	})
	t.Run("sudo", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("needs root to become the user who ran sudo")
		}
		dir, err := os.MkdirTemp("/tmp", "trawl-priv-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		if err := os.Chmod(dir, 0o777); err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, "created")
		threads := child(t, "sudo", []string{"SUDO_UID=65534", "SUDO_GID=65533", "TRAWL_PRIV_FILE=" + file})
		for tid, c := range threads {
			if c.uid != "65534 65534 65534 65534" || c.gid != "65533 65533 65533 65533" {
				t.Errorf("thread %d: Uid %q, Gid %q; want 65534 and 65533 for all four", tid, c.uid, c.gid)
			}
			if c.groups == "0" || strings.HasPrefix(c.groups, "0 ") {
				t.Errorf("thread %d kept root's group: Groups %q", tid, c.groups)
			}
		}
		fi, err := os.Stat(file)
		if err != nil {
			t.Fatal(err)
		}
		if st := fi.Sys().(*syscall.Stat_t); st.Uid != 65534 || st.Gid != 65533 {
			t.Errorf("the child's file belongs to %d:%d, want 65534:65533", st.Uid, st.Gid)
		}
	})
}

// child runs TestDrop in a child process in mode, checks that every thread
// it reports has no capability and no_new_privs set, and returns them.
func child(t *testing.T, mode string, env []string) map[int]creds {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestDrop$", "-test.count=1")
	cmd.Env = append(append(os.Environ(), childEnv+"="+mode), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	threads := map[int]creds{}
	var before creds
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		kind, rest, _ := strings.Cut(sc.Text(), " ")
		if kind != "before" && kind != "thread" {
			continue
		}
		var tid int
		var c creds
		if _, err := fmt.Sscanf(rest, "%d %x %x %x %x %x %q %q %q %q", &tid, &c.inh, &c.prm, &c.eff, &c.bnd, &c.amb, &c.noNewPrivs, &c.uid, &c.gid, &c.groups); err != nil {
			t.Fatalf("child line %q: %v", sc.Text(), err)
		}
		if kind == "before" {
			before = c
			continue
		}
		threads[tid] = c
	}
	if len(threads) < 10 {
		t.Fatalf("the child reports %d threads, want at least 10:\n%s", len(threads), out)
	}
	for tid, c := range threads {
		if c.inh != 0 || c.prm != 0 || c.eff != 0 || c.amb != 0 || c.noNewPrivs != "1" {
			t.Errorf("thread %d: %v; want no capability and NoNewPrivs 1", tid, c)
		}
		if before.eff&(1<<unix.CAP_SETPCAP) != 0 && c.bnd != 0 {
			t.Errorf("thread %d: CapBnd %x; want empty", tid, c.bnd)
		}
	}
	t.Logf("%s, %d threads; before: %v; after, e.g.: %v", mode, len(threads), before, threads[cmd.Process.Pid])
	return threads
}

// dropChild is the child process: it starts threads, drops its privileges,
// starts more threads, and prints every thread's credentials.
func dropChild(mode string) {
	fail := func(err error) {
		fmt.Println("child:", err)
		os.Exit(1)
	}
	pid := os.Getpid()
	before, err := readCreds(pid, pid)
	if err != nil {
		fail(err)
	}
	print := func(kind string, tid int, c creds) {
		fmt.Printf("%s %d %x %x %x %x %x %q %q %q %q\n", kind, tid, c.inh, c.prm, c.eff, c.bnd, c.amb, c.noNewPrivs, c.uid, c.gid, c.groups)
	}
	print("before", pid, before)

	// Threads locked to goroutines, one in a blocking read(2), and busy
	// goroutines on the rest.
	var locked, started sync.WaitGroup
	release := make(chan struct{})
	lock := func(n int) {
		for range n {
			locked.Add(1)
			started.Add(1)
			go func() {
				defer locked.Done()
				runtime.LockOSThread()
				started.Done()
				<-release
			}()
		}
	}
	lock(6)
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		fail(err)
	}
	go func() {
		runtime.LockOSThread()
		var b [1]byte
		_, _ = unix.Read(p[0], b[:]) // blocks in the kernel until the end
	}()
	for range runtime.GOMAXPROCS(0) {
		go func() {
			for n := 0; ; n++ {
				_ = strconv.Itoa(n)
			}
		}()
	}
	started.Wait()

	var to *User
	if mode == "sudo" {
		if to, err = SudoUser(os.Getenv); err != nil || to == nil {
			fail(fmt.Errorf("SudoUser = %v, %v", to, err))
		}
	}
	if err := Drop(to); err != nil {
		fail(err)
	}
	lock(4) // threads started after Drop
	started.Wait()

	if name := os.Getenv("TRAWL_PRIV_FILE"); name != "" {
		if err := os.WriteFile(name, nil, 0o644); err != nil {
			fail(err)
		}
	}
	tids, err := threads(pid)
	if err != nil {
		fail(err)
	}
	for _, tid := range tids {
		c, err := readCreds(pid, tid)
		if err != nil {
			fail(err)
		}
		print("thread", tid, c)
	}
	close(release)
	locked.Wait()
	_, _ = unix.Write(p[1], []byte{0})
	os.Exit(0)
}

// The arguments of TestEveryThreadChurn's capset calls. They are package
// variables, so that they stay where they are while the other threads
// read them.
var (
	churnHeader = unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	churnData   [2][2]unix.CapUserData // [0]: effective lowered, [1]: as before
)

// TestEveryThreadChurn lowers and restores one effective capability on
// every thread, round after round, while goroutines start and end threads
// all along, and checks after each round that every thread has it as the
// caller has. A thread that a stale thread starts after signalThreads has
// listed the threads, but before that creator answers, starts with the
// old credentials; signalThreads must list again before it calls the round
// done.
func TestEveryThreadChurn(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	pid, self := os.Getpid(), unix.Gettid()
	if err := unix.Capget(&churnHeader, &churnData[1][0]); err != nil {
		t.Fatal(err)
	}
	if churnData[1][0].Permitted&(1<<unix.CAP_SYS_NICE) == 0 {
		t.Skip("needs CAP_SYS_NICE in the permitted set, to lower and raise it")
	}
	churnData[0] = churnData[1]
	churnData[0][0].Effective &^= 1 << unix.CAP_SYS_NICE
	capset := func(i int) call {
		return call{trap: unix.SYS_CAPSET, a1: uintptr(unsafe.Pointer(&churnHeader)), a2: uintptr(unsafe.Pointer(&churnData[i][0])), name: "capset"}
	}
	t.Cleanup(func() {
		runtime.LockOSThread() // the test's own lock is gone by now
		defer runtime.UnlockOSThread()
		if err := everyThread([]call{capset(1)}); err != nil {
			t.Errorf("restore: %v", err)
		}
	})

	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer func() { close(stop); wg.Wait() }()
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				done := make(chan struct{})
				go func() {
					// A goroutine that ends locked ends its thread; while
					// it sleeps, the runtime starts another for the rest.
					runtime.LockOSThread()
					time.Sleep(50 * time.Microsecond)
					close(done)
				}()
				<-done
			}
		}()
	}
	for round := range 400 {
		i := round % 2
		if err := everyThread([]call{capset(i)}); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		want, err := readCreds(pid, self)
		if err != nil {
			t.Fatal(err)
		}
		if err := verify(pid, want); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
	}
}
