// Package target describes what a scan probes and in which order: IPv4
// targets and TCP port specs parsed into range lists, the Space of
// (host, port) probes they span, a keyed Permutation of that space, the
// Shard of it that one scanner instance covers, and the blocklist of
// special-purpose address space (RFC 6890) that a sweep skips.
package target
