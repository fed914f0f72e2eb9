//go:build cgo

package priv

/*
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

// The signal that asks a thread to make the calls. The Go runtime unblocks
// SIGSTKFLT on every thread it starts (it would crash on one), and nothing
// raises it: the kernel has never sent it on the architectures that have it.
#ifdef SIGSTKFLT
#define TRAWL_PRIV_SIGNAL SIGSTKFLT
#else
#define TRAWL_PRIV_SIGNAL SIGSYS
#endif

#define TRAWL_PRIV_MAX_CALLS 72

struct trawl_priv_call {
	long trap;
	unsigned long a1, a2, a3;
};

static struct trawl_priv_call trawl_priv_calls[TRAWL_PRIV_MAX_CALLS];
static int trawl_priv_ncalls;
// trawl_priv_round numbers the rounds of calls; trawl_priv_done is the
// last round this thread made, so that a signal that arrives twice makes
// them once.
static int trawl_priv_round;
static __thread int trawl_priv_done;
// The first failure on a thread other than the caller's.
static int trawl_priv_errno, trawl_priv_errcall;

// capset(2)'s arguments for "no capabilities": _LINUX_CAPABILITY_VERSION_3
// and two all-zero struct __user_cap_data_struct.
static struct { unsigned int version; int pid; } trawl_priv_caphdr = { 0x20080522, 0 };
static unsigned int trawl_priv_capdata[6];

static int trawl_priv_make(int *which) {
	int n = trawl_priv_ncalls;
	for (int i = 0; i < n; i++) {
		struct trawl_priv_call *c = &trawl_priv_calls[i];
		if (syscall(c->trap, c->a1, c->a2, c->a3, 0UL, 0UL) == -1) {
			*which = i;
			return errno;
		}
	}
	return 0;
}

static void trawl_priv_handler(int sig, siginfo_t *info, void *ctx) {
	int saved = errno;
	int round = __atomic_load_n(&trawl_priv_round, __ATOMIC_ACQUIRE);
	if (trawl_priv_done != round) {
		trawl_priv_done = round;
		int which = 0, zero = 0;
		int e = trawl_priv_make(&which);
		if (e != 0 && __atomic_compare_exchange_n(&trawl_priv_errno, &zero, e, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			__atomic_store_n(&trawl_priv_errcall, which, __ATOMIC_RELEASE);
		}
	}
	errno = saved;
}

// trawl_priv_begin starts a round of n calls: it makes them on the calling
// thread, returning the errno and index of the first that fails, and
// installs the handler that makes them on a thread signalled with
// TRAWL_PRIV_SIGNAL. The handler runs on the thread's alternate signal
// stack, which the Go runtime gives every thread, with every signal
// blocked, and makes only system calls. It stays installed for good: a
// thread signalled twice, once while its handler ran, still has the
// second signal pending after the round ends, and the Go runtime's
// handler would crash the process on it ("SIGSTKFLT: stack fault"); this
// one, its round done, does nothing.
static int trawl_priv_begin(const struct trawl_priv_call *calls, int n, int *which) {
	if (n < 0 || n > TRAWL_PRIV_MAX_CALLS) {
		return E2BIG;
	}
	memcpy(trawl_priv_calls, calls, n * sizeof *calls);
	trawl_priv_ncalls = n;
	trawl_priv_errno = trawl_priv_errcall = 0;
	int round = __atomic_add_fetch(&trawl_priv_round, 1, __ATOMIC_ACQ_REL);
	trawl_priv_done = round;
	int e = trawl_priv_make(which);
	if (e != 0) {
		return e;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = trawl_priv_handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
	sigfillset(&sa.sa_mask);
	*which = -1;
	if (sigaction(TRAWL_PRIV_SIGNAL, &sa, NULL) != 0) {
		return errno;
	}
	return 0;
}

// trawl_priv_end returns the first failure on another thread, if any.
static int trawl_priv_end(int *which) {
	*which = __atomic_load_n(&trawl_priv_errcall, __ATOMIC_ACQUIRE);
	return __atomic_load_n(&trawl_priv_errno, __ATOMIC_ACQUIRE);
}

static int trawl_priv_signal(void) { return TRAWL_PRIV_SIGNAL; }
static uintptr_t trawl_priv_caphdr_addr(void) { return (uintptr_t)&trawl_priv_caphdr; }
static uintptr_t trawl_priv_capdata_addr(void) { return (uintptr_t)trawl_priv_capdata; }
*/
import "C"

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// everyThreadTimeout bounds how long everyThread waits for the threads to
// make the calls; they take microseconds.
const everyThreadTimeout = 5 * time.Second

