// Package lab builds a private test network for trawl's integration tests:
// a scan namespace joined by a veth pair to a target namespace whose kernel
// answers for all of 198.18.0.0/16 (RFC 2544 benchmarking space) and
// 2001:db8::/64 (RFC 3849 documentation space), with planted open ports,
// filtered blocks and random loss, driven by scripts/lab.sh.
package lab
