package svcprobe

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzLoad checks that Load never panics, reports only syntax errors, and
// that what it loads can match anything without panicking.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(builtinText()))
	f.Add([]byte("Exclude T:9100-9107\nProbe TCP NULL q||\nmatch a m|^(a)(?:b$|c)| p/$P(1)/ v/$SUBST(1,\"a\",\"b\")/ i/$I(1,\">\")/ cpe:/a:x:$1/\n"))
	f.Add([]byte("Probe TCP A q|\\x41\\0\\r\\n|\nfallback B\nProbe UDP B q|b|\nmatch b m=[[:alpha:]\\d]+=is\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		db, st, err := Load(bytes.NewReader(data), "fuzz")
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Line < 1 {
				t.Fatalf("Load error %v is not a *SyntaxError with a line", err)
			}
			return
		}
		if st.Compiled+st.Skipped != st.Matches || st.Probes < 0 || len(st.SkippedExamples) > maxSkippedExamples {
			t.Fatalf("Stats = %+v", st)
		}
		responses := [][]byte{data[:min(len(data), 512)], []byte("SSH-2.0-x\r\n"), nil}
		for _, tls := range []bool{false, true} {
			for _, p := range db.Probes(443, tls, 9) {
				for _, r := range responses {
					if m, ok := db.Match(p, r); ok {
						checkMatch(t, m)
					}
				}
			}
		}
	})
}

// FuzzMatch checks that Match never panics on any response, bytes that
// are not UTF-8 included, and returns printable, valid UTF-8 fields.
func FuzzMatch(f *testing.F) {
	dbs := []*DB{Builtin()}
	if r := loadReal(); r.err == nil {
		dbs = append(dbs, r.db)
	}
	for _, s := range []string{sshBanner, nginxOK, nginxPlain, redisInfo, redisGet, vsftpd, postfix, dovecotPOP3, tlsServerHello, string(mariadbHandshake), string(mysql8Handshake), "\xff\xfe\x00\x80 not UTF-8 \xc3"} {
		f.Add(uint8(0), []byte(s))
		f.Add(uint8(1), []byte(s))
	}
	f.Fuzz(func(t *testing.T, probe uint8, response []byte) {
		// Callers bound what they read (nmap keeps about 4 KiB); a
		// bigger input only slows the fuzzer down.
		response = response[:min(len(response), 16<<10)]
		for _, db := range dbs {
			probes := db.Probes(80, false, 9)
			p := probes[int(probe)%len(probes)]
			m, ok := db.Match(p, response)
			if !ok {
				if m.Service != "" {
					t.Fatalf("no match, but Match = %+v", m)
				}
				continue
			}
			checkMatch(t, m)
			found := false
			for _, q := range p.chain {
				found = found || q.Name == m.Probe
			}
			if !found {
				t.Fatalf("Match.Probe %q is not in %s's chain", m.Probe, p.Name)
			}
		}
	})
}

// checkMatch checks the invariants of a Match.
func checkMatch(t *testing.T, m Match) {
	t.Helper()
	if m.Service == "" || m.Line < 1 {
		t.Fatalf("Match = %+v: no service or line", m)
	}
	fields := append([]string{m.Service, m.Product, m.Version, m.Info, m.Hostname, m.OSType, m.DeviceType, m.Probe}, m.CPE...)
	for _, s := range fields {
		if !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0 {
			t.Fatalf("Match = %+v: field %q is not printable UTF-8", m, s)
		}
	}
	for _, c := range m.CPE {
		if !strings.HasPrefix(c, "cpe:/") {
			t.Fatalf("Match = %+v: CPE %q", m, c)
		}
	}
}
