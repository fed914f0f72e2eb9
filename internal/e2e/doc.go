// Package e2e holds trawl's end-to-end tests: they build the trawl binary,
// bring up the network-namespace lab (internal/lab), scan it and compare the
// results with the planted ground truth. They need root and skip without it.
package e2e
