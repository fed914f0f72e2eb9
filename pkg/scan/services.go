package scan

import (
	"context"
	"errors"
	"io/fs"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trawlscan/trawl/internal/banner"
	"github.com/trawlscan/trawl/internal/connect"
	"github.com/trawlscan/trawl/internal/svcprobe"
	"github.com/trawlscan/trawl/pkg/result"
	"github.com/trawlscan/trawl/pkg/target"
)

// DefaultServiceProbes is where Debian's nmap-common package installs
// nmap's service probe database, which Services.Probes defaults to.
const DefaultServiceProbes = svcprobe.DefaultPath

// DefaultServiceConcurrency is how many open ports the service stage
// probes at once when Services.Concurrency is 0 (fewer if the open-file
// limit is low): a port whose server says nothing holds its slot for a
// few seconds, so the stage needs many to keep up with a sweep.
const DefaultServiceConcurrency = 256

// Services asks a scan to learn what serves each open port it finds
// (--banners), as nmap -sV does: a follow-up connection through the
// kernel's TCP stack reads the server's greeting or its answers to
// nmap's probes, summarises a TLS handshake, and names the service from
// nmap's service probe database. The zero value of every field means
// its default.
type Services struct {
	// Probes is the path of a probe database in nmap-service-probes
	// format. Empty means DefaultServiceProbes or, when that file is
	// absent, a small built-in set (Plan.ServiceProbes says which).
	Probes string
	// Concurrency is the most open ports probed at once; each holds one
	// connection. Zero means DefaultServiceConcurrency, or half of what
	// the open-file limit leaves if that is less.
	Concurrency int
	// Timeout bounds everything learned of one port, all its
	// connections together; zero means 10 s.
	Timeout time.Duration
	// ReadTimeout bounds the wait for the first byte of each reply, the
	// greeting of a server that speaks first included; zero means 2 s.
	ReadTimeout time.Duration
}

// serviceStage probes each open result on its way to the caller, a
// bounded number at a time, and passes it on with what it learned: the
// result waits for its probe, the scan does not.
type serviceStage struct {
	grab    banner.Config
	workers int
	space   *target.Space
	perm    *target.Permutation

	ctx    context.Context // ends when Run's does
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	ready   sync.Cond      // signalled when queue grows or closes
	queue   []queued       // open results waiting for a worker
	closed  bool           // no more results will come
	pending map[uint64]int // positions of the results queued or in a probe

	outMu sync.Mutex // serializes calls to out
	out   func(result.Result)

	done, named atomic.Uint64 // ports probed; of those, named by a probe
}

// checkServices checks the fields of sc, if not nil, that need no file.
func checkServices(sc *Services) error {
	switch {
	case sc == nil:
		return nil
	case sc.Concurrency < 0:
		return configErrorf("Services.Concurrency", "%d: must be 1 or more", sc.Concurrency)
	case sc.Timeout < 0:
		return configErrorf("Services.Timeout", "%v: must be 0 or more", sc.Timeout)
	case sc.ReadTimeout < 0:
		return configErrorf("Services.ReadTimeout", "%v: must be 0 or more", sc.ReadTimeout)
	}
	return nil
}

// openServices loads the probe database cfg.Services asks for and
// returns the stage, recording in p which database it is. It returns nil
// without Config.Services. A database that cannot be read or parsed is
// a *ConfigError, except that an absent default file means the built-in
// set.
func openServices(cfg *Config, p *Plan) (*serviceStage, error) {
	sc := cfg.Services
	if sc == nil {
		return nil, nil
	}
	soft, _ := connect.RaiseFileLimit()
	most := max(1, (int(min(soft, 1<<20))-connect.FileHeadroom)/2)
	workers := min(DefaultServiceConcurrency, most)
	if sc.Concurrency > 0 {
		if sc.Concurrency > most {
			return nil, configErrorf("Services.Concurrency", "%d: more than the open-file limit of %d allows (at most %d)", sc.Concurrency, soft, most)
		}
		workers = sc.Concurrency
	}
	db, err := loadProbes(sc.Probes, p)
	if err != nil {
		return nil, err
	}
	st := &serviceStage{
		grab:    banner.Config{Matcher: probeMatcher{db}, Total: sc.Timeout, ReadTimeout: sc.ReadTimeout},
		workers: workers,
		space:   p.Space,
		perm:    target.NewPermutation(p.Space.Len(), p.Seed),
		pending: map[uint64]int{},
	}
	st.ready.L = &st.mu
	return st, nil
}

