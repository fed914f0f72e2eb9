// Package netio moves trawl's packets: senders that send IPv4 and IPv6
// probes in sendmmsg(2) batches, through raw sockets (raw(7), with the
// header included) or as link-layer frames on a packet socket (packet(7)),
// a portable sender over golang.org/x/net's ipv4 and ipv6 raw sockets for
// other systems, and a packet capture with a kernel BPF filter that reads
// the replies of both families. Both sit behind small interfaces so the
// engine can be tested with fakes.
package netio
