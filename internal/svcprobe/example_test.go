package svcprobe_test

import (
	"errors"
	"fmt"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/trawlscan/trawl/internal/svcprobe"
)

const probes = `Exclude T:9100-9107

Probe TCP NULL q||
match ssh m|^SSH-([\d.]+)-OpenSSH_([\w.]+)| p/OpenSSH/ v/$2/ i/protocol $1/ cpe:/a:openbsd:openssh:$2/
match ftp m|^220 \(vsFTPd ([\w.]+)\)| p/vsftpd/ v/$1/
softmatch ftp m|^220 .*ftp|i

Probe TCP GetRequest q|GET / HTTP/1.0\r\n\r\n|
rarity 1
ports 80,8080
sslports 443
match http m|^HTTP/1\.[01] \d\d\d .*\r\nServer: nginx/([\d.]+)|s p/nginx/ v/$1/
match redis m|^-ERR wrong number of arguments for 'get' command\r\n| p/Redis key-value store/
`

func ExampleLoad() {
	db, st, err := svcprobe.Load(strings.NewReader(probes), "example")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d probes, %d of %d lines compiled\n", st.Probes, st.Compiled, st.Matches)

	m, ok := db.Match(nil, []byte("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"))
	fmt.Println(ok, m.Service, m.Product, m.Version, m.Info, m.CPE)
	// Output:
	// 2 probes, 5 of 5 lines compiled
	// true ssh OpenSSH 9.2p1 protocol 2.0 [cpe:/a:openbsd:openssh:9.2p1]
}

func ExampleLoad_syntaxError() {
	_, _, err := svcprobe.Load(strings.NewReader("Probe TCP NULL q||\nmatch ssh m|^SSH-\n"), "my-probes")
	var se *svcprobe.SyntaxError
	fmt.Println(errors.As(err, &se), se.Line)
	fmt.Println(err)
	// Output:
	// true 2
	// my-probes:2: match ssh: m|... has no closing '|'
}

func ExampleLoadFile() {
	dir, err := os.MkdirTemp("", "svcprobe")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "nmap-service-probes")
	if err := os.WriteFile(path, []byte(probes), 0o644); err != nil {
		log.Fatal(err)
	}

	// Use nmap's database when it is there, the built-in one otherwise.
	for _, p := range []string{path, filepath.Join(dir, "absent")} {
		db, _, err := svcprobe.LoadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			db = svcprobe.Builtin()
		} else if err != nil {
			log.Fatal(err)
		}
		fmt.Println(filepath.Base(db.Name()))
	}
	// Output:
	// nmap-service-probes
	// builtin
}

func ExampleBuiltin() {
	db := svcprobe.Builtin()
	m, _ := db.Match(db.Probe("GetRequest"), []byte("HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n\r\n"))
	fmt.Println(m.Service, m.Product, m.Version)
	// Output: http nginx 1.22.1
}

func ExampleDB_Probes() {
	db := svcprobe.Builtin()
	for _, p := range db.Probes(6379, false, svcprobe.DefaultIntensity) {
		fmt.Println(p.Name, p.Rarity, p.TotalWait)
	}
	// Output:
	// NULL 5 6s
	// RedisPing 6 5s
	// GetRequest 1 5s
	// TLSClientHello 1 5s
}

func ExampleDB_Match() {
	db, _, err := svcprobe.Load(strings.NewReader(probes), "example")
	if err != nil {
		log.Fatal(err)
	}
	// What a Redis server says to each probe on port 6379: nothing to
	// the NULL probe, which only listens, then an error to GET.
	answers := map[string]string{"GetRequest": "-ERR wrong number of arguments for 'get' command\r\n"}
	for _, p := range db.Probes(6379, false, svcprobe.DefaultIntensity) {
		m, ok := db.Match(p, []byte(answers[p.Name]))
		if !ok {
			fmt.Println(p.Name, "no match")
			continue
		}
		fmt.Printf("%s: %s (%s), soft %v\n", p.Name, m.Service, m.Product, m.Soft)
		if !m.Soft {
			break
		}
	}
	// Output:
	// NULL no match
	// GetRequest: redis (Redis key-value store), soft false
}

func ExampleDB_Excluded() {
	db := svcprobe.Builtin()
	fmt.Println(db.Excluded(22), db.Excluded(9100))
	// Output: false true
}

func ExampleDB_Probe() {
	db := svcprobe.Builtin()
	fmt.Printf("%q\n", db.Probe("GetRequest").Payload)
	fmt.Println(db.Probe("nope") == nil)
	// Output:
	// "GET / HTTP/1.0\r\n\r\n"
	// true
}

func ExampleDB_Name() {
	fmt.Println(svcprobe.Builtin().Name())
	// Output: builtin
}

func ExampleProbe_HasPort() {
	get := svcprobe.Builtin().Probe("GetRequest")
	fmt.Println(get.HasPort(80, false), get.HasPort(443, false), get.HasPort(443, true), get.TLSWrapped)
	// Output: true false true true
}
