package priv

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Drop gives up, for good, every privilege the process holds, on every one
// of its threads. If to is not nil (see SudoUser) it first becomes that
// user: supplementary groups, then the real, effective and saved group and
// user IDs. Then no thread has any capability left, effective, permitted,
// inheritable or ambient; the bounding set is empty if the process could
// empty it (it needs CAP_SETPCAP, which a container given only NET_RAW does
// not have); and no_new_privs is set, so that no execve(2) can give any of
// it back. Drop then reads every thread's /proc status and returns an error
// if one is not so. Without to the user stays as it is: root without
// capabilities still owns root's files, but can no longer override file
// permissions or open raw sockets.
//
// A thread's capabilities and no_new_privs are its own (capset(2) and
// prctl(2) change only the calling thread) and a Go program has many
// threads, so Drop makes each change on every thread: with
// syscall.AllThreadsSyscall in a build without cgo, which the Go runtime
// applies to all of its threads, and otherwise, where AllThreadsSyscall
// returns ENOTSUP, by signalling each thread listed in /proc/self/task
// until every one has made it (see everyThread). The user and group IDs
// change through the syscall package, which applies them to every thread
// in both kinds of build. Staying root without capabilities, when not
// under sudo, needs exactly this per-thread change: a change of user ID
// clears the permitted and effective sets of every thread by itself, but
// only by leaving root for good, for a user (nobody) who could then not
// write the outputs and the resume state where root was asked to.
//
// Drop is meant to be called once, once the program's sockets are open
// and before it reads untrusted input. It stops other goroutines only
// briefly. On an error the process may hold part of its privileges still,
// and should exit.
func Drop(to *User) error {
	// The calling thread is the reference the others must match.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	pid := os.Getpid()
	before, err := readCreds(pid, unix.Gettid())
	if err != nil {
		return fmt.Errorf("drop privileges: %w", err)
	}

	// The bounding set first, while CAP_SETPCAP is still effective.
	var calls []call
	bounding := before.eff&(1<<unix.CAP_SETPCAP) != 0
	if bounding {
		for c := range 64 {
			if before.bnd&(1<<c) != 0 {
				calls = append(calls, prctl(unix.PR_CAPBSET_DROP, uintptr(c)))
			}
		}
	}
	if err := everyThread(calls); err != nil {
		return fmt.Errorf("drop privileges: %w", err)
	}

	if to != nil {
		if err := syscall.Setgroups(to.Groups); err != nil {
			return fmt.Errorf("drop privileges: set supplementary groups %v: %w", to.Groups, err)
		}
		if err := syscall.Setresgid(to.GID, to.GID, to.GID); err != nil {
			return fmt.Errorf("drop privileges: set group ID %d: %w", to.GID, err)
		}
		if err := syscall.Setresuid(to.UID, to.UID, to.UID); err != nil {
			return fmt.Errorf("drop privileges: set user ID %d: %w", to.UID, err)
		}
	}

	calls = calls[:0]
	if before.amb != 0 {
		calls = append(calls, prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL))
	}
	calls = append(calls, capsetZero(), prctl(unix.PR_SET_NO_NEW_PRIVS, 1))
	if err := everyThread(calls); err != nil {
		return fmt.Errorf("drop privileges: %w", err)
	}

	want := creds{uid: before.uid, gid: before.gid, groups: before.groups, noNewPrivs: "1"}
	if bounding {
		want.bnd = 0
	} else {
		want.bnd = before.bnd
	}
	if to != nil {
		want.uid = ids(to.UID)
		want.gid = ids(to.GID)
		want.groups = groupList(to.Groups)
	}
	if err := verify(pid, want); err != nil {
		return fmt.Errorf("drop privileges: %w", err)
	}
	return nil
}

// A call is one system call that everyThread makes on every thread.
type call struct {
	trap, a1, a2, a3 uintptr
	name             string // for errors
}

// prctl returns a prctl(2) call with one argument after option.
func prctl(option, arg uintptr) call {
	name := map[uintptr]string{unix.PR_CAPBSET_DROP: "PR_CAPBSET_DROP", unix.PR_CAP_AMBIENT: "PR_CAP_AMBIENT", unix.PR_SET_NO_NEW_PRIVS: "PR_SET_NO_NEW_PRIVS"}[option]
	return call{trap: unix.SYS_PRCTL, a1: option, a2: arg, name: fmt.Sprintf("prctl(%s, %d)", name, arg)}
}

