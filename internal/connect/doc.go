// Package connect runs a TCP connect() scan of IPv4 and IPv6 targets,
// trawl's fallback when raw sockets are not permitted: a bounded pool of
// workers walks the same keyed permutation of the target space as the SYN
// engine and reports each port as open (the handshake completed), closed
// (refused) or filtered (no answer).
package connect
