package mail

import (
	"context"

	"github.com/jackc/pgx/v5"

	"alumnet/internal/erasure"
)

// DeliveryIDsOf returns the deliveries to the person or to one of their
// addresses (a registration's mail has no person yet), inside an erasure.
func DeliveryIDsOf(ctx context.Context, tx pgx.Tx, personID int64, addresses []string) ([]int64, error) {
	var ids []int64
	err := tx.QueryRow(ctx, `SELECT coalesce(array_agg(id), '{}') FROM mail_deliveries WHERE person_id = $1 OR to_address = ANY($2)`,
		personID, addresses).Scan(&ids)
	return ids, err
}

// ErasurePart is the mail's share of an erasure: the delivery log keeps
// that a mail went, not to whom or what it said; error texts (a mail
// server's answer may quote the address) go too; mail not sent yet is not
// sent any more; the dev outbox forgets the person's mail.
func ErasurePart() erasure.Part {
	return erasure.Part{
		Name:       "mail",
		Categories: []string{"mail"},
		Addresses: func(ctx context.Context, tx pgx.Tx, personID int64) ([]string, error) {
			rows, err := tx.Query(ctx, `SELECT DISTINCT to_address FROM mail_deliveries WHERE person_id = $1 AND to_address <> ''`, personID)
			if err != nil {
				return nil, err
			}
			return pgx.CollectRows(rows, pgx.RowTo[string])
		},
		Erase: func(ctx context.Context, tx pgx.Tx, s erasure.Subject) error {
			ids, err := DeliveryIDsOf(ctx, tx, s.PersonID, s.Addresses)
			if err != nil {
				return err
			}
			for _, st := range []struct {
				sql string
				arg any
			}{
				{`UPDATE mail_deliveries SET status = CASE WHEN status = 'sent' THEN status ELSE 'failed' END,
					to_address = '', subject = '', text_body = '', html_body = '', headers = '{}',
					last_error = CASE WHEN status = 'sent' THEN '' ELSE 'erased' END
				  WHERE id = ANY($1)`, ids},
				{`UPDATE mail_delivery_log SET detail = '' WHERE delivery_id = ANY($1) AND detail <> ''`, ids},
				{`DELETE FROM mail_outbox WHERE to_address = ANY($1)`, s.Addresses},
			} {
				if _, err := tx.Exec(ctx, st.sql, st.arg); err != nil {
					return err
				}
			}
			return nil
		},
	}
}
