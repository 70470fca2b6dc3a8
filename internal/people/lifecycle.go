package people

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"alumnet/internal/audit"
	"alumnet/internal/db"
)

// The registry's changes that other capabilities make in their own
// transaction: a registration confirmed in the portal, the alumnus
// keeping their details, the offboarding ending an affiliation. The
// tables stay the registry's; the callers decide when.

// ErrChanged means the record changed between a plan and its writing.
var ErrChanged = errors.New("people: changed meanwhile")

// ErrStartsAfter means an affiliation would end before it started.
var ErrStartsAfter = errors.New("people: the end date is before the affiliation's start")

// Registered is someone who registered themselves and confirmed it.
type Registered struct {
	FirstName, LastName, Language string
	Email                         string // proved by the confirmation
	Kind                          string // employment or study
	UnitID                        int64  // 0: no affiliation (the unit went away)
	Start                         *time.Time
	CohortYear                    int
}

// CreateRegistered adds a registered person with their proved address
// and the affiliation they gave, inside tx. ErrEmailTaken when someone
// proved the address first.
func CreateRegistered(ctx context.Context, tx pgx.Tx, r Registered) (int64, error) {
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO persons (first_name, last_name, language, details_confirmed_at)
		VALUES ($1, $2, $3, now()) RETURNING id`, r.FirstName, r.LastName, r.Language).Scan(&id); err != nil {
		return 0, fmt.Errorf("people: register: %w", err)
	}
	err := pgx.BeginFunc(ctx, tx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO person_emails (person_id, email, is_primary, verified_at) VALUES ($1, $2, true, now())`, id, r.Email)
		return err
	})
	if db.IsUniqueViolation(err, "") {
		return 0, ErrEmailTaken
	}
	if err != nil {
		return 0, fmt.Errorf("people: register: %w", err)
	}
	if r.UnitID != 0 {
		if _, err := tx.Exec(ctx, `INSERT INTO affiliations (person_id, kind, unit_id, start_date, cohort_year) VALUES ($1, $2, $3, $4, $5)`,
			id, r.Kind, r.UnitID, r.Start, r.CohortYear); err != nil {
			return 0, fmt.Errorf("people: register: %w", err)
		}
	}
	return id, nil
}

// OwnDetails are the details an alumnus keeps up to date themselves.
type OwnDetails struct {
	FirstName, LastName, Phone, City, Employer, JobTitle, Sector, LinkedInURL, Language, Interests string
	Offers, Needs                                                                                  []string
	OpenToReturn                                                                                   bool
}

