package result

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var (
	// certStart is when the lab's certificate becomes valid.
	certStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

	// sshService is what nmap -sV says of Debian 12's OpenSSH, with the
	// server's first line.
	sshService = &ServiceInfo{
		Name: "ssh", Product: "OpenSSH", Version: "9.2p1 Debian 2+deb12u3", ExtraInfo: "protocol 2.0", OSType: "Linux",
		CPE:    []string{"cpe:/a:openbsd:openssh:9.2p1", "cpe:/o:linux:linux_kernel"},
		Method: MethodProbed, Conf: ConfMatch,
		Banner: []byte("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"),
	}

	// httpsService is nginx behind TLS 1.3 with a self-signed
	// certificate: its answer to GET / has characters that every
	// format escapes, in its banner and its title.
	httpsService = &ServiceInfo{
		Name: "http", Product: "nginx", Version: "1.22.1",
		CPE:    []string{"cpe:/a:igor_sysoev:nginx:1.22.1"},
		Method: MethodProbed, Conf: ConfMatch,
		Banner: []byte("HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n\r\n<title>Lab & \"friends\"</title>\n"),
		TLS: &TLSInfo{
			Version: "TLS 1.3", Cipher: "TLS_AES_128_GCM_SHA256", ALPN: "http/1.1",
			Subject: "CN=lab.example,O=Trawl Lab", Issuer: "CN=lab.example,O=Trawl Lab",
			SANs:      []string{"lab.example", "www.lab.example", "198.18.40.2"},
			NotBefore: certStart, NotAfter: certStart.AddDate(1, 0, 0),
			SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		},
		HTTP: &HTTPInfo{Status: "HTTP/1.1 200 OK", Server: "nginx/1.22.1", Title: `Lab & "friends"`},
	}

	// binaryService is a MariaDB greeting: binary, with invalid UTF-8
	// (c3 28, ff fe) beside valid (c3 a9), a backslash, quotes, markup
	// and white space around it; and an extrainfo with a '/', which
	// grepable writes as '|'.
	binaryService = &ServiceInfo{
		Name: "mysql", Product: "MySQL", Version: "5.5.5-10.11.6-MariaDB-0+deb12u1", ExtraInfo: "MariaDB/Debian 12",
		Hostname: "db.lab", CPE: []string{"cpe:/a:mysql:mysql:5.5.5-10.11.6-mariadb-0+deb12u1"},
		Method: MethodProbed, Conf: ConfMatch,
		Banner: []byte(" \x5b\x00\x00\x00\x0a5.5.5-10.11.6-MariaDB\x00\xff\xfe\xc3\x28\xc3\xa9 \\x41 <&>\"' end \t"),
	}

	// serviceResults have services of every kind: learned by a probe,
	// inside TLS, binary, the table's name for a port nothing matched
	// on, and tcpwrapped on a port without a name.
	serviceResults = []Result{
		{IP: netip.MustParseAddr("198.18.40.1"), Port: 22, Status: StatusOpen, TTL: 64, Reason: ReasonSYNACK, ReasonTTL: 64, Time: testStart, Service: sshService},
		{IP: netip.MustParseAddr("198.18.40.2"), Port: 443, Status: StatusOpen, TTL: 64, Reason: ReasonSYNACK, ReasonTTL: 64, Time: testStart, Service: httpsService},
		{IP: netip.MustParseAddr("198.18.40.2"), Port: 8080, Status: StatusOpen, TTL: 64, Reason: ReasonSYNACK, ReasonTTL: 64, Time: testStart,
			Service: &ServiceInfo{Name: "http-proxy", Method: MethodTable, Conf: ConfTable}},
		{IP: netip.MustParseAddr("2001:db8::40"), Port: 3306, Status: StatusOpen, TTL: 63, Reason: ReasonSYNACK, ReasonTTL: 63, Time: testStart.Add(time.Second), Service: binaryService},
		{IP: netip.MustParseAddr("2001:db8::40"), Port: 9999, Status: StatusOpen, TTL: 63, Reason: ReasonSYNACK, ReasonTTL: 63, Time: testStart.Add(time.Second),
			Service: &ServiceInfo{Name: "tcpwrapped", Method: MethodProbed, Conf: ConfTCPWrapped}},
	}
)

// sameService reports whether a and b hold the same service, nil and
// empty slices alike, and times compared with Equal.
func sameService(a, b *ServiceInfo) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Name == b.Name && a.Product == b.Product && a.Version == b.Version && a.ExtraInfo == b.ExtraInfo &&
		a.Hostname == b.Hostname && a.OSType == b.OSType && a.DeviceType == b.DeviceType &&
		slices.Equal(a.CPE, b.CPE) && a.Method == b.Method && a.Conf == b.Conf && bytes.Equal(a.Banner, b.Banner) &&
		sameTLS(a.TLS, b.TLS) && sameHTTP(a.HTTP, b.HTTP)
}

// sameTLS reports whether a and b hold the same handshake.
func sameTLS(a, b *TLSInfo) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Version == b.Version && a.Cipher == b.Cipher && a.ALPN == b.ALPN && a.Subject == b.Subject &&
		a.Issuer == b.Issuer && slices.Equal(a.SANs, b.SANs) && a.NotBefore.Equal(b.NotBefore) &&
		a.NotAfter.Equal(b.NotAfter) && a.SHA256 == b.SHA256
}

