package banner

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/netip"
	"syscall"
	"time"
)

// How sure Grab is of what it keeps: a later reply replaces the kept one
// only when it ranks higher.
const (
	rankNone  = iota // nothing kept
	rankReply        // a reply that no match named
	rankSoft         // a softmatch
	rankHard         // a hard match: Grab stops
)

// grab is the state of one Grab call. It is used by one goroutine.
type grab struct {
	ctx      context.Context
	cfg      Config
	addr     netip.AddrPort
	deadline time.Time // end of cfg.Total or of ctx, whichever is sooner
	buf      []byte    // one reply, cfg.MaxBytes long, reused

	probes    [2]int  // probes sent so far: [0] plain, [1] inside TLS
	connected bool    // a connection has been made
	plainSaid bool    // a plain connection drew at least one byte
	wrapped   bool    // the server closed the greeting connection without a word
	wantTLS   bool    // a reply looked like TLS or the Matcher said "ssl"
	sslSaid   bool    // the Matcher said "ssl" of a plain reply
	tlsTried  bool    // a TLS handshake has been attempted
	getSent   [2]bool // GET / was sent: [0] plain, [1] inside TLS
	sawHTTP   [2]bool // an HTTP reply came: [0] plain, [1] inside TLS

	rank   int      // how sure the kept identity and banner are
	id     Identity // valid when rank >= rankSoft
	idFrom string   // probe that drew id
	tunnel bool     // id was learned inside TLS
	banner []byte   // the kept reply, a copy

	http     httpReply // the reply to GET /, else the first HTTP reply
	httpSet  bool
	httpFrom string // the probe that drew http

	info Info
}

// run probes the port in the order that Grab's comment describes.
func (g *grab) run() {
	port := g.addr.Port()
	if g.ctx.Err() != nil {
		g.info.Err = g.ctx.Err()
		return
	}
	if tlsPort(port) {
		if g.tryTLS() || g.stopped() {
			return
		}
	}
	if httpPort(port) && g.cfg.MaxProbes > 0 {
		if g.plainGet() || g.stopped() {
			return
		}
	}
	g.tryPlain()
}

// stopped reports whether Grab must not open another connection: the
// time is up, no connection could be made, or a hard match was found.
func (g *grab) stopped() bool {
	return g.info.Err != nil || g.rank == rankHard || g.ctx.Err() != nil
}

// canProbe reports whether another probe may be sent, plain or inside TLS.
func (g *grab) canProbe(tunnel bool) bool {
	return !g.stopped() && g.probes[tunnelIndex(tunnel)] < g.cfg.MaxProbes
}

// plainGet sends GET / over plain TCP before anything else, on a port
// where HTTP is expected, and reports whether that settled the port.
func (g *grab) plainGet() bool {
	c := g.dial()
	if c == nil {
		return false
	}
	defer c.close()
	g.getSent[0] = true
	_, _, stop := g.exchange(c, GetProbe, g.getRequest(false), false)
	return stop
}

// tryPlain waits for the server's greeting, then sends plain probes, then
// falls back to TLS.
func (g *grab) tryPlain() {
	c := g.dial()
	if c == nil {
		return
	}
	reply, end, stop := g.exchange(c, NullProbe, nil, false)
	if stop {
		c.close()
		return
	}
	if len(reply) == 0 && !isTimeout(end) {
		// Accepted, then closed or reset before a word: nmap's
		// tcpwrapped, and no probe would fare better.
		c.close()
		g.wrapped = true
		return
	}
	reuse := c // the server has said nothing on it, so it is as good as new
	if len(reply) > 0 {
		c.close()
		reuse = nil
		if g.cfg.Matcher == nil {
			return // banners only, and this is the banner
		}
	}
	ps := g.probeList(false)
	for i := 0; i < len(ps); i++ {
		p := ps[i]
		if g.wantTLS && !g.tlsTried {
			if g.tryTLS() || g.stopped() {
				break
			}
		}
		if !g.canProbe(false) {
			break
		}
		c, reuse = reuse, nil
		if c == nil {
			if c = g.dial(); c == nil {
				break
			}
		}
		if p.Name == GetProbe {
			g.getSent[0] = true
		}
		reply, end, stop := g.exchange(c, p.Name, p.Payload, false)
		c.close()
		if stop {
			break
		}
		if len(reply) == 0 && end != nil && !isTimeout(end) && !g.plainSaid {
			// Silent, then hung up on plain text: as a TLS server does.
			g.wantTLS = true
		}
		g.getNext(ps, i, false)
	}
	if reuse != nil {
		reuse.close()
	}
	if !g.stopped() && !g.tlsTried && g.cfg.MaxProbes > 0 && (g.wantTLS || !g.plainSaid) {
		g.tryTLS()
	}
}

