//go:build linux

package lab

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Server is a real server, from a Debian package, that the lab runs in its
// target namespace: the ground truth of what answers on a port.
type Server struct {
	// Kind is what the server speaks: "ssh", "http", "https", "redis",
	// "ftp" or "smtp".
	Kind string

	// Addr is where it listens, an IPv4 address inside Space and the
	// kind's usual port.
	Addr netip.AddrPort

	// Name is the service name that nmap -sV gives it ("ssh", "http",
	// "redis", "ftp", "smtp"); an https server is "http", with Tunnel
	// "ssl".
	Name string

	// Tunnel is "ssl" when the service runs inside TLS, as nmap's XML
	// output says in the service element's tunnel attribute, and empty
	// otherwise. nmap's normal output writes it before the name:
	// "ssl/http".
	Tunnel string

	// Product is the product that nmap -sV names, such as "OpenSSH",
	// "nginx" or "Redis key-value store".
	Product string

	// Version is the version that nmap -sV reports, such as
	// "9.2p1 Debian 2+deb12u10" or "1.22.1", taken from the installed
	// server's own report of its version. Empty means unknown.
	Version string

	// Cert is the self-signed certificate an https server presents,
	// issued to ServerHost with ServerHost and the server's address as
	// its subject alternative names. It is nil for the other kinds.
	Cert *x509.Certificate
}

// ServerHost is the host name the lab's servers call themselves: the
// common name and a DNS name of the https server's certificate, and the
// SMTP server's primary host name. The .test domain is reserved for tests
// (RFC 6761).
const ServerHost = "trawl-lab.test"

// ServerTitle is the title of the page that the http and https servers
// serve at "/".
const ServerTitle = "trawl lab"

// serverStartTimeout bounds the wait for a server to accept a connection.
const serverStartTimeout = 10 * time.Second

// serverStopTimeout bounds the wait for a server to exit after SIGTERM,
// before SIGKILL.
const serverStopTimeout = 5 * time.Second

// serverKinds lists the servers StartServers knows, in the order of their
// addresses: the i-th gets base+i.
var serverKinds = []serverKind{
	{kind: "ssh", bins: []string{"sshd", "ssh", "ssh-keygen"}, port: 22, name: "ssh", product: "OpenSSH", setup: setupSSH},
	{kind: "http", bins: []string{"nginx"}, port: 80, name: "http", product: "nginx", setup: setupHTTP},
	{kind: "https", bins: []string{"nginx", "openssl"}, port: 443, name: "http", tunnel: "ssl", product: "nginx", setup: setupHTTP},
	{kind: "redis", bins: []string{"redis-server"}, port: 6379, name: "redis", product: "Redis key-value store", setup: setupRedis},
	{kind: "ftp", bins: []string{"vsftpd"}, port: 21, name: "ftp", product: "vsftpd", setup: setupFTP},
	{kind: "smtp", bins: []string{"exim4"}, port: 25, name: "smtp", product: "Exim smtpd", setup: setupSMTP},
}

// serverKind is what StartServers knows of one kind of server.
type serverKind struct {
	kind string
	// bins are the programs the kind needs; the first is the server.
	bins                  []string
	port                  uint16
	name, tunnel, product string
	setup                 func(s *serverSetup) error
}

// serverSetup is one server being prepared: setup writes its files into
// dir, sets argv, and fills in srv's Version and Cert.
type serverSetup struct {
	srv  *Server
	dir  string
	bins map[string]string // program name → absolute path
	argv []string          // the server's command line, argv[0] absolute
	logs []string          // log files it writes besides its output
}

// runningServer is a started server process.
type runningServer struct {
	srv  Server
	cmd  *exec.Cmd
	logs []string      // the file that holds its stdout and stderr, then its other logs
	done chan struct{} // closed when cmd.Wait returns
	err  error         // cmd.Wait's result, once done is closed
}

