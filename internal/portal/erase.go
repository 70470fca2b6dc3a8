package portal

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"alumnet/internal/audit"
	"alumnet/internal/consent"
	"alumnet/internal/db"
)

// Who asked for an erasure.
const (
	ErasedByPerson    = "person"
	ErasedByStaff     = "staff"
	ErasedByRetention = "retention"
)

// ErasedName is what an erased person's name becomes.
const ErasedName = "—"

// erasedCategories are the kinds of data an erasure removes, as the
// tombstone lists them.
var erasedCategories = []string{"profile", "email_addresses", "tags", "affiliation_roles", "links",
	"audit_details", "consent_notes", "mail", "exit_interview"}

// Step is part of an erasure that lives elsewhere (the sessions), run in
// the erasure's transaction.
type Step func(ctx context.Context, tx pgx.Tx, personID int64) error

// Erase anonymises a person everywhere and keeps a tombstone: the record
// stays (so that ledger rows, affiliations and statistics keep pointing
// somewhere) but names nobody. Ledger rows stay, pseudonymised: they keep
// the person's number, whose record no longer says who it was. The extra
// steps run first in the same transaction; an error of one undoes all.
func (s *Service) Erase(ctx context.Context, personID int64, by string, staffUserID int64, reason string, extra ...Step) error {
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var erased bool
		err := tx.QueryRow(ctx, `SELECT erased_at IS NOT NULL FROM persons WHERE id = $1 FOR UPDATE`, personID).Scan(&erased)
		if errors.Is(err, pgx.ErrNoRows) || erased {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		// The other parts, with the record locked and before anything is
		// anonymised (a step may still refuse: the retention check).
		for _, step := range extra {
			if err := step(ctx, tx, personID); err != nil {
				return fmt.Errorf("portal: erase %d: %w", personID, err)
			}
		}
		// Every address the person had: their addresses now, those of
		// their links (a pending new address) and of mail sent to them. A
		// registration's link and mail carry the address it was made with.
		var emails []string
		if err := tx.QueryRow(ctx, `SELECT coalesce(array_agg(DISTINCT e), '{}') FROM (
				SELECT email AS e FROM person_emails WHERE person_id = $1
				UNION SELECT email FROM person_tokens WHERE person_id = $1
				UNION SELECT to_address FROM mail_deliveries WHERE person_id = $1 AND to_address <> ''
				UNION SELECT invitation_email FROM offboarding_cases WHERE person_id = $1 AND invitation_email IS NOT NULL) x`,
			personID).Scan(&emails); err != nil {
			return err
		}
		steps := []struct {
			sql  string
			args []any
		}{
			{`UPDATE persons SET first_name = $2, last_name = $2, phone = '', city = '', employer = '', job_title = '', sector = '',
				linkedin_url = '', interests = '', offers = '{}', needs = '{}', open_to_return = false, details_confirmed_at = NULL,
				erased_at = now(), updated_at = now(), version = version + 1 WHERE id = $1`, []any{personID, ErasedName}},
			{`DELETE FROM person_emails WHERE person_id = $1`, []any{personID}},
			// Tags only this person had may name them ("fan club of …").
			{`WITH gone AS (DELETE FROM person_tags WHERE person_id = $1 RETURNING tag_id)
				DELETE FROM tags t WHERE t.id IN (SELECT tag_id FROM gone)
				AND NOT EXISTS (SELECT 1 FROM person_tags pt WHERE pt.tag_id = t.id AND pt.person_id <> $1)`, []any{personID}},
			{`UPDATE affiliations SET role = '' WHERE person_id = $1`, []any{personID}},
			{`DELETE FROM person_tokens WHERE person_id = $1 OR email = ANY($2)`, []any{personID, emails}},
			{`DELETE FROM rate_events WHERE key = ANY($1)`, []any{emails}},
			{`UPDATE audit_log SET details = '{"erased": true}' WHERE person_id = $1`, []any{personID}},
			{`DELETE FROM mail_outbox WHERE to_address = ANY($1)`, []any{emails}},
			// What the leaver said in the exit interview, notes on their
			// offboarding, the personal address it collected.
			{`UPDATE exit_interviews SET highlights = '', improvements = '', takeaways = '', rehire_reason = '',
					rehire_eligibility = NULL, would_recommend = NULL, open_to_contact = NULL
				WHERE case_id IN (SELECT id FROM offboarding_cases WHERE person_id = $1)`, []any{personID}},
			// An offboarding under way stops: nobody is reminded about a tombstone.
			{`UPDATE offboarding_cases SET status = 'closed', closed_at = now() WHERE person_id = $1 AND status = 'open'`, []any{personID}},
			{`UPDATE offboarding_items SET note = '' WHERE note <> '' AND case_id IN (SELECT id FROM offboarding_cases WHERE person_id = $1)`, []any{personID}},
			{`UPDATE offboarding_cases SET invitation_email = NULL WHERE person_id = $1`, []any{personID}},
		}
		for _, st := range steps {
			if _, err := tx.Exec(ctx, st.sql, st.args...); err != nil {
				return fmt.Errorf("portal: erase %d: %w", personID, err)
			}
		}
		if _, err := consent.EraseNotes(ctx, tx, personID); err != nil {
			return err
		}
		if err := eraseMail(ctx, tx, personID, emails); err != nil {
			return err
		}
		var staff *int64
		if staffUserID != 0 {
			staff = &staffUserID
		}
		if _, err := tx.Exec(ctx, `INSERT INTO erasures (person_id, requested_by, staff_user_id, categories, reason) VALUES ($1, $2, $3, $4, $5)`,
			personID, by, staff, erasedCategories, reason); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Record{ActorID: staffUserID, Action: "person.erase", PersonID: personID, Entity: "person",
			EntityID: personID, Details: map[string]any{"by": by}})
	})
}

