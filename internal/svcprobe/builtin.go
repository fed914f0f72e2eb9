package svcprobe

import (
	"encoding/binary"
	"fmt"
	"strings"
	"sync"
)

// Builtin returns a small built-in database, for when nmap's file is absent:
// NULL-probe matches for ssh, ftp, smtp, pop3, imap and mysql; GetRequest
// for HTTP (status line and Server header) and for Redis's answer to it;
// a Redis PING probe; and a TLS ClientHello that detects TLS. It is written
// for trawl in nmap's format, names services as nmap does, and is parsed
// once, on first use.
func Builtin() *DB { return builtin() }

var builtin = sync.OnceValue(func() *DB {
	db, _, err := Load(strings.NewReader(builtinText()), "builtin")
	if err != nil {
		panic("svcprobe: built-in database: " + err.Error())
	}
	return db
})

// builtinText returns the built-in database in nmap-service-probes format.
func builtinText() string {
	return fmt.Sprintf(builtinFormat, escapePayload(clientHello()))
}

// builtinFormat is the built-in database; %s is the ClientHello payload.
const builtinFormat = `# trawl's built-in service probes, used when nmap-service-probes is absent.
# nmap-service-probes format; written for trawl, with nmap's service names.

# Printers print what they are sent.
Exclude T:9100-9107

Probe TCP NULL q||
totalwaitms 6000
tcpwrappedms 3000
match ssh m|^SSH-([\d.]+)-OpenSSH_([\w.]+) Debian-(\S+)\r?\n| p/OpenSSH/ v/$2 Debian $3/ i/protocol $1/ o/Linux/ cpe:/a:openbsd:openssh:$2/ cpe:/o:linux:linux_kernel/a
match ssh m|^SSH-([\d.]+)-OpenSSH_([\w.]+) Ubuntu-(\S+)\r?\n| p/OpenSSH/ v/$2 Ubuntu $3/ i/Ubuntu Linux; protocol $1/ o/Linux/ cpe:/a:openbsd:openssh:$2/ cpe:/o:linux:linux_kernel/a
match ssh m|^SSH-([\d.]+)-OpenSSH_([\w.]+)| p/OpenSSH/ v/$2/ i/protocol $1/ cpe:/a:openbsd:openssh:$2/
match ssh m|^SSH-([\d.]+)-dropbear_([\w.]+)| p/Dropbear sshd/ v/$2/ i/protocol $1/ cpe:/a:matt_johnston:dropbear_ssh_server:$2/
softmatch ssh m|^SSH-([\d.]+)-| i/protocol $1/
match ftp m|^220 \(vsFTPd ([\w.-]+)\)\r\n| p/vsftpd/ v/$1/ o/Unix/ cpe:/a:vsftpd:vsftpd:$1/
match ftp m|^220 ProFTPD ([\d.]+\w*) Server| p/ProFTPD/ v/$1/ cpe:/a:proftpd:proftpd:$1/
match ftp m|^220 ProFTPD Server| p/ProFTPD/ cpe:/a:proftpd:proftpd/
match ftp m|^220[- ][^\r\n]*Pure-FTPd| p/Pure-FTPd/ cpe:/a:pureftpd:pure-ftpd/
softmatch ftp m|^220[- ][^\r\n]*ftp|i
match smtp m|^220[ -](\S+) ESMTP Postfix| p/Postfix smtpd/ h/$1/ cpe:/a:postfix:postfix/a
match smtp m|^220[ -](\S+) ESMTP Exim ([\w.]+)| p/Exim smtpd/ v/$2/ h/$1/ cpe:/a:exim:exim:$2/
softmatch smtp m|^220[ -][^\r\n]*SMTP|i
match pop3 m|^\+OK [^\r\n]*Dovecot[^\r\n]* ready| p/Dovecot pop3d/ cpe:/a:dovecot:dovecot/
softmatch pop3 m|^\+OK [^\r\n]*\r\n|
match imap m|^\* OK [^\r\n]*Dovecot[^\r\n]* ready| p/Dovecot imapd/ cpe:/a:dovecot:dovecot/
softmatch imap m|^\* OK [^\r\n]*IMAP|i
match mysql m|^.\0\0\0\x0a([\w.~+-]+-MariaDB[\w.~+-]*)\0|s p/MariaDB/ v/$1/ cpe:/a:mariadb:mariadb:$1/
match mysql m|^.\0\0\0\x0a(\d[\w.~+-]*)\0|s p/MySQL/ v/$1/ cpe:/a:mysql:mysql:$1/
match mysql m=^.\0\0\0\xff..Host '[^']*' is not allowed to connect to this (MySQL|MariaDB) server=s p/$1/ i/unauthorized/

Probe TCP GetRequest q|GET / HTTP/1.0\r\n\r\n|
rarity 1
ports 80-85,591,2375,3000,5000,5601,7001,8000-8010,8080-8090,8888,9000,9090,9200
sslports 443,2376,4443,6443,8443,9443
match http m=^HTTP/1\.[01] \d\d\d [^\r\n]*\r\n(?:[^\r\n]+\r\n)*?Server: nginx/([\d.]+)= p/nginx/ v/$1/ cpe:/a:igor_sysoev:nginx:$1/
match http m=^HTTP/1\.[01] \d\d\d [^\r\n]*\r\n(?:[^\r\n]+\r\n)*?Server: nginx\r\n= p/nginx/ cpe:/a:igor_sysoev:nginx/
match http m=^HTTP/1\.[01] \d\d\d [^\r\n]*\r\n(?:[^\r\n]+\r\n)*?Server: Apache/([\d.]+) \(([^)\r\n]+)\)= p/Apache httpd/ v/$1/ i/($2)/ cpe:/a:apache:http_server:$1/
match http m=^HTTP/1\.[01] \d\d\d [^\r\n]*\r\n(?:[^\r\n]+\r\n)*?Server: Apache/([\d.]+)= p/Apache httpd/ v/$1/ cpe:/a:apache:http_server:$1/
match http m=^HTTP/1\.[01] \d\d\d [^\r\n]*\r\n(?:[^\r\n]+\r\n)*?Server: lighttpd/([\d.]+)= p/lighttpd/ v/$1/ cpe:/a:lighttpd:lighttpd:$1/
match http m=^HTTP/1\.[01] \d\d\d [^\r\n]*\r\n(?:[^\r\n]+\r\n)*?Server: ([^\r\n/]+)/([^\s/]+)\r\n= p/$1/ v/$2/
match http m=^HTTP/1\.[01] \d\d\d [^\r\n]*\r\n(?:[^\r\n]+\r\n)*?Server: ([^\r\n]+)= p/$1/
softmatch http m|^HTTP/1\.[01] \d\d\d|
match redis m|^-ERR wrong number of arguments for 'get' command\r\n| p/Redis key-value store/ cpe:/a:redislabs:redis/

Probe TCP RedisPing q|PING\r\nINFO server\r\n|
rarity 6
ports 6379-6380,16379,26379
match redis m|^\+PONG\r\n\$\d+\r\n(?:#[^\r\n]*\r\n)*redis_version:([\d.]+)\r\n| p/Redis key-value store/ v/$1/ cpe:/a:redislabs:redis:$1/
match redis m|^-NOAUTH Authentication required| p/Redis key-value store/ i/authentication required/ cpe:/a:redislabs:redis/
match redis m|^-DENIED Redis is running in protected mode| p/Redis key-value store/ i/protected mode/ cpe:/a:redislabs:redis/
match redis m|^-ERR operation not permitted\r\n| p/Redis key-value store/ i/authentication required/ cpe:/a:redislabs:redis/
softmatch redis m|^\+PONG\r\n|

# A TLS 1.2 ClientHello: any server that speaks TLS answers with a
# ServerHello (or a HelloRetryRequest), or with an alert if it will not
# speak TLS 1.2. Then connect through TLS and probe again.
Probe TCP TLSClientHello q|%s|
rarity 1
ports 443,465,563,636,853,989,990,992-995,2376,4433,4443,5061,5986,6443,6697,8443,8883,9443
fallback GetRequest
match ssl m|^\x16\x03[\x00-\x04]..\x02...\x03[\x00-\x04]|s
match ssl m|^\x15\x03[\x00-\x04]\x00\x02[\x01\x02]|s i/alert/
`