// sameHTTP reports whether a and b hold the same HTTP reply.
func sameHTTP(a, b *HTTPInfo) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// keptService returns what a document in format f keeps of r's service:
// the fields the format holds, as the format writes them and its reader
// reads them back.
func keptService(f Format, r Result) *ServiceInfo {
	s := r.Service
	if s == nil {
		return nil
	}
	switch f {
	case FormatList:
		if len(s.Banner) == 0 {
			return nil
		}
		name := []byte(s.name())
		for i, c := range name {
			name[i] = listNameByte(c)
		}
		return &ServiceInfo{Name: string(name), Banner: keepBanner(s.Banner)}
	case FormatJSON, FormatNDJSON:
		c := *s
		c.Conf, c.Banner, c.CPE = s.conf(), keepBanner(s.Banner), nonEmpty(s.CPE)
		if s.TLS != nil {
			t := *s.TLS
			t.NotBefore, t.NotAfter, t.SANs = second(t.NotBefore), second(t.NotAfter), nonEmpty(t.SANs)
			c.TLS = &t
		}
		if s.HTTP != nil {
			h := *s.HTTP
			c.HTTP = &h
		}
		return &c
	case FormatXML:
		c := &ServiceInfo{
			Name: s.name(), Product: s.Product, Version: s.Version, ExtraInfo: s.ExtraInfo, Hostname: s.Hostname,
			OSType: s.OSType, DeviceType: s.DeviceType, CPE: s.CPE, Method: s.method(), Conf: s.conf(),
			Banner: keepBanner(trimSpace(s.banner())),
		}
		if t := s.TLS; t != nil {
			c.TLS = &TLSInfo{Subject: t.Subject, Issuer: t.Issuer, SANs: t.SANs, NotBefore: second(t.NotBefore), NotAfter: second(t.NotAfter), SHA256: t.SHA256}
		}
		// The scripts' outputs are one line each; the status line has
		// no place.
		if h := s.HTTP; h != nil && (h.Server != "" || h.Title != "") {
			c.HTTP = &HTTPInfo{Server: lineText(h.Server), Title: lineText(h.Title)}
		}
		if tableOnly(r.Port, c) {
			return nil
		}
		return c
	case FormatGrepable:
		c := &ServiceInfo{Name: s.name(), Method: MethodProbed, Conf: ConfMatch}
		if s.TLS != nil {
			c.TLS = &TLSInfo{}
		}
		if grepUnsure(s, r.Status) {
			c.Method, c.Conf = MethodTable, ConfTable
		}
		// The product and version run together; the '/' that
		// grepable writes as '|' reads back as '/'.
		c.Product, c.ExtraInfo = splitExtraInfo(strings.ReplaceAll(string(appendGrepVersion(nil, s)), "|", "/"))
		if c.TLS == nil && c.Product == "" && c.ExtraInfo == "" && !grepUnsure(c, r.Status) && c.Name == Service(r.Port) {
			return nil
		}
		return c
	}
	return nil
}

// second returns t in UTC to the second, as the formats write times.
func second(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Second)
}

