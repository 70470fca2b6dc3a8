// Package retention keeps personal data no longer than needed: people who
// gave no permission, on whom the organisation has no legitimate interest,
// and of whom nothing was heard for a number of years are anonymised. An
// administrator sets the number of years and sees a dry run first; a
// nightly job carries it out.
package retention

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"alumnet/internal/audit"
	"alumnet/internal/consent"
	"alumnet/internal/db"
	"alumnet/internal/erasure"
)

// Policy is the retention setting.
type Policy struct {
	Enabled       bool
	InactiveYears int
	UpdatedAt     time.Time
	UpdatedBy     *int64
}

// Limits of InactiveYears.
const (
	MinYears = 1
	MaxYears = 50
)

// ErrYears means the number of years is out of range.
var ErrYears = errors.New("retention: years out of range")

// Store reads the policy and finds who it applies to.
type Store struct{ pool *pgxpool.Pool }

// NewStore returns a Store.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Policy returns the current policy.
func (s *Store) Policy(ctx context.Context) (Policy, error) {
	var p Policy
	err := s.pool.QueryRow(ctx, `SELECT enabled, inactive_years, updated_at, updated_by FROM retention_policy`).
		Scan(&p.Enabled, &p.InactiveYears, &p.UpdatedAt, &p.UpdatedBy)
	if err != nil {
		return Policy{}, fmt.Errorf("retention: policy: %w", err)
	}
	return p, nil
}

