package offboarding

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"alumnet/internal/audit"
	"alumnet/internal/db"
	"alumnet/internal/i18n"
	"alumnet/internal/people"
	"alumnet/internal/units"
)

// Case is one leaver's offboarding.
type Case struct {
	ID                 int64      `db:"id"`
	PersonID           int64      `db:"person_id"`
	PersonName         string     `db:"person_name"`
	DepartureType      string     `db:"departure_type"`
	TypeNL             string     `db:"type_nl"`
	TypeEN             string     `db:"type_en"`
	Caution            bool       `db:"caution"`
	Audience           string     `db:"audience"`
	UnitID             int64      `db:"unit_id"`
	UnitName           string     `db:"unit_name"`
	AffiliationID      *int64     `db:"affiliation_id"`
	LeavingDate        time.Time  `db:"leaving_date"`
	ManagerID          *int64     `db:"manager_user_id"`
	ManagerName        *string    `db:"manager_name"`
	Status             string     `db:"status"`
	InvitationEmail    *string    `db:"invitation_email"`
	InvitationSentAt   *time.Time `db:"invitation_sent_at"`
	InvitationAccepted *time.Time `db:"invitation_accepted_at"`
	CreatedAt          time.Time  `db:"created_at"`
	ClosedAt           *time.Time `db:"closed_at"`
	OpenItems          int        `db:"open_items"`
	OverdueItems       int        `db:"overdue_items"`
	RequiredOpen       int        `db:"required_open"`

	Items []Item `db:"-"`
}

// TypeName is the departure type's name in lang.
func (c Case) TypeName(en bool) string {
	if en {
		return c.TypeEN
	}
	return c.TypeNL
}

// Open reports whether the case is still open.
func (c Case) Open() bool { return c.Status == "open" }

// Item is one task of a case.
type Item struct {
	ID            int64      `db:"id"`
	CaseID        int64      `db:"case_id"`
	TitleNL       string     `db:"title_nl"`
	TitleEN       string     `db:"title_en"`
	DescriptionNL string     `db:"description_nl"`
	DescriptionEN string     `db:"description_en"`
	Role          string     `db:"responsible_role"`
	Kind          string     `db:"kind"`
	Required      bool       `db:"required"`
	DueDate       time.Time  `db:"due_date"`
	AssigneeID    *int64     `db:"assignee_id"`
	AssigneeName  *string    `db:"assignee_name"`
	Status        string     `db:"status"`
	DoneByName    *string    `db:"done_by_name"`
	DoneAt        *time.Time `db:"done_at"`
	Note          string     `db:"note"`
}

// Title is the item's title in the language asked for.
func (i Item) Title(en bool) string {
	if en {
		return i.TitleEN
	}
	return i.TitleNL
}

// Description is the item's description in the language asked for.
func (i Item) Description(en bool) string {
	if en {
		return i.DescriptionEN
	}
	return i.DescriptionNL
}

// Overdue reports whether an open item is past its due date on day today.
func (i Item) Overdue(today time.Time) bool {
	return i.Status == "open" && i.DueDate.Before(dateOf(today))
}

// Today is the current moment on the organisation's clock: due dates and
// leaving dates are days there.
func Today() time.Time { return time.Now().In(i18n.Zone()) }

func dateOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// StartInput starts a case, for a person on record (PersonID) or a new
// one (NewPerson, validated by the caller).
type StartInput struct {
	PersonID      int64
	NewPerson     *people.Input
	DepartureType string
	UnitID        int64
	LeavingDate   time.Time
	ManagerID     int64 // 0: none
}

