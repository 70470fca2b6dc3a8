// Package audit records who read or changed what, and when. Every staff view
// of a person's record and every change is written here; a person's
// timeline and the admin's audit page read it.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"alumnet/internal/db"
)

// Entry is one line of the audit log.
type Entry struct {
	ID        int64          `db:"id"`
	At        time.Time      `db:"at"`
	ActorID   *int64         `db:"actor_id"`
	ActorName *string        `db:"actor_name"`
	Action    string         `db:"action"`
	PersonID  *int64         `db:"person_id"`
	Entity    string         `db:"entity"`
	EntityID  *int64         `db:"entity_id"`
	Details   map[string]any `db:"details"`
}

// Record is what a caller writes.
type Record struct {
	ActorID  int64 // 0 for the system
	Action   string
	PersonID int64 // 0 when the entry is not about a person
	Entity   string
	EntityID int64
	Details  map[string]any
}

// Ref names records of one kind: the entity and their ids.
type Ref struct {
	Entity string
	IDs    []int64
}

// Store writes and reads the audit log.
type Store struct{ pool *pgxpool.Pool }

// NewStore returns a Store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Write adds an entry through q, so that a change and its audit entry are
// committed together when q is a transaction.
func Write(ctx context.Context, q db.Querier, r Record) error {
	details := r.Details
	if details == nil {
		details = map[string]any{}
	}
	b, err := json.Marshal(details)
	if err != nil {
		return fmt.Errorf("audit: details: %w", err)
	}
	_, err = q.Exec(ctx, `INSERT INTO audit_log (actor_id, action, person_id, entity, entity_id, details)
		VALUES ($1, $2, $3, $4, $5, $6)`, db.NullID(r.ActorID), r.Action, db.NullID(r.PersonID), r.Entity, db.NullID(r.EntityID), b)
	if err != nil {
		return fmt.Errorf("audit: write %s: %w", r.Action, err)
	}
	return nil
}

// Write adds an entry on its own.
func (s *Store) Write(ctx context.Context, r Record) error { return Write(ctx, s.pool, r) }

// Filter selects entries for the audit page.
type Filter struct {
	ActorID  int64
	PersonID int64
	Action   string
	// ExcludeActions leaves these actions out (the timeline skips views).
	ExcludeActions []string
	// Hide leaves out the entries about these records (a coordinator does
	// not see what happened in another unit's offboarding case).
	Hide     []Ref
	From, To time.Time // To is exclusive; zero means open
	// Keyset: entries older than (BeforeAt, BeforeID).
	BeforeID int64
	Limit    int
}

const entryColumns = `a.id, a.at, a.actor_id, u.name AS actor_name, a.action, a.person_id, a.entity, a.entity_id, a.details`

// List returns entries matching f, newest first, and whether there are more.
func (s *Store) List(ctx context.Context, f Filter) ([]Entry, bool, error) {
	var b db.Builder
	if f.ActorID != 0 {
		b.Where(`a.actor_id = ` + b.Arg(f.ActorID))
	}
	if f.PersonID != 0 {
		b.Where(`a.person_id = ` + b.Arg(f.PersonID))
	}
	if f.Action != "" {
		b.Where(`a.action = ` + b.Arg(f.Action))
	}
	if len(f.ExcludeActions) > 0 {
		b.Where(`NOT (a.action = ANY(` + b.Arg(f.ExcludeActions) + `::text[]))`)
	}
	for _, h := range f.Hide {
		if len(h.IDs) > 0 {
			b.Where(`NOT (a.entity = ` + b.Arg(h.Entity) + ` AND a.entity_id = ANY(` + b.Arg(h.IDs) + `::bigint[]))`)
		}
	}
	if !f.From.IsZero() {
		b.Where(`a.at >= ` + b.Arg(f.From))
	}
	if !f.To.IsZero() {
		b.Where(`a.at < ` + b.Arg(f.To))
	}
	if f.BeforeID != 0 {
		b.Where(`(a.at, a.id) < (SELECT at, id FROM audit_log WHERE id = ` + b.Arg(f.BeforeID) + `)`)
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	rows, err := s.pool.Query(ctx, `SELECT `+entryColumns+`
		FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
		`+b.WhereSQL()+`
		ORDER BY a.at DESC, a.id DESC
		LIMIT `+fmt.Sprint(limit+1), b.Args()...)
	if err != nil {
		return nil, false, fmt.Errorf("audit: list: %w", err)
	}
	entries, err := pgx.CollectRows(rows, pgx.RowToStructByName[Entry])
	if err != nil {
		return nil, false, fmt.Errorf("audit: list: %w", err)
	}
	more := len(entries) > limit
	if more {
		entries = entries[:limit]
	}
	return entries, more, nil
}
