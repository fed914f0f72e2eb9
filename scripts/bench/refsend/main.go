//go:build linux

// Command refsend is scripts/bench.sh's reference sender: the cost of the
// kernel's send path alone, measured in the same lab and the same run as
// the scanners it is compared with. It is not part of trawl.
//
// It builds every probe of CIDR × PORTS before it starts the clock: one
// Ethernet frame each (a TCP SYN, the same 44-byte IPv4 packet trawl sends,
// MSS option included, with valid IPv4 and TCP checksums), to the
// gateway's MAC. Then N threads, each locked to an OS thread with an
// AF_PACKET socket of its own (PACKET_QDISC_BYPASS, as trawl's frames),
// send their share with sendmmsg(2) batches and nothing else: no pacing,
// no cookie, no capture, no reply read. What it reaches is what any
// scanner could reach on this machine with the same system calls.
//
//	refsend -i IFACE -gw MAC [-src IP] [-net CIDR] [-ports LO-HI] [-threads N] [-batch N] [-dgram]
//
// It prints one line on stdout:
//
//	refsend: PROBES probes in SECONDS s: RATE probes/s, cpu USER+SYS s (PER s per million), 2 threads, batch 64, SOCK_RAW
//
// where cpu is its own user and system time while sending (getrusage),
// the frames' construction excluded.
//
//	refsend watch -i IFACE [-every 10ms]
//
// samples IFACE's tx_packets every interval and prints "UNIXTIME COUNT"
// lines until it gets SIGTERM or SIGINT, so that bench.sh can time the
// send phase of any tool from the wire's side.
package main

import (
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// synLen is the IPv4 packet of a probe: a 20-byte header and a 24-byte TCP
// header with one MSS option, as trawl's internal/packet builds it.
const (
	ethLen = 14
	synLen = 44
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "watch" {
		if err := watch(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "refsend watch:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "refsend:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("refsend", flag.ContinueOnError)
	iface := fs.String("i", "", "interface to send on (required)")
	gw := fs.String("gw", "", "the gateway's MAC address (required)")
	srcFlag := fs.String("src", "198.19.0.1", "source address")
	netFlag := fs.String("net", "198.18.0.0/19", "target range, an IPv4 CIDR")
	portsFlag := fs.String("ports", "1-1024", "target ports, LO-HI")
	sport := fs.Uint("sport", 61000, "source port")
	threads := fs.Int("threads", 2, "sending threads, one socket each")
	batch := fs.Int("batch", 64, "frames per sendmmsg")
	raw := fs.Bool("rawsyscall", false, "call sendmmsg with RawSyscall6, which does not tell the Go scheduler (for comparison)")
	dgram := fs.Bool("dgram", false, "SOCK_DGRAM (the kernel writes the Ethernet header, as trawl's sender) instead of SOCK_RAW")
	ipPath := fs.Bool("ip", false, "send IPv4 packets on raw IPv4 sockets (IPPROTO_RAW), as trawl --send-ip, instead of frames")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *iface == "" || *gw == "" || *threads < 1 || *batch < 1 || *sport > 65535 {
		return errors.New("need -i IFACE and -gw MAC, -threads and -batch at least 1")
	}
	ifi, err := net.InterfaceByName(*iface)
	if err != nil {
		return err
	}
	gwMAC, err := net.ParseMAC(*gw)
	if err != nil || len(gwMAC) != 6 || len(ifi.HardwareAddr) != 6 {
		return fmt.Errorf("gateway %q or interface %s is not Ethernet", *gw, *iface)
	}
	src, err := netip.ParseAddr(*srcFlag)
	if err != nil || !src.Is4() {
		return fmt.Errorf("-src %q: want an IPv4 address", *srcFlag)
	}
	prefix, err := netip.ParsePrefix(*netFlag)
	if err != nil || !prefix.Addr().Is4() {
		return fmt.Errorf("-net %q: want an IPv4 CIDR", *netFlag)
	}
	lo, hi, err := portRange(*portsFlag)
	if err != nil {
		return err
	}

	// The frames, in one block, in a scattered order.
	hosts := uint64(1) << (32 - prefix.Bits())
	ports := uint64(hi - lo + 1)
	total := hosts * ports
	head := 0
	if !*dgram && !*ipPath {
		head = ethLen
	}
	flen := head + synLen
	frames := make([]byte, int(total)*flen)
	var addrs []unix.RawSockaddrInet4 // per frame, with -ip
	if *ipPath {
		addrs = make([]unix.RawSockaddrInet4, total)
	}
	eth := make([]byte, ethLen)
	copy(eth[0:6], gwMAC)
	copy(eth[6:12], ifi.HardwareAddr)
	binary.BigEndian.PutUint16(eth[12:], unix.ETH_P_IP)
	base := binary.BigEndian.Uint32(prefix.Masked().Addr().AsSlice())
	srcIP := binary.BigEndian.Uint32(src.AsSlice())
	step := coprime(total)
	for i, j := uint64(0), uint64(0); i < total; i++ {
		f := frames[int(i)*flen : int(i+1)*flen]
		copy(f, eth[:head])
		dst := base + uint32(j%hosts)
		port := lo + uint16(j/hosts)
		putSYN(f[head:], srcIP, dst, uint16(*sport), port, uint32(j*2654435761))
		if addrs != nil {
			addrs[i].Family = unix.AF_INET
			binary.BigEndian.PutUint32(addrs[i].Addr[:], dst)
		}
		j = (j + step) % total
	}

	typ, proto := unix.SOCK_RAW, 0
	if *dgram {
		typ = unix.SOCK_DGRAM
	}
	to := &unix.RawSockaddrLinklayer{Family: unix.AF_PACKET, Protocol: htons(unix.ETH_P_IP), Ifindex: int32(ifi.Index), Halen: 6}
	copy(to.Addr[:], gwMAC)
	fds := make([]int, *threads)
	for t := range fds {
		// Protocol 0: the socket receives nothing.
		fd, err := socket(*ipPath, typ, proto, ifi.Index, src)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		fds[t] = fd
	}

	// Each thread sends a contiguous share; they start together.
	var ru0, ru1 unix.Rusage
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, *threads)
	sent := make([]uint64, *threads)
	per := (total + uint64(*threads) - 1) / uint64(*threads)
	for t, fd := range fds {
		a, b := min(total, uint64(t)*per), min(total, uint64(t+1)*per)
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			<-start
			var dsts []unix.RawSockaddrInet4
			if addrs != nil {
				dsts = addrs[a:b]
			}
			sent[t], errs[t] = sendAll(fd, to, dsts, frames[int(a)*flen:int(b)*flen], flen, *batch, *dgram, *raw)
		}()
	}
	time.Sleep(50 * time.Millisecond) // let every thread reach the start line
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru0); err != nil {
		return err
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	d := time.Since(t0)
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru1); err != nil {
		return err
	}
	var n uint64
	for t := range sent {
		if errs[t] != nil {
			return errs[t]
		}
		n += sent[t]
	}
	cpu := secs(ru1.Utime) + secs(ru1.Stime) - secs(ru0.Utime) - secs(ru0.Stime)
	kind := "AF_PACKET SOCK_RAW"
	switch {
	case *ipPath:
		kind = "AF_INET SOCK_RAW"
	case *dgram:
		kind = "AF_PACKET SOCK_DGRAM"
	}
	fmt.Printf("refsend: %d probes in %.3f s: %.0f probes/s, cpu %.2f+%.2f s (%.3f s per million), %d threads, batch %d, %s\n",
		n, d.Seconds(), float64(n)/d.Seconds(), secs(ru1.Utime)-secs(ru0.Utime), secs(ru1.Stime)-secs(ru0.Stime),
		cpu/float64(n)*1e6, *threads, *batch, kind)
	return nil
}

