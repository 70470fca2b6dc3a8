package server

import (
	"context"
	"net"
	"net/http"
	"strings"

	"alumnet/internal/i18n"
	"alumnet/internal/mail"
	mailtpl "alumnet/templates/mail"
)

// linkMail is a mail whose point is one link (log in, reset a password,
// undo an address change), already translated.
type linkMail struct {
	To         string
	Lang       i18n.Lang
	Subject    string
	Paragraphs []string
	Link       string
	Button     string
	Notes      []string
	// Staff: to a staff user, whose out-of-office replies are suppressed
	// too (X-Auto-Response-Suppress).
	Staff bool
}

// message renders the mail, HTML and text.
func (m linkMail) message(ctx context.Context) (mail.Message, error) {
	d := mailtpl.LinkMailData{Paragraphs: m.Paragraphs, Link: m.Link, Button: m.Button, Notes: m.Notes}
	paras := append([]string{}, m.Paragraphs...)
	if m.Link != "" {
		paras = append(paras, m.Link)
	}
	text := mail.Paragraphs(append(paras, m.Notes...)...)
	var headers map[string]string
	if m.Staff {
		headers = map[string]string{"X-Auto-Response-Suppress": "All"}
	}
	return mail.Render(ctx, mail.Content{To: m.To, Lang: m.Lang, Subject: m.Subject, HTML: mailtpl.LinkMail(d), Text: text, Headers: headers})
}

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
