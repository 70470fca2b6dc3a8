package mail

import (
	"bytes"
	"html/template"
	"strings"

	"alumnet/internal/i18n"
)

// Invitation is the mail that invites a new staff user to choose a password.
type Invitation struct {
	To        string
	Name      string // the invitee
	InvitedBy string // the administrator who sent it
	Link      string // the one-time set-password link
	Hours     int    // how long the link works
	Lang      i18n.Lang
}

var invitationHTML = template.Must(template.New("invitation").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family: system-ui, sans-serif; line-height: 1.5; color: #1f2933;">
<p>{{.Greeting}}</p>
<p>{{.Intro}}</p>
<p><a href="{{.Link}}" style="display: inline-block; padding: .6em 1.2em; background: #0f5e4f; color: #fff; text-decoration: none; border-radius: 6px;">{{.Button}}</a></p>
<p style="color: #5f6b76; font-size: .9em;">{{.Expiry}}<br>{{.Ignore}}</p>
</body></html>
`))

// Message renders the invitation in the invitee's language, as text with
// an HTML alternative.
func (inv Invitation) Message() (Message, error) {
	p := i18n.For(inv.Lang)
	d := struct {
		Lang                                                   i18n.Lang
		Subject, Greeting, Intro, Button, Link, Expiry, Ignore string
	}{
		Lang:     inv.Lang,
		Subject:  p.T("mail.invite.subject"),
		Greeting: p.T("mail.invite.greeting", inv.Name),
		Intro:    p.T("mail.invite.intro", inv.InvitedBy),
		Button:   p.T("mail.invite.button"),
		Link:     inv.Link,
		Expiry:   p.T("mail.invite.expiry", inv.Hours),
		Ignore:   p.T("mail.invite.ignore"),
	}
	var text strings.Builder
	for _, para := range []string{d.Greeting, d.Intro, d.Link, d.Expiry, d.Ignore} {
		text.WriteString(para)
		text.WriteString("\n\n")
	}
	var html bytes.Buffer
	if err := invitationHTML.Execute(&html, d); err != nil {
		return Message{}, err
	}
	return Message{
		To:      inv.To,
		Subject: d.Subject,
		Text:    strings.TrimRight(text.String(), "\n") + "\n",
		HTML:    html.String(),
		// RFC 3834: automatic mail; out-of-office replies stay away.
		Headers: map[string]string{"Auto-Submitted": "auto-generated"},
	}, nil
}