// creds is the part of a thread's /proc status that Drop changes. The IDs
// are the status file's fields, one space between them.
type creds struct {
	uid, gid, groups   string
	inh, prm, eff, bnd uint64
	amb                uint64 // 0 if the kernel has no ambient set (before 4.3)
	noNewPrivs         string // "" if the kernel does not say (before 4.10)
}

// ids is how the status file lists id as the real, effective, saved and
// filesystem ID.
func ids(id int) string {
	s := strconv.Itoa(id)
	return s + " " + s + " " + s + " " + s
}

// groupList is how the status file lists the supplementary groups gids:
// sorted, as setgroups(2) keeps them.
func groupList(gids []int) string {
	s := make([]string, 0, len(gids))
	for _, g := range slices.Sorted(slices.Values(gids)) {
		s = append(s, strconv.Itoa(g))
	}
	return strings.Join(s, " ")
}

// parseStatus reads a /proc/PID/task/TID/status file.
func parseStatus(text string) (creds, error) {
	var c creds
	need := map[string]bool{"Uid": true, "Gid": true, "CapInh": true, "CapPrm": true, "CapEff": true, "CapBnd": true}
	for line := range strings.Lines(text) {
		key, value, _ := strings.Cut(line, ":")
		fields := strings.Join(strings.Fields(value), " ")
		var err error
		switch key {
		case "Uid":
			c.uid = fields
		case "Gid":
			c.gid = fields
		case "Groups":
			c.groups = fields
		case "NoNewPrivs":
			c.noNewPrivs = fields
		case "CapInh":
			c.inh, err = strconv.ParseUint(fields, 16, 64)
		case "CapPrm":
			c.prm, err = strconv.ParseUint(fields, 16, 64)
		case "CapEff":
			c.eff, err = strconv.ParseUint(fields, 16, 64)
		case "CapBnd":
			c.bnd, err = strconv.ParseUint(fields, 16, 64)
		case "CapAmb":
			c.amb, err = strconv.ParseUint(fields, 16, 64)
		default:
			continue
		}
		if err != nil {
			return creds{}, fmt.Errorf("%s: %q: %w", key, fields, err)
		}
		delete(need, key)
	}
	if len(need) > 0 {
		return creds{}, errors.New("no Uid, Gid, CapInh, CapPrm, CapEff and CapBnd lines")
	}
	return c, nil
}

// readCreds reads the credentials of thread tid of process pid.
func readCreds(pid, tid int) (creds, error) {
	name := fmt.Sprintf("/proc/%d/task/%d/status", pid, tid)
	b, err := os.ReadFile(name)
	if err != nil {
		return creds{}, err
	}
	c, err := parseStatus(string(b))
	if err != nil {
		return creds{}, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

// gone reports whether err, from readCreds, says the thread has exited:
// its status file is missing if it exited before the open, and a read
// fails with ESRCH if it exited after.
func gone(err error) bool {
	return errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ESRCH)
}

// threads lists the thread IDs of process pid.
func threads(pid int) ([]int, error) {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return nil, fmt.Errorf("list threads: %w", err)
	}
	tids := make([]int, 0, len(ents))
	for _, e := range ents {
		if tid, err := strconv.Atoi(e.Name()); err == nil {
			tids = append(tids, tid)
		}
	}
	return tids, nil
}

// verify checks that every thread of process pid has the credentials want.
func verify(pid int, want creds) error {
	tids, err := threads(pid)
	if err != nil {
		return err
	}
	for _, tid := range tids {
		got, err := readCreds(pid, tid)
		if gone(err) {
			continue
		}
		if err != nil {
			return err
		}
		if got.noNewPrivs == "" {
			got.noNewPrivs = want.noNewPrivs // the kernel does not say
		}
		if got != want {
			return fmt.Errorf("thread %d has %s; want %s", tid, got, want)
		}
	}
	return nil
}

func (c creds) String() string {
	return fmt.Sprintf("Uid %s, Gid %s, Groups [%s], CapInh %016x, CapPrm %016x, CapEff %016x, CapBnd %016x, CapAmb %016x, NoNewPrivs %s",
		c.uid, c.gid, c.groups, c.inh, c.prm, c.eff, c.bnd, c.amb, c.noNewPrivs)
}
