package engine

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"github.com/google/gopacket/layers"

	"github.com/trawlscan/trawl/internal/netio"
	"github.com/trawlscan/trawl/internal/packet"
	"github.com/trawlscan/trawl/pkg/result"
	"github.com/trawlscan/trawl/pkg/syncookie"
	"github.com/trawlscan/trawl/pkg/target"
)

// hostileEngine is an engine over 198.18.0.0/24 × 1-1024 that is never
// run: tests feed its receiver path directly.
func hostileEngine(t testing.TB) *Engine {
	t.Helper()
	inc, _ := target.ParseTargets([]string{"198.18.0.0/24"})
	ps, _ := target.ParsePorts("1-1024")
	space, err := target.NewSpace(inc, nil, ps)
	if err != nil {
		t.Fatal(err)
	}
	fn := &fakeNet{frames: make(chan []byte, 1)}
	e, err := New(Config{
		Space: space, Perm: target.NewPermutation(space.Len(), 3), Start: 1000, End: 200000,
		Source: netip.MustParseAddr("198.19.0.1"), SourcePort: 61000, Key: syncookie.Key{K0: 11, K1: 12}, Closed: true, Filtered: true,
	}, []*netio.Sender{netio.NewSender(fn, 1)}, fn)
	if err != nil {
		t.Fatal(err)
	}
	sendOnPaper(e, time.Now())
	return e
}

// sendOnPaper hands every position of e's first pass out and marks it
// sent at now, without sending anything, so that the receiver takes
// replies to them.
func sendOnPaper(e *Engine, now time.Time) {
	for {
		wk, ok, _, done := e.win.claim(0, e.cfg.End, now)
		if done || !ok {
			return
		}
		e.win.sent(0, wk, now)
		if e.win.position() == e.cfg.End {
			return
		}
	}
}

// scanner is the source address of hostileEngine's probes, 198.19.0.1,
// in host order; scannerAddr is the same as a target.Addr.
const scanner = 0xc6130001

var scannerAddr = target.V4(scanner)

