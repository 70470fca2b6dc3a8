package offboarding

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"alumnet/internal/audit"
	"alumnet/internal/db"
	"alumnet/internal/form"
	"alumnet/internal/people"
	"alumnet/internal/portal"
	"alumnet/internal/units"
)

// A graduating cohort at once: schools pick a unit and a year, or upload a
// CSV of graduates, and every graduate's study affiliation ends as
// "graduated" and they get the invitation into the alumni network.
//
// Which people: from the registry, everyone (within the caller's scope)
// with a study affiliation in the unit or below it that has no leaving
// reason yet and either
//   - is open (no end date) with cohort year Y — the cohort year is the
//     year a cohort is expected to graduate, as the people list reads it
//     ("cohort year, else the year it ended"); or
//   - has no cohort year and a planned end date in Y: an end date without
//     a leaving reason is an expected end, not a recorded departure.
//
// Open affiliations without a cohort year and without an end date belong
// to no year and are never picked.
//
// From a CSV, each row is matched to an existing person by primary e-mail
// address (case-insensitive; a row without an address by exact name among
// the people with a study affiliation in the unit), else a person is
// created. The file is the school's list of graduates of the unit: every
// study of the person still running there (no leaving reason, no end
// before Y) ends as graduated in cohort Y; without one, a study
// affiliation is added, already ended so. An import never changes an
// existing person's details, and never grants or changes consent (the
// file has no consent columns; consent comes only from the person
// accepting the invitation). An address that belongs to someone outside
// the caller's scope is an error on the row: graduating them would pull a
// stranger's record into a coordinator's units.
//
// Already an alumnus: the person's study in this unit already ended as
// graduated and none runs there (nothing is written, no invitation), or
// the person already uses the portal (used a login, invitation or
// registration link, confirmed their details) or is in the consent
// ledger with a grant or a choice of their own (an unsubscribe, say) —
// their study still ends as graduated, but they get no new invitation.
//
// Nothing half-written: PlanCohort checks everything first (every CSV
// row, every person) and GraduateCohort writes nothing at all when any
// entry has an error; the report says per row what is wrong. Then each
// person is written in their own transaction (person, affiliation and
// audit entries together), followed by the invitation in the portal's
// transaction (link and mail together). A person changed by someone else
// between the check and the write, or a failure, leaves that person as
// they were (or graduated without the invitation, which the report says);
// the others go ahead.

// Outcomes of a cohort entry.
const (
	CohortInvite          = "invite"           // graduated and invited
	CohortNoAddress       = "no_address"       // graduated; no address to invite
	CohortAlreadyAlumnus  = "already_alumnus"  // not invited: see Reason
	CohortInvitedRecently = "invited_recently" // graduated; invited less than a week ago
	CohortError           = "error"            // see Reason and Errors
)

// Reasons of a cohort entry (catalogue keys).
const (
	// The study affiliation in this unit already ended as graduated; nothing is written.
	CohortReasonGraduatedBefore = "cohort.reason.graduated_before"
	// The person already uses the portal or made their consent choices;
	// the affiliation still ends as graduated.
	CohortReasonPortal      = "cohort.reason.portal"
	CohortReasonNoAddress   = "cohort.reason.no_address"
	CohortReasonRecent      = "cohort.reason.recent"
	CohortReasonInvalid     = "cohort.reason.invalid"      // the row has field errors
	CohortReasonStartsAfter = "cohort.reason.starts_after" // the study starts after the graduation date
	CohortReasonChanged     = "cohort.reason.changed"      // changed by someone else meanwhile
	CohortReasonFailed      = "cohort.reason.failed"       // an error; logged
	CohortReasonInviteFail  = "cohort.reason.invite_failed"
)

// CohortReasons lists every reason key, for the catalogue test.
var CohortReasons = []string{CohortReasonGraduatedBefore, CohortReasonPortal, CohortReasonNoAddress, CohortReasonRecent,
	CohortReasonInvalid, CohortReasonStartsAfter, CohortReasonChanged, CohortReasonFailed, CohortReasonInviteFail}

// ErrCohortInvalid means the plan has entries with errors; nothing was written.
var ErrCohortInvalid = errors.New("offboarding: the cohort has rows with errors; nothing was written")

// ErrCohortTooLarge means the registry holds more than CohortMaxRows
// people for the unit and year; a smaller unit is needed.
var ErrCohortTooLarge = errors.New("offboarding: the cohort is too large")