// Start opens a case for a leaver and makes its checklist from the
// departure type's template, due dates counted from the leaving date. The
// person and the unit must be in the caller's scope. The case ends the
// person's running affiliation in the unit when it closes; without one, an
// affiliation is added (employment or study, after the type's audience).
// Tasks go to the manager when the template says so, the others to whoever
// starts the case; a manager who may not get them is ErrAssignee. A new
// person is created in the same transaction as the case (an address that
// someone in scope has already is people.ErrEmailTaken): no person without
// the offboarding they were made for.
func (s *Store) Start(ctx context.Context, sc units.Scope, actorID int64, in StartInput) (int64, error) {
	if in.ManagerID != 0 {
		if err := s.checkAssignee(ctx, in.ManagerID, in.UnitID); err != nil {
			return 0, err
		}
	}
	var caseID int64
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		if in.NewPerson != nil {
			var err error
			// The affiliation follows from the case, below.
			if in.PersonID, err = people.CreatePersonTx(ctx, tx, sc, actorID, *in.NewPerson, nil); err != nil {
				return err
			}
		} else if err := personInScope(ctx, tx, sc, in.PersonID); err != nil {
			return err
		}
		var path []int64
		var archived bool
		err := tx.QueryRow(ctx, `SELECT path, archived_at IS NOT NULL FROM units WHERE id = $1`, in.UnitID).Scan(&path, &archived)
		if errors.Is(err, pgx.ErrNoRows) || archived || (err == nil && !sc.Includes(units.Unit{ID: in.UnitID, Path: path})) {
			return ErrUnitScope
		}
		if err != nil {
			return err
		}
		var dt DepartureType
		err = tx.QueryRow(ctx, `SELECT audience FROM departure_types WHERE key = $1 AND active`, in.DepartureType).Scan(&dt.Audience)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		kind := "employment"
		if dt.Audience == "school" {
			kind = "study"
		}
		// The affiliation this leaving ends: one still running in the unit,
		// or one with only a planned end (no leaving reason yet).
		affID, err := people.LeavingAffiliation(ctx, tx, in.PersonID, in.UnitID, kind, in.LeavingDate)
		if errors.Is(err, people.ErrStartsAfter) {
			return ErrLeavingBeforeStart
		}
		if err != nil {
			return err
		}
		var manager *int64
		if in.ManagerID != 0 {
			manager = &in.ManagerID
		}
		err = tx.QueryRow(ctx, `INSERT INTO offboarding_cases (person_id, departure_type, unit_id, affiliation_id, leaving_date, manager_user_id, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			in.PersonID, in.DepartureType, in.UnitID, affID, in.LeavingDate, manager, db.NullID(actorID)).Scan(&caseID)
		if db.IsUniqueViolation(err, "offboarding_cases_one_open_idx") {
			return ErrAlreadyOpen
		}
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT id, departure_type, title_nl, title_en, description_nl, description_en, responsible_role,
				due_offset_days, required, kind, position, archived_at
			FROM checklist_items WHERE departure_type = $1 AND archived_at IS NULL ORDER BY position, id`, in.DepartureType)
		if err != nil {
			return err
		}
		items, err := pgx.CollectRows(rows, pgx.RowToStructByName[TemplateItem])
		if err != nil {
			return err
		}
		for n, it := range items {
			assignee := db.NullID(actorID)
			if it.Role == "manager" && manager != nil {
				assignee = manager
			}
			if _, err := tx.Exec(ctx, `INSERT INTO offboarding_items (case_id, template_item_id, title_nl, title_en, description_nl,
					description_en, responsible_role, kind, required, due_date, position, assignee_id)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
				caseID, it.ID, it.TitleNL, it.TitleEN, it.DescriptionNL, it.DescriptionEN, it.Role, it.Kind, it.Required,
				DueDate(in.LeavingDate, it.OffsetDays), n, assignee); err != nil {
				return err
			}
		}
		return audit.Write(ctx, tx, audit.Record{ActorID: actorID, Action: "offboarding.start", PersonID: in.PersonID,
			Entity: "offboarding", EntityID: caseID, Details: map[string]any{"departure_type": in.DepartureType,
				"unit_id": in.UnitID, "leaving_date": in.LeavingDate.Format(time.DateOnly)}})
	})
	return caseID, err
}

func datePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.Format(time.DateOnly)
}

// personInScope checks that the person exists, is not erased and is
// within scope (ErrNotFound otherwise: a coordinator learns nothing about
// people outside their units).
func personInScope(ctx context.Context, q db.Querier, sc units.Scope, personID int64) error {
	var b db.Builder
	b.Where(`p.id = ` + b.Arg(personID))
	b.Where(`p.erased_at IS NULL`)
	sc.PersonCondition(&b, "p.id")
	var ok bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM persons p `+b.WhereSQL()+`)`, b.Args()...).Scan(&ok); err != nil {
		return err
	}
	if !ok {
		return ErrNotFound
	}
	return nil
}

const caseColumns = `c.id, c.person_id, p.first_name || ' ' || p.last_name AS person_name, c.departure_type,
	t.name_nl AS type_nl, t.name_en AS type_en, t.caution, t.audience, c.unit_id, u.name AS unit_name, c.affiliation_id,
	c.leaving_date, c.manager_user_id, m.name AS manager_name, c.status, c.invitation_email, c.invitation_sent_at,
	(SELECT max(al.at) FROM audit_log al WHERE al.person_id = c.person_id AND al.action = 'person.accept_invitation'
		AND c.invitation_sent_at IS NOT NULL AND al.at >= c.invitation_sent_at) AS invitation_accepted_at,
	c.created_at, c.closed_at,
	(SELECT count(*) FROM offboarding_items i WHERE i.case_id = c.id AND i.status = 'open')::int AS open_items,
	(SELECT count(*) FROM offboarding_items i WHERE i.case_id = c.id AND i.status = 'open' AND i.due_date < (now() AT TIME ZONE 'Europe/Amsterdam')::date)::int AS overdue_items,
	(SELECT count(*) FROM offboarding_items i WHERE i.case_id = c.id AND i.status = 'open' AND i.required)::int AS required_open`

const caseFrom = `FROM offboarding_cases c
	JOIN persons p ON p.id = c.person_id
	JOIN departure_types t ON t.key = c.departure_type
	JOIN units u ON u.id = c.unit_id
	LEFT JOIN users m ON m.id = c.manager_user_id`

// Case loads a case within scope, with its items.
func (s *Store) Case(ctx context.Context, sc units.Scope, id int64) (Case, error) {
	var b db.Builder
	b.Where(`c.id = ` + b.Arg(id))
	b.Where(`p.erased_at IS NULL`)
	sc.UnitCondition(&b, "c.unit_id")
	rows, err := s.pool.Query(ctx, `SELECT `+caseColumns+` `+caseFrom+` `+b.WhereSQL(), b.Args()...)
	if err != nil {
		return Case{}, err
	}
	c, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Case])
	if errors.Is(err, pgx.ErrNoRows) {
		return Case{}, ErrNotFound
	}
	if err != nil {
		return Case{}, fmt.Errorf("offboarding: case %d: %w", id, err)
	}
	rows, err = s.pool.Query(ctx, `SELECT i.id, i.case_id, i.title_nl, i.title_en, i.description_nl, i.description_en,
			i.responsible_role, i.kind, i.required, i.due_date, i.assignee_id, a.name AS assignee_name, i.status,
			d.name AS done_by_name, i.done_at, i.note
		FROM offboarding_items i LEFT JOIN users a ON a.id = i.assignee_id LEFT JOIN users d ON d.id = i.done_by
		WHERE i.case_id = $1 ORDER BY i.due_date, i.position, i.id`, id)
	if err != nil {
		return Case{}, err
	}
	if c.Items, err = pgx.CollectRows(rows, pgx.RowToStructByName[Item]); err != nil {
		return Case{}, fmt.Errorf("offboarding: items of case %d: %w", id, err)
	}
	return c, nil
}

