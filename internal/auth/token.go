package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"alumnet/internal/db"
)

// How long a link works: an invitation to set a first password, and a
// link to reset a forgotten one (short: it opens an account that exists).
const (
	SetPasswordTTL   = 72 * time.Hour
	ResetPasswordTTL = time.Hour
)

// Link purposes.
const (
	PurposeSetPassword   = "set_password"
	PurposeResetPassword = "reset_password"
)

// ErrTokenInvalid means the link is unknown, expired or already used.
var ErrTokenInvalid = errors.New("auth: link invalid, expired or used")

// NewToken returns a random URL-safe token and the hash to store.
func NewToken() (token string, hash []byte) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// HashToken is how tokens are stored: only their SHA-256.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// CreateSetPasswordToken makes a one-time link for userID and returns the
// token to put in it. Earlier unused links of the user stop working.
func (s *Store) CreateSetPasswordToken(ctx context.Context, userID, createdBy int64) (string, error) {
	var token string
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		token, err = CreateSetPasswordTokenTx(ctx, tx, userID, createdBy)
		return err
	})
	return token, err
}

// CreateSetPasswordTokenTx is CreateSetPasswordToken inside tx, so that the
// mail carrying the link is enqueued in the same transaction.
func CreateSetPasswordTokenTx(ctx context.Context, tx pgx.Tx, userID, createdBy int64) (string, error) {
	return createPasswordToken(ctx, tx, PurposeSetPassword, SetPasswordTTL, userID, createdBy)
}

// CreateResetTokenTx makes a one-time link to reset the password of
// userID, inside tx with the mail that carries it. Earlier unused links of
// the user stop working.
func CreateResetTokenTx(ctx context.Context, tx pgx.Tx, userID, createdBy int64) (string, error) {
	return createPasswordToken(ctx, tx, PurposeResetPassword, ResetPasswordTTL, userID, createdBy)
}

