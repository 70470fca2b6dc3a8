package portal

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"alumnet/internal/consent"
	"alumnet/internal/db"
)

// ErrBadSignature means an unsubscribe link was not made by this app.
var ErrBadSignature = errors.New("portal: unsubscribe link not valid")

// secret returns the app-wide key called name, creating it on first use.
// It lives in the database so that every app process signs alike.
func (s *Store) secret(ctx context.Context, name string) ([]byte, error) {
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, err
	}
	var key []byte
	// DO UPDATE (to the same name) returns the row that won, also when two
	// processes make the first one at the same moment.
	err := s.pool.QueryRow(ctx, `INSERT INTO app_secrets (name, value) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING value`, name, fresh).Scan(&key)
	if err != nil {
		return nil, fmt.Errorf("portal: secret %s: %w", name, err)
	}
	return key, nil
}

func sign(key []byte, msg string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// UnsubscribeToken returns the token for a one-click unsubscribe link for
// one person and purpose. It does not expire: a mail may be read late.
func (s *Store) UnsubscribeToken(ctx context.Context, personID int64, purposeKey string) (string, error) {
	key, err := s.secret(ctx, "unsubscribe")
	if err != nil {
		return "", err
	}
	msg := strconv.FormatInt(personID, 10) + "." + purposeKey
	return msg + "." + sign(key, msg), nil
}

// VerifyUnsubscribe checks a token and returns its person and purpose.
func (s *Store) VerifyUnsubscribe(ctx context.Context, token string) (int64, string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return 0, "", ErrBadSignature
	}
	id, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil {
		return 0, "", ErrBadSignature
	}
	key, err := s.secret(ctx, "unsubscribe")
	if err != nil {
		return 0, "", err
	}
	if !hmac.Equal([]byte(sign(key, parts[0]+"."+parts[1])), []byte(parts[2])) {
		return 0, "", ErrBadSignature
	}
	return id, parts[1], nil
}

// Unsubscribe withdraws the purpose named in a valid token. It reports
// whether a withdrawal was written (false when it was not granted).
func (s *Store) Unsubscribe(ctx context.Context, token string) (bool, error) {
	personID, key, err := s.VerifyUnsubscribe(ctx, token)
	if err != nil {
		return false, err
	}
	purpose, err := s.consent.PurposeByKey(ctx, key)
	if err != nil {
		return false, ErrBadSignature
	}
	d, err := s.consent.MayUse(ctx, personID, key)
	if err != nil {
		return false, err
	}
	if !d.Allowed {
		return false, nil
	}
	err = db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		_, err := s.consent.Record(ctx, tx, consent.Entry{PersonID: personID, PurposeID: purpose.ID, Granted: false,
			Source: consent.SourceUnsubscribe, ByPerson: true})
		return err
	})
	return err == nil, err
}
