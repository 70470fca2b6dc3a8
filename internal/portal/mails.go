package portal

import (
	"context"
	"net/url"
	"strconv"

	"github.com/jackc/pgx/v5"

	"alumnet/internal/i18n"
	"alumnet/internal/mail"
	"alumnet/internal/paths"
)

// Queue puts a rendered mail on the job queue inside tx, so that it goes
// out only if tx commits (jobs.Jobs does).
type Queue interface {
	SendMail(ctx context.Context, tx pgx.Tx, key string, personID int64, m mail.Message) error
}

// linkPath is where each kind of link mail points.
func linkPath(kind, token string) string {
	switch kind {
	case PurposeRegister:
		return paths.RegisterConfirm(token)
	case PurposeLogin, "known":
		return paths.PortalLoginLink(token)
	case PurposeEmailChange:
		return paths.PortalEmailConfirm(token)
	case PurposeInvite:
		return paths.Invitation(token)
	case PurposeConfirmDetails:
		return paths.PortalStillCorrect(token)
	case PurposeEmailRevert:
		return paths.PortalEmailRevert(token)
	}
	return ""
}

// linkValidity says how long a kind of link works, for the mail's small print.
func linkValidity(p i18n.Printer, kind string) string {
	purpose := kind
	if kind == "known" {
		purpose = PurposeLogin
	}
	return mail.Validity(p, TTL[purpose])
}

// LinkMails is the Sender of the app: it writes each link mail in the
// recipient's language, with the link on base, and queues it in the
// transaction that made the link.
func LinkMails(base *url.URL, q Queue) Sender {
	return func(ctx context.Context, tx pgx.Tx, m Mail) error {
		msg, err := m.compose(base).Message(ctx)
		if err != nil {
			return err
		}
		return q.SendMail(ctx, tx, "portal."+m.Kind+"."+strconv.FormatInt(m.TokenID, 10), m.PersonID, msg)
	}
}

// compose writes the mail: a greeting, what the link does, the link, how
// long it works and what to do if you did not ask for it.
func (m Mail) compose(base *url.URL) mail.Link {
	lang, _ := i18n.Parse(m.Lang) // the default for an unknown language
	p := i18n.For(lang)
	k := "mail.alumni." + m.Kind
	// A registration is not confirmed yet: the name is whatever someone
	// typed, so the mail does not repeat it.
	greeting := p.T("mail.greeting", m.Name)
	if m.Kind == PurposeRegister {
		greeting = p.T("mail.greeting.plain")
	}
	intro := p.T(k + ".intro")
	link := paths.Absolute(base, linkPath(m.Kind, m.Token))
	notes := []string{linkValidity(p, m.Kind), p.T(k + ".ignore")}
	switch {
	case m.Kind == MailEmailReverted:
		link, notes = "", []string{p.T(k + ".ignore")}
	case m.Kind == PurposeEmailRevert:
		intro = p.T(k+".intro", m.NewAddress)
	case !m.AskedAt.IsZero():
		notes = append([]string{p.T("mail.asked", p.DateTime(m.AskedAt.In(i18n.Zone())), m.AskedFrom)}, notes...)
	}
	return mail.Link{To: m.To, Lang: lang, Subject: p.T(k + ".subject"), Paragraphs: []string{greeting, intro},
		URL: link, Button: p.T(k + ".button"), Notes: notes}
}
