//go:build !nopcap

package e2e

// buildTags are the tags the trawl binary under test is built with.
const buildTags = ""
