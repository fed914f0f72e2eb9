package priv

import (
	"os"
	"strings"
	"testing"
)

func TestSudoUser(t *testing.T) {
	root := os.Getuid() == 0 && os.Geteuid() == 0
	tests := []struct {
		name     string
		env      map[string]string
		uid, gid int    // 0: nil
		err      string // the error must name it
	}{
		{name: "not under sudo", env: map[string]string{}},
		{name: "root ran sudo", env: map[string]string{"SUDO_UID": "0", "SUDO_GID": "0"}},
		{name: "a user ran sudo", env: map[string]string{"SUDO_UID": "65534", "SUDO_GID": "65533"}, uid: 65534, gid: 65533},
		{name: "not a number", env: map[string]string{"SUDO_UID": "alice", "SUDO_GID": "100"}, err: "alice"},
		{name: "no group", env: map[string]string{"SUDO_UID": "1000"}, err: "SUDO_GID"},
		{name: "bad group", env: map[string]string{"SUDO_UID": "1000", "SUDO_GID": "-1"}, err: "-1"},
		{name: "the kernel's no ID", env: map[string]string{"SUDO_UID": "4294967295", "SUDO_GID": "100"}, err: "4294967295"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := SudoUser(func(k string) string { return tt.env[k] })
			switch {
			case !root:
				// Not root: nobody to become, whatever the environment.
				if u != nil || err != nil {
					t.Errorf("not root: SudoUser = %+v, %v; want nil, nil", u, err)
				}
			case tt.err != "":
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("SudoUser = %+v, %v; want an error naming %q", u, err, tt.err)
				}
			case tt.uid == 0:
				if u != nil || err != nil {
					t.Errorf("SudoUser = %+v, %v; want nil, nil", u, err)
				}
			case err != nil || u == nil || u.UID != tt.uid || u.GID != tt.gid:
				t.Errorf("SudoUser = %+v, %v; want uid %d gid %d", u, err, tt.uid, tt.gid)
			}
		})
	}
}