// CasesOf lists the cases of one person (for the person page), within scope.
func (s *Store) CasesOf(ctx context.Context, sc units.Scope, personID int64) ([]Case, error) {
	var b db.Builder
	b.Where(`c.person_id = ` + b.Arg(personID))
	sc.UnitCondition(&b, "c.unit_id")
	rows, err := s.pool.Query(ctx, `SELECT `+caseColumns+` `+caseFrom+` `+b.WhereSQL()+` ORDER BY c.created_at DESC`, b.Args()...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[Case])
}

// CasesOutside returns the ids of the person's cases in units outside sc:
// what happens there is not the caller's to see.
func (s *Store) CasesOutside(ctx context.Context, sc units.Scope, personID int64) ([]int64, error) {
	var b db.Builder
	b.Where(`c.person_id = ` + b.Arg(personID))
	sc.OutsideUnitCondition(&b, "c.unit_id")
	rows, err := s.pool.Query(ctx, `SELECT c.id FROM offboarding_cases c `+b.WhereSQL(), b.Args()...)
	if err != nil {
		return nil, fmt.Errorf("offboarding: cases of %d outside scope: %w", personID, err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// Filter selects cases for the case list.
type Filter struct {
	Status        string // "open" (default), "closed" or "all"
	Overdue       bool
	DepartureType string
	UnitID        int64  // this unit and everything below it
	Month         string // leaving month, "2026-11"
	// Keyset: cases after (AfterDate, AfterID) in (leaving_date, id) order.
	AfterDate time.Time
	AfterID   int64
	Limit     int
}

// ParseMonth reads a "2026-11" month; ok false for anything else.
func ParseMonth(s string) (time.Time, bool) {
	t, err := time.Parse("2006-01", strings.TrimSpace(s))
	return t, err == nil
}

// List returns cases within scope matching f, by leaving date, and
// whether there are more.
func (s *Store) List(ctx context.Context, sc units.Scope, f Filter) ([]Case, bool, error) {
	var b db.Builder
	switch f.Status {
	case "closed":
		b.Where(`c.status = 'closed'`)
	case "cancelled":
		b.Where(`c.status = 'cancelled'`)
	case "all":
	default:
		b.Where(`c.status = 'open'`)
	}
	if f.Overdue {
		b.Where(`EXISTS (SELECT 1 FROM offboarding_items i WHERE i.case_id = c.id AND i.status = 'open' AND i.due_date < (now() AT TIME ZONE 'Europe/Amsterdam')::date)`)
	}
	if f.DepartureType != "" {
		b.Where(`c.departure_type = ` + b.Arg(f.DepartureType))
	}
	if f.UnitID != 0 {
		b.Where(`c.unit_id = ANY(ARRAY(SELECT id FROM units WHERE path && ARRAY[` + b.Arg(f.UnitID) + `::bigint]))`)
	}
	if m, ok := ParseMonth(f.Month); ok {
		b.Where(`c.leaving_date >= ` + b.Arg(m) + ` AND c.leaving_date < ` + b.Arg(m.AddDate(0, 1, 0)))
	}
	if f.AfterID != 0 {
		b.Where(`(c.leaving_date, c.id) > (` + b.Arg(f.AfterDate) + `::date, ` + b.Arg(f.AfterID) + `::bigint)`)
	}
	b.Where(`p.erased_at IS NULL`)
	sc.UnitCondition(&b, "c.unit_id")
	limit := f.Limit
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	rows, err := s.pool.Query(ctx, `SELECT `+caseColumns+` `+caseFrom+` `+b.WhereSQL()+`
		ORDER BY c.leaving_date, c.id LIMIT `+fmt.Sprint(limit+1), b.Args()...)
	if err != nil {
		return nil, false, fmt.Errorf("offboarding: list: %w", err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[Case])
	if err != nil {
		return nil, false, fmt.Errorf("offboarding: list: %w", err)
	}
	more := len(list) > limit
	if more {
		list = list[:limit]
	}
	return list, more, nil
}

// Task is an open item assigned to someone, with its case.
type Task struct {
	Item
	PersonName  string    `db:"person_name"`
	PersonID    int64     `db:"person_id"`
	LeavingDate time.Time `db:"leaving_date"`
}

// MyTasks returns the open items of open cases assigned to userID, within
// scope, by due date.
func (s *Store) MyTasks(ctx context.Context, sc units.Scope, userID int64) ([]Task, error) {
	var b db.Builder
	b.Where(`i.assignee_id = ` + b.Arg(userID))
	b.Where(`i.status = 'open'`)
	b.Where(`c.status = 'open'`)
	b.Where(`p.erased_at IS NULL`)
	sc.UnitCondition(&b, "c.unit_id")
	rows, err := s.pool.Query(ctx, `SELECT i.id, i.case_id, i.title_nl, i.title_en, i.description_nl, i.description_en,
			i.responsible_role, i.kind, i.required, i.due_date, i.assignee_id, a.name AS assignee_name, i.status,
			NULL::text AS done_by_name, i.done_at, i.note,
			p.first_name || ' ' || p.last_name AS person_name, c.person_id, c.leaving_date
		FROM offboarding_items i JOIN offboarding_cases c ON c.id = i.case_id JOIN persons p ON p.id = c.person_id
		LEFT JOIN users a ON a.id = i.assignee_id `+b.WhereSQL()+`
		ORDER BY i.due_date, i.id LIMIT 200`, b.Args()...)
	if err != nil {
		return nil, fmt.Errorf("offboarding: tasks of %d: %w", userID, err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[Task])
}

// ItemUpdate changes one item.
type ItemUpdate struct {
	Status     string // open, done, skipped
	Note       string // at most MaxItemNote characters are kept
	AssigneeID int64  // 0: nobody
}

// MaxItemNote is the length of an item's note (the form's too).
const MaxItemNote = 2000

// UpdateItem changes an item of an open case within scope: status (done
// records who and when), note, assignee. A new assignee who may not get
// the case's tasks is ErrAssignee; the current one stays, assignable or
// not, when the note changes.
func (s *Store) UpdateItem(ctx context.Context, sc units.Scope, actorID, caseID, itemID int64, u ItemUpdate) error {
	if u.Note = strings.TrimSpace(u.Note); utf8.RuneCountInString(u.Note) > MaxItemNote {
		u.Note = string([]rune(u.Note)[:MaxItemNote])
	}
	c, err := s.Case(ctx, sc, caseID)
	if err != nil {
		return err
	}
	if !c.Open() {
		return ErrClosed
	}
	var item *Item
	for i := range c.Items {
		if c.Items[i].ID == itemID {
			item = &c.Items[i]
		}
	}
	if item == nil {
		return ErrNotFound
	}
	if u.Status == "skipped" && item.Required {
		return ErrRequiredOpen
	}
	if u.AssigneeID != 0 && (item.AssigneeID == nil || *item.AssigneeID != u.AssigneeID) {
		if err := s.checkAssignee(ctx, u.AssigneeID, c.UnitID); err != nil {
			return err
		}
	}
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var status string
		if err := tx.QueryRow(ctx, `SELECT status FROM offboarding_cases WHERE id = $1 FOR UPDATE`, caseID).Scan(&status); err != nil {
			return err
		}
		if status != "open" {
			return ErrClosed
		}
		_, err := tx.Exec(ctx, `UPDATE offboarding_items SET status = $3, note = $4, assignee_id = $5,
				done_by = CASE WHEN $3 = 'open' THEN NULL WHEN status = $3 THEN done_by ELSE $6 END,
				done_at = CASE WHEN $3 = 'open' THEN NULL WHEN status = $3 THEN done_at ELSE now() END
			WHERE id = $1 AND case_id = $2`, itemID, caseID, u.Status, u.Note, db.NullID(u.AssigneeID), db.NullID(actorID))
		if err != nil {
			return err
		}
		details := map[string]any{"item": item.TitleNL}
		if item.Status != u.Status {
			details["changes"] = map[string]any{"status": map[string]any{"old": item.Status, "new": u.Status}}
		}
		return audit.Write(ctx, tx, audit.Record{ActorID: actorID, Action: "offboarding.item", PersonID: c.PersonID,
			Entity: "offboarding", EntityID: caseID, Details: details})
	})
}

// Close ends a case: every required item must be done. The affiliation
// ends on the leaving date with the departure type's leaving reason.
func (s *Store) Close(ctx context.Context, sc units.Scope, actorID, caseID int64) error {
	c, err := s.Case(ctx, sc, caseID)
	if err != nil {
		return err
	}
	if !c.Open() {
		return ErrClosed
	}
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		// The case row is locked, so no item reopens while it closes.
		var status string
		if err := tx.QueryRow(ctx, `SELECT status FROM offboarding_cases WHERE id = $1 FOR UPDATE`, caseID).Scan(&status); err != nil {
			return err
		}
		if status != "open" {
			return ErrClosed
		}
		var requiredOpen int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM offboarding_items WHERE case_id = $1 AND required AND status <> 'done'`,
			caseID).Scan(&requiredOpen); err != nil {
			return err
		}
		if requiredOpen > 0 {
			return ErrRequiredOpen
		}
		tag, err := tx.Exec(ctx, `UPDATE offboarding_cases SET status = 'closed', closed_at = now(), closed_by = $2
			WHERE id = $1 AND status = 'open'`, caseID, db.NullID(actorID))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrClosed
		}
		if c.AffiliationID != nil {
			var reason string
			if err := tx.QueryRow(ctx, `SELECT leaving_reason FROM departure_types WHERE key = $1`, c.DepartureType).Scan(&reason); err != nil {
				return err
			}
			err := people.EndAffiliation(ctx, tx, actorID, c.PersonID, *c.AffiliationID, c.LeavingDate, reason)
			if errors.Is(err, people.ErrStartsAfter) {
				return ErrLeavingBeforeStart
			}
			if err != nil {
				return err
			}
		}
		return audit.Write(ctx, tx, audit.Record{ActorID: actorID, Action: "offboarding.close", PersonID: c.PersonID,
			Entity: "offboarding", EntityID: caseID, Details: map[string]any{"leaving_date": c.LeavingDate.Format(time.DateOnly)}})
	})
}

// Cancel ends a case whose leaving does not happen (a resignation
// withdrawn, a case started for the wrong person): the affiliation is left
// as it is, open tasks stay open but nobody is reminded of them any more.
func (s *Store) Cancel(ctx context.Context, sc units.Scope, actorID, caseID int64) error {
	c, err := s.Case(ctx, sc, caseID)
	if err != nil {
		return err
	}
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE offboarding_cases SET status = 'cancelled', closed_at = now(), closed_by = $2
			WHERE id = $1 AND status = 'open'`, caseID, db.NullID(actorID))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrClosed
		}
		return audit.Write(ctx, tx, audit.Record{ActorID: actorID, Action: "offboarding.cancel", PersonID: c.PersonID,
			Entity: "offboarding", EntityID: caseID})
	})
}

