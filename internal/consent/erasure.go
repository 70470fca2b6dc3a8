package consent

import (
	"context"

	"github.com/jackc/pgx/v5"

	"alumnet/internal/erasure"
)

// ErasurePart is the ledger's share of an erasure: the rows stay, as
// evidence, pseudonymised (they keep the person's number, whose record no
// longer says who it was); their notes go (see EraseNotes).
func ErasurePart() erasure.Part {
	return erasure.Part{
		Name:       "consent",
		Categories: []string{"consent_notes"},
		Erase: func(ctx context.Context, tx pgx.Tx, s erasure.Subject) error {
			_, err := EraseNotes(ctx, tx, s.PersonID)
			return err
		},
	}
}
