package result

import (
	"os"
	"strings"
	"testing"
)

// restoreTable puts the table back as it was when the test ends.
func restoreTable(t *testing.T) {
	before := loaded.Load()
	t.Cleanup(func() { loaded.Store(before) })
}

func TestLoadServices(t *testing.T) {
	restoreTable(t)
	const file = `# nmap-services, in part
tcpmux	1/tcp	0.001995	# TCP Port Service Multiplexer
blackice-icecap	8081/tcp	0.006147	# sunproxyadmin
snmp	161/udp	0.433212
http	80/tcp	0.484143

second-http	80/tcp	0.1
`
	if got := Service(8081); got != "" {
		t.Fatalf("built-in table names 8081 %q; the test needs a port it lacks", got)
	}
	if err := LoadServices(strings.NewReader(file), "test"); err != nil {
		t.Fatal(err)
	}
	for port, want := range map[uint16]string{1: "tcpmux", 80: "http", 161: "", 8081: "blackice-icecap", 22: ""} {
		if got := Service(port); got != want {
			t.Errorf("Service(%d) = %q, want %q", port, got, want)
		}
	}
}

func TestLoadServicesErrors(t *testing.T) {
	restoreTable(t)
	for _, bad := range []string{"http\n", "http 80\n", "http 99999/tcp\n", "http x/tcp\n", "http -1/tcp 0.1\n"} {
		err := LoadServices(strings.NewReader("ssh 22/tcp\n"+bad), "f")
		if err == nil || !strings.Contains(err.Error(), "f:2:") {
			t.Errorf("%q: %v, want an error naming f:2", bad, err)
		}
		if Service(22) != "ssh" || loaded.Load() != nil {
			t.Errorf("%q: the table changed on error", bad)
		}
	}
}

// TestLoadServicesNmap loads nmap's own table, when installed, and checks
// names the built-in table lacks.
func TestLoadServicesNmap(t *testing.T) {
	restoreTable(t)
	if _, err := os.Stat(ServicesPath); err != nil {
		t.Skipf("nmap's table is not installed (make deps installs nmap): %v", err)
	}
	if err := LoadServicesFile(ServicesPath); err != nil {
		t.Fatal(err)
	}
	for port, want := range map[uint16]string{22: "ssh", 80: "http", 2200: "ici", 8081: "blackice-icecap", 6379: "redis"} {
		if got := Service(port); got != want {
			t.Errorf("Service(%d) = %q, want %q", port, got, want)
		}
	}
	if n := len(*loaded.Load()); n < 8000 {
		t.Errorf("%d TCP entries, want nmap's 8000 or more", n)
	}
}

func FuzzLoadServices(f *testing.F) {
	f.Add("http\t80/tcp\t0.48\t# comment\nssh 22/tcp\n")
	f.Add("# only a comment\n\n")
	f.Add("x 65535/tcp\ny 0/tcp\nz 1/sctp\n")
	f.Fuzz(func(t *testing.T, text string) {
		restoreTable(t)
		if err := LoadServices(strings.NewReader(text), "fuzz"); err != nil {
			return
		}
		table := *loaded.Load()
		for i := 1; i < len(table); i++ {
			if table[i-1].port >= table[i].port {
				t.Fatalf("table not sorted and unique at %d: %v", i, table[i-1:i+1])
			}
		}
		for _, s := range table {
			if Service(s.port) != s.name || s.name == "" || strings.ContainsAny(s.name, " \t\n#") {
				t.Fatalf("entry %+v", s)
			}
		}
	})
}