func TestServiceGolden(t *testing.T) {
	m := testMeta
	m.NumHosts = 0
	tests := []struct {
		f    Format
		want string
	}{
		{FormatPlain, lines(
			"198.18.40.1:22",
			"198.18.40.2:443",
			"198.18.40.2:8080",
			"[2001:db8::40]:3306",
			"[2001:db8::40]:9999",
		)},
		{FormatList, lines(
			"#masscan",
			"open tcp 22 198.18.40.1 1767366245",
			`banner tcp 22 198.18.40.1 1767366245 ssh SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\x0d\x0a`,
			"open tcp 443 198.18.40.2 1767366245",
			`banner tcp 443 198.18.40.2 1767366245 http HTTP/1.1 200 OK\x0d\x0aServer: nginx/1.22.1\x0d\x0a\x0d\x0a\x3ctitle\x3eLab \x26 \x22friends\x22\x3c/title\x3e\x0a`,
			"open tcp 8080 198.18.40.2 1767366245",
			"open tcp 3306 2001:db8::40 1767366246",
			`banner tcp 3306 2001:db8::40 1767366246 mysql  [\x00\x00\x00\x0a5.5.5-10.11.6-MariaDB\x00\xff\xfe\xc3(\xc3\xa9 \x5cx41 \x3c\x26\x3e\x22\x27 end \x09`,
			"open tcp 9999 2001:db8::40 1767366246",
			"# end",
		)},
		{FormatNDJSON, lines(
			`{"ip":"198.18.40.1","port":22,"proto":"tcp","status":"open","reason":"syn-ack","reason_ttl":64,"ttl":64,"time":"2026-01-02T15:04:05Z","service":{"name":"ssh","product":"OpenSSH","version":"9.2p1 Debian 2+deb12u3","extrainfo":"protocol 2.0","ostype":"Linux","cpe":["cpe:/a:openbsd:openssh:9.2p1","cpe:/o:linux:linux_kernel"],"method":"probed","conf":10,"banner":"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\u000d\u000a"}}`,
			`{"ip":"198.18.40.2","port":443,"proto":"tcp","status":"open","reason":"syn-ack","reason_ttl":64,"ttl":64,"time":"2026-01-02T15:04:05Z","service":{"name":"http","product":"nginx","version":"1.22.1","cpe":["cpe:/a:igor_sysoev:nginx:1.22.1"],"method":"probed","conf":10,"banner":"HTTP/1.1 200 OK\u000d\u000aServer: nginx/1.22.1\u000d\u000a\u000d\u000a\u003ctitle\u003eLab \u0026 \u0022friends\u0022\u003c/title\u003e\u000a","tls":{"version":"TLS 1.3","cipher":"TLS_AES_128_GCM_SHA256","alpn":"http/1.1","subject":"CN=lab.example,O=Trawl Lab","issuer":"CN=lab.example,O=Trawl Lab","sans":["lab.example","www.lab.example","198.18.40.2"],"not_before":"2026-01-01T00:00:00Z","not_after":"2027-01-01T00:00:00Z","sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},"http":{"status":"HTTP/1.1 200 OK","server":"nginx/1.22.1","title":"Lab & \"friends\""}}}`,
			`{"ip":"198.18.40.2","port":8080,"proto":"tcp","status":"open","reason":"syn-ack","reason_ttl":64,"ttl":64,"time":"2026-01-02T15:04:05Z","service":{"name":"http-proxy","method":"table","conf":3}}`,
			`{"ip":"2001:db8::40","port":3306,"proto":"tcp","status":"open","reason":"syn-ack","reason_ttl":63,"ttl":63,"time":"2026-01-02T15:04:06Z","service":{"name":"mysql","product":"MySQL","version":"5.5.5-10.11.6-MariaDB-0+deb12u1","extrainfo":"MariaDB/Debian 12","hostname":"db.lab","cpe":["cpe:/a:mysql:mysql:5.5.5-10.11.6-mariadb-0+deb12u1"],"method":"probed","conf":10,"banner":" [\u0000\u0000\u0000\u000a5.5.5-10.11.6-MariaDB\u0000\u00ff\u00fe\u00c3(\u00c3\u00a9 \u005cx41 \u003c\u0026\u003e\u0022\u0027 end \u0009"}}`,
			`{"ip":"2001:db8::40","port":9999,"proto":"tcp","status":"open","reason":"syn-ack","reason_ttl":63,"ttl":63,"time":"2026-01-02T15:04:06Z","service":{"name":"tcpwrapped","method":"probed","conf":8}}`,
		)},
		{FormatXML, xmlHead + xmlInfo + `<host endtime="1767366245"><status state="up" reason="syn-ack" reason_ttl="64"/>
<address addr="198.18.40.1" addrtype="ipv4"/>
<ports><port protocol="tcp" portid="22"><state state="open" reason="syn-ack" reason_ttl="64"/><service name="ssh" product="OpenSSH" version="9.2p1 Debian 2+deb12u3" extrainfo="protocol 2.0" ostype="Linux" method="probed" conf="10"><cpe>cpe:/a:openbsd:openssh:9.2p1</cpe><cpe>cpe:/o:linux:linux_kernel</cpe></service><script id="banner" output="SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3"/></port>
</ports>
</host>
<host endtime="1767366245"><status state="up" reason="syn-ack" reason_ttl="64"/>
<address addr="198.18.40.2" addrtype="ipv4"/>
<ports><port protocol="tcp" portid="443"><state state="open" reason="syn-ack" reason_ttl="64"/><service name="http" product="nginx" version="1.22.1" tunnel="ssl" method="probed" conf="10"><cpe>cpe:/a:igor_sysoev:nginx:1.22.1</cpe></service><script id="banner" output="HTTP/1.1 200 OK\x0D\x0AServer: nginx/1.22.1\x0D\x0A\x0D\x0A&lt;title&gt;Lab &amp; &quot;friends&quot;&lt;/title&gt;"/><script id="http-server-header" output="nginx/1.22.1"/><script id="http-title" output="Lab &amp; &quot;friends&quot;"/><script id="ssl-cert" output="Subject: CN=lab.example,O=Trawl Lab&#xA;Subject Alternative Name: DNS:lab.example, DNS:www.lab.example, IP Address:198.18.40.2&#xA;Issuer: CN=lab.example,O=Trawl Lab&#xA;Not valid before: 2026-01-01T00:00:00&#xA;Not valid after:  2027-01-01T00:00:00&#xA;SHA-256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"/></port>
<port protocol="tcp" portid="8080"><state state="open" reason="syn-ack" reason_ttl="64"/><service name="http-proxy" method="table" conf="3"/></port>
</ports>
</host>
<host endtime="1767366246"><status state="up" reason="syn-ack" reason_ttl="63"/>
<address addr="2001:db8::40" addrtype="ipv6"/>
<ports><port protocol="tcp" portid="3306"><state state="open" reason="syn-ack" reason_ttl="63"/><service name="mysql" product="MySQL" version="5.5.5-10.11.6-MariaDB-0+deb12u1" extrainfo="MariaDB/Debian 12" hostname="db.lab" method="probed" conf="10"><cpe>cpe:/a:mysql:mysql:5.5.5-10.11.6-mariadb-0+deb12u1</cpe></service><script id="banner" output="[\x00\x00\x00\x0A5.5.5-10.11.6-MariaDB\x00\xFF\xFE\xC3(\xC3\xA9 \x5Cx41 &lt;&amp;&gt;&quot;&apos; end"/></port>
<port protocol="tcp" portid="9999"><state state="open" reason="syn-ack" reason_ttl="63"/><service name="tcpwrapped" method="probed" conf="8"/></port>
</ports>
</host>
<runstats><finished time="1767366246" timestr="Fri Jan  2 15:04:06 2026" summary="trawl 0.1.0 done at Fri Jan  2 15:04:06 2026; 3 IP addresses (3 hosts up) scanned in 1.50 seconds" elapsed="1.50" exit="success"/><hosts up="3" down="0" total="3"/>
</runstats>
</nmaprun>
`},
		{FormatGrepable, grepHead + lines(
			"Host: 198.18.40.1 ()\tStatus: Up",
			"Host: 198.18.40.1 ()\tPorts: 22/open/tcp//ssh//OpenSSH 9.2p1 Debian 2+deb12u3 (protocol 2.0)/",
			"Host: 198.18.40.2 ()\tStatus: Up",
			"Host: 198.18.40.2 ()\tPorts: 443/open/tcp//ssl|http//nginx 1.22.1/, 8080/open/tcp//http-proxy?///",
			"Host: 2001:db8::40 ()\tStatus: Up",
			"Host: 2001:db8::40 ()\tPorts: 3306/open/tcp//mysql//MySQL 5.5.5-10.11.6-MariaDB-0+deb12u1 (MariaDB|Debian 12)/, 9999/open/tcp//tcpwrapped///",
			"# trawl 0.1.0 done at Fri Jan  2 15:04:06 2026 -- 3 IP addresses (3 hosts up) scanned in 1.50 seconds",
		)},
	}
	for _, tt := range tests {
		t.Run(tt.f.String(), func(t *testing.T) {
			if got := encode(t, tt.f, m, serviceResults); got != tt.want {
				t.Errorf("output differs\n got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
	// JSON writes the NDJSON lines in an array.
	want := "[\n" + strings.Join(strings.Split(strings.TrimSuffix(tests[2].want, "\n"), "\n"), ",\n") + "\n]\n"
	if got := encode(t, FormatJSON, m, serviceResults); got != want {
		t.Errorf("json output differs\n got:\n%s\nwant:\n%s", got, want)
	}
}

// TestServiceReadBack spells out what each format gives back of the ssh
// and https results, the fields it has a place for.
func TestServiceReadBack(t *testing.T) {
	ssh, https := serviceResults[0], serviceResults[1]
	xmlSSH := *sshService
	xmlSSH.Banner = []byte("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3") // trimmed, as nmap's banner script does
	xmlHTTPS := *httpsService
	xmlHTTPS.Banner = bytes.TrimSuffix(httpsService.Banner, []byte("\n"))
	xmlHTTPS.TLS = &TLSInfo{
		Subject: "CN=lab.example,O=Trawl Lab", Issuer: "CN=lab.example,O=Trawl Lab",
		SANs:      []string{"lab.example", "www.lab.example", "198.18.40.2"},
		NotBefore: certStart, NotAfter: certStart.AddDate(1, 0, 0),
		SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
	}
	xmlHTTPS.HTTP = &HTTPInfo{Server: "nginx/1.22.1", Title: `Lab & "friends"`} // no status line
	tests := []struct {
		f                Format
		wantSSH, wantTLS *ServiceInfo
	}{
		{FormatPlain, nil, nil},
		{FormatList,
			&ServiceInfo{Name: "ssh", Banner: sshService.Banner},
			&ServiceInfo{Name: "http", Banner: httpsService.Banner}},
		{FormatNDJSON, sshService, httpsService},
		{FormatJSON, sshService, httpsService},
		{FormatXML, &xmlSSH, &xmlHTTPS},
		{FormatGrepable,
			&ServiceInfo{Name: "ssh", Product: "OpenSSH 9.2p1 Debian 2+deb12u3", ExtraInfo: "protocol 2.0", Method: MethodProbed, Conf: ConfMatch},
			&ServiceInfo{Name: "http", Product: "nginx 1.22.1", Method: MethodProbed, Conf: ConfMatch, TLS: &TLSInfo{}}},
	}
	for _, tt := range tests {
		t.Run(tt.f.String(), func(t *testing.T) {
			got := readBack(t, tt.f, encode(t, tt.f, testMeta, []Result{ssh, https}))
			if len(got) != 2 {
				t.Fatalf("read %d results, want 2", len(got))
			}
			if !sameService(got[0].Service, tt.wantSSH) {
				t.Errorf("ssh: read %+v, want %+v", got[0].Service, tt.wantSSH)
			}
			if !sameService(got[1].Service, tt.wantTLS) {
				t.Errorf("https: read %+v (TLS %+v), want %+v (TLS %+v)", got[1].Service, tlsOf(got[1].Service), tt.wantTLS, tlsOf(tt.wantTLS))
			}
		})
	}
}

// tlsOf returns s's TLS, or nil, for messages.
func tlsOf(s *ServiceInfo) *TLSInfo {
	if s == nil {
		return nil
	}
	return s.TLS
}

// TestReaderNmapServices reads what nmap 7.93 wrote for "nmap -sV -sT
// -Pn -n --reason -p 18022,18080,18443,18099 --script banner,ssl-cert
// 127.0.0.1", in testdata/nmap-sv.xml and .gnmap, against an SSH banner,
// Python's http.server, and openssl s_server -www with a self-signed
// certificate for lab.example: the Reader takes nmap's own service
// records, whose layout trawl copies, and the Server header that -sV's
// http-server-header script found.
func TestReaderNmapServices(t *testing.T) {
	local := netip.MustParseAddr("127.0.0.1")
	ssh := &ServiceInfo{
		Name: "ssh", Product: "OpenSSH", Version: "9.2p1 Debian 2+deb12u3", ExtraInfo: "protocol 2.0", OSType: "Linux",
		CPE: []string{"cpe:/a:openbsd:openssh:9.2p1", "cpe:/o:linux:linux_kernel"}, Method: MethodProbed, Conf: ConfMatch,
		Banner: []byte("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3"),
	}
	http := &ServiceInfo{
		Name: "http", Product: "SimpleHTTPServer", Version: "0.6", ExtraInfo: "Python 3.11.7",
		CPE: []string{"cpe:/a:python:simplehttpserver:0.6"}, Method: MethodProbed, Conf: ConfMatch,
		HTTP: &HTTPInfo{Server: "SimpleHTTP/0.6 Python/3.11.7"},
	}
	tlsCmd := "command line: s_server -accept 18443 -cert cert.pem -key key.pem -www -quiet"
	https := &ServiceInfo{
		Name: "http", Product: "OpenSSL s_server -www httpd", ExtraInfo: tlsCmd,
		CPE: []string{"cpe:/a:openssl:openssl"}, Method: MethodProbed, Conf: ConfMatch,
		TLS: &TLSInfo{
			Subject: "commonName=lab.example/organizationName=Trawl Lab", Issuer: "commonName=lab.example/organizationName=Trawl Lab",
			SANs:      []string{"lab.example", "www.lab.example", "127.0.0.1"},
			NotBefore: time.Date(2026, 12, 3, 14, 46, 54, 0, time.UTC), NotAfter: time.Date(2027, 12, 3, 14, 46, 54, 0, time.UTC),
		},
	}
	at := time.Unix(1796309264, 0).UTC()
	xmlWant := []Result{
		{IP: local, Port: 18022, Status: StatusOpen, Reason: ReasonSYNACK, Time: at, Service: ssh},
		{IP: local, Port: 18080, Status: StatusOpen, Reason: ReasonSYNACK, Time: at, Service: http},
		{IP: local, Port: 18099, Status: StatusClosed, Reason: ReasonConnRefused, Time: at},
		{IP: local, Port: 18443, Status: StatusOpen, Reason: ReasonSYNACK, Time: at, Service: https},
	}
	grepWant := []Result{
		{IP: local, Port: 18022, Status: StatusOpen, Service: &ServiceInfo{Name: "ssh", Product: "OpenSSH 9.2p1 Debian 2+deb12u3", ExtraInfo: "protocol 2.0", Method: MethodProbed, Conf: ConfMatch}},
		{IP: local, Port: 18080, Status: StatusOpen, Service: &ServiceInfo{Name: "http", Product: "SimpleHTTPServer 0.6", ExtraInfo: "Python 3.11.7", Method: MethodProbed, Conf: ConfMatch}},
		{IP: local, Port: 18099, Status: StatusClosed},
		{IP: local, Port: 18443, Status: StatusOpen, Service: &ServiceInfo{Name: "http", Product: "OpenSSL s_server -www httpd", ExtraInfo: tlsCmd, Method: MethodProbed, Conf: ConfMatch, TLS: &TLSInfo{}}},
	}
	for _, tt := range []struct {
		f    Format
		file string
		want []Result
	}{
		{FormatXML, "nmap-sv.xml", xmlWant},
		{FormatGrepable, "nmap-sv.gnmap", grepWant},
	} {
		t.Run(tt.f.String(), func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			requireSame(t, readBack(t, tt.f, string(data)), tt.want)
		})
	}
}

// TestReaderNmapHTTP reads what nmap 7.93 wrote for "nmap -sV -sT -Pn -n
// --reason -p 18080,18081,18082,18083 --script
// http-title,http-server-header 127.0.0.1", in testdata/nmap-http.xml,
// against Python's http.server calling itself nginx: a page with a title
// holding an entity, which nmap leaves as it is; a page without a title;
// a redirect to a page with one, which nmap writes on a second line; and
// a server whose Server header is one thing without a Host header and
// another with one, which nmap writes as a list. Nmap's words for a page
// without a title are kept as they are, and every result reads back the
// same once written again.
func TestReaderNmapHTTP(t *testing.T) {
	local := netip.MustParseAddr("127.0.0.1")
	at := time.Unix(1796315777, 0).UTC()
	nginx := func(version string, h *HTTPInfo) *ServiceInfo {
		return &ServiceInfo{Name: "http", Product: "nginx", Version: version, CPE: []string{"cpe:/a:igor_sysoev:nginx:" + version},
			Method: MethodProbed, Conf: ConfMatch, HTTP: h}
	}
	want := []Result{
		{IP: local, Port: 18080, Status: StatusOpen, Reason: ReasonSYNACK, Time: at,
			Service: nginx("1.22.1", &HTTPInfo{Server: "nginx/1.22.1", Title: `Trawl Lab &amp; "friends"`})},
		{IP: local, Port: 18081, Status: StatusOpen, Reason: ReasonSYNACK, Time: at,
			Service: nginx("1.22.1", &HTTPInfo{Server: "nginx/1.22.1", Title: "Site doesn't have a title (text/html; charset=utf-8)."})},
		{IP: local, Port: 18082, Status: StatusOpen, Reason: ReasonSYNACK, Time: at,
			Service: nginx("1.22.1", &HTTPInfo{Server: "nginx/1.22.1", Title: "Log in"})},
		{IP: local, Port: 18083, Status: StatusOpen, Reason: ReasonSYNACK, Time: at,
			Service: nginx("1.24.0", &HTTPInfo{Server: "nginx/1.24.0", Title: "Two"})},
	}
	data, err := os.ReadFile(filepath.Join("testdata", "nmap-http.xml"))
	if err != nil {
		t.Fatal(err)
	}
	got := readBack(t, FormatXML, string(data))
	requireSame(t, got, want)
	requireSame(t, readBack(t, FormatXML, encode(t, FormatXML, testMeta, got)), got)
}

func TestScriptLine(t *testing.T) {
	tests := []struct{ out, want string }{
		{"", ""},
		{"nginx/1.22.1", "nginx/1.22.1"},
		{" padded ", " padded "},
		{"Log in\nRequested resource was /login", "Log in"},
		{"\n  nginx/1.24.0\n  nginx/1.24.0 (vhost)", "nginx/1.24.0"},
		{"\n", ""},
		{"\n  ", ""},
		{"\n x", " x"},
		{"a\tb\rc\x00d", "a b c d"},
		{"\xff title", "\ufffd title"},
	}
	for _, tt := range tests {
		got := scriptLine(tt.out)
		if got != tt.want {
			t.Errorf("scriptLine(%q) = %q, want %q", tt.out, got, tt.want)
		}
		// Written and read again, it is the same.
		if again := scriptLine(string(appendAttrLine(nil, got))); got != "" && again != got {
			t.Errorf("scriptLine(%q) = %q, written and read again %q", tt.out, got, again)
		}
	}
}

// TestReaderXMLServiceOddities reads service records that nmap.dtd does
// not allow but XML does: a reader must not trip over them.
func TestReaderXMLServiceOddities(t *testing.T) {
	host := func(ports string) string {
		return xmlHead + xmlInfo + `<host><address addr="198.18.0.1" addrtype="ipv4"/><ports>` + ports + "</ports></host>\n"
	}
	open := `<state state="open" reason="syn-ack" reason_ttl="0"/>`
	tests := []struct {
		name, doc string
		want      []*ServiceInfo
	}{
		{"a port inside a service", host(`<port protocol="tcp" portid="1">` + open + `<service name="a" method="probed" conf="10"><port protocol="tcp" portid="2">` + open + `<cpe>x</cpe></port></service></port>`),
			[]*ServiceInfo{nil}}, // the inner port, which ends the outer one
		{"cpe outside a service", host(`<port protocol="tcp" portid="1">` + open + `<cpe>x</cpe><service name="a" method="probed" conf="10"/></port>`),
			[]*ServiceInfo{{Name: "a", Method: MethodProbed, Conf: 10}}},
		{"script before the service", host(`<port protocol="tcp" portid="1">` + open + `<script id="banner" output="x"/><service name="a" method="probed" conf="10"/></port>`),
			[]*ServiceInfo{{Name: "a", Method: MethodProbed, Conf: 10}}},
		{"script without a service", host(`<port protocol="tcp" portid="1">` + open + `<script id="banner" output=" x "/></port>`),
			[]*ServiceInfo{{Name: "unknown", Method: MethodTable, Banner: []byte("x")}}},
		{"unknown method, no conf, no name", host(`<port protocol="tcp" portid="1">` + open + `<service method="guessed"/></port>`),
			[]*ServiceInfo{{Name: "unknown", Method: MethodTable}}},
		{"http scripts without a service", host(`<port protocol="tcp" portid="80">` + open + `<script id="http-title" output="x"/></port>`),
			[]*ServiceInfo{{Name: "unknown", Method: MethodTable, HTTP: &HTTPInfo{Title: "x"}}}},
		{"http scripts with empty output", host(`<port protocol="tcp" portid="80">` + open + `<script id="http-server-header" output=""/><script id="http-title" output="&#xA;"/></port>`),
			[]*ServiceInfo{nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readBack(t, FormatXML, tt.doc)
			if len(got) != len(tt.want) {
				t.Fatalf("read %d results, want %d: %+v", len(got), len(tt.want), got)
			}
			for i := range got {
				if !sameService(got[i].Service, tt.want[i]) {
					t.Errorf("result %d: service %+v, want %+v", i, got[i].Service, tt.want[i])
				}
			}
		})
	}
	for _, conf := range []string{"11", "-1", "x", ""} {
		d, err := NewReader(FormatXML, strings.NewReader(host(`<port protocol="tcp" portid="1">`+open+`<service name="a" method="probed" conf="`+conf+`"/></port>`)))
		if err != nil {
			t.Fatal(err)
		}
		var se *SyntaxError
		if _, err := d.Next(); !errors.As(err, &se) || !strings.Contains(err.Error(), "want a number from 0 to 10") {
			t.Errorf("conf=%q: Next = %v, want a *SyntaxError", conf, err)
		}
	}
}

// TestGrepableServiceEntries reads service and version fields as nmap
// writes them, ", " and '|' inside included, and checks that each reads
// back the same once written again.
func TestGrepableServiceEntries(t *testing.T) {
	ip := netip.MustParseAddr("198.18.0.1")
	tests := []struct {
		name, entry string
		want        *ServiceInfo
	}{
		{"table name: no service", "80/open/tcp//http///", nil},
		{"no name: no service", "81/open/tcp/////", nil},
		{"table name, not sure, closed: no service", "80/closed/tcp//http?///", nil},
		{"table name, not sure", "80/open/tcp//http?///", &ServiceInfo{Name: "http", Method: MethodTable, Conf: ConfTable}},
		{"another name", "81/open/tcp//http///", &ServiceInfo{Name: "http", Method: MethodProbed, Conf: ConfMatch}},
		{"unknown", "81/open/tcp//unknown///", &ServiceInfo{Name: "unknown", Method: MethodProbed, Conf: ConfMatch}},
		{"unknown, not sure: no such thing", "81/open/tcp//unknown?///", &ServiceInfo{Name: "unknown", Method: MethodProbed, Conf: ConfMatch}},
		{"TLS, unknown inside", "443/open/tcp//ssl|unknown///", &ServiceInfo{Name: "unknown", Method: MethodProbed, Conf: ConfMatch, TLS: &TLSInfo{}}},
		{"commas and slashes in the version", "80/open/tcp//http//Apache httpd 2.4.57 ((Debian) PHP|8.2.7, mod_ssl|2.4.57, OpenSSL|3.0.9)/",
			&ServiceInfo{Name: "http", Product: "Apache httpd 2.4.57", ExtraInfo: "(Debian) PHP/8.2.7, mod_ssl/2.4.57, OpenSSL/3.0.9", Method: MethodProbed, Conf: ConfMatch}},
		{"product only", "25/open/tcp//smtp//Postfix smtpd/", &ServiceInfo{Name: "smtp", Product: "Postfix smtpd", Method: MethodProbed, Conf: ConfMatch}},
		{"extrainfo only", "25/open/tcp//smtp//(x)/", &ServiceInfo{Name: "smtp", ExtraInfo: "x", Method: MethodProbed, Conf: ConfMatch}},
		{"parenthesis not after a space", "25/open/tcp//smtp//a(x)/", &ServiceInfo{Name: "smtp", Product: "a(x)", Method: MethodProbed, Conf: ConfMatch}},
		{"unbalanced", "25/open/tcp//smtp//a (x))/", &ServiceInfo{Name: "smtp", Product: "a (x))", Method: MethodProbed, Conf: ConfMatch}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The entry between two others, so that its ", " must not
			// split it.
			line := "Host: 198.18.0.1 ()\tPorts: 1/closed/tcp/////, " + tt.entry + ", 2/closed/tcp/////\n"
			got := readBack(t, FormatGrepable, line)
			if len(got) != 3 || got[0].Port != 1 || got[2].Port != 2 {
				t.Fatalf("read %+v, want three results", got)
			}
			if !sameService(got[1].Service, tt.want) {
				t.Errorf("read %+v, want %+v", got[1].Service, tt.want)
			}
			again := readBack(t, FormatGrepable, encode(t, FormatGrepable, testMeta, got))
			requireSame(t, again, got)
			if got[1].IP != ip {
				t.Errorf("address %v", got[1].IP)
			}
		})
	}
}

func TestSplitExtraInfo(t *testing.T) {
	tests := []struct{ v, product, extra string }{
		{"", "", ""},
		{"OpenSSH 9.2p1 Debian 2+deb12u3 (protocol 2.0)", "OpenSSH 9.2p1 Debian 2+deb12u3", "protocol 2.0"},
		{"(protocol 2.0)", "", "protocol 2.0"},
		{"Apache httpd 2.4.57 ((Debian))", "Apache httpd 2.4.57", "(Debian)"},
		{"a (b) (c)", "a (b)", "c"},
		{"a ()", "a ()", ""},
		{"a (b) ()", "a (b) ()", ""},
		{"a(b)", "a(b)", ""},
		{"a (b))", "a (b))", ""},
		{"a b)", "a b)", ""},
		{"a  (b)", "a ", "b"},
		{"(b", "(b", ""},
	}
	for _, tt := range tests {
		p, e := splitExtraInfo(tt.v)
		if p != tt.product || e != tt.extra {
			t.Errorf("splitExtraInfo(%q) = %q, %q; want %q, %q", tt.v, p, e, tt.product, tt.extra)
		}
		// Written again, the parts give the same string, so that the
		// split is the same.
		if got := string(appendGrepVersion(nil, &ServiceInfo{Product: p, ExtraInfo: e})); e != "" && got != strings.TrimLeft(tt.v, " ") && !strings.Contains(tt.v, "  ") {
			t.Errorf("%q split and joined is %q", tt.v, got)
		}
	}
}

// TestListBannerLines checks which banner lines attach to a result: the
// first one right after the result's line, for its address and port.
func TestListBannerLines(t *testing.T) {
	const (
		open22  = "open tcp 22 198.18.0.1 1700000000\n"
		open80  = "open tcp 80 198.18.0.1 1700000000\n"
		ssh     = "banner tcp 22 198.18.0.1 1700000001 ssh SSH-2.0-x\\x0d\\x0a\n"
		title   = "banner tcp 22 198.18.0.1 1700000001 title x\n"
		empty   = "banner tcp 22 198.18.0.1 1700000001 ssh\n"
		spaces  = "banner tcp 22 198.18.0.1 1700000001 ssh   \n"
		crlf    = "banner tcp 22 198.18.0.1 1700000001 ssh a b\r\n"
		noName  = "banner tcp 22 198.18.0.1 1700000001  x\n"
		badPort = "banner tcp 99999 198.18.0.1 1700000001 ssh x\n"
		short   = "banner tcp 22 198.18.0.1\n"
		cut     = "banner tcp 22 198.18.0.1 1700000001 ssh SSH-2.0"
	)
	sshSvc := &ServiceInfo{Name: "ssh", Banner: []byte("SSH-2.0-x\r\n")}
	tests := []struct {
		name, doc string
		want      []*ServiceInfo // per result
		errs      int
	}{
		{"after its result", open22 + ssh, []*ServiceInfo{sshSvc}, 0},
		{"the first of two", open22 + ssh + title, []*ServiceInfo{sshSvc}, 0},
		{"for another port, as masscan may write it later", open80 + ssh, []*ServiceInfo{nil}, 0},
		{"after another result", open22 + open80 + ssh, []*ServiceInfo{nil, nil}, 0},
		{"before its result", ssh + open22, []*ServiceInfo{nil}, 0},
		{"without text", open22 + empty, []*ServiceInfo{nil}, 0},
		{"text of spaces", open22 + spaces, []*ServiceInfo{{Name: "ssh", Banner: []byte("  ")}}, 0},
		{"CRLF", open22 + crlf, []*ServiceInfo{{Name: "ssh", Banner: []byte("a b")}}, 0},
		{"no name", open22 + noName, []*ServiceInfo{{Name: "unknown", Banner: []byte("x")}}, 0},
		{"bad port", open22 + badPort + ssh, []*ServiceInfo{sshSvc}, 1},
		{"too few fields", open22 + short, []*ServiceInfo{nil}, 1},
		{"cut", open22 + cut, []*ServiceInfo{nil}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := NewReader(FormatList, strings.NewReader("#masscan\n"+tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			var got []*ServiceInfo
			errs := 0
			for {
				r, err := d.Next()
				if err == io.EOF {
					break
				}
				var se *SyntaxError
				if errors.As(err, &se) {
					errs++
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, r.Service)
			}
			if len(got) != len(tt.want) || errs != tt.errs {
				t.Fatalf("read %d results and %d errors, want %d and %d", len(got), errs, len(tt.want), tt.errs)
			}
			for i := range got {
				if !sameService(got[i], tt.want[i]) {
					t.Errorf("result %d: service %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// TestListResultBeforeError checks that a result held back for its banner
// line comes out before the error of a bad line after it.
func TestListResultBeforeError(t *testing.T) {
	d, err := NewReader(FormatList, strings.NewReader("open tcp 22 198.18.0.1 0\nbad\nopen tcp 23 198.18.0.1 0\n"))
	if err != nil {
		t.Fatal(err)
	}
	var se *SyntaxError
	if r, err := d.Next(); err != nil || r.Port != 22 {
		t.Fatalf("Next = %v, %v; want port 22", r.Port, err)
	}
	if _, err := d.Next(); !errors.As(err, &se) || se.Line != 2 {
		t.Fatalf("Next = %v, want the error of line 2", err)
	}
	if r, err := d.Next(); err != nil || r.Port != 23 {
		t.Fatalf("Next = %v, %v; want port 23", r.Port, err)
	}
	if _, err := d.Next(); err != io.EOF {
		t.Fatalf("Next = %v, want io.EOF", err)
	}
}

// TestBannerBytes writes every byte value, and text that looks like the
// formats' escapes, in each format that keeps banners, and checks that
// JSON decoders see one code point per byte and that each reader gives
// the bytes back.
func TestBannerBytes(t *testing.T) {
	every := make([]byte, 256)
	for i := range every {
		every[i] = byte(i)
	}
	banners := map[string][]byte{
		"every byte":     every,
		"escape lookers": []byte(`\x41 \x4 \\x41 \u0041 \xZZ \ x &amp; &#xA; "\"`),
		"valid UTF-8":    []byte("héllo, 世界 \u2028"),
		"invalid UTF-8":  []byte("\xc3\x28 \xe2\x82 \xff\xfe \xed\xa0\x80"),
	}
	for name, p := range banners {
		t.Run(name, func(t *testing.T) {
			r := Result{IP: netip.MustParseAddr("198.18.0.1"), Port: 7, Status: StatusOpen, Time: testStart,
				Service: &ServiceInfo{Name: "echo", Banner: p}}
			line := appendJSON(nil, r)
			var v struct {
				Service struct{ Banner string }
			}
			if err := json.Unmarshal(line, &v); err != nil {
				t.Fatalf("json.Unmarshal(%s): %v", line, err)
			}
			if got := latin1Bytes(v.Service.Banner); !bytes.Equal(got, p) {
				t.Errorf("encoding/json reads the banner as %q, want %q", got, p)
			}
			for _, c := range v.Service.Banner {
				if c > 0xff {
					t.Errorf("code point %U above U+00FF", c)
				}
			}
			for _, f := range []Format{FormatList, FormatNDJSON, FormatJSON, FormatXML} {
				got := readBack(t, f, encode(t, f, testMeta, []Result{r}))
				want := p
				if f == FormatXML {
					want = trimSpace(p)
				}
				if len(got) != 1 || got[0].Service == nil || !bytes.Equal(got[0].Service.Banner, want) {
					t.Errorf("%v: read back %+v, want banner %q", f, got, want)
				}
			}
		})
	}
}

// TestBannerEscapeExhaustive checks, for every string of up to four bytes
// from an alphabet of the bytes that matter to the escapes, that the list
// and XML escapes give the bytes back.
func TestBannerEscapeExhaustive(t *testing.T) {
	alphabet := []byte{'\\', 'x', 'X', '4', 'a', 'G', ' ', 0x00, 0xff}
	var p []byte
	var walk func(n int)
	walk = func(n int) {
		var list, attr []byte
		for _, c := range p {
			if bannerPlain(c) {
				list = append(list, c)
			} else {
				list = append(list, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
			}
		}
		if got := unescapeHex(list); !bytes.Equal(got, p) {
			t.Fatalf("list: %q written %q reads back as %q", p, list, got)
		}
		attr = appendBannerAttr(attr, p)
		var v struct {
			Output string `xml:"output,attr"`
		}
		if err := xml.Unmarshal([]byte(`<script output="`+string(attr)+`"/>`), &v); err != nil {
			t.Fatalf("xml: %q written %q: %v", p, attr, err)
		}
		if got := unescapeHex([]byte(v.Output)); !bytes.Equal(got, p) {
			t.Fatalf("xml: %q written %q reads back as %q", p, attr, got)
		}
		if n == 0 {
			return
		}
		for _, c := range alphabet {
			p = append(p, c)
			walk(n - 1)
			p = p[:len(p)-1]
		}
	}
	walk(4)
}

// TestMaxBanner checks that every format writes, and every reader keeps,
// MaxBanner bytes of a longer banner.
func TestMaxBanner(t *testing.T) {
	long := bytes.Repeat([]byte("0123456789abcde\x00"), MaxBanner/16+10)
	r := Result{IP: netip.MustParseAddr("198.18.0.1"), Port: 7, Status: StatusOpen, Time: testStart,
		Service: &ServiceInfo{Name: "echo", Banner: long}}
	for _, f := range []Format{FormatList, FormatNDJSON, FormatJSON, FormatXML} {
		got := readBack(t, f, encode(t, f, testMeta, []Result{r}))
		if len(got) != 1 || got[0].Service == nil || !bytes.Equal(got[0].Service.Banner, long[:MaxBanner]) {
			t.Errorf("%v: read back a banner of %d bytes, want the first %d", f, len(got[0].Service.Banner), MaxBanner)
		}
	}
	in := `{"ip":"198.18.0.1","port":7,"status":"open","service":{"banner":"` + strings.Repeat("a", MaxBanner+1) + `"}}` + "\n"
	if got := readBack(t, FormatNDJSON, in); len(got[0].Service.Banner) != MaxBanner {
		t.Errorf("NDJSON reader kept %d bytes of a banner of %d", len(got[0].Service.Banner), MaxBanner+1)
	}
}

// TestServiceEdgeValues writes services with values out of nmap's range:
// a confidence above 10, a method nmap does not know, no name, names and
// fields with control characters and separators.
func TestServiceEdgeValues(t *testing.T) {
	s := &ServiceInfo{Name: "a b/c\td", Product: "p/q\nr", ExtraInfo: "x\x00y", Method: "guessed", Conf: 200,
		Banner: []byte("hi"), CPE: []string{"cpe:/a:x\r<&>"}}
	r := Result{IP: netip.MustParseAddr("198.18.0.1"), Port: 7, Status: StatusOpen, Time: testStart, Service: s}
	want := map[Format]string{
		FormatList:     "banner tcp 7 198.18.0.1 1767366245 a_b/c_d hi\n",
		FormatNDJSON:   `"service":{"name":"a b/c\td","product":"p/q\nr","extrainfo":"x\u0000y","cpe":["cpe:/a:x\r<&>"],"method":"guessed","conf":10,"banner":"hi"}}`,
		FormatXML:      `<service name="a b/c&#x9;d" product="p/q&#xA;r" extrainfo="x` + "\ufffd" + `y" method="table" conf="10"><cpe>cpe:/a:x&#xD;&lt;&amp;&gt;</cpe></service><script id="banner" output="hi"/>`,
		FormatGrepable: "7/open/tcp//a b|c d//p|q r (x y)/",
	}
	for f, w := range want {
		doc := encode(t, f, testMeta, []Result{r})
		if !strings.Contains(doc, w) {
			t.Errorf("%v: output does not contain %q:\n%s", f, w, doc)
		}
		readBack(t, f, doc)
	}
	noName := Result{IP: r.IP, Port: 7, Status: StatusOpen, Service: &ServiceInfo{Banner: []byte("x")}}
	for f, w := range map[Format]string{FormatXML: `<service name="unknown" method="table" conf="0"/>`, FormatGrepable: "7/open/tcp//unknown///", FormatList: " unknown x\n"} {
		if doc := encode(t, f, testMeta, []Result{noName}); !strings.Contains(doc, w) {
			t.Errorf("%v: no name: output does not contain %q:\n%s", f, w, doc)
		}
	}
}

// TestServiceHTTP writes HTTP replies of every shape in each format: the
// JSON formats hold every member, XML the Server header and the title on
// one line each, the others nothing; each reads back as what it holds.
func TestServiceHTTP(t *testing.T) {
	tests := []struct {
		name      string
		http      *HTTPInfo
		json, xml string // "" for no http-server-header or http-title script
	}{
		{"all of it", &HTTPInfo{Status: "HTTP/1.1 200 OK", Server: "nginx/1.22.1", Title: "Welcome to nginx!"},
			`"http":{"status":"HTTP/1.1 200 OK","server":"nginx/1.22.1","title":"Welcome to nginx!"}`,
			`<script id="http-server-header" output="nginx/1.22.1"/><script id="http-title" output="Welcome to nginx!"/>`},
		{"status only", &HTTPInfo{Status: "HTTP/1.0 404 Not Found"}, `"http":{"status":"HTTP/1.0 404 Not Found"}`, ""},
		{"title only", &HTTPInfo{Title: "x"}, `"http":{"title":"x"}`, `<script id="http-title" output="x"/>`},
		{"nothing known", &HTTPInfo{}, `"http":{}`, ""},
		{"control characters and markup", &HTTPInfo{Server: "a\tb", Title: "<b>\r\n&amp; 'q' \"Q\"</b>"},
			`"http":{"server":"a\tb","title":"<b>\r\n&amp; 'q' \"Q\"</b>"}`,
			`<script id="http-server-header" output="a b"/><script id="http-title" output="&lt;b&gt;  &amp;amp; &apos;q&apos; &quot;Q&quot;&lt;/b&gt;"/>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := []Result{{IP: netip.MustParseAddr("198.18.0.1"), Port: 80, Status: StatusOpen, Time: testStart,
				Service: &ServiceInfo{Name: "http", Method: MethodProbed, Conf: ConfMatch, HTTP: tt.http}}}
			if doc := encode(t, FormatNDJSON, testMeta, rs); !strings.HasSuffix(doc, `"conf":10,`+tt.json+"}}\n") {
				t.Errorf("ndjson: %s, want it to end with %s", doc, tt.json)
			}
			doc := encode(t, FormatXML, testMeta, rs)
			if tt.xml != "" && !strings.Contains(doc, `conf="10"/>`+tt.xml+"</port>") || tt.xml == "" && strings.Contains(doc, `<script id="http-`) {
				t.Errorf("xml: %s\nwant the scripts %q", doc, tt.xml)
			}
			for _, f := range formats {
				requireSame(t, readBack(t, f, encode(t, f, testMeta, rs)), kept(f, rs))
			}
		})
	}
}

// TestAppendJSONServices continues JSON documents whose last record, whole
// or cut, holds brackets and braces in its strings, as a killed scan with
// banners leaves them, and checks that the result is valid JSON holding
// every whole record.
func TestAppendJSONServices(t *testing.T) {
	tricky := Result{IP: netip.MustParseAddr("198.18.0.9"), Port: 80, Status: StatusOpen, Time: testStart,
		Service: &ServiceInfo{Name: "http", CPE: []string{"]", "}"}, Banner: []byte("]}\n]"), TLS: &TLSInfo{SANs: []string{"[", "]"}}}}
	first := string(appendJSON(nil, tricky))
	extra := Result{IP: netip.MustParseAddr("198.18.0.10"), Port: 22, Status: StatusOpen, Time: testStart}
	docs := map[string]int{
		"[\n" + first:                                1, // killed after a record
		"[\n" + first + ",\n" + first:                2,
		"[\n" + first + ",\n" + first[:len(first)-3]: 1, // killed within a record
		"[\n" + first[:40]:                           0,
		"[\n" + first + ",\n":                        1,
		"[" + first:                                  1, // continued after a cut "["
		"[" + first[:len(first)-1]:                   0,
	}
	path := filepath.Join(t.TempDir(), "out")
	for doc, n := range docs {
		writeFile(t, path, doc)
		appendResults(t, FormatJSON, path, []Result{extra})
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var v []json.RawMessage
		if err := json.Unmarshal(data, &v); err != nil || len(v) != n+1 {
			t.Errorf("continued %q: %v, %d records, want %d:\n%s", doc, err, len(v), n+1, data)
		}
	}
}

func BenchmarkEncodeService(b *testing.B) {
	for _, f := range formats {
		b.Run(f.String(), func(b *testing.B) {
			e, err := NewEncoder(f, io.Discard, testMeta)
			if err != nil {
				b.Fatal(err)
			}
			perResult := (len(encode(b, f, testMeta, serviceResults)) - len(encode(b, f, testMeta, nil))) / len(serviceResults)
			b.SetBytes(int64(perResult))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if err := e.Encode(serviceResults[i%len(serviceResults)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
