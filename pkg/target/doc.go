// Package target describes what a scan probes and in which order: IPv4
// targets and TCP port specs parsed into range lists, the Space of
// (host, port) probes they span, a keyed Permutation of that space, and the
// Shard of it that one scanner instance covers.
package target
