package result

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestStatus(t *testing.T) {
	tests := []struct {
		s    Status
		name string
	}{
		{StatusInvalid, "invalid"},
		{StatusOpen, "open"},
		{StatusClosed, "closed"},
		{StatusFiltered, "filtered"},
		{StatusFiltered + 1, "Status(4)"},
		{255, "Status(255)"},
	}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.name {
			t.Errorf("Status(%d).String() = %q, want %q", tt.s, got, tt.name)
		}
		got, err := ParseStatus(tt.name)
		switch {
		case tt.s.valid() && (err != nil || got != tt.s):
			t.Errorf("ParseStatus(%q) = %v, %v; want %v", tt.name, got, err, tt.s)
		case !tt.s.valid() && !errors.Is(err, ErrInvalidStatus):
			t.Errorf("ParseStatus(%q) = %v, %v; want ErrInvalidStatus", tt.name, got, err)
		}
	}
	for _, bad := range []string{"", "Open", "OPEN", " open", "up", "open|filtered"} {
		_, err := ParseStatus(bad)
		if !errors.Is(err, ErrInvalidStatus) || !strings.Contains(err.Error(), strconv.Quote(bad)) {
			t.Errorf("ParseStatus(%q) error = %v; want ErrInvalidStatus naming the input", bad, err)
		}
	}
}

func TestReason(t *testing.T) {
	want := []string{"", "syn-ack", "reset", "conn-refused", "no-response", "net-unreach", "host-unreach",
		"proto-unreach", "port-unreach", "net-prohibited", "host-prohibited", "admin-prohibited", "no-route", "beyond-scope",
		"reject-route", "Reason(15)"}
	for i, w := range want {
		r := Reason(i)
		if got := r.String(); got != w {
			t.Errorf("Reason(%d).String() = %q, want %q", i, got, w)
		}
		got, err := ParseReason(w)
		switch {
		case r != ReasonNone && r <= maxReason && (err != nil || got != r):
			t.Errorf("ParseReason(%q) = %v, %v; want %v", w, got, err, r)
		case (r == ReasonNone || r > maxReason) && !errors.Is(err, ErrInvalidReason):
			t.Errorf("ParseReason(%q) = %v, %v; want ErrInvalidReason", w, got, err)
		}
	}
	for _, bad := range []string{"Syn-Ack", "syn-ack ", "unknown", "user-set", "dest-unreach"} {
		if _, err := ParseReason(bad); !errors.Is(err, ErrInvalidReason) || !strings.Contains(err.Error(), strconv.Quote(bad)) {
			t.Errorf("ParseReason(%q) error = %v; want ErrInvalidReason naming the input", bad, err)
		}
	}
}

// TestUnreachReason checks every ICMP code against nmap's table
// (scan_engine_raw.cc and portreasons.cc): the seven codes that make a TCP
// port filtered, with their words, and no other.
func TestUnreachReason(t *testing.T) {
	want := map[uint8]string{0: "net-unreach", 1: "host-unreach", 2: "proto-unreach", 3: "port-unreach",
		9: "net-prohibited", 10: "host-prohibited", 13: "admin-prohibited"}
	for code := range 256 {
		r, ok := UnreachReason(uint8(code))
		w, filtered := want[uint8(code)]
		if ok != filtered || r.String() != w {
			t.Errorf("UnreachReason(%d) = %q, %v; want %q, %v", code, r, ok, w, filtered)
		}
	}
}

func ExampleUnreachReason() {
	for _, code := range []uint8{3, 4, 13} {
		r, filtered := UnreachReason(code)
		fmt.Printf("code %d: filtered %v, reason %q\n", code, filtered, r)
	}
	// Output:
	// code 3: filtered true, reason "port-unreach"
	// code 4: filtered false, reason ""
	// code 13: filtered true, reason "admin-prohibited"
}

func ExampleParseReason() {
	r, err := ParseReason("admin-prohibited")
	fmt.Println(r, err, r == ReasonAdminProhibited)
	_, err = ParseReason("icmp")
	fmt.Println(err)
	// Output:
	// admin-prohibited <nil> true
	// invalid reason "icmp": want one of nmap's words, such as syn-ack, reset or port-unreach
}

// nmapServices is where Debian's nmap package puts its table of services.
const nmapServices = "/usr/share/nmap/nmap-services"

// TestServiceAgreesWithNmap checks each name in the built-in table against
// nmap's own table.
func TestServiceAgreesWithNmap(t *testing.T) {
	f, err := os.Open(nmapServices)
	if err != nil {
		t.Skipf("nmap's services table is missing (apt-get install nmap): %v", err)
	}
	defer f.Close()
	nmap := map[uint16]string{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) < 2 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		port, ok := strings.CutSuffix(fields[1], "/tcp")
		if !ok {
			continue
		}
		if n, err := strconv.ParseUint(port, 10, 16); err == nil {
			nmap[uint16(n)] = fields[0]
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	known := 0
	for p := range 1 << 16 {
		name := Service(uint16(p))
		if name == "" {
			continue
		}
		known++
		if name != nmap[uint16(p)] {
			t.Errorf("Service(%d) = %q, nmap says %q", p, name, nmap[uint16(p)])
		}
	}
	if known < 40 {
		t.Errorf("only %d ports in the table", known)
	}
}

func TestService(t *testing.T) {
	tests := []struct {
		port uint16
		name string
	}{
		{0, ""},
		{1, ""},
		{20, ""},
		{21, "ftp"},
		{22, "ssh"},
		{80, "http"},
		{81, ""},
		{443, "https"},
		{445, "microsoft-ds"},
		{3389, "ms-wbt-server"},
		{8008, "http"},
		{8080, "http-proxy"},
		{27017, "mongod"},
		{27018, ""},
		{65535, ""},
	}
	for _, tt := range tests {
		if got := Service(tt.port); got != tt.name {
			t.Errorf("Service(%d) = %q, want %q", tt.port, got, tt.name)
		}
	}
}

// TestServiceTable checks what Service's binary search rests on: ports
// strictly ascending, so each is found and none appears twice; and that
// every name is a nonempty nmap-style token.
func TestServiceTable(t *testing.T) {
	for i, s := range services {
		if i > 0 && s.port <= services[i-1].port {
			t.Errorf("row %d: port %d after %d, want ascending", i, s.port, services[i-1].port)
		}
		if s.port == 0 {
			t.Errorf("row %d: port 0", i)
		}
		if s.name == "" || strings.Trim(s.name, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
			t.Errorf("row %d: port %d has name %q, want lower-case letters, digits and '-'", i, s.port, s.name)
		}
		if got := Service(s.port); got != s.name {
			t.Errorf("Service(%d) = %q, want %q from row %d", s.port, got, s.name, i)
		}
	}
}
