// Package deps holds only a test that enforces trawl's import boundaries:
// pkg/ is pure Go and imports nothing of internal/, only internal/netio
// captures with libpcap, and cmd/ goes through internal/cli alone.
package deps
