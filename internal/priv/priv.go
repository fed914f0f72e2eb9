package priv

import (
	"fmt"
	"os"
	"os/user"
	"slices"
	"strconv"
)

// User is a user for Drop to become: the real, effective and saved user
// and group IDs and the supplementary groups.
type User struct {
	UID, GID int
	// Groups are the supplementary group IDs. Nil or empty means none.
	Groups []int
}

// SudoUser returns the user who ran sudo, from the SUDO_UID and SUDO_GID
// that sudo(8) sets, read with getenv (os.Getenv), with that user's
// supplementary groups as the system's user database lists them (none if
// it does not know the user): the user whose files a scan run with sudo
// should create. It returns nil when the process is not root (its real or
// effective user ID is not 0, as with sudo -u someone), when SUDO_UID is
// unset, or when root ran sudo: then there is nobody to become, or no power
// to become them. A SUDO_UID or SUDO_GID that is not a user or group ID is
// an error naming it.
func SudoUser(getenv func(string) string) (*User, error) {
	if os.Getuid() != 0 || os.Geteuid() != 0 {
		return nil, nil
	}
	uidStr, gidStr := getenv("SUDO_UID"), getenv("SUDO_GID")
	if uidStr == "" {
		return nil, nil
	}
	uid, err := parseID("SUDO_UID", uidStr)
	if err != nil {
		return nil, err
	}
	if gidStr == "" {
		return nil, fmt.Errorf("SUDO_UID is %s but SUDO_GID is not set; sudo sets both", uidStr)
	}
	gid, err := parseID("SUDO_GID", gidStr)
	if err != nil {
		return nil, err
	}
	if uid == 0 {
		return nil, nil
	}
	return &User{UID: uid, GID: gid, Groups: groupsOf(uidStr)}, nil
}

// parseID reads a user or group ID from the environment variable name:
// a decimal from 0 to 2^32-2 (2^32-1 is the kernel's "no ID").
func parseID(name, s string) (int, error) {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n == 1<<32-1 {
		return 0, fmt.Errorf("%s=%q is not a user or group ID", name, s)
	}
	return int(n), nil
}

// groupsOf returns the group IDs that the user database lists for uid, or
// nil if it has no such user.
func groupsOf(uid string) []int {
	u, err := user.LookupId(uid)
	if err != nil {
		return nil
	}
	ids, err := u.GroupIds()
	if err != nil {
		return nil
	}
	var gids []int
	for _, s := range ids {
		if g, err := strconv.ParseUint(s, 10, 32); err == nil {
			gids = append(gids, int(g))
		}
	}
	slices.Sort(gids)
	return slices.Compact(gids)
}