// mmsghdr is struct mmsghdr of sendmmsg(2).
type mmsghdr struct {
	hdr unix.Msghdr
	len uint32
}

// socket opens a send-only socket: a packet socket bound to the interface
// ifindex that bypasses the queueing discipline, or with ip a raw IPv4
// socket bound to src.
func socket(ip bool, typ, proto, ifindex int, src netip.Addr) (int, error) {
	if ip {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_RAW)
		if err != nil {
			return -1, fmt.Errorf("raw socket: %w", err)
		}
		if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: src.As4()}); err != nil {
			unix.Close(fd)
			return -1, fmt.Errorf("bind to %v: %w", src, err)
		}
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, 4<<20)
		return fd, nil
	}
	// Protocol 0: the socket receives nothing.
	fd, err := unix.Socket(unix.AF_PACKET, typ|unix.SOCK_CLOEXEC, proto)
	if err != nil {
		return -1, fmt.Errorf("packet socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Ifindex: ifindex}); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("bind packet socket: %w", err)
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, 4<<20)
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_QDISC_BYPASS, 1); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("PACKET_QDISC_BYPASS: %w", err)
	}
	return fd, nil
}

// sendAll sends the frames in buf, each flen bytes, batch at a time, and
// returns how many went. With dsts (a raw IPv4 socket) each goes to its
// own address; with dgram each is addressed to "to"; a SOCK_RAW frame
// carries its own header, and the socket's bind names the interface.
func sendAll(fd int, to *unix.RawSockaddrLinklayer, dsts []unix.RawSockaddrInet4, buf []byte, flen, batch int, dgram, raw bool) (uint64, error) {
	call := unix.Syscall6
	if raw {
		call = unix.RawSyscall6
	}
	hdrs := make([]mmsghdr, batch)
	iovs := make([]unix.Iovec, batch)
	for i := range hdrs {
		if dgram {
			hdrs[i].hdr.Name = (*byte)(unsafe.Pointer(to))
			hdrs[i].hdr.Namelen = unix.SizeofSockaddrLinklayer
		}
		hdrs[i].hdr.Iov = &iovs[i]
		hdrs[i].hdr.Iovlen = 1
	}
	total := len(buf) / flen
	var sent uint64
	for next := 0; next < total; {
		n := min(batch, total-next)
		for i := range n {
			iovs[i].Base = &buf[(next+i)*flen]
			iovs[i].SetLen(flen)
			if dsts != nil {
				hdrs[i].hdr.Name = (*byte)(unsafe.Pointer(&dsts[next+i]))
				hdrs[i].hdr.Namelen = unix.SizeofSockaddrInet4
			}
		}
		r, _, errno := call(unix.SYS_SENDMMSG, uintptr(fd), uintptr(unsafe.Pointer(&hdrs[0])), uintptr(n), 0, 0, 0)
		switch {
		case errno == unix.ENOBUFS || errno == unix.EAGAIN || errno == unix.EINTR:
			time.Sleep(50 * time.Microsecond)
		case errno != 0:
			return sent, fmt.Errorf("sendmmsg: %w", errno)
		default:
			next += int(r)
			sent += uint64(r)
		}
	}
	return sent, nil
}

