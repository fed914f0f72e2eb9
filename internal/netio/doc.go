// Package netio moves trawl's packets: senders that send probes in
// sendmmsg(2) batches, through a raw IPv4 socket (raw(7), with IP_HDRINCL)
// or as link-layer frames on a packet socket (packet(7)), and a packet
// capture with a kernel BPF filter that reads the replies. Both sit behind
// small interfaces so the engine can be tested with fakes.
package netio
