package svcprobe

import (
	"encoding/binary"
	"errors"
	"io/fs"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// realDB loads nmap's own database once, or skips the test without it.
func realDB(tb testing.TB) (*DB, Stats) {
	tb.Helper()
	r := loadReal()
	if errors.Is(r.err, fs.ErrNotExist) {
		tb.Skipf("%s is absent (Debian's nmap-common installs it): %v", DefaultPath, r.err)
	}
	if r.err != nil {
		tb.Fatalf("LoadFile(%s): %v", DefaultPath, r.err)
	}
	return r.db, r.stats
}

type loaded struct {
	db    *DB
	stats Stats
	err   error
}

var loadReal = sync.OnceValue(func() loaded {
	db, st, err := LoadFile(DefaultPath)
	return loaded{db, st, err}
})

// Real banners, as servers send them.
const (
	sshBanner   = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"
	nginxOK     = "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Wed, 03 Dec 2025 10:00:00 GMT\r\nContent-Type: text/html\r\nContent-Length: 615\r\nLast-Modified: Tue, 02 Dec 2025 09:00:00 GMT\r\nConnection: close\r\nETag: \"692eaa10-267\"\r\nAccept-Ranges: bytes\r\n\r\n<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n"
	nginxPlain  = "HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\nDate: Wed, 03 Dec 2025 10:00:00 GMT\r\nContent-Type: text/html\r\nContent-Length: 255\r\nConnection: close\r\n\r\n<html>\r\n<head><title>400 The plain HTTP request was sent to HTTPS port</title></head>\r\n<body>\r\n"
	redisInfo   = "$3990\r\n# Server\r\nredis_version:7.0.15\r\nredis_git_sha1:00000000\r\nredis_git_dirty:0\r\nredis_build_id:6f2c4ba7c5b3a4b0\r\nredis_mode:standalone\r\nos:Linux 6.1.0-28-amd64 x86_64\r\narch_bits:64\r\n"
	redisGet    = "-ERR wrong number of arguments for 'get' command\r\n"
	vsftpd      = "220 (vsFTPd 3.0.3)\r\n"
	postfix     = "220 mail.example.org ESMTP Postfix (Debian/GNU)\r\n"
	dovecotPOP3 = "+OK Dovecot (Debian) ready.\r\n"
)

// mysqlPacket frames payload as a MySQL packet: a 3-byte little-endian
// length and sequence number 0.
func mysqlPacket(payload []byte) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(payload)))
	b[3] = 0 // sequence id
	return append(b, payload...)
}

// mariadbHandshake is the initial handshake (protocol 10) of Debian 12's
// MariaDB 10.11, which puts "5.5.5-" before its version for old clients.
var mariadbHandshake = mysqlPacket([]byte("" +
	"\x0a" + // protocol version 10
	"5.5.5-10.11.6-MariaDB-0+deb12u1\x00" + // server version
	"\x05\x00\x00\x00" + // connection id
	"Z<+oG%DR" + // auth-plugin-data, first 8 bytes
	"\x00" + // filler
	"\xfe\xf7" + // capability flags, lower
	"\x2d" + // character set utf8mb4_general_ci
	"\x02\x00" + // status: autocommit
	"\xff\x81" + // capability flags, upper
	"\x15" + // auth-plugin-data length 21
	"\x00\x00\x00\x00\x00\x00" + // reserved
	"\x1d\x00\x00\x00" + // MariaDB capabilities
	"^Mbg]7n:R/o@\x00" + // auth-plugin-data, last 13 bytes
	"mysql_native_password\x00"))

// mysql8Handshake is MySQL 8.0's initial handshake.
var mysql8Handshake = mysqlPacket([]byte("" +
	"\x0a" + // protocol version 10
	"8.0.36\x00" + // server version
	"\x0b\x00\x00\x00" + // connection id
	"\x01\x02\x03\x04\x05\x06\x07\x08" + // auth-plugin-data, first 8 bytes
	"\x00" + // filler
	"\xff\xff" + // capability flags, lower
	"\xff" + // character set utf8mb4_0900_ai_ci
	"\x02\x00" + // status: autocommit
	"\xff\xdf" + // capability flags, upper
	"\x15" + // auth-plugin-data length 21
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" + // reserved
	"\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x00" + // auth-plugin-data, last 13 bytes
	"caching_sha2_password\x00"))

