#!/usr/bin/env bash
# bench.sh: trawl side by side with nmap, zmap and masscan in one lab, with
# recall against the planted ground truth and trawl's ratio to each peer.
#
# Usage: scripts/bench.sh [SCENARIO]...        (as root; "make bench" builds first)
#
#   1       /24 x 1-1024: trawl, nmap -sS -T4, masscan
#   2       /16 x port 80, every host open: trawl, zmap -r 0, masscan
#   3       /19 x 1-1024 (8.4M probes): trawl unthrottled, zmap's send rate,
#           three interleaved rounds, each tool's median compared
#   4       127.0.0.1 x 1-1024: trawl, nmap -sS, best of 5 each, on the scan
#           namespace's loopback with 5 planted ports
#   5       /22 x 1-1024: masscan at several rates, its best against trawl
#           (masscan runs under timeout, and is stopped if it hangs after --wait)
#   ceiling /19 x 1-1024 (8.4M probes), answered and into silence (the target
#           namespace drops every SYN): trawl against refsend, the kernel's
#           send path alone (scripts/bench/refsend), on frames and with
#           --send-ip, CEIL_ROUNDS (3) interleaved rounds, medians; CPU
#           seconds per million probes; --senders 1 and 3 (CEIL_SCALING=0
#           skips them); bin/trawl-static, whose capture is trawl's own
#           AF_PACKET ring (CEIL_STATIC=0 skips it); zmap and masscan as peers
#           (CEIL_PEERS=0 skips them); with TRAWL_BEFORE=BINARY also that binary
#   6       /20 x 1-1024: trawl at rising --rate, the highest with full recall
#   mem     198.18.0.0/15 x 1-65535 (8.6G probes) with --retries 2, stopped
#           after MEM_SECONDS (20): RSS each second and peak, unthrottled and
#           at --rate 500k; with TRAWL_BEFORE=BINARY also that binary,
#           which may need --shard 1/3 for a space this size
#   go      packet build + cookie in process (go test -bench BenchmarkProbe)
#   claims  the design's original claims next to ours; the /16 x 1-1024 case
#           (67M probes, minutes) runs only with BENCH_FULL=1
#   auto    --rate auto (issue 14) behind a bottleneck: the target namespace
#           drops the SYNs beyond N a second (nftables limit, burst N/100).
#           (a) N = 50k, /20 x 1-256 --retries 3: --rate auto against
#           --rate 50k (N, known beforehand) and 200k, masscan --rate 200k
#           --retries 3, and zmap -r 200k on /16 x 80 (with trawl auto and
#           200k there too); (b) no bottleneck, /19 x 1-1024: --rate auto
#           against unthrottled, AUTO_ROUNDS (2) interleaved rounds; (c) N
#           50k, 20k after 10 s, 80k after 20 s, /19 x 1-256 --retries 3.
#           Prints the rate over time (every 2 s) and plots it, from each
#           run's --metadata-file rate_history, to bench-DATE-rate.svg
#           (scripts/bench/rateplot.py, which also defines the figures)
#   banners trawl --banners against nmap -sS -sV -T4 (issue 15) on the lab's
#           real servers (OpenSSH, nginx with and without TLS, Redis, vsftpd,
#           Exim), their /29 x 1-1024,6379, and trawl without --banners,
#           BANNER_ROUNDS (3) interleaved rounds, medians; how many of the
#           ports nmap names trawl names the same (go test -bench
#           BenchmarkBanners ./internal/e2e, which starts its own lab)
#
# With no SCENARIO it runs them all, then prints one PASS/FAIL line per target
# of issues 5, 14, 15 and 16, and writes every figure to bench-DATE.json and a plot of
# the rounds to bench-DATE.svg, in BENCH_OUT (default: the current directory).
# Every packet goes into the lab's namespaces (198.18.0.0/16 from 198.19.0.1)
# or to the scan namespace's own loopback; the lab is torn down on any exit.
# The lab shares the machine's two cores with the scanners (and with whatever
# else runs), so expect +-15% from run to run, and more when the machine is
# busy: the ceiling scenario also prints CPU per probe, which moves less.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly REPO
readonly TRAWL=$REPO/bin/trawl
readonly LISTEN=$REPO/bin/trawl-lab-listen
readonly SCORE=$REPO/scripts/bench/score.py
readonly REPORT=$REPO/scripts/bench/report.py
readonly GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}

readonly SRC_IP=198.19.0.1          # the scan namespace's address (lab.sh)
readonly ROUTER_MAC=02:74:72:00:00:02 # the target side of the veth pair (lab.sh)
readonly FAST=100M                  # a --rate no sender reaches: unthrottled
readonly MASSCAN_RATE=100000        # masscan's rate in scenarios 1 and 2
readonly MASSCAN_RATES=(50000 100000 150000)
readonly CEILING_RATES=(200k 300k 400k 600k "$FAST")
readonly ZMAP_STREAMS=128           # zmap -P: probes per address in scenario 3
readonly S3_ROUNDS=3                # scenario 3's rounds; each tool's median counts
readonly HANG_GRACE=10              # seconds masscan may hang after its --wait
readonly MEM_SECONDS=${MEM_SECONDS:-20} # how long each scenario-mem run sweeps
readonly CEIL_NET=198.18.0.0/19 CEIL_PORTS=1-1024 # the ceiling scenario's sweep
readonly CEIL_ROUNDS=${CEIL_ROUNDS:-3} # its interleaved rounds
readonly CEIL_WAIT=1s                  # trawl's --wait there, as zmap's cooldown
readonly CEIL_TARGET=0.95              # trawl / ceiling, each send path, each mode
readonly CEIL_PEERS=${CEIL_PEERS:-1}   # 0: no zmap and masscan rounds
readonly CEIL_SCALING=${CEIL_SCALING:-1} # 0: no --senders 1 and 3 rounds
readonly MASSCAN_FAST=10000000         # a --rate masscan does not reach
readonly CEIL_STATIC=${CEIL_STATIC:-1} # 0: no rounds of trawl-static (AF_PACKET ring capture)
readonly TRAWL_STATIC=${TRAWL_STATIC:-$REPO/bin/trawl-static}
readonly V6_NET=2001:db8::/120 V6_SWEEP=2001:db8::/118 V4_SWEEP=198.18.0.0/22 # scenario v6
readonly V6_ROUNDS=${V6_ROUNDS:-3}     # its interleaved sweep rounds
# Scenario auto (issue 14): the bottleneck N in SYNs/s, its sweeps, the
# steps of its case (c) and the fixed rate set against it.
readonly RATEPLOT=$REPO/scripts/bench/rateplot.py
readonly AUTO_N=50000
readonly AUTO_B_NET=198.18.0.0/20 AUTO_B_PORTS=${AUTO_B_PORTS:-1-256}  # (a), 1,048,576 probes
readonly AUTO_Z_NET=198.18.0.0/16 AUTO_Z_PORT=80                       # (a), zmap's one port
readonly AUTO_F_NET=198.18.0.0/19 AUTO_F_PORTS=${AUTO_F_PORTS:-1-1024} # (b), 8,388,608 probes
readonly AUTO_C_NET=198.18.0.0/19 AUTO_C_PORTS=${AUTO_C_PORTS:-1-256}  # (c), 2,097,152 probes
readonly AUTO_STEPS=(50000 20000 80000) AUTO_STEP_S=10
readonly AUTO_FIXED=200000
readonly AUTO_ROUNDS=${AUTO_ROUNDS:-2}
readonly AUTO_SKIP=5 # seconds of start-up left out of the send phase
readonly BANNER_ROUNDS=${BANNER_ROUNDS:-3}
readonly ALL_SCENARIOS=(1 2 3 ceiling 4 5 6 v6 mem go claims auto banners)
BENCH_OUT=$(realpath -m "${BENCH_OUT:-$PWD}")
readonly BENCH_OUT

LAB=$(printf 'bench%03d' $(($$ % 1000)))
readonly LAB SCAN_NS=$LAB-scan SCAN_IF=trl-$LAB-s TGT_NS=$LAB-tgt
TMP=$(mktemp -d /tmp/trawl-bench.XXXXXX)
chmod 711 "$TMP" # zmap, once it runs as nobody, writes one file here
readonly TMP
readonly REFSEND=$TMP/refsend
LAB_UP=0
LOOP_PID=""
STEP_PID=""

# Per run, keyed by scenario.tool: what the tables and verdicts are made of.
# WIRE is the send phase's rate as the scan side's interface counted it
# (wired), CPUM the CPU seconds per million probes.
declare -A LABEL WALL RSS CPU PROBES HITS EXPECTED EXTRA DUPS NOTE RATE SEEN SCAN STOPPED SERIES WIRE CPUM
# Per scenario: RAN[SCENARIO] once it ran, BEST[...] the key of a best run;
# CEIL[MODE.TOOL.FIGURE] the ceiling scenario's medians.
declare -A RAN BEST CEIL
# AUTO[KEY.FIGURE]: scenario auto's figures of run KEY (rateplot.py stats).
declare -A AUTO
GO_NS="" GO_ALLOCS=""
BN_OPEN="" BN_NAME="" BN_PRODUCT=""

die() {
	echo "bench.sh: $*" >&2
	exit 1
}

