package auth

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Throttling limits: within Window, at most AccountLimit failures for one
// address and IPLimit failures from one client address.
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

// Authenticate checks an address and password, applying the throttle for
// the account and the client address ip.
func (s *Store) Authenticate(ctx context.Context, email, password, ip string) (User, error) {
	email = NormalizeEmail(email)
	keys := []string{"acct:" + email, "ip:" + ip}
	if wait, err := s.throttled(ctx, keys); err != nil {
		return User{}, err
	} else if wait > 0 {
		return User{}, &ThrottledError{RetryAfter: wait}
	}
	u, err := s.UserByEmail(ctx, email)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return User{}, err
	}
	hash := s.dummyHash
	if err == nil && u.PasswordHash != nil {
		hash = *u.PasswordHash
	}
	ok, herr := CheckPassword(hash, password)
	if herr != nil || !ok || err != nil || u.PasswordHash == nil || !u.Active() {
		if _, ferr := s.pool.Exec(ctx, `INSERT INTO login_failures (key) SELECT unnest($1::text[])`, keys); ferr != nil {
			return User{}, fmt.Errorf("auth: record failure: %w", ferr)
		}
		return User{}, ErrBadCredentials
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM login_failures WHERE key = $1`, keys[0]); err != nil {
		return User{}, fmt.Errorf("auth: clear failures: %w", err)
	}
	if _, err := s.pool.Exec(ctx, `UPDATE users SET last_login_at = now() WHERE id = $1`, u.ID); err != nil {
		return User{}, fmt.Errorf("auth: last login: %w", err)
	}
	return u, nil
}

// throttled returns how long the caller must wait, or 0.
func (s *Store) throttled(ctx context.Context, keys []string) (time.Duration, error) {
	var wait time.Duration
	for i, key := range keys {
		limit := AccountLimit
		if i == 1 {
			limit = IPLimit
		}
		var n int
		var oldest *time.Time
		err := s.pool.QueryRow(ctx, `
			SELECT count(*), min(at) FROM (
				SELECT at FROM login_failures WHERE key = $1 AND at > now() - $2::interval
				ORDER BY at DESC LIMIT $3) f`, key, ThrottleWindow.String(), limit).Scan(&n, &oldest)
		if err != nil {
			return 0, fmt.Errorf("auth: throttle: %w", err)
		}
		if n >= limit && oldest != nil {
			if w := time.Until(oldest.Add(ThrottleWindow)); w > wait {
				wait = w
			}
		}
	}
	return wait, nil
}

// PruneLoginFailures removes failures older than the throttle window.
func (s *Store) PruneLoginFailures(ctx context.Context) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM login_failures WHERE at < now() - $1::interval`, ThrottleWindow.String())
	return err
}
