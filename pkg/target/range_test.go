package target

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

func ip(s string) uint32 {
	v, err := ParseIP(s)
	if err != nil {
		panic(err)
	}
	return v
}

func rng(first, last string) Range { return Range{First: ip(first), Last: ip(last)} }

func TestParseTarget(t *testing.T) {
	tests := []struct {
		name, in string
		want     Range
		wantErr  string
	}{
		{name: "address", in: "198.18.0.1", want: rng("198.18.0.1", "198.18.0.1")},
		{name: "cidr", in: "198.18.0.0/24", want: rng("198.18.0.0", "198.18.0.255")},
		{name: "cidr host bits masked", in: "198.18.0.77/24", want: rng("198.18.0.0", "198.18.0.255")},
		{name: "cidr /32", in: "198.18.0.7/32", want: rng("198.18.0.7", "198.18.0.7")},
		{name: "cidr /0", in: "1.2.3.4/0", want: rng("0.0.0.0", "255.255.255.255")},
		{name: "range", in: "198.18.0.1-198.18.0.9", want: rng("198.18.0.1", "198.18.0.9")},
		{name: "range of one", in: "198.18.0.1-198.18.0.1", want: rng("198.18.0.1", "198.18.0.1")},
		{name: "range over all", in: "0.0.0.0-255.255.255.255", want: rng("0.0.0.0", "255.255.255.255")},

		{name: "empty", in: "", wantErr: `bad target "": empty target`},
		{name: "prefix too long", in: "10.0.0.0/33", wantErr: `bad target "10.0.0.0/33": prefix length 33 > 32`},
		{name: "prefix huge", in: "10.0.0.0/99999999999999999999", wantErr: `bad target "10.0.0.0/99999999999999999999": prefix length 99999999999999999999 > 32`},
		{name: "prefix missing", in: "10.0.0.0/", wantErr: `bad target "10.0.0.0/": missing prefix length after /`},
		{name: "prefix not a number", in: "10.0.0.0/x", wantErr: `bad target "10.0.0.0/x": prefix length x is not a number 0-32`},
		{name: "prefix negative", in: "10.0.0.0/-1", wantErr: `bad target "10.0.0.0/-1": prefix length -1 is not a number 0-32`},
		{name: "cidr bad address", in: "10.0.0.256/8", wantErr: `bad target "10.0.0.256/8": field > 255`},
		{name: "cidr no address", in: "/8", wantErr: `bad target "/8": want 4 decimal fields a.b.c.d`},
		{name: "reversed range", in: "198.18.0.9-198.18.0.1", wantErr: `bad target "198.18.0.9-198.18.0.1": range start 198.18.0.9 > end 198.18.0.1`},
		{name: "range bad start", in: "x-198.18.0.1", wantErr: `bad target "x-198.18.0.1": range start: want 4 decimal fields a.b.c.d`},
		{name: "range bad end", in: "198.18.0.1-9", wantErr: `bad target "198.18.0.1-9": range end: want 4 dot-separated fields a.b.c.d`},
		{name: "range open", in: "198.18.0.1-", wantErr: `bad target "198.18.0.1-": range end: want 4 decimal fields a.b.c.d`},
		{name: "hostname", in: "example.com", wantErr: `bad target "example.com": want 4 decimal fields a.b.c.d; a target is an IPv4 address, a CIDR block or an a.b.c.d-e.f.g.h range`},
		{name: "ipv6", in: "::1/128", wantErr: `bad target "::1/128": want 4 decimal fields a.b.c.d`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTarget(tt.in)
			if tt.wantErr != "" {
				var se *SyntaxError
				if err == nil || err.Error() != tt.wantErr || !errors.As(err, &se) || se.Token != tt.in {
					t.Fatalf("ParseTarget(%q) = %v, %v; want error %s", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseTarget(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestRangeString(t *testing.T) {
	tests := []struct {
		name string
		in   Range
		want string
	}{
		{name: "address", in: rng("198.18.0.1", "198.18.0.1"), want: "198.18.0.1"},
		{name: "cidr", in: rng("198.18.0.0", "198.18.0.255"), want: "198.18.0.0/24"},
		{name: "pair is /31", in: rng("198.18.0.0", "198.18.0.1"), want: "198.18.0.0/31"},
		{name: "unaligned pair", in: rng("198.18.0.1", "198.18.0.2"), want: "198.18.0.1-198.18.0.2"},
		{name: "everything", in: rng("0.0.0.0", "255.255.255.255"), want: "0.0.0.0/0"},
		{name: "range", in: rng("198.18.0.1", "198.18.0.9"), want: "198.18.0.1-198.18.0.9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.String(); got != tt.want {
				t.Errorf("String() = %q; want %q", got, tt.want)
			}
			if back, err := ParseTarget(tt.want); err != nil || back != tt.in {
				t.Errorf("ParseTarget(%q) = %v, %v; want %v", tt.want, back, err, tt.in)
			}
		})
	}
}

func TestParseTargets(t *testing.T) {
	tests := []struct {
		name    string
		in      []string
		want    []Range
		wantErr string
	}{
		{name: "none", in: nil, want: nil},
		{name: "one per token", in: []string{"198.18.0.1", "198.18.1.0/31"},
			want: []Range{rng("198.18.0.1", "198.18.0.1"), rng("198.18.1.0", "198.18.1.1")}},
		{name: "comma separated", in: []string{"198.18.0.1,198.18.1.0/31", "10.0.0.1"},
			want: []Range{rng("198.18.0.1", "198.18.0.1"), rng("198.18.1.0", "198.18.1.1"), rng("10.0.0.1", "10.0.0.1")}},
		{name: "spaces after commas", in: []string{"198.18.0.1, 198.18.0.2"},
			want: []Range{rng("198.18.0.1", "198.18.0.1"), rng("198.18.0.2", "198.18.0.2")}},
		{name: "empty token", in: []string{""}, wantErr: `bad target "": empty element in comma-separated list`},
		{name: "empty element", in: []string{"198.18.0.1,,198.18.0.2"}, wantErr: `bad target "198.18.0.1,,198.18.0.2": empty element in comma-separated list`},
		{name: "trailing comma", in: []string{"198.18.0.1,"}, wantErr: `bad target "198.18.0.1,": empty element in comma-separated list`},
		{name: "bad element", in: []string{"198.18.0.1,10.0.0.0/33"}, wantErr: `bad target "10.0.0.0/33": prefix length 33 > 32`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTargets(tt.in)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("ParseTargets(%q) = %v, %v; want error %s", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("ParseTargets(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestReadTargets(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []Range
		wantErr string
	}{
		{name: "empty", in: "", want: nil},
		{name: "comments and blanks", in: "# lab\n\n   \n# end\n", want: nil},
		{name: "one per line", in: "198.18.0.1\n198.18.1.0/31\n",
			want: []Range{rng("198.18.0.1", "198.18.0.1"), rng("198.18.1.0", "198.18.1.1")}},
		{name: "no final newline", in: "198.18.0.1\n198.18.0.2",
			want: []Range{rng("198.18.0.1", "198.18.0.1"), rng("198.18.0.2", "198.18.0.2")}},
		{name: "many per line", in: "198.18.0.1 198.18.0.2,198.18.0.3\t198.18.0.4 , 198.18.0.5\r\n",
			want: []Range{rng("198.18.0.1", "198.18.0.1"), rng("198.18.0.2", "198.18.0.2"), rng("198.18.0.3", "198.18.0.3"),
				rng("198.18.0.4", "198.18.0.4"), rng("198.18.0.5", "198.18.0.5")}},
		{name: "trailing comment", in: "198.18.0.1 # gateway\n#198.18.0.2\n",
			want: []Range{rng("198.18.0.1", "198.18.0.1")}},
		{name: "comment glued on", in: "198.18.0.1#gateway\n",
			want: []Range{rng("198.18.0.1", "198.18.0.1")}},
		{name: "bad line", in: "198.18.0.1\n\nx\n", wantErr: `targets.txt:3: bad target "x": want 4 decimal fields a.b.c.d; a target is an IPv4 address, a CIDR block or an a.b.c.d-e.f.g.h range`},
		{name: "bad last line", in: "198.18.0.1\n10.0.0.0/33", wantErr: `targets.txt:2: bad target "10.0.0.0/33": prefix length 33 > 32`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadTargets(strings.NewReader(tt.in), "targets.txt")
			if tt.wantErr != "" {
				var se *SyntaxError
				if err == nil || err.Error() != tt.wantErr || !errors.As(err, &se) {
					t.Fatalf("ReadTargets(%q) = %v, %v; want error %s", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("ReadTargets(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestReadTargetsReadError(t *testing.T) {
	r := io.MultiReader(strings.NewReader("198.18.0.1\n"), iotest.ErrReader(iotest.ErrTimeout))
	_, err := ReadTargets(r, "-")
	if !errors.Is(err, iotest.ErrTimeout) {
		t.Fatalf("ReadTargets = %v; want an error wrapping %v", err, iotest.ErrTimeout)
	}
	var se *SyntaxError
	if errors.As(err, &se) {
		t.Errorf("read error %v is a *SyntaxError", err)
	}
}

func TestMergeSubtract(t *testing.T) {
	all := rng("0.0.0.0", "255.255.255.255")
	tests := []struct {
		name     string
		inc, exc []Range
		want     []Range
	}{
		{name: "disjoint kept apart", inc: []Range{rng("10.0.0.5", "10.0.0.6"), rng("10.0.0.1", "10.0.0.2")},
			want: []Range{rng("10.0.0.1", "10.0.0.2"), rng("10.0.0.5", "10.0.0.6")}},
		{name: "adjacent merged", inc: []Range{rng("10.0.0.3", "10.0.0.4"), rng("10.0.0.1", "10.0.0.2")},
			want: []Range{rng("10.0.0.1", "10.0.0.4")}},
		{name: "overlap merged", inc: []Range{rng("10.0.0.0", "10.0.0.255"), rng("10.0.0.7", "10.0.1.3"), rng("10.0.0.9", "10.0.0.9")},
			want: []Range{rng("10.0.0.0", "10.0.1.3")}},
		{name: "top of space merged", inc: []Range{all, rng("255.255.255.255", "255.255.255.255"), rng("1.0.0.0", "1.0.0.0")},
			want: []Range{all}},
		{name: "hole", inc: []Range{rng("10.0.0.0", "10.0.0.255")}, exc: []Range{rng("10.0.0.7", "10.0.0.9")},
			want: []Range{rng("10.0.0.0", "10.0.0.6"), rng("10.0.0.10", "10.0.0.255")}},
		{name: "ends cut", inc: []Range{rng("10.0.0.0", "10.0.0.255")}, exc: []Range{rng("9.0.0.0", "10.0.0.0"), rng("10.0.0.255", "11.0.0.0")},
			want: []Range{rng("10.0.0.1", "10.0.0.254")}},
		{name: "one exclude spans includes", inc: []Range{rng("10.0.0.0", "10.0.0.9"), rng("10.0.0.20", "10.0.0.29"), rng("10.0.0.40", "10.0.0.49")},
			exc:  []Range{rng("10.0.0.5", "10.0.0.44")},
			want: []Range{rng("10.0.0.0", "10.0.0.4"), rng("10.0.0.45", "10.0.0.49")}},
		{name: "all excluded", inc: []Range{rng("10.0.0.0", "10.0.0.9")}, exc: []Range{all}, want: nil},
		{name: "exclude top", inc: []Range{all}, exc: []Range{rng("255.0.0.0", "255.255.255.255"), rng("0.0.0.0", "0.255.255.255")},
			want: []Range{rng("1.0.0.0", "254.255.255.255")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := subtract(merge(slices.Clone(tt.inc)), merge(slices.Clone(tt.exc)))
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v; want %v", got, tt.want)
			}
		})
	}
}
