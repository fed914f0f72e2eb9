package banner

import (
	"context"
	"net"
	"net/netip"
	"time"
)

// The defaults that a zero Config field stands for.
const (
	// DefaultConnectTimeout bounds each TCP connect and each TLS handshake.
	DefaultConnectTimeout = 3 * time.Second

	// DefaultReadTimeout is how long Grab waits for the first byte of a
	// reply, including the server's greeting when it speaks first. A
	// greeting (SSH, SMTP, FTP, POP3, IMAP, MySQL) is sent as soon as the
	// connection is accepted, so it arrives one round trip after the
	// handshake: 2 s covers a satellite path several times over. nmap's
	// NULL probe waits 6 s, which triples the cost of every port whose
	// server does not speak first (HTTP, most of them), for the few
	// servers that greet only after a reverse-DNS or ident lookup times
	// out.
	DefaultReadTimeout = 2 * time.Second

	// DefaultTotal bounds everything Grab does for one port.
	DefaultTotal = 10 * time.Second

	// MaxBytesLimit is the most Grab reads of one reply, and so the most
	// it keeps per port. It is also the default.
	MaxBytesLimit = 4096

	// DefaultMaxProbes is how many probes Grab sends per port over plain
	// TCP, and again inside TLS.
	DefaultMaxProbes = 4
)

// Probe names that Grab passes to Matcher.Match, as nmap-service-probes
// names them.
const (
	// NullProbe names the bytes a server sent before Grab sent any: its
	// greeting.
	NullProbe = "NULL"

	// GetProbe names the reply to Grab's HTTP request, "GET / HTTP/1.0"
	// with a Host header. Grab sends it in place of the payload of any
	// probe so named, whose nmap form lacks the Host header that name-based
	// virtual hosts need.
	GetProbe = "GetRequest"
)