// CohortRequest is a graduating cohort: a unit, a year, the graduation
// date, and where the people come from.
type CohortRequest struct {
	UnitID         int64
	Year           int
	GraduationDate time.Time
	// FromCSV takes the graduates from Rows instead of the registry.
	FromCSV bool
	Rows    []CohortRow
}

// CohortEntry is one person of a cohort: what will happen (a plan) or
// what happened (after GraduateCohort).
type CohortEntry struct {
	Line          int    `json:"line,omitempty"` // the CSV row; 0 from the registry
	PersonID      int64  `json:"person_id,omitempty"`
	FirstName     string `json:"first_name"`
	LastName      string `json:"last_name"`
	Email         string `json:"email,omitempty"`
	Language      string `json:"language"`
	StudentNumber string `json:"student_number,omitempty"`
	// New: the person is not in the registry and is (to be) created.
	New bool `json:"new,omitempty"`
	// Graduates: a study affiliation is (to be) ended as graduated, or
	// created so; false when nothing is written for this person.
	Graduates bool        `json:"graduates,omitempty"`
	Outcome   string      `json:"outcome"`
	Reason    string      `json:"reason,omitempty"`
	Errors    form.Errors `json:"errors,omitempty"` // CSV field → message
	// Err is the failure behind CohortReasonFailed, for the log.
	Err error `json:"-"`

	affIDs []int64 // the affiliations to end; none: create one
}

// Name is the person's full name.
func (e CohortEntry) Name() string { return e.FirstName + " " + e.LastName }

// CohortReport is the plan or the result of a cohort, one entry per person
// (per CSV row), in order.
type CohortReport struct {
	UnitID         int64         `json:"unit_id"`
	UnitName       string        `json:"unit_name"`
	Year           int           `json:"year"`
	GraduationDate time.Time     `json:"graduation_date"`
	FromCSV        bool          `json:"from_csv"`
	Done           bool          `json:"done"` // written, not only planned
	Entries        []CohortEntry `json:"entries"`
}

// Valid reports whether no entry has an error.
func (r CohortReport) Valid() bool { return r.Count(CohortError) == 0 }

// Count returns the number of entries with outcome.
func (r CohortReport) Count(outcome string) int {
	n := 0
	for _, e := range r.Entries {
		if e.Outcome == outcome {
			n++
		}
	}
	return n
}

// Graduating returns the number of people whose affiliation ends (or
// ended) as graduated.
func (r CohortReport) Graduating() int {
	n := 0
	for _, e := range r.Entries {
		if e.Graduates {
			n++
		}
	}
	return n
}

// Created returns the number of people that are (to be) created.
func (r CohortReport) Created() int {
	n := 0
	for _, e := range r.Entries {
		if e.New && e.Graduates {
			n++
		}
	}
	return n
}

// cohortUnit returns the name of an active unit within scope, else ErrUnitScope.
func (s *Store) cohortUnit(ctx context.Context, sc units.Scope, unitID int64) (string, error) {
	var name string
	var path []int64
	err := s.pool.QueryRow(ctx, `SELECT name, path FROM units WHERE id = $1 AND archived_at IS NULL`, unitID).Scan(&name, &path)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && !sc.Includes(units.Unit{ID: unitID, Path: path})) {
		return "", ErrUnitScope
	}
	if err != nil {
		return "", fmt.Errorf("offboarding: cohort unit %d: %w", unitID, err)
	}
	return name, nil
}

// PlanCohort works out, without writing anything, who would graduate and
// be invited, who would be skipped and why, and which CSV rows have
// errors. A unit outside the caller's scope (or archived) is ErrUnitScope.
func (s *Store) PlanCohort(ctx context.Context, sc units.Scope, req CohortRequest) (CohortReport, error) {
	name, err := s.cohortUnit(ctx, sc, req.UnitID)
	if err != nil {
		return CohortReport{}, err
	}
	rep := CohortReport{UnitID: req.UnitID, UnitName: name, Year: req.Year, GraduationDate: req.GraduationDate, FromCSV: req.FromCSV}
	if req.FromCSV {
		rep.Entries, err = s.planCohortCSV(ctx, sc, req)
	} else {
		rep.Entries, err = s.planCohortRegistry(ctx, sc, req)
	}
	if errors.Is(err, ErrCohortTooLarge) {
		return CohortReport{}, err
	}
	if err != nil {
		return CohortReport{}, fmt.Errorf("offboarding: plan cohort: %w", err)
	}
	if err := s.cohortInvitations(ctx, rep.Entries); err != nil {
		return CohortReport{}, fmt.Errorf("offboarding: plan cohort: %w", err)
	}
	return rep, nil
}

