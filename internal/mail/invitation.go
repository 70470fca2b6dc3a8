package mail

import (
	"context"

	"alumnet/internal/i18n"
	mailtpl "alumnet/templates/mail"
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

// Message renders the invitation in the invitee's language, as text with
// an HTML alternative.
func (inv Invitation) Message() (Message, error) {
	lang, _ := i18n.Parse(string(inv.Lang)) // the default for an unknown language
	p := i18n.For(lang)
	d := mailtpl.InvitationData{
		Greeting: p.T("mail.invite.greeting", inv.Name),
		Intro:    p.T("mail.invite.intro", inv.InvitedBy),
		Button:   p.T("mail.invite.button"),
		Link:     inv.Link,
		Expiry:   p.T("mail.invite.expiry", inv.Hours),
		Ignore:   p.T("mail.invite.ignore"),
	}
	return Render(context.Background(), Content{
		To:      inv.To,
		Lang:    lang,
		Subject: p.T("mail.invite.subject"),
		HTML:    mailtpl.Invitation(d),
		Text:    Paragraphs(d.Greeting, d.Intro, d.Link, d.Expiry, d.Ignore),
		// To a staff mailbox: Exchange's out-of-office replies stay away too.
		Headers: map[string]string{"X-Auto-Response-Suppress": "All"},
	})
}
