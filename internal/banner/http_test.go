package banner

import (
	"bufio"
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseHTTP(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		ok   bool
		want httpReply
	}{
		{"nginx", "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Type: text/html\r\n\r\n<html><head><title>Welcome to nginx!</title>",
			true, httpReply{status: "HTTP/1.1 200 OK", code: 200, server: "nginx/1.22.1", title: "Welcome to nginx!"}},
		{"bare LF, case, attributes", "HTTP/1.0 404 Not Found\nserver:  Apache/2.4.62 (Debian) \n\n<HTML><Title lang=\"en\">\n Not \t Found </TITLE>",
			true, httpReply{status: "HTTP/1.0 404 Not Found", code: 404, server: "Apache/2.4.62 (Debian)", title: "Not Found"}},
		{"no reason", "HTTP/1.1 204\r\n\r\n", true, httpReply{status: "HTTP/1.1 204", code: 204}},
		{"HTTP/2", "HTTP/2 301 Moved\r\n\r\n", true, httpReply{status: "HTTP/2 301 Moved", code: 301}},
		{"two spaces", "HTTP/1.1  500 Oops\r\n\r\n", true, httpReply{status: "HTTP/1.1 500 Oops", code: 500}},
		{"status only, cut", "HTTP/1.1 200 OK", true, httpReply{status: "HTTP/1.1 200 OK", code: 200}},
		{"header cut short", "HTTP/1.1 200 OK\r\nServer: ngi", true, httpReply{status: "HTTP/1.1 200 OK", code: 200}},
		{"title cut short", "HTTP/1.1 200 OK\r\n\r\n<title>Welc", true, httpReply{status: "HTTP/1.1 200 OK", code: 200}},
		{"title in headers", "HTTP/1.1 200 OK\r\nX: <title>no</title>\r\n", true, httpReply{status: "HTTP/1.1 200 OK", code: 200}},
		{"not a title", "HTTP/1.1 200 OK\r\n\r\n<titles>no</titles><title>yes</title>", true,
			httpReply{status: "HTTP/1.1 200 OK", code: 200}},
		{"entities", "HTTP/1.1 200 OK\r\n\r\n<title>Caf&eacute; &lt;1&gt; &#x41;&amp;B</title>", true,
			httpReply{status: "HTTP/1.1 200 OK", code: 200, title: "Café <1> A&B"}},
		{"folded Server", "HTTP/1.1 200 OK\r\nServer: Apache\r\n  (Unix)\r\nX: y\r\n z\r\n\r\n", true,
			httpReply{status: "HTTP/1.1 200 OK", code: 200, server: "Apache (Unix)"}},
		{"first Server", "HTTP/1.1 200 OK\r\nSERVER: a\r\nServer: b\r\n\r\n", true,
			httpReply{status: "HTTP/1.1 200 OK", code: 200, server: "a"}},
		{"control and invalid UTF-8", "HTTP/1.1 200 \xffOK\x00\r\nServer: \xc3\x28x\x01y\r\n\r\n<title>\x1b[31m\xe2\x82 red</title>", true,
			httpReply{status: "HTTP/1.1 200 \uFFFDOK", code: 200, server: "\uFFFD(x y", title: "[31m\uFFFD red"}},
		{"long title", "HTTP/1.1 200 OK\r\n\r\n<title>" + strings.Repeat("é", 200) + "</title>", true,
			httpReply{status: "HTTP/1.1 200 OK", code: 200, title: strings.Repeat("é", 128)}},
		{"SSH", "SSH-2.0-OpenSSH_9.2p1\r\n", false, httpReply{}},
		{"RTSP", "RTSP/1.0 200 OK\r\n\r\n", false, httpReply{}},
		{"four digits", "HTTP/1.1 2000 OK\r\n\r\n", false, httpReply{}},
		{"two digits", "HTTP/1.1 20 OK\r\n\r\n", false, httpReply{}},
		{"code 099", "HTTP/1.1 099 OK\r\n\r\n", false, httpReply{}},
		{"bad version", "HTTP/x.1 200 OK\r\n\r\n", false, httpReply{}},
		{"no version", "HTTP/ 200 OK\r\n\r\n", false, httpReply{}},
		{"empty", "", false, httpReply{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := parseHTTP([]byte(tc.in))
			if ok != tc.ok || got != tc.want {
				t.Errorf("parseHTTP(%q)\n = %+v, %v\nwant %+v, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

// FuzzParseHTTP checks that parseHTTP never panics, that what it returns
// is clean, that it does not write to its input, and that it agrees with
// net/http on the status code and the Server header of every response
// whose header section net/http reads.
func FuzzParseHTTP(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n\r\n<title>Welcome</title>",
		"HTTP/1.0 302 Found\nLocation: /\nServer: Apache\n  (Unix)\n\n",
		"HTTP/1.1 400 Bad Request\r\nServer: nginx\r\n\r\n<html><head><title>400 The plain HTTP request was sent to HTTPS port</title>",
		"HTTP/1.1 200 OK\r\nserver: \xff\x00\r\n\r\n<TITLE x=1>a &amp; b</TITLE>",
		"HTTP/2 200\r\n\r\n",
		"SSH-2.0-OpenSSH_9.2p1\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		in := bytes.Clone(b)
		h, ok := parseHTTP(b)
		if !bytes.Equal(in, b) {
			t.Fatalf("parseHTTP wrote to its input")
		}
		if !ok {
			if h != (httpReply{}) {
				t.Fatalf("not HTTP, yet %+v", h)
			}
		} else {
			if !bytes.HasPrefix(b, []byte("HTTP/")) || h.code < 100 || h.code > 999 || !strings.HasPrefix(h.status, "HTTP/") {
				t.Fatalf("HTTP %+v from %q", h, b)
			}
			for _, s := range []string{h.status, h.server, h.title} {
				if !isClean(s) {
					t.Fatalf("unclean field %q", s)
				}
			}
		}

		// The reference: net/http, where it reads the header section.
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(b)), nil)
		if err != nil {
			return
		}
		resp.Body.Close()
		code, _, _ := strings.Cut(resp.Status, " ")
		if _, err := strconv.ParseUint(code, 10, 16); err != nil || code[0] == '0' {
			return // net/http takes "+20" or "099" for a code; parseHTTP does not
		}
		if !ok || h.code != resp.StatusCode {
			t.Fatalf("net/http reads status %d, parseHTTP %d (ok %v)", resp.StatusCode, h.code, ok)
		}
		if want := resp.Header.Get("Server"); clean([]byte(want)) != h.server {
			t.Fatalf("net/http reads Server %q, parseHTTP %q", want, h.server)
		}
	})
}

// isClean reports whether s is what clean returns: valid UTF-8 on one
// line, without control characters or runs of spaces, at most maxField
// bytes.
func isClean(s string) bool {
	if !utf8.ValidString(s) || len(s) > maxField || strings.TrimSpace(s) != s || strings.Contains(s, "  ") {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 {
			return false
		}
	}
	return true
}