cleanup() {
	if [[ -n $LOOP_PID ]]; then
		kill "$LOOP_PID" 2>/dev/null || true
	fi
	if [[ -n $STEP_PID ]]; then
		kill "$STEP_PID" 2>/dev/null || true
	fi
	if ((LAB_UP)); then
		"$REPO/scripts/lab.sh" down "$LAB" >/dev/null 2>&1 || true
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# calc EXPR prints EXPR (awk arithmetic) with two decimals.
calc() {
	awk "BEGIN { printf \"%.2f\", $1 }"
}

# holds EXPR succeeds when the awk condition EXPR is true.
holds() {
	awk "BEGIN { exit !($1) }"
}

# probes CIDR PORTS prints how many probes CIDR x PORTS is.
probes() {
	local width=32 n=0 part
	[[ $1 == *:* ]] && width=128
	local bits=$width
	[[ $1 == */* ]] && bits=${1#*/}
	local -a parts
	IFS=, read -ra parts <<<"$2"
	for part in "${parts[@]}"; do
		n=$((n + ${part#*-} - ${part%-*} + 1))
	done
	echo $(((1 << (width - bits)) * n))
}

ensure_packages() {
	[[ $EUID -eq 0 ]] || die "must run as root: the lab and raw sockets need it"
	[[ -x $TRAWL && -x $LISTEN ]] || die "$TRAWL is missing: run 'make build' (or 'make bench')"
	command -v python3 >/dev/null || die "python3 is needed to score the outputs"
	local -a missing=()
	local p
	for p in nmap masscan zmap time; do
		dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
	done
	if ((${#missing[@]} > 0)); then
		echo "installing: ${missing[*]}"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
	fi
}

# need_lab brings the lab up once: 2,000 ports planted at random in
# 198.18.0.0/19 x 1-1024, and port 80 open on every address of the /16.
need_lab() {
	((LAB_UP)) && return
	"$REPO/scripts/lab.sh" truth "$LAB" 198.18.0.0/19 1-1024 2000 42 >"$TMP/truth"
	echo '*:80' >>"$TMP/truth"
	"$REPO/scripts/lab.sh" truth "$LAB" "$V6_NET" 1-1024 500 43 >>"$TMP/truth"
	: >"$TMP/empty"
	LAB_UP=1
	"$REPO/scripts/lab.sh" up "$LAB" --open "$TMP/truth" >/dev/null
	echo "lab $LAB: $(grep -vc '^[*[]' "$TMP/truth") ports planted in 198.18.0.0/19 x 1-1024, port 80 open on all of 198.18.0.0/16, $(grep -c '^\[' "$TMP/truth") in $V6_NET x 1-1024"
}

# run KEY LABEL PROBES LIMIT CMD... runs CMD in the scan namespace under GNU
# time and a timeout of LIMIT seconds, and records its wall time, peak RSS
# and CPU time. With WATCH set, it also records in SEEN[KEY] how many seconds
# passed before WATCH first showed in CMD's stderr, and stops CMD (as the
# timeout would) if it still runs HANG_GRACE seconds after that.
run() {
	local key=$1 label=$2 probes=$3 limit=$4
	shift 4
	local rc=0 start=$EPOCHREALTIME pid stopped=0
	ip netns exec "$SCAN_NS" /usr/bin/time -o "$TMP/$key.time" -f '%e %M %U %S' \
		timeout -k 5 "$limit" "$@" </dev/null >"$TMP/$key.out" 2>"$TMP/$key.err" &
	pid=$!
	SEEN[$key]=""
	while [[ -n ${WATCH:-} ]] && kill -0 "$pid" 2>/dev/null; do
		if [[ -z ${SEEN[$key]} ]]; then
			if grep -qsF -- "$WATCH" "$TMP/$key.err"; then
				SEEN[$key]=$(calc "$EPOCHREALTIME - $start")
			fi
		elif ((!stopped)) && holds "$EPOCHREALTIME - $start > ${SEEN[$key]} + $HANG_GRACE"; then
			# time's one child is timeout, which passes the signal on.
			kill -TERM $(pgrep -P "$pid") 2>/dev/null || true
			stopped=1
		fi
		sleep 0.1
	done
	wait "$pid" || rc=$?
	[[ -s $TMP/$key.time ]] || die "$label did not start: $(tail -n 3 "$TMP/$key.err")"
	local wall rss user sys
	read -r wall rss user sys < <(tail -n 1 "$TMP/$key.time")
	LABEL[$key]=$label PROBES[$key]=$probes WALL[$key]=$wall RATE[$key]=""
	RSS[$key]=$(calc "$rss / 1024")
	CPU[$key]=$(calc "$user + $sys")
	NOTE[$key]=""
	STOPPED[$key]=$stopped
	if ((stopped)); then
		: # the caller says why
	elif ((rc == 124 || rc == 137)); then
		NOTE[$key]="killed by timeout ${limit}s; "
	elif ((rc != 0)); then
		NOTE[$key]="exit $rc: $(tail -n 1 "$TMP/$key.err"); "
	fi
	sleep 1 # let the target's kernel settle between runs
}

# score KEY FORMAT FILE CIDR PORTS [TRUTH] counts what FILE found of TRUTH.
score() {
	local key=$1 fmt=$2 file=$3 cidr=$4 ports=$5 truth=${6:-$TMP/truth}
	[[ -e $file ]] || : >"$file"
	read -r "HITS[$key]" "EXPECTED[$key]" "EXTRA[$key]" "DUPS[$key]" < <(
		python3 "$SCORE" "$fmt" "$file" "$truth" "$cidr" "$ports"
	) || die "cannot score $file"
	((EXTRA[$key] == 0)) || NOTE[$key]+="${EXTRA[$key]} not planted; "
	((DUPS[$key] == 0)) || NOTE[$key]+="${DUPS[$key]} duplicates; "
	return 0
}

# recall KEY prints the recall, or - when nothing was expected.
recall() {
	if ((EXPECTED[$1] == 0)); then
		echo -
	else
		awk -v h="${HITS[$1]}" -v e="${EXPECTED[$1]}" 'BEGIN { printf "%.6f", h / e }'
	fi
}

# recall_ok KEY NUM DEN succeeds when KEY's recall is at least NUM/DEN.
recall_ok() {
	((EXPECTED[$1] > 0 && HITS[$1] * $3 >= EXPECTED[$1] * $2))
}

# scan_trawl KEY LABEL CIDR PORTS LIMIT [ARG]... runs trawl ($TRAWL_BIN if
# set, else bin/trawl), scores its NDJSON and reads its summary line.
scan_trawl() {
	local key=$1 label=$2 cidr=$3 ports=$4 limit=$5
	shift 5
	run "$key" "$label" "$(probes "$cidr" "$ports")" "$limit" \
		"${TRAWL_BIN:-$TRAWL}" -p "$ports" "$cidr" -oD "$TMP/$key.ndjson" "$@"
	score "$key" ndjson "$TMP/$key.ndjson" "$cidr" "$ports" "${TRUTH:-$TMP/truth}"
	local line re='([0-9]+) probes sent \(([0-9]+)/s\).* ([0-9]+) unanswered, [0-9]+ invalid, ([0-9]+) capture drops'
	line=$(grep '^trawl: done in' "$TMP/$key.err" || true)
	if [[ $line =~ $re ]]; then
		RATE[$key]=${BASH_REMATCH[2]}
		NOTE[$key]+="sent ${BASH_REMATCH[2]}/s, ${BASH_REMATCH[3]} unanswered, ${BASH_REMATCH[4]} capture drops"
	else
		NOTE[$key]+="no summary line"
	fi
}

# scan_nmap KEY LABEL CIDR PORTS [ARG]... runs nmap -sS -n -Pn with ARGs.
scan_nmap() {
	local key=$1 label=$2 cidr=$3 ports=$4
	shift 4
	run "$key" "$label" "$(probes "$cidr" "$ports")" 600 \
		nmap -sS "$@" -n -Pn -p "$ports" -oG "$TMP/$key.gnmap" "$cidr"
	score "$key" grepable "$TMP/$key.gnmap" "$cidr" "$ports" "${TRUTH:-$TMP/truth}"
	grep -q '^# Nmap done' "$TMP/$key.gnmap" || NOTE[$key]+="no '# Nmap done' line; "
}

# scan_masscan KEY CIDR PORTS RATE [LIMIT [ARG]...] runs masscan (with ARGs)
# from the scan namespace's address and interface straight to the target
# side's MAC, for at most LIMIT seconds (120). masscan often
# hangs after its --wait (for a minute or more): its status line then counts
# "waiting -1-secs" and on. SCAN[KEY] is the time the first of those showed,
# less a second (the wall time if it never hung), and HANG_GRACE seconds
# later masscan is stopped; the wall time includes those seconds.
scan_masscan() {
	local key=$1 cidr=$2 ports=$3 rate=$4 limit=${5:-120}
	shift $(($# < 5 ? $# : 5))
	WATCH="waiting -1-secs" run "$key" "masscan --rate $((rate / 1000))k${*:+ $*}" "$(probes "$cidr" "$ports")" "$limit" \
		masscan -p "$ports" "$cidr" --rate "$rate" --wait 2 "$@" \
		-e "$SCAN_IF" --adapter-ip "$SRC_IP" --router-mac "$ROUTER_MAC" -oL "$TMP/$key.list"
	score "$key" list "$TMP/$key.list" "$cidr" "$ports"
	SCAN[$key]=${WALL[$key]}
	if [[ -n ${SEEN[$key]} ]]; then
		SCAN[$key]=$(calc "${SEEN[$key]} - 1")
		NOTE[$key]+="its --wait ended at ${SCAN[$key]} s, then it hung"
		if ((STOPPED[$key])); then NOTE[$key]+=" (stopped ${HANG_GRACE} s later)"; fi
		NOTE[$key]+="; "
	fi
	if ((!STOPPED[$key])) && ! grep -q '^# end' "$TMP/$key.list"; then
		NOTE[$key]+="output not closed; "
	fi
}

# scan_zmap KEY LABEL CIDR PORT STREAMS [RATE] runs zmap -r RATE (0:
# unthrottled) with STREAMS probes per address, an empty blocklist (its
# default one blocks 198.18.0.0/15) and the lab's source address, interface
# and gateway MAC.
scan_zmap() {
	local key=$1 label=$2 cidr=$3 port=$4 streams=$5 rate=${6:-0}
	# zmap drops root for nobody while its monitor thread opens the -u
	# file, so that open failed now and then ("csv: could not open output
	# file"): nobody may reach $TMP and write this one file.
	install -m 666 /dev/null "$TMP/$key.csv"
	run "$key" "$label" $(($(probes "$cidr" "$port") * streams)) 120 \
		zmap -q -p "$port" -P "$streams" -r "$rate" --cooldown-time=1 -b "$TMP/empty" \
		-S "$SRC_IP" -i "$SCAN_IF" -G "$ROUTER_MAC" -o "$TMP/$key.ips" -m "$TMP/$key.json" -u "$TMP/$key.csv" "$cidr"
	score "$key" ips "$TMP/$key.ips" "$cidr" "$port"
	local sent drops
	read -r sent drops < <(python3 -c 'import json, sys
m = json.load(open(sys.argv[1]))
print(m["total_sent"] * m["packet_streams"], m["pcap_drop"] + m["pcap_ifdrop"])' "$TMP/$key.json") ||
		die "zmap wrote no metadata: $(tail -n 3 "$TMP/$key.err")"
	((sent == PROBES[$key])) || NOTE[$key]+="sent $sent of ${PROBES[$key]}; "
	# The send phase's average rate: the last per-second status row that
	# still had a send thread running.
	RATE[$key]=$(awk -F, -v s="$streams" 'NR > 1 && $2 > 0 && $5 > 0 { r = $8 } END { printf "%d", r * s }' "$TMP/$key.csv")
	if ((RATE[$key] > 0)); then
		NOTE[$key]+="sent ${RATE[$key]}/s, "
	fi
	NOTE[$key]+="$drops capture drops"
}

# table REF KEY... prints the rows of KEYs; the last column is trawl's wall
# time (REF's) over each other row's, or - with REF -.
table() {
	local ref=$1 key ratio pps
	shift
	printf '  %-30s %7s %9s %9s %17s %7s %6s %6s  %s\n' \
		tool "wall s" probes/s recall found/expected "RSS MiB" "CPU s" trawl/x notes
	for key in "$@"; do
		ratio=-
		if [[ $ref != - && $key != "$ref" ]]; then
			ratio=$(calc "${WALL[$ref]} / ${WALL[$key]}")
		fi
		pps=$(awk -v p="${PROBES[$key]}" -v w="${WALL[$key]}" 'BEGIN { printf "%.0f", (w > 0 ? p / w : 0) }')
		printf '  %-30s %7s %9s %9s %17s %7s %6s %6s  %s\n' "${LABEL[$key]}" "${WALL[$key]}" "$pps" \
			"$(recall "$key")" "${HITS[$key]}/${EXPECTED[$key]}" "${RSS[$key]}" "${CPU[$key]}" "$ratio" "${NOTE[$key]%; }"
	done
}

scenario_1() {
	echo "== 1. 198.18.0.0/24 x 1-1024 (262,144 probes): trawl vs nmap -sS -T4 -n -Pn vs masscan"
	need_lab
	scan_trawl s1.trawl "trawl --rate $FAST" 198.18.0.0/24 1-1024 600 --rate "$FAST"
	scan_nmap s1.nmap "nmap -sS -T4" 198.18.0.0/24 1-1024 -T4
	scan_masscan s1.masscan 198.18.0.0/24 1-1024 "$MASSCAN_RATE"
	table s1.trawl s1.trawl s1.nmap s1.masscan
	RAN[1]=1
}

scenario_2() {
	echo "== 2. 198.18.0.0/16 x port 80, all 65,536 open: trawl vs zmap -r 0 --cooldown-time=1 vs masscan"
	echo "   (trawl --wait 1s to match zmap's cooldown)"
	need_lab
	scan_trawl s2.trawl "trawl --rate $FAST --wait 1s" 198.18.0.0/16 80 600 --rate "$FAST" --wait 1s
	scan_zmap s2.zmap "zmap -r 0 --cooldown-time=1" 198.18.0.0/16 80 1
	scan_masscan s2.masscan 198.18.0.0/16 80 "$MASSCAN_RATE"
	table s2.trawl s2.trawl s2.zmap s2.masscan
	RAN[2]=1
}

# median KEY... prints the key whose RATE is the median of the KEYs'.
median() {
	local key
	for key in "$@"; do
		echo "${RATE[$key]:-0} $key"
	done | sort -n | awk '{ k[NR] = $2 } END { print k[int((NR + 1) / 2)] }'
}

scenario_3() {
	echo "== 3. 198.18.0.0/19 x 1-1024 (8,388,608 probes): trawl unthrottled vs zmap's send rate, $S3_ROUNDS rounds"
	echo "   (zmap takes one port: it sends $ZMAP_STREAMS probes to each address of the /19 on port 81 instead;"
	echo "   the rounds interleave the tools, and each tool's median round is compared)"
	need_lab
	local round keys=() tool
	for round in $(seq "$S3_ROUNDS"); do
		scan_trawl s3.trawl."$round" "trawl --rate $FAST ($round)" 198.18.0.0/19 1-1024 900 --rate "$FAST"
		TRAWL_BIN=$REPO/bin/trawl-static scan_trawl s3.static."$round" "trawl-static (ring) ($round)" 198.18.0.0/19 1-1024 900 --rate "$FAST"
		scan_zmap s3.zmap."$round" "zmap -r 0 -P $ZMAP_STREAMS, port 81 ($round)" 198.18.0.0/19 81 "$ZMAP_STREAMS"
		keys+=("s3.trawl.$round" "s3.static.$round" "s3.zmap.$round")
	done
	table - "${keys[@]}"
	local rounds=()
	for tool in trawl static zmap; do
		mapfile -t rounds < <(seq -f "s3.$tool.%g" "$S3_ROUNDS")
		BEST[s3.$tool]=$(median "${rounds[@]}")
	done
	local t=${BEST[s3.trawl]} st=${BEST[s3.static]} z=${BEST[s3.zmap]}
	echo "   median sustained rate: trawl ${RATE[$t]}/s (its summary: probes / whole scan)," \
		"zmap ${RATE[$z]}/s (its send phase): $(calc "${RATE[$t]} / (${RATE[$z]} + 0.000001)") x;" \
		"trawl-static (AF_PACKET ring instead of libpcap) ${RATE[$st]}/s, $(calc "${RATE[$st]} / (${RATE[$z]} + 0.000001)") x"
	RAN[3]=1
}

# need_refsend builds the reference sender into $TMP once.
need_refsend() {
	[[ -x $REFSEND ]] && return
	(cd "$REPO" && "$GO" build -o "$REFSEND" ./scripts/bench/refsend) || die "cannot build scripts/bench/refsend"
}

# silence sil|ans makes the target namespace drop every TCP SYN to
# CEIL_NET at prerouting, before routing or any socket lookup (sil), as on
# the Internet, where probes leave and nothing answers; or answer again (ans).
silence() {
	ip netns exec "$TGT_NS" nft delete table ip bench_silence 2>/dev/null || true
	[[ $1 == sil ]] || return 0
	ip netns exec "$TGT_NS" nft -f - <<-EOF || die "cannot add the silence rule in $TGT_NS"
		table ip bench_silence {
			chain pre {
				type filter hook prerouting priority -300; policy accept;
				ip daddr $CEIL_NET tcp flags syn drop
			}
		}
	EOF
}

# wired FUNC KEY [ARG]... runs FUNC KEY ARG... (a scan function) while
# refsend watch samples the scan side's transmit counter every 10 ms.
# WIRE[KEY] is then the send phase's rate as the wire saw it, the same
# measure for every tool: PROBES[KEY] over the time from the first batch
# out until the counter had grown by PROBES[KEY] (or, if it never did, what
# it sent until it last grew). The RSTs the scan side's kernel sends to
# planted SYN-ACKs (2,000) count too: they end the span about 5 ms early.
wired() {
	local key=$2
	ip netns exec "$SCAN_NS" "$REFSEND" watch -i "$SCAN_IF" -every 10ms >"$TMP/$key.tx" 2>/dev/null &
	local pid=$!
	sleep 0.2
	"$@"
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	WIRE[$key]=$(awk -v p="${PROBES[$key]}" '
		NR == 1 { base = $2; prev = $1; last = $2; tl = $1 }
		!t0 && $2 > base + 64 { t0 = (prev + $1) / 2 }
		t0 && !t1 && $2 >= base + p { t1 = $1 }
		$2 != last { tl = $1; last = $2 }
		{ prev = $1 }
		END {
			n = t1 ? p : last - base
			t = t1 ? t1 : tl
			printf "%.0f", (t0 && t > t0) ? n / (t - t0) : 0
		}' "$TMP/$key.tx")
	NOTE[$key]+="; on the wire ${WIRE[$key]}/s"
}

# ceiling_ref KEY LABEL [ARG]... runs refsend over the ceiling's sweep.
# RATE[KEY] is its send phase's rate, CPUM[KEY] its CPU time per million
# probes while sending (getrusage; building the frames is not counted).
ceiling_ref() {
	local key=$1 label=$2
	shift 2
	run "$key" "$label" "$(probes "$CEIL_NET" "$CEIL_PORTS")" 300 \
		"$REFSEND" -i "$SCAN_IF" -gw "$ROUTER_MAC" -src "$SRC_IP" -net "$CEIL_NET" -ports "$CEIL_PORTS" "$@"
	HITS[$key]=0 EXPECTED[$key]=0 EXTRA[$key]=0 DUPS[$key]=0
	local re='([0-9]+) probes/s, cpu [0-9.]+\+[0-9.]+ s \(([0-9.]+) s per million\)'
	if [[ $(cat "$TMP/$key.out") =~ $re ]]; then
		RATE[$key]=${BASH_REMATCH[1]} CPUM[$key]=${BASH_REMATCH[2]}
		NOTE[$key]+="sent ${RATE[$key]}/s, ${CPUM[$key]} CPU s per million while sending"
	else
		NOTE[$key]+="no result line"
	fi
}

# med NUM... prints the median of the numbers (the lower middle one of an
# even count), or 0 for none.
med() {
	printf '%s\n' "$@" | sort -g | awk 'NF { v[++n] = $1 } END { print n ? v[int((n + 1) / 2)] : 0 }'
}

# ceiling_row MODE TOOL REF prints TOOL's medians over the rounds in MODE
# and keeps them in CEIL: its send phase on the wire, the whole run's rate
# (probes over wall time, masscan's hang after its --wait left out; the
# reference's own send phase), the median of the rounds' ratios to REF's
# send phase, CPU s per million probes, worst recall, peak RSS.
ceiling_row() {
	local mode=$1 tool=$2 ref=$3 round key
	local -a wire=() whole=() ratio=() cpum=() cratio=()
	local worst="" rss=0 label=""
	for round in $(seq "$CEIL_ROUNDS"); do
		key=c.$mode.$tool.$round
		[[ -n ${LABEL[$key]:-} ]] || continue
		label=${LABEL[$key]% (*}
		wire+=("${WIRE[$key]}")
		if [[ $tool == ref* ]]; then
			whole+=("${RATE[$key]:-0}")
		else
			local wall=${SCAN[$key]:-${WALL[$key]}}
			whole+=("$(awk -v p="${PROBES[$key]}" -v w="$wall" 'BEGIN { printf "%.0f", p / w }')")
			CPUM[$key]=$(calc "${CPU[$key]} * 1000000 / ${PROBES[$key]}")
		fi
		cpum+=("${CPUM[$key]:-0}")
		if [[ -n $ref && -n ${CPUM[c.$mode.$ref.$round]:-} ]]; then
			cratio+=("$(awk -v a="${CPUM[c.$mode.$ref.$round]}" -v b="${CPUM[$key]}" 'BEGIN { printf "%.3f", a / b }')")
		fi
		if [[ -n $ref && ${WIRE[c.$mode.$ref.$round]:-0} -gt 0 ]]; then
			ratio+=("$(awk -v a="${WIRE[$key]}" -v b="${WIRE[c.$mode.$ref.$round]}" 'BEGIN { printf "%.3f", a / b }')")
		fi
		if [[ $mode == ans ]] && ((EXPECTED[$key] > 0)) && { [[ -z $worst ]] || holds "${HITS[$key]} * ${EXPECTED[$worst]} < ${HITS[$worst]} * ${EXPECTED[$key]}"; }; then
			worst=$key
		fi
		holds "${RSS[$key]} > $rss" && rss=${RSS[$key]}
	done
	((${#wire[@]} > 0)) || return 0
	local p=$mode.$tool
	CEIL[$p.label]=$label
	CEIL[$p.wire]=$(med "${wire[@]}")
	CEIL[$p.whole]=$(med "${whole[@]}")
	CEIL[$p.cpum]=$(med "${cpum[@]}")
	CEIL[$p.ratio]=- CEIL[$p.cpuratio]=-
	((${#ratio[@]} > 0)) && CEIL[$p.ratio]=$(med "${ratio[@]}")
	((${#cratio[@]} > 0)) && CEIL[$p.cpuratio]=$(med "${cratio[@]}")
	CEIL[$p.rounds]="${wire[*]}"
	CEIL[$p.recall]=-
	[[ -n $worst ]] && CEIL[$p.recall]=$(recall "$worst")
	printf '  %-34s %9s %9s %7s %8s %7s %9s %7s  %s\n' "$label" "${CEIL[$p.wire]}" "${CEIL[$p.whole]}" \
		"${CEIL[$p.ratio]}" "${CEIL[$p.cpum]}" "${CEIL[$p.cpuratio]}" "${CEIL[$p.recall]}" "$rss" "${CEIL[$p.rounds]}"
}

scenario_ceiling() {
	local n
	n=$(probes "$CEIL_NET" "$CEIL_PORTS")
	echo "== ceiling. $CEIL_NET x $CEIL_PORTS ($n probes), answered and into silence: trawl against the kernel's send path alone,"
	echo "   $CEIL_ROUNDS interleaved rounds. The ceiling is refsend (scripts/bench/refsend): the same probes built beforehand,"
	echo "   sent with sendmmsg(2), 64 a call, from 2 threads with a socket each, nothing received; on AF_PACKET frames"
	echo "   (PACKET_QDISC_BYPASS) for trawl's default path, on raw IPv4 sockets for --send-ip. Into silence the target"
	echo "   namespace drops every SYN at prerouting. trawl waits $CEIL_WAIT at the end, zmap 1 s, masscan 2 s."
	need_lab
	need_refsend
	local round mode s
	local -a args=("$CEIL_NET" "$CEIL_PORTS" 600 --rate "$FAST" --wait "$CEIL_WAIT")
	for round in $(seq "$CEIL_ROUNDS"); do
		for mode in ans sil; do
			silence "$mode"
			wired ceiling_ref "c.$mode.ref.$round" "refsend, frames ($mode $round)"
			wired scan_trawl "c.$mode.trawl.$round" "trawl ($mode $round)" "${args[@]}"
			wired ceiling_ref "c.$mode.refip.$round" "refsend -ip ($mode $round)" -ip
			wired scan_trawl "c.$mode.trawlip.$round" "trawl --send-ip ($mode $round)" "${args[@]}" --send-ip
			if ((CEIL_STATIC)); then
				TRAWL_BIN=$TRAWL_STATIC wired scan_trawl "c.$mode.static.$round" "trawl-static, ring ($mode $round)" "${args[@]}"
			fi
			if [[ -n ${TRAWL_BEFORE:-} ]]; then
				TRAWL_BIN=$TRAWL_BEFORE wired scan_trawl "c.$mode.before.$round" "before: trawl ($mode $round)" "${args[@]}"
			fi
			if ((CEIL_SCALING)); then
				for s in 1 3; do
					wired scan_trawl "c.$mode.senders$s.$round" "trawl --senders $s ($mode $round)" "${args[@]}" --senders "$s"
				done
			fi
			if ((CEIL_PEERS)); then
				wired scan_zmap "c.$mode.zmap.$round" "zmap -P $ZMAP_STREAMS, port 81 ($mode $round)" "$CEIL_NET" 81 "$ZMAP_STREAMS"
				# Answered, masscan sends 8.4M probes at about 150k/s.
				wired scan_masscan "c.$mode.masscan.$round" "$CEIL_NET" "$CEIL_PORTS" "$MASSCAN_FAST" 300
				LABEL[c.$mode.masscan.$round]="masscan --rate 10M ($mode $round)"
			fi
		done
	done
	silence ans
	local -a keys=()
	mapfile -t keys < <(printf '%s\n' "${!LABEL[@]}" | grep '^c\.' | sort -t. -k4,4n -k2,2 -k3,3)
	table - "${keys[@]}"
	echo
	echo "   medians of $CEIL_ROUNDS rounds. send/s: the send phase on the wire; whole/s: probes over the whole run (the"
	echo "   wait included; refsend: its send phase); ratio: the median of the rounds' send/s over the ceiling's"
	echo "   (refsend on frames, or refsend -ip for --send-ip); CPU/M: user + system CPU seconds per million probes;"
	echo "   CPU r: the median of the rounds' ceiling CPU/M over the tool's, the rate ratio it would reach with the cores"
	echo "   to itself (the machine's other load changes how much CPU each run gets, not what a probe costs)"
	for mode in ans sil; do
		if [[ $mode == ans ]]; then echo "   answered (the target's kernel answers every probe):"; else echo "   into silence (every SYN dropped):"; fi
		printf '  %-34s %9s %9s %7s %8s %7s %9s %7s  %s\n' tool send/s whole/s ratio CPU/M "CPU r" recall "RSS MiB" "send/s by round"
		ceiling_row "$mode" ref ""
		ceiling_row "$mode" trawl ref
		ceiling_row "$mode" static ref
		ceiling_row "$mode" before ref
		ceiling_row "$mode" senders1 ref
		ceiling_row "$mode" senders3 ref
		ceiling_row "$mode" refip ""
		ceiling_row "$mode" trawlip refip
		ceiling_row "$mode" zmap ref
		ceiling_row "$mode" masscan ref
	done
	RAN[ceiling]=1
}

scenario_4() {
	echo "== 4. 127.0.0.1 x 1-1024: trawl vs nmap -sS -n -Pn, best of 5 each"
	echo "   (on the scan namespace's loopback, where 127.0.0.1:{1,22,80,443,1024} are planted)"
	need_lab
	printf '127.0.0.1:%s\n' 1 22 80 443 1024 >"$TMP/loopback"
	ip netns exec "$SCAN_NS" "$LISTEN" -f "$TMP/loopback" </dev/null >"$TMP/loopback.log" 2>&1 &
	LOOP_PID=$!
	local i
	for ((i = 0; i < 200; i++)); do
		grep -qsx ready "$TMP/loopback.log" && break
		sleep 0.05
	done
	grep -qsx ready "$TMP/loopback.log" || die "loopback listener: $(cat "$TMP/loopback.log")"
	for i in 1 2 3 4 5; do
		TRUTH=$TMP/loopback scan_trawl "s4.trawl.$i" "trawl (default rate)" 127.0.0.1/32 1-1024 60
		TRUTH=$TMP/loopback scan_nmap "s4.nmap.$i" "nmap -sS" 127.0.0.1/32 1-1024
	done
	kill "$LOOP_PID"
	wait "$LOOP_PID" 2>/dev/null || true
	LOOP_PID=""
	local tool key best
	for tool in trawl nmap; do
		best=s4.$tool.1
		for i in 2 3 4 5; do
			key=s4.$tool.$i
			if holds "${WALL[$key]} < ${WALL[$best]}"; then best=$key; fi
		done
		BEST[s4.$tool]=$best
	done
	table "${BEST[s4.trawl]}" "${BEST[s4.trawl]}" "${BEST[s4.nmap]}"
	RAN[4]=1
}

scenario_5() {
	echo "== 5. 198.18.0.0/22 x 1-1024 (1,048,576 probes): masscan at ${MASSCAN_RATES[*]} pps vs trawl"
	echo "   (masscan's best rate finds the most planted ports per second until its --wait ends; its hang after is not counted)"
	need_lab
	scan_trawl s5.trawl "trawl --rate $FAST" 198.18.0.0/22 1-1024 600 --rate "$FAST"
	local rate key best="" keys=()
	for rate in "${MASSCAN_RATES[@]}"; do
		key=s5.masscan.$rate
		scan_masscan "$key" 198.18.0.0/22 1-1024 "$rate"
		keys+=("$key")
		if [[ -z $best ]] || holds "${HITS[$key]} / ${SCAN[$key]} > ${HITS[$best]} / ${SCAN[$best]}"; then
			best=$key
		fi
	done
	BEST[s5.masscan]=$best
	table s5.trawl s5.trawl "${keys[@]}"
	echo "   masscan's best: ${LABEL[$best]}, ${HITS[$best]} found in ${SCAN[$best]} s without its hang" \
		"(${WALL[$best]} s with it); trawl took $(calc "${WALL[s5.trawl]} / ${SCAN[$best]}") x its time"
	RAN[5]=1
}

scenario_6() {
	echo "== 6. the highest rate with full recall: 198.18.0.0/20 x 1-1024 (4,194,304 probes), trawl at rising --rate"
	need_lab
	local rate key keys=() best="" drop=""
	for rate in "${CEILING_RATES[@]}"; do
		key=s6.$rate
		scan_trawl "$key" "trawl --rate $rate" 198.18.0.0/20 1-1024 900 --rate "$rate"
		keys+=("$key")
		if recall_ok "$key" 9999 10000; then
			if [[ -z $best ]] || ((RATE[$key] > RATE[$best])); then best=$key; fi
		elif [[ -z $drop ]]; then
			drop=$key
		fi
	done
	table - "${keys[@]}"
	if [[ -n $best ]]; then
		echo "   highest: ${RATE[$best]} probes/s with recall $(recall "$best") (${LABEL[$best]})"
	else
		echo "   highest: no rate tried kept recall >= 0.9999"
	fi
	if [[ -n $drop ]]; then
		echo "   recall first fell below 0.9999 at ${LABEL[$drop]}: ${RATE[$drop]}/s, recall $(recall "$drop")"
	else
		echo "   recall stayed >= 0.9999 at every rate tried, up to unthrottled"
	fi
	BEST[s6]=$best
	RAN[6]=1
}

scenario_v6() {
	echo "== v6. IPv6: $V6_NET x 1-1024 (262,144 probes), trawl vs nmap -6 -sS -T4 and vs the same IPv4 shape;"
	echo "   then $V6_SWEEP against $V4_SWEEP x 1-1024 (1,048,576 probes each) unthrottled, $V6_ROUNDS interleaved rounds"
	need_lab
	scan_trawl v6.trawl "trawl -6 --rate $FAST" "$V6_NET" 1-1024 600 --rate "$FAST"
	scan_trawl v6.trawl4 "trawl (IPv4 /24) --rate $FAST" 198.18.0.0/24 1-1024 600 --rate "$FAST"
	scan_nmap v6.nmap "nmap -6 -sS -T4" "$V6_NET" 1-1024 -6 -T4
	table v6.trawl v6.trawl v6.trawl4 v6.nmap
	local round keys=() k6=() k4=()
	for round in $(seq "$V6_ROUNDS"); do
		scan_trawl "v6.sweep6.$round" "trawl IPv6 $V6_SWEEP #$round" "$V6_SWEEP" 1-1024 600 --rate "$FAST" --wait 1s
		scan_trawl "v6.sweep4.$round" "trawl IPv4 $V4_SWEEP #$round" "$V4_SWEEP" 1-1024 600 --rate "$FAST" --wait 1s
		keys+=("v6.sweep6.$round" "v6.sweep4.$round")
		k6+=("v6.sweep6.$round") k4+=("v6.sweep4.$round")
	done
	table - "${keys[@]}"
	V6_RATE6=${RATE[$(median "${k6[@]}")]:-0} V6_RATE4=${RATE[$(median "${k4[@]}")]:-0}
	echo "   median send rate: IPv6 $V6_RATE6/s, IPv4 $V6_RATE4/s"
	RAN[v6]=1
}

# mem_run KEY LABEL [ARG]... runs trawl over 198.18.0.0/15 x 1-65535 in
# the scan namespace for MEM_SECONDS, samples its RSS once a second, then
# stops it with SIGINT as a user would. RSS[KEY] is its peak (VmHWM),
# SERIES[KEY] the samples in MiB, RATE[KEY] its probes/s.
mem_run() {
	local key=$1 label=$2
	shift 2
	ip netns exec "$SCAN_NS" "${TRAWL_BIN:-$TRAWL}" -p 1-65535 198.18.0.0/15 -oD "$TMP/$key.ndjson" \
		--resume-file "$TMP/$key.state" "$@" </dev/null >/dev/null 2>"$TMP/$key.err" &
	local pid=$! i rss series="" peak=0 virt=0
	for ((i = 0; i < MEM_SECONDS; i++)); do
		sleep 1
		rss=$(awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status" 2>/dev/null) || break
		[[ -n $rss ]] || break
		series+="$rss "
		peak=$(awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status" 2>/dev/null || echo "$peak")
		virt=$(awk '/^VmPeak:/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status" 2>/dev/null || echo "$virt")
	done
	kill -INT "$pid" 2>/dev/null || true
	wait "$pid" || true
	LABEL[$key]=$label RSS[$key]=$peak SERIES[$key]=$series
	local re='([0-9]+) probes sent \(([0-9]+)/s\)'
	if [[ $(grep '^trawl: stopped after' "$TMP/$key.err" || true) =~ $re ]]; then
		RATE[$key]=${BASH_REMATCH[2]}
	else
		RATE[$key]=0
		SERIES[$key]+="(no summary: $(tail -n 1 "$TMP/$key.err"))"
	fi
	printf '  %-44s peak RSS %6s MiB (virtual %s MiB), %7s probes/s; RSS each second: %s\n' "$label" "$peak" "$virt" "${RATE[$key]}" "${SERIES[$key]}"
	sleep 1
}

scenario_mem() {
	echo "== mem. state bounded by time: 198.18.0.0/15 x 1-65535 (8,589,803,520 probes), --retries 2, each run stopped after ${MEM_SECONDS} s"
	need_lab
	mem_run sm.fast "trawl --rate $FAST --retries 2" --rate "$FAST" --retries 2
	mem_run sm.500k "trawl --rate 500k --retries 2" --rate 500k --retries 2
	if [[ -n ${TRAWL_BEFORE:-} ]]; then
		TRAWL_BIN=$TRAWL_BEFORE mem_run sm.before "before: --rate $FAST --retries 2 --shard 1/3" \
			--rate "$FAST" --retries 2 --shard 1/3 --seed 1
	fi
	RAN[mem]=1
}

scenario_go() {
	echo "== go: packet build + cookie in process, one core"
	echo "   go test -run '^\$' -bench BenchmarkProbe -benchtime 2s -cpu 1 ./internal/engine/"
	local out line
	out=$(cd "$REPO" && "$GO" test -run '^$' -bench 'BenchmarkProbe' -benchtime 2s -cpu 1 ./internal/engine/ 2>&1) ||
		die "go test -bench failed: $out"
	line=$(grep '^BenchmarkProbe' <<<"$out") || die "no BenchmarkProbe line: $out"
	echo "   $line"
	GO_NS=$(awk '{ for (i = 2; i <= NF; i++) if ($i == "ns/op") print $(i - 1) }' <<<"$line")
	GO_ALLOCS=$(awk '{ for (i = 2; i <= NF; i++) if ($i == "allocs/op") print $(i - 1) }' <<<"$line")
	echo "   $GO_NS ns/op = $(awk -v n="$GO_NS" 'BEGIN { printf "%.0f", 1e9 / n }') probes/s, $GO_ALLOCS allocs/op"
	RAN[go]=1
}

# bench_metric LINE UNIT prints the value that a go test -bench LINE gives
# for UNIT.
bench_metric() {
	awk -v u="$2" '{ for (i = 2; i <= NF; i++) if ($i == u) print $(i - 1) }' <<<"$1"
}

scenario_banners() {
	echo "== banners. trawl --banners against nmap -sS -sV -T4 on the lab's real servers (OpenSSH, nginx, nginx with TLS,"
	echo "   Redis, vsftpd, Exim): their /29 x 1-1024,6379, and trawl without --banners, $BANNER_ROUNDS interleaved rounds, medians"
	echo "   go test -run '^\$' -bench BenchmarkBanners -benchtime ${BANNER_ROUNDS}x ./internal/e2e/ (its own lab)"
	local out line
	out=$(cd "$REPO" && "$GO" test -run '^$' -bench '^BenchmarkBanners$' -benchtime "${BANNER_ROUNDS}x" ./internal/e2e/ 2>&1) ||
		die "go test -bench BenchmarkBanners failed: $out"
	line=$(grep '^BenchmarkBanners' <<<"$out") || die "no BenchmarkBanners line (skipped?): $out"
	LABEL[bn.trawl]="trawl --banners" WALL[bn.trawl]=$(bench_metric "$line" trawl-banners-s)
	LABEL[bn.plain]="trawl" WALL[bn.plain]=$(bench_metric "$line" trawl-s)
	LABEL[bn.nmap]="nmap -sS -sV -T4" WALL[bn.nmap]=$(bench_metric "$line" nmap-sV-s)
	BN_OPEN=$(printf %.0f "$(bench_metric "$line" open-ports)") BN_NAME=$(bench_metric "$line" name-agree-%) BN_PRODUCT=$(bench_metric "$line" product-agree-%)
	NOTE[bn.trawl]="names agree on $BN_NAME% of nmap's $BN_OPEN open ports, products on $BN_PRODUCT%"
	printf '  %-24s %8s s\n' "${LABEL[bn.plain]}" "${WALL[bn.plain]}" "${LABEL[bn.trawl]}" "${WALL[bn.trawl]}" "${LABEL[bn.nmap]}" "${WALL[bn.nmap]}"
	echo "   trawl --banners / nmap -sV: $(calc "${WALL[bn.trawl]} / ${WALL[bn.nmap]}") x; ${NOTE[bn.trawl]}"
	grep -E '^\s+services_bench_test.go' <<<"$out" | sed 's/^ *services_bench_test.go:[0-9]*: /   /' | awk '!seen[$0]++' || true
	RAN[banners]=1
}

# claim KEY prints "wall s, RSS MiB" for KEY, or why there is none.
claim() {
	if [[ -n ${1:-} && -n ${WALL[$1]:-} ]]; then
		echo "${WALL[$1]} s, ${RSS[$1]} MiB, recall $(recall "$1")"
	else
		echo "${2:-not run (scenario ${3:-?})}"
	fi
}

scenario_claims() {
	if [[ ${BENCH_FULL:-0} == 1 ]]; then
		echo "== claims: 198.18.0.0/16 x 1-1024 (67,108,864 probes), trawl unthrottled"
		need_lab
		scan_trawl full.trawl "trawl --rate $FAST" 198.18.0.0/16 1-1024 3600 --rate "$FAST"
		table - full.trawl
		echo
	fi
	echo "== the design's original claims next to this run"
	printf '  %-34s %-26s %s\n' case claimed "measured here (wall, peak RSS)"
	printf '  %-34s %-26s %s\n' "localhost x 1-1024" "0.5 s, ~50 MB" \
		"trawl $(claim "${BEST[s4.trawl]:-}" "" 4); nmap $(claim "${BEST[s4.nmap]:-}" "" 4)"
	printf '  %-34s %-26s %s\n' "/24 x 1-1024 (192.168.1.0/24)" "45 s, ~200 MB" "trawl $(claim s1.trawl "" 1)"
	printf '  %-34s %-26s %s\n' "/16 x 1-1024 (10.0.0.0/16)" "15 min, ~500 MB" \
		"trawl $(claim full.trawl "skipped (BENCH_FULL=1)")"
	printf '  %-34s %-26s %s\n' "nmap, /24 x 1-1024" "2.5 s" "$(claim s1.nmap "" 1)"
	printf '  %-34s %-26s %s\n' "masscan, /24 x 1-1024" "60 s" "$(claim s1.masscan "" 1)"
	RAN[claims]=1
}

# bottleneck N makes the target namespace drop the SYNs (SYN without ACK)
# that come faster than N a second, beyond a burst of N/100 (10 ms worth),
# as an overloaded router or a rate-limiting firewall does; 0 removes it.
# (nft's default burst, 5 packets, would pass far less than N of a paced
# sender's 10 ms bursts.) One nft transaction replaces the rule, so a change
# mid-scan leaves no gap; the count of the SYNs dropped carries on until
# bottleneck_dropped reads it.
bottleneck() {
	local n=$1
	if ((n == 0)); then
		ip netns exec "$TGT_NS" nft delete table inet bench_limit 2>/dev/null || true
		return 0
	fi
	ip netns exec "$TGT_NS" nft -f - <<-NFT || die "cannot set the bottleneck in $TGT_NS"
		add table inet bench_limit
		add counter inet bench_limit dropped
		add chain inet bench_limit in { type filter hook input priority -5; policy accept; }
		flush chain inet bench_limit in
		add rule inet bench_limit in tcp flags & (syn | ack) == syn limit rate over $n/second burst $((n / 100)) packets counter name "dropped" drop
	NFT
}

# bottleneck_dropped prints how many SYNs the bottleneck dropped since it
# was last asked (nothing if there is none), and zeroes the count.
bottleneck_dropped() {
	{ ip netns exec "$TGT_NS" nft reset counter inet bench_limit dropped 2>/dev/null || true; } |
		awk '$1 == "packets" { print $2 }'
}

# auto_note KEY adds to KEY's notes the SYNs the bottleneck dropped during
# its run (bottleneck_dropped was called before it).
auto_note() {
	local n
	n=$(bottleneck_dropped)
	[[ -z $n ]] || NOTE[$1]="${NOTE[$1]%; }; the bottleneck dropped $n SYNs"
}

# auto_trawl KEY LABEL CIDR PORTS [ARG]... runs scan_trawl with
# --status-json and --metadata-file, which rateplot.py reads.
auto_trawl() {
	local key=$1 label=$2 cidr=$3 ports=$4
	shift 4
	bottleneck_dropped >/dev/null
	scan_trawl "$key" "$label" "$cidr" "$ports" 900 --status-json --metadata-file "$TMP/$key.meta.json" "$@"
	auto_note "$key"
}

# auto_stats KEY STEPS puts KEY's figures over bottleneck STEPS (rateplot.py
# stats: sustained, phase, over, over_run, sweep_end, settle, ...) in
# AUTO[KEY.FIGURE].
auto_stats() {
	local key=$1 kv out
	out=$(python3 "$RATEPLOT" stats "$TMP/$key" "$2" --skip "$AUTO_SKIP" 2>&1) || {
		NOTE[$key]+="; no rate history: ${out##*$'\n'}"
		return 0
	}
	for kv in $out; do
		AUTO[$key.${kv%%=*}]=${kv#*=}
	done
}

# auto_line KEY N prints KEY's send phase, its rate against N (- for none,
# or for an N that changes) and its seconds above 1.3 x N.
auto_line() {
	local key=$1 n=$2 s=${AUTO[$1.sustained]:-0}
	printf '   %-40s send phase %s s: %s/s' "${LABEL[$key]}" "${AUTO[$key.phase]:--}" "$s"
	if [[ $n != - ]]; then
		printf ' = %s x N' "$(calc "$s / $n")"
	fi
	if [[ -n ${AUTO[$key.over]:-} ]]; then
		printf '; %s s above 1.3 x N after %s s (%s in a row)' "${AUTO[$key.over]}" "$AUTO_SKIP" "${AUTO[$key.over_run]:--}"
	fi
	printf '; sweep done at %s s, wall %s s\n' "${AUTO[$key.sweep_end]:--}" "${WALL[$key]}"
}

# step_timer KEY steps the bottleneck through AUTO_STEPS after the first,
# AUTO_STEP_S seconds apart from KEY's start, which it takes from KEY's
# first --status-json line (1 s in), and writes each change to
# $TMP/KEY.steps as "UNIXTIME N".
step_timer() {
	local key=$1 i t0 n k=0
	for ((i = 0; i < 600; i++)); do
		grep -qs '"elapsed"' "$TMP/$key.err" && break
		sleep 0.05
	done
	t0=$(calc "$EPOCHREALTIME - 1")
	for n in "${AUTO_STEPS[@]:1}"; do
		k=$((k + 1))
		sleep "$(awk -v t="$t0" -v k="$k" -v s="$AUTO_STEP_S" -v now="$EPOCHREALTIME" 'BEGIN { d = t + k * s - now; printf "%.3f", (d > 0 ? d : 0) }')"
		bottleneck "$n"
		echo "$EPOCHREALTIME $n" >>"$TMP/$key.steps"
	done
}

# worse KEY AUTO succeeds when run KEY did worse than run AUTO: a lower
# recall, or the same in more time (masscan's until its --wait ended).
worse() {
	local k=$1 a=$2
	((EXPECTED[$k] > 0 && EXPECTED[$a] > 0)) || return 1
	if ((HITS[$k] * EXPECTED[$a] != HITS[$a] * EXPECTED[$k])); then
		((HITS[$k] * EXPECTED[$a] < HITS[$a] * EXPECTED[$k]))
	else
		holds "${SCAN[$k]:-${WALL[$k]}} > ${WALL[$a]}"
	fi
}

scenario_auto() {
	local nb nz nf nc key round
	nb=$(probes "$AUTO_B_NET" "$AUTO_B_PORTS") nz=$(probes "$AUTO_Z_NET" "$AUTO_Z_PORT")
	nf=$(probes "$AUTO_F_NET" "$AUTO_F_PORTS") nc=$(probes "$AUTO_C_NET" "$AUTO_C_PORTS")
	echo "== auto. --rate auto (issue 14) behind a bottleneck: the target namespace drops the SYNs beyond N a second"
	echo "   (nftables 'limit rate over N/second burst N/100 packets' at input), as a rate-limiting router or firewall does."
	echo "   Figures from each run's --metadata-file rate_history (\"sent\": probes sent over each second) and its"
	echo "   --status-json lines. The sweep ends when the first pass has handed out every probe (after it come only the"
	echo "   last retries and the wait); the send phase runs from ${AUTO_SKIP} s to the last whole second before that, and its"
	echo "   rate is the probes sent in it (retries included) over its length."
	need_lab
	bottleneck 0

	echo
	echo "-- (a) N = $AUTO_N: $AUTO_B_NET x $AUTO_B_PORTS ($nb probes), every run --retries 3 but zmap's; --rate auto against"
	echo "   --rate $AUTO_N (N, as if known beforehand) and $AUTO_FIXED, and masscan at $AUTO_FIXED. zmap scans one port, so it"
	echo "   and two more trawl runs take $AUTO_Z_NET x $AUTO_Z_PORT ($nz probes, every address open)"
	bottleneck "$AUTO_N"
	auto_trawl auto.b.auto "trawl --rate auto --retries 3" "$AUTO_B_NET" "$AUTO_B_PORTS" --rate auto --retries 3
	auto_trawl auto.b.n "trawl --rate $((AUTO_N / 1000))k --retries 3" "$AUTO_B_NET" "$AUTO_B_PORTS" --rate "$AUTO_N" --retries 3
	auto_trawl auto.b.fixed "trawl --rate $((AUTO_FIXED / 1000))k --retries 3" "$AUTO_B_NET" "$AUTO_B_PORTS" --rate "$AUTO_FIXED" --retries 3
	bottleneck_dropped >/dev/null
	scan_masscan auto.b.masscan "$AUTO_B_NET" "$AUTO_B_PORTS" "$AUTO_FIXED" 300 --retries 3
	auto_note auto.b.masscan
	bottleneck_dropped >/dev/null
	scan_zmap auto.b.zmap "zmap -r $((AUTO_FIXED / 1000))k (/16 x $AUTO_Z_PORT)" "$AUTO_Z_NET" "$AUTO_Z_PORT" 1 "$AUTO_FIXED"
	auto_note auto.b.zmap
	auto_trawl auto.bz.auto "trawl --rate auto (/16 x $AUTO_Z_PORT)" "$AUTO_Z_NET" "$AUTO_Z_PORT" --rate auto --retries 3
	auto_trawl auto.bz.fixed "trawl --rate $((AUTO_FIXED / 1000))k (/16 x $AUTO_Z_PORT)" "$AUTO_Z_NET" "$AUTO_Z_PORT" --rate "$AUTO_FIXED" --retries 3
	bottleneck 0
	for key in auto.b.auto auto.b.n auto.b.fixed auto.bz.auto auto.bz.fixed; do
		auto_stats "$key" "$AUTO_N"
	done
	table - auto.b.auto auto.b.n auto.b.fixed auto.b.masscan auto.b.zmap auto.bz.auto auto.bz.fixed
	for key in auto.b.auto auto.b.n auto.b.fixed; do
		auto_line "$key" "$AUTO_N"
	done
	echo "   rate over time (N = $AUTO_N):"
	python3 "$RATEPLOT" table "$AUTO_N" "trawl --rate auto=$TMP/auto.b.auto" "trawl --rate $((AUTO_FIXED / 1000))k=$TMP/auto.b.fixed" || true

	echo
	echo "-- (b) no bottleneck: $AUTO_F_NET x $AUTO_F_PORTS ($nf probes), --rate auto against --rate $FAST, $AUTO_ROUNDS interleaved rounds"
	local -a keys=() sa=() sf=()
	for round in $(seq "$AUTO_ROUNDS"); do
		if ((round % 2)); then
			auto_trawl "auto.f.auto.$round" "trawl --rate auto ($round)" "$AUTO_F_NET" "$AUTO_F_PORTS" --rate auto
			auto_trawl "auto.f.fast.$round" "trawl --rate $FAST ($round)" "$AUTO_F_NET" "$AUTO_F_PORTS" --rate "$FAST"
		else
			auto_trawl "auto.f.fast.$round" "trawl --rate $FAST ($round)" "$AUTO_F_NET" "$AUTO_F_PORTS" --rate "$FAST"
			auto_trawl "auto.f.auto.$round" "trawl --rate auto ($round)" "$AUTO_F_NET" "$AUTO_F_PORTS" --rate auto
		fi
		keys+=("auto.f.auto.$round" "auto.f.fast.$round")
	done
	for key in "${keys[@]}"; do
		auto_stats "$key" -
		if [[ $key == auto.f.auto.* ]]; then sa+=("${AUTO[$key.sustained]:-0}"); else sf+=("${AUTO[$key.sustained]:-0}"); fi
	done
	table - "${keys[@]}"
	for key in "${keys[@]}"; do
		auto_line "$key" -
	done
	AUTO[f.auto]=$(printf '%s\n' "${sa[@]}" | awk '{ s += $1 } END { printf "%.0f", NR ? s / NR : 0 }')
	AUTO[f.fast]=$(printf '%s\n' "${sf[@]}" | awk '{ s += $1 } END { printf "%.0f", NR ? s / NR : 0 }')
	local wa=0 wf=0
	for round in $(seq "$AUTO_ROUNDS"); do
		wa=$((wa + ${RATE[auto.f.auto.$round]:-0})) wf=$((wf + ${RATE[auto.f.fast.$round]:-0}))
	done
	AUTO[f.wauto]=$((wa / AUTO_ROUNDS)) AUTO[f.wfast]=$((wf / AUTO_ROUNDS))
	echo "   means of $AUTO_ROUNDS rounds: send phase auto ${AUTO[f.auto]}/s, unthrottled ${AUTO[f.fast]}/s" \
		"($(calc "${AUTO[f.auto]} / (${AUTO[f.fast]} + 0.000001)") x); whole runs (summary line) ${AUTO[f.wauto]}/s and ${AUTO[f.wfast]}/s" \
		"($(calc "${AUTO[f.wauto]} / (${AUTO[f.wfast]} + 0.000001)") x)"
	echo "   rate over time, round 1:"
	python3 "$RATEPLOT" table - "trawl --rate auto=$TMP/auto.f.auto.1" "unthrottled=$TMP/auto.f.fast.1" || true

	echo
	echo "-- (c) N changing: ${AUTO_STEPS[0]} for the first $AUTO_STEP_S s, then ${AUTO_STEPS[1]}, then ${AUTO_STEPS[2]} from $((2 * AUTO_STEP_S)) s" \
		"(a timer in this script replaces the rule): $AUTO_C_NET x $AUTO_C_PORTS ($nc probes), --rate auto --retries 3"
	key=auto.c.auto
	bottleneck "${AUTO_STEPS[0]}"
	echo "0 ${AUTO_STEPS[0]}" >"$TMP/$key.steps"
	step_timer "$key" &
	STEP_PID=$!
	auto_trawl "$key" "trawl --rate auto --retries 3" "$AUTO_C_NET" "$AUTO_C_PORTS" --rate auto --retries 3
	kill "$STEP_PID" 2>/dev/null || true
	wait "$STEP_PID" 2>/dev/null || true
	STEP_PID=""
	bottleneck 0
	auto_stats "$key" "file:$TMP/$key.steps"
	table - "$key"
	auto_line "$key" -
	echo "   steps at ${AUTO[$key.steps]:--} s (N ${AUTO_STEPS[*]}): within 15% of the new N ${AUTO[$key.settle]:--} s after each;" \
		"mean once settled ${AUTO[$key.step_mean]:--} probes/s"
	echo "   rate over time:"
	python3 "$RATEPLOT" table "file:$TMP/$key.steps" "trawl --rate auto=$TMP/$key" || true
	RAN[auto]=1
}

# auto_targets prints scenario auto's verdicts (issue 14).
auto_targets() {
	local t=auto.b.auto ok s key
	ok=1
	s=${AUTO[$t.sustained]:-0}
	recall_ok $t 999 1000 || ok=0
	holds "$s >= 0.85 * $AUTO_N" || ok=0
	((${AUTO[$t.over]:-99} <= 1)) || ok=0
	verdict $ok "--rate auto, bottleneck N = $AUTO_N SYNs/s, $AUTO_B_NET x $AUTO_B_PORTS --retries 3: recall $(recall $t) (want >= 0.999);" \
		"send phase (${AUTO[$t.phase]:--} s) ${s}/s = $(calc "$s / $AUTO_N") x N (want >= 0.85); ${AUTO[$t.over]:--} s above 1.3 x N after the first $AUTO_SKIP s (want <= 1); wall ${WALL[$t]} s"
	ok=1
	for key in auto.b.fixed auto.b.masscan; do
		worse "$key" "$t" || ok=0
	done
	worse auto.b.zmap auto.bz.auto || ok=0
	verdict $ok "bottleneck $AUTO_N, 200k against auto: trawl --rate 200k --retries 3 recall $(recall auto.b.fixed) in ${WALL[auto.b.fixed]} s," \
		"masscan --rate 200k --retries 3 $(recall auto.b.masscan) in ${SCAN[auto.b.masscan]} s, against auto's $(recall $t) in ${WALL[$t]} s;" \
		"zmap -r 200k on /16 x $AUTO_Z_PORT $(recall auto.b.zmap) in ${WALL[auto.b.zmap]} s against auto's $(recall auto.bz.auto) in ${WALL[auto.bz.auto]} s there" \
		"(trawl 200k: $(recall auto.bz.fixed) in ${WALL[auto.bz.fixed]} s) (want each 200k run worse: lower recall, or as high in more time)"
	echo "INFO  bottleneck $AUTO_N, trawl --rate $AUTO_N (N, known beforehand) --retries 3: recall $(recall auto.b.n) in ${WALL[auto.b.n]} s," \
		"send phase ${AUTO[auto.b.n.sustained]:-0}/s; auto took $(calc "${WALL[$t]} / ${WALL[auto.b.n]}") x its time"
	ok=1
	holds "${AUTO[f.auto]:-0} >= 0.9 * ${AUTO[f.fast]:-0} && ${AUTO[f.fast]:-0} > 0" || ok=0
	verdict $ok "--rate auto without a bottleneck, $AUTO_F_NET x $AUTO_F_PORTS: send phase ${AUTO[f.auto]:-0}/s = $(calc "${AUTO[f.auto]:-0} / (${AUTO[f.fast]:-0} + 0.000001)") x" \
		"unthrottled's ${AUTO[f.fast]:-0}/s, means of $AUTO_ROUNDS rounds (want >= 0.9); whole runs $(calc "${AUTO[f.wauto]:-0} / (${AUTO[f.wfast]:-0} + 0.000001)") x"
	t=auto.c.auto ok=1
	recall_ok $t 999 1000 || ok=0
	local -a settle=()
	IFS=, read -ra settle <<<"${AUTO[$t.settle]:-never,never,never}"
	for s in "${settle[@]:1}"; do
		[[ $s != never ]] && holds "$s <= 5" || ok=0
	done
	((${#settle[@]} == ${#AUTO_STEPS[@]})) || ok=0
	verdict $ok "--rate auto, bottleneck ${AUTO_STEPS[*]} (steps at ${AUTO[$t.steps]:--} s), $AUTO_C_NET x $AUTO_C_PORTS --retries 3:" \
		"sent within 15% of the new N ${settle[*]:1} s after each change (want <= 5; ${settle[0]:-never} s from the start); recall $(recall $t) (want >= 0.999);" \
		"${AUTO[$t.over]:--} s above 1.3 x N after $AUTO_SKIP s"
}

# verdict OK TEXT... prints a PASS or FAIL line.
verdict() {
	if (($1)); then echo "PASS  ${*:2}"; else echo "FAIL  ${*:2}"; fi
}

# targets prints one line per target of issues 5, 14, 15 and 16, from the
# measured numbers.
targets() {
	local t n z ok key
	echo "== targets (issues 5, 14, 15 and 16)"
	if [[ -n ${RAN[1]:-} ]]; then
		t=s1.trawl n=s1.nmap ok=1
		recall_ok $t 1 1 || ok=0
		holds "${WALL[$t]} <= 0.35 * ${WALL[$n]}" || ok=0
		verdict $ok "/24 x 1-1024: recall $(recall $t) (want 1.0), wall ${WALL[$t]} s = $(calc "${WALL[$t]} / ${WALL[$n]}") x nmap -sS -T4's ${WALL[$n]} s (want <= 0.35)"
	else echo "----  /24 x 1-1024: not run (scenario 1)"; fi
	if [[ -n ${RAN[2]:-} ]]; then
		t=s2.trawl z=s2.zmap ok=1
		recall_ok $t 9999 10000 || ok=0
		holds "${WALL[$t]} <= 0.35 * ${WALL[$z]}" || ok=0
		verdict $ok "/16 x 80, all open: recall $(recall $t) (want >= 0.9999), wall ${WALL[$t]} s = $(calc "${WALL[$t]} / ${WALL[$z]}") x zmap's ${WALL[$z]} s (want <= 0.35)"
	else echo "----  /16 x 80: not run (scenario 2)"; fi
	if [[ -n ${RAN[3]:-} ]]; then
		t=${BEST[s3.trawl]} z=${BEST[s3.zmap]} ok=1
		local worst=$t rss=0 round
		for round in $(seq "$S3_ROUNDS"); do
			key=s3.trawl.$round
			holds "${HITS[$key]} * ${EXPECTED[$worst]} < ${HITS[$worst]} * ${EXPECTED[$key]}" && worst=$key
			holds "${RSS[$key]} > $rss" && rss=${RSS[$key]}
		done
		recall_ok "$worst" 9999 10000 || ok=0
		holds "$rss <= 32" || ok=0
		# The rate's target is the ceiling's (issue 16); zmap is a peer.
		verdict $ok "/19 x 1-1024: recall $(recall "$worst") in the worst round (want >= 0.9999), peak RSS $rss MiB (want <= 32); median rate ${RATE[$t]}/s = $(calc "${RATE[$t]:-0} / (${RATE[$z]:-0} + 0.000001)") x zmap's median ${RATE[$z]}/s (a peer: the rate's target is scenario ceiling's)"
	else echo "----  /19 x 1-1024: not run (scenario 3)"; fi
	if [[ -n ${RAN[ceiling]:-} ]]; then
		local mode what tool ref
		for mode in ans sil; do
			what="answered"
			[[ $mode == sil ]] && what="into silence"
			for tool in trawl trawlip; do
				ref=ref
				[[ $tool == trawlip ]] && ref=refip
				key=$mode.$tool
				[[ -n ${CEIL[$key.wire]:-} ]] || continue
				ok=1
				holds "${CEIL[$key.ratio]} >= $CEIL_TARGET" || ok=0
				local rc=""
				if [[ $mode == ans ]]; then
					[[ ${CEIL[$key.recall]} == 1.000000 ]] || ok=0
					rc=", recall ${CEIL[$key.recall]} in the worst round (want 1.0)"
				fi
				verdict $ok "/19 x 1-1024 $what: ${CEIL[$key.label]} ${CEIL[$key.wire]}/s = ${CEIL[$key.ratio]} x ${CEIL[$mode.$ref.label]}'s ${CEIL[$mode.$ref.wire]}/s, send phase, median of rounds (want >= $CEIL_TARGET)$rc; CPU per probe ${CEIL[$key.cpuratio]} x as efficient; whole run with --wait $CEIL_WAIT: ${CEIL[$key.whole]}/s = $(calc "${CEIL[$key.whole]} / ${CEIL[$mode.$ref.wire]}") x"
			done
			local line="" k
			for k in ref trawl static refip trawlip zmap masscan; do
				[[ -n ${CEIL[$mode.$k.cpum]:-} ]] && line+="${CEIL[$mode.$k.label]} ${CEIL[$mode.$k.cpum]}, "
			done
			echo "INFO  CPU seconds per million probes, $what: ${line%, }"
			if [[ -n ${CEIL[$mode.senders1.wire]:-} ]]; then
				echo "INFO  --senders 1, 2, 3 $what: ${CEIL[$mode.senders1.wire]}, ${CEIL[$mode.trawl.wire]}, ${CEIL[$mode.senders3.wire]} probes/s (send phase, medians; $(nproc) cores)"
			fi
		done
	else echo "----  trawl / ceiling: not run (scenario ceiling)"; fi
	if [[ -n ${RAN[4]:-} ]]; then
		t=${BEST[s4.trawl]} n=${BEST[s4.nmap]} ok=1
		holds "${WALL[$t]} <= ${WALL[$n]}" || ok=0
		verdict $ok "127.0.0.1 x 1-1024: wall ${WALL[$t]} s vs nmap -sS's ${WALL[$n]} s, best of 5 (want <=); recall trawl $(recall "$t"), nmap $(recall "$n")"
	else echo "----  127.0.0.1 x 1-1024: not run (scenario 4)"; fi
	if [[ -n ${RAN[5]:-} ]]; then
		t=s5.trawl key=${BEST[s5.masscan]} ok=1
		recall_ok $t 1 1 || ok=0
		holds "3 * ${WALL[$t]} <= ${SCAN[$key]}" || ok=0
		verdict $ok "/22 x 1-1024: trawl ${WALL[$t]} s, recall $(recall $t) (want 1.0); $(calc "${SCAN[$key]} / ${WALL[$t]}") x faster than ${LABEL[$key]}'s ${SCAN[$key]} s to the end of its --wait (want >= 3; $(calc "${WALL[$key]} / ${WALL[$t]}") x counting its hang), masscan recall $(recall "$key")"
	else echo "----  masscan /22 x 1-1024: not run (scenario 5)"; fi
	if [[ -n ${RAN[v6]:-} ]]; then
		t=v6.trawl n=v6.nmap ok=1
		recall_ok $t 1 1 || ok=0
		holds "${HITS[$n]} <= ${HITS[$t]}" || ok=0
		verdict $ok "IPv6 $V6_NET x 1-1024: recall $(recall $t) (want 1.0, nmap -6's $(recall $n)), wall ${WALL[$t]} s = $(calc "${WALL[$t]} / ${WALL[$n]}") x nmap -6 -sS -T4's ${WALL[$n]} s; the IPv4 /24 of the same shape took ${WALL[v6.trawl4]} s"
		ok=1
		holds "$V6_RATE6 >= 0.9 * $V6_RATE4" || ok=0
		verdict $ok "IPv6 sweep $V6_SWEEP x 1-1024: $V6_RATE6 probes/s = $(calc "$V6_RATE6 / ($V6_RATE4 + 0.000001)") x the IPv4 sweep's $V6_RATE4/s in the same run, medians of $V6_ROUNDS (want >= 0.9)"
	else echo "----  IPv6: not run (scenario v6)"; fi
	if [[ -n ${RAN[go]:-} ]]; then
		ok=1
		[[ $GO_ALLOCS == 0 ]] || ok=0
		holds "1e9 / $GO_NS >= 5e6" || ok=0
		verdict $ok "packet build + cookie: $GO_ALLOCS allocs/op (want 0), $(awk -v n="$GO_NS" 'BEGIN { printf "%.1fM", 1e3 / n }') probes/s on one core (want >= 5M)"
	else echo "----  packet build + cookie: not run (scenario go)"; fi
	if [[ -n ${RAN[mem]:-} ]]; then
		ok=1
		holds "${RSS[sm.500k]} <= 64 && ${RATE[sm.500k]} > 0" || ok=0
		verdict $ok "any space in bounded memory: peak RSS ${RSS[sm.500k]} MiB at --rate 500k --retries 2 over /15 x 1-65535 (want <= 64), ${RSS[sm.fast]} MiB unthrottled at ${RATE[sm.fast]}/s"
	else echo "----  memory bound: not run (scenario mem)"; fi
	if [[ -n ${RAN[banners]:-} ]]; then
		ok=1
		holds "${WALL[bn.trawl]} <= 0.2 * ${WALL[bn.nmap]} && $BN_NAME >= 90" || ok=0
		verdict $ok "--banners on the lab's servers: ${WALL[bn.trawl]} s = $(calc "${WALL[bn.trawl]} / ${WALL[bn.nmap]}") x nmap -sV's ${WALL[bn.nmap]} s (want <= 0.2; ${WALL[bn.plain]} s without --banners); service names agree on $BN_NAME% of nmap's open ports (want >= 90), products on $BN_PRODUCT%"
	else echo "----  --banners: not run (scenario banners)"; fi
	if [[ -n ${RAN[auto]:-} ]]; then
		auto_targets
	else echo "----  --rate auto: not run (scenario auto)"; fi
	if [[ -n ${RAN[6]:-} ]]; then
		if [[ -n ${BEST[s6]} ]]; then
			echo "INFO  highest rate with full recall: ${RATE[${BEST[s6]}]} probes/s at recall >= 0.9999 (${LABEL[${BEST[s6]}]}, /20 x 1-1024)"
		else
			echo "INFO  highest rate with full recall: recall < 0.9999 at every rate tried"
		fi
	fi
}

main() {
	local -a scenarios=("$@")
	((${#scenarios[@]} > 0)) || scenarios=("${ALL_SCENARIOS[@]}")
	local s
	for s in "${scenarios[@]}"; do
		[[ " ${ALL_SCENARIOS[*]} " == *" $s "* ]] || die "unknown scenario '$s': choose from ${ALL_SCENARIOS[*]}"
	done
	ensure_packages
	cd "$TMP" # whatever a tool leaves behind lands there, not in the repository
	LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg) SCENARIOS="${scenarios[*]}"
	echo "bench.sh: $(nproc) cores, load $LOAD_START at start; other jobs on this machine add noise (+-15%)"
	echo "  $("$TRAWL" --version 2>&1 | head -n 1); $(nmap --version | head -n 1);" \
		"$(masscan --version 2>/dev/null | grep -m 1 'version'); zmap $(zmap --version 2>&1 | grep -o '[0-9][0-9.]*' | head -n 1)"
	echo "  probes/s: the scenario's probes over wall time; recall: planted open ports found;" \
		"trawl/x: trawl's wall time over that tool's (< 1: trawl is faster)"
	for s in "${scenarios[@]}"; do
		echo
		"scenario_$s"
		echo "   [load $(cut -d' ' -f1 /proc/loadavg) after this scenario]"
	done
	echo
	targets | tee "$TMP/targets.txt"
	echo
	write_history
	echo "bench.sh: done in $((SECONDS / 60))m$((SECONDS % 60))s; load $(cut -d' ' -f1-3 /proc/loadavg) at the end"
}

# write_history writes every run's figures, the ceiling's medians and the
# targets to BENCH_OUT/bench-DATE.json, and a plot of the rounds to
# bench-DATE.svg, so that runs can be compared over time; after scenario
# auto, also its rate over time to bench-DATE-rate.svg, and the points
# plotted, with their figures, to bench-DATE-rate.json.
write_history() {
	local key stamp
	stamp=$(date +%Y%m%d-%H%M%S)
	for key in "${!LABEL[@]}"; do
		printf '%s\t' "$key" "${LABEL[$key]}" "${WALL[$key]:-}" "${CPU[$key]:-}" "${RSS[$key]:-}" "${PROBES[$key]:-}" \
			"${RATE[$key]:-}" "${WIRE[$key]:-}" "${CPUM[$key]:-}" "${HITS[$key]:-}" "${EXPECTED[$key]:-}" "${SERIES[$key]:-}"
		printf '%s\n' "${NOTE[$key]:-}"
	done >"$TMP/runs.tsv"
	for key in "${!CEIL[@]}"; do
		printf '%s\t%s\n' "$key" "${CEIL[$key]}"
	done >"$TMP/ceiling.tsv"
	mkdir -p "$BENCH_OUT"
	python3 "$REPORT" --runs "$TMP/runs.tsv" --ceiling "$TMP/ceiling.tsv" --targets "$TMP/targets.txt" \
		--meta "date=$stamp" "cores=$(nproc)" "load_start=$LOAD_START" "load_end=$(cut -d' ' -f1-3 /proc/loadavg)" \
		"trawl=$("${TRAWL_BIN:-$TRAWL}" --version 2>&1 | head -n 1)" "trawl_bin=${TRAWL_BIN:-$TRAWL}" "commit=$(git -C "$REPO" describe --always --dirty 2>/dev/null || echo unknown)" \
		"kernel=$(uname -r)" "scenarios=$SCENARIOS" \
		--json "$BENCH_OUT/bench-$stamp.json" --svg "$BENCH_OUT/bench-$stamp.svg" ||
		echo "bench.sh: could not write the history files" >&2
	if [[ -n ${RAN[auto]:-} ]]; then
		local f=$TMP/auto.f
		python3 "$RATEPLOT" svg --out "$BENCH_OUT/bench-$stamp-rate.svg" --json "$BENCH_OUT/bench-$stamp-rate.json" \
			--title "trawl --rate auto: rate over time, bench $stamp, $("${TRAWL_BIN:-$TRAWL}" --version 2>&1 | head -n 1), $(nproc) cores" \
			--panel "(a) bottleneck N = $AUTO_N SYNs/s, $AUTO_B_NET x $AUTO_B_PORTS --retries 3: --rate auto" "$AUTO_N" \
			"trawl --rate auto=$TMP/auto.b.auto" \
			--panel "(a) the same lab: --rate auto against fixed rates" "$AUTO_N" "trawl --rate auto=$TMP/auto.b.auto" \
			"trawl --rate $((AUTO_FIXED / 1000))k=$TMP/auto.b.fixed" "trawl --rate $((AUTO_N / 1000))k (= N)=$TMP/auto.b.n" \
			--panel "(b) no bottleneck, $AUTO_F_NET x $AUTO_F_PORTS: --rate auto against unthrottled, round 1" - \
			"trawl --rate auto=$f.auto.1" "trawl unthrottled=$f.fast.1" \
			--panel "(c) N = ${AUTO_STEPS[0]}, ${AUTO_STEPS[1]} from ${AUTO_STEP_S} s, ${AUTO_STEPS[2]} from $((2 * AUTO_STEP_S)) s, $AUTO_C_NET x $AUTO_C_PORTS --retries 3: --rate auto" \
			"file:$TMP/auto.c.auto.steps" "trawl --rate auto=$TMP/auto.c.auto" ||
			echo "bench.sh: could not write the rate plot" >&2
	fi
}

main "$@"
