// Package units keeps the organisation's tree of units: locations and
// programmes for a school, departments and teams for an employer. Units
// carry affiliations and bound what a coordinator may see.
package units

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"alumnet/internal/audit"
	"alumnet/internal/db"
)

// ErrNotFound means there is no such unit.
var ErrNotFound = errors.New("units: not found")

// ErrDuplicateName means a sibling already has that name.
var ErrDuplicateName = errors.New("units: a unit with this name already exists at this place")

// ErrCycle means a unit would be moved below itself.
var ErrCycle = errors.New("units: a unit cannot be moved below itself")

// Kinds are the unit kinds, in display order.
var Kinds = []string{"organisation", "location", "department", "team", "programme", "other"}

// Unit is one node of the tree.
type Unit struct {
	ID         int64      `db:"id"`
	ParentID   *int64     `db:"parent_id"`
	Name       string     `db:"name"`
	Kind       string     `db:"kind"`
	Path       []int64    `db:"path"`
	ArchivedAt *time.Time `db:"archived_at"`
	CreatedAt  time.Time  `db:"created_at"`
}

// Depth is 0 for a root unit.
func (u Unit) Depth() int { return len(u.Path) - 1 }

// Archived reports whether the unit is archived.
func (u Unit) Archived() bool { return u.ArchivedAt != nil }

// Store reads and changes units.
type Store struct{ pool *pgxpool.Pool }

// NewStore returns a Store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

const unitColumns = `id, parent_id, name, kind, path, archived_at, created_at`

