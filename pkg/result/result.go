package result

import (
	"cmp"
	"errors"
	"fmt"
	"net/netip"
	"slices"
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
	// StatusFiltered means the port did not answer, or an ICMP
	// unreachable came back instead.
	StatusFiltered
)

// ErrInvalidStatus is wrapped by errors for a Status, or a status name, that
// is not open, closed or filtered.
var ErrInvalidStatus = errors.New("invalid port status")

// ErrInvalidAddr is wrapped by errors for a Result, or an address read
// back, that no format holds: the zero netip.Addr, an IPv6 address with a
// zone, or an IPv4-mapped IPv6 address (::ffff:198.18.0.1), which must be
// given as the IPv4 address it maps.
var ErrInvalidAddr = errors.New("invalid address")

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
	// IP is the address of the target: IPv4, or IPv6 without a zone.
	// An IPv4 host is given as IPv4, never as an IPv4-mapped IPv6
	// address, so that it has one spelling, one host record and one
	// dedup key in every format; the encoders reject a mapped address
	// rather than unmap it behind the caller's back.
	IP netip.Addr
	// Port is the target's TCP port.
	Port uint16
	// Status is what the port was found to be.
	Status Status
	// TTL is the IP time-to-live of the target's TCP reply, the SYN-ACK or
	// RST; 0 if there was none, as in a connect() scan or for a filtered
	// port.
	TTL uint8
	// Reason is why the port has its Status, in nmap's words; ReasonNone
	// if not known.
	Reason Reason
	// ReasonTTL is the IP time-to-live of the reply that gave Reason: TTL
	// for a SYN-ACK or RST, the ICMP message's for an unreachable (which a
	// router on the way may have sent), and 0 when no packet gave it
	// (no-response, a connect() scan).
	ReasonTTL uint8
	// Time is when the reply was seen. Encoders write it to the second.
	Time time.Time
	// Suspect marks an open port of a host that answers nearly every
	// port it is probed on with a SYN-ACK: a SYN proxy, a tarpit or a
	// firewall answering for the host, whose open ports say nothing of
	// its services. The JSON formats write "suspect":true, XML a <script
	// id="trawl-suspect"> in the <port>, and grepable a "Suspect: yes"
	// field on the host's line (for open ports only); plain and list
	// have no place for it. False means not marked.
	Suspect bool
	// Service, if not nil, is what a follow-up connection (--banners)
	// learned of an open port. Each format writes what it has a place
	// for (see Format); nil writes exactly what a result without one
	// always has. Encoders only read it, so results may share one.
	Service *ServiceInfo
}

// check returns an error if r cannot be encoded: its IP is not one
// checkAddr takes, its Status is invalid or its Reason is out of range.
func (r Result) check() error {
	if err := checkAddr(r.IP); err != nil {
		return fmt.Errorf("result for port %d: %w", r.Port, err)
	}
	if !r.Status.valid() {
		return fmt.Errorf("result for %v port %d: %w %d", r.IP, r.Port, ErrInvalidStatus, r.Status)
	}
	if r.Reason > maxReason {
		return fmt.Errorf("result for %v port %d: %w %d", r.IP, r.Port, ErrInvalidReason, r.Reason)
	}
	return nil
}

// checkAddr returns an error wrapping ErrInvalidAddr unless ip is an IPv4
// address, or an IPv6 address that has no zone and is not IPv4-mapped:
// the addresses every format writes, and every reader gives back.
func checkAddr(ip netip.Addr) error {
	switch {
	case !ip.IsValid():
		return fmt.Errorf("%w: no address", ErrInvalidAddr)
	case ip.Zone() != "":
		return fmt.Errorf("%w %v: a zone has no place in the formats; give the address without %%%s", ErrInvalidAddr, ip, ip.Zone())
	case ip.Is4In6():
		return fmt.Errorf("%w %v: IPv4-mapped; give the IPv4 address %v", ErrInvalidAddr, ip, ip.Unmap())
	}
	return nil
}

// Service returns nmap's name for the TCP service usually found on port, such
// as "http" for 80: from the nmap-services table that LoadServices loaded,
// else from a small built-in table of well-known ports. It returns "" for
// a port not in the table.
func Service(port uint16) string {
	table := services
	if t := loaded.Load(); t != nil {
		table = *t
	}
	i, ok := slices.BinarySearchFunc(table, port, func(s service, p uint16) int { return cmp.Compare(s.port, p) })
	if !ok {
		return ""
	}
	return table[i].name
}

// service is a row of the table Service reads.
type service struct {
	port uint16
	name string
}

// services holds nmap's names (from its nmap-services file) for the TCP
// ports trawl names without LoadServices, sorted by port for Service's
// binary search.
var services = []service{
	{21, "ftp"},
	{22, "ssh"},
	{23, "telnet"},
	{25, "smtp"},
	{53, "domain"},
	{79, "finger"},
	{80, "http"},
	{88, "kerberos-sec"},
	{110, "pop3"},
	{111, "rpcbind"},
	{113, "ident"},
	{135, "msrpc"},
	{139, "netbios-ssn"},
	{143, "imap"},
	{179, "bgp"},
	{389, "ldap"},
	{443, "https"},
	{445, "microsoft-ds"},
	{465, "smtps"},
	{514, "shell"},
	{515, "printer"},
	{548, "afp"},
	{554, "rtsp"},
	{587, "submission"},
	{631, "ipp"},
	{636, "ldapssl"},
	{993, "imaps"},
	{995, "pop3s"},
	{1433, "ms-sql-s"},
	{1521, "oracle"},
	{1723, "pptp"},
	{2049, "nfs"},
	{3306, "mysql"},
	{3389, "ms-wbt-server"},
	{5060, "sip"},
	{5432, "postgresql"},
	{5900, "vnc"},
	{6379, "redis"},
	{8000, "http-alt"},
	{8008, "http"},
	{8080, "http-proxy"},
	{8443, "https-alt"},
	{11211, "memcache"},
	{27017, "mongod"},
}