// SavePolicy changes the policy and writes the change to the audit log.
func (s *Store) SavePolicy(ctx context.Context, actorID int64, enabled bool, years int) error {
	if years < MinYears || years > MaxYears {
		return ErrYears
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var oldEnabled bool
		var oldYears int
		if err := tx.QueryRow(ctx, `SELECT enabled, inactive_years FROM retention_policy FOR UPDATE`).Scan(&oldEnabled, &oldYears); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE retention_policy SET enabled = $1, inactive_years = $2, updated_at = now(), updated_by = $3`,
			enabled, years, actorID); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Record{ActorID: actorID, Action: "retention.policy", Entity: "retention",
			Details: map[string]any{"changes": map[string]any{
				"enabled":        map[string]any{"old": oldEnabled, "new": enabled},
				"inactive_years": map[string]any{"old": oldYears, "new": years},
			}}})
	})
}

// Candidate is someone the policy would anonymise, and why.
type Candidate struct {
	PersonID     int64
	Name         string
	LastActivity time.Time
	// Permissions is how many ledger rows the person has (all withdrawn or
	// never granted, or they would not be a candidate).
	LedgerRows int
}

// activitySQL is when a person (alias p) was last heard of: the record
// changing, details confirmed, a ledger row, a link used (logging in to
// the portal), or an affiliation still running or ended (a current
// employee or student is never a candidate).
const activitySQL = `greatest(p.created_at, p.updated_at, p.details_confirmed_at,
	(SELECT max(l.at) FROM consent_ledger l WHERE l.person_id = p.id),
	(SELECT max(t.used_at) FROM person_tokens t WHERE t.person_id = p.id),
	(SELECT max(CASE WHEN a.end_date IS NULL AND a.cohort_year IS NULL THEN 'infinity'::timestamptz
		ELSE coalesce(a.end_date, make_date(a.cohort_year, 12, 31))::timestamptz END)
	 FROM affiliations a WHERE a.person_id = p.id))`

// candidateSQL finds whether one person ($3) is a candidate: unerased, no
// purpose the consent rule allows for them (no permission that holds, no
// legitimate interest they did not object to), and no activity since $1.
// The retention run asks it again just before anonymising.
var candidateSQL = `
SELECT p.id, p.first_name || ' ' || p.last_name, ` + activitySQL + `,
	(SELECT count(*) FROM consent_ledger l WHERE l.person_id = p.id)::int
FROM persons p
WHERE p.id = $3 AND p.erased_at IS NULL AND ` + activitySQL + ` < $1
  AND NOT EXISTS (SELECT 1 FROM consent_purposes cp WHERE ` + consent.PersonAllowsSQL("p.id", "cp") + `)
LIMIT $2`

// candidatesSQL is the same for everybody at once, set-based: each source
// of activity is aggregated once instead of looked up per person (seconds
// instead of minutes on a million people). The consent rule is applied to
// every latest ledger row (allowed); a purpose on legitimate interest the
// person has no row for is allowed too (the rule without a row), so a
// candidate has a row, an objection, for each of those (li_rows).
var candidatesSQL = `
WITH aff AS (
	SELECT person_id, max(CASE WHEN end_date IS NULL AND cohort_year IS NULL THEN 'infinity'::timestamptz
		ELSE coalesce(end_date, make_date(cohort_year, 12, 31))::timestamptz END) AS at
	FROM affiliations GROUP BY person_id),
led AS (
	SELECT x.person_id, max(x.at) AS at,
		bool_or(` + consent.AllowedSQL("x", "cp") + `) AS allowed,
		count(*) FILTER (WHERE cp.active AND cp.lawful_basis = 'legitimate_interest') AS li_rows
	FROM ` + consent.LatestSQL + ` x JOIN consent_purposes cp ON cp.id = x.purpose_id GROUP BY x.person_id),
tok AS (SELECT person_id, max(used_at) AS at FROM person_tokens WHERE person_id IS NOT NULL GROUP BY person_id),
li AS (SELECT count(*) AS n FROM consent_purposes WHERE active AND lawful_basis = 'legitimate_interest')
SELECT p.id, p.first_name || ' ' || p.last_name,
	greatest(p.created_at, p.updated_at, p.details_confirmed_at, led.at, tok.at, aff.at) AS last_activity,
	(SELECT count(*) FROM consent_ledger l WHERE l.person_id = p.id)::int
FROM persons p
LEFT JOIN aff ON aff.person_id = p.id
LEFT JOIN led ON led.person_id = p.id
LEFT JOIN tok ON tok.person_id = p.id
CROSS JOIN li
WHERE p.erased_at IS NULL
  AND greatest(p.created_at, p.updated_at, p.details_confirmed_at, led.at, tok.at, aff.at) < $1
  AND NOT coalesce(led.allowed, false)
  AND coalesce(led.li_rows, 0) >= li.n
ORDER BY 3, 1
LIMIT $2`

// Candidates returns up to limit people the policy would anonymise with
// years of inactivity, longest inactive first.
func (s *Store) Candidates(ctx context.Context, years, limit int) ([]Candidate, error) {
	return s.candidates(ctx, years, limit, nil)
}

func (s *Store) candidates(ctx context.Context, years, limit int, only *int64) ([]Candidate, error) {
	return candidates(ctx, s.pool, years, limit, only)
}

func candidates(ctx context.Context, q db.Querier, years, limit int, only *int64) ([]Candidate, error) {
	cutoff := time.Now().AddDate(-years, 0, 0)
	sql, args := candidatesSQL, []any{cutoff, limit}
	if only != nil {
		sql, args = candidateSQL, []any{cutoff, limit, *only}
	}
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("retention: candidates: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Candidate, error) {
		var c Candidate
		return c, r.Scan(&c.PersonID, &c.Name, &c.LastActivity, &c.LedgerRows)
	})
	if err != nil {
		return nil, fmt.Errorf("retention: candidates: %w", err)
	}
	return list, nil
}

// ErrNoLongerDue means the person became active or gave permission after
// the list was made: they are not anonymised.
var ErrNoLongerDue = errors.New("retention: no longer due")

// Eraser anonymises one person on behalf of the retention policy, running
// stillDue first in the erasure's transaction, with the person's record
// locked: it refuses (ErrNoLongerDue, which undoes the erasure) when the
// person is no longer due.
type Eraser func(ctx context.Context, personID int64, reason string, stillDue erasure.Check) error

// batch is how many people one run anonymises at most; the next night
// continues.
const batch = 1000

// Run carries the policy out when it is enabled and returns how many
// people were anonymised. Each one gets a tombstone and an audit entry
// through erase.
func (s *Store) Run(ctx context.Context, erase Eraser) (int, error) {
	p, err := s.Policy(ctx)
	if err != nil || !p.Enabled {
		return 0, err
	}
	list, err := s.Candidates(ctx, p.InactiveYears, batch)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	reason := fmt.Sprintf("retention: no permission and no activity for %d years", p.InactiveYears)
	// Still a candidate? Someone may have logged in or given permission
	// since the list was made; asked again inside each erasure, so that the
	// answer and the anonymising are one.
	stillDue := func(ctx context.Context, tx pgx.Tx, personID int64) error {
		again, err := candidates(ctx, tx, p.InactiveYears, 1, &personID)
		if err != nil {
			return err
		}
		if len(again) == 0 {
			return ErrNoLongerDue
		}
		return nil
	}
	for _, c := range list {
		err := erase(ctx, c.PersonID, reason, stillDue)
		if errors.Is(err, ErrNoLongerDue) {
			continue
		}
		if err != nil {
			// One failure must not stop the others (it would, every night).
			errs = append(errs, fmt.Errorf("retention: anonymise %d: %w", c.PersonID, err))
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}
