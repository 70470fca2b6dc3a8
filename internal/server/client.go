package server

import (
	"net"
	"net/http"
	"strings"
)

// Who a request comes from: the client's address for throttles and rate
// limits (behind trusted proxies too), and a rough "from where" for the
// mails that say when and where a link was asked for.

// whereFrom describes roughly where a request came from, for a mail that
// says "asked on … from …" so that a reader who did not ask notices: the
// network (the last part of the address left out) and the browser.
func (s *Server) whereFrom(r *http.Request) string {
	where := s.clientKey(r)
	if ip := net.ParseIP(where); ip != nil && ip.To4() != nil {
		if i := strings.LastIndexByte(where, '.'); i > 0 {
			where = where[:i] + ".x"
		}
	}
	if dev := deviceOf(r.UserAgent()); dev != "" {
		where += ", " + dev
	}
	return where
}

// deviceOf names the browser and system of a User-Agent ("Firefox, Windows"),
// "" when neither is recognised.
func deviceOf(ua string) string {
	browser := ""
	for _, b := range []struct{ token, name string }{
		{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"Chrome/", "Chrome"}, {"Safari/", "Safari"},
	} {
		if strings.Contains(ua, b.token) {
			browser = b.name
			break
		}
	}
	system := ""
	for _, o := range []struct{ token, name string }{
		{"Android", "Android"}, {"iPhone", "iOS"}, {"iPad", "iPadOS"}, {"Windows", "Windows"}, {"Mac OS X", "macOS"}, {"Linux", "Linux"},
	} {
		if strings.Contains(ua, o.token) {
			system = o.name
			break
		}
	}
	switch {
	case browser != "" && system != "":
		return browser + ", " + system
	case browser != "":
		return browser
	}
	return system
}

// clientIP is the peer address. Behind a reverse proxy every request comes
// from the proxy; the IP throttle then acts on all clients together, which
// errs on the safe side.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// clientKey is the client for throttling and rate limits: the connection's
// address, or behind a trusted proxy the nearest untrusted address in
// X-Forwarded-For. An IPv6 client counts by its /64, which one subscriber
// gets whole (changing addresses within it gets around nothing).
func (s *Server) clientKey(r *http.Request) string {
	ip := net.ParseIP(clientIP(r))
	if ip != nil && s.trusted(ip) {
		hops := strings.Split(r.Header.Get("X-Forwarded-For"), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			hop := net.ParseIP(strings.TrimSpace(hops[i]))
			if hop == nil {
				break
			}
			ip = hop
			if !s.trusted(hop) {
				break
			}
		}
	}
	if ip == nil {
		return clientIP(r)
	}
	if ip.To4() == nil {
		return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return ip.String()
}

func (s *Server) trusted(ip net.IP) bool {
	for _, n := range s.cfg.TrustedProxies {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}
