package mail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrNotFound means there is no such message in the outbox.
var ErrNotFound = errors.New("mail: message not found")

// Outbox is the development sender: it stores every message in the
// mail_outbox table instead of delivering it, so that a fresh install can
// invite users without an SMTP server and admins can read what was sent.
type Outbox struct{ pool *pgxpool.Pool }

// NewOutbox returns an Outbox on pool.
func NewOutbox(pool *pgxpool.Pool) *Outbox { return &Outbox{pool: pool} }

// String names the sender in the delivery log.
func (o *Outbox) String() string { return "dev outbox" }

// Send stores m.
func (o *Outbox) Send(ctx context.Context, m Message) error {
	if err := m.Validate(); err != nil {
		return err
	}
	headers := m.Headers
	if headers == nil {
		headers = map[string]string{}
	}
	b, err := json.Marshal(headers)
	if err != nil {
		return fmt.Errorf("mail: outbox headers: %w", err)
	}
	if _, err := o.pool.Exec(ctx, `INSERT INTO mail_outbox (to_address, subject, text_body, html_body, headers)
		VALUES ($1, $2, $3, $4, $5)`, m.To, m.Subject, m.Text, m.HTML, b); err != nil {
		return fmt.Errorf("mail: outbox to %s: %w", m.To, err)
	}
	return nil
}

// Summary is one stored message as the outbox list shows it.
type Summary struct {
	ID        int64     `db:"id"`
	CreatedAt time.Time `db:"created_at"`
	To        string    `db:"to_address"`
	Subject   string    `db:"subject"`
}

// Stored is one stored message with its bodies and headers.
type Stored struct {
	Summary
	Text    string            `db:"text_body"`
	HTML    string            `db:"html_body"`
	Headers map[string]string `db:"headers"`
}

// List returns up to limit messages older than beforeID (0: the newest),
// newest first, and whether there are more.
func (o *Outbox) List(ctx context.Context, beforeID int64, limit int) ([]Summary, bool, error) {
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	rows, err := o.pool.Query(ctx, `
		SELECT id, created_at, to_address, subject
		FROM mail_outbox
		WHERE $1::bigint = 0 OR id < $1::bigint
		ORDER BY id DESC
		LIMIT $2`, beforeID, limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("mail: outbox list: %w", err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[Summary])
	if err != nil {
		return nil, false, fmt.Errorf("mail: outbox list: %w", err)
	}
	more := len(list) > limit
	if more {
		list = list[:limit]
	}
	return list, more, nil
}

// ByID returns one stored message.
func (o *Outbox) ByID(ctx context.Context, id int64) (Stored, error) {
	rows, err := o.pool.Query(ctx, `
		SELECT id, created_at, to_address, subject, text_body, html_body, headers
		FROM mail_outbox WHERE id = $1`, id)
	if err != nil {
		return Stored{}, fmt.Errorf("mail: outbox message %d: %w", id, err)
	}
	m, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Stored])
	if errors.Is(err, pgx.ErrNoRows) {
		return Stored{}, ErrNotFound
	}
	if err != nil {
		return Stored{}, fmt.Errorf("mail: outbox message %d: %w", id, err)
	}
	return m, nil
}