// StartServers starts, in l's target namespace, one server of each kind
// that this machine has installed: ssh (OpenSSH's sshd), http and https
// (nginx, with a self-signed certificate made by openssl), redis
// (redis-server), ftp (vsftpd) and smtp (Exim), in that order, on base,
// base+1 and so on, each on its kind's usual port (22, 80, 443, 6379, 21,
// 25). A kind keeps its address when others are missing. It skips, with a
// t.Log naming it, each kind whose programs are missing; make deps
// installs them all.
//
// Each server runs as root in the foreground with a configuration of its
// own in a temporary directory, bound to its address alone. StartServers
// returns when every one accepts a TCP connection from the scan
// namespace, and fails t with a server's output if it does not within
// 10 s. t.Cleanup stops every server (SIGTERM, then SIGKILL after 5 s,
// to the server, its process group and its descendants) and removes
// their files. base must be IPv4, and base+5 inside Space.
func (l *Lab) StartServers(t testing.TB, base netip.Addr) []Server {
	t.Helper()
	last := base
	for range len(serverKinds) - 1 {
		last = last.Next()
	}
	if !base.Is4() || !Space.Contains(base) || !Space.Contains(last) {
		t.Fatalf("lab.StartServers: base %v: want an IPv4 address with it and the %d after it inside %s", base, len(serverKinds)-1, Space)
	}

	// The servers drop privileges for some of their work, so the
	// directory must be open to every user; t.TempDir's parent is not.
	dir, err := os.MkdirTemp("", "trawl-lab-"+l.name+"-servers-")
	if err != nil {
		t.Fatalf("lab.StartServers: %v", err)
	}
	// Registered first, so that it runs after the servers have stopped.
	t.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("lab.StartServers: remove %s: %v", dir, err)
		}
	})
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatalf("lab.StartServers: %v", err)
	}

	var running []*runningServer
	addr := base
	for _, k := range serverKinds {
		here := addr
		addr = addr.Next()
		bins := map[string]string{}
		var missing []string
		for _, b := range k.bins {
			if p, err := lookPathSbin(b); err == nil {
				bins[b] = p
			} else {
				missing = append(missing, b)
			}
		}
		if len(missing) > 0 {
			t.Logf("lab.StartServers: no %s server: %s not installed (make deps installs them)", k.kind, strings.Join(missing, ", "))
			continue
		}
		s := &serverSetup{
			srv: &Server{
				Kind:    k.kind,
				Addr:    netip.AddrPortFrom(here, k.port),
				Name:    k.name,
				Tunnel:  k.tunnel,
				Product: k.product,
			},
			dir:  filepath.Join(dir, k.kind),
			bins: bins,
		}
		if err := os.Mkdir(s.dir, 0o755); err != nil {
			t.Fatalf("lab.StartServers: %v", err)
		}
		if err := k.setup(s); err != nil {
			t.Fatalf("lab.StartServers: set up %s server: %v", k.kind, err)
		}
		r := l.startServer(t, *s.srv, s.argv, append([]string{filepath.Join(s.dir, "output.log")}, s.logs...))
		running = append(running, r)
	}

	start := time.Now()
	for _, r := range running {
		if err := l.awaitServer(r, start.Add(serverStartTimeout)); err != nil {
			t.Fatalf("lab.StartServers: %s server (%s) on %v: %v\n%s", r.srv.Kind, strings.Join(r.cmd.Args[4:], " "), r.srv.Addr, err, r.output())
		}
	}
	servers := make([]Server, len(running))
	for i, r := range running {
		servers[i] = r.srv
	}
	return servers
}

