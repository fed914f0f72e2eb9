//go:build nopcap

package e2e

// buildTags are the tags the trawl binary under test is built with: the
// AF_PACKET capture instead of libpcap.
const buildTags = "nopcap"
