package result

import (
	"errors"
	"fmt"
	"strconv"
)

// Reason is why a port has its Status, in nmap's words (nmap's
// portreasons.cc), as nmap writes it with --reason and in its XML. The zero
// value, ReasonNone, means the reason is not known.
type Reason uint8

// The reasons trawl gives.
const (
	// ReasonNone is the zero Reason: not known. Encoders that must write
	// a reason (XML) derive one from the Status.
	ReasonNone Reason = iota
	// ReasonSYNACK, "syn-ack": the port answered a SYN with a SYN-ACK, or
	// accepted a connection.
	ReasonSYNACK
	// ReasonReset, "reset": the port answered a SYN with a RST.
	ReasonReset
	// ReasonConnRefused, "conn-refused": connect() was refused, the
	// connect() scan's word for a RST.
	ReasonConnRefused
	// ReasonNoResponse, "no-response": nothing came back after every try.
	ReasonNoResponse
	// ReasonNetUnreach, "net-unreach": ICMP destination unreachable, code 0
	// (network unreachable), or the connect() scan's ENETUNREACH.
	ReasonNetUnreach
	// ReasonHostUnreach, "host-unreach": ICMP destination unreachable, code
	// 1 (host unreachable), or the connect() scan's EHOSTUNREACH.
	ReasonHostUnreach
	// ReasonProtoUnreach, "proto-unreach": ICMP destination unreachable,
	// code 2 (protocol unreachable).
	ReasonProtoUnreach
	// ReasonPortUnreach, "port-unreach": ICMP destination unreachable, code
	// 3 (port unreachable), as a firewall's "reject" sends.
	ReasonPortUnreach
	// ReasonNetProhibited, "net-prohibited": ICMP destination unreachable,
	// code 9 (network administratively prohibited).
	ReasonNetProhibited
	// ReasonHostProhibited, "host-prohibited": ICMP destination
	// unreachable, code 10 (host administratively prohibited).
	ReasonHostProhibited
	// ReasonAdminProhibited, "admin-prohibited": ICMP destination
	// unreachable, code 13 (communication administratively prohibited).
	ReasonAdminProhibited
	// ReasonNoRoute, "no-route": ICMPv6 destination unreachable, code 0
	// (no route to destination).
	ReasonNoRoute
	// ReasonBeyondScope, "beyond-scope": ICMPv6 destination unreachable,
	// code 2 (beyond scope of source address).
	ReasonBeyondScope
	// ReasonRejectRoute, "reject-route": ICMPv6 destination unreachable,
	// code 6 (reject route to destination).
	ReasonRejectRoute

	maxReason = ReasonRejectRoute
)

// reasonNames are nmap's words for the reasons, indexed by Reason.
var reasonNames = [...]string{
	ReasonNone:            "",
	ReasonSYNACK:          "syn-ack",
	ReasonReset:           "reset",
	ReasonConnRefused:     "conn-refused",
	ReasonNoResponse:      "no-response",
	ReasonNetUnreach:      "net-unreach",
	ReasonHostUnreach:     "host-unreach",
	ReasonProtoUnreach:    "proto-unreach",
	ReasonPortUnreach:     "port-unreach",
	ReasonNetProhibited:   "net-prohibited",
	ReasonHostProhibited:  "host-prohibited",
	ReasonAdminProhibited: "admin-prohibited",
	ReasonNoRoute:         "no-route",
	ReasonBeyondScope:     "beyond-scope",
	ReasonRejectRoute:     "reject-route",
}

// ErrInvalidReason is wrapped by errors for a Reason, or a reason name,
// that trawl does not know.
var ErrInvalidReason = errors.New("invalid reason")

// String returns nmap's word for r, such as "syn-ack" or "port-unreach";
// "" for ReasonNone, and "Reason(N)" for a value out of range.
func (r Reason) String() string {
	if r > maxReason {
		return "Reason(" + strconv.Itoa(int(r)) + ")"
	}
	return reasonNames[r]
}

// ParseReason returns the Reason that String names: one of nmap's words
// that trawl gives, exactly as String writes it. "" and any other word
// give an error wrapping ErrInvalidReason.
func ParseReason(s string) (Reason, error) {
	for r := ReasonNone + 1; r <= maxReason; r++ {
		if reasonNames[r] == s {
			return r, nil
		}
	}
	return ReasonNone, fmt.Errorf("%w %q: want one of nmap's words, such as syn-ack, reset or port-unreach", ErrInvalidReason, s)
}

// UnreachReason returns the Reason for an ICMP destination unreachable
// message (type 3) of the given code that quotes a TCP probe, and whether
// that code makes the port filtered. As nmap does, codes 0, 1, 2, 3, 9, 10
// and 13 do; the others (fragmentation needed, source route failed and
// the rest) say nothing about the port.
func UnreachReason(code uint8) (Reason, bool) {
	switch code {
	case 0:
		return ReasonNetUnreach, true
	case 1:
		return ReasonHostUnreach, true
	case 2:
		return ReasonProtoUnreach, true
	case 3:
		return ReasonPortUnreach, true
	case 9:
		return ReasonNetProhibited, true
	case 10:
		return ReasonHostProhibited, true
	case 13:
		return ReasonAdminProhibited, true
	}
	return ReasonNone, false
}

// Unreach6Reason returns the Reason for an ICMPv6 destination unreachable
// (RFC 4443 §3.1) of code, as nmap gives it: 0 no-route, 1 and 5
// admin-prohibited (prohibited; failed ingress or egress policy), 2
// beyond-scope, 3 host-unreach (address unreachable), 4 port-unreach, 6
// reject-route. Each makes the port filtered. For any other code it
// returns false: the message says nothing about the port.
func Unreach6Reason(code uint8) (Reason, bool) {
	switch code {
	case 0:
		return ReasonNoRoute, true
	case 1, 5:
		return ReasonAdminProhibited, true
	case 2:
		return ReasonBeyondScope, true
	case 3:
		return ReasonHostUnreach, true
	case 4:
		return ReasonPortUnreach, true
	case 6:
		return ReasonRejectRoute, true
	}
	return ReasonNone, false
}
