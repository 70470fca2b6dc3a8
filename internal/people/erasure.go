package people

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"

	"alumnet/internal/erasure"
)

// ErasedName is what an erased person's name becomes.
const ErasedName = "—"

// Mailbox is the mailbox an address delivers to: name+tag@domain is
// name@domain, in any case. Rate limits count per mailbox, and an erasure
// finds what was counted under it.
func Mailbox(email string) string {
	email = strings.ToLower(strings.TrimSpace(email))
	local, domain, ok := strings.Cut(email, "@")
	if !ok {
		return email
	}
	if i := strings.IndexByte(local, '+'); i > 0 {
		local = local[:i]
	}
	return local + "@" + domain
}

// ErasurePart is the registry's share of an erasure: the record stays
// (so that ledger rows, affiliations and statistics keep pointing
// somewhere) but names nobody and can no longer be changed; the
// addresses go; tags only this person had go (they may name them, "fan
// club of …"); roles in affiliations go. It runs last: other parts look
// the person up.
func ErasurePart() erasure.Part {
	return erasure.Part{
		Name:       "people",
		Categories: []string{"profile", "email_addresses", "tags", "affiliation_roles"},
		Addresses: func(ctx context.Context, tx pgx.Tx, personID int64) ([]string, error) {
			rows, err := tx.Query(ctx, `SELECT email FROM person_emails WHERE person_id = $1`, personID)
			if err != nil {
				return nil, err
			}
			return pgx.CollectRows(rows, pgx.RowTo[string])
		},
		Erase: func(ctx context.Context, tx pgx.Tx, s erasure.Subject) error {
			for _, st := range []struct {
				sql  string
				args []any
			}{
				{`UPDATE persons SET first_name = $2, last_name = $2, phone = '', city = '', employer = '', job_title = '', sector = '',
					linkedin_url = '', interests = '', offers = '{}', needs = '{}', open_to_return = false, details_confirmed_at = NULL,
					erased_at = now(), updated_at = now(), version = version + 1 WHERE id = $1`, []any{s.PersonID, ErasedName}},
				{`DELETE FROM person_emails WHERE person_id = $1`, []any{s.PersonID}},
				{`WITH gone AS (DELETE FROM person_tags WHERE person_id = $1 RETURNING tag_id)
					DELETE FROM tags t WHERE t.id IN (SELECT tag_id FROM gone)
					AND NOT EXISTS (SELECT 1 FROM person_tags pt WHERE pt.tag_id = t.id AND pt.person_id <> $1)`, []any{s.PersonID}},
				{`UPDATE affiliations SET role = '' WHERE person_id = $1`, []any{s.PersonID}},
			} {
				if _, err := tx.Exec(ctx, st.sql, st.args...); err != nil {
					return err
				}
			}
			return nil
		},
	}
}