// tlsServerHello is the start of a TLS 1.2 ServerHello record.
const tlsServerHello = "\x16\x03\x03\x00\x51" + // record: handshake, TLS 1.2, 81 bytes
	"\x02\x00\x00\x4d" + // server_hello, 77 bytes
	"\x03\x03" + // server_version TLS 1.2
	"abcdefghijklmnopqrstuvwxyz012345" + // random
	"\x20" // session id length

type golden struct {
	name, probe, response string
	want                  Match
	wantOK                bool
}

func runGolden(t *testing.T, db *DB, cases []golden) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := db.Probe(c.probe)
			if p == nil {
				t.Fatalf("no probe %q", c.probe)
			}
			got, ok := db.Match(p, []byte(c.response))
			got.Line = 0
			if ok != c.wantOK || !reflect.DeepEqual(got, c.want) {
				t.Errorf("Match(%s, %q) =\n\t%+v, %v\nwant\n\t%+v, %v", c.probe, c.response, got, ok, c.want, c.wantOK)
			}
		})
	}
}

func TestMatchNmap(t *testing.T) {
	db, st := realDB(t)
	t.Logf("%s: %d TCP probes, %d UDP, %d match lines, %d compiled, %d skipped: %q", DefaultPath, st.Probes, st.UDP, st.Matches, st.Compiled, st.Skipped, st.SkippedExamples)
	if st.Compiled+st.Skipped != st.Matches || st.Skipped > st.Matches/20 {
		t.Errorf("Stats = %+v, want at most 5%% skipped", st)
	}
	runGolden(t, db, []golden{
		{"openssh", "NULL", sshBanner, Match{
			Service: "ssh", Product: "OpenSSH", Version: "9.2p1 Debian 2+deb12u3", Info: "protocol 2.0", OSType: "Linux",
			CPE:   []string{"cpe:/a:openbsd:openssh:9.2p1", "cpe:/o:linux:linux_kernel"},
			Probe: "NULL",
		}, true},
		{"nginx", "GetRequest", nginxOK, Match{
			Service: "http", Product: "nginx", Version: "1.22.1",
			CPE: []string{"cpe:/a:igor_sysoev:nginx:1.22.1"}, Probe: "GetRequest",
		}, true},
		{"nginx plain HTTP to TLS port", "GetRequest", nginxPlain, Match{
			Service: "ssl/http", Product: "nginx", Version: "1.22.1",
			CPE: []string{"cpe:/a:igor_sysoev:nginx:1.22.1"}, Probe: "GetRequest",
		}, true},
		{"redis INFO", "redis-server", redisInfo, Match{
			Service: "redis", Product: "Redis key-value store", Version: "7.0.15",
			CPE: []string{"cpe:/a:redislabs:redis:7.0.15"}, Probe: "redis-server",
		}, true},
		{"redis answers GET /", "GetRequest", redisGet, Match{
			Service: "redis", Product: "Redis key-value store", Probe: "GetRequest",
		}, true},
		{"vsftpd", "NULL", vsftpd, Match{
			Service: "ftp", Product: "vsftpd", Version: "3.0.3", OSType: "Unix",
			CPE: []string{"cpe:/a:vsftpd:vsftpd:3.0.3"}, Probe: "NULL",
		}, true},
		// nmap's line keeps the space before the host name.
		{"postfix", "NULL", postfix, Match{
			Service: "smtp", Product: "Postfix smtpd", Hostname: " mail.example.org",
			CPE: []string{"cpe:/a:postfix:postfix"}, Probe: "NULL",
		}, true},
		{"mariadb", "NULL", string(mariadbHandshake), Match{
			Service: "mysql", Product: "MySQL", Version: "5.5.5-10.11.6-MariaDB-0+deb12u1",
			CPE: []string{"cpe:/a:mariadb:mariadb:5.5.5-10.11.6-mariadb-0%2Bdeb12u1"}, Probe: "NULL",
		}, true},
		{"mysql 8", "NULL", string(mysql8Handshake), Match{
			Service: "mysql", Product: "MySQL", Version: "8.0.36",
			CPE: []string{"cpe:/a:mysql:mysql:8.0.36"}, Probe: "NULL",
		}, true},
		{"dovecot softmatch", "NULL", dovecotPOP3, Match{Service: "pop3", Soft: true, Probe: "NULL"}, true},
		{"tls", "SSLSessionReq", tlsServerHello, Match{Service: "ssl", Product: "TLSv1.2", Probe: "SSLSessionReq"}, true},
		// A server that speaks first answers every probe with its
		// banner: the NULL probe's lines name it.
		{"ssh after GET", "GetRequest", sshBanner, Match{
			Service: "ssh", Product: "OpenSSH", Version: "9.2p1 Debian 2+deb12u3", Info: "protocol 2.0", OSType: "Linux",
			CPE:   []string{"cpe:/a:openbsd:openssh:9.2p1", "cpe:/o:linux:linux_kernel"},
			Probe: "NULL",
		}, true},
		// TLSSessionReq falls back on GetRequest's lines.
		{"fallback", "TLSSessionReq", nginxOK, Match{
			Service: "http", Product: "nginx", Version: "1.22.1",
			CPE: []string{"cpe:/a:igor_sysoev:nginx:1.22.1"}, Probe: "GetRequest",
		}, true},
		{"nothing", "NULL", "\x00\x01\x02 no service says this", Match{}, false},
		{"empty", "GetRequest", "", Match{}, false},
	})
}

