package portal

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"alumnet/internal/consent"
	"alumnet/internal/db"
	"alumnet/internal/people"
)

// staleSQL finds people to ask "are your details still right?": not
// erased, with an address, a purpose that lets us contact them (the
// consent rule: a grant that holds, or legitimate interest without an
// objection; a directory listing or a published story alone is no
// invitation to mail), details not confirmed for a year, and not asked in
// the last year either.
var staleSQL = `
SELECT p.id, p.first_name, p.language, e.email
FROM persons p
JOIN person_emails e ON e.person_id = p.id AND e.is_primary
WHERE p.erased_at IS NULL
  AND coalesce(p.details_confirmed_at, p.created_at) < now() - interval '1 year'
  AND (p.details_reminded_at IS NULL OR p.details_reminded_at < now() - interval '1 year')
  AND EXISTS (SELECT 1 FROM consent_purposes cp
	WHERE cp.key NOT IN ('directory', 'story_publication') AND ` + consent.PersonAllowsSQL("p.id", "cp") + `)
ORDER BY p.id
LIMIT $1`

// RemindStale mails up to limit people whose details were not confirmed
// for a year a one-click "still correct" link, each in its own
// transaction with its mail. It returns how many were asked.
func (s *Store) RemindStale(ctx context.Context, limit int) (int, error) {
	rows, err := s.pool.Query(ctx, staleSQL, limit)
	if err != nil {
		return 0, fmt.Errorf("portal: stale details: %w", err)
	}
	type due struct {
		id                int64
		name, lang, email string
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (due, error) {
		var d due
		return d, r.Scan(&d.id, &d.name, &d.lang, &d.email)
	})
	if err != nil {
		return 0, fmt.Errorf("portal: stale details: %w", err)
	}
	n := 0
	for _, d := range list {
		asked := false
		err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
			if ok, err := people.MarkAsked(ctx, tx, d.id); err != nil || !ok {
				return err // asked meanwhile by another process
			}
			token, tid, err := createToken(ctx, tx, PurposeConfirmDetails, d.id, d.email, nil)
			if err != nil {
				return err
			}
			asked = true
			return s.send(ctx, tx, Mail{Kind: PurposeConfirmDetails, To: d.email, PersonID: d.id, Name: d.name, Lang: d.lang, Token: token, TokenID: tid})
		})
		if err != nil {
			return n, fmt.Errorf("portal: remind %d: %w", d.id, err)
		}
		if asked {
			n++
		}
	}
	return n, nil
}

// ConfirmDetailsByLink uses the link from the yearly mail: the details
// count as confirmed. It returns whose they are.
func (s *Store) ConfirmDetailsByLink(ctx context.Context, token string) (int64, error) {
	var personID int64
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		t, err := useToken(ctx, tx, PurposeConfirmDetails, token)
		if err != nil {
			return err
		}
		personID = t.PersonID
		if err := people.ConfirmDetails(ctx, tx, personID); errors.Is(err, people.ErrNotFound) {
			return ErrLinkInvalid
		} else if err != nil {
			return err
		}
		return nil
	})
	return personID, err
}
