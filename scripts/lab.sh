#!/usr/bin/env bash
# lab.sh: trawl's test network, two network namespaces joined by a veth pair.
# Every lab is dual-stack:
#
#   NAME-scan  198.19.0.1/24 and 2001:db8:ffff::1/64, default routes via
#              198.19.0.2 and 2001:db8:ffff::2: scanners run here, and
#              nothing they send can leave the pair.
#   NAME-tgt   198.19.0.2/24 and 2001:db8:ffff::2/64, plus "local
#              198.18.0.0/16 dev lo" and "local 2001:db8::/64 dev lo": its
#              kernel answers for every address of both, RST for a closed
#              port and SYN-ACK where trawl-lab-listen holds a listening
#              socket.
#
# With --second CIDR, a second veth pair leads to a second target namespace,
# so that the targets' routes leave the scan namespace by two interfaces.
# This link is IPv4 only:
#
#   NAME-scan  also 198.19.2.1/24 on its second link, and a route to CIDR
#              via 198.19.2.2 there.
#   NAME-tgt2  198.19.2.2/24, plus "local CIDR dev lo"; it has no route to
#              198.19.0.0/24, so it can answer only probes from 198.19.2.1.
#
# Usage:
#   lab.sh up NAME [--open FILE] [--drop CIDR]... [--loss PCT] [--second CIDR [--second-open FILE]]
#   lab.sh down NAME
#   lab.sh exec NAME CMD [ARG]...
#   lab.sh truth NAME CIDR PORTS COUNT SEED > FILE
#
# NAME is 1-8 characters from [a-z0-9]. FILE holds the planted open ports
# (the ground truth), one a line: 198.18.1.2:80 or [2001:db8::5]:80, or
# *:80 (also 0.0.0.0:80) for every IPv4 address and [::]:80 for every IPv6
# one; --second-open plants them in the second target namespace. --drop
# silently drops traffic to CIDR, IPv4 or IPv6 (filtered hosts); --loss
# drops PCT percent of packets at random, in each direction; both apply in
# each target namespace. LAB_LISTEN names the trawl-lab-listen binary
# (default bin/trawl-lab-listen in the repository, built if missing).
set -euo pipefail

readonly STATE_ROOT=/run/trawl-lab
readonly SCAN_MAC=02:74:72:00:00:01
readonly TGT_MAC=02:74:72:00:00:02
readonly SCAN2_MAC=02:74:72:00:02:01
readonly TGT2_MAC=02:74:72:00:02:02
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly REPO

die() {
	echo "lab.sh: $*" >&2
	exit 1
}

usage() {
	sed -n '/^# Usage:/,/^#$/s/^#   /usage: /p' "${BASH_SOURCE[0]}" >&2
	exit 2
}

check_name() {
	[[ $1 =~ ^[a-z0-9]{1,8}$ ]] || die "bad lab name '$1': use 1-8 characters from [a-z0-9], so that interface names fit"
}

need_root() {
	[[ $EUID -eq 0 ]] || die "must run as root (CAP_NET_ADMIN is needed to build network namespaces)"
	command -v ip >/dev/null || die "'ip' not found: install iproute2"
	command -v nft >/dev/null || die "'nft' not found: install nftables"
}

# names NAME sets the globals derived from a lab name.
names() {
	SCAN_NS=$1-scan
	TGT_NS=$1-tgt
	SCAN_IF=trl-$1-s
	TGT_IF=trl-$1-t
	TGT2_NS=$1-tgt2
	SCAN2_IF=trl-$1-s2
	TGT2_IF=trl-$1-t2
	STATE=$STATE_ROOT/$1
}

# alive PID reports whether PID runs. A zombie counts as gone: once up has
# exited, the listener's parent is pid 1, which may be slow to reap it.
alive() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[[ ${stat:0:1} != Z ]]
}

ns_exists() {
	[[ -e /run/netns/$1 ]]
}

# set_sysctl NS KEY VALUE writes /proc/sys directly, which shows the
# namespace of the writer, so that procps need not be installed.
set_sysctl() {
	ip netns exec "$1" bash -c 'printf "%s\n" "$2" > "/proc/sys/${1//.//}"' _ "$2" "$3" ||
		die "set $2=$3 in $1"
}

# listen_bin prints the path of trawl-lab-listen, building it if missing.
listen_bin() {
	local bin=${LAB_LISTEN:-$REPO/bin/trawl-lab-listen}
	if [[ ! -x $bin ]]; then
		local go
		go=$(command -v go || echo /usr/local/go/bin/go)
		[[ -x $go ]] || die "$bin is missing and no go toolchain was found to build it"
		(cd "$REPO" && "$go" build -buildvcs=false -o "$bin" ./internal/lab/listen) >&2 ||
			die "build $bin"
	fi
	echo "$bin"
}

