// Package engine runs one stateless SYN scan: sender goroutines walk a
// keyed permutation of the target space and send cookie-stamped SYNs at a
// paced rate, a receiver goroutine validates the replies' cookies (in the
// quoted probe, for an ICMP unreachable) and reports open, closed and
// filtered ports, and the engine retries unanswered probes and ends the
// scan when every probe is answered or the wait has passed.
package engine
