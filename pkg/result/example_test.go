package result_test

import (
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/trawlscan/trawl/pkg/result"
)

// A dual-stack scan's results on stdout and in masscan's list format:
// IPv6 addresses are in brackets before a port, and bare in a field.
func ExampleNewEncoder() {
	rs := []result.Result{
		{IP: netip.MustParseAddr("198.18.0.1"), Port: 80, Status: result.StatusOpen, Time: time.Unix(1767366245, 0)},
		{IP: netip.MustParseAddr("2001:db8::1"), Port: 443, Status: result.StatusClosed, Time: time.Unix(1767366245, 0)},
	}
	for _, f := range []result.Format{result.FormatPlain, result.FormatList} {
		e, err := result.NewEncoder(f, os.Stdout, result.Meta{})
		if err != nil {
			fmt.Println(err)
			return
		}
		for _, r := range rs {
			if err := e.Encode(r); err != nil {
				fmt.Println(err)
				return
			}
		}
		if err := e.Close(); err != nil {
			fmt.Println(err)
			return
		}
	}
	// Output:
	// 198.18.0.1:80
	// [2001:db8::1]:443 closed
	// #masscan
	// open tcp 80 198.18.0.1 1767366245
	// closed tcp 443 2001:db8::1 1767366245
	// # end
}

// A list output that a kill -9 cut in the middle of its fourth line: the
// Reader returns the three whole results and skips the cut one.
func ExampleReader() {
	cut := "#masscan\n" +
		"open tcp 80 198.18.0.1 1767366245\n" +
		"closed tcp 443 198.18.0.1 1767366245\n" +
		"open tcp 22 2001:db8::1 1767366245\n" +
		"open tcp 22 198.18.0.3 17673"
	d, err := result.NewReader(result.FormatList, strings.NewReader(cut))
	if err != nil {
		fmt.Println(err)
		return
	}
	for {
		r, err := d.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(r.IP, r.Port, r.Status, r.Time.Unix())
	}
	// Output:
	// 198.18.0.1 80 open 1767366245
	// 198.18.0.1 443 closed 1767366245
	// 2001:db8::1 22 open 1767366245
}

// An open port with what a follow-up connection learned of it, in NDJSON
// and in nmap's grepable format. The banner's CR LF is written as masscan
// writes bytes outside printable ASCII, one \u00XX per byte.
func ExampleServiceInfo() {
	r := result.Result{
		IP: netip.MustParseAddr("198.18.40.1"), Port: 22, Status: result.StatusOpen, Time: time.Unix(1767366245, 0),
		Service: &result.ServiceInfo{
			Name: "ssh", Product: "OpenSSH", Version: "9.2p1 Debian 2+deb12u3", ExtraInfo: "protocol 2.0",
			Method: result.MethodProbed, Conf: result.ConfMatch,
			Banner: []byte("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"),
		},
	}
	for _, f := range []result.Format{result.FormatNDJSON, result.FormatGrepable} {
		var out strings.Builder
		e, err := result.NewEncoder(f, &out, result.Meta{})
		if err != nil {
			fmt.Println(err)
			return
		}
		if err := e.Encode(r); err != nil {
			fmt.Println(err)
			return
		}
		if err := e.Close(); err != nil {
			fmt.Println(err)
			return
		}
		// The result's line, without grepable's comments and Status line.
		for _, line := range strings.Split(out.String(), "\n") {
			if strings.HasPrefix(line, "{") || strings.Contains(line, "\tPorts: ") {
				fmt.Println(line)
			}
		}
	}
	// Output:
	// {"ip":"198.18.40.1","port":22,"proto":"tcp","status":"open","ttl":0,"time":"2026-01-02T15:04:05Z","service":{"name":"ssh","product":"OpenSSH","version":"9.2p1 Debian 2+deb12u3","extrainfo":"protocol 2.0","method":"probed","conf":10,"banner":"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\u000d\u000a"}}
	// Host: 198.18.40.1 ()	Ports: 22/open/tcp//ssh//OpenSSH 9.2p1 Debian 2+deb12u3 (protocol 2.0)/
}
