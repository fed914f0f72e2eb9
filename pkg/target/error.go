package target

import "strconv"

// SyntaxError reports an input token that does not parse: a target, an IPv4
// address, a port element or a shard. Every parse error in this package is,
// or wraps, a *SyntaxError, so callers can tell bad input from I/O failure
// with errors.As.
type SyntaxError struct {
	// Kind names what was being parsed: "target", "block" (of a
	// blocklist), "IPv4 address", "port" or "shard".
	Kind string
	// Token is the offending input, as given.
	Token string
	// Reason says what is wrong with Token and, where it helps, the fix.
	Reason string
}

// Error returns a message such as `bad target "10.0.0.0/33": prefix length 33 > 32`.
func (e *SyntaxError) Error() string {
	return "bad " + e.Kind + " " + strconv.Quote(e.Token) + ": " + e.Reason
}
