package result

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"time"
)

// Proto is the transport protocol of every Result, as written in each format.
const Proto = "tcp"

// Status is what a probed port was found to be. The zero value is invalid.
type Status uint8

// The statuses a port can have.
const (
	// StatusInvalid is the zero Status; no encoder accepts it.
	StatusInvalid Status = iota
	// StatusOpen means the port answered a SYN with a SYN-ACK, or accepted
	// a connection.
	StatusOpen
	// StatusClosed means the port answered with a RST, or refused a
	// connection.
	StatusClosed
	// StatusFiltered means the port did not answer.
	StatusFiltered
)

// ErrInvalidStatus is wrapped by errors for a Status, or a status name, that
// is not open, closed or filtered.
var ErrInvalidStatus = errors.New("invalid port status")

// ErrNotIPv4 is wrapped by errors for a Result whose IP is not an IPv4
// address.
var ErrNotIPv4 = errors.New("address is not IPv4")

// String returns "open", "closed" or "filtered"; "invalid" for
// StatusInvalid, and "Status(N)" for a value out of range.
func (s Status) String() string {
	switch s {
	case StatusInvalid:
		return "invalid"
	case StatusOpen:
		return "open"
	case StatusClosed:
		return "closed"
	case StatusFiltered:
		return "filtered"
	}
	return "Status(" + strconv.Itoa(int(s)) + ")"
}

// valid reports whether s is open, closed or filtered.
func (s Status) valid() bool {
	return s >= StatusOpen && s <= StatusFiltered
}

// ParseStatus returns the Status named s, which must be "open", "closed" or
// "filtered", exactly as String writes it. Otherwise the error wraps
// ErrInvalidStatus.
func ParseStatus(s string) (Status, error) {
	switch s {
	case "open":
		return StatusOpen, nil
	case "closed":
		return StatusClosed, nil
	case "filtered":
		return StatusFiltered, nil
	}
	return StatusInvalid, fmt.Errorf("%w %q: want open, closed or filtered", ErrInvalidStatus, s)
}

// Result is the outcome of probing one TCP port of one host.
type Result struct {
	// IP is the IPv4 address of the target.
	IP netip.Addr
	// Port is the target's TCP port.
	Port uint16
	// Status is what the port was found to be.
	Status Status
	// TTL is the IP time-to-live of the reply; 0 if unknown, as in a
	// connect() scan or for a filtered port.
	TTL uint8
	// Time is when the reply was seen. Encoders write it to the second.
	Time time.Time
}

// check returns an error if r cannot be encoded: its IP is not IPv4, or its
// Status is invalid.
func (r Result) check() error {
	if !r.IP.Is4() {
		return fmt.Errorf("result for %v port %d: %w", r.IP, r.Port, ErrNotIPv4)
	}
	if !r.Status.valid() {
		return fmt.Errorf("result for %v port %d: %w %d", r.IP, r.Port, ErrInvalidStatus, r.Status)
	}
	return nil
}

// Service returns nmap's name for the TCP service usually found on port, such
// as "http" for 80, from a small built-in table of well-known ports; it
// returns "" for a port not in the table.
func Service(port uint16) string {
	switch port {
	case 21:
		return "ftp"
	case 22:
		return "ssh"
	case 23:
		return "telnet"
	case 25:
		return "smtp"
	case 53:
		return "domain"
	case 79:
		return "finger"
	case 80:
		return "http"
	case 88:
		return "kerberos-sec"
	case 110:
		return "pop3"
	case 111:
		return "rpcbind"
	case 113:
		return "ident"
	case 135:
		return "msrpc"
	case 139:
		return "netbios-ssn"
	case 143:
		return "imap"
	case 179:
		return "bgp"
	case 389:
		return "ldap"
	case 443:
		return "https"
	case 445:
		return "microsoft-ds"
	case 465:
		return "smtps"
	case 514:
		return "shell"
	case 515:
		return "printer"
	case 548:
		return "afp"
	case 554:
		return "rtsp"
	case 587:
		return "submission"
	case 631:
		return "ipp"
	case 636:
		return "ldapssl"
	case 993:
		return "imaps"
	case 995:
		return "pop3s"
	case 1433:
		return "ms-sql-s"
	case 1521:
		return "oracle"
	case 1723:
		return "pptp"
	case 2049:
		return "nfs"
	case 3306:
		return "mysql"
	case 3389:
		return "ms-wbt-server"
	case 5060:
		return "sip"
	case 5432:
		return "postgresql"
	case 5900:
		return "vnc"
	case 6379:
		return "redis"
	case 8000:
		return "http-alt"
	case 8008:
		return "http"
	case 8080:
		return "http-proxy"
	case 8443:
		return "https-alt"
	case 11211:
		return "memcache"
	case 27017:
		return "mongod"
	}
	return ""
}
