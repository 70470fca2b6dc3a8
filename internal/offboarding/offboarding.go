// Package offboarding is the good goodbye: checklist templates per
// departure type, a case per leaver with due dates counted from the
// leaving date, the exit interview, reminders to whoever has a task, and
// the invitation into the alumni network as a step. Schools use it for a
// whole graduating cohort at once.
package offboarding

import (
	"errors"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"alumnet/internal/auth"
	"alumnet/internal/consent"
	"alumnet/internal/i18n"
	"alumnet/internal/portal"
)

// Responsible roles, item kinds and audiences.
var (
	Roles     = []string{"hr", "manager", "it", "facilities", "leaver", "coordinator"}
	Kinds     = []string{KindPlain, KindExitInterview, KindAlumniInvitation}
	Audiences = []string{"employer", "school"}
)

// Item kinds.
const (
	KindPlain            = "plain"
	KindExitInterview    = "exit_interview"
	KindAlumniInvitation = "alumni_invitation"
)

// Errors.
var (
	ErrNotFound      = errors.New("offboarding: not found")
	ErrRequiredOpen  = errors.New("offboarding: required items are still open")
	ErrClosed        = errors.New("offboarding: the case is closed")
	ErrAlreadyOpen   = errors.New("offboarding: this person already has an open case in this unit")
	ErrUnitScope     = errors.New("offboarding: unit outside the caller's units")
	ErrDuplicateType = errors.New("offboarding: a departure type with this key exists")
	ErrCautionNeeded = errors.New("offboarding: sending needs an explicit confirmation for this departure")
	// ErrLeavingBeforeStart means the leaving date lies before the start of
	// the affiliation it would end.
	ErrLeavingBeforeStart = errors.New("offboarding: the leaving date is before the affiliation's start")
	// ErrAssignee means the user may not get the case's tasks (see
	// Assignable).
	ErrAssignee = errors.New("offboarding: the user may not get this case's tasks")
)

// DepartureType is a kind of leaving, with its checklist template.
type DepartureType struct {
	Key           string `db:"key"`
	NameNL        string `db:"name_nl"`
	NameEN        string `db:"name_en"`
	Audience      string `db:"audience"`
	Caution       bool   `db:"caution"`
	LeavingReason string `db:"leaving_reason"`
	Active        bool   `db:"active"`
	SortOrder     int    `db:"sort_order"`
}

// Name is the type's name in lang.
func (d DepartureType) Name(lang i18n.Lang) string {
	if lang == i18n.EN {
		return d.NameEN
	}
	return d.NameNL
}

// TemplateItem is one item of a departure type's checklist.
type TemplateItem struct {
	ID            int64      `db:"id"`
	DepartureType string     `db:"departure_type"`
	TitleNL       string     `db:"title_nl"`
	TitleEN       string     `db:"title_en"`
	DescriptionNL string     `db:"description_nl"`
	DescriptionEN string     `db:"description_en"`
	Role          string     `db:"responsible_role"`
	OffsetDays    int        `db:"due_offset_days"`
	Required      bool       `db:"required"`
	Kind          string     `db:"kind"`
	Position      int        `db:"position"`
	ArchivedAt    *time.Time `db:"archived_at"`
}

// Title is the item's title in lang.
func (t TemplateItem) Title(lang i18n.Lang) string {
	if lang == i18n.EN {
		return t.TitleEN
	}
	return t.TitleNL
}

// DueDate is the day an item with offset days is due for a leaving date:
// calendar days, so a month end stays exact ("31 January - 7" is 24
// January, "31 January + 29" is 1 March, or 29 February in a leap year).
func DueDate(leaving time.Time, offsetDays int) time.Time {
	y, m, d := leaving.Date()
	return time.Date(y, m, d+offsetDays, 0, 0, 0, 0, time.UTC)
}

// Store holds templates and cases.
type Store struct {
	pool        *pgxpool.Pool
	portal      *portal.Store
	consent     *consent.Store
	users       *auth.Store
	workDomains []string
}

// NewStore returns a Store; the portal sends the alumni invitation, users
// are whom tasks go to. workDomains are the organisation's own mail
// domains: at leaving, the addresses on them stop opening the portal.
func NewStore(pool *pgxpool.Pool, p *portal.Store, cs *consent.Store, users *auth.Store, workDomains []string) *Store {
	return &Store{pool: pool, portal: p, consent: cs, users: users, workDomains: workDomains}
}
