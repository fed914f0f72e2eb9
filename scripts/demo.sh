#!/usr/bin/env bash
# demo.sh: bring up the lab, plant open ports, scan it with trawl over IPv4
# and then IPv6 and print the results next to the ground truth; the lab is
# torn down on any exit.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
LAB=demo$$
LAB=${LAB:0:8}
TMP=$(mktemp -d)
cleanup() {
	./scripts/lab.sh down "$LAB" >/dev/null 2>&1 || true
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

echo "== planting 50 open ports in 198.18.0.0/24 × 1-1024, and 20 in 2001:db8::/120 × 1-1024"
./scripts/lab.sh truth "$LAB" 198.18.0.0/24 1-1024 50 1 >"$TMP/truth"
./scripts/lab.sh truth "$LAB" 2001:db8::/120 1-1024 20 6 >"$TMP/truth6"
cat "$TMP/truth" "$TMP/truth6" >"$TMP/open"
./scripts/lab.sh up "$LAB" --open "$TMP/open" --drop 198.18.1.0/24
echo
echo "== trawl -p 1-1024 198.18.0.0/23 --rate 200000 -oD $TMP/results.ndjson"
echo "   (198.18.1.0/24 is filtered: every probe to it is dropped)"
./scripts/lab.sh exec "$LAB" ./bin/trawl -p 1-1024 198.18.0.0/23 --rate 200000 --wait 1s -oD "$TMP/results.ndjson" | sort -V | tee "$TMP/found" | head -20
echo "   ... $(wc -l <"$TMP/found") open ports found"
echo
echo "== first NDJSON lines"
head -3 "$TMP/results.ndjson"
echo
sort -V "$TMP/truth" >"$TMP/want"
if diff -q "$TMP/want" "$TMP/found" >/dev/null; then
	echo "== every one of the $(wc -l <"$TMP/want") planted ports found, nothing else"
else
	echo "== results differ from the ground truth:"
	diff "$TMP/want" "$TMP/found" || true
	exit 1
fi
echo
echo "== IPv6: trawl -p 1-1024 2001:db8::/120 --rate 200000 -oL $TMP/results6.list"
./scripts/lab.sh exec "$LAB" ./bin/trawl -p 1-1024 2001:db8::/120 --rate 200000 --wait 1s -oL "$TMP/results6.list" | sort -V | tee "$TMP/found6" | head -5
echo "   ... $(wc -l <"$TMP/found6") open ports found; the first -oL lines (masscan's format):"
head -3 "$TMP/results6.list"
sort -V "$TMP/truth6" >"$TMP/want6"
if diff -q "$TMP/want6" "$TMP/found6" >/dev/null; then
	echo "== every one of the $(wc -l <"$TMP/want6") planted IPv6 ports found, nothing else"
else
	echo "== IPv6 results differ from the ground truth:"
	diff "$TMP/want6" "$TMP/found6" || true
	exit 1
fi
