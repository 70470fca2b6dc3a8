// Package portal is the alumnus' side of Alumnet: registering with double
// opt-in, logging in by e-mail link, keeping their own details, their
// permissions, taking their data along and erasing it. It holds the rules;
// the handlers in internal/server render the pages and mails.
package portal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"alumnet/internal/auth"
	"alumnet/internal/consent"
	"alumnet/internal/db"
	"alumnet/internal/sessions"
)

// Link purposes and how long each link works.
const (
	PurposeRegister    = "register"
	PurposeLogin       = "login"
	PurposeEmailChange = "email_change"
	PurposeInvite      = "invite"
	// PurposeConfirmDetails is the one-click "still correct" link of the
	// yearly mail; it confirms the details and logs nobody in.
	PurposeConfirmDetails = "confirm_details"
	// PurposeEmailRevert is the "this was not me" link in the notice to an
	// address that was replaced.
	PurposeEmailRevert = "email_revert"
)

// TTL is how long a link of each purpose works.
var TTL = map[string]time.Duration{
	PurposeRegister:       24 * time.Hour,
	PurposeLogin:          15 * time.Minute,
	PurposeEmailChange:    24 * time.Hour,
	PurposeInvite:         14 * 24 * time.Hour,
	PurposeConfirmDetails: 30 * 24 * time.Hour,
	PurposeEmailRevert:    14 * 24 * time.Hour,
}

// Errors.
var (
	// ErrLinkInvalid means a link is unknown, expired or already used.
	ErrLinkInvalid = errors.New("portal: link invalid, expired or used")
	// ErrNotFound means there is no such (unerased) person.
	ErrNotFound = errors.New("portal: person not found")
	// ErrEmailTaken means another person already has the address.
	ErrEmailTaken = errors.New("portal: e-mail address belongs to someone else")
	// ErrCaution means the person left after a dismissal or a conflict and
	// no one confirmed that an invitation is wanted.
	ErrCaution = errors.New("portal: invitation needs the offboarding's confirmation")
	// ErrJoined means the person proved another address than the one an
	// invitation would go to: they log in with that one, and change
	// addresses themselves.
	ErrJoined = errors.New("portal: the person proved another address")
	// ErrAddressInUse means a registration's address belongs to a record
	// whose person proved another address.
	ErrAddressInUse = errors.New("portal: the address belongs to a record with another proved address")
)

// Store holds the portal's rules over the database.
type Store struct {
	pool     *pgxpool.Pool
	consent  *consent.Store
	sessions *sessions.Store
	send     Sender
}

// NewStore returns a Store. The portal's sessions are in ss; send queues
// its link mails (LinkMails, in the app).
func NewStore(pool *pgxpool.Pool, cs *consent.Store, ss *sessions.Store, send Sender) *Store {
	return &Store{pool: pool, consent: cs, sessions: ss, send: send}
}

// Mail is a link mail, written (LinkMails) and queued inside the
// transaction that made the link, so that the mail goes out only if the
// link exists.
type Mail struct {
	Kind     string // a link purpose; "known" for a registration of a known address
	To       string
	PersonID int64 // 0 for a registration not yet confirmed
	Name     string
	Lang     string
	Token    string // goes into the link
	TokenID  int64  // unique per link, for the mail's idempotency key
	// AskedAt and AskedFrom say when and from roughly where a login link
	// was asked for, so that a reader who did not ask notices.
	AskedAt   time.Time
	AskedFrom string
	// NewAddress is the address that replaced To (PurposeEmailRevert).
	NewAddress string
}

// MailEmailReverted is the notice (without a link) to an address that a
// "this was not me" took out again.
const MailEmailReverted = "email_reverted"

// Sender writes m and queues it within tx.
type Sender func(ctx context.Context, tx pgx.Tx, m Mail) error

// Token is a stored link.
type Token struct {
	ID        int64
	PersonID  int64
	Email     string
	Purpose   string
	Payload   json.RawMessage
	ExpiresAt time.Time
}

