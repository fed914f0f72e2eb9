// Package svcprobe reads nmap's service probe database (nmap-service-probes)
// and matches banners against it, to name the service on a port as nmap -sV
// does. The file format is described at
// https://nmap.org/book/vscan-fileformat.html.
package svcprobe
