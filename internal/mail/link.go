package mail

import (
	"context"
	"time"

	"alumnet/internal/i18n"
)

// Link is a mail whose point is one link (log in, choose a password, undo
// an address change), already translated by the capability that sends it:
// paragraphs, the link as a button, and small print below it (how long the
// link works, what to do if you did not ask for it).
type Link struct {
	To         string
	Lang       i18n.Lang
	Subject    string
	Paragraphs []string
	URL        string // "" for a mail that only tells
	Button     string
	Notes      []string
	// Staff: to a staff mailbox, whose out-of-office replies are kept
	// away too (X-Auto-Response-Suppress, which Exchange honours).
	Staff bool
}

// Message renders the mail in its language, as text with an HTML
// alternative; the text carries the link on a line of its own.
func (m Link) Message(ctx context.Context) (Message, error) {
	paras := append([]string{}, m.Paragraphs...)
	if m.URL != "" {
		paras = append(paras, m.URL)
	}
	var headers map[string]string
	if m.Staff {
		headers = map[string]string{"X-Auto-Response-Suppress": "All"}
	}
	return Render(ctx, Content{To: m.To, Lang: m.Lang, Subject: m.Subject, HTML: linkBody(m),
		Text: Paragraphs(append(paras, m.Notes...)...), Headers: headers})
}

// Validity is the small print that says how long a link works: "De link
// werkt 15 minuten", in minutes, hours or (from two days) days.
func Validity(p i18n.Printer, d time.Duration) string {
	switch {
	case d < time.Hour:
		return p.T("mail.link.minutes", int(d/time.Minute))
	case d >= 48*time.Hour:
		return p.T("mail.link.days", int(d/(24*time.Hour)))
	}
	return p.T("mail.link.hours", int(d/time.Hour))
}