// SaveOwnDetails stores what the alumnus changed in the portal, inside tx;
// saving counts as confirming the details. ErrNotFound for an erased person.
func SaveOwnDetails(ctx context.Context, tx pgx.Tx, personID int64, d OwnDetails) error {
	tag, err := tx.Exec(ctx, `UPDATE persons SET first_name = $2, last_name = $3, phone = $4, city = $5, employer = $6,
		job_title = $7, sector = $8, linkedin_url = $9, language = $10, interests = $11, offers = $12, needs = $13,
		open_to_return = $14, details_confirmed_at = now(), version = version + 1, updated_at = now()
		WHERE id = $1 AND erased_at IS NULL`, personID, d.FirstName, d.LastName, d.Phone, d.City, d.Employer, d.JobTitle,
		d.Sector, d.LinkedInURL, d.Language, d.Interests, nonNil(d.Offers), nonNil(d.Needs), d.OpenToReturn)
	if err != nil {
		return fmt.Errorf("people: own details of %d: %w", personID, err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}

// ConfirmInvited stores the name and language an invited person confirmed
// (or corrected) when accepting, inside tx. ErrNotFound for an erased person.
func ConfirmInvited(ctx context.Context, tx pgx.Tx, personID int64, first, last, lang string) error {
	tag, err := tx.Exec(ctx, `UPDATE persons SET first_name = $2, last_name = $3, language = $4, details_confirmed_at = now(),
		updated_at = now(), version = version + 1 WHERE id = $1 AND erased_at IS NULL`, personID, first, last, lang)
	if err != nil {
		return fmt.Errorf("people: invited %d: %w", personID, err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}

// ConfirmDetails records that the person checked their details and they
// are still right. ErrNotFound for an erased person.
func ConfirmDetails(ctx context.Context, q db.Querier, personID int64) error {
	tag, err := q.Exec(ctx, `UPDATE persons SET details_confirmed_at = now() WHERE id = $1 AND erased_at IS NULL`, personID)
	if err != nil {
		return fmt.Errorf("people: confirm details of %d: %w", personID, err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}

// MarkAsked records that the person is asked now whether their details
// are still right, unless that was less than a year ago (another process
// asked meanwhile): then it reports false.
func MarkAsked(ctx context.Context, tx pgx.Tx, personID int64) (bool, error) {
	tag, err := tx.Exec(ctx, `UPDATE persons SET details_reminded_at = now() WHERE id = $1
		AND (details_reminded_at IS NULL OR details_reminded_at < now() - interval '1 year')`, personID)
	if err != nil {
		return false, fmt.Errorf("people: asked %d: %w", personID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// LeavingAffiliation returns the affiliation that a leaving on date ends:
// the person's running one in the unit (or one with only a planned end),
// else a new one of kind, inside tx. ErrStartsAfter when the running one
// starts after date.
func LeavingAffiliation(ctx context.Context, tx pgx.Tx, personID, unitID int64, kind string, date time.Time) (int64, error) {
	var id int64
	var start *time.Time
	err := tx.QueryRow(ctx, `SELECT id, start_date FROM affiliations WHERE person_id = $1 AND unit_id = $2 AND leaving_reason IS NULL
		ORDER BY end_date DESC NULLS FIRST, start_date DESC NULLS LAST, id DESC LIMIT 1`, personID, unitID).Scan(&id, &start)
	switch {
	case err == nil && start != nil && start.After(date):
		return 0, ErrStartsAfter
	case err == nil:
		return id, nil
	case !errors.Is(err, pgx.ErrNoRows):
		return 0, fmt.Errorf("people: leaving affiliation of %d: %w", personID, err)
	}
	if err := tx.QueryRow(ctx, `INSERT INTO affiliations (person_id, kind, unit_id) VALUES ($1, $2, $3) RETURNING id`,
		personID, kind, unitID).Scan(&id); err != nil {
		return 0, fmt.Errorf("people: leaving affiliation of %d: %w", personID, err)
	}
	return id, nil
}

// EndAffiliation ends an affiliation on date for reason, inside tx, with
// its audit entry (old and new values). ErrStartsAfter when it started
// after date.
func EndAffiliation(ctx context.Context, tx pgx.Tx, actorID, personID, affID int64, date time.Time, reason string) error {
	var oldEnd *time.Time
	var oldReason *string
	var start *time.Time
	if err := tx.QueryRow(ctx, `SELECT start_date, end_date, leaving_reason FROM affiliations WHERE id = $1 AND person_id = $2 FOR UPDATE`,
		affID, personID).Scan(&start, &oldEnd, &oldReason); err != nil {
		return fmt.Errorf("people: end affiliation %d: %w", affID, err)
	}
	if start != nil && start.After(date) {
		return ErrStartsAfter
	}
	if _, err := tx.Exec(ctx, `UPDATE affiliations SET end_date = $2, leaving_reason = $3 WHERE id = $1`, affID, date, reason); err != nil {
		return fmt.Errorf("people: end affiliation %d: %w", affID, err)
	}
	var old any
	if oldEnd != nil {
		old = oldEnd.Format(time.DateOnly)
	}
	if err := audit.Write(ctx, tx, audit.Record{ActorID: actorID, Action: "affiliation.end", PersonID: personID,
		Entity: "affiliation", EntityID: affID, Details: map[string]any{"changes": map[string]any{
			"end_date":       map[string]any{"old": old, "new": date.Format(time.DateOnly)},
			"leaving_reason": map[string]any{"old": oldReason, "new": reason},
		}}}); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `UPDATE persons SET updated_at = now() WHERE id = $1`, personID)
	return err
}

// Graduate ends the person's running study affiliations affIDs on date as
// graduated in cohort year, inside tx, each with its audit entry
// (unitID and via say where from). ErrChanged when one of them is no
// longer running or starts after the date (the record changed since the
// plan).
func Graduate(ctx context.Context, tx pgx.Tx, actorID, personID int64, affIDs []int64, unitID int64, date time.Time, year int, via string) error {
	for _, id := range affIDs {
		tag, err := tx.Exec(ctx, `UPDATE affiliations a SET end_date = $3, leaving_reason = 'graduated', cohort_year = $4
			WHERE a.id = $1 AND a.person_id = $2 AND a.kind = 'study'
			  AND a.leaving_reason IS NULL AND (a.end_date IS NULL OR a.end_date >= make_date($4, 1, 1))
			  AND (a.start_date IS NULL OR a.start_date <= $3)`, id, personID, date, year)
		if err != nil {
			return fmt.Errorf("people: graduate %d: %w", personID, err)
		}
		if tag.RowsAffected() == 0 {
			return ErrChanged
		}
		if err := audit.Write(ctx, tx, audit.Record{ActorID: actorID, Action: "affiliation.graduate", PersonID: personID,
			Entity: "affiliation", EntityID: id, Details: map[string]any{"unit_id": unitID, "end_date": date.Format(time.DateOnly),
				"cohort_year": year, "leaving_reason": "graduated", "via": via}}); err != nil {
			return err
		}
	}
	_, err := tx.Exec(ctx, `UPDATE persons SET updated_at = now() WHERE id = $1`, personID)
	return err
}

// EndPortalSessions moves the person to a new portal session epoch, inside
// tx: every portal session they have now stops counting, also one that a
// request still running writes back afterwards.
func EndPortalSessions(ctx context.Context, tx pgx.Tx, personID int64) error {
	if _, err := tx.Exec(ctx, `UPDATE persons SET session_epoch = session_epoch + 1 WHERE id = $1`, personID); err != nil {
		return fmt.Errorf("people: end portal sessions of %d: %w", personID, err)
	}
	return nil
}
