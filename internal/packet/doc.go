// Package packet builds trawl's TCP SYN probe (RFC 9293) over IPv4
// (RFC 791) once from a template and patches it per probe with incremental
// checksum updates (RFC 1624), and decodes the replies: SYN-ACKs, RSTs and
// ICMP destination unreachables (RFC 792) that quote a probe. Both
// directions run without allocating.
package packet
