package target

import (
	"errors"
	"slices"
	"testing"
)

func mustPorts(spec string) Ports {
	p, err := ParsePorts(spec)
	if err != nil {
		panic(err)
	}
	return p
}

func TestParsePorts(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // canonical form
		wantLen  int
		wantErr  string
	}{
		{name: "one", in: "80", want: "80", wantLen: 1},
		{name: "range", in: "1-1024", want: "1-1024", wantLen: 1024},
		{name: "list", in: "22,80,8000-8100", want: "22,80,8000-8100", wantLen: 103},
		{name: "all", in: "1-65535", want: "1-65535", wantLen: 65535},
		{name: "unsorted", in: "443,80,22", want: "22,80,443", wantLen: 3},
		{name: "duplicates", in: "80,80,80", want: "80", wantLen: 1},
		{name: "adjacent merged", in: "80,81,82-90,79", want: "79-90", wantLen: 12},
		{name: "overlap merged", in: "1-100,50-150,120-130", want: "1-150", wantLen: 150},
		{name: "contained", in: "1-1000,5,999", want: "1-1000", wantLen: 1000},
		{name: "range of one", in: "7-7", want: "7", wantLen: 1},
		{name: "leading zeros", in: "080", want: "80", wantLen: 1},
		{name: "top port", in: "65535", want: "65535", wantLen: 1},

		{name: "empty spec", in: "", wantErr: `bad port "": empty port list; want e.g. 80, 1-1024 or 22,80,8000-8100`},
		{name: "empty element", in: "22,,80", wantErr: `bad port "": empty element in "22,,80"`},
		{name: "trailing comma", in: "22,", wantErr: `bad port "": empty element in "22,"`},
		{name: "port zero", in: "0", wantErr: `bad port "0": port 0 cannot be scanned; ports are 1-65535`},
		{name: "range from zero", in: "0-10", wantErr: `bad port "0-10": port 0 cannot be scanned; ports are 1-65535`},
		{name: "too big", in: "80,65536", wantErr: `bad port "65536": port 65536 > 65535`},
		{name: "huge", in: "99999999999999999999999", wantErr: `bad port "99999999999999999999999": port 99999999999999999999999 > 65535`},
		{name: "range end too big", in: "1-70000", wantErr: `bad port "1-70000": port 70000 > 65535`},
		{name: "reversed", in: "22,90-80", wantErr: `bad port "90-80": range start 90 > end 80`},
		{name: "open range", in: "1-", wantErr: `bad port "1-": want a port (80) or an inclusive range (1-1024)`},
		{name: "open start", in: "-1024", wantErr: `bad port "-1024": want a port (80) or an inclusive range (1-1024)`},
		{name: "double range", in: "1-2-3", wantErr: `bad port "1-2-3": want a port (80) or an inclusive range (1-1024)`},
		{name: "space", in: "22, 80", wantErr: `bad port " 80": want a port (80) or an inclusive range (1-1024)`},
		{name: "nmap prefix", in: "T:80", wantErr: `bad port "T:80": want a port (80) or an inclusive range (1-1024)`},
		{name: "sign", in: "+80", wantErr: `bad port "+80": want a port (80) or an inclusive range (1-1024)`},
		{name: "name", in: "http", wantErr: `bad port "http": want a port (80) or an inclusive range (1-1024)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePorts(tt.in)
			if tt.wantErr != "" {
				var se *SyntaxError
				if err == nil || err.Error() != tt.wantErr || !errors.As(err, &se) {
					t.Fatalf("ParsePorts(%q) = %v, %v; want error %s", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got.String() != tt.want || got.Len() != tt.wantLen {
				t.Fatalf("ParsePorts(%q) = %q (len %d), %v; want %q (len %d)", tt.in, got, got.Len(), err, tt.want, tt.wantLen)
			}
		})
	}
}

func TestPortsAtIndex(t *testing.T) {
	for _, spec := range []string{"80", "22,80,8000-8100", "1-65535", "1,3,5,7,9-11,65535", "2-3,100-200,1000"} {
		t.Run(spec, func(t *testing.T) {
			p := mustPorts(spec)
			var want []uint16
			for port := 1; port <= 65535; port++ {
				if i, ok := p.Index(uint16(port)); ok {
					if i != len(want) {
						t.Fatalf("Index(%d) = %d; want %d", port, i, len(want))
					}
					want = append(want, uint16(port))
				}
			}
			if _, ok := p.Index(0); ok {
				t.Errorf("Index(0) = true")
			}
			if len(want) != p.Len() {
				t.Fatalf("Index found %d ports; Len() = %d", len(want), p.Len())
			}
			for i, port := range want {
				if got := p.At(i); got != port {
					t.Fatalf("At(%d) = %d; want %d", i, got, port)
				}
			}
		})
	}
}

func TestPortsZeroValue(t *testing.T) {
	var p Ports
	if p.Len() != 0 || p.String() != "" {
		t.Errorf("zero Ports: Len() = %d, String() = %q; want 0, \"\"", p.Len(), p.String())
	}
	if _, ok := p.Index(80); ok {
		t.Errorf("zero Ports: Index(80) = true")
	}
}

func TestPortsText(t *testing.T) {
	var p Ports
	if err := p.UnmarshalText([]byte("443,80")); err != nil {
		t.Fatal(err)
	}
	b, err := p.MarshalText()
	if err != nil || string(b) != "80,443" {
		t.Fatalf("MarshalText() = %q, %v; want \"80,443\"", b, err)
	}
	if err := p.UnmarshalText([]byte("0")); err == nil {
		t.Fatal("UnmarshalText(\"0\") succeeded")
	}
	if !p.Equal(mustPorts("80,443")) {
		t.Errorf("failed UnmarshalText changed the value to %v", p)
	}
}

func TestPortsEqual(t *testing.T) {
	a, b, c := mustPorts("80,81,1-10"), mustPorts("1-10,80-81"), mustPorts("1-10,80")
	if !a.Equal(b) || a.Equal(c) || !slices.Equal(a.spans, b.spans) {
		t.Errorf("Equal: %v == %v is %v, %v == %v is %v", a, b, a.Equal(b), a, c, a.Equal(c))
	}
}