// startServer starts argv in the target namespace, its output to
// logs[0], and registers t.Cleanup to stop it. It fails t if it cannot
// start.
func (l *Lab) startServer(t testing.TB, srv Server, argv []string, logs []string) *runningServer {
	t.Helper()
	out, err := os.Create(logs[0])
	if err != nil {
		t.Fatalf("lab.StartServers: %v", err)
	}
	defer out.Close()
	// ip netns exec execs the server in place, so cmd.Process is the
	// server itself.
	cmd := l.TargetCommand(context.Background(), argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{
		// Its own process group, so that stop reaches the workers it
		// forks (nginx's, and those serving a connection).
		Setpgid: true,
		// If the test process dies without its cleanups, the server
		// dies too.
		Pdeathsig: syscall.SIGKILL,
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("lab.StartServers: start %s server: %v", srv.Kind, err)
	}
	r := &runningServer{srv: srv, cmd: cmd, logs: logs, done: make(chan struct{})}
	go func() {
		r.err = cmd.Wait()
		close(r.done)
	}()
	t.Cleanup(func() {
		if err := r.stop(); err != nil {
			t.Errorf("lab.StartServers: stop %s server: %v", srv.Kind, err)
		}
	})
	return r
}

// output returns what r's server has written to its output and its logs,
// the last 8 KiB of each.
func (r *runningServer) output() string {
	var b strings.Builder
	for i, name := range r.logs {
		data, err := os.ReadFile(name)
		if err != nil || len(data) == 0 && i > 0 {
			continue
		}
		if len(data) > 8<<10 {
			data = data[len(data)-8<<10:]
		}
		if i > 0 {
			fmt.Fprintf(&b, "%s:\n", name)
		}
		b.Write(data)
	}
	return b.String()
}

// awaitServer waits until r accepts a TCP connection from the scan
// namespace, and fails if r exits first or deadline passes.
func (l *Lab) awaitServer(r *runningServer, deadline time.Time) error {
	for {
		select {
		case <-r.done:
			return fmt.Errorf("exited before it accepted a connection: %v", r.err)
		default:
		}
		var dialErr error
		err := l.inScan(func() error {
			conn, err := net.DialTimeout("tcp", r.srv.Addr.String(), 250*time.Millisecond)
			if err != nil {
				dialErr = err
				return nil
			}
			return conn.Close()
		})
		if err != nil {
			return err
		}
		if dialErr == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no connection within %v: %w", serverStartTimeout, dialErr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop ends r's server and every process it started. SIGTERM goes first
// to the server's descendants (those serving a connection may have left
// its process group, as sshd's do), so that the server, still running,
// reaps them; then to the server and its process group. Whatever is left
// after serverStopTimeout gets SIGKILL.
func (r *runningServer) stop() error {
	pid := r.cmd.Process.Pid
	kids := descendants(pid)
	for _, k := range kids {
		_ = syscall.Kill(k, syscall.SIGTERM)
	}
	waitGone(kids, time.Now().Add(serverStopTimeout))
	// Those forked since, such as the workers nginx respawns.
	kids = append(kids, descendants(pid)...)
	_ = syscall.Kill(-pid, syscall.SIGTERM)
	_ = syscall.Kill(pid, syscall.SIGTERM)
	select {
	case <-r.done:
		if waitGone(kids, time.Now().Add(serverStopTimeout)) {
			return nil
		}
	case <-time.After(serverStopTimeout):
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	_ = syscall.Kill(pid, syscall.SIGKILL)
	for _, k := range kids {
		_ = syscall.Kill(k, syscall.SIGKILL)
	}
	<-r.done
	if !waitGone(kids, time.Now().Add(serverStopTimeout)) {
		return fmt.Errorf("processes %v still run after SIGKILL", kids)
	}
	return nil
}

// waitGone waits until none of pids runs, or deadline passes, and
// reports whether none runs.
func waitGone(pids []int, deadline time.Time) bool {
	for anyAlive(pids) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// descendants returns the pids of every process below pid, from
// /proc's parent links.
func descendants(pid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if pp, ok := parentPID(p); ok {
			children[pp] = append(children[pp], p)
		}
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		out = append(out, children[p]...)
		queue = append(queue, children[p]...)
	}
	return out
}

// parentPID reads pid's parent from /proc/PID/stat.
func parentPID(pid int) (int, bool) {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// The command name, in parentheses, may hold spaces: the fields
	// after its last ')' are state, then the parent's pid.
	i := strings.LastIndexByte(string(stat), ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 2 {
		return 0, false
	}
	pp, err := strconv.Atoi(f[1])
	return pp, err == nil
}

// anyAlive reports whether any of pids still runs; a zombie counts as
// gone.
func anyAlive(pids []int) bool {
	for _, p := range pids {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(p) + "/stat")
		if err != nil {
			continue
		}
		i := strings.LastIndexByte(string(stat), ')')
		if i >= 0 && i+2 < len(stat) && stat[i+2] != 'Z' {
			return true
		}
	}
	return false
}

// lookPathSbin finds name in $PATH or in /usr/sbin and /sbin, which a
// test's $PATH may lack, and returns an absolute path: sshd will only
// run from one.
func lookPathSbin(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err != nil {
		for _, d := range []string{"/usr/sbin", "/sbin"} {
			if q, err2 := exec.LookPath(filepath.Join(d, name)); err2 == nil {
				p, err = q, nil
				break
			}
		}
	}
	if err != nil {
		return "", err
	}
	return filepath.Abs(p)
}

// writeFile writes text to dir/name and returns the file's path.
func writeFile(dir, name, text string) (string, error) {
	path := filepath.Join(dir, name)
	return path, os.WriteFile(path, []byte(text), 0o644)
}

// output runs a helper program, in the host's namespaces (it opens no
// socket), and returns what it printed on stdout and stderr.
func output(argv ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s: %w\n%s", strings.Join(argv, " "), err, out)
	}
	return string(out), nil
}

// versionOf returns the first submatch of re in what argv prints.
func versionOf(re *regexp.Regexp, argv ...string) (string, error) {
	out, err := output(argv...)
	if err != nil {
		return "", err
	}
	m := re.FindStringSubmatch(out)
	if m == nil {
		return "", fmt.Errorf("%s: no version in %q", strings.Join(argv, " "), out)
	}
	return m[1], nil
}

// sshVersion matches ssh -V, "OpenSSH_9.2p1 Debian-2+deb12u10, OpenSSL
// ...", the same release as the sshd beside it (Debian's openssh-server
// depends on the very version of openssh-client); sshd itself names only
// "OpenSSH_9.2".
var sshVersion = regexp.MustCompile(`OpenSSH_([^\s,]+)(?: Debian-([^\s,]+))?`)

// setupSSH prepares sshd: an ed25519 host key, a configuration that
// listens on the server's address and lets nobody log in, and the
// privilege separation directory it insists on.
func setupSSH(s *serverSetup) error {
	out, err := output(s.bins["ssh"], "-V")
	if err != nil {
		return err
	}
	m := sshVersion.FindStringSubmatch(out)
	if m == nil {
		return fmt.Errorf("ssh -V: no version in %q", out)
	}
	// nmap writes a Debian banner's "9.2p1 Debian-2+deb12u10" as
	// "9.2p1 Debian 2+deb12u10".
	s.srv.Version = m[1]
	if m[2] != "" {
		s.srv.Version += " Debian " + m[2]
	}

	key := filepath.Join(s.dir, "ssh_host_ed25519_key")
	if _, err := output(s.bins["ssh-keygen"], "-q", "-t", "ed25519", "-N", "", "-C", ServerHost, "-f", key); err != nil {
		return err
	}
	// sshd chroots its unprivileged child here; Debian's systemd unit
	// makes it at boot, which a container may not have had.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		return err
	}
	cfg, err := writeFile(s.dir, "sshd_config", fmt.Sprintf(`ListenAddress %s
HostKey %s
PidFile none
UsePAM no
PermitRootLogin no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication no
AuthorizedKeysFile none
X11Forwarding no
AllowTcpForwarding no
MaxStartups 100:30:200
LogLevel ERROR
`, s.srv.Addr, key))
	if err != nil {
		return err
	}
	// -e: log to stderr, which is our log file.
	s.argv = []string{s.bins["sshd"], "-D", "-e", "-f", cfg}
	return nil
}

var nginxVersion = regexp.MustCompile(`nginx/(\S+)`)

// setupHTTP prepares nginx, for the http kind or, with a self-signed
// certificate from openssl req, the https kind: every path it writes is
// in the server's directory, and "/" is a small page titled ServerTitle.
func setupHTTP(s *serverSetup) error {
	nginx := s.bins["nginx"]
	var err error
	if s.srv.Version, err = versionOf(nginxVersion, nginx, "-v"); err != nil {
		return err
	}
	www := filepath.Join(s.dir, "www")
	if err := os.Mkdir(www, 0o755); err != nil {
		return err
	}
	page := "<!DOCTYPE html>\n<html><head><title>" + ServerTitle + "</title></head>\n<body><p>" + ServerTitle + "</p></body></html>\n"
	if _, err := writeFile(www, "index.html", page); err != nil {
		return err
	}
	listen := s.srv.Addr.String()
	var tls string
	if s.srv.Kind == "https" {
		cert, key := filepath.Join(s.dir, "cert.pem"), filepath.Join(s.dir, "key.pem")
		if _, err := output(s.bins["openssl"], "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
			"-nodes", "-keyout", key, "-out", cert, "-days", "30", "-subj", "/CN="+ServerHost,
			"-addext", "subjectAltName=DNS:"+ServerHost+",IP:"+s.srv.Addr.Addr().String()); err != nil {
			return err
		}
		if s.srv.Cert, err = readCert(cert); err != nil {
			return err
		}
		listen += " ssl"
		tls = fmt.Sprintf("\t\tssl_certificate %s;\n\t\tssl_certificate_key %s;\n", cert, key)
	}
	d := s.dir
	cfg, err := writeFile(d, "nginx.conf", fmt.Sprintf(`user root;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log stderr warn;
events {
	worker_connections 256;
}
http {
	default_type text/html;
	access_log off;
	client_body_temp_path %[1]s/body;
	proxy_temp_path %[1]s/proxy;
	fastcgi_temp_path %[1]s/fastcgi;
	uwsgi_temp_path %[1]s/uwsgi;
	scgi_temp_path %[1]s/scgi;
	server {
		listen %[2]s;
		server_name %[3]s;
%[4]s		root %[1]s/www;
		index index.html;
	}
}
`, d, listen, ServerHost, tls))
	if err != nil {
		return err
	}
	// -e names the error log nginx uses before it has read cfg, and -p
	// its prefix for relative paths, which must not be the system's.
	s.argv = []string{nginx, "-e", "stderr", "-p", d, "-c", cfg, "-g", "daemon off;"}
	return nil
}

// readCert parses the first certificate of a PEM file.
func readCert(path string) (*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("%s: no PEM certificate", path)
	}
	return x509.ParseCertificate(block.Bytes)
}

var redisVersion = regexp.MustCompile(`\bv=(\S+)`)

// setupRedis prepares redis-server: no persistence, no protected mode
// (which would refuse the scan namespace, a remote client without a
// password), its working directory its own.
func setupRedis(s *serverSetup) error {
	redis := s.bins["redis-server"]
	var err error
	if s.srv.Version, err = versionOf(redisVersion, redis, "--version"); err != nil {
		return err
	}
	cfg, err := writeFile(s.dir, "redis.conf", fmt.Sprintf(`bind %s
port %d
protected-mode no
daemonize no
supervised no
save ""
appendonly no
dir %s
logfile ""
loglevel warning
`, s.srv.Addr.Addr(), s.srv.Addr.Port(), s.dir))
	if err != nil {
		return err
	}
	s.argv = []string{redis, cfg}
	return nil
}

var vsftpdVersion = regexp.MustCompile(`version (\S+)`)

// setupFTP prepares vsftpd in standalone mode: anonymous read-only
// access to an empty directory (vsftpd refuses to start with no kind of
// login at all), no local users, no writes.
func setupFTP(s *serverSetup) error {
	var err error
	if s.srv.Version, err = vsftpdVersionOf(s.bins["vsftpd"]); err != nil {
		return err
	}
	empty, pub := filepath.Join(s.dir, "empty"), filepath.Join(s.dir, "pub")
	for _, d := range []string{empty, pub} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return err
		}
	}
	cfg, err := writeFile(s.dir, "vsftpd.conf", fmt.Sprintf(`listen=YES
listen_ipv6=NO
listen_address=%s
listen_port=%d
background=NO
anonymous_enable=YES
anon_root=%s
no_anon_password=YES
ftp_username=nobody
local_enable=NO
write_enable=NO
secure_chroot_dir=%s
nopriv_user=nobody
xferlog_enable=NO
seccomp_sandbox=NO
max_clients=100
`, s.srv.Addr.Addr(), s.srv.Addr.Port(), pub, empty))
	if err != nil {
		return err
	}
	s.argv = []string{s.bins["vsftpd"], cfg}
	return nil
}

