package scan

import (
	"errors"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// TestDryRunWithoutCapNetRaw checks that without CAP_NET_RAW in the
// effective set, DryRun falls back to Connect with Auto, as New does,
// and fails with ErrPrivilege for a raw method. With the capability, it
// drops it from the effective set of one locked thread, which the
// runtime discards after, so the rest of the process keeps it.
func TestDryRunWithoutCapNetRaw(t *testing.T) {
	spec, _ := listeners(t, 1)
	cfg := config(t, "127.0.0.1", spec)
	check := func() {
		if err := rawPermitted(); !errors.Is(err, ErrPrivilege) {
			t.Fatalf("rawPermitted: %v, want ErrPrivilege", err)
		}
		p, err := DryRun(cfg)
		if err != nil || p.Method != Connect || !errors.Is(p.Fallback, ErrPrivilege) {
			t.Errorf("DryRun with Auto: %v, %v (%v); want Connect for lack of privilege", err, p.Method, p.Fallback)
		}
		raw := cfg
		raw.Method = RawSocket
		if _, err := DryRun(raw); !errors.Is(err, ErrPrivilege) {
			t.Errorf("DryRun with RawSocket: %v, want ErrPrivilege", err)
		}
	}
	if rawPermitted() != nil {
		check()
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
		var data [2]unix.CapUserData
		if err := unix.Capget(&hdr, &data[0]); err != nil {
			t.Error(err)
			return
		}
		data[unix.CAP_NET_RAW/32].Effective &^= 1 << (unix.CAP_NET_RAW % 32)
		if err := unix.Capset(&hdr, &data[0]); err != nil {
			t.Error(err)
			return
		}
		check()
	}()
	<-done
	if err := rawPermitted(); err != nil {
		t.Errorf("after the test thread ended: %v", err)
	}
}
