package target

import (
	"encoding/binary"
	"net/netip"
	"strconv"
	"strings"
)

// ParseIP parses a dotted-quad IPv4 address such as "198.18.0.1" into a
// host-order uint32. Fields with leading zeros are rejected, because some
// tools read them as octal.
func ParseIP(s string) (uint32, error) {
	ip, reason := parseIPv4(s)
	if reason != "" {
		return 0, &SyntaxError{Kind: "IPv4 address", Token: s, Reason: reason}
	}
	return ip, nil
}

// AddrOf returns the host-order IPv4 address ip as a netip.Addr.
func AddrOf(ip uint32) netip.Addr {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], ip)
	return netip.AddrFrom4(b)
}

// HostOrder returns the IPv4 address a as a host-order uint32, the inverse
// of AddrOf. a must be IPv4 (or IPv4-mapped IPv6).
func HostOrder(a netip.Addr) uint32 {
	b := a.As4()
	return binary.BigEndian.Uint32(b[:])
}

// FormatIP formats a host-order IPv4 address in dotted-quad form.
func FormatIP(ip uint32) string {
	var b [15]byte
	return string(AppendIP(b[:0], ip))
}

// AppendIP appends the dotted-quad form of the host-order IPv4 address ip to
// dst and returns the extended slice. It does not allocate when dst has room.
func AppendIP(dst []byte, ip uint32) []byte {
	dst = strconv.AppendUint(dst, uint64(ip>>24), 10)
	dst = append(dst, '.')
	dst = strconv.AppendUint(dst, uint64(ip>>16&0xff), 10)
	dst = append(dst, '.')
	dst = strconv.AppendUint(dst, uint64(ip>>8&0xff), 10)
	dst = append(dst, '.')
	return strconv.AppendUint(dst, uint64(ip&0xff), 10)
}

// parseIPv4 parses a dotted quad. On failure it returns a reason for the
// user; the reasons are constants, so parsing never allocates.
func parseIPv4(s string) (uint32, string) {
	var ip uint32
	for i := 0; i < 4; i++ {
		if i > 0 {
			if s == "" || s[0] != '.' {
				return 0, "want 4 dot-separated fields a.b.c.d"
			}
			s = s[1:]
		}
		end := 0
		for end < len(s) && s[end] >= '0' && s[end] <= '9' {
			end++
		}
		f := s[:end]
		switch {
		case f == "":
			return 0, "want 4 decimal fields a.b.c.d"
		case len(f) > 1 && f[0] == '0':
			return 0, "field with a leading zero (octal?)"
		}
		v, ok := parseUint(f, 255)
		if !ok {
			return 0, "field > 255"
		}
		ip = ip<<8 | uint32(v)
		s = s[end:]
	}
	if s != "" {
		return 0, "want 4 dot-separated fields a.b.c.d"
	}
	return ip, ""
}

// parseUint parses a non-empty run of ASCII digits no greater than max,
// which must be below 2^59. Unlike strconv it accepts no sign and no
// underscores, and it never allocates.
func parseUint(s string, max uint64) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
		if v > max {
			return 0, false
		}
	}
	return v, true
}

// parseAddr parses an IPv4 address in dotted-quad form or an IPv6 address
// (one with a colon) in any RFC 4291 form, without a zone; an IPv4-mapped
// IPv6 address gives the IPv4 address. On failure it returns a reason for
// the user.
func parseAddr(s string) (Addr, string) {
	if !strings.Contains(s, ":") {
		ip, reason := parseIPv4(s)
		return V4(ip), reason
	}
	a, err := netip.ParseAddr(s)
	switch {
	case err != nil && strings.Count(s, ":") == 1:
		return Addr{}, "an address with a port? give ports with -p"
	case err != nil:
		return Addr{}, "not an IPv6 address"
	case a.Zone() != "":
		return Addr{}, "an IPv6 zone (%" + a.Zone() + ") has no place in a target"
	}
	return FromNetip(a), ""
}

// ParseAddr parses an IPv4 address in dotted-quad form, as ParseIP does,
// or an IPv6 address without a zone. An IPv4-mapped IPv6 address gives the
// IPv4 address.
func ParseAddr(s string) (Addr, error) {
	a, reason := parseAddr(s)
	if reason != "" {
		return Addr{}, &SyntaxError{Kind: "IP address", Token: s, Reason: reason}
	}
	return a, nil
}
