package portal

import (
	"context"

	"github.com/jackc/pgx/v5"

	"alumnet/internal/erasure"
	"alumnet/internal/people"
)

// ErasurePart is the portal's share of an erasure: the person's links
// (also those to a pending new address) and what the rate limits counted
// under their addresses.
func ErasurePart() erasure.Part {
	return erasure.Part{
		Name:       "portal",
		Categories: []string{"links"},
		Addresses: func(ctx context.Context, tx pgx.Tx, personID int64) ([]string, error) {
			rows, err := tx.Query(ctx, `SELECT DISTINCT email FROM person_tokens WHERE person_id = $1`, personID)
			if err != nil {
				return nil, err
			}
			return pgx.CollectRows(rows, pgx.RowTo[string])
		},
		Erase: func(ctx context.Context, tx pgx.Tx, s erasure.Subject) error {
			if _, err := tx.Exec(ctx, `DELETE FROM person_tokens WHERE person_id = $1 OR email = ANY($2)`, s.PersonID, s.Addresses); err != nil {
				return err
			}
			keys := append([]string{}, s.Addresses...)
			for _, a := range s.Addresses {
				keys = append(keys, people.Mailbox(a))
			}
			_, err := tx.Exec(ctx, `DELETE FROM rate_events WHERE key = ANY($1)`, keys)
			return err
		},
	}
}