func TestRepliesWeNeverProbed(t *testing.T) {
	e := hostileEngine(t)
	key := e.cfg.Key
	valid := func(src target.Addr, sport uint16) uint32 {
		return syncookie.Compute(key, scanner, src.V4(), 61000, sport) + 1
	}
	inShard := func() (target.Addr, uint16) {
		ip, port := e.cfg.Space.Index(e.cfg.Perm.At(5000))
		return ip, port
	}
	ip, port := inShard()
	outside, oport := e.cfg.Space.Index(e.cfg.Perm.At(10)) // before Start
	tests := []struct {
		name string
		r    packet.Reply
		ok   bool
	}{
		{"valid", packet.Reply{SrcIP: ip, DstIP: scannerAddr, SrcPort: port, DstPort: 61000, Ack: valid(ip, port), Kind: packet.KindSYNACK}, true},
		{"wrong ack", packet.Reply{SrcIP: ip, DstIP: scannerAddr, SrcPort: port, DstPort: 61000, Ack: valid(ip, port) + 1, Kind: packet.KindSYNACK}, false},
		{"address outside the targets", packet.Reply{SrcIP: target.V4(0xc6120101), DstIP: scannerAddr, SrcPort: 80, DstPort: 61000, Ack: valid(target.V4(0xc6120101), 80), Kind: packet.KindSYNACK}, false},
		{"port outside the ports", packet.Reply{SrcIP: ip, DstIP: scannerAddr, SrcPort: 2000, DstPort: 61000, Ack: valid(ip, 2000), Kind: packet.KindRST}, false},
		{"probe outside this run's positions", packet.Reply{SrcIP: outside, DstIP: scannerAddr, SrcPort: oport, DstPort: 61000, Ack: valid(outside, oport), Kind: packet.KindSYNACK}, false},
		{"to another port of ours", packet.Reply{SrcIP: ip, DstIP: scannerAddr, SrcPort: port, DstPort: 61001, Ack: valid(ip, port), Kind: packet.KindSYNACK}, false},
		{"to another address", packet.Reply{SrcIP: ip, DstIP: target.V4(scanner + 1), SrcPort: port, DstPort: 61000, Ack: valid(ip, port), Kind: packet.KindSYNACK}, false},
		{"RST acknowledging the cookie + 1", packet.Reply{SrcIP: ip, DstIP: scannerAddr, SrcPort: port, DstPort: 61000, Ack: valid(ip, port), Kind: packet.KindRST}, true},
		{"RST acknowledging the cookie", packet.Reply{SrcIP: ip, DstIP: scannerAddr, SrcPort: port, DstPort: 61000, Ack: valid(ip, port) - 1, Kind: packet.KindRST}, true},
		{"RST acknowledging the cookie + 2", packet.Reply{SrcIP: ip, DstIP: scannerAddr, SrcPort: port, DstPort: 61000, Ack: valid(ip, port) + 1, Kind: packet.KindRST}, false},
		{"SYN-ACK acknowledging the cookie", packet.Reply{SrcIP: ip, DstIP: scannerAddr, SrcPort: port, DstPort: 61000, Ack: valid(ip, port) - 1, Kind: packet.KindSYNACK}, false},
		{"unreachable quoting the cookie", packet.Reply{SrcIP: ip, DstIP: scannerAddr, SrcPort: port, DstPort: 61000, Seq: valid(ip, port) - 1, Code: 3, Kind: packet.KindUnreach}, true},
		{"unreachable quoting the cookie + 1", packet.Reply{SrcIP: ip, DstIP: scannerAddr, SrcPort: port, DstPort: 61000, Seq: valid(ip, port), Code: 3, Kind: packet.KindUnreach}, false},
		{"unreachable quoting another port's probe", packet.Reply{SrcIP: ip, DstIP: scannerAddr, SrcPort: port + 1, DstPort: 61000, Seq: valid(ip, port) - 1, Code: 3, Kind: packet.KindUnreach}, false},
		{"unreachable quoting a probe from another port", packet.Reply{SrcIP: ip, DstIP: scannerAddr, SrcPort: port, DstPort: 61001, Seq: valid(ip, port) - 1, Code: 3, Kind: packet.KindUnreach}, false},
		{"unreachable quoting a probe to another address", packet.Reply{SrcIP: ip.Next(), DstIP: scannerAddr, SrcPort: port, DstPort: 61000, Seq: valid(ip, port) - 1, Code: 13, Kind: packet.KindUnreach}, false},
		{"unreachable, fragmentation needed", packet.Reply{SrcIP: ip, DstIP: scannerAddr, SrcPort: port, DstPort: 61000, Seq: valid(ip, port) - 1, Code: 4, Kind: packet.KindUnreach}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := hostileEngine(t)
			var got []result.Result
			e.handle(tt.r, func(r result.Result) { got = append(got, r) })
			st := e.Stats()
			if tt.ok != (len(got) == 1) || tt.ok != (st.Invalid == 0) {
				t.Fatalf("reported %v, invalid %d; want reported=%v", got, st.Invalid, tt.ok)
			}
			if tt.ok {
				e.handle(tt.r, func(r result.Result) { got = append(got, r) })
				if len(got) != 1 || e.Stats().Duplicates != 1 {
					t.Fatalf("a repeated reply was reported again: %v", got)
				}
			}
		})
	}
}

// TestLateReply checks that a reply which comes after its probe's state
// is gone, more than Wait after its last try, is counted and not
// reported: it might have been reported before.
func TestLateReply(t *testing.T) {
	e := hostileEngine(t)
	ip, port := e.cfg.Space.Index(e.cfg.Perm.At(5000))
	r := packet.Reply{SrcIP: ip, DstIP: scannerAddr, SrcPort: port, DstPort: 61000,
		Ack: syncookie.Compute(e.cfg.Key, scanner, ip.V4(), 61000, port) + 1, Kind: packet.KindSYNACK}
	// The chunks retire Wait after their pass was sent; a claim retires them.
	e.win.claim(0, 1, time.Now().Add(e.cfg.Wait+time.Second))
	var got []result.Result
	e.handle(r, func(r result.Result) { got = append(got, r) })
	if st := e.Stats(); len(got) != 0 || st.Late != 1 || st.Replies != 0 || st.Invalid != 0 {
		t.Fatalf("late reply: reported %v, stats %+v", got, st)
	}
	if n := e.win.live(); n != 0 {
		t.Errorf("%d chunks still live after the wait", n)
	}
}

