// Package jobs runs the background work of Alumnet on River
// (github.com/riverqueue/river), a job queue in PostgreSQL: jobs are rows
// inserted in the same transaction as the change that causes them, so a
// rolled-back change leaves no job behind and a committed one is never
// without its job: outgoing mail (SendMail). Periodic tasks (the yearly
// "are your details still right?" mail, retention, clean-ups) run on a
// schedule (AddPeriodic).
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"alumnet/internal/mail"
)

// Queues.
const (
	// QueueMail holds one job per outgoing mail.
	QueueMail = "mail"
)

// Defaults for Options.
const (
	DefaultMailWorkers = 4
	// DefaultMaxAttempts with River's backoff (attempt⁴ seconds, with
	// jitter) keeps trying for about eleven hours: long enough to outlast
	// a mail server's maintenance window or a night.
	DefaultMaxAttempts = 12
)

// Options tune the job client. The zero value is right for production.
type Options struct {
	// MailWorkers is how many mails one process sends at the same time.
	MailWorkers int
	// MaxAttempts is how often a mail is tried before it is given up.
	MaxAttempts int
	// FetchPollInterval is how often workers look for jobs when no
	// notification arrives. New jobs are announced with LISTEN/NOTIFY and
	// picked up at once; this is the fallback (River's default: 1s).
	FetchPollInterval time.Duration
	// FetchCooldown is the least time between two fetches (River's
	// default: 100ms).
	FetchCooldown time.Duration
	// RetryDelay gives the wait before attempt+1 after a failed attempt;
	// nil is River's exponential backoff. Tests make it short.
	RetryDelay func(attempt int) time.Duration
	// PollOnly does without LISTEN/NOTIFY, for a connection pooler in
	// transaction mode (PgBouncer); jobs then wait up to FetchPollInterval.
	PollOnly bool
}

// Jobs owns the River client: it enqueues jobs inside the caller's
// transaction and, once started, works them.
type Jobs struct {
	pool        *pgxpool.Pool // River's own
	client      *river.Client[pgx.Tx]
	deliveries  *mail.Store
	log         *slog.Logger
	maxAttempts int
	periodic    *periodicWorker
	tasks       *taskWorker
}

// New makes the job client on pool; sender delivers mail (SMTP, or the dev
// outbox). Workers only run after Start; enqueueing works before.
func New(pool *pgxpool.Pool, sender mail.Sender, log *slog.Logger, opts Options) (*Jobs, error) {
	if sender == nil {
		return nil, errors.New("jobs: no mail sender")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.MailWorkers <= 0 {
		opts.MailWorkers = DefaultMailWorkers
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	if opts.FetchCooldown == 0 && opts.FetchPollInterval > 0 && opts.FetchPollInterval < river.FetchCooldownDefault {
		opts.FetchCooldown = opts.FetchPollInterval // River wants cooldown ≤ poll interval
	}
	// River and the workers get a small pool of their own: River keeps a
	// connection for LISTEN, and a burst of mail must not take the
	// connections that web requests need. SendMail runs in the caller's
	// transaction, on the app's pool.
	cfg := pool.Config().Copy()
	cfg.MaxConns = int32(opts.MailWorkers + 3)
	cfg.MinConns = 0
	own, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return nil, fmt.Errorf("jobs: pool: %w", err)
	}
	j := &Jobs{pool: own, deliveries: mail.NewStore(own), log: log, maxAttempts: opts.MaxAttempts}

	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &mailWorker{deliveries: j.deliveries, sender: sender, log: log, retryDelay: opts.RetryDelay}); err != nil {
		own.Close()
		return nil, fmt.Errorf("jobs: %w", err)
	}
	j.periodic = &periodicWorker{tasks: map[string]Task{}}
	if err := river.AddWorkerSafely(workers, j.periodic); err != nil {
		own.Close()
		return nil, fmt.Errorf("jobs: %w", err)
	}
	j.tasks = &taskWorker{handlers: map[string]Handler{}}
	if err := river.AddWorkerSafely(workers, j.tasks); err != nil {
		own.Close()
		return nil, fmt.Errorf("jobs: %w", err)
	}
	client, err := river.NewClient(riverpgxv5.New(own), &river.Config{
		Queues: map[string]river.QueueConfig{
			QueueMail:          {MaxWorkers: opts.MailWorkers},
			river.QueueDefault: {MaxWorkers: 2},
		},
		Workers:           workers,
		MaxAttempts:       opts.MaxAttempts,
		FetchPollInterval: opts.FetchPollInterval,
		FetchCooldown:     opts.FetchCooldown,
		PollOnly:          opts.PollOnly,
		// A job runs at most a minute (River's JobTimeout); one still
		// "running" after five was lost with its process and runs again.
		RescueStuckJobsAfter: 5 * time.Minute,
		// River reports at info level what our own log already says.
		Logger: slog.New(minLevel{log.Handler(), slog.LevelWarn}),
	})
	if err != nil {
		own.Close()
		return nil, fmt.Errorf("jobs: %w", err)
	}
	j.client = client
	return j, nil
}

// Start runs the workers until Stop. Cancelling ctx does not stop them:
// Stop lets running jobs finish, which a cancelled context would not.
func (j *Jobs) Start(ctx context.Context) error {
	if err := j.client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	return nil
}

// Stop fetches no more jobs and waits for the running ones until ctx ends;
// then it cancels them (they run again after a restart). It closes the
// job client's connections, also when Start was never called.
func (j *Jobs) Stop(ctx context.Context) error {
	defer j.pool.Close()
	err := j.client.Stop(ctx)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
		return err
	}
	j.log.Warn("jobs: running jobs did not finish in time; cancelling them")
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	return j.client.StopAndCancel(cctx)
}

// WaitIdle returns when no task and no delivery has work left (none
// queued, none failed with a retry ahead), or with ctx's error. Tests call
// it before they look at the mail that was sent.
func (j *Jobs) WaitIdle(ctx context.Context) error {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		var tasks int
		if err := j.pool.QueryRow(ctx, `SELECT count(*) FROM river_job
			WHERE kind = 'task' AND state NOT IN ('completed', 'cancelled', 'discarded')`).Scan(&tasks); err != nil {
			return fmt.Errorf("jobs: unfinished tasks: %w", err)
		}
		n, err := j.deliveries.Unfinished(ctx)
		if err != nil {
			return err
		}
		n += tasks
		if n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("jobs: %d deliveries unfinished: %w", n, ctx.Err())
		case <-t.C:
		}
	}
}

// RetryNow makes the job of a failed delivery run at once instead of at its
// next scheduled attempt (or again, after it was given up).
func (j *Jobs) RetryNow(ctx context.Context, jobID int64) error {
	if _, err := j.client.JobRetry(ctx, jobID); err != nil {
		if errors.Is(err, rivertype.ErrNotFound) {
			return mail.ErrNotFound
		}
		return fmt.Errorf("jobs: retry %d: %w", jobID, err)
	}
	return nil
}

// minLevel drops records below a level.
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(as []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(as), h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{h.Handler.WithGroup(name), h.min}
}
