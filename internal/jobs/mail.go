package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"alumnet/internal/mail"
)

// MailArgs is the job that sends one delivery. It carries only the id: the
// message itself stays in mail_deliveries, where erasure can reach it.
type MailArgs struct {
	DeliveryID int64 `json:"delivery_id"`
}

// Kind names the job type in River's table.
func (MailArgs) Kind() string { return "mail" }

// InsertOpts puts mail jobs in their own queue, so a long mailing does not
// hold up other jobs.
func (MailArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: QueueMail} }

// SendMail enqueues m under key, inside tx: the delivery row (status
// queued, with its first log row) and the River job that sends it are
// committed together with the caller's change, or not at all. A key that
// was enqueued before is left alone, so that repeating the cause never
// sends twice; choose keys that name the cause ("invite:user:12:<token
// hash>", "mailing:7:person:42"). personID is the registry person the mail
// is for, 0 if none; erasure finds a person's mail by it.
//
// The message is checked here (mail.ErrInvalid), so a bad address fails
// the request that caused it rather than a job later.
func (j *Jobs) SendMail(ctx context.Context, tx pgx.Tx, key string, personID int64, m mail.Message) error {
	id, created, err := j.deliveries.Create(ctx, tx, key, personID, m)
	if err != nil || !created {
		return err
	}
	res, err := j.client.InsertTx(ctx, tx, MailArgs{DeliveryID: id}, &river.InsertOpts{MaxAttempts: j.maxAttempts})
	if err != nil {
		return fmt.Errorf("jobs: enqueue mail %q: %w", key, err)
	}
	return j.deliveries.SetJob(ctx, tx, id, res.Job.ID)
}

// mailWorker sends deliveries.
//
// Never twice: a delivery already marked sent is not sent again, whatever
// runs its job again (a retry, a rescued job, an admin's "retry now").
//
// The one window left is between the server accepting the message and the
// delivery being marked sent: if the process dies or the database is away
// right then, the job runs again after River rescues it and the mail goes
// out a second time. We chose "at least once" over "at most once" there,
// because a lost set-password link or magic link is worse than a duplicate,
// and the window is milliseconds wide. Both copies carry the same
// Message-ID (set once per delivery), so mail programs and servers that
// de-duplicate on it show one, and the copy is recognisable as such.
type mailWorker struct {
	river.WorkerDefaults[MailArgs]
	deliveries *mail.Store
	sender     mail.Sender
	log        *slog.Logger
	retryDelay func(attempt int) time.Duration
}

// NextRetry applies Options.RetryDelay; the zero time means River's default.
func (w *mailWorker) NextRetry(job *river.Job[MailArgs]) time.Time {
	if w.retryDelay == nil {
		return time.Time{}
	}
	return time.Now().Add(w.retryDelay(job.Attempt))
}

// Work sends one delivery.
func (w *mailWorker) Work(ctx context.Context, job *river.Job[MailArgs]) error {
	d, err := w.deliveries.Message(ctx, job.Args.DeliveryID)
	if errors.Is(err, mail.ErrNotFound) {
		return river.JobCancel(fmt.Errorf("delivery %d no longer exists", job.Args.DeliveryID))
	}
	if err != nil {
		return err
	}
	if d.Status == mail.StatusSent {
		return nil
	}
	if d.To == "" {
		// Erased before it went out: nothing to send, nobody to send it to.
		return river.JobCancel(fmt.Errorf("delivery %d was erased", d.ID))
	}
	log := w.log.With("delivery_id", d.ID, "attempt", job.Attempt)
	if err := w.sender.Send(ctx, d.Message()); err != nil {
		permanent := mail.IsPermanent(err)
		// The address is on the delivery; the log keeps only the reason,
		// so that erasing the delivery's columns erases the address.
		reason := strings.ReplaceAll(err.Error(), d.To, "<recipient>")
		if merr := w.deliveries.MarkFailed(ctx, d.ID, job.Attempt, reason); merr != nil {
			log.Error("mail delivery: record failure", "err", merr)
		}
		switch {
		case permanent:
			log.Warn("mail delivery refused; not trying again", "err", err)
			return river.JobCancel(err)
		case job.Attempt >= job.MaxAttempts:
			log.Error("mail delivery failed; giving up", "err", err)
		default:
			log.Warn("mail delivery failed; trying again later", "err", err)
		}
		return err
	}
	if err := w.markSent(ctx, d.ID, job.Attempt, senderName(w.sender)); err != nil {
		// The mail is out; returning the error retries the job, which then
		// sends a copy with the same Message-ID (see mailWorker).
		log.Error("mail delivery: sent, but not recorded as sent", "err", err)
		return err
	}
	log.Info("mail delivered")
	return nil
}

// markSent records the delivery as sent, trying a few times over a few
// seconds: failing here means sending the mail again.
func (w *mailWorker) markSent(ctx context.Context, id int64, attempt int, via string) error {
	ctx = context.WithoutCancel(ctx) // the mail is out; record it even when stopping
	var err error
	for i := range 5 {
		if err = w.deliveries.MarkSent(ctx, id, attempt, via); err == nil {
			return nil
		}
		time.Sleep(time.Duration(i+1) * 300 * time.Millisecond)
	}
	return err
}

func senderName(s mail.Sender) string {
	if st, ok := s.(fmt.Stringer); ok {
		return st.String()
	}
	return fmt.Sprintf("%T", s)
}