// Reschedule moves the leaving date of an open case; the due dates of the
// open tasks move along (done ones keep theirs), and reminders start over.
func (s *Store) Reschedule(ctx context.Context, sc units.Scope, actorID, caseID int64, leaving time.Time) error {
	c, err := s.Case(ctx, sc, caseID)
	if err != nil {
		return err
	}
	shift := int(dateOf(leaving).Sub(dateOf(c.LeavingDate)).Hours() / 24)
	if shift == 0 {
		return nil
	}
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var status string
		var start *time.Time
		if err := tx.QueryRow(ctx, `SELECT c.status, a.start_date FROM offboarding_cases c LEFT JOIN affiliations a ON a.id = c.affiliation_id
			WHERE c.id = $1 FOR UPDATE OF c`, caseID).Scan(&status, &start); err != nil {
			return err
		}
		if status != "open" {
			return ErrClosed
		}
		if start != nil && start.After(leaving) {
			return ErrLeavingBeforeStart
		}
		if _, err := tx.Exec(ctx, `UPDATE offboarding_cases SET leaving_date = $2 WHERE id = $1`, caseID, leaving); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE offboarding_items SET due_date = due_date + $2::int, reminded_on = NULL
			WHERE case_id = $1 AND status = 'open'`, caseID, shift); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Record{ActorID: actorID, Action: "offboarding.reschedule", PersonID: c.PersonID,
			Entity: "offboarding", EntityID: caseID, Details: map[string]any{"changes": map[string]any{
				"leaving_date": map[string]any{"old": c.LeavingDate.Format(time.DateOnly), "new": leaving.Format(time.DateOnly)}}}})
	})
}