// putSYN writes a 44-byte TCP SYN from src:sport to dst:dport with
// sequence number seq into b: TTL 64, don't-fragment, window 64240, MSS
// 1460, both checksums computed.
func putSYN(b []byte, src, dst uint32, sport, dport uint16, seq uint32) {
	b = b[:synLen]
	clear(b)
	b[0] = 0x45
	binary.BigEndian.PutUint16(b[2:], synLen)
	binary.BigEndian.PutUint16(b[4:], uint16(seq>>16)^uint16(seq))
	b[6] = 0x40 // DF
	b[8] = 64
	b[9] = unix.IPPROTO_TCP
	binary.BigEndian.PutUint32(b[12:], src)
	binary.BigEndian.PutUint32(b[16:], dst)
	binary.BigEndian.PutUint16(b[10:], ^fold(sum(b[:20], 0)))
	t := b[20:]
	binary.BigEndian.PutUint16(t[0:], sport)
	binary.BigEndian.PutUint16(t[2:], dport)
	binary.BigEndian.PutUint32(t[4:], seq)
	t[12] = 6 << 4 // data offset: 24 bytes
	t[13] = 0x02   // SYN
	binary.BigEndian.PutUint16(t[14:], 64240)
	copy(t[20:], []byte{2, 4, 0x05, 0xb4})
	// The pseudo-header: addresses, protocol, TCP length.
	ps := uint32(src>>16) + uint32(src&0xffff) + uint32(dst>>16) + uint32(dst&0xffff) + unix.IPPROTO_TCP + uint32(len(t))
	binary.BigEndian.PutUint16(t[16:], ^fold(sum(t, ps)))
}

// sum adds b's 16-bit big-endian words to acc, unfolded.
func sum(b []byte, acc uint32) uint32 {
	for i := 0; i+1 < len(b); i += 2 {
		acc += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	return acc
}

// fold folds a 32-bit ones' complement sum to 16 bits.
func fold(s uint32) uint16 {
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return uint16(s)
}

// coprime returns a step near n × 0.618 that is coprime with n, so that
// j -> j + step mod n visits every index once in a scattered order.
func coprime(n uint64) uint64 {
	s := max(1, n*618/1000) | 1
	for gcd(s, n) != 1 {
		s += 2
	}
	return s
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func portRange(s string) (uint16, uint16, error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		b = a
	}
	lo, err1 := strconv.ParseUint(a, 10, 16)
	hi, err2 := strconv.ParseUint(b, 10, 16)
	if err1 != nil || err2 != nil || lo < 1 || lo > hi {
		return 0, 0, fmt.Errorf("ports %q: want LO-HI within 1-65535", s)
	}
	return uint16(lo), uint16(hi), nil
}

func htons(v uint16) uint16 {
	return binary.NativeEndian.Uint16(binary.BigEndian.AppendUint16(nil, v))
}

func secs(tv unix.Timeval) float64 { return float64(tv.Sec) + float64(tv.Usec)/1e6 }

// watch prints the interface's tx_packets counter every interval until
// SIGTERM or SIGINT.
func watch(args []string) error {
	fs := flag.NewFlagSet("refsend watch", flag.ContinueOnError)
	iface := fs.String("i", "", "interface (required)")
	every := fs.Duration("every", 10*time.Millisecond, "sampling interval")
	if err := fs.Parse(args); err != nil {
		return err
	}
	f, err := os.Open("/sys/class/net/" + *iface + "/statistics/tx_packets")
	if err != nil {
		return err
	}
	defer f.Close()
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	tick := time.NewTicker(*every)
	defer tick.Stop()
	out := make([]byte, 0, 64)
	buf := make([]byte, 32)
	for {
		n, err := f.ReadAt(buf, 0)
		if err != nil && n == 0 {
			return err
		}
		now := time.Now()
		out = fmt.Appendf(out[:0], "%d.%06d %s\n", now.Unix(), now.Nanosecond()/1000, strings.TrimSpace(string(buf[:n])))
		if _, err := os.Stdout.Write(out); err != nil {
			return err
		}
		select {
		case <-stop:
			return nil
		case <-tick.C:
		}
	}
}
