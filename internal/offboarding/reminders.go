package offboarding

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"alumnet/internal/db"
	"alumnet/internal/i18n"
	"alumnet/internal/mail"
	"alumnet/internal/paths"
)

// Reminder is a mail to an item's assignee: 7 and 2 days before it is
// due, and every day it is overdue.
type Reminder struct {
	ItemID       int64
	CaseID       int64
	PersonID     int64
	To           string
	AssigneeName string
	Lang         string
	PersonName   string
	TitleNL      string
	TitleEN      string
	DueDate      time.Time
	// DaysLeft is 7 or 2, or negative: days overdue.
	DaysLeft int
	// Day is the day the reminder is for (at most one per item per day).
	Day time.Time
}

// ReminderSender queues the reminder mail within tx.
type ReminderSender func(ctx context.Context, tx pgx.Tx, r Reminder) error

// dueRemindersSQL: open items of open cases with an active assignee, due
// in exactly 7 or 2 days or overdue, not reminded yet today.
const dueRemindersSQL = `
SELECT i.id, i.case_id, c.person_id, u.email, u.name, u.language, p.first_name || ' ' || p.last_name, i.title_nl, i.title_en, i.due_date,
	(i.due_date - $1::date)::int
FROM offboarding_items i
JOIN offboarding_cases c ON c.id = i.case_id AND c.status = 'open'
JOIN users u ON u.id = i.assignee_id AND u.deactivated_at IS NULL
JOIN persons p ON p.id = c.person_id AND p.erased_at IS NULL
WHERE i.status = 'open'
  AND (i.due_date - $1::date IN (7, 2) OR i.due_date < $1::date)
  AND (i.reminded_on IS NULL OR i.reminded_on < $1::date)
ORDER BY i.due_date, i.id`

// SendReminders sends the reminders due on day today, each in its own
// transaction with its mail, at most one per item per day (also when the
// job runs twice). It returns how many were sent.
func (s *Store) SendReminders(ctx context.Context, today time.Time, send ReminderSender) (int, error) {
	day := dateOf(today)
	rows, err := s.pool.Query(ctx, dueRemindersSQL, day)
	if err != nil {
		return 0, fmt.Errorf("offboarding: reminders: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Reminder, error) {
		var x Reminder
		return x, r.Scan(&x.ItemID, &x.CaseID, &x.PersonID, &x.To, &x.AssigneeName, &x.Lang, &x.PersonName, &x.TitleNL, &x.TitleEN, &x.DueDate, &x.DaysLeft)
	})
	if err != nil {
		return 0, fmt.Errorf("offboarding: reminders: %w", err)
	}
	n := 0
	var errs []error
	for _, r := range list {
		r.Day = day
		sent := false
		err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, `UPDATE offboarding_items SET reminded_on = $2
				WHERE id = $1 AND status = 'open' AND (reminded_on IS NULL OR reminded_on < $2)`, r.ItemID, day)
			if err != nil || tag.RowsAffected() == 0 {
				return err
			}
			sent = true
			return send(ctx, tx, r)
		})
		if err != nil {
			// One failure must not hold up the others (it would, every day).
			errs = append(errs, fmt.Errorf("offboarding: remind item %d: %w", r.ItemID, err))
			continue
		}
		if sent {
			n++
		}
	}
	return n, errors.Join(errs...)
}

// Queue puts a rendered mail on the job queue inside tx (jobs.Jobs does).
type Queue interface {
	SendMail(ctx context.Context, tx pgx.Tx, key string, personID int64, m mail.Message) error
}

// ReminderMails is the ReminderSender of the app: each reminder in the
// assignee's language, with a link (on base) to the item in its case,
// queued in the reminder's transaction.
func ReminderMails(base *url.URL, q Queue) ReminderSender {
	return func(ctx context.Context, tx pgx.Tx, rem Reminder) error {
		msg, err := rem.compose(base).Message(ctx)
		if err != nil {
			return err
		}
		key := "offboarding.reminder." + strconv.FormatInt(rem.ItemID, 10) + "." + rem.Day.Format(time.DateOnly)
		// The mail is about the leaver: erasing them erases it.
		return q.SendMail(ctx, tx, key, rem.PersonID, msg)
	}
}

func (rem Reminder) compose(base *url.URL) mail.Link {
	lang, _ := i18n.Parse(rem.Lang) // the default for an unknown language
	p := i18n.For(lang)
	title := rem.TitleNL
	if lang == i18n.EN {
		title = rem.TitleEN
	}
	when := p.T("mail.reminder.due", rem.DaysLeft)
	if rem.DaysLeft < 0 {
		when = p.T("mail.reminder.overdue", -rem.DaysLeft)
	}
	return mail.Link{To: rem.To, Lang: lang, Staff: true, Subject: p.T("mail.reminder.subject", title, rem.PersonName),
		Paragraphs: []string{p.T("mail.greeting", rem.AssigneeName), p.T("mail.reminder.intro", title, rem.PersonName, rem.DueDate.Format(time.DateOnly)), when},
		URL:        paths.Absolute(base, paths.CaseItemAnchor(rem.CaseID, rem.ItemID)), Button: p.T("mail.reminder.button"),
		Notes: []string{p.T("mail.reminder.note")}}
}
