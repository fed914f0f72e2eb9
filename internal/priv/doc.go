// Package priv gives up a process's privileges for good once it has opened
// what needed them: every capability (capabilities(7)) on every thread, the
// right to gain more (no_new_privs, prctl(2)) and, under sudo(8), root
// itself, for the user who ran sudo.
package priv