// loadProbes loads the probe database at path, DefaultServiceProbes if
// empty, and fills in p's Service fields.
func loadProbes(path string, p *Plan) (*svcprobe.DB, error) {
	name := path
	if name == "" {
		name = DefaultServiceProbes
	}
	db, stats, err := svcprobe.LoadFile(name)
	switch {
	case err != nil && path == "" && errors.Is(err, fs.ErrNotExist):
		db = svcprobe.Builtin()
		p.ServiceProbes, p.ServiceProbesMissing = db.Name(), true
		return db, nil
	case err != nil:
		return nil, &ConfigError{Field: "Services.Probes", Err: err}
	}
	p.ServiceProbes, p.ServiceMatches, p.ServiceSkipped = db.Name(), stats.Matches, stats.Skipped
	return db, nil
}

// queued is an open result waiting for a worker, with its probe's
// permutation position.
type queued struct {
	r   result.Result
	pos uint64
}

// start starts the workers, which pass what they learn to out, and
// returns the function the scanner below reports to. The workers stop
// probing when ctx ends, but every result still reaches out.
func (st *serviceStage) start(ctx context.Context, out func(result.Result)) func(result.Result) {
	st.ctx, st.cancel = context.WithCancel(ctx)
	st.out = out
	for range st.workers {
		st.wg.Add(1)
		go st.work()
	}
	return st.take
}

// take queues an open result for a worker and passes any other result
// on at once. An open result marked Suspect passes on unprobed: its host
// answers every port, and its servers would only waste the slots.
func (st *serviceStage) take(r result.Result) {
	if r.Status != result.StatusOpen || r.Suspect {
		st.emit(r)
		return
	}
	pos := position(st.space, st.perm, r)
	st.mu.Lock()
	st.queue = append(st.queue, queued{r, pos})
	st.pending[pos]++
	st.mu.Unlock()
	st.ready.Signal()
}

// finish waits until every queued result has been probed and passed on.
func (st *serviceStage) finish() {
	st.mu.Lock()
	st.closed = true
	st.mu.Unlock()
	st.ready.Broadcast()
	st.wg.Wait()
	st.cancel()
}

// work probes queued results until the queue is closed and empty.
func (st *serviceStage) work() {
	defer st.wg.Done()
	for {
		st.mu.Lock()
		for len(st.queue) == 0 && !st.closed {
			st.ready.Wait()
		}
		if len(st.queue) == 0 {
			st.mu.Unlock()
			return
		}
		q := st.queue[0]
		st.queue[0] = queued{}
		st.queue = st.queue[1:]
		st.mu.Unlock()

		st.probe(&q.r)
		st.emit(q.r)
		st.mu.Lock()
		if st.pending[q.pos]--; st.pending[q.pos] == 0 {
			delete(st.pending, q.pos)
		}
		st.mu.Unlock()
	}
}

// probe learns what serves r's port and sets r.Service; it leaves it nil
// if the scan was stopped before anything was learned.
func (st *serviceStage) probe(r *result.Result) {
	if st.ctx.Err() != nil {
		return
	}
	info := banner.Grab(st.ctx, st.grab, netip.AddrPortFrom(r.IP, r.Port))
	if st.ctx.Err() != nil && info.Method != result.MethodProbed && info.Banner == nil && info.TLS == nil {
		return // stopped before anything was learned
	}
	st.done.Add(1)
	if info.Method == result.MethodProbed {
		st.named.Add(1)
	}
	r.Service = serviceInfo(r.Port, info)
}

