package banner

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"fmt"
	"math/big"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
)

// makeCert returns the DER of a self-signed certificate with the given
// subject and SANs.
func makeCert(t testing.TB, subject pkix.Name, dns []string, ips []net.IP) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7),
		Subject:      subject,
		NotBefore:    time.Date(2025, 6, 1, 0, 0, 0, 0, time.FixedZone("CEST", 2*3600)),
		NotAfter:     time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC),
		DNSNames:     dns,
		IPAddresses:  ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestSummarize(t *testing.T) {
	var dns []string
	for i := range 100 {
		dns = append(dns, fmt.Sprintf("h%d.trawl.test", i))
	}
	der := makeCert(t, pkix.Name{CommonName: "a\x01b  c", Organization: []string{"Trawl, Inc."}},
		dns, []net.IP{net.IPv4(192, 0, 2, 1)})
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	got := summarize(tls.ConnectionState{Version: tls.VersionTLS12, CipherSuite: tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
		NegotiatedProtocol: "h2", PeerCertificates: []*x509.Certificate{leaf}})
	sum := sha256.Sum256(der)
	want := &TLSInfo{Version: "TLS 1.2", Cipher: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", ALPN: "h2",
		Subject: `CN=a b c,O=Trawl\, Inc.`, Issuer: `CN=a b c,O=Trawl\, Inc.`, SANs: dns[:maxSANs],
		NotBefore: time.Date(2025, 5, 31, 22, 0, 0, 0, time.UTC), NotAfter: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC),
		SHA256: hex.EncodeToString(sum[:])}
	if got.Version != want.Version || got.Cipher != want.Cipher || got.ALPN != want.ALPN || got.Subject != want.Subject ||
		got.Issuer != want.Issuer || !slices.Equal(got.SANs, want.SANs) || got.NotBefore != want.NotBefore ||
		got.NotAfter != want.NotAfter || got.SHA256 != want.SHA256 {
		t.Errorf("summarize:\n got %+v\nwant %+v", got, want)
	}
	if got := summarize(tls.ConnectionState{Version: 0x0305, CipherSuite: 0xbeef}); got.Version != "0x0305" || got.Cipher != "0xBEEF" || got.SHA256 != "" {
		t.Errorf("no certificate, unknown version and suite: %+v", got)
	}
}

// FuzzSummary parses random DER as a certificate and, when it parses,
// checks that the summary never panics, keeps the bounds and tells the
// truth: the fingerprint is the DER's, the SANs are the certificate's, in
// order, and every string is clean.
func FuzzSummary(f *testing.F) {
	f.Add(makeCert(f, pkix.Name{CommonName: "trawl test", Organization: []string{"trawl"}},
		[]string{"trawl.test"}, []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}), uint16(tls.VersionTLS13), tls.TLS_AES_128_GCM_SHA256, "h2")
	f.Add(makeCert(f, pkix.Name{CommonName: "weird\x01\u200b  name"}, nil, nil), uint16(0x0300), uint16(0xbeef), "\x00")
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x00}, uint16(0), uint16(0), "")
	f.Fuzz(func(t *testing.T, der []byte, version, suite uint16, alpn string) {
		leaf, err := x509.ParseCertificate(der)
		if err != nil {
			return
		}
		got := summarize(tls.ConnectionState{Version: version, CipherSuite: suite, NegotiatedProtocol: alpn,
			PeerCertificates: []*x509.Certificate{leaf}})
		sum := sha256.Sum256(der)
		if got.SHA256 != hex.EncodeToString(sum[:]) {
			t.Fatalf("SHA256 %s is not the DER's", got.SHA256)
		}
		var want []string
		for _, n := range leaf.DNSNames {
			want = append(want, clean([]byte(n)))
		}
		for _, ip := range leaf.IPAddresses {
			want = append(want, clean([]byte(ip.String())))
		}
		if len(want) > maxSANs {
			want = want[:maxSANs]
		}
		if !slices.Equal(got.SANs, want) {
			t.Fatalf("SANs %q, want %q", got.SANs, want)
		}
		for _, s := range append([]string{got.Version, got.Cipher, got.ALPN, got.Subject, got.Issuer}, got.SANs...) {
			if !isClean(s) {
				t.Fatalf("unclean field %q", s)
			}
		}
		if got.NotBefore.Location() != time.UTC || got.NotAfter.Location() != time.UTC {
			t.Fatalf("validity not in UTC")
		}
	})
}

// FuzzDescribeCert feeds describeCert certificates that no parser
// vetted, with any strings in the names a server writes, and checks that
// what it keeps is clean and bounded.
func FuzzDescribeCert(f *testing.F) {
	f.Add("trawl test", "trawl", "trawl.test,www.trawl.test", []byte{127, 0, 0, 1}, []byte("raw"))
	f.Add("\xff\x00", "\u202e", strings.Repeat("a,", 100), []byte{1, 2, 3}, []byte{})
	f.Fuzz(func(t *testing.T, cn, org, dns string, ip, raw []byte) {
		c := &x509.Certificate{
			Raw:         raw,
			Subject:     pkix.Name{CommonName: cn, Organization: []string{org}},
			Issuer:      pkix.Name{CommonName: org, Organization: []string{cn}},
			DNSNames:    strings.Split(dns, ","),
			IPAddresses: []net.IP{ip},
		}
		var got TLSInfo
		describeCert(&got, c)
		if len(got.SANs) > maxSANs {
			t.Fatalf("%d SANs", len(got.SANs))
		}
		for _, s := range append([]string{got.Subject, got.Issuer}, got.SANs...) {
			if !isClean(s) {
				t.Fatalf("unclean field %q", s)
			}
		}
		sum := sha256.Sum256(raw)
		if got.SHA256 != hex.EncodeToString(sum[:]) {
			t.Fatalf("SHA256 %s is not Raw's", got.SHA256)
		}
	})
}
