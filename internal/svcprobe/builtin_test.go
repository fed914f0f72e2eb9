package svcprobe

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"testing"
	"time"
)

// TestClientHelloTLS sends the built-in ClientHello to Go's TLS server over
// an in-memory pipe and matches what comes back: a ServerHello from a
// server that speaks TLS 1.2, an alert from one that insists on TLS 1.3.
func TestClientHelloTLS(t *testing.T) {
	cert := selfSigned(t)
	db := Builtin()
	hello := db.Probe("TLSClientHello")
	for _, c := range []struct {
		name       string
		minVersion uint16
		want       Match
	}{
		{"TLS 1.2", tls.VersionTLS12, Match{Service: "ssl", Probe: "TLSClientHello"}},
		{"TLS 1.3 only", tls.VersionTLS13, Match{Service: "ssl", Info: "alert", Probe: "TLSClientHello"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			client, server := net.Pipe()
			t.Cleanup(func() { client.Close() })
			deadline := time.Now().Add(10 * time.Second)
			client.SetDeadline(deadline)
			server.SetDeadline(deadline)
			done := make(chan error, 1)
			go func() {
				srv := tls.Server(server, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: c.minVersion})
				done <- srv.Handshake()
				server.Close()
			}()
			if _, err := client.Write(hello.Payload); err != nil {
				t.Fatalf("write ClientHello: %v", err)
			}
			buf := make([]byte, 4096)
			n, err := client.Read(buf)
			if err != nil {
				t.Fatalf("read the server's answer: %v", err)
			}
			client.Close()
			if err := <-done; err == nil {
				t.Error("handshake finished without a client")
			}
			got, ok := db.Match(hello, buf[:n])
			got.Line = 0
			if !ok || got.Service != c.want.Service || got.Info != c.want.Info || got.Probe != c.want.Probe {
				t.Errorf("Match(TLSClientHello, % x) = %+v, %v; want %+v", buf[:min(n, 16)], got, ok, c.want)
			}
		})
	}
}

// selfSigned returns a throwaway ECDSA certificate.
func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "svcprobe.test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		DNSNames:     []string{"svcprobe.test"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestClientHelloLengths checks the ClientHello's three length fields
// against the bytes that follow each.
func TestClientHelloLengths(t *testing.T) {
	b := clientHello()
	if b[0] != 0x16 || int(b[3])<<8|int(b[4]) != len(b)-5 {
		t.Fatalf("record header % x does not fit %d bytes", b[:5], len(b))
	}
	hs := b[5:]
	if hs[0] != 0x01 || int(hs[1])<<16|int(hs[2])<<8|int(hs[3]) != len(hs)-4 {
		t.Fatalf("handshake header % x does not fit %d bytes", hs[:4], len(hs))
	}
	body := hs[4:]
	i := 2 + 32 + 1 + int(body[34])             // version, random, session id
	i += 2 + (int(body[i])<<8 | int(body[i+1])) // cipher suites
	i += 1 + int(body[i])                       // compression methods
	if extLen := int(body[i])<<8 | int(body[i+1]); i+2+extLen != len(body) {
		t.Errorf("extensions length %d does not fit %d bytes", extLen, len(body)-i-2)
	}
}
