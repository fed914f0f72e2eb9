// Package deps holds only tests of the repository's shape: its import
// boundaries (pkg/ is pure Go and imports nothing of internal/ except
// through the pkg/scan seam, only internal/netio captures with libpcap,
// cmd/ goes through internal/cli alone, and internal/cli reaches the
// engine only through pkg/scan), and its Makefile and docs.
package deps