// everyThread makes calls, in order, on every thread of the process. In a
// cgo build syscall.AllThreadsSyscall returns ENOTSUP, because C code may
// start threads the Go runtime does not know; so everyThread does what it
// does, for every thread the kernel lists: it makes the calls on the
// calling thread (which must be locked to its goroutine), then sends every
// thread in /proc/self/task whose credentials still differ from this one's
// a signal whose handler, in C, makes the calls there, and lists the
// threads again until none differs. A thread started meanwhile inherits
// its creator's credentials: changed ones need no signal, and unchanged
// ones get one on the next pass. This is what libcap's psx package does
// (by wrapping pthread_create instead of listing threads); doing it here
// takes no dependency and changes nothing else in the program.
func everyThread(calls []call) error {
	if len(calls) == 0 {
		return nil
	}
	cs := make([]C.struct_trawl_priv_call, len(calls))
	for i, c := range calls {
		cs[i] = C.struct_trawl_priv_call{trap: C.long(c.trap), a1: C.ulong(c.a1), a2: C.ulong(c.a2), a3: C.ulong(c.a3)}
	}
	var which C.int
	if e := C.trawl_priv_begin(&cs[0], C.int(len(cs)), &which); e != 0 {
		if which >= 0 {
			return fmt.Errorf("%s: %w", calls[which].name, syscall.Errno(e))
		}
		return fmt.Errorf("install a handler for signal %d: %w", privSignal(), syscall.Errno(e))
	}
	err := signalThreads()
	if e := C.trawl_priv_end(&which); e != 0 {
		return fmt.Errorf("%s on another thread: %w", calls[which].name, syscall.Errno(e))
	}
	return err
}

// privSignal is the signal that asks a thread to make everyThread's calls.
func privSignal() syscall.Signal { return syscall.Signal(C.trawl_priv_signal()) }

// signalThreads signals every thread whose credentials differ from the
// calling thread's until none does. A pass lists the threads, then reads
// each one's credentials; a thread that answers between the two may have
// started another meanwhile, with the old credentials and after the
// listing. So a pass that finds every thread up to date ends the rounds
// only if the threads listed after it are all among those it read.
func signalThreads() error {
	pid, self := os.Getpid(), unix.Gettid()
	want, err := readCreds(pid, self)
	if err != nil {
		return err
	}
	sig := privSignal()
	deadline := time.Now().Add(everyThreadTimeout)
	var checked []int // the threads the last pass read
	clean := false    // and found up to date, or gone
	for pause := 20 * time.Microsecond; ; pause = min(2*pause, 10*time.Millisecond) {
		tids, err := threads(pid)
		if err != nil {
			return err
		}
		tids = slices.DeleteFunc(tids, func(t int) bool { return t == self })
		if clean && !slices.ContainsFunc(tids, func(t int) bool { return !slices.Contains(checked, t) }) {
			return nil
		}
		var behind []int
		checked = tids
		for _, tid := range tids {
			got, err := readCreds(pid, tid)
			if gone(err) {
				continue
			}
			if err != nil {
				return err
			}
			if got != want {
				behind = append(behind, tid)
			}
		}
		clean = len(behind) == 0
		if time.Now().After(deadline) {
			if clean {
				return fmt.Errorf("threads kept starting for %v", everyThreadTimeout)
			}
			return fmt.Errorf("threads %v did not answer signal %d within %v (%s)", behind, sig, everyThreadTimeout, threadStates(pid, behind))
		}
		if clean {
			continue
		}
		for _, tid := range behind {
			if err := unix.Tgkill(pid, tid, sig); err != nil && err != unix.ESRCH {
				return fmt.Errorf("signal thread %d: %w", tid, err)
			}
		}
		time.Sleep(pause)
	}
}

// threadStates describes threads of process pid for an error: each one's
// state, wait channel and signal masks from /proc, which say why it has
// not run a handler.
func threadStates(pid int, tids []int) string {
	var parts []string
	for _, tid := range tids {
		dir := fmt.Sprintf("/proc/%d/task/%d/", pid, tid)
		desc := fmt.Sprintf("%d:", tid)
		if b, err := os.ReadFile(dir + "status"); err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				if k, v, ok := strings.Cut(line, ":"); ok && slices.Contains([]string{"Name", "State", "SigPnd", "ShdPnd", "SigBlk", "SigCgt"}, k) {
					desc += " " + k + "=" + strings.Join(strings.Fields(v), " ")
				}
			}
		}
		if b, err := os.ReadFile(dir + "wchan"); err == nil {
			desc += " wchan=" + string(b)
		}
		parts = append(parts, desc)
	}
	return strings.Join(parts, "; ")
}

// capsetZero returns a capset(2) call that empties the effective, permitted
// and inheritable sets of the thread that makes it. Its arguments are in C
// memory, which stays where it is while the other threads read it.
func capsetZero() call {
	return call{trap: unix.SYS_CAPSET, a1: uintptr(C.trawl_priv_caphdr_addr()), a2: uintptr(C.trawl_priv_capdata_addr()), name: "capset(0)"}
}
