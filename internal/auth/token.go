package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"alumnet/internal/db"
)

// SetPasswordTTL is how long an invitation or reset link works.
const SetPasswordTTL = 72 * time.Hour

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
	token, hash := NewToken()
	var by *int64
	if createdBy != 0 {
		by = &createdBy
	}
	if _, err := tx.Exec(ctx, `UPDATE user_tokens SET used_at = now() WHERE user_id = $1 AND used_at IS NULL`, userID); err != nil {
		return "", fmt.Errorf("auth: create token for user %d: %w", userID, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO user_tokens (user_id, token_hash, purpose, expires_at, created_by)
		VALUES ($1, $2, 'set_password', now() + $3::interval, $4)`, userID, hash, SetPasswordTTL.String(), by); err != nil {
		return "", fmt.Errorf("auth: create token for user %d: %w", userID, err)
	}
	return token, nil
}

// SetPasswordTokenUser returns the user a valid token belongs to, without using it.
func (s *Store) SetPasswordTokenUser(ctx context.Context, token string) (User, error) {
	var userID int64
	err := s.pool.QueryRow(ctx, `SELECT t.user_id FROM user_tokens t JOIN users u ON u.id = t.user_id
		WHERE t.token_hash = $1 AND t.purpose = 'set_password' AND t.used_at IS NULL AND t.expires_at > now()
		  AND u.deactivated_at IS NULL`, HashToken(token)).Scan(&userID)
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, ErrTokenInvalid
	}
	if err != nil {
		return User{}, fmt.Errorf("auth: token: %w", err)
	}
	return s.UserByID(ctx, userID)
}

// UseSetPasswordToken sets the password hash through a token and uses the
// token up, in one transaction: a link works exactly once.
func (s *Store) UseSetPasswordToken(ctx context.Context, token, passwordHash string) (User, error) {
	var userID int64
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `UPDATE user_tokens t SET used_at = now()
			FROM users u
			WHERE u.id = t.user_id AND t.token_hash = $1 AND t.purpose = 'set_password'
			  AND t.used_at IS NULL AND t.expires_at > now() AND u.deactivated_at IS NULL
			RETURNING t.user_id`, HashToken(token)).Scan(&userID)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrTokenInvalid
		}
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE users SET password_hash = $2 WHERE id = $1`, userID, passwordHash)
		return err
	})
	if errors.Is(err, ErrTokenInvalid) {
		return User{}, err
	}
	if err != nil {
		return User{}, fmt.Errorf("auth: use token: %w", err)
	}
	return s.UserByID(ctx, userID)
}
