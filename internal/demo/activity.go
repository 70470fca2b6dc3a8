package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// activity gives the generated registry a life beyond the records:
// permissions given at registration (a few withdrawn later) and a handful
// of offboardings under way, so that the portal, the ledger and the
// offboarding screens show something in `make run`. It is all SQL over
// what is already there, and as deterministic as the people (it follows
// their ids).
func (g *generator) activity(ctx context.Context, tx pgx.Tx, st *Stats) error {
	// About a third of the people with an address registered, with the
	// newsletter, events or vacancies ticked; one in 23 withdrew the
	// newsletter a year later.
	tag, err := tx.Exec(ctx, `
		INSERT INTO consent_ledger (person_id, purpose_id, basis, granted, text_id, source, by_person, at)
		SELECT p.id, cp.id, cp.lawful_basis, true, t.id, 'registration', true, p.created_at
		FROM persons p
		JOIN person_emails e ON e.person_id = p.id AND e.is_primary
		CROSS JOIN consent_purposes cp
		JOIN LATERAL (SELECT id FROM consent_texts WHERE purpose_id = cp.id ORDER BY version DESC LIMIT 1) t ON true
		WHERE cp.key IN ('newsletter', 'events', 'vacancies') AND (p.id * 7 + cp.id * 3) % 10 < 3`)
	if err != nil {
		return fmt.Errorf("demo: consents: %w", err)
	}
	st.Consents = int(tag.RowsAffected())
	tag, err = tx.Exec(ctx, `
		INSERT INTO consent_ledger (person_id, purpose_id, basis, granted, text_id, source, by_person, at)
		SELECT l.person_id, l.purpose_id, l.basis, false, l.text_id, 'portal', true, l.at + interval '1 year'
		FROM consent_ledger l JOIN consent_purposes cp ON cp.id = l.purpose_id
		WHERE cp.key = 'newsletter' AND l.person_id % 23 = 0 AND l.at + interval '1 year' < $1`, g.now)
	if err != nil {
		return fmt.Errorf("demo: withdrawals: %w", err)
	}
	st.Consents += int(tag.RowsAffected())
	if _, err := tx.Exec(ctx, `UPDATE persons p SET details_confirmed_at = p.created_at
		WHERE EXISTS (SELECT 1 FROM consent_ledger l WHERE l.person_id = p.id)`); err != nil {
		return fmt.Errorf("demo: confirmed details: %w", err)
	}

	// Twelve employees on their way out: leaving dates from two weeks ago
	// to six weeks ahead, so some tasks are overdue and some done.
	now := g.now.UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	tag, err = tx.Exec(ctx, `
		WITH leavers AS (
			SELECT DISTINCT ON (a.person_id) a.person_id, a.unit_id, a.id AS affiliation_id,
				row_number() OVER (ORDER BY a.person_id) AS n
			FROM affiliations a JOIN units u ON u.id = a.unit_id
			WHERE a.kind = 'employment' AND a.end_date IS NULL
			ORDER BY a.person_id, a.id
			LIMIT 12)
		INSERT INTO offboarding_cases (person_id, departure_type, unit_id, affiliation_id, leaving_date)
		SELECT person_id, (ARRAY['resignation', 'end_of_contract', 'retirement', 'resignation', 'reorganisation', 'resignation'])[1 + n % 6],
			unit_id, affiliation_id, $1::date + ((n * 5 - 14) || ' days')::interval
		FROM leavers`, today)
	if err != nil {
		return fmt.Errorf("demo: offboarding cases: %w", err)
	}
	st.Cases = int(tag.RowsAffected())
	if _, err := tx.Exec(ctx, `
		INSERT INTO offboarding_items (case_id, template_item_id, title_nl, title_en, description_nl, description_en,
			responsible_role, kind, required, due_date, position, status, done_at)
		SELECT c.id, i.id, i.title_nl, i.title_en, i.description_nl, i.description_en, i.responsible_role, i.kind, i.required,
			c.leaving_date + i.due_offset_days, i.position,
			CASE WHEN c.leaving_date + i.due_offset_days < $1::date - 3 THEN 'done' ELSE 'open' END,
			CASE WHEN c.leaving_date + i.due_offset_days < $1::date - 3 THEN c.leaving_date + i.due_offset_days END
		FROM offboarding_cases c JOIN checklist_items i ON i.departure_type = c.departure_type AND i.archived_at IS NULL`, today); err != nil {
		return fmt.Errorf("demo: offboarding items: %w", err)
	}
	return nil
}