func TestMatchBuiltin(t *testing.T) {
	db := Builtin()
	runGolden(t, db, []golden{
		{"openssh", "NULL", sshBanner, Match{
			Service: "ssh", Product: "OpenSSH", Version: "9.2p1 Debian 2+deb12u3", Info: "protocol 2.0", OSType: "Linux",
			CPE:   []string{"cpe:/a:openbsd:openssh:9.2p1", "cpe:/o:linux:linux_kernel"},
			Probe: "NULL",
		}, true},
		{"other ssh", "NULL", "SSH-2.0-Go\r\n", Match{Service: "ssh", Info: "protocol 2.0", Soft: true, Probe: "NULL"}, true},
		{"vsftpd", "NULL", vsftpd, Match{
			Service: "ftp", Product: "vsftpd", Version: "3.0.3", OSType: "Unix",
			CPE: []string{"cpe:/a:vsftpd:vsftpd:3.0.3"}, Probe: "NULL",
		}, true},
		{"postfix", "NULL", postfix, Match{
			Service: "smtp", Product: "Postfix smtpd", Hostname: "mail.example.org",
			CPE: []string{"cpe:/a:postfix:postfix"}, Probe: "NULL",
		}, true},
		{"other smtp", "NULL", "220 mx.example.com ESMTP ready\r\n", Match{Service: "smtp", Soft: true, Probe: "NULL"}, true},
		{"dovecot pop3", "NULL", dovecotPOP3, Match{Service: "pop3", Product: "Dovecot pop3d", CPE: []string{"cpe:/a:dovecot:dovecot"}, Probe: "NULL"}, true},
		{"dovecot imap", "NULL", "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN] Dovecot (Debian) ready.\r\n", Match{
			Service: "imap", Product: "Dovecot imapd", CPE: []string{"cpe:/a:dovecot:dovecot"}, Probe: "NULL",
		}, true},
		{"mariadb", "NULL", string(mariadbHandshake), Match{
			Service: "mysql", Product: "MariaDB", Version: "5.5.5-10.11.6-MariaDB-0+deb12u1",
			CPE: []string{"cpe:/a:mariadb:mariadb:5.5.5-10.11.6-mariadb-0%2Bdeb12u1"}, Probe: "NULL",
		}, true},
		{"mysql 8", "NULL", string(mysql8Handshake), Match{
			Service: "mysql", Product: "MySQL", Version: "8.0.36",
			CPE: []string{"cpe:/a:mysql:mysql:8.0.36"}, Probe: "NULL",
		}, true},
		{"mysql refuses", "NULL", string(mysqlPacket([]byte("\xff\x6a\x04Host '10.0.0.1' is not allowed to connect to this MariaDB server"))), Match{
			Service: "mysql", Product: "MariaDB", Info: "unauthorized", Probe: "NULL",
		}, true},
		{"nginx", "GetRequest", nginxOK, Match{
			Service: "http", Product: "nginx", Version: "1.22.1",
			CPE: []string{"cpe:/a:igor_sysoev:nginx:1.22.1"}, Probe: "GetRequest",
		}, true},
		{"apache", "GetRequest", "HTTP/1.1 403 Forbidden\r\nDate: x\r\nServer: Apache/2.4.62 (Debian)\r\n\r\n", Match{
			Service: "http", Product: "Apache httpd", Version: "2.4.62", Info: "(Debian)",
			CPE: []string{"cpe:/a:apache:http_server:2.4.62"}, Probe: "GetRequest",
		}, true},
		{"server header", "GetRequest", "HTTP/1.0 200 OK\r\nServer: SimpleHTTP/0.6 Python/3.11.2\r\n\r\n", Match{
			Service: "http", Product: "SimpleHTTP/0.6 Python/3.11.2", Probe: "GetRequest",
		}, true},
		{"server name and version", "GetRequest", "HTTP/1.1 404 Not Found\r\nServer: Caddy/2.6\r\n\r\n", Match{
			Service: "http", Product: "Caddy", Version: "2.6", Probe: "GetRequest",
		}, true},
		// The blank line ends the headers: a Server line in the body
		// does not count.
		{"no server header", "GetRequest", "HTTP/1.1 200 OK\r\nContent-Length: 21\r\n\r\nServer: nginx/1.0\r\n", Match{
			Service: "http", Soft: true, Probe: "GetRequest",
		}, true},
		{"redis GET", "GetRequest", redisGet, Match{
			Service: "redis", Product: "Redis key-value store", CPE: []string{"cpe:/a:redislabs:redis"}, Probe: "GetRequest",
		}, true},
		{"redis PING", "RedisPing", "+PONG\r\n$1234\r\n# Server\r\nredis_version:7.0.15\r\nredis_git_sha1:00000000\r\n", Match{
			Service: "redis", Product: "Redis key-value store", Version: "7.0.15",
			CPE: []string{"cpe:/a:redislabs:redis:7.0.15"}, Probe: "RedisPing",
		}, true},
		{"redis PONG only", "RedisPing", "+PONG\r\n", Match{Service: "redis", Soft: true, Probe: "RedisPing"}, true},
		{"redis auth", "RedisPing", "-NOAUTH Authentication required.\r\n-NOAUTH Authentication required.\r\n", Match{
			Service: "redis", Product: "Redis key-value store", Info: "authentication required",
			CPE: []string{"cpe:/a:redislabs:redis"}, Probe: "RedisPing",
		}, true},
		{"tls", "TLSClientHello", tlsServerHello, Match{Service: "ssl", Probe: "TLSClientHello"}, true},
		{"tls alert", "TLSClientHello", "\x15\x03\x03\x00\x02\x02\x46", Match{Service: "ssl", Info: "alert", Probe: "TLSClientHello"}, true},
		{"http after hello", "TLSClientHello", "HTTP/1.1 400 Bad Request\r\nServer: nginx\r\n\r\n", Match{
			Service: "http", Product: "nginx", CPE: []string{"cpe:/a:igor_sysoev:nginx"}, Probe: "GetRequest",
		}, true},
		{"nothing", "NULL", "\xde\xad\xbe\xef", Match{}, false},
	})
}