// cohortSubtree is the SQL for "the units at or below the unit in arg".
func cohortSubtree(arg string) string {
	return `ARRAY(SELECT id FROM units WHERE path @> ARRAY[` + arg + `::bigint])`
}

// cohortRunning is the condition on affiliation a for "still running in
// cohort year y": no leaving reason recorded, and no end date or one in y
// or later (an end date without a reason is an expected end).
func cohortRunning(y string) string {
	return `a.leaving_reason IS NULL AND (a.end_date IS NULL OR a.end_date >= make_date(` + y + `, 1, 1))`
}

// cohortPicked is the condition on affiliation a for "belongs to cohort
// year y and has not ended yet" (see the package comment above).
func cohortPicked(y string) string {
	return `a.leaving_reason IS NULL AND ((a.end_date IS NULL AND a.cohort_year = ` + y + `)
		OR (a.cohort_year IS NULL AND a.end_date >= make_date(` + y + `, 1, 1) AND a.end_date < make_date(` + y + ` + 1, 1, 1)))`
}

func (s *Store) planCohortRegistry(ctx context.Context, sc units.Scope, req CohortRequest) ([]CohortEntry, error) {
	var b db.Builder
	b.Where(`a.kind = 'study'`)
	b.Where(`a.unit_id = ANY(` + cohortSubtree(b.Arg(req.UnitID)) + `)`)
	b.Where(cohortPicked(b.Arg(req.Year)))
	b.Where(`p.erased_at IS NULL`)
	sc.PersonCondition(&b, "p.id")
	date := b.Arg(req.GraduationDate)
	rows, err := s.pool.Query(ctx, `
		SELECT p.id, p.first_name, p.last_name, coalesce(e.email, '') AS email, p.language,
		       array_agg(a.id ORDER BY a.id) AS aff_ids,
		       coalesce(bool_or(a.start_date > `+date+`::date), false) AS starts_after
		FROM affiliations a
		JOIN persons p ON p.id = a.person_id
		LEFT JOIN person_emails e ON e.person_id = p.id AND e.is_primary
		`+b.WhereSQL()+`
		GROUP BY p.id, e.email
		ORDER BY p.sort_name, p.id
		LIMIT `+strconv.Itoa(CohortMaxRows+1), b.Args()...)
	if err != nil {
		return nil, err
	}
	var entries []CohortEntry
	for rows.Next() {
		var e CohortEntry
		var startsAfter bool
		if err := rows.Scan(&e.PersonID, &e.FirstName, &e.LastName, &e.Email, &e.Language, &e.affIDs, &startsAfter); err != nil {
			rows.Close()
			return nil, err
		}
		e.Graduates = true
		if startsAfter {
			e.Graduates, e.Outcome, e.Reason = false, CohortError, CohortReasonStartsAfter
		}
		entries = append(entries, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(entries) > CohortMaxRows {
		return nil, ErrCohortTooLarge
	}
	return entries, nil
}

// cohortMatch is what the registry knows about a person a CSV row names.
type cohortMatch struct {
	id                  int64
	firstName, lastName string
	language, email     string
	inScope             bool
	openAffs            []int64 // open study affiliations in the unit or below
	startsAfter         bool    // one of them starts after the graduation date
	graduatedBefore     bool    // a study affiliation there ended as graduated
}

func (s *Store) planCohortCSV(ctx context.Context, sc units.Scope, req CohortRequest) ([]CohortEntry, error) {
	entries := make([]CohortEntry, len(req.Rows))
	var emails []string
	firstRow := map[string]int{}
	for i, r := range req.Rows {
		r.Normalize()
		e := CohortEntry{Line: r.Line, FirstName: r.FirstName, LastName: r.LastName, Email: r.Email, Language: r.Language,
			StudentNumber: r.StudentNumber, Errors: r.Validate()}
		// The same graduate twice: by address, or by name when the row has none.
		key, field := "email:"+r.Email, "email"
		if r.Email == "" {
			key, field = "name:"+strings.ToLower(r.Name()), "last_name"
		}
		if len(e.Errors) == 0 {
			if line, dup := firstRow[key]; dup {
				e.Errors.AddN(field, "cohort.err.duplicate", line)
			} else {
				firstRow[key] = r.Line
				if r.Email != "" {
					emails = append(emails, r.Email)
				}
			}
		}
		entries[i] = e
	}
	byEmail, err := s.cohortMatchEmails(ctx, sc, req, emails)
	if err != nil {
		return nil, err
	}
	for i := range entries {
		e := &entries[i]
		if len(e.Errors) > 0 {
			e.Outcome, e.Reason = CohortError, CohortReasonInvalid
			continue
		}
		e.Errors = nil
		var m *cohortMatch
		if e.Email != "" {
			if found, ok := byEmail[e.Email]; ok {
				m = &found
			}
		} else {
			m, err = s.cohortMatchName(ctx, sc, req, e)
			if err != nil {
				return nil, err
			}
		}
		switch {
		case e.Outcome == CohortError:
			// ambiguous name
		case m == nil || !m.inScope:
			// Unknown, or someone the caller may not see: a new record.
			// Graduating a stranger's record here would pull it into the
			// caller's units, and saying so would tell that the address
			// is registered elsewhere; the two records are a duplicate
			// to merge later.
			e.New, e.Graduates = true, true
		default:
			e.PersonID, e.FirstName, e.LastName, e.Language, e.Email = m.id, m.firstName, m.lastName, m.language, m.email
			switch {
			case m.startsAfter:
				e.Outcome, e.Reason = CohortError, CohortReasonStartsAfter
			case len(m.openAffs) > 0:
				e.Graduates, e.affIDs = true, m.openAffs
			case m.graduatedBefore:
				e.Outcome, e.Reason = CohortAlreadyAlumnus, CohortReasonGraduatedBefore
			default:
				e.Graduates = true // an affiliation is added, ended as graduated
			}
		}
	}
	return entries, nil
}

const cohortMatchColumns = `p.id, p.first_name, p.last_name, p.language, coalesce(e.email, '') AS email,
	coalesce(array_agg(a.id ORDER BY a.id) FILTER (WHERE %[2]s), '{}') AS open_affs,
	coalesce(bool_or(a.start_date > %[1]s::date) FILTER (WHERE %[2]s), false) AS starts_after,
	coalesce(bool_or(a.leaving_reason = 'graduated'), false) AS graduated_before`

// cohortMatchQuery selects the people matching cond with what their study
// affiliations in the unit or below say. It is not limited to the scope:
// a match outside it is an error on the row (see cohortInScope), not a
// reason to create a second person with the same address.
func cohortMatchQuery(b *db.Builder, req CohortRequest, cond string) string {
	unit := b.Arg(req.UnitID)
	date := b.Arg(req.GraduationDate)
	running := `a.id IS NOT NULL AND ` + cohortRunning(b.Arg(req.Year))
	return `SELECT ` + fmt.Sprintf(cohortMatchColumns, date, running) + `
		FROM persons p
		LEFT JOIN person_emails e ON e.person_id = p.id AND e.is_primary
		LEFT JOIN affiliations a ON a.person_id = p.id AND a.kind = 'study' AND a.unit_id = ANY(` + cohortSubtree(unit) + `)
		WHERE p.erased_at IS NULL AND ` + cond + `
		GROUP BY p.id, e.email`
}

func scanCohortMatch(row pgx.CollectableRow) (cohortMatch, error) {
	var m cohortMatch
	err := row.Scan(&m.id, &m.firstName, &m.lastName, &m.language, &m.email, &m.openAffs, &m.startsAfter, &m.graduatedBefore)
	return m, err
}

// cohortInScope returns which of ids lie within scope.
func (s *Store) cohortInScope(ctx context.Context, sc units.Scope, ids []int64) (map[int64]bool, error) {
	var b db.Builder
	b.Where(`p.id = ANY(` + b.Arg(ids) + `::bigint[])`)
	sc.PersonCondition(&b, "p.id")
	rows, err := s.pool.Query(ctx, `SELECT p.id FROM persons p `+b.WhereSQL(), b.Args()...)
	if err != nil {
		return nil, err
	}
	in, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, err
	}
	out := make(map[int64]bool, len(in))
	for _, id := range in {
		out[id] = true
	}
	return out, nil
}

// cohortMatchEmails finds the people whose primary address is one of emails.
func (s *Store) cohortMatchEmails(ctx context.Context, sc units.Scope, req CohortRequest, emails []string) (map[string]cohortMatch, error) {
	out := map[string]cohortMatch{}
	if len(emails) == 0 {
		return out, nil
	}
	var b db.Builder
	list := b.Arg(emails)
	q := cohortMatchQuery(&b, req, `e.email = ANY(`+list+`::text[])`)
	rows, err := s.pool.Query(ctx, q, b.Args()...)
	if err != nil {
		return nil, err
	}
	found, err := pgx.CollectRows(rows, scanCohortMatch)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(found))
	for i, m := range found {
		ids[i] = m.id
	}
	in, err := s.cohortInScope(ctx, sc, ids)
	if err != nil {
		return nil, err
	}
	for _, m := range found {
		m.inScope = in[m.id]
		out[m.email] = m
	}
	return out, nil
}

