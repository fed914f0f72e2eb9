// Package syncookie computes and checks the stateless TCP SYN cookies that
// trawl puts in each probe's sequence number: SipHash-2-4 (Aumasson and
// Bernstein, 2012) under a per-scan 128-bit key over the probe's 4-tuple,
// IPv4 (Compute) or IPv6 (Compute6), so that a reply is recognised as ours,
// and matched to its probe, with no per-probe state.
package syncookie