// Config tells Grab how to probe. Its zero value means the defaults: no
// identification, banners only. A Config is safe for concurrent use by
// many Grab calls as long as no one modifies it.
type Config struct {
	// Matcher identifies replies. Nil means no identification: Grab only
	// collects the banner, the HTTP fields and the TLS summary.
	Matcher Matcher

	// ConnectTimeout bounds each TCP connect and each TLS handshake.
	// Zero means DefaultConnectTimeout.
	ConnectTimeout time.Duration

	// ReadTimeout bounds the wait for the first byte of each reply,
	// including the greeting of a server that speaks first. Once a reply
	// has begun, Grab reads on while more bytes come within a quarter of
	// ReadTimeout of each other, and for at most ReadTimeout after the
	// first, so that a server that trickles bytes costs no more than one
	// that is silent. Zero means DefaultReadTimeout.
	ReadTimeout time.Duration

	// Total bounds everything Grab does for one port, all connections
	// together. Zero means DefaultTotal.
	Total time.Duration

	// MaxBytes is the most Grab reads of any one reply and keeps as the
	// banner; reading stops there. Zero, a negative value or one above
	// MaxBytesLimit means MaxBytesLimit.
	MaxBytes int

	// MaxProbes is how many probes Grab sends after the wait for the
	// server's greeting, each on a fresh connection, over plain TCP and
	// again inside TLS. Zero means DefaultMaxProbes; a negative value
	// means none, so that only the greeting and, on a TLS port, the
	// handshake are learned.
	MaxProbes int

	// Dial opens the TCP connections. Nil means a net.Dialer. Grab
	// bounds each call with a context that ends after ConnectTimeout.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Probe is a request that Grab sends to learn what serves a port.
type Probe struct {
	// Name names the probe to the Matcher, as nmap-service-probes does:
	// "GenericLines", "GetRequest". Grab passes it back to Match.
	Name string

	// Payload is what Grab writes once connected. A probe with an empty
	// Payload (nmap's NULL probe) is skipped: Grab always waits for the
	// server's greeting first.
	Payload []byte
}

// Identity is what a Matcher says about a reply. Its fields are those of
// an nmap-service-probes match line.
type Identity struct {
	// Service is the service name, as nmap names it: "ssh", "http".
	// "ssl" means a TLS server, which makes Grab speak TLS to the port.
	Service string

	// Product is the product name: "OpenSSH".
	Product string

	// Version is the product's version: "9.2p1".
	Version string

	// Info is free-form extra information: "protocol 2.0".
	Info string

	// Hostname is a host name that the reply gave away.
	Hostname string

	// OSType is the operating system that the reply gave away.
	OSType string

	// DeviceType is the kind of device: "router", "printer".
	DeviceType string

	// CPE lists Common Platform Enumeration names ("cpe:/a:openbsd:openssh:9.2p1").
	CPE []string

	// Soft marks a softmatch: the service is known but not the product,
	// so Grab goes on probing for a hard match.
	Soft bool
}

// Matcher identifies services from their replies, as nmap's
// nmap-service-probes database does. A Matcher must be safe for
// concurrent use by many Grab calls.
type Matcher interface {
	// Probes returns the probes worth sending to a service on port, best
	// first: those whose ports hint names the port, then by rarity. tls
	// says that the probes will travel inside a TLS session.
	Probes(port uint16, tls bool) []Probe

	// Match identifies reply, the bytes that the probe named probe drew
	// (NullProbe for a greeting). It reports false when nothing matches.
	// reply may be cut short at Config.MaxBytes, and Match must not keep
	// it past the call.
	Match(probe string, reply []byte) (Identity, bool)
}

// Info is what Grab learned about one port. Its first fields mirror
// nmap's service element and trawl's result.ServiceInfo.
type Info struct {
	// Name is the service name ("ssh", "http"), as the Matcher gave it;
	// empty when the Config had no Matcher. When nothing matched, Name
	// says what the probing itself showed, as nmap does: "http" for a
	// server that sent an HTTP reply, "ssl" for a TLS server whose inner
	// service stayed unknown, "tcpwrapped" for one that accepted the
	// connection and closed it without a word; else it is empty.
	Name string

	// Product, Version, ExtraInfo, Hostname, OSType and DeviceType are
	// the matching Identity's Product, Version, Info, Hostname, OSType and
	// DeviceType.
	Product, Version, ExtraInfo, Hostname, OSType, DeviceType string

	// CPE is the matching Identity's CPE.
	CPE []string

	// Method is "probed" when Name is set, as in nmap's XML; else empty.
	// Grab never looks a port up in a table.
	Method string

	// Conf is nmap's confidence in Name, out of 10: 10 for a match (hard
	// or soft), 8 for tcpwrapped, 0 when Name is empty.
	Conf uint8

	// Banner is the reply that named the service; else the server's
	// greeting; else its reply to GET /; else the first reply that any
	// probe drew. It holds at most Config.MaxBytes raw bytes, which may be
	// binary or invalid UTF-8; a reply from inside TLS is decrypted. Nil
	// when the server never sent a byte.
	Banner []byte

	// TLS describes the TLS session, when the port spoke TLS; else nil.
	// A server whose certificate crypto/tls cannot parse fails the
	// handshake, and so has none.
	TLS *TLSInfo

	// Tunnel is "ssl" when Name was learned inside TLS (an HTTPS server
	// is Name "http" with Tunnel "ssl", which nmap's XML shows as
	// tunnel="ssl" and its other outputs as "ssl/http"); else empty.
	Tunnel string

	// HTTPStatus is the status line of the server's HTTP reply to GET /
	// (else to another probe), such as "HTTP/1.1 200 OK"; empty when it
	// sent none. It and the two fields below are the server's bytes made
	// fit to print: valid UTF-8 on one line, control characters and runs
	// of white space as one space, at most 256 bytes.
	HTTPStatus string

	// HTTPServer is that reply's Server header, empty when it had none.
	HTTPServer string

	// HTTPTitle is the text of the first <title> element in that reply's
	// body, with HTML entities decoded, empty when it had none.
	HTTPTitle string

	// Err is why Grab learned nothing: the error of the first connection
	// attempt (refused, timed out) or of the context. It is nil once a
	// connection has been made; what a server does after that (silence,
	// resets, garbage) is what it said, not an error.
	Err error
}

// TLSInfo describes a TLS session and the server's certificate. Its fields
// mirror trawl's result.TLSInfo.
type TLSInfo struct {
	// Version is the negotiated protocol version: "TLS 1.3".
	Version string

	// Cipher is the negotiated cipher suite's IANA name:
	// "TLS_AES_128_GCM_SHA256".
	Cipher string

	// ALPN is the application protocol that the server chose among h2 and
	// http/1.1 (RFC 7301), empty if none.
	ALPN string

	// Subject is the leaf certificate's subject in RFC 2253 form:
	// "CN=example.com,O=Example". It and the names below are made fit to
	// print as Info's HTTP fields are.
	Subject string

	// Issuer is the leaf certificate's issuer in the same form.
	Issuer string

	// SANs lists the leaf certificate's subject alternative names: DNS
	// names first, then IP addresses; at most 64.
	SANs []string

	// NotBefore and NotAfter bound the leaf certificate's validity, in UTC.
	NotBefore, NotAfter time.Time

	// SHA256 is the SHA-256 fingerprint of the leaf certificate's DER
	// encoding, 64 lowercase hex digits.
	SHA256 string
}

// Grab connects to addr, learns what serves it and returns what it
// learned. It takes at most cfg.Total (or ctx's deadline, if sooner),
// whatever the server does, keeps at most cfg.MaxBytes of its replies and
// never fails: a connection that cannot be made is reported in Info.Err.
//
// It first waits cfg.ReadTimeout for the server's greeting, and stops if
// the Matcher names it for sure. Otherwise it sends the Matcher's probes
// for the port, each on a fresh connection (the first reuses the greeting
// connection if the server said nothing on it), and stops at a hard match
// or at an HTTP reply to GET /. The GET is among them even when the
// Matcher leaves it out, and comes next once another probe draws an HTTP
// reply. On a port where a client speaks first, HTTP (80, 8080) or TLS
// (443, 993), Grab begins with the GET or the TLS handshake instead of
// waiting. It speaks TLS when the port suggests it, when a reply looks
// like TLS or the Matcher says "ssl", or when the server said nothing to
// plain probes or hung up on them; it then summarises the session and
// probes again inside it. Without a Matcher it sends no probe but the
// GET, and none after a greeting.
//
// Grab is safe for concurrent use, as the Matcher must be.
func Grab(ctx context.Context, cfg Config, addr netip.AddrPort) Info {
	cfg = cfg.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, cfg.Total)
	defer cancel()
	deadline, _ := ctx.Deadline()
	g := &grab{
		ctx:      ctx,
		cfg:      cfg,
		addr:     netip.AddrPortFrom(addr.Addr().Unmap(), addr.Port()),
		deadline: deadline,
		buf:      make([]byte, cfg.MaxBytes),
	}
	g.run()
	return g.finish()
}

// withDefaults returns c with its zero fields replaced by the defaults.
func (c Config) withDefaults() Config {
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = DefaultReadTimeout
	}
	if c.Total <= 0 {
		c.Total = DefaultTotal
	}
	if c.MaxBytes <= 0 || c.MaxBytes > MaxBytesLimit {
		c.MaxBytes = MaxBytesLimit
	}
	switch {
	case c.MaxProbes == 0:
		c.MaxProbes = DefaultMaxProbes
	case c.MaxProbes < 0:
		c.MaxProbes = 0
	}
	if c.Dial == nil {
		var d net.Dialer
		c.Dial = d.DialContext
	}
	return c
}