// FuzzReceive feeds arbitrary frames, and well-formed replies with
// arbitrary fields, through the decoder and the cookie check: nothing
// panics, and a result comes out only for a reply whose cookie checks out
// for a probe this run sent: a SYN-ACK acknowledging the cookie + 1, a RST
// acknowledging it or the cookie + 1, or an ICMP unreachable with one of
// nmap's filtered codes quoting it, with the status and reason each
// gives.
func FuzzReceive(f *testing.F) {
	e := hostileEngine(f)
	ip, port := e.cfg.Space.Index(e.cfg.Perm.At(5000))
	cookie := syncookie.Compute(e.cfg.Key, scanner, ip.V4(), 61000, port)
	from := make([]byte, 4)
	binary.BigEndian.PutUint32(from, ip.V4())
	probe := make([]byte, packet.SYNLen)
	tpl, err := packet.NewTemplate(scanner, 61000)
	if err != nil {
		f.Fatal(err)
	}
	tpl.Put(probe, ip.V4(), port, cookie)
	f.Add(reply(from, []byte{198, 19, 0, 1}, port, 61000, cookie+1, true), ip.V4(), port, cookie+1, uint8(packet.KindSYNACK), uint8(0))
	f.Add([]byte{}, uint32(0), uint16(0), uint32(0), uint8(0), uint8(0))
	f.Add(reply(from, []byte{198, 19, 0, 1}, port, 61000, cookie+2, false), ip.V4()+1, port, cookie+1, uint8(packet.KindRST), uint8(0))
	f.Add(reply(from, []byte{198, 19, 0, 1}, port, 61000, cookie, false), ip.V4(), port, cookie, uint8(packet.KindRST), uint8(0))
	f.Add(unreachReply(probe, 3), ip.V4(), port, cookie, uint8(packet.KindUnreach), uint8(13))
	f.Add(unreachReply(probe, 4), ip.V4(), port, cookie, uint8(packet.KindUnreach), uint8(4))
	dec := packet.NewDecoder(layers.LayerTypeEthernet)
	f.Fuzz(func(t *testing.T, frame []byte, src uint32, sport uint16, num uint32, kind, code uint8) {
		e := hostileEngine(t)
		check := func(r packet.Reply) {
			e.handle(r, func(res result.Result) {
				got := target.FromNetip(res.IP)
				idx, ok := e.cfg.Space.Lookup(got, res.Port)
				pos := e.cfg.Perm.Pos(idx)
				if !ok || pos < e.cfg.Start || pos >= e.cfg.End || got != r.SrcIP || res.Port != r.SrcPort {
					t.Fatalf("reported %v from reply %+v, not to a probe this run sent", res, r)
				}
				c := syncookie.Compute(e.cfg.Key, scanner, got.V4(), 61000, res.Port)
				reason, filtered := result.UnreachReason(r.Code)
				var ok2 bool
				switch r.Kind {
				case packet.KindSYNACK:
					ok2 = r.Ack == c+1 && res.Status == result.StatusOpen && res.Reason == result.ReasonSYNACK
				case packet.KindRST:
					ok2 = (r.Ack == c+1 || r.Ack == c) && res.Status == result.StatusClosed && res.Reason == result.ReasonReset
				case packet.KindUnreach:
					ok2 = r.Seq == c && filtered && res.Status == result.StatusFiltered && res.Reason == reason
				}
				if !ok2 {
					t.Fatalf("reported %+v from reply %+v that is not a valid answer", res, r)
				}
			})
		}
		if r, ok := dec.Decode(frame); ok {
			check(r)
		}
		r := packet.Reply{SrcIP: target.V4(src), DstIP: scannerAddr, SrcPort: sport, DstPort: 61000, Kind: packet.Kind(kind % 4)}
		if r.Kind == packet.KindUnreach {
			r.Seq, r.Code = num, code
		} else {
			r.Ack = num
		}
		check(r)
	})
}
