# trawl's container image: one static binary and nothing else.
#
# Build it with "make image" (scripts/image.sh), which first builds
# bin/trawl-static on the host: CGO_ENABLED=0, so the binary needs no libc
# and captures with trawl's own AF_PACKET socket and kernel BPF filter
# instead of libpcap. Building on the host lets the image start FROM scratch,
# with no base image to pull from a registry.
#
# Run it with only the raw-socket capability, never --privileged:
#
#   docker run --rm --cap-drop ALL --cap-add NET_RAW trawl:latest -p 80 198.18.0.0/24
#
# Without NET_RAW (--cap-drop ALL alone) trawl says so on stderr and falls
# back to a connect() scan.
FROM scratch

COPY bin/trawl-static /trawl

# Root inside the container, because a capability granted with --cap-add
# (or a Kubernetes securityContext) is effective only for uid 0: a non-root
# user would start with none and could not open the raw socket. With
# --cap-drop ALL --cap-add NET_RAW this root holds no other privilege, and
# once its sockets are open trawl gives up NET_RAW too (internal/priv).
USER 0:0

ENTRYPOINT ["/trawl"]