// emit passes r to the caller's out, one call at a time.
func (st *serviceStage) emit(r result.Result) {
	st.outMu.Lock()
	st.out(r)
	st.outMu.Unlock()
}

// resume returns the lowest permutation position of a result queued or
// being probed, or math.MaxUint64 if none is.
func (st *serviceStage) resume() uint64 {
	st.mu.Lock()
	defer st.mu.Unlock()
	r := ^uint64(0)
	for pos := range st.pending {
		r = min(r, pos)
	}
	return r
}

// serviceInfo turns what banner.Grab learned of port into the result's
// ServiceInfo, or nil if that is nothing. A port that nothing named gets
// nmap-services' name for it with method "table", as nmap -sV gives it;
// a TLS server whose inner service stayed unknown is that name inside
// TLS ("ssl/https?" in nmap's words). An HTTP reply's status line,
// Server header and title become its HTTP.
func serviceInfo(port uint16, info banner.Info) *result.ServiceInfo {
	s := &result.ServiceInfo{
		Name: info.Name, Product: info.Product, Version: info.Version, ExtraInfo: info.ExtraInfo,
		Hostname: info.Hostname, OSType: info.OSType, DeviceType: info.DeviceType, CPE: info.CPE,
		Method: info.Method, Conf: info.Conf, Banner: info.Banner,
	}
	if t := info.TLS; t != nil && (info.Tunnel == "ssl" || info.Name == "ssl") {
		s.TLS = &result.TLSInfo{
			Version: t.Version, Cipher: t.Cipher, ALPN: t.ALPN, Subject: t.Subject, Issuer: t.Issuer,
			SANs: t.SANs, NotBefore: t.NotBefore, NotAfter: t.NotAfter, SHA256: t.SHA256,
		}
		if info.Name == "ssl" {
			s.Name, s.Method, s.Conf = "", "", 0
		}
	}
	if info.HTTPStatus != "" || info.HTTPServer != "" || info.HTTPTitle != "" {
		s.HTTP = &result.HTTPInfo{Status: info.HTTPStatus, Server: info.HTTPServer, Title: info.HTTPTitle}
	}
	if s.Name == "" {
		if name := result.Service(port); name != "" {
			s.Name, s.Method, s.Conf = name, result.MethodTable, result.ConfTable
		}
	}
	if s.Name == "" && s.Banner == nil && s.TLS == nil && s.HTTP == nil {
		return nil // nothing known
	}
	return s
}

// probeMatcher is nmap's probe database as banner.Grab asks it: the
// probes of nmap's default intensity, and their match lines.
type probeMatcher struct{ db *svcprobe.DB }

func (m probeMatcher) Probes(port uint16, tls bool) []banner.Probe {
	ps := m.db.Probes(port, tls, svcprobe.DefaultIntensity)
	out := make([]banner.Probe, 0, len(ps))
	for _, p := range ps {
		out = append(out, banner.Probe{Name: p.Name, Payload: p.Payload})
	}
	return out
}

func (m probeMatcher) Match(probe string, reply []byte) (banner.Identity, bool) {
	var p *svcprobe.Probe // nil is the NULL probe
	if probe != banner.NullProbe {
		if p = m.db.Probe(probe); p == nil {
			return banner.Identity{}, false
		}
	}
	mt, ok := m.db.Match(p, reply)
	if !ok {
		return banner.Identity{}, false
	}
	return banner.Identity{
		Service: mt.Service, Product: mt.Product, Version: mt.Version, Info: mt.Info,
		Hostname: mt.Hostname, OSType: mt.OSType, DeviceType: mt.DeviceType, CPE: mt.CPE, Soft: mt.Soft,
	}, true
}

// position returns the permutation position of r's probe under perm, or
// 0 if r's probe is not in space.
func position(space *target.Space, perm *target.Permutation, r result.Result) uint64 {
	if i, ok := space.Lookup(target.FromNetip(r.IP), r.Port); ok {
		return perm.Pos(i)
	}
	return 0
}
