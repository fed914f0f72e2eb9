package target

import (
	"errors"
	"net/netip"
	"testing"
)

func TestParseIP(t *testing.T) {
	tests := []struct {
		name, in string
		want     uint32
		wantErr  string
	}{
		{name: "zero", in: "0.0.0.0", want: 0},
		{name: "broadcast", in: "255.255.255.255", want: 0xffffffff},
		{name: "lab", in: "198.18.0.1", want: 0xc6120001},
		{name: "empty", in: "", wantErr: `bad IPv4 address "": want 4 decimal fields a.b.c.d`},
		{name: "three fields", in: "1.2.3", wantErr: `bad IPv4 address "1.2.3": want 4 dot-separated fields a.b.c.d`},
		{name: "five fields", in: "1.2.3.4.5", wantErr: `bad IPv4 address "1.2.3.4.5": want 4 dot-separated fields a.b.c.d`},
		{name: "trailing dot", in: "1.2.3.4.", wantErr: `bad IPv4 address "1.2.3.4.": want 4 dot-separated fields a.b.c.d`},
		{name: "empty field", in: "1..3.4", wantErr: `bad IPv4 address "1..3.4": want 4 decimal fields a.b.c.d`},
		{name: "too big", in: "1.2.3.256", wantErr: `bad IPv4 address "1.2.3.256": field > 255`},
		{name: "huge field", in: "1.2.3.99999999999999999999999", wantErr: `bad IPv4 address "1.2.3.99999999999999999999999": field > 255`},
		{name: "leading zero", in: "1.2.3.010", wantErr: `bad IPv4 address "1.2.3.010": field with a leading zero (octal?)`},
		{name: "sign", in: "+1.2.3.4", wantErr: `bad IPv4 address "+1.2.3.4": want 4 decimal fields a.b.c.d`},
		{name: "space", in: " 1.2.3.4", wantErr: `bad IPv4 address " 1.2.3.4": want 4 decimal fields a.b.c.d`},
		{name: "ipv6", in: "::1", wantErr: `bad IPv4 address "::1": want 4 decimal fields a.b.c.d`},
		{name: "hostname", in: "example.com", wantErr: `bad IPv4 address "example.com": want 4 decimal fields a.b.c.d`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseIP(tt.in)
			if tt.wantErr != "" {
				var se *SyntaxError
				if err == nil || err.Error() != tt.wantErr || !errors.As(err, &se) {
					t.Fatalf("ParseIP(%q) = %v, %v; want error %s", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseIP(%q) = %#x, %v; want %#x", tt.in, got, err, tt.want)
			}
			if s := FormatIP(got); s != tt.in {
				t.Errorf("FormatIP(%#x) = %q; want %q", got, s, tt.in)
			}
		})
	}
}

func TestAppendIPNoAlloc(t *testing.T) {
	buf := make([]byte, 0, 15)
	if n := testing.AllocsPerRun(100, func() { buf = AppendIP(buf[:0], 0xffffffff) }); n != 0 {
		t.Errorf("AppendIP allocates %v times per call; want 0", n)
	}
}

func TestAddrOfHostOrder(t *testing.T) {
	for _, tt := range []struct {
		ip   uint32
		addr string
	}{{0, "0.0.0.0"}, {0xc6120105, "198.18.1.5"}, {0x7f000001, "127.0.0.1"}, {0xffffffff, "255.255.255.255"}} {
		if got := AddrOf(tt.ip); got != netip.MustParseAddr(tt.addr) {
			t.Errorf("AddrOf(%#x) = %v, want %s", tt.ip, got, tt.addr)
		}
		if got := HostOrder(netip.MustParseAddr(tt.addr)); got != tt.ip {
			t.Errorf("HostOrder(%s) = %#x, want %#x", tt.addr, got, tt.ip)
		}
	}
	if n := testing.AllocsPerRun(100, func() { HostOrder(AddrOf(0xc6120105)) }); n != 0 {
		t.Errorf("AddrOf and HostOrder allocate %v times", n)
	}
}