// cohortMatchName finds the one person with a study affiliation in the
// unit (or below) and exactly this name, for a row without an address.
// More than one is an error on the row; none is nil.
func (s *Store) cohortMatchName(ctx context.Context, sc units.Scope, req CohortRequest, e *CohortEntry) (*cohortMatch, error) {
	var b db.Builder
	first, last := b.Arg(e.FirstName), b.Arg(e.LastName)
	q := cohortMatchQuery(&b, req, `lower(p.first_name) = lower(`+first+`) AND lower(p.last_name) = lower(`+last+`)
		AND EXISTS (SELECT 1 FROM affiliations na WHERE na.person_id = p.id AND na.kind = 'study'
			AND na.unit_id = ANY(`+cohortSubtree(b.Arg(req.UnitID))+`))`)
	rows, err := s.pool.Query(ctx, q, b.Args()...)
	if err != nil {
		return nil, err
	}
	found, err := pgx.CollectRows(rows, scanCohortMatch)
	if err != nil {
		return nil, err
	}
	switch len(found) {
	case 0:
		return nil, nil
	case 1:
		// Someone with a study affiliation in a unit of the caller's is in scope.
		found[0].inScope = true
		return &found[0], nil
	}
	e.Errors = form.Of("email", "cohort.err.ambiguous")
	e.Outcome, e.Reason = CohortError, CohortReasonInvalid
	return nil, nil
}

