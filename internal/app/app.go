// Package app puts Alumnet together: one store per capability over one
// database, the job queue with every task and periodic job, and the
// eraser with every capability's part. `alumnet serve` builds an App and,
// unless it only runs workers, a web server on it (internal/server); the
// HTTP layer gets its stores from here and builds none of its own.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/alexedwards/scs/v2"
	"github.com/jackc/pgx/v5/pgxpool"

	"alumnet/internal/audit"
	"alumnet/internal/auth"
	"alumnet/internal/config"
	"alumnet/internal/consent"
	"alumnet/internal/erasure"
	"alumnet/internal/i18n"
	"alumnet/internal/jobs"
	"alumnet/internal/mail"
	"alumnet/internal/offboarding"
	"alumnet/internal/people"
	"alumnet/internal/portal"
	"alumnet/internal/retention"
	"alumnet/internal/sessions"
	"alumnet/internal/units"
)

// Deps is what the App is made of: the configuration, the log, the
// database, the sender of mail (SMTP, or the dev outbox) and the job
// queue on the same database.
type Deps struct {
	Config config.Config
	Log    *slog.Logger
	Pool   *pgxpool.Pool
	Mailer mail.Sender
	Jobs   *jobs.Jobs
}

// App is every capability of Alumnet over one database.
type App struct {
	Config config.Config
	Log    *slog.Logger
	// Mailer is how mail leaves (the job workers send through it).
	Mailer mail.Sender
	// Jobs enqueues background work in the caller's transaction and, in a
	// process that runs workers, does it.
	Jobs *jobs.Jobs
	// Policy decides which passwords are acceptable.
	Policy *auth.Policy

	Sessions    *sessions.Store
	Users       *auth.Store
	Units       *units.Store
	People      *people.Store
	Audit       *audit.Store
	Consent     *consent.Store
	Portal      *portal.Store
	Offboarding *offboarding.Store
	Retention   *retention.Store
	Mail        *mail.Store
	Outbox      *mail.Outbox
	// Eraser erases a person through every capability that holds their data.
	Eraser *erasure.Eraser

	pool *pgxpool.Pool
}

// One-off tasks that requests hand to the job queue: the answer to the
// request is the same whatever the task finds (whether the address has an
// account, whether it opens a portal).
const (
	TaskPasswordReset = "auth.password_reset"
	TaskPortalLogin   = "portal.login"
)

// New builds the App and registers its tasks with the job queue.
func New(d Deps) (*App, error) {
	if d.Jobs == nil {
		return nil, errors.New("app: no job queue")
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	policy, err := auth.NewPolicy()
	if err != nil {
		return nil, err
	}
	base := d.Config.BaseURL
	a := &App{Config: d.Config, Log: d.Log, Mailer: d.Mailer, Jobs: d.Jobs, Policy: policy, pool: d.Pool}
	a.Sessions = sessions.New(d.Pool, scs.GobCodec{})
	a.Users = auth.NewStore(d.Pool, auth.Options{BaseURL: base, Queue: d.Jobs, Sessions: a.Sessions})
	a.Units = units.NewStore(d.Pool)
	a.People = people.NewStore(d.Pool)
	a.Audit = audit.NewStore(d.Pool)
	a.Consent = consent.NewStore(d.Pool)
	a.Portal = portal.NewStore(d.Pool, a.Consent, a.Sessions, portal.LinkMails(base, d.Jobs))
	a.Offboarding = offboarding.NewStore(d.Pool, a.Portal, a.Consent, a.Users, d.Config.WorkDomains)
	a.Retention = retention.NewStore(d.Pool)
	a.Mail = mail.NewStore(d.Pool)
	a.Outbox = mail.NewOutbox(d.Pool)
	// Every part that holds personal data, in the order an erasure runs
	// them (the job queue's before the mail's, the registry's last).
	a.Eraser = erasure.New(d.Pool, a.Sessions.ErasurePart(), portal.ErasurePart(), jobs.ErasurePart(), mail.ErasurePart(),
		offboarding.ErasurePart(), consent.ErasurePart(), audit.ErasurePart(), people.ErasurePart())

	if err := d.Jobs.Handle(TaskPasswordReset, jobs.Decoded(a.Users.MailReset)); err != nil {
		return nil, err
	}
	if err := d.Jobs.Handle(TaskPortalLogin, jobs.Decoded(a.Portal.RequestLogin)); err != nil {
		return nil, err
	}
	return a, nil
}

// Ping reports whether the database answers.
func (a *App) Ping(ctx context.Context) error { return a.pool.Ping(ctx) }

// Schedule registers the periodic work with the job queue: at night the
// retention policy and clean-ups, early in the morning the reminders of
// offboarding tasks, later the yearly "are your details still right?"
// mails. Times are the organisation's.
func (a *App) Schedule() error {
	zone := i18n.Zone()
	for _, t := range []struct {
		name string
		at   jobs.Daily
		run  jobs.Task
	}{
		{"retention", jobs.Daily{Hour: 3, Location: zone}, a.RunRetention},
		{"cleanup", jobs.Daily{Hour: 4, Location: zone}, a.Cleanup},
		{"details-reminder", jobs.Daily{Hour: 10, Location: zone}, a.RemindStale},
		{"offboarding-reminders", jobs.Daily{Hour: 7, Location: zone}, a.RemindOffboarding},
	} {
		if err := a.Jobs.AddPeriodic(t.name, t.at, t.run); err != nil {
			return err
		}
	}
	return nil
}

// RunRetention carries the retention policy out (the nightly job).
func (a *App) RunRetention(ctx context.Context) error {
	n, err := a.Retention.Run(ctx, func(ctx context.Context, personID int64, reason string, stillDue erasure.Check) error {
		return a.Eraser.Erase(ctx, erasure.Request{PersonID: personID, By: erasure.ByRetention, Reason: reason}, stillDue)
	})
	if n > 0 {
		a.Log.Info("retention: anonymised", "people", n)
	}
	return err
}

// RemindStale asks people whose details were not confirmed for a year
// whether they are still right (the daily job).
func (a *App) RemindStale(ctx context.Context) error {
	n, err := a.Portal.RemindStale(ctx, 500)
	if n > 0 {
		a.Log.Info("asked to confirm details", "people", n)
	}
	return err
}

// RemindOffboarding mails assignees about tasks due in 7 or 2 days or
// overdue (the daily job).
func (a *App) RemindOffboarding(ctx context.Context) error {
	n, err := a.Offboarding.SendReminders(ctx, offboarding.Today(), offboarding.ReminderMails(a.Config.BaseURL, a.Jobs))
	if n > 0 {
		a.Log.Info("offboarding reminders", "sent", n)
	}
	return err
}

// Cleanup removes expired links, sessions, old rate-limit entries and old
// failed logins, and empties the mails of registrations nobody confirmed.
func (a *App) Cleanup(ctx context.Context) error {
	if err := a.Portal.Prune(ctx); err != nil {
		return fmt.Errorf("cleanup: %w", err)
	}
	if err := a.Mail.Forget(ctx, portal.UnconfirmedMails, portal.UnconfirmedMailDays); err != nil {
		return fmt.Errorf("cleanup: %w", err)
	}
	if err := a.Sessions.Prune(ctx); err != nil {
		return fmt.Errorf("cleanup: %w", err)
	}
	return a.Users.PruneLoginFailures(ctx)
}