// clientHello returns the payload of the TLSClientHello probe: a TLS 1.2
// ClientHello (RFC 5246, section 7.4.1.2) in one record, offering the
// common ECDHE and RSA suites (RFC 5289, RFC 7905) on the P-256, P-384 and
// X25519 curves (RFC 8422), without a server name.
func clientHello() []byte {
	be16 := binary.BigEndian.AppendUint16

	var ext []byte
	extension := func(typ uint16, data []byte) {
		ext = be16(ext, typ)
		ext = be16(ext, uint16(len(data)))
		ext = append(ext, data...)
	}
	// supported_groups: x25519, secp256r1, secp384r1.
	extension(0x000a, []byte{0x00, 0x06, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x18})
	// ec_point_formats: uncompressed.
	extension(0x000b, []byte{0x01, 0x00})
	// signature_algorithms (RFC 5246 7.4.1.4.1, RFC 8446 4.2.3).
	sigalgs := []uint16{0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601, 0x0201}
	var sa []byte
	sa = be16(sa, uint16(2*len(sigalgs)))
	for _, a := range sigalgs {
		sa = be16(sa, a)
	}
	extension(0x000d, sa)
	// renegotiation_info, empty (RFC 5746).
	extension(0xff01, []byte{0x00})

	suites := []uint16{
		0xc02b, 0xc02f, 0xc02c, 0xc030, // ECDHE-{ECDSA,RSA}-AES{128,256}-GCM
		0xcca9, 0xcca8, // ECDHE-{ECDSA,RSA}-CHACHA20-POLY1305
		0xc009, 0xc013, 0xc00a, 0xc014, // ECDHE-{ECDSA,RSA}-AES{128,256}-CBC-SHA
		0x009c, 0x009d, 0x002f, 0x0035, // RSA-AES{128,256}-{GCM,CBC-SHA}
		0x000a, // RSA-3DES-EDE-CBC-SHA
	}

	var body []byte
	body = be16(body, 0x0303) // client_version: TLS 1.2
	for i := 0; i < 32; i++ { // random: fixed, as nmap's probes are
		body = append(body, byte(0x54+i)) // "TUVW..."
	}
	body = append(body, 0) // session_id: empty
	body = be16(body, uint16(2*len(suites)))
	for _, s := range suites {
		body = be16(body, s)
	}
	body = append(body, 1, 0) // compression_methods: null
	body = be16(body, uint16(len(ext)))
	body = append(body, ext...)

	// Handshake header: client_hello (1), 24-bit length.
	hs := []byte{0x01, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}
	hs = append(hs, body...)

	// Record header: handshake (22), version TLS 1.0 for the first record
	// as clients send it (RFC 8446, section 5.1), length.
	rec := []byte{0x16, 0x03, 0x01}
	rec = be16(rec, uint16(len(hs)))
	return append(rec, hs...)
}

// escapePayload writes b for a q|...| probe line, every byte as \xHH.
func escapePayload(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		fmt.Fprintf(&sb, `\x%02x`, c)
	}
	return sb.String()
}
