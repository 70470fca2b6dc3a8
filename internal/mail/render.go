package mail

import (
	"context"
	"fmt"
	"strings"

	"github.com/a-h/templ"

	"alumnet/internal/i18n"
)

// Content is a message before rendering: the recipient, the language it is
// written in, and its body twice, as HTML (a templ component that the
// shared layout frames) and as plain text.
type Content struct {
	To      string
	Lang    i18n.Lang
	Subject string
	HTML    templ.Component // the body; Render puts it in Layout
	Text    string          // the plain-text body, e.g. from Paragraphs
	Headers map[string]string
}

// Render turns c into a Message with both bodies in c.Lang: the HTML body in
// the shared layout, the text body followed by the same footer line.
func Render(ctx context.Context, c Content) (Message, error) {
	lang, ok := i18n.Parse(string(c.Lang))
	if !ok {
		return Message{}, fmt.Errorf("%w: language %q", ErrInvalid, c.Lang)
	}
	if c.HTML == nil {
		return Message{}, fmt.Errorf("%w: no HTML body", ErrInvalid)
	}
	var html strings.Builder
	if err := Layout(lang, c.Subject).Render(templ.WithChildren(ctx, c.HTML), &html); err != nil {
		return Message{}, fmt.Errorf("mail: render %q: %w", c.Subject, err)
	}
	text := strings.TrimRight(c.Text, "\n") + "\n\n-- \n" + i18n.For(lang).T("mail.footer") + "\n"
	// Every mail the app sends is automatic (RFC 3834): out-of-office
	// replies and auto-responders leave it alone.
	headers := map[string]string{"Auto-Submitted": "auto-generated"}
	for k, v := range c.Headers {
		headers[k] = v
	}
	m := Message{To: c.To, Subject: c.Subject, Text: text, HTML: html.String(), Headers: headers, Lang: lang}
	return m, m.Validate()
}

// Paragraphs is a plain-text body: the paragraphs separated by blank lines.
func Paragraphs(paras ...string) string {
	return strings.Join(paras, "\n\n") + "\n"
}