func createPasswordToken(ctx context.Context, tx pgx.Tx, purpose string, ttl time.Duration, userID, createdBy int64) (string, error) {
	token, hash := NewToken()
	if _, err := tx.Exec(ctx, `UPDATE user_tokens SET used_at = now()
		WHERE user_id = $1 AND used_at IS NULL AND purpose IN ('set_password', 'reset_password')`, userID); err != nil {
		return "", fmt.Errorf("auth: create token for user %d: %w", userID, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO user_tokens (user_id, token_hash, purpose, expires_at, created_by)
		VALUES ($1, $2, $3, now() + $4::interval, $5)`, userID, hash, purpose, ttl.String(), db.NullID(createdBy)); err != nil {
		return "", fmt.Errorf("auth: create token for user %d: %w", userID, err)
	}
	return token, nil
}

// SetPasswordTokenUser returns the user a valid set-password or reset link
// belongs to, and the link's purpose, without using it.
func (s *Store) SetPasswordTokenUser(ctx context.Context, token string) (User, string, error) {
	var userID int64
	var purpose string
	err := s.pool.QueryRow(ctx, `SELECT t.user_id, t.purpose FROM user_tokens t JOIN users u ON u.id = t.user_id
		WHERE t.token_hash = $1 AND t.purpose IN ('set_password', 'reset_password') AND t.used_at IS NULL AND t.expires_at > now()
		  AND u.deactivated_at IS NULL`, HashToken(token)).Scan(&userID, &purpose)
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, "", ErrTokenInvalid
	}
	if err != nil {
		return User{}, "", fmt.Errorf("auth: token: %w", err)
	}
	u, err := s.UserByID(ctx, userID)
	return u, purpose, err
}

// UseSetPasswordToken sets the password hash through a set-password or
// reset link and uses the link up, in one transaction: a link works
// exactly once. The account's failed logins are forgotten (the link proved
// the mailbox). It returns the user and the link's purpose.
func (s *Store) UseSetPasswordToken(ctx context.Context, token, passwordHash string) (User, string, error) {
	var userID int64
	var purpose string
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `UPDATE user_tokens t SET used_at = now()
			FROM users u
			WHERE u.id = t.user_id AND t.token_hash = $1 AND t.purpose IN ('set_password', 'reset_password')
			  AND t.used_at IS NULL AND t.expires_at > now() AND u.deactivated_at IS NULL
			RETURNING t.user_id, t.purpose`, HashToken(token)).Scan(&userID, &purpose)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrTokenInvalid
		}
		if err != nil {
			return err
		}
		// The link went to the account's address: it is proved.
		if _, err := tx.Exec(ctx, `UPDATE users SET email_proved_at = now() WHERE id = $1`, userID); err != nil {
			return err
		}
		return setPassword(ctx, tx, userID, passwordHash)
	})
	if errors.Is(err, ErrTokenInvalid) {
		return User{}, "", err
	}
	if err != nil {
		return User{}, "", fmt.Errorf("auth: use token: %w", err)
	}
	u, err := s.UserByID(ctx, userID)
	return u, purpose, err
}

// setPassword stores a new hash; unused set-password and reset links stop
// working and failed logins of the account are forgotten.
func setPassword(ctx context.Context, tx pgx.Tx, userID int64, hash string) error {
	var email string
	if err := tx.QueryRow(ctx, `UPDATE users SET password_hash = $2 WHERE id = $1 RETURNING email`, userID, hash).Scan(&email); err != nil {
		return err
	}

	if _, err := tx.Exec(ctx, `UPDATE user_tokens SET used_at = now()
		WHERE user_id = $1 AND used_at IS NULL AND purpose IN ('set_password', 'reset_password')`, userID); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `DELETE FROM login_failures WHERE key = $1`, "acct:"+email)
	return err
}

// ChangePassword stores a new password hash for a signed-in user, who
// gave the current one (CheckCurrentPassword).
func (s *Store) ChangePassword(ctx context.Context, userID int64, hash string) error {
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error { return setPassword(ctx, tx, userID, hash) })
	if err != nil {
		return fmt.Errorf("auth: change password %d: %w", userID, err)
	}
	return nil
}

// EmailRevertTTL is how long the link in the notice to a replaced
// address undoes the change.
const EmailRevertTTL = 14 * 24 * time.Hour

// emailChange is what an undo link restores.
type emailChange struct {
	Old string `json:"old"`
	New string `json:"new"`
}

// Undo is a link for an address a change took away: To gets a notice with
// Token, which undoes the change.
type Undo struct {
	To, Token string
}

// ChangeEmailTx gives the user a new address inside tx: links to set or
// reset the password stop working (they went to the old address), and the
// new address is unproved until a link sent there is used. The old
// address, when it was proved, gets a link that undoes the change; so
// does the address of an earlier change whose undo link is still open (a
// second change cannot hide the first). It returns the old address and
// the undo links to send.
func ChangeEmailTx(ctx context.Context, tx pgx.Tx, userID int64, email string, by int64) (string, []Undo, error) {
	email = NormalizeEmail(email)
	var old string
	var proved bool
	if err := tx.QueryRow(ctx, `SELECT email, email_proved_at IS NOT NULL FROM users WHERE id = $1 FOR UPDATE`, userID).Scan(&old, &proved); errors.Is(err, pgx.ErrNoRows) {
		return "", nil, ErrNotFound
	} else if err != nil {
		return "", nil, fmt.Errorf("auth: change address of %d: %w", userID, err)
	}
	if old == email {
		return "", nil, nil
	}
	err := pgx.BeginFunc(ctx, tx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE users SET email = $2, email_proved_at = NULL WHERE id = $1`, userID, email)
		return err
	})
	if db.IsUniqueViolation(err, "users_email_idx") {
		return "", nil, ErrEmailTaken
	}
	if err != nil {
		return "", nil, fmt.Errorf("auth: change address of %d: %w", userID, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE user_tokens SET used_at = now()
		WHERE user_id = $1 AND used_at IS NULL AND purpose IN ('set_password', 'reset_password')`, userID); err != nil {
		return "", nil, fmt.Errorf("auth: change address of %d: %w", userID, err)
	}
	var to []string
	if proved {
		to = append(to, old)
	}
	rows, err := tx.Query(ctx, `UPDATE user_tokens SET used_at = now()
		WHERE user_id = $1 AND purpose = 'email_revert' AND used_at IS NULL AND expires_at > now() RETURNING payload->>'old'`, userID)
	if err != nil {
		return "", nil, fmt.Errorf("auth: change address of %d: %w", userID, err)
	}
	earlier, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return "", nil, fmt.Errorf("auth: change address of %d: %w", userID, err)
	}
	var undos []Undo
	for _, a := range append(to, earlier...) {
		if a == email || slices.ContainsFunc(undos, func(u Undo) bool { return u.To == a }) {
			continue
		}
		token, hash := NewToken()
		if _, err := tx.Exec(ctx, `INSERT INTO user_tokens (user_id, token_hash, purpose, expires_at, created_by, payload)
			VALUES ($1, $2, 'email_revert', now() + $3::interval, $4, $5)`, userID, hash, EmailRevertTTL.String(), db.NullID(by),
			emailChange{Old: a, New: email}); err != nil {
			return "", nil, fmt.Errorf("auth: change address of %d: %w", userID, err)
		}
		undos = append(undos, Undo{To: a, Token: token})
	}
	return old, undos, nil
}

// EmailRevertUser returns the user an undo link is for, without using it.
func (s *Store) EmailRevertUser(ctx context.Context, token string) (User, error) {
	var userID int64
	err := s.pool.QueryRow(ctx, `SELECT user_id FROM user_tokens
		WHERE token_hash = $1 AND purpose = 'email_revert' AND used_at IS NULL AND expires_at > now()`, HashToken(token)).Scan(&userID)
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, ErrTokenInvalid
	}
	if err != nil {
		return User{}, fmt.Errorf("auth: undo link: %w", err)
	}
	return s.UserByID(ctx, userID)
}

// RevertEmail uses an undo link: while the user's address is still the
// one the change gave, the old one (proved by this click) comes back, and
// links to set or reset the password stop working. The caller ends the
// account's sessions.
func (s *Store) RevertEmail(ctx context.Context, token string) (User, error) {
	var userID int64
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var ch emailChange
		err := tx.QueryRow(ctx, `UPDATE user_tokens SET used_at = now()
			WHERE token_hash = $1 AND purpose = 'email_revert' AND used_at IS NULL AND expires_at > now()
			RETURNING user_id, payload`, HashToken(token)).Scan(&userID, &ch)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrTokenInvalid
		}
		if err != nil {
			return err
		}
		err = pgx.BeginFunc(ctx, tx, func(tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, `UPDATE users SET email = $2, email_proved_at = now() WHERE id = $1 AND email = $3`, userID, ch.Old, ch.New)
			if err == nil && tag.RowsAffected() == 0 {
				return ErrTokenInvalid // changed again, or undone already
			}
			return err
		})
		if db.IsUniqueViolation(err, "users_email_idx") {
			return ErrEmailTaken
		}
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE user_tokens SET used_at = now() WHERE user_id = $1 AND used_at IS NULL`, userID)
		return err
	})
	if errors.Is(err, ErrTokenInvalid) || errors.Is(err, ErrEmailTaken) {
		return User{}, err
	}
	if err != nil {
		return User{}, fmt.Errorf("auth: undo address change: %w", err)
	}
	return s.UserByID(ctx, userID)
}