func TestBuiltin(t *testing.T) {
	db := Builtin()
	if db != Builtin() {
		t.Error("Builtin parsed twice")
	}
	_, st, err := Load(strings.NewReader(builtinText()), "builtin")
	if err != nil || st.Skipped != 0 || st.Compiled != st.Matches {
		t.Errorf("built-in database: %+v, %v; want every line compiled", st, err)
	}
	if db.Name() != "builtin" || !db.Excluded(9100) || db.Excluded(80) {
		t.Errorf("Name = %q, Excluded(9100) = %v, Excluded(80) = %v", db.Name(), db.Excluded(9100), db.Excluded(80))
	}
	for _, c := range []struct {
		port uint16
		tls  bool
		want []string
	}{
		{22, false, []string{"NULL", "GetRequest", "TLSClientHello", "RedisPing"}},
		{80, false, []string{"NULL", "GetRequest", "TLSClientHello", "RedisPing"}},
		{443, false, []string{"NULL", "TLSClientHello", "GetRequest", "RedisPing"}},
		{443, true, []string{"NULL", "GetRequest", "TLSClientHello", "RedisPing"}},
		{6379, false, []string{"NULL", "RedisPing", "GetRequest", "TLSClientHello"}},
	} {
		var got []string
		for _, p := range db.Probes(c.port, c.tls, DefaultIntensity) {
			got = append(got, p.Name)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("Probes(%d, %v) = %q, want %q", c.port, c.tls, got, c.want)
		}
	}
	if p := db.Probe("GetRequest"); string(p.Payload) != "GET / HTTP/1.0\r\n\r\n" || !p.TLSWrapped {
		t.Errorf("GetRequest = %+v", p)
	}
	if p := db.Probe("TLSClientHello"); string(p.Payload) != string(clientHello()) {
		t.Errorf("TLSClientHello payload = %x, want %x", p.Payload, clientHello())
	}
}