// tryTLS speaks TLS to the port: it summarises the session, waits for a
// greeting inside it unless HTTP is expected, and sends the Matcher's TLS
// probes. It reports whether the server spoke TLS.
func (g *grab) tryTLS() bool {
	g.tlsTried = true
	c := g.dialTLS(alpnAll)
	if c == nil {
		return false
	}
	st := c.Conn.(*tls.Conn).ConnectionState()
	g.info.TLS = summarize(st)
	if st.NegotiatedProtocol == "h2" {
		// HTTP/2 frames would not answer an HTTP/1.0 request: the probes
		// go on a session that offers http/1.1 only.
		c.close()
		c = nil
	} else if !httpPort(g.addr.Port()) {
		reply, end, stop := g.exchange(c, NullProbe, nil, true)
		if stop || len(reply) > 0 && g.cfg.Matcher == nil {
			c.close()
			return true
		}
		if len(reply) > 0 || !isTimeout(end) {
			c.close()
			c = nil
		}
	}
	ps := g.probeList(true)
	for i := 0; i < len(ps); i++ {
		p := ps[i]
		if !g.canProbe(true) {
			break
		}
		if c == nil {
			if c = g.dialTLS(alpnHTTP1); c == nil {
				break
			}
		}
		if p.Name == GetProbe {
			g.getSent[1] = true
		}
		_, _, stop := g.exchange(c, p.Name, p.Payload, true)
		c.close()
		c = nil
		if stop {
			break
		}
		g.getNext(ps, i, true)
	}
	if c != nil {
		c.close()
	}
	return true
}

// probeList returns the probes to send, plain or inside TLS: the
// Matcher's, without the NULL probe or a GET already sent, and with
// Grab's GET in place of nmap's or added when the Matcher has none. Inside
// TLS the GET comes first, as HTTP is by far the likeliest service there.
// On plain TCP it keeps the Matcher's place, whose port hints know better,
// but no later than the last place that MaxProbes leaves room for: most
// HTTP servers are not on HTTP's ports.
func (g *grab) probeList(tunnel bool) []Probe {
	var ps []Probe
	if g.cfg.Matcher != nil {
		ps = g.cfg.Matcher.Probes(g.addr.Port(), tunnel)
	}
	t := tunnelIndex(tunnel)
	out := make([]Probe, 0, len(ps)+1)
	at := max(g.cfg.MaxProbes-g.probes[t]-1, 0) // where the GET goes
	for _, p := range ps {
		if p.Name == GetProbe {
			at = min(at, len(out))
		}
		if len(p.Payload) == 0 || p.Name == GetProbe {
			continue
		}
		out = append(out, p)
	}
	if tunnel {
		at = 0
	}
	if g.getSent[t] {
		return out
	}
	at = min(at, len(out))
	get := Probe{Name: GetProbe, Payload: g.getRequest(tunnel)}
	return append(out[:at], append([]Probe{get}, out[at:]...)...)
}

// getNext makes the GET the probe after ps[i] once another probe has
// drawn an HTTP reply, since only GET / shows the page's title and is what
// the Matcher knows HTTP servers by.
func (g *grab) getNext(ps []Probe, i int, tunnel bool) {
	t := tunnelIndex(tunnel)
	if !g.sawHTTP[t] || g.getSent[t] {
		return
	}
	for j := i + 1; j < len(ps); j++ {
		if ps[j].Name == GetProbe {
			get := ps[j]
			copy(ps[i+2:j+1], ps[i+1:j])
			ps[i+1] = get
			return
		}
	}
}

func tunnelIndex(tunnel bool) int {
	if tunnel {
		return 1
	}
	return 0
}

