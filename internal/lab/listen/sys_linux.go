package main

import (
	"fmt"
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// listen opens a TCP socket listening on p, with SO_REUSEADDR and
// IP_FREEBIND, or IPV6_FREEBIND for IPv6, so that it may bind an address
// that no interface holds (the lab's addresses exist only as a local
// route). It is built from raw system calls rather than net.ListenConfig
// because Go picks the backlog itself, and because nothing ever accepts
// on it.
func listen(p netip.AddrPort) (int, error) {
	family := unix.AF_INET
	if p.Addr().Is6() {
		family = unix.AF_INET6
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("socket: %w", err)
	}
	if err := setup(fd, p); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

func setup(fd int, p netip.AddrPort) error {
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return fmt.Errorf("set SO_REUSEADDR: %w", err)
	}
	var sa unix.Sockaddr
	if p.Addr().Is4() {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_FREEBIND, 1); err != nil {
			return fmt.Errorf("set IP_FREEBIND: %w", err)
		}
		sa = &unix.SockaddrInet4{Port: int(p.Port()), Addr: p.Addr().As4()}
	} else {
		// IPv6 only, so that [::]:port means every IPv6 address and
		// leaves IPv4 to 0.0.0.0:port, and the two can both listen.
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1); err != nil {
			return fmt.Errorf("set IPV6_V6ONLY: %w", err)
		}
		// IPV6_FREEBIND came in Linux 4.15: older kernels fail here.
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_FREEBIND, 1); err != nil {
			return fmt.Errorf("set IPV6_FREEBIND: %w", err)
		}
		sa = &unix.SockaddrInet6{Port: int(p.Port()), Addr: p.Addr().As16()}
	}
	if err := unix.Bind(fd, sa); err != nil {
		return fmt.Errorf("bind: %w", err)
	}
	if err := unix.Listen(fd, backlog); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	return nil
}

// raiseNoFile raises the soft RLIMIT_NOFILE to the hard limit and fails if
// that still leaves fewer than need descriptors.
func raiseNoFile(need int) error {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("get RLIMIT_NOFILE: %w", err)
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
			return fmt.Errorf("raise RLIMIT_NOFILE to %d: %w", lim.Max, err)
		}
	}
	if uint64(need) > lim.Cur {
		return fmt.Errorf("%d pairs need about %d file descriptors, but RLIMIT_NOFILE allows %d: plant fewer pairs, or use *:port for every address",
			need-reservedFDs, need, lim.Cur)
	}
	return nil
}

// ethtoolValue is struct ethtool_value from <linux/ethtool.h>.
type ethtoolValue struct {
	cmd  uint32
	data uint32
}

// ifreqData is struct ifreq with the ifr_data member of the union, padded
// to at least the kernel's size.
type ifreqData struct {
	name [unix.IFNAMSIZ]byte
	data unsafe.Pointer
	_    [24 - unsafe.Sizeof(uintptr(0))]byte
}

// checksumOff turns off transmit checksum offload on each interface, so
// that the kernel writes complete TCP checksums and captures on the other
// end of a veth pair see valid packets instead of partial sums.
func checksumOff(ifaces []string) error {
	if len(ifaces) == 0 {
		return usageError{fmt.Errorf("-csum-off needs at least one interface name")}
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socket for ethtool: %w", err)
	}
	defer unix.Close(fd)
	for _, name := range ifaces {
		if len(name) == 0 || len(name) >= unix.IFNAMSIZ {
			return usageError{fmt.Errorf("bad interface name %q", name)}
		}
		value := ethtoolValue{cmd: unix.ETHTOOL_STXCSUM}
		req := ifreqData{data: unsafe.Pointer(&value)}
		copy(req.name[:], name)
		if _, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SIOCETHTOOL, uintptr(unsafe.Pointer(&req))); errno != 0 {
			return fmt.Errorf("turn off tx checksum offload on %s: %w", name, errno)
		}
	}
	return nil
}

// closeListener closes a socket that listen opened.
func closeListener(fd int) { unix.Close(fd) }
