// Package cli is trawl's command line: it parses and checks the flags
// (masscan's and nmap's where they have one), builds the scan from them,
// runs it with the raw SYN engine or the connect() fallback, and writes the
// results, the progress and the summary.
package cli