// note records what reply, drawn by probe, says, and reports whether Grab
// may stop reading it (a hard match, before the reply is complete) or
// stop probing (a hard match or an HTTP reply, once complete). match says
// whether to ask the Matcher; final, whether the reply is complete.
func (g *grab) note(probe string, reply []byte, tunnel, match, final bool) bool {
	if len(reply) == 0 {
		return false
	}
	if !tunnel {
		g.plainSaid = true
	}
	hard := false
	if match && g.cfg.Matcher != nil {
		if id, ok := g.cfg.Matcher.Match(probe, reply); ok && id.Service == "ssl" && !tunnel {
			// A TLS server: what it serves is learned inside TLS.
			g.wantTLS, g.sslSaid = true, true
		} else if ok {
			rank := rankHard
			if id.Soft {
				rank = rankSoft
			}
			if rank > g.rank || rank == rankSoft && g.rank == rankSoft && g.idFrom == probe && g.tunnel == tunnel {
				g.keep(rank, id, probe, reply, tunnel)
			}
			hard = rank == rankHard
		}
	}
	if !final {
		return hard
	}
	if g.rank == rankNone || g.rank == rankReply && replyPref(probe) > replyPref(g.idFrom) {
		g.keep(rankReply, Identity{}, probe, reply, tunnel)
	}
	if !tunnel && isTLSRecord(reply) {
		g.wantTLS = true
		return hard
	}
	h, ok := parseHTTP(reply)
	if !ok {
		return hard
	}
	if !g.httpSet || probe == GetProbe && g.httpFrom != GetProbe {
		g.http, g.httpSet, g.httpFrom = h, true, probe
	}
	if !tunnel && h.plainToTLS(reply) {
		g.wantTLS = true
		return hard
	}
	g.sawHTTP[tunnelIndex(tunnel)] = true
	return hard || probe == GetProbe
}

// replyPref ranks the replies that no match named, to choose the banner:
// the greeting, else the reply to GET /, else the first.
func replyPref(probe string) int {
	switch probe {
	case NullProbe:
		return 2
	case GetProbe:
		return 1
	}
	return 0
}

// keep makes reply, and what it says, the port's banner and identity.
func (g *grab) keep(rank int, id Identity, probe string, reply []byte, tunnel bool) {
	g.rank, g.id, g.idFrom, g.tunnel = rank, id, probe, tunnel
	g.banner = append(g.banner[:0], reply...)
}

// finish turns what Grab learned into an Info.
func (g *grab) finish() Info {
	info := g.info
	if info.Err != nil && g.connected {
		info.Err = nil
	}
	if len(g.banner) > 0 {
		info.Banner = g.banner
	}
	if g.rank >= rankSoft {
		id := g.id
		info.Name, info.Product, info.Version, info.ExtraInfo = id.Service, id.Product, id.Version, id.Info
		info.Hostname, info.OSType, info.DeviceType, info.CPE = id.Hostname, id.OSType, id.DeviceType, id.CPE
		if g.tunnel {
			info.Tunnel = "ssl"
		}
	} else if g.cfg.Matcher != nil {
		// Nothing matched: say what the probing itself showed.
		switch {
		case g.sawHTTP[1]:
			info.Name, info.Tunnel = "http", "ssl"
		case info.TLS != nil || g.sslSaid:
			info.Name = "ssl"
		case g.sawHTTP[0]:
			info.Name = "http"
		}
	}
	switch {
	case info.Name != "":
		info.Method, info.Conf = "probed", 10
	case g.cfg.Matcher != nil && g.wrapped:
		info.Name, info.Method, info.Conf = "tcpwrapped", "probed", 8
	}
	if g.httpSet {
		info.HTTPStatus, info.HTTPServer, info.HTTPTitle = g.http.status, g.http.server, g.http.title
	}
	return info
}

// conn is one connection of a grab: a TCP connection, or a TLS session
// over one.
type conn struct {
	net.Conn          // what Grab reads and writes
	raw      net.Conn // the TCP connection
	stop     func() bool
}

// close closes the TCP connection. Inside TLS it sends no close_notify
// alert, whose write could block on a server that does not read.
func (c *conn) close() {
	c.stop()
	c.raw.Close()
}

