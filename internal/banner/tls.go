package banner

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
)

// maxSANs is the most subject alternative names that a TLSInfo keeps.
const maxSANs = 64

// The TLS client configurations: the first handshake offers h2 and
// http/1.1, to learn which the server prefers; later ones offer http/1.1
// only, so that the server expects Grab's HTTP/1.0 request.
var (
	alpnAll   = clientConfig("h2", "http/1.1")
	alpnHTTP1 = clientConfig("http/1.1")
)

// clientConfig returns a client configuration that completes a handshake
// with as many servers as crypto/tls can: no certificate verification
// (Grab describes the certificate, it does not trust it), no server name
// (the target is an address, and Go sends no SNI for one), TLS 1.0 and up,
// and every cipher suite that crypto/tls implements, insecure ones too.
func clientConfig(alpn ...string) *tls.Config {
	var suites []uint16
	for _, s := range tls.CipherSuites() {
		suites = append(suites, s.ID)
	}
	for _, s := range tls.InsecureCipherSuites() {
		suites = append(suites, s.ID)
	}
	return &tls.Config{
		InsecureSkipVerify: true,
		NextProtos:         alpn,
		MinVersion:         tls.VersionTLS10,
		CipherSuites:       suites,
	}
}

// summarize describes a TLS session and the leaf certificate it carried.
func summarize(st tls.ConnectionState) *TLSInfo {
	t := &TLSInfo{
		Version: tls.VersionName(st.Version),
		Cipher:  tls.CipherSuiteName(st.CipherSuite),
		ALPN:    clean([]byte(st.NegotiatedProtocol)),
	}
	if len(st.PeerCertificates) > 0 {
		describeCert(t, st.PeerCertificates[0])
	}
	return t
}

// describeCert fills in t's certificate fields from c. Every string is
// cleaned as HTTP fields are, since a certificate is the server's to
// write.
func describeCert(t *TLSInfo, c *x509.Certificate) {
	t.Subject = clean([]byte(c.Subject.String()))
	t.Issuer = clean([]byte(c.Issuer.String()))
	t.SANs = nil
	for _, name := range c.DNSNames {
		if len(t.SANs) == maxSANs {
			break
		}
		t.SANs = append(t.SANs, clean([]byte(name)))
	}
	for _, ip := range c.IPAddresses {
		if len(t.SANs) == maxSANs {
			break
		}
		t.SANs = append(t.SANs, clean([]byte(ip.String())))
	}
	t.NotBefore, t.NotAfter = c.NotBefore.UTC(), c.NotAfter.UTC()
	sum := sha256.Sum256(c.Raw)
	t.SHA256 = hex.EncodeToString(sum[:])
}
