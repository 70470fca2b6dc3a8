package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"alumnet/internal/i18n"
	"alumnet/internal/mail"
	"alumnet/internal/paths"
)

// The mails to staff: an invitation to choose a password, a reset link,
// and the notice with an undo link when an administrator changed the
// account's address. Each is written in the user's language and queued in
// the transaction that made its link; each link is a delivery of its own,
// keyed by the link's hash.

func (s *Store) queue(ctx context.Context, tx pgx.Tx, key string, m mail.Link) error {
	if s.opts.Queue == nil || s.opts.BaseURL == nil {
		return ErrNoMail
	}
	msg, err := m.Message(ctx)
	if err != nil {
		return err
	}
	return s.opts.Queue.SendMail(ctx, tx, key, 0, msg)
}

func (s *Store) link(path string) string {
	if s.opts.BaseURL == nil {
		return path
	}
	return paths.Absolute(s.opts.BaseURL, path)
}

func printer(lang string) (i18n.Lang, i18n.Printer) {
	l, _ := i18n.Parse(lang) // the default for an unknown language
	return l, i18n.For(l)
}

// sendInvitation makes a new set-password link for u (earlier links stop
// working) and queues the invitation with it, inside tx.
func (s *Store) sendInvitation(ctx context.Context, tx pgx.Tx, by, u User) error {
	token, err := CreateSetPasswordTokenTx(ctx, tx, u.ID, by.ID)
	if err != nil {
		return err
	}
	lang, p := printer(u.Language)
	return s.queue(ctx, tx, fmt.Sprintf("invite:user:%d:%x", u.ID, HashToken(token)[:8]), mail.Link{
		To: u.Email, Lang: lang, Staff: true, Subject: p.T("mail.invite.subject"),
		Paragraphs: []string{p.T("mail.invite.greeting", u.Name), p.T("mail.invite.intro", by.Name)},
		URL:        s.link(paths.SetPassword(token)), Button: p.T("mail.invite.button"),
		Notes: []string{p.T("mail.invite.expiry", int(SetPasswordTTL/time.Hour)), p.T("mail.invite.ignore")},
	})
}

// sendReset makes a reset link for u and queues its mail in tx. by is the
// administrator who sent it (0: the user asked); req says when and from
// where the user asked.
func (s *Store) sendReset(ctx context.Context, tx pgx.Tx, u User, by int64, req *ResetRequest) error {
	token, err := CreateResetTokenTx(ctx, tx, u.ID, by)
	if err != nil {
		return err
	}
	lang, p := printer(u.Language)
	notes := []string{p.T("mail.reset.by_admin")}
	if req != nil {
		notes = []string{p.T("mail.asked", p.DateTime(req.At.In(i18n.Zone())), req.From)}
	}
	return s.queue(ctx, tx, fmt.Sprintf("reset:user:%d:%x", u.ID, HashToken(token)[:8]), mail.Link{
		To: u.Email, Lang: lang, Staff: true, Subject: p.T("mail.reset.subject"),
		Paragraphs: []string{p.T("mail.greeting", u.Name), p.T("mail.reset.intro")},
		URL:        s.link(paths.SetPassword(token)), Button: p.T("mail.reset.button"),
		Notes: append(notes, mail.Validity(p, ResetPasswordTTL), p.T("mail.reset.ignore")),
	})
}

// sendEmailUndo tells an address that an administrator (by) replaced it
// with email, with the link that undoes the change.
func (s *Store) sendEmailUndo(ctx context.Context, tx pgx.Tx, by, u User, email string, undo Undo) error {
	lang, p := printer(u.Language)
	return s.queue(ctx, tx, fmt.Sprintf("user-email:%d:%x", u.ID, HashToken(undo.Token)[:8]), mail.Link{
		To: undo.To, Lang: lang, Staff: true, Subject: p.T("mail.user_email.subject"),
		Paragraphs: []string{p.T("mail.greeting", u.Name), p.T("mail.user_email.intro", by.Name, email)},
		URL:        s.link(paths.UserEmailRevert(undo.Token)), Button: p.T("mail.user_email.button"),
		Notes: []string{mail.Validity(p, EmailRevertTTL), p.T("mail.user_email.ignore")},
	})
}
