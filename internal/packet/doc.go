// Package packet builds trawl's TCP SYN probe (RFC 9293) over IPv4
// (RFC 791) and IPv6 (RFC 8200) once from a template and patches it per
// probe with incremental checksum updates (RFC 1624), and decodes the
// replies of both families: SYN-ACKs, RSTs, and the ICMP (RFC 792) and
// ICMPv6 (RFC 4443) destination unreachables that quote a probe. Both
// directions run without allocating.
package packet
