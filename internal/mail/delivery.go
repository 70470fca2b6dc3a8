package mail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"alumnet/internal/db"
	"alumnet/internal/i18n"
)

// Delivery states: a delivery is queued until its job has sent it; failed
// after an attempt that did not succeed (the job tries again until it gives
// up); sent once a server (or the dev outbox) accepted it.
const (
	StatusQueued = "queued"
	StatusSent   = "sent"
	StatusFailed = "failed"
)

// Statuses lists the delivery states in display order.
var Statuses = []string{StatusQueued, StatusFailed, StatusSent}

// maxDetail caps an error text in the delivery log.
const maxDetail = 2000

// Delivery is one outgoing mail and how far it got.
type Delivery struct {
	ID        int64      `db:"id"`
	Key       string     `db:"key"`
	PersonID  *int64     `db:"person_id"`
	MessageID string     `db:"message_id"`
	To        string     `db:"to_address"`
	Subject   string     `db:"subject"`
	Lang      string     `db:"language"`
	Status    string     `db:"status"`
	Attempts  int        `db:"attempts"`
	LastError string     `db:"last_error"`
	JobID     *int64     `db:"job_id"`
	CreatedAt time.Time  `db:"created_at"`
	SentAt    *time.Time `db:"sent_at"`
	// JobState and NextAttempt come from River's job row while it exists:
	// a failed delivery whose job is "retryable" is tried again at
	// NextAttempt; one whose job is "discarded" or "cancelled" was given up.
	JobState    *string    `db:"job_state"`
	NextAttempt *time.Time `db:"next_attempt"`
}

// Retrying reports whether the job will try a failed delivery again.
func (d Delivery) Retrying() bool {
	if d.JobState == nil {
		return false
	}
	switch *d.JobState {
	case "available", "pending", "retryable", "running", "scheduled":
		return true
	}
	return false
}

// DeliveryMessage is a delivery with the message it sends.
type DeliveryMessage struct {
	Delivery
	Text    string            `db:"text_body"`
	HTML    string            `db:"html_body"`
	Headers map[string]string `db:"headers"`
}

// Message is the message the delivery sends, with its stable Message-ID.
func (d DeliveryMessage) Message() Message {
	lang, _ := i18n.Parse(d.Lang)
	return Message{To: d.To, Subject: d.Subject, Text: d.Text, HTML: d.HTML, Headers: d.Headers, Lang: lang, ID: d.MessageID}
}

// LogEntry is one event in a delivery's log.
type LogEntry struct {
	ID      int64     `db:"id"`
	At      time.Time `db:"at"`
	Status  string    `db:"status"`
	Attempt int       `db:"attempt"`
	Detail  string    `db:"detail"`
}

// Store reads and changes the mail_deliveries table and its log. The
// job queue (internal/jobs) enqueues and works deliveries through it; the
// admin pages list them.
type Store struct{ pool *pgxpool.Pool }

// NewStore returns a Store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Create stores m as a queued delivery under key, with its first log row,
// inside tx. A key that exists already is left alone: created is false and
// nothing is written. personID 0 means the mail is not to a person in the
// registry (a staff user, say).
func (s *Store) Create(ctx context.Context, tx pgx.Tx, key string, personID int64, m Message) (id int64, created bool, err error) {
	if err := m.Validate(); err != nil {
		return 0, false, err
	}
	if key == "" || len(key) > 200 {
		return 0, false, fmt.Errorf("%w: delivery key must be 1 to 200 bytes", ErrInvalid)
	}
	lang, _ := i18n.Parse(string(m.Lang))
	headers := m.Headers
	if headers == nil {
		headers = map[string]string{}
	}
	b, err := json.Marshal(headers)
	if err != nil {
		return 0, false, fmt.Errorf("mail: delivery headers: %w", err)
	}
	var person *int64
	if personID != 0 {
		person = &personID
	}
	err = tx.QueryRow(ctx, `
		INSERT INTO mail_deliveries (key, person_id, message_id, to_address, subject, text_body, html_body, headers, language)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (key) DO NOTHING
		RETURNING id`, key, person, NewMessageID(), m.To, m.Subject, m.Text, m.HTML, b, string(lang)).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("mail: create delivery %q: %w", key, err)
	}
	if err := addLog(ctx, tx, id, StatusQueued, 0, ""); err != nil {
		return 0, false, err
	}
	return id, true, nil
}

// SetJob records the job that sends delivery id.
func (s *Store) SetJob(ctx context.Context, q db.Querier, id, jobID int64) error {
	if _, err := q.Exec(ctx, `UPDATE mail_deliveries SET job_id = $2 WHERE id = $1`, id, jobID); err != nil {
		return fmt.Errorf("mail: delivery %d: set job: %w", id, err)
	}
	return nil
}

func addLog(ctx context.Context, q db.Querier, id int64, status string, attempt int, detail string) error {
	if _, err := q.Exec(ctx, `INSERT INTO mail_delivery_log (delivery_id, status, attempt, detail) VALUES ($1, $2, $3, $4)`,
		id, status, attempt, truncate(detail, maxDetail)); err != nil {
		return fmt.Errorf("mail: delivery %d: log %s: %w", id, status, err)
	}
	return nil
}