// BenchmarkMatchSSH matches an SSH banner against nmap's NULL probe: the
// first answer on nearly every port, and 4,000 lines.
func BenchmarkMatchSSH(b *testing.B) {
	db, _ := realDB(b)
	benchmarkMatch(b, db, "NULL", sshBanner, true)
}

// BenchmarkMatchHTTP matches nginx's answer to GetRequest: about 5,000
// lines before nmap's nginx line and NULL's.
func BenchmarkMatchHTTP(b *testing.B) {
	db, _ := realDB(b)
	benchmarkMatch(b, db, "GetRequest", nginxOK, true)
}

// BenchmarkMatchNone matches bytes that no line names, through GetRequest
// and NULL: every line is tried.
func BenchmarkMatchNone(b *testing.B) {
	db, _ := realDB(b)
	benchmarkMatch(b, db, "GetRequest", "\x00\x01\x02\x03 nothing here\r\n", false)
}

func BenchmarkMatchBuiltinSSH(b *testing.B) {
	benchmarkMatch(b, Builtin(), "NULL", sshBanner, true)
}

func benchmarkMatch(b *testing.B, db *DB, probe, response string, want bool) {
	p := db.Probe(probe)
	in := []byte(response)
	if _, ok := db.Match(p, in); ok != want { // and compile what it needs
		b.Fatalf("Match(%s, %q) = %v, want %v", probe, response, ok, want)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		db.Match(p, in)
	}
}

func BenchmarkLoad(b *testing.B) {
	realDB(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := LoadFile(DefaultPath); err != nil {
			b.Fatal(err)
		}
	}
}

// TestMatchConcurrent matches from many goroutines at once on a fresh
// database, to let the race detector see patterns compiled lazily.
func TestMatchConcurrent(t *testing.T) {
	fresh := []func() (*DB, Stats, error){
		func() (*DB, Stats, error) { return Load(strings.NewReader(builtinText()), "builtin") },
	}
	if r := loadReal(); r.err == nil && !testing.Short() {
		fresh = append(fresh, func() (*DB, Stats, error) { return LoadFile(DefaultPath) })
	}
	banners := []string{sshBanner, nginxOK, vsftpd, postfix, redisGet, string(mariadbHandshake)}
	for _, load := range fresh {
		ref, _, err := load()
		if err != nil {
			t.Fatal(err)
		}
		want := make([]Match, len(banners))
		for i, b := range banners {
			want[i], _ = ref.Match(ref.Probe("GetRequest"), []byte(b))
		}
		db, _, err := load()
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range banners {
					i := (i + g) % len(banners)
					got, _ := db.Match(db.Probe("GetRequest"), []byte(banners[i]))
					if !reflect.DeepEqual(got, want[i]) {
						t.Errorf("%s: concurrent Match(%q) = %+v, want %+v", db.Name(), banners[i], got, want[i])
					}
				}
			}()
		}
		wg.Wait()
	}
}
