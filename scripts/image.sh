#!/usr/bin/env bash
# image.sh: build trawl's container image, trawl:latest, from nothing that
# would have to be pulled from an image registry.
#
# Usage:
#   image.sh
#
# It builds bin/trawl-static on the host (CGO_ENABLED=0: no libc, and trawl's
# own AF_PACKET capture instead of libpcap), then runs "docker build" on the
# Dockerfile, which starts FROM scratch and copies in that one binary. When
# there is no Docker engine it installs docker.io (Debian, as root) and
# starts dockerd in the background, logging to $DOCKERD_LOG, and leaves it
# running. That dockerd gets no bridge and no iptables rules: trawl's
# containers run with --network none or in a network namespace they are
# given, so none can land on a Docker network by accident.
#
# Environment: VERSION (default: git describe) is stamped into the binary
# and the image's labels; GO names the go tool; IMAGE the tag (trawl:latest).
#
# Exit status: 0 built; 1 the build failed; 3 no Docker engine could be had
# here (not root, docker.io not installable, or dockerd would not start).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly REPO
readonly IMAGE=${IMAGE:-trawl:latest}
readonly DOCKERD_LOG=${DOCKERD_LOG:-/tmp/trawl-dockerd.log}
# How long dockerd may take to answer after it starts, in seconds.
readonly DOCKERD_WAIT=60

die() {
	echo "image.sh: $*" >&2
	exit 1
}

# no_engine reports why no Docker engine can run here and exits 3.
no_engine() {
	echo "image.sh: no Docker engine: $*" >&2
	exit 3
}

# need_engine makes "docker info" work: it installs docker.io and starts
# dockerd if it has to.
need_engine() {
	if command -v docker >/dev/null && docker info >/dev/null 2>&1; then
		return
	fi
	[[ $EUID -eq 0 ]] || no_engine "'docker info' fails, and starting dockerd needs root"
	# The docker client alone is not enough: dockerd comes with docker.io.
	if ! command -v dockerd >/dev/null || ! command -v docker >/dev/null; then
		echo "image.sh: installing docker.io" >&2
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null; } ||
			no_engine "apt-get install docker.io failed"
	fi
	if ! docker info >/dev/null 2>&1; then
		echo "image.sh: starting dockerd (log: $DOCKERD_LOG)" >&2
		setsid dockerd --bridge=none --iptables=false --ip6tables=false </dev/null >"$DOCKERD_LOG" 2>&1 &
		local pid=$! i
		for ((i = 0; i < DOCKERD_WAIT * 4; i++)); do
			docker info >/dev/null 2>&1 && return
			kill -0 "$pid" 2>/dev/null ||
				no_engine "dockerd exited: $(tail -n 5 "$DOCKERD_LOG")"
			sleep 0.25
		done
		no_engine "dockerd did not answer within ${DOCKERD_WAIT}s: $(tail -n 5 "$DOCKERD_LOG")"
	fi
}

main() {
	[[ $# -eq 0 ]] || {
		sed -n '/^# Usage:/,/^#$/s/^#   /usage: /p' "${BASH_SOURCE[0]}" >&2
		exit 2
	}
	cd "$REPO"
	local go=${GO:-go}
	command -v "$go" >/dev/null || go=/usr/local/go/bin/go
	local version=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}

	CGO_ENABLED=0 "$go" build -trimpath \
		-ldflags "-s -w -X github.com/trawlscan/trawl/internal/cli.version=$version" \
		-o bin/trawl-static ./cmd/trawl || die "go build bin/trawl-static failed"

	need_engine
	# The output is shown only on failure: the docker client's own notices
	# (the legacy builder's deprecation) are noise here.
	local out old
	old=$(docker image inspect -f '{{.Id}}' "$IMAGE" 2>/dev/null || true)
	out=$(docker build -q -t "$IMAGE" \
		--label "org.opencontainers.image.title=trawl" \
		--label "org.opencontainers.image.version=$version" \
		. 2>&1) || die "docker build $IMAGE failed: $out"
	# Drop the image this one replaces, unless a container still uses it.
	if [[ -n $old && $old != "$(docker image inspect -f '{{.Id}}' "$IMAGE")" ]]; then
		docker rmi "$old" >/dev/null 2>&1 || true
	fi

	local size
	size=$(docker image inspect -f '{{.Size}}' "$IMAGE")
	awk -v img="$IMAGE" -v v="$version" -v n="$size" \
		'BEGIN { printf "image.sh: built %s (trawl %s): %d bytes (%.1f MiB)\n", img, v, n, n / 1048576 }'
}

main "$@"