// MarkSent records that attempt delivered id; via names the sender. The
// bodies and headers are blanked: nothing needs them any more, and the
// links in them (set-password, log-in, unsubscribe) work like passwords
// until they expire. Recipient and subject stay for the log.
func (s *Store) MarkSent(ctx context.Context, id int64, attempt int, via string) error {
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE mail_deliveries
			SET status = 'sent', sent_at = now(), attempts = greatest(attempts, $2), last_error = '',
			    text_body = '', html_body = '', headers = '{}'
			WHERE id = $1`, id, attempt); err != nil {
			return fmt.Errorf("mail: delivery %d: mark sent: %w", id, err)
		}
		return addLog(ctx, tx, id, StatusSent, attempt, via)
	})
}

// MarkFailed records that attempt could not deliver id, and why. A
// delivery that was sent already stays sent.
func (s *Store) MarkFailed(ctx context.Context, id int64, attempt int, reason string) error {
	reason = truncate(reason, maxDetail)
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE mail_deliveries
			SET status = 'failed', attempts = greatest(attempts, $2), last_error = $3
			WHERE id = $1 AND status <> 'sent'`, id, attempt, reason); err != nil {
			return fmt.Errorf("mail: delivery %d: mark failed: %w", id, err)
		}
		return addLog(ctx, tx, id, StatusFailed, attempt, reason)
	})
}

// deliveryColumns are the columns of Delivery; river_job is River's table
// (left joined: its rows are removed some days after a job finished).
const deliveryColumns = `d.id, d.key, d.person_id, d.message_id, d.to_address, d.subject, d.language, d.status,
	d.attempts, d.last_error, d.job_id, d.created_at, d.sent_at,
	j.state::text AS job_state, CASE WHEN j.state IN ('retryable', 'scheduled', 'available') THEN j.scheduled_at END AS next_attempt`

// Message returns delivery id with its message, for the worker.
func (s *Store) Message(ctx context.Context, id int64) (DeliveryMessage, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+deliveryColumns+`, d.text_body, d.html_body, d.headers
		FROM mail_deliveries d LEFT JOIN river_job j ON j.id = d.job_id
		WHERE d.id = $1`, id)
	if err != nil {
		return DeliveryMessage{}, fmt.Errorf("mail: delivery %d: %w", id, err)
	}
	d, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[DeliveryMessage])
	if errors.Is(err, pgx.ErrNoRows) {
		return DeliveryMessage{}, ErrNotFound
	}
	if err != nil {
		return DeliveryMessage{}, fmt.Errorf("mail: delivery %d: %w", id, err)
	}
	return d, nil
}

// ByKey returns the delivery stored under key.
func (s *Store) ByKey(ctx context.Context, key string) (DeliveryMessage, error) {
	var id int64
	err := s.pool.QueryRow(ctx, `SELECT id FROM mail_deliveries WHERE key = $1`, key).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return DeliveryMessage{}, ErrNotFound
	}
	if err != nil {
		return DeliveryMessage{}, fmt.Errorf("mail: delivery %q: %w", key, err)
	}
	return s.Message(ctx, id)
}

// List returns up to limit deliveries older than beforeID (0: the newest),
// newest first, optionally only those with status, and whether there are
// more.
func (s *Store) List(ctx context.Context, status string, beforeID int64, limit int) ([]Delivery, bool, error) {
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	rows, err := s.pool.Query(ctx, `SELECT `+deliveryColumns+`
		FROM mail_deliveries d LEFT JOIN river_job j ON j.id = d.job_id
		WHERE ($1 = '' OR d.status = $1) AND ($2::bigint = 0 OR d.id < $2::bigint)
		ORDER BY d.id DESC
		LIMIT $3`, status, beforeID, limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("mail: deliveries: %w", err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[Delivery])
	if err != nil {
		return nil, false, fmt.Errorf("mail: deliveries: %w", err)
	}
	more := len(list) > limit
	if more {
		list = list[:limit]
	}
	return list, more, nil
}

// Log returns the log of delivery id, oldest first.
func (s *Store) Log(ctx context.Context, id int64) ([]LogEntry, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, at, status, attempt, detail
		FROM mail_delivery_log WHERE delivery_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("mail: delivery %d: log: %w", id, err)
	}
	log, err := pgx.CollectRows(rows, pgx.RowToStructByName[LogEntry])
	if err != nil {
		return nil, fmt.Errorf("mail: delivery %d: log: %w", id, err)
	}
	return log, nil
}

// Unfinished counts the deliveries that still have work ahead: queued, or
// failed with a job that will try again.
func (s *Store) Unfinished(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*)
		FROM mail_deliveries d LEFT JOIN river_job j ON j.id = d.job_id
		WHERE d.status = 'queued'
		   OR (d.status = 'failed' AND j.state IN ('available', 'pending', 'retryable', 'running', 'scheduled'))`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("mail: unfinished deliveries: %w", err)
	}
	return n, nil
}

// truncate cuts s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// Forget empties the mails under key prefix that are to nobody on record
// and older than days: no address, subject or text is kept of them (the
// confirmation of a registration nobody confirmed, see portal).
func (s *Store) Forget(ctx context.Context, prefix string, days int) error {
	if _, err := s.pool.Exec(ctx, `UPDATE mail_deliveries d SET to_address = '', subject = '', text_body = '', html_body = '', headers = '{}'
		WHERE d.person_id IS NULL AND d.to_address <> '' AND d.created_at < now() - make_interval(days => $2)
		  AND starts_with(d.key, $1)`, prefix, days); err != nil {
		return fmt.Errorf("mail: forget %s: %w", prefix, err)
	}
	return nil
}