// dial opens a TCP connection, or returns nil when it cannot. The first
// failure, before any connection was made, is Grab's Err.
func (g *grab) dial() *conn {
	if g.ctx.Err() != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(g.ctx, g.cfg.ConnectTimeout)
	defer cancel()
	raw, err := g.cfg.Dial(ctx, "tcp", g.addr.String())
	if errors.Is(err, syscall.ECONNRESET) {
		// Accepted and reset before connect returned: a server that
		// wants nothing to do with this client, nmap's tcpwrapped.
		g.connected, g.wrapped = true, true
		return nil
	}
	if err != nil {
		if !g.connected && g.info.Err == nil {
			g.info.Err = err
		}
		return nil
	}
	g.connected = true
	// Caller cancellation interrupts blocked reads and writes at once.
	// Deadlines set later are clipped to g.deadline, and exchange checks
	// the context between reads, so a late SetDeadline cannot outlive it
	// by more than one read.
	stop := context.AfterFunc(g.ctx, func() { raw.SetDeadline(time.Unix(1, 0)) })
	return &conn{Conn: raw, raw: raw, stop: stop}
}

// dialTLS opens a TLS session offering the application protocols alpn,
// or returns nil when it cannot.
func (g *grab) dialTLS(alpn *tls.Config) *conn {
	c := g.dial()
	if c == nil {
		return nil
	}
	c.raw.SetDeadline(g.clip(time.Now().Add(g.cfg.ConnectTimeout)))
	tc := tls.Client(c.raw, alpn)
	if err := tc.HandshakeContext(g.ctx); err != nil {
		c.close()
		return nil
	}
	c.Conn = tc
	return c
}

// exchange writes payload, if any, to c and reads one reply into g.buf,
// within the bounds that Config.ReadTimeout describes. It returns the
// reply, which aliases g.buf, why reading ended (nil when the buffer
// filled or a match ended it), and whether Grab may stop probing.
func (g *grab) exchange(c *conn, probe string, payload []byte, tunnel bool) (reply []byte, end error, stop bool) {
	now := time.Now()
	if len(payload) > 0 {
		g.probes[tunnelIndex(tunnel)]++
		c.SetWriteDeadline(g.clip(now.Add(g.cfg.ReadTimeout)))
		if _, err := c.Write(payload); err != nil {
			return nil, err, false
		}
	}
	c.SetReadDeadline(g.clip(now.Add(g.cfg.ReadTimeout)))
	idle := g.cfg.ReadTimeout / 4
	var window time.Time // ReadTimeout after the first byte
	n, matched, empty := 0, 0, 0
	buf := g.buf
	// The Matcher sees the reply after the first read and then whenever it
	// has doubled, so a reply that arrives a byte at a time costs at most
	// log2(MaxBytes)+1 = 13 matches before the final one. An HTTP reply is
	// read to its end whatever matches, for its title.
	for n < len(buf) {
		k, err := c.Read(buf[n:])
		n += k
		if err != nil {
			end = err
			break
		}
		if k == 0 {
			if empty++; empty > 100 {
				end = io.ErrNoProgress
				break
			}
			continue
		}
		if err := g.ctx.Err(); err != nil {
			end = err
			break
		}
		now = time.Now()
		if window.IsZero() {
			window = g.clip(now.Add(g.cfg.ReadTimeout))
		}
		if n >= 2*matched && !bytes.HasPrefix(buf[:n], []byte("HTTP/")) {
			matched = n
			if g.note(probe, buf[:n], tunnel, true, false) {
				return buf[:n], nil, true
			}
		}
		d := now.Add(idle)
		if d.After(window) {
			d = window
		}
		c.SetReadDeadline(d)
	}
	reply = buf[:n]
	return reply, end, g.note(probe, reply, tunnel, n > matched, true)
}

// clip returns t, or the end of the grab if that is sooner.
func (g *grab) clip(t time.Time) time.Time {
	if t.After(g.deadline) {
		return g.deadline
	}
	return t
}

// isTimeout reports whether err is a deadline passing.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// isTLSRecord reports whether b begins like a TLS record from a server: a
// handshake or an alert (RFC 8446, section 5.1), as a TLS server sends to
// a client that spoke plain text to it.
func isTLSRecord(b []byte) bool {
	return len(b) >= 3 && (b[0] == 0x15 || b[0] == 0x16) && b[1] == 0x03 && b[2] <= 0x04
}
