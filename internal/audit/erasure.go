package audit

import (
	"context"

	"github.com/jackc/pgx/v5"

	"alumnet/internal/erasure"
)

// ErasurePart is the audit log's share of an erasure: entries about the
// person keep who did what when, not the details (old and new values may
// name them); the erasure itself gets an entry, saying on whose request.
func ErasurePart() erasure.Part {
	return erasure.Part{
		Name:       "audit",
		Categories: []string{"audit_details"},
		Erase: func(ctx context.Context, tx pgx.Tx, s erasure.Subject) error {
			if _, err := tx.Exec(ctx, `UPDATE audit_log SET details = '{"erased": true}' WHERE person_id = $1`, s.PersonID); err != nil {
				return err
			}
			return Write(ctx, tx, Record{ActorID: s.StaffUserID, Action: "person.erase", PersonID: s.PersonID, Entity: "person",
				EntityID: s.PersonID, Details: map[string]any{"by": s.By}})
		},
	}
}