// cohortInvitations decides for each graduating entry without an outcome
// yet whether it is invited: not when the person already uses the portal
// or made consent choices (an alumnus already), has no address, or was
// invited less than a week ago (the portal's own rule).
func (s *Store) cohortInvitations(ctx context.Context, entries []CohortEntry) error {
	var ids []int64
	for _, e := range entries {
		if e.Outcome == "" && e.PersonID != 0 {
			ids = append(ids, e.PersonID)
		}
	}
	type facts struct{ portal, recent bool }
	known := map[int64]facts{}
	if len(ids) > 0 {
		rows, err := s.pool.Query(ctx, `
			SELECT p.id,
			       p.details_confirmed_at IS NOT NULL
			       OR EXISTS (SELECT 1 FROM person_tokens t WHERE t.person_id = p.id AND t.used_at IS NOT NULL
			                  AND t.purpose IN ('invite', 'login', 'register'))
			       OR EXISTS (SELECT 1 FROM consent_ledger l WHERE l.person_id = p.id AND (l.granted OR l.by_person)) AS portal,
			       EXISTS (SELECT 1 FROM person_tokens t WHERE t.person_id = p.id AND t.purpose = 'invite'
			               AND t.used_at IS NULL AND t.created_at > now() - interval '7 days') AS recent
			FROM persons p WHERE p.id = ANY($1::bigint[])`, ids)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			var f facts
			if err := rows.Scan(&id, &f.portal, &f.recent); err != nil {
				rows.Close()
				return err
			}
			known[id] = f
		}
		if err := rows.Err(); err != nil {
			return err
		}
	}
	for i := range entries {
		e := &entries[i]
		if e.Outcome != "" {
			continue
		}
		f := known[e.PersonID]
		switch {
		case f.portal:
			e.Outcome, e.Reason = CohortAlreadyAlumnus, CohortReasonPortal
		case e.Email == "":
			e.Outcome, e.Reason = CohortNoAddress, CohortReasonNoAddress
		case f.recent:
			e.Outcome, e.Reason = CohortInvitedRecently, CohortReasonRecent
		default:
			e.Outcome = CohortInvite
		}
	}
	return nil
}

