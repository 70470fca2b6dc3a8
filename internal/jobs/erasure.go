package jobs

import (
	"context"

	"github.com/jackc/pgx/v5"

	"alumnet/internal/erasure"
	"alumnet/internal/mail"
)

// ErasurePart is the job queue's share of an erasure: the jobs of the
// person's mail lose their error texts (a mail server's answer may quote
// the address) and those not run yet are cancelled; tasks queued with one
// of their addresses (a login link asked for) lose it and do not run. It
// runs before the mail's part, which blanks the addresses it looks for.
func ErasurePart() erasure.Part {
	const pending = `('available', 'scheduled', 'retryable', 'pending')`
	return erasure.Part{
		Name:       "jobs",
		Categories: []string{"queued_work"},
		Erase: func(ctx context.Context, tx pgx.Tx, s erasure.Subject) error {
			ids, err := mail.DeliveryIDsOf(ctx, tx, s.PersonID, s.Addresses)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE river_job SET errors = NULL,
					finalized_at = CASE WHEN state IN `+pending+` THEN now() ELSE finalized_at END,
					state = CASE WHEN state IN `+pending+` THEN 'cancelled' ELSE state END
				WHERE kind = 'mail' AND (args->>'delivery_id')::bigint = ANY($1)`, ids); err != nil {
				return err
			}
			_, err = tx.Exec(ctx, `UPDATE river_job SET args = jsonb_set(args, '{payload}', '{}'),
					finalized_at = CASE WHEN state IN `+pending+` THEN now() ELSE finalized_at END,
					state = CASE WHEN state IN `+pending+` THEN 'cancelled' ELSE state END
				WHERE kind = 'task' AND lower(args->'payload'->>'email') = ANY($1)`, s.Addresses)
			return err
		},
	}
}
