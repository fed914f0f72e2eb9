#!/usr/bin/env python3
"""score.py: recall of one scanner's output against the lab's ground truth.

usage: score.py FORMAT OUTPUT TRUTH CIDR PORTS

FORMAT is how OUTPUT is written:
  ndjson    trawl -oD: {"ip": "198.18.0.1", "port": 80, "status": "open", ...}
            (any address here and below may be IPv6, such as 2001:db8::1)
  grepable  nmap -oG: Host: 198.18.0.1 ()  Ports: 80/open/tcp//http///, ...
  list      masscan -oL: open tcp 80 198.18.0.1 1700000000
  ips       zmap: one IP a line; PORTS is the one port it scanned
TRUTH holds the planted ip:port lines ([ipv6]:port for IPv6); *:port
means every IPv4 address and [::]:port every IPv6 one.
Only the open ports inside CIDR x PORTS are expected.

Prints one line: HITS EXPECTED EXTRAS DUPLICATES, where EXTRAS are
results that are not planted (or lie outside CIDR x PORTS) and DUPLICATES
are results reported more than once.
"""

import ipaddress
import json
import re
import sys


def parse_ports(spec):
    """Returns the set of ports in a spec such as 1-1024 or 22,80."""
    ports = set()
    for part in spec.split(","):
        lo, _, hi = part.partition("-")
        ports.update(range(int(lo), int(hi or lo) + 1))
    return ports


def read_results(fmt, path, ports):
    """Yields (ip, port) for every open port that the output reports."""
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if fmt == "ndjson":
                rec = json.loads(line)
                if rec.get("status", "open") == "open":
                    yield rec["ip"], int(rec["port"])
            elif fmt == "grepable":
                m = re.match(r"Host: (\S+) .*\tPorts: ([^\t]*)", line)
                if m:
                    for entry in m.group(2).split(", "):
                        fields = entry.split("/")
                        if len(fields) > 1 and fields[1] == "open":
                            yield m.group(1), int(fields[0])
            elif fmt == "list":
                # masscan, stopped after its hang, can leave a cut-off last
                # line: only whole records count.
                m = re.match(r"open tcp (\d+) ([0-9a-fA-F.:]+) \d+$", line)
                if m:
                    yield m.group(2), int(m.group(1))
            elif fmt == "ips":
                (port,) = ports
                yield line, port
            else:
                sys.exit(f"score.py: unknown format {fmt!r}")


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__.split("\n\n")[1])
    fmt, output, truth, cidr, port_spec = sys.argv[1:]
    net = ipaddress.ip_network(cidr)
    ports = parse_ports(port_spec)

    wild, planted = set(), set()
    with open(truth, encoding="utf-8") as f:
        for line in f:
            host, _, port = line.strip().rpartition(":")
            host = host.strip("[]")
            if not host or int(port) not in ports:
                continue
            if host in ("*", "0.0.0.0", "::"):
                if (host == "::") == (net.version == 6):
                    wild.add(int(port))
            elif ipaddress.ip_address(host) in net:
                planted.add((str(ipaddress.ip_address(host)), int(port)))
    planted = {p for p in planted if p[1] not in wild}
    expected = len(planted) + len(wild) * net.num_addresses

    seen, hits, extras, dups = set(), 0, 0, 0
    for ip, port in read_results(fmt, output, ports):
        ip = str(ipaddress.ip_address(ip))
        if (ip, port) in seen:
            dups += 1
            continue
        seen.add((ip, port))
        inside = port in ports and ipaddress.ip_address(ip) in net
        if inside and (port in wild or (ip, port) in planted):
            hits += 1
        else:
            extras += 1
    print(hits, expected, extras, dups)


if __name__ == "__main__":
    main()