// All returns every unit in tree order (each parent before its children,
// siblings by name). Archived units are included when withArchived is set.
func (s *Store) All(ctx context.Context, withArchived bool) ([]Unit, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT `+unitColumns+`
		FROM units u
		WHERE $1 OR u.archived_at IS NULL
		ORDER BY (SELECT array_agg(lower(a.name) || chr(1) || a.id ORDER BY x.ord)
		          FROM unnest(u.path) WITH ORDINALITY AS x(id, ord) JOIN units a ON a.id = x.id)`, withArchived)
	if err != nil {
		return nil, fmt.Errorf("units: all: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[Unit])
}

// ByID returns one unit.
func (s *Store) ByID(ctx context.Context, id int64) (Unit, error) { return ByIDTx(ctx, s.pool, id) }

// ByIDTx returns one unit through q (a transaction of the caller's).
func ByIDTx(ctx context.Context, q db.Querier, id int64) (Unit, error) {
	rows, err := q.Query(ctx, `SELECT `+unitColumns+` FROM units u WHERE id = $1`, id)
	if err != nil {
		return Unit{}, fmt.Errorf("units: unit %d: %w", id, err)
	}
	u, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Unit])
	if errors.Is(err, pgx.ErrNoRows) {
		return Unit{}, ErrNotFound
	}
	if err != nil {
		return Unit{}, fmt.Errorf("units: unit %d: %w", id, err)
	}
	return u, nil
}

// Create adds a unit below parentID (nil for a root), with its audit
// entry (actorID 0: the system).
func (s *Store) Create(ctx context.Context, actorID int64, parentID *int64, name, kind string) (Unit, error) {
	var u Unit
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var parentPath []int64
		if parentID != nil {
			if err := tx.QueryRow(ctx, `SELECT path FROM units WHERE id = $1 AND archived_at IS NULL`, *parentID).Scan(&parentPath); err != nil {
				if errors.Is(err, pgx.ErrNoRows) {
					return ErrNotFound
				}
				return err
			}
		}
		rows, err := tx.Query(ctx, `
			INSERT INTO units (parent_id, name, kind, path)
			VALUES ($1, $2, $3, '{}')
			RETURNING `+unitColumns, parentID, strings.TrimSpace(name), kind)
		if err != nil {
			return err
		}
		u, err = pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Unit])
		if err != nil {
			return err
		}
		u.Path = append(parentPath, u.ID)
		if _, err = tx.Exec(ctx, `UPDATE units SET path = $2 WHERE id = $1`, u.ID, u.Path); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Record{ActorID: actorID, Action: "unit.create", Entity: "unit", EntityID: u.ID,
			Details: map[string]any{"name": u.Name, "kind": u.Kind, "parent_id": u.ParentID}})
	})
	if db.IsUniqueViolation(err, "units_sibling_name_idx") {
		return Unit{}, ErrDuplicateName
	}
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Unit{}, fmt.Errorf("units: create %q: %w", name, err)
	}
	return u, err
}

// Update renames a unit, changes its kind and moves it (with everything
// below it) to a new parent; nil makes it a root. The audit entry names
// what changed.
func (s *Store) Update(ctx context.Context, actorID, id int64, name, kind string, parentID *int64) error {
	name = strings.TrimSpace(name)
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var oldPath []int64
		var old Unit
		if err := tx.QueryRow(ctx, `SELECT path, name, kind, parent_id FROM units WHERE id = $1 FOR UPDATE`, id).Scan(&oldPath,
			&old.Name, &old.Kind, &old.ParentID); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return ErrNotFound
			}
			return err
		}
		newPath := []int64{id}
		if parentID != nil {
			var parentPath []int64
			if err := tx.QueryRow(ctx, `SELECT path FROM units WHERE id = $1`, *parentID).Scan(&parentPath); err != nil {
				if errors.Is(err, pgx.ErrNoRows) {
					return ErrNotFound
				}
				return err
			}
			for _, a := range parentPath {
				if a == id {
					return ErrCycle
				}
			}
			newPath = append(parentPath, id)
		}
		if _, err := tx.Exec(ctx, `UPDATE units SET name = $2, kind = $3, parent_id = $4 WHERE id = $1`,
			id, name, kind, parentID); err != nil {
			return err
		}
		// Re-root the subtree: everything below keeps its part of the path after id.
		if _, err := tx.Exec(ctx, `
			UPDATE units SET path = $2::bigint[] || path[array_position(path, $1::bigint) + 1:]
			WHERE path @> ARRAY[$1::bigint]`, id, newPath); err != nil {
			return err
		}
		changes := map[string]any{}
		if old.Name != name {
			changes["name"] = change(old.Name, name)
		}
		if old.Kind != kind {
			changes["kind"] = change(old.Kind, kind)
		}
		if !sameParent(old.ParentID, parentID) {
			changes["parent_id"] = change(old.ParentID, parentID)
		}
		if len(changes) == 0 {
			return nil
		}
		return audit.Write(ctx, tx, audit.Record{ActorID: actorID, Action: "unit.update", Entity: "unit", EntityID: id,
			Details: map[string]any{"changes": changes}})
	})
	switch {
	case db.IsUniqueViolation(err, "units_sibling_name_idx"):
		return ErrDuplicateName
	case err == nil, errors.Is(err, ErrNotFound), errors.Is(err, ErrCycle):
		return err
	}
	return fmt.Errorf("units: update %d: %w", id, err)
}

// SetArchived archives (or restores) a unit and everything below it, with
// its audit entry. Archived units keep their affiliations but take no new
// ones.
func (s *Store) SetArchived(ctx context.Context, actorID, id int64, archived bool) error {
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var name string
		if err := tx.QueryRow(ctx, `SELECT name FROM units WHERE id = $1`, id).Scan(&name); err != nil {
			return err
		}
		action := "unit.restore"
		if archived {
			action = "unit.archive"
			if _, err := tx.Exec(ctx, `UPDATE units SET archived_at = coalesce(archived_at, now()) WHERE path @> ARRAY[$1::bigint]`, id); err != nil {
				return err
			}
		} else if _, err := tx.Exec(ctx, `UPDATE units SET archived_at = NULL
			WHERE id = ANY((SELECT path FROM units WHERE id = $1)::bigint[]) OR path @> ARRAY[$1::bigint]`, id); err != nil {
			// Restoring needs the parents to be active; the chain upwards is restored.
			return err
		}
		return audit.Write(ctx, tx, audit.Record{ActorID: actorID, Action: action, Entity: "unit", EntityID: id,
			Details: map[string]any{"name": name}})
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	if db.IsUniqueViolation(err, "units_sibling_name_idx") {
		return ErrDuplicateName
	}
	if err != nil {
		return fmt.Errorf("units: archive %d: %w", id, err)
	}
	return nil
}

// Scope says which people a user may see: everyone, or those with an
// affiliation in one of the Roots units or below them.
type Scope struct {
	All   bool
	Roots []int64
}

// Everyone is the scope of staff and admins.
func Everyone() Scope { return Scope{All: true} }

// Within is a coordinator's scope: their units and everything below.
func Within(roots []int64) Scope {
	if roots == nil {
		roots = []int64{}
	}
	return Scope{Roots: roots}
}

// Includes reports whether unit u lies in the scope.
func (sc Scope) Includes(u Unit) bool {
	if sc.All {
		return true
	}
	for _, a := range u.Path {
		for _, r := range sc.Roots {
			if a == r {
				return true
			}
		}
	}
	return false
}

// PersonCondition adds to b the condition "the person in column personCol
// has an affiliation within the scope"; it adds nothing for Everyone. Every
// query over people calls it, so the scope is enforced in SQL.
func (sc Scope) PersonCondition(b *db.Builder, personCol string) {
	if sc.All {
		return
	}
	// The units below the roots are looked up once (an init plan), so the
	// check per person is an index-only probe of affiliations_person_idx.
	b.Where(`EXISTS (SELECT 1 FROM affiliations sa WHERE sa.person_id = ` + personCol + `
		AND sa.unit_id = ANY(ARRAY(SELECT id FROM units WHERE path && ` + b.Arg(sc.Roots) + `::bigint[])))`)
}

// OutsideUnitCondition adds to b the condition "the unit in column
// unitCol lies outside the scope"; for Everyone nothing lies outside, and
// it adds a condition no row meets.
func (sc Scope) OutsideUnitCondition(b *db.Builder, unitCol string) {
	if sc.All {
		b.Where("false")
		return
	}
	b.Where(`NOT (` + unitCol + ` = ANY(ARRAY(SELECT id FROM units WHERE path && ` + b.Arg(sc.Roots) + `::bigint[])))`)
}

// UnitCondition adds to b the condition "the unit in column unitCol lies
// within the scope"; it adds nothing for Everyone. Records that belong to a
// unit (an offboarding case) use it besides PersonCondition: a coordinator
// who once had the person in their units does not thereby see what
// happens in another unit.
func (sc Scope) UnitCondition(b *db.Builder, unitCol string) {
	if sc.All {
		return
	}
	b.Where(unitCol + ` = ANY(ARRAY(SELECT id FROM units WHERE path && ` + b.Arg(sc.Roots) + `::bigint[]))`)
}

func change(old, new any) map[string]any { return map[string]any{"old": old, "new": new} }

func sameParent(a, b *int64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
