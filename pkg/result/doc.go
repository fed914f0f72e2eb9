// Package result holds the outcome of probing one TCP port of an IPv4 or
// IPv6 host, and the encoders that write such outcomes in the formats
// masscan and nmap users expect: IP:PORT lines, masscan's list (-oL),
// NDJSON (-oD), a JSON array (-oJ), nmap's XML (-oX, valid against
// nmap.dtd) and nmap's grepable format (-oG), each with what it has a
// place for of the service that a follow-up connection found on an open
// port (a ServiceInfo). An NDJSONReader reads results back, for merging
// the outputs of shards, and a Reader reads back any format, even cut
// short, for resuming a scan.
package result