// GraduateCohort plans the cohort and, when no entry has an error, ends
// each graduate's study affiliation in the unit on the graduation date as
// graduated (creating the person and the affiliation where needed), each
// person in their own transaction with its audit entries, and then sends
// the portal's invitation in the person's language. With errors it writes nothing and returns the plan with
// ErrCohortInvalid. The report has Done set and says per person what
// happened.
func (s *Store) GraduateCohort(ctx context.Context, sc units.Scope, actorID int64, req CohortRequest) (CohortReport, error) {
	rep, err := s.PlanCohort(ctx, sc, req)
	if err != nil {
		return CohortReport{}, err
	}
	if !rep.Valid() {
		return rep, ErrCohortInvalid
	}
	ppl := people.NewStore(s.pool)
	for i := range rep.Entries {
		e := &rep.Entries[i]
		if !e.Graduates {
			continue
		}
		err := s.graduate(ctx, sc, ppl, actorID, req, e)
		if err != nil {
			e.Graduates = false
			e.Outcome, e.Reason = CohortError, CohortReasonChanged
			if !errors.Is(err, errCohortChanged) {
				e.Reason, e.Err = CohortReasonFailed, err
			}
			continue
		}
		if e.Outcome != CohortInvite {
			continue
		}
		ok, err := s.portal.Invite(ctx, actorID, e.PersonID)
		switch {
		case errors.Is(err, portal.ErrJoined):
			e.Outcome, e.Reason = CohortAlreadyAlumnus, CohortReasonPortal
		case err != nil:
			e.Outcome, e.Reason, e.Err = CohortError, CohortReasonInviteFail, err
		case !ok:
			e.Outcome, e.Reason = CohortInvitedRecently, CohortReasonRecent
		}
	}
	rep.Done = true
	err = audit.Write(ctx, s.pool, audit.Record{ActorID: actorID, Action: "offboarding.cohort", Entity: "unit", EntityID: req.UnitID,
		Details: map[string]any{"year": req.Year, "graduation_date": req.GraduationDate.Format(time.DateOnly), "from_csv": req.FromCSV,
			"graduated": rep.Graduating(), "created": rep.Created(), "invited": rep.Count(CohortInvite),
			"skipped": len(rep.Entries) - rep.Count(CohortInvite) - rep.Count(CohortError), "errors": rep.Count(CohortError)}})
	if err != nil {
		return rep, fmt.Errorf("offboarding: cohort: %w", err)
	}
	return rep, nil
}

// errCohortChanged means the person changed between plan and write.
var errCohortChanged = errors.New("offboarding: changed meanwhile")

// graduate writes one entry: a new person with a graduated affiliation, a
// graduated affiliation for a known person without one in the unit, or
// the person's open affiliations ended as graduated.
func (s *Store) graduate(ctx context.Context, sc units.Scope, ppl *people.Store, actorID int64, req CohortRequest, e *CohortEntry) error {
	date := req.GraduationDate.Format(time.DateOnly)
	aff := people.AffiliationInput{Kind: "study", UnitID: strconv.FormatInt(req.UnitID, 10), EndDate: date,
		CohortYear: strconv.Itoa(req.Year), LeavingReason: "graduated"}
	switch {
	case e.New:
		in := people.Input{FirstName: e.FirstName, LastName: e.LastName, PrimaryEmail: e.Email, Language: e.Language}
		in.Normalize()
		id, err := ppl.CreatePerson(ctx, sc, actorID, in, &aff)
		if errors.Is(err, people.ErrEmailTaken) {
			return errCohortChanged
		}
		e.PersonID = id
		return err
	case len(e.affIDs) == 0:
		_, err := ppl.AddAffiliation(ctx, sc, actorID, e.PersonID, aff)
		if errors.Is(err, people.ErrNotFound) || errors.Is(err, people.ErrUnitOutOfScope) {
			return errCohortChanged
		}
		return err
	}
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		return people.Graduate(ctx, tx, actorID, e.PersonID, e.affIDs, req.UnitID, req.GraduationDate, req.Year, "cohort")
	})
	if errors.Is(err, people.ErrChanged) {
		return errCohortChanged
	}
	return err
}
