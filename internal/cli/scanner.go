package cli

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"

	"github.com/trawlscan/trawl/internal/engine"
	"github.com/trawlscan/trawl/internal/netio"
	"github.com/trawlscan/trawl/internal/route"
	"github.com/trawlscan/trawl/pkg/syncookie"
)

// Defaults for the raw scan, documented in the README.
const (
	// defaultRate paces scans of anything but loopback when --rate is not
	// given: about zmap's default, far above masscan's 100/s.
	defaultRate = 10000
	// defaultBurst probes go at full speed first, so that a small scan
	// (a /24 × 40 ports, a host × 1-10000) finishes as fast as nmap's.
	defaultBurst = 10000
	// captureBuffer is the capture's kernel ring. libpcap maps and touches
	// all of it, so it counts in full towards peak RSS (64 MiB measured as
	// 81 MB RSS); 8 MiB holds about 0.1 s of replies at 400k/s.
	captureBuffer = 8 << 20
	// batch is the sendmmsg batch; larger ones measured no faster.
	batch = 64
	// senderRate is what one sender reaches in the lab on 2 cores
	// (334-364k probes/s) with room to spare; above it trawl adds a
	// sender, up to maxSenders (2 reached 438-485k; 3 were no faster).
	senderRate = 200000
	maxSenders = 2
)

// openScanner opens the raw SYN scan for p, or, if that is not permitted
// or --connect is given, the connect() scan. --send-eth and --send-ip ask
// for raw packets, so with either a lack of privilege is an error. It
// reports which scan it chose.
func openScanner(o *options, p *plan, stderr io.Writer) (scanner, bool, error) {
	if !o.connect {
		sc, err := openRaw(o, p)
		if err == nil {
			return sc, false, nil
		}
		if !errors.Is(err, netio.ErrPrivilege) || o.sendEth || o.sendIP {
			return nil, false, err
		}
		fmt.Fprintf(stderr, "trawl: raw SYN scan not permitted (%v); falling back to a connect() scan\n", err)
	}
	sc, err := openConnect(o, p)
	return sc, true, err
}

// rawScanner adapts the engine to scanner.
type rawScanner struct {
	*engine.Engine
	closers []func()
}

func (r *rawScanner) progress() progress {
	s := r.Stats()
	return progress{total: s.Total, position: s.Position, pass: s.Pass, sent: s.Sent, replies: s.Replies, open: s.Open,
		closed: s.Closed, invalid: s.Invalid, dups: s.Duplicates, drops: s.Dropped, failed: s.SendFailed}
}

func (r *rawScanner) close() {
	for _, c := range r.closers {
		c()
	}
}

// openRaw opens the senders and the capture for a raw SYN scan of p.
func openRaw(o *options, p *plan) (*rawScanner, error) {
	// One lookup serves the source, the capture and the send path.
	rt, rtErr := route.Get(p.first)
	src, iface, err := localEnd(o, rt, rtErr)
	if err != nil {
		return nil, err
	}
	sport := uint16(o.sourcePort)
	if sport == 0 {
		var b [2]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, err
		}
		sport = 61000 + binary.LittleEndian.Uint16(b[:])%4536
	}
	key, err := syncookie.NewKey()
	if err != nil {
		return nil, fmt.Errorf("cookie key: %w", err)
	}
	cfg := engine.Config{
		Space: p.space, Perm: p.perm, Start: p.start, End: p.end,
		Source: src, SourcePort: sport, Key: key,
		Rate: o.rate, Retries: o.retries, Wait: o.wait, Closed: o.showClosed,
	}
	if !o.rateSet {
		cfg.Rate, cfg.Burst = 0, 0
		if !p.loopback {
			cfg.Rate, cfg.Burst = defaultRate, defaultBurst
		}
	}
	n := o.senders
	if n == 0 {
		n = maxSenders
		if cfg.Rate > 0 {
			n = min(maxSenders, 1+int(cfg.Rate/senderRate))
		}
	}
	frameIf, nextHop, err := framesTo(o, p, rt, rtErr)
	if err != nil && o.sendEth {
		return nil, fmt.Errorf("--send-eth: %w", err)
	}
	sc := &rawScanner{}
	var senders []*netio.Sender
	for range n {
		var s *netio.Sender
		if nextHop != nil {
			s, err = netio.OpenFrameSender(frameIf, nextHop, batch)
		} else {
			s, err = netio.OpenSender(src, o.iface, batch)
		}
		if err != nil {
			sc.close()
			return nil, err
		}
		senders = append(senders, s)
		sc.closers = append(sc.closers, func() { s.Close() })
	}
	capture, err := netio.OpenCapture(iface, src, sport, captureBuffer)
	if err != nil {
		sc.close()
		return nil, err
	}
	sc.closers = append(sc.closers, capture.Close)
	if sc.Engine, err = engine.New(cfg, senders, capture); err != nil {
		sc.close()
		return nil, err
	}
	return sc, nil
}

// framesTo returns the interface and the gateway's MAC to send the probes
// to as Ethernet frames, which skip the kernel's IP layer: 6-32% more
// probes/s in the lab. rt is the route to the first target, or rtErr why
// there is none. It returns an error saying why not when the raw IPv4
// socket must send them: --send-ip, no route, --interface other than the
// route's, a non-Ethernet interface (loopback, tunnels), on-link targets
// (each has a MAC of its own), a route table that would send some target
// elsewhere (route.AllVia), or a gateway the kernel's neighbour table has
// no usable MAC for. trawl sends nothing to resolve one; with the raw
// socket the kernel resolves it.
func framesTo(o *options, p *plan, rt route.Route, rtErr error) (string, net.HardwareAddr, error) {
	if o.sendIP {
		return "", nil, errors.New("--send-ip given")
	}
	if rtErr != nil {
		return "", nil, rtErr
	}
	switch {
	case o.iface != "" && o.iface != rt.Interface:
		return "", nil, fmt.Errorf("--interface %s is not %s, the route's to %v", o.iface, rt.Interface, p.first)
	case len(rt.HardwareAddr) != 6:
		return "", nil, fmt.Errorf("interface %s is not Ethernet", rt.Interface)
	case !rt.Gateway.IsValid():
		return "", nil, fmt.Errorf("%v is on-link on %s, with no gateway", p.first, rt.Interface)
	}
	if err := route.AllVia(p.space.Ranges(), rt.Index, rt.Gateway); err != nil {
		return "", nil, err
	}
	hw, err := route.Neighbour(rt.Index, rt.Gateway)
	if err != nil {
		return "", nil, fmt.Errorf("gateway %v on %s: %w", rt.Gateway, rt.Interface, err)
	}
	return rt.Interface, hw, nil
}

// localEnd picks the probes' source address and the capture interface:
// the flags if given, else those of rt, the kernel's route to the first
// target (or rtErr, when there is none).
func localEnd(o *options, rt route.Route, rtErr error) (netip.Addr, string, error) {
	src, iface := o.sourceIP, o.iface
	if !src.IsValid() || iface == "" {
		if rtErr != nil {
			return src, "", fmt.Errorf("find source address and interface (give --source-ip and --interface): %w", rtErr)
		}
		if !src.IsValid() {
			src = rt.Source
		}
		if iface == "" {
			iface = rt.Interface
		}
	}
	return src, iface, nil
}
