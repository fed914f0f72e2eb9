//go:build linux

package main

import (
	"bytes"
	"testing"
)

// TestSYN checks refsend's probe against the bytes of trawl's golden SYN
// (internal/packet TestGoldenSYN), so that both send the target the same
// packet.
func TestSYN(t *testing.T) {
	got := make([]byte, synLen)
	putSYN(got, 198<<24|19<<16|1, 198<<24|18<<16|1<<8|5, 61000, 80, 0x11223344)
	want := []byte{
		0x45, 0x00, 0x00, 0x2c, 0x22, 0x66, 0x40, 0x00, 0x40, 0x06, 0x8b, 0x3a,
		198, 19, 0, 1, 198, 18, 1, 5,
		0xee, 0x48, 0x00, 0x50, 0x11, 0x22, 0x33, 0x44, 0x00, 0x00, 0x00, 0x00,
		0x60, 0x02, 0xfa, 0xf0, 0xdd, 0x0a, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4,
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("probe\n got % x\nwant % x", got, want)
	}
}

// TestCoprime checks that the scattered order visits every index once.
func TestCoprime(t *testing.T) {
	for _, n := range []uint64{1, 2, 3, 10, 1024, 8192 * 1024, 1000003} {
		if n > 1<<20 {
			if gcd(coprime(n), n) != 1 {
				t.Errorf("n %d: step %d not coprime", n, coprime(n))
			}
			continue
		}
		seen := make([]bool, n)
		step := coprime(n)
		for i, j := uint64(0), uint64(0); i < n; i++ {
			if seen[j] {
				t.Fatalf("n %d: index %d twice", n, j)
			}
			seen[j] = true
			j = (j + step) % n
		}
	}
}
