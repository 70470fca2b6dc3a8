package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"alumnet/internal/db"
)

// Throttling limits: within Window, at most AccountLimit failed attempts
// for one address and IPLimit from one client address.
const (
	ThrottleWindow = 15 * time.Minute
	AccountLimit   = 5
	IPLimit        = 30
)

// ErrBadCredentials is returned for a wrong address, a wrong password, an
// account without a password and a deactivated account alike, so the
// answer does not reveal which addresses exist.
var ErrBadCredentials = errors.New("auth: bad credentials")

// ThrottledError says that logins are refused for a while.
type ThrottledError struct{ RetryAfter time.Duration }

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("auth: too many failed logins, retry after %s", e.RetryAfter)
}

// Attempt is the outcome of a login attempt, for the audit log.
type Attempt struct {
	// UserID is the account the address belongs to, 0 when unknown.
	UserID int64
	// Reason says why a login failed: "password", "unknown", "inactive",
	// "no_password" or "throttled"; "" on success.
	Reason string
}

// Authenticate checks an address and password, applying the throttle for
// the account and the client address ip. Every attempt takes a place in
// both counts before the password is looked at, under a lock per count, so
// that a burst of parallel guesses is counted in full: once a count is full
// the rest are refused without a check, a right password among them too.
// A right password gives its place back and clears the account's count.
func (s *Store) Authenticate(ctx context.Context, email, password, ip string) (User, Attempt, error) {
	email = NormalizeEmail(email)
	u, err := s.UserByEmail(ctx, email)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return User{}, Attempt{}, err
	}
	att := Attempt{UserID: u.ID}
	keys := []string{"acct:" + email, "ip:" + ip}
	ids, wait, err := s.reserve(ctx, keys, []int{AccountLimit, IPLimit})
	if err != nil {
		return User{}, att, err
	}
	if wait > 0 {
		att.Reason = "throttled"
		return User{}, att, &ThrottledError{RetryAfter: wait}
	}
	hash := s.dummyHash
	if u.PasswordHash != nil {
		hash = *u.PasswordHash
	}
	ok, herr := s.hasher.Check(ctx, hash, password)
	switch {
	case herr != nil && ctx.Err() != nil:
		return User{}, att, herr
	case u.ID == 0:
		att.Reason = "unknown"
	case u.PasswordHash == nil:
		att.Reason = "no_password"
	case herr != nil || !ok:
		att.Reason = "password"
	case !u.Active():
		att.Reason = "inactive"
	}
	if att.Reason != "" {
		return User{}, att, ErrBadCredentials // the places taken stay as failures
	}
	err = db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM login_failures WHERE key = $1 OR id = ANY($2)`, keys[0], ids); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE users SET last_login_at = now() WHERE id = $1`, u.ID)
		return err
	})
	if err != nil {
		return User{}, att, fmt.Errorf("auth: login: %w", err)
	}
	return u, att, nil
}

// reserve takes a place in each count (key with its limit), atomically: it
// locks the counts (in key order, so two attempts never deadlock), and
// either records an attempt in every count or, when one is full, in none
// and says how long until a place frees up.
func (s *Store) reserve(ctx context.Context, keys []string, limits []int) ([]int64, time.Duration, error) {
	order := make([]int, len(keys))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		if keys[a] < keys[b] {
			return -1
		}
		return 1
	})
	var ids []int64
	var wait time.Duration
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		for _, i := range order {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('login:' || $1, 0))`, keys[i]); err != nil {
				return err
			}
		}
		for i, key := range keys {
			var n int
			var oldest *time.Time
			err := tx.QueryRow(ctx, `
				SELECT count(*), min(at) FROM (
					SELECT at FROM login_failures WHERE key = $1 AND at > now() - $2::interval
					ORDER BY at DESC LIMIT $3) f`, key, ThrottleWindow.String(), limits[i]).Scan(&n, &oldest)
			if err != nil {
				return err
			}
			if n >= limits[i] && oldest != nil {
				if w := time.Until(oldest.Add(ThrottleWindow)); w > wait {
					wait = max(w, time.Second)
				}
			}
		}
		if wait > 0 {
			return nil
		}
		rows, err := tx.Query(ctx, `INSERT INTO login_failures (key) SELECT unnest($1::text[]) RETURNING id`, keys)
		if err != nil {
			return err
		}
		ids, err = pgx.CollectRows(rows, pgx.RowTo[int64])
		return err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("auth: throttle: %w", err)
	}
	return ids, wait, nil
}

// CheckCurrentPassword checks the password of a signed-in user (before a
// password change), counted in the same throttle as logins.
func (s *Store) CheckCurrentPassword(ctx context.Context, userID int64, password, ip string) error {
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	_, _, err = s.Authenticate(ctx, u.Email, password, ip)
	return err
}

// PruneLoginFailures removes failures older than the throttle window.
func (s *Store) PruneLoginFailures(ctx context.Context) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM login_failures WHERE at < now() - $1::interval`, ThrottleWindow.String())
	return err
}
