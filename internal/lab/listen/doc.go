// Command trawl-lab-listen plants open TCP ports for the trawl test lab.
//
// It runs inside the lab's target namespace and has three modes:
//
//	trawl-lab-listen [-f FILE]                   listen on the pairs in FILE (default: stdin)
//	trawl-lab-listen -gen CIDR PORTS COUNT SEED  print COUNT random distinct pairs (ground truth)
//	trawl-lab-listen -csum-off IFACE...          turn off transmit checksum offload
//
// A pair is "ip:port" for IPv4, "[ip]:port" for IPv6, "*:port" (or
// "0.0.0.0:port") for every IPv4 address, or "[::]:port" for every IPv6
// address. Blank lines and lines starting with # are ignored in a file; on
// stdin a blank line ends the list. CIDR for -gen may be IPv4 or IPv6, and
// -gen prints pairs in the same format.
//
// In listen mode it opens one listening socket per pair (backlog 4096,
// SO_REUSEADDR, IP_FREEBIND; for IPv6, IPV6_FREEBIND and IPV6_V6ONLY),
// prints "ready" once all of them listen, and then blocks until SIGINT or
// SIGTERM, or until stdin, if it is a pipe or a socket, reaches end of
// file. It never accepts a connection: the kernel answers each SYN with a
// SYN-ACK on its own, which is all a SYN scan needs.
package main