// vsftpdVersionOf runs vsftpd -v, which writes its version to its
// standard input, so that its standard input is a pipe we read.
func vsftpdVersionOf(vsftpd string) (string, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return "", err
	}
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, vsftpd, "-v")
	cmd.Stdin = w
	err = cmd.Run()
	w.Close()
	if err != nil {
		return "", fmt.Errorf("%s -v: %w", vsftpd, err)
	}
	out, _ := io.ReadAll(io.LimitReader(r, 4096))
	m := vsftpdVersion.FindSubmatch(out)
	if m == nil {
		return "", fmt.Errorf("%s -v: no version in %q", vsftpd, out)
	}
	return string(m[1]), nil
}

var eximVersion = regexp.MustCompile(`Exim version (\S+)`)

// setupSMTP prepares Exim as a foreground daemon (-bdf) that accepts
// SMTP sessions and refuses every recipient, so it never queues or
// delivers mail. It runs as root throughout, with its spool, logs and
// pid file in its directory, and looks nothing up: no DNS for the
// client's name, no ident.
func setupSMTP(s *serverSetup) error {
	exim := s.bins["exim4"]
	var err error
	if s.srv.Version, err = versionOf(eximVersion, exim, "-bV"); err != nil {
		return err
	}
	for _, d := range []string{"spool", "log"} {
		if err := os.Mkdir(filepath.Join(s.dir, d), 0o750); err != nil {
			return err
		}
	}
	cfg, err := writeFile(s.dir, "exim.conf", fmt.Sprintf(`primary_hostname = %[1]s
exim_user = root
exim_group = root
never_users =
keep_environment =
spool_directory = %[2]s/spool
log_file_path = %[2]s/log/%%slog
pid_file_path = %[2]s/exim.pid
local_interfaces = <; %[3]s
daemon_smtp_ports = %[4]d
host_lookup =
rfc1413_hosts =
acl_smtp_rcpt = refuse

begin acl

refuse:
  deny message = relay not permitted
`, ServerHost, s.dir, s.srv.Addr.Addr(), s.srv.Addr.Port()))
	if err != nil {
		return err
	}
	// A syntax error shows here, in the check's output, rather than as a
	// server that never listens.
	if _, err := output(exim, "-C", cfg, "-bV"); err != nil {
		return err
	}
	s.argv = []string{exim, "-C", cfg, "-bdf"}
	s.logs = []string{filepath.Join(s.dir, "log", "paniclog"), filepath.Join(s.dir, "log", "mainlog")}
	return nil
}
