package offboarding

import (
	"context"

	"github.com/jackc/pgx/v5"

	"alumnet/internal/erasure"
)

// ErasurePart is the offboarding's share of an erasure: what the leaver
// said in the exit interview, the notes on their tasks, the personal
// address the invitation step collected; a case under way stops, so that
// nobody is reminded about a tombstone.
func ErasurePart() erasure.Part {
	return erasure.Part{
		Name:       "offboarding",
		Categories: []string{"exit_interview"},
		Addresses: func(ctx context.Context, tx pgx.Tx, personID int64) ([]string, error) {
			rows, err := tx.Query(ctx, `SELECT invitation_email FROM offboarding_cases WHERE person_id = $1 AND invitation_email IS NOT NULL`, personID)
			if err != nil {
				return nil, err
			}
			return pgx.CollectRows(rows, pgx.RowTo[string])
		},
		Erase: func(ctx context.Context, tx pgx.Tx, s erasure.Subject) error {
			for _, sql := range []string{
				`UPDATE exit_interviews SET highlights = '', improvements = '', takeaways = '', rehire_reason = '',
					rehire_eligibility = NULL, would_recommend = NULL, open_to_contact = NULL
				 WHERE case_id IN (SELECT id FROM offboarding_cases WHERE person_id = $1)`,
				`UPDATE offboarding_cases SET status = 'closed', closed_at = now() WHERE person_id = $1 AND status = 'open'`,
				`UPDATE offboarding_items SET note = '' WHERE note <> '' AND case_id IN (SELECT id FROM offboarding_cases WHERE person_id = $1)`,
				`UPDATE offboarding_cases SET invitation_email = NULL WHERE person_id = $1`,
			} {
				if _, err := tx.Exec(ctx, sql, s.PersonID); err != nil {
					return err
				}
			}
			return nil
		},
	}
}
