// Package netio moves trawl's packets: a raw IPv4 socket (raw(7), with
// IP_HDRINCL) that sends probes in sendmmsg(2) batches, and a packet capture
// with a kernel BPF filter that reads the replies. Both sit behind small
// interfaces so the engine can be tested with fakes.
package netio