cmd_up() {
	[[ $# -ge 1 ]] || usage
	local name=$1
	shift
	check_name "$name"
	local open="" loss=0 second="" open2=""
	local -a drops=()
	while [[ $# -gt 0 ]]; do
		case $1 in
		--open)
			[[ $# -ge 2 ]] || die "--open needs a FILE"
			open=$2
			[[ -r $open ]] || die "--open $open: cannot read file"
			shift 2
			;;
		--drop)
			[[ $# -ge 2 ]] || die "--drop needs a CIDR"
			[[ $2 =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}(/[0-9]{1,2})?$ || $2 =~ ^[0-9a-fA-F:]*:[0-9a-fA-F:]*(/[0-9]{1,3})?$ ]] ||
				die "--drop '$2': want an IPv4 or IPv6 CIDR such as 198.18.2.0/24 or 2001:db8::100/120"
			drops+=("$2")
			shift 2
			;;
		--second)
			[[ $# -ge 2 ]] || die "--second needs a CIDR"
			[[ $2 =~ ^198\.18\.[0-9]{1,3}\.[0-9]{1,3}/(1[7-9]|2[0-9]|3[0-2])$ ]] ||
				die "--second '$2': want a CIDR inside 198.18.0.0/16 and smaller, such as 198.18.1.0/24"
			second=$2
			shift 2
			;;
		--second-open)
			[[ $# -ge 2 ]] || die "--second-open needs a FILE"
			open2=$2
			[[ -r $open2 ]] || die "--second-open $open2: cannot read file"
			shift 2
			;;
		--loss)
			[[ $# -ge 2 ]] || die "--loss needs a PCT"
			[[ $2 =~ ^[0-9]{1,3}$ ]] && ((10#$2 <= 100)) || die "--loss '$2': want a whole percentage from 0 to 100"
			loss=$((10#$2))
			shift 2
			;;
		*) die "up: unknown argument '$1'" ;;
		esac
	done
	[[ -z $open2 || -n $second ]] || die "--second-open needs --second"
	need_root
	[[ -d /proc/sys/net/ipv6 ]] || die "this kernel has no IPv6 (booted with ipv6.disable=1?): the lab is dual-stack"
	names "$name"
	local bin
	bin=$(listen_bin)

	mkdir -p "$STATE_ROOT"
	# The state directory is the lock: whoever creates it owns the lab.
	mkdir "$STATE" 2>/dev/null || die "lab '$name' is already up (or was left half-built): run 'lab.sh down $name'"
	trap 'echo "lab.sh: up $name failed; tearing down" >&2; teardown "$name"' EXIT
	trap 'exit 1' INT TERM HUP

	ip netns add "$SCAN_NS"
	ip netns add "$TGT_NS"
	local ns
	for ns in "$SCAN_NS" "$TGT_NS"; do
		ipv6_on "$ns"
	done
	ip link add "$SCAN_IF" address "$SCAN_MAC" type veth peer name "$TGT_IF" address "$TGT_MAC"
	ip link set "$SCAN_IF" netns "$SCAN_NS"
	ip link set "$TGT_IF" netns "$TGT_NS"

	ip -n "$SCAN_NS" link set lo up
	ip -n "$SCAN_NS" addr add 198.19.0.1/24 dev "$SCAN_IF"
	ip -n "$SCAN_NS" link set "$SCAN_IF" up
	ip -n "$SCAN_NS" route add default via 198.19.0.2 dev "$SCAN_IF"
	# Permanent neighbours: no ARP, so the first burst of probes is not
	# dropped while a resolution is pending.
	ip -n "$SCAN_NS" neigh replace 198.19.0.2 lladdr "$TGT_MAC" dev "$SCAN_IF" nud permanent
	# nodad: usable at once, rather than after a second of duplicate
	# address detection. The neighbours are permanent here too, so no NDP.
	ip -n "$SCAN_NS" -6 addr add 2001:db8:ffff::1/64 dev "$SCAN_IF" nodad
	ip -n "$SCAN_NS" -6 route add default via 2001:db8:ffff::2 dev "$SCAN_IF"
	ip -n "$SCAN_NS" -6 neigh replace 2001:db8:ffff::2 lladdr "$TGT_MAC" dev "$SCAN_IF" nud permanent

	ip -n "$TGT_NS" link set lo up
	ip -n "$TGT_NS" addr add 198.19.0.2/24 dev "$TGT_IF"
	ip -n "$TGT_NS" link set "$TGT_IF" up
	ip -n "$TGT_NS" route add local 198.18.0.0/16 dev lo
	ip -n "$TGT_NS" neigh replace 198.19.0.1 lladdr "$SCAN_MAC" dev "$TGT_IF" nud permanent
	ip -n "$TGT_NS" -6 addr add 2001:db8:ffff::2/64 dev "$TGT_IF" nodad
	ip -n "$TGT_NS" -6 route add local 2001:db8::/64 dev lo
	ip -n "$TGT_NS" -6 neigh replace 2001:db8:ffff::1 lladdr "$SCAN_MAC" dev "$TGT_IF" nud permanent

	# One switch for SYN cookies, net.ipv4.tcp_syncookies, serves IPv6 too.
	set_sysctl "$TGT_NS" net.ipv4.tcp_syncookies 1
	for ns in "$SCAN_NS" "$TGT_NS"; do
		# The per-namespace backlog knobs; netdev_max_backlog is global,
		# and tcp_max_syn_backlog serves IPv6 too.
		set_sysctl "$ns" net.core.somaxconn 65535
		set_sysctl "$ns" net.ipv4.tcp_max_syn_backlog 65535
	done
	# The default range, stated so that trawl can pick a source port outside it.
	set_sysctl "$SCAN_NS" net.ipv4.ip_local_port_range "32768 60999"

	if [[ -n $second ]]; then
		ip netns add "$TGT2_NS"
		ip link add "$SCAN2_IF" address "$SCAN2_MAC" type veth peer name "$TGT2_IF" address "$TGT2_MAC"
		ip link set "$SCAN2_IF" netns "$SCAN_NS"
		ip link set "$TGT2_IF" netns "$TGT2_NS"
		ip -n "$SCAN_NS" addr add 198.19.2.1/24 dev "$SCAN2_IF"
		ip -n "$SCAN_NS" link set "$SCAN2_IF" up
		ip -n "$SCAN_NS" route add "$second" via 198.19.2.2 dev "$SCAN2_IF"
		ip -n "$SCAN_NS" neigh replace 198.19.2.2 lladdr "$TGT2_MAC" dev "$SCAN2_IF" nud permanent
		ip -n "$TGT2_NS" link set lo up
		ip -n "$TGT2_NS" addr add 198.19.2.2/24 dev "$TGT2_IF"
		ip -n "$TGT2_NS" link set "$TGT2_IF" up
		ip -n "$TGT2_NS" route add local "$second" dev lo
		ip -n "$TGT2_NS" neigh replace 198.19.2.1 lladdr "$SCAN2_MAC" dev "$TGT2_IF" nud permanent
		set_sysctl "$TGT2_NS" net.ipv4.tcp_syncookies 1
		set_sysctl "$TGT2_NS" net.core.somaxconn 65535
		set_sysctl "$TGT2_NS" net.ipv4.tcp_max_syn_backlog 65535
	fi

	target_rules "$TGT_NS" "$TGT_IF" "$loss" "${drops[@]}"
	# Checksum offload leaves partial TCP checksums in the packets that
	# cross the veth, which captures then see as corrupt.
	ip netns exec "$SCAN_NS" "$bin" -csum-off "$SCAN_IF"
	ip netns exec "$TGT_NS" "$bin" -csum-off "$TGT_IF"
	if [[ -n $open ]]; then
		start_listener "$bin" "$TGT_NS" "$open" open listen
	fi
	if [[ -n $second ]]; then
		target_rules "$TGT2_NS" "$TGT2_IF" "$loss" "${drops[@]}"
		ip netns exec "$SCAN_NS" "$bin" -csum-off "$SCAN2_IF"
		ip netns exec "$TGT2_NS" "$bin" -csum-off "$TGT2_IF"
		if [[ -n $open2 ]]; then
			start_listener "$bin" "$TGT2_NS" "$open2" open2 listen2
		fi
	fi

	trap - EXIT INT TERM HUP
	echo "lab $name up: scan in $SCAN_NS ($SCAN_IF 198.19.0.1 2001:db8:ffff::1), targets 198.18.0.0/16 2001:db8::/64 in $TGT_NS"
	if [[ -n $second ]]; then
		echo "second link: $SCAN2_IF 198.19.2.1, targets $second in $TGT2_NS"
	fi
}

# ipv6_on NS turns IPv6 on in namespace NS, for the interfaces already
# there and those that move in later, and turns off router solicitations
# and autoconfiguration: the lab's addresses and routes are static.
ipv6_on() {
	local conf
	for conf in all default; do
		set_sysctl "$1" "net.ipv6.conf.$conf.disable_ipv6" 0
		set_sysctl "$1" "net.ipv6.conf.$conf.accept_ra" 0
	done
}

# target_rules NS IF LOSS [CIDR]... loads a target namespace's nftables
# rules, in a table of the inet family so that they see both IPv4 and
# IPv6: LOSS percent of the packets through its end of the pair, IF, are
# dropped in each direction, and all traffic to the CIDRs, IPv4 or IPv6.
target_rules() {
	local ns=$1 dev=$2 loss=$3
	shift 3
	local -a v4=() v6=()
	local cidr
	for cidr in "$@"; do
		if [[ $cidr == *:* ]]; then v6+=("$cidr"); else v4+=("$cidr"); fi
	done
	{
		echo "table inet trawl_lab {"
		echo "  chain input {"
		echo "    type filter hook input priority 0; policy accept;"
		if ((loss > 0)); then
			echo "    iifname \"$dev\" numgen random mod 100 < $loss drop"
		fi
		local IFS=,
		if ((${#v4[@]} > 0)); then
			echo "    ip daddr { ${v4[*]} } drop"
		fi
		if ((${#v6[@]} > 0)); then
			echo "    ip6 daddr { ${v6[*]} } drop"
		fi
		echo "  }"
		echo "  chain output {"
		echo "    type filter hook output priority 0; policy accept;"
		if ((loss > 0)); then
			echo "    oifname \"$dev\" numgen random mod 100 < $loss drop"
		fi
		echo "  }"
		echo "}"
	} | ip netns exec "$ns" nft -f - || die "load nftables rules in $ns"
}

# start_listener BIN NS FILE COPY KEY plants the open ports in FILE, copied
# to $STATE/COPY, in namespace NS, with a trawl-lab-listen whose pid and log
# are $STATE/KEY.pid and $STATE/KEY.log, and waits until it is ready.
start_listener() {
	local bin=$1 ns=$2 file=$3 copy=$4 key=$5
	cp "$file" "$STATE/$copy"
	# ip netns exec execs the program, so $! is the listener itself.
	ip netns exec "$ns" "$bin" -f "$STATE/$copy" </dev/null >"$STATE/$key.log" 2>&1 &
	echo $! >"$STATE/$key.pid"
	local i
	for ((i = 0; i < 1200; i++)); do
		grep -qsx ready "$STATE/$key.log" && break
		alive "$(<"$STATE/$key.pid")" ||
			die "listener in $ns failed: $(cat "$STATE/$key.log")"
		sleep 0.05
	done
	grep -qsx ready "$STATE/$key.log" || die "listener in $ns not ready after 60s: $(cat "$STATE/$key.log")"
}

# teardown NAME removes everything that lab NAME may have made. It never fails.
teardown() {
	names "$1"
	local -a pids=()
	local ns pid
	for pid in "$STATE"/listen.pid "$STATE"/listen2.pid; do
		if [[ -r $pid ]]; then
			pids+=("$(<"$pid")")
		fi
	done
	for ns in "$SCAN_NS" "$TGT_NS" "$TGT2_NS"; do
		if ns_exists "$ns"; then
			mapfile -t -O "${#pids[@]}" pids < <(ip netns pids "$ns" 2>/dev/null || true)
		fi
	done
	if ((${#pids[@]} > 0)); then
		kill -TERM "${pids[@]}" 2>/dev/null || true
		local i
		for ((i = 0; i < 100; i++)); do
			local running=0
			for pid in "${pids[@]}"; do
				if alive "$pid"; then running=1; fi
			done
			((running)) || break
			sleep 0.05
		done
		kill -KILL "${pids[@]}" 2>/dev/null || true
	fi
	for ns in "$SCAN_NS" "$TGT_NS" "$TGT2_NS"; do
		if ns_exists "$ns"; then
			ip netns del "$ns" 2>/dev/null || true
		fi
	done
	# A failed up may leave the pairs in the root namespace.
	local dev
	for dev in "$SCAN_IF" "$TGT_IF" "$SCAN2_IF" "$TGT2_IF"; do
		ip link del "$dev" 2>/dev/null || true
	done
	rm -rf "$STATE"
}

cmd_down() {
	[[ $# -eq 1 ]] || usage
	check_name "$1"
	need_root
	teardown "$1"
}

cmd_exec() {
	[[ $# -ge 2 ]] || usage
	check_name "$1"
	need_root
	names "$1"
	shift
	ns_exists "$SCAN_NS" || die "lab is not up: no namespace $SCAN_NS"
	exec ip netns exec "$SCAN_NS" "$@"
}

cmd_truth() {
	[[ $# -eq 5 ]] || usage
	check_name "$1"
	shift
	local bin
	bin=$(listen_bin)
	exec "$bin" -gen "$@"
}

main() {
	[[ $# -ge 1 ]] || usage
	local cmd=$1
	shift
	case $cmd in
	up) cmd_up "$@" ;;
	down) cmd_down "$@" ;;
	exec) cmd_exec "$@" ;;
	truth) cmd_truth "$@" ;;
	-h | --help | help) usage ;;
	*) die "unknown command '$cmd'" ;;
	esac
}

main "$@"