// createToken stores a new link and returns its token and id.
func createToken(ctx context.Context, q db.Querier, purpose string, personID int64, email string, payload any) (string, int64, error) {
	token, hash := auth.NewToken()
	b, err := json.Marshal(payload)
	if err != nil {
		return "", 0, err
	}
	if payload == nil {
		b = []byte("{}")
	}
	var pid *int64
	if personID != 0 {
		pid = &personID
	}
	var id int64
	err = q.QueryRow(ctx, `INSERT INTO person_tokens (person_id, email, purpose, token_hash, payload, expires_at)
		VALUES ($1, $2, $3, $4, $5, now() + $6::interval) RETURNING id`,
		pid, email, purpose, hash, b, TTL[purpose].String()).Scan(&id)
	if err != nil {
		return "", 0, fmt.Errorf("portal: create %s link: %w", purpose, err)
	}
	return token, id, nil
}

const tokenColumns = `id, coalesce(person_id, 0), email, purpose, payload, expires_at`

func scanToken(row pgx.Row) (Token, error) {
	var t Token
	err := row.Scan(&t.ID, &t.PersonID, &t.Email, &t.Purpose, &t.Payload, &t.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Token{}, ErrLinkInvalid
	}
	return t, err
}

// Peek returns a valid link without using it (to show the page behind it:
// mail scanners open links, so only a POST uses one).
func (s *Store) Peek(ctx context.Context, purpose, token string) (Token, error) {
	return scanToken(s.pool.QueryRow(ctx, `SELECT `+tokenColumns+` FROM person_tokens
		WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()`, auth.HashToken(token), purpose))
}

// useToken marks a valid link used and returns it; a second use fails.
// What the link may still do (log in only through a proved address, an
// invitation only to the address it may prove) is the caller's check,
// inside tx: a refusal rolls the use back.
func useToken(ctx context.Context, tx pgx.Tx, purpose, token string) (Token, error) {
	return scanToken(tx.QueryRow(ctx, `UPDATE person_tokens SET used_at = now()
		WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()
		RETURNING `+tokenColumns, auth.HashToken(token), purpose))
}

// expireLinks makes the person's unused links of the given purposes stop
// working (all purposes when none are given), except the one with id keep.
func expireLinks(ctx context.Context, tx pgx.Tx, personID, keep int64, purposes ...string) error {
	_, err := tx.Exec(ctx, `UPDATE person_tokens SET used_at = now()
		WHERE person_id = $1 AND id <> $2 AND used_at IS NULL AND (coalesce(cardinality($3::text[]), 0) = 0 OR purpose = ANY($3))`,
		personID, keep, purposes)
	return err
}

// Allow records an attempt in bucket for key and reports whether it is
// within limit attempts per window. Every app process shares the count.
func (s *Store) Allow(ctx context.Context, bucket, key string, limit int, window time.Duration) (bool, error) {
	var n int
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		// One counter per bucket and key at a time.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1 || ':' || $2, 0))`, bucket, key); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM rate_events WHERE bucket = $1 AND key = $2 AND at > now() - $3::interval`,
			bucket, key, window.String()).Scan(&n); err != nil {
			return err
		}
		if n >= limit {
			return nil
		}
		_, err := tx.Exec(ctx, `INSERT INTO rate_events (bucket, key) VALUES ($1, $2)`, bucket, key)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("portal: rate limit: %w", err)
	}
	return n < limit, nil
}

// The confirmation mail of a registration nobody confirmed keeps its
// address for a week ("without confirmation we keep nothing"): mail's
// Forget empties the mails under this key prefix after that.
const (
	UnconfirmedMails    = "portal." + PurposeRegister + "."
	UnconfirmedMailDays = 7
)

// Prune removes used and expired links and old rate-limit entries.
func (s *Store) Prune(ctx context.Context) error {
	if _, err := s.pool.Exec(ctx, `UPDATE person_tokens SET payload = '{}' WHERE used_at IS NOT NULL AND payload <> '{}'`); err != nil {
		return fmt.Errorf("portal: prune link data: %w", err)
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM person_tokens WHERE expires_at < now() - interval '7 days'`); err != nil {
		return fmt.Errorf("portal: prune links: %w", err)
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM rate_events WHERE at < now() - interval '1 day'`); err != nil {
		return fmt.Errorf("portal: prune rate events: %w", err)
	}
	return nil
}
