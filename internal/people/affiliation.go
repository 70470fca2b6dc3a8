package people

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"alumnet/internal/audit"
	"alumnet/internal/db"
	"alumnet/internal/form"
	"alumnet/internal/units"
)

// Affiliation kinds and leaving reasons.
var (
	Kinds          = []string{"employment", "study"}
	LeavingReasons = []string{"resignation", "end_of_contract", "retirement", "reorganisation", "dismissal", "conflict",
		"graduated", "early_leaver", "other"}
)

// ErrUnitOutOfScope means the unit is not one the caller may use.
var ErrUnitOutOfScope = errors.New("people: unit outside the caller's units")

// Affiliation is a period of employment or study in a unit.
type Affiliation struct {
	ID            int64      `db:"id"`
	PersonID      int64      `db:"person_id"`
	Kind          string     `db:"kind"`
	UnitID        int64      `db:"unit_id"`
	UnitName      string     `db:"unit_name"`
	StartDate     *time.Time `db:"start_date"`
	EndDate       *time.Time `db:"end_date"`
	Role          string     `db:"role"`
	Crebo         string     `db:"crebo"`
	CohortYear    *int       `db:"cohort_year"`
	LeavingReason *string    `db:"leaving_reason"`
}

func (s *Store) affiliations(ctx context.Context, personID int64) ([]Affiliation, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT a.id, a.person_id, a.kind, a.unit_id, u.name AS unit_name, a.start_date, a.end_date, a.role, a.crebo,
		       a.cohort_year, a.leaving_reason
		FROM affiliations a JOIN units u ON u.id = a.unit_id
		WHERE a.person_id = $1
		ORDER BY a.end_date DESC NULLS FIRST, a.start_date DESC NULLS LAST, a.id DESC`, personID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[Affiliation])
}

// AffiliationsOutside returns the ids of the person's affiliations with
// units outside sc, whose history is not the caller's to see.
func (s *Store) AffiliationsOutside(ctx context.Context, sc units.Scope, personID int64) ([]int64, error) {
	var b db.Builder
	b.Where(`a.person_id = ` + b.Arg(personID))
	sc.OutsideUnitCondition(&b, "a.unit_id")
	rows, err := s.pool.Query(ctx, `SELECT a.id FROM affiliations a `+b.WhereSQL(), b.Args()...)
	if err != nil {
		return nil, fmt.Errorf("people: affiliations of %d outside scope: %w", personID, err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// AffiliationInput is the affiliation form as typed.
type AffiliationInput struct {
	Kind          string
	UnitID        string
	StartDate     string
	EndDate       string
	Role          string
	Crebo         string
	CohortYear    string
	LeavingReason string
}

// Validate checks the form and returns field → message key.
func (in AffiliationInput) Validate() form.Errors {
	errs := form.Errors{}
	if !slices.Contains(Kinds, in.Kind) {
		errs.Add("kind", "err.choice")
	}
	if _, err := strconv.ParseInt(in.UnitID, 10, 64); err != nil {
		errs.Add("unit_id", "err.required")
	}
	start, okStart := parseDate(in.StartDate)
	end, okEnd := parseDate(in.EndDate)
	if !okStart {
		errs.Add("start_date", "err.date")
	}
	if !okEnd {
		errs.Add("end_date", "err.date")
	}
	if okStart && okEnd && start != nil && end != nil && end.Before(*start) {
		errs.Add("end_date", "err.end_before_start")
	}
	errs.Line("role", strings.TrimSpace(in.Role), 200, false)
	if c := strings.TrimSpace(in.Crebo); c != "" && (len(c) != 5 || strings.Trim(c, "0123456789") != "") {
		errs.Add("crebo", "err.crebo")
	}
	if y := strings.TrimSpace(in.CohortYear); y != "" {
		if n, err := strconv.Atoi(y); err != nil || n < 1900 || n > 2200 {
			errs.Add("cohort_year", "err.year")
		}
	}
	if in.LeavingReason != "" && !slices.Contains(LeavingReasons, in.LeavingReason) {
		errs.Add("leaving_reason", "err.choice")
	}
	return errs
}

// parseDate reads yyyy-mm-dd; empty is a valid "no date".
func parseDate(s string) (*time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, true
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return nil, false
	}
	return &t, true
}

// AddAffiliation adds an affiliation to a person within scope, in a unit
// within scope. The caller has validated in.
func (s *Store) AddAffiliation(ctx context.Context, sc units.Scope, actorID, personID int64, in AffiliationInput) (int64, error) {
	if p, err := s.PersonByID(ctx, sc, personID); err != nil {
		return 0, err
	} else if p.ErasedAt != nil {
		return 0, ErrErased
	}
	unitID, _ := strconv.ParseInt(in.UnitID, 10, 64)
	var path []int64
	var archived bool
	err := s.pool.QueryRow(ctx, `SELECT path, archived_at IS NOT NULL FROM units WHERE id = $1`, unitID).Scan(&path, &archived)
	if errors.Is(err, pgx.ErrNoRows) || archived {
		return 0, ErrUnitOutOfScope
	}
	if err != nil {
		return 0, fmt.Errorf("people: affiliation unit: %w", err)
	}
	if !sc.Includes(units.Unit{ID: unitID, Path: path}) {
		return 0, ErrUnitOutOfScope
	}
	var id int64
	err = db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		if err := lockLive(ctx, tx, personID); err != nil {
			return err
		}
		id, err = insertAffiliation(ctx, tx, actorID, personID, unitID, in)
		return err
	})
	if errors.Is(err, ErrErased) || errors.Is(err, ErrNotFound) {
		return 0, err
	}
	if err != nil {
		return 0, fmt.Errorf("people: add affiliation: %w", err)
	}
	return id, nil
}

// insertAffiliation writes a validated affiliation and its audit entry.
func insertAffiliation(ctx context.Context, tx pgx.Tx, actorID, personID, unitID int64, in AffiliationInput) (int64, error) {
	start, _ := parseDate(in.StartDate)
	end, _ := parseDate(in.EndDate)
	var cohort *int
	if n, err := strconv.Atoi(strings.TrimSpace(in.CohortYear)); err == nil {
		cohort = &n
	}
	var reason *string
	if in.LeavingReason != "" {
		reason = &in.LeavingReason
	}
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO affiliations (person_id, kind, unit_id, start_date, end_date, role, crebo, cohort_year, leaving_reason)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		personID, in.Kind, unitID, start, end, strings.TrimSpace(in.Role), strings.TrimSpace(in.Crebo), cohort, reason).Scan(&id); err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, `UPDATE persons SET updated_at = now() WHERE id = $1`, personID); err != nil {
		return 0, err
	}
	return id, audit.Write(ctx, tx, audit.Record{ActorID: actorID, Action: "affiliation.create", PersonID: personID,
		Entity: "affiliation", EntityID: id, Details: map[string]any{"kind": in.Kind, "unit_id": unitID,
			"start_date": in.StartDate, "end_date": in.EndDate, "role": in.Role, "leaving_reason": in.LeavingReason}})
}

// DeleteAffiliation removes an affiliation of a person within scope. A
// coordinator may only remove affiliations in their own units.
func (s *Store) DeleteAffiliation(ctx context.Context, sc units.Scope, actorID, personID, affID int64) error {
	p, err := s.PersonByID(ctx, sc, personID)
	if err != nil {
		return err
	}
	if p.ErasedAt != nil {
		return ErrErased
	}
	idx := slices.IndexFunc(p.Affiliations, func(a Affiliation) bool { return a.ID == affID })
	if idx < 0 {
		return ErrNotFound
	}
	a := p.Affiliations[idx]
	var path []int64
	if err := s.pool.QueryRow(ctx, `SELECT path FROM units WHERE id = $1`, a.UnitID).Scan(&path); err != nil {
		return fmt.Errorf("people: affiliation unit: %w", err)
	}
	if !sc.Includes(units.Unit{ID: a.UnitID, Path: path}) {
		return ErrUnitOutOfScope
	}
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		if err := lockLive(ctx, tx, personID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM affiliations WHERE id = $1 AND person_id = $2`, affID, personID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE persons SET updated_at = now() WHERE id = $1`, personID); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Record{ActorID: actorID, Action: "affiliation.delete", PersonID: personID,
			Entity: "affiliation", EntityID: affID, Details: map[string]any{"kind": a.Kind, "unit": a.UnitName}})
	})
}
