// Package banner learns what serves an open TCP port: it connects again
// through the kernel's TCP stack (so the kernel, not trawl, owns the
// session and no RST from it needs suppressing), keeps the server's first
// bytes or its answers to protocol hellos, asks a Matcher such as nmap's
// service probe database what they are, and describes TLS (RFC 8446)
// sessions and HTTP (RFC 9110) replies.
package banner