// eraseMail blanks the person's mails in the delivery log: it keeps that
// a mail went, not to whom or what it said. Error texts (a mail server's
// answer may quote the address) go too, in the log and in the jobs.
func eraseMail(ctx context.Context, tx pgx.Tx, personID int64, emails []string) error {
	var ids []int64
	err := tx.QueryRow(ctx, `WITH d AS (
			UPDATE mail_deliveries SET to_address = '', subject = '', text_body = '', html_body = '', headers = '{}', last_error = ''
			WHERE person_id = $1 OR to_address = ANY($2) RETURNING id)
		SELECT coalesce(array_agg(id), '{}') FROM d`, personID, emails).Scan(&ids)
	if err != nil {
		return fmt.Errorf("portal: erase mail of %d: %w", personID, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE mail_delivery_log SET detail = '' WHERE delivery_id = ANY($1) AND detail <> ''`, ids); err != nil {
		return fmt.Errorf("portal: erase mail log of %d: %w", personID, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE river_job SET errors = NULL
		WHERE kind = 'mail' AND errors IS NOT NULL AND (args->>'delivery_id')::bigint = ANY($1)`, ids); err != nil {
		return fmt.Errorf("portal: erase mail jobs of %d: %w", personID, err)
	}
	// Tasks queued with one of the addresses (a login link asked for) lose
	// it, and do not run any more.
	if _, err := tx.Exec(ctx, `UPDATE river_job SET args = jsonb_set(args, '{payload}', '{}'),
			finalized_at = CASE WHEN state IN ('available', 'scheduled', 'retryable', 'pending') THEN now() ELSE finalized_at END,
			state = CASE WHEN state IN ('available', 'scheduled', 'retryable', 'pending') THEN 'cancelled' ELSE state END
		WHERE kind = 'task' AND lower(args->'payload'->>'email') = ANY($1)`, emails); err != nil {
		return fmt.Errorf("portal: erase tasks of %d: %w", personID, err)
	}
	// Mail not sent yet is not sent any more.
	if _, err := tx.Exec(ctx, `UPDATE mail_deliveries SET status = 'failed', last_error = 'erased'
		WHERE id = ANY($1) AND status <> 'sent'`, ids); err != nil {
		return fmt.Errorf("portal: cancel mail of %d: %w", personID, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE river_job SET state = 'cancelled', finalized_at = now()
		WHERE kind = 'mail' AND state IN ('available', 'scheduled', 'retryable', 'pending')
		  AND (args->>'delivery_id')::bigint = ANY($1)`, ids); err != nil {
		return fmt.Errorf("portal: cancel mail jobs of %d: %w", personID, err)
	}
	return nil
}
