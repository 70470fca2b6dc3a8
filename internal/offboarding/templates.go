package offboarding

// The checklist templates: departure types and the items of their
// checklists, as the administrator keeps them. A case copies the active
// items of its type when it starts, so changes here reach new cases only.

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"alumnet/internal/audit"
	"alumnet/internal/db"
	"alumnet/internal/form"
	"alumnet/internal/people"
)

// Limits of the template fields, as in the database.
const (
	MaxTypeName    = 100
	MaxItemTitle   = 200
	MaxDescription = 2000
	MaxOffsetDays  = 365
	MaxSortAbs     = 100000
)

// ErrKindTaken means the checklist already has an active item of this kind:
// a case has one exit interview and one alumni invitation.
var ErrKindTaken = errors.New("offboarding: the checklist already has an item of this kind")

var typeKeyRE = regexp.MustCompile(`^[a-z][a-z0-9_]{1,39}$`)

// Normalize trims what an administrator typed for a departure type.
func (d *DepartureType) Normalize() {
	d.Key = strings.ToLower(strings.TrimSpace(d.Key))
	d.NameNL = strings.Join(strings.Fields(d.NameNL), " ")
	d.NameEN = strings.Join(strings.Fields(d.NameEN), " ")
}

// Validate returns field → catalogue key for every problem of a departure
// type; withKey checks the key too (creation: the key is fixed after that).
func (d DepartureType) Validate(withKey bool) form.Errors {
	errs := form.Errors{}
	if withKey {
		switch {
		case d.Key == "":
			errs.Add("key", "err.required")
		case !typeKeyRE.MatchString(d.Key):
			errs.Add("key", "offboarding.admin.err.key")
		}
	}
	errs.Line("name_nl", d.NameNL, MaxTypeName, true)
	errs.Line("name_en", d.NameEN, MaxTypeName, true)
	if !slices.Contains(Audiences, d.Audience) {
		errs.Add("audience", "err.choice")
	}
	if !slices.Contains(people.LeavingReasons, d.LeavingReason) {
		errs.Add("leaving_reason", "err.choice")
	}
	if d.SortOrder < -MaxSortAbs || d.SortOrder > MaxSortAbs {
		errs.Add("sort_order", "offboarding.admin.err.sort_order")
	}
	return errs
}

// Normalize trims what an administrator typed for a checklist item;
// descriptions keep their paragraphs.
func (t *TemplateItem) Normalize() {
	t.TitleNL = strings.Join(strings.Fields(t.TitleNL), " ")
	t.TitleEN = strings.Join(strings.Fields(t.TitleEN), " ")
	t.DescriptionNL = trimText(t.DescriptionNL)
	t.DescriptionEN = trimText(t.DescriptionEN)
}

func trimText(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// Validate returns field → catalogue key for every problem of a checklist
// item. The due offset is in days from the leaving date, at most a year
// either way.
func (t TemplateItem) Validate() form.Errors {
	errs := form.Errors{}
	errs.Line("title_nl", t.TitleNL, MaxItemTitle, true)
	errs.Line("title_en", t.TitleEN, MaxItemTitle, true)
	errs.Text("description_nl", t.DescriptionNL, MaxDescription, false)
	errs.Text("description_en", t.DescriptionEN, MaxDescription, false)
	if !slices.Contains(Roles, t.Role) {
		errs.Add("role", "err.choice")
	}
	if !slices.Contains(Kinds, t.Kind) {
		errs.Add("kind", "err.choice")
	}
	if t.OffsetDays < -MaxOffsetDays || t.OffsetDays > MaxOffsetDays {
		errs.Add("offset_days", "offboarding.admin.err.offset")
	}
	return errs
}

// Archived reports whether the item is archived: kept for the record, not
// copied into new cases.
func (t TemplateItem) Archived() bool { return t.ArchivedAt != nil }

const departureTypeColumns = `key, name_nl, name_en, audience, caution, leaving_reason, active, sort_order`

const templateItemColumns = `id, departure_type, title_nl, title_en, description_nl, description_en, responsible_role,
	due_offset_days, required, kind, position, archived_at`

// DepartureTypes returns the departure types in display order; switched-off
// ones only when includeInactive is set.
func (s *Store) DepartureTypes(ctx context.Context, includeInactive bool) ([]DepartureType, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+departureTypeColumns+` FROM departure_types
		WHERE $1 OR active ORDER BY sort_order, key`, includeInactive)
	if err != nil {
		return nil, fmt.Errorf("offboarding: departure types: %w", err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[DepartureType])
	if err != nil {
		return nil, fmt.Errorf("offboarding: departure types: %w", err)
	}
	return list, nil
}

// DepartureTypeByKey returns one departure type, active or not.
func (s *Store) DepartureTypeByKey(ctx context.Context, key string) (DepartureType, error) {
	return loadType(ctx, s.pool, key, "")
}

func loadType(ctx context.Context, q db.Querier, key, lock string) (DepartureType, error) {
	rows, err := q.Query(ctx, `SELECT `+departureTypeColumns+` FROM departure_types WHERE key = $1`+lock, key)
	if err != nil {
		return DepartureType{}, fmt.Errorf("offboarding: departure type %q: %w", key, err)
	}
	d, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[DepartureType])
	if errors.Is(err, pgx.ErrNoRows) {
		return DepartureType{}, ErrNotFound
	}
	if err != nil {
		return DepartureType{}, fmt.Errorf("offboarding: departure type %q: %w", key, err)
	}
	return d, nil
}

// CreateDepartureType adds a departure type with an empty checklist, and an
// audit entry. The type must be normalized and valid; a taken key gives
// ErrDuplicateType.
func (s *Store) CreateDepartureType(ctx context.Context, actorID int64, d DepartureType) (DepartureType, error) {
	var saved DepartureType
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `INSERT INTO departure_types (key, name_nl, name_en, audience, caution, leaving_reason, active, sort_order)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING `+departureTypeColumns,
			d.Key, d.NameNL, d.NameEN, d.Audience, d.Caution, d.LeavingReason, d.Active, d.SortOrder)
		if err != nil {
			return err
		}
		if saved, err = pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[DepartureType]); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Record{ActorID: actorID, Action: "departure_type.create", Entity: "departure_type",
			Details: map[string]any{"key": saved.Key, "name_nl": saved.NameNL, "name_en": saved.NameEN, "audience": saved.Audience,
				"caution": saved.Caution, "leaving_reason": saved.LeavingReason, "active": saved.Active}})
	})
	if db.IsUniqueViolation(err, "departure_types_pkey") {
		return DepartureType{}, ErrDuplicateType
	}
	if err != nil {
		return DepartureType{}, fmt.Errorf("offboarding: create departure type %q: %w", d.Key, err)
	}
	return saved, nil
}

// UpdateDepartureType changes a departure type's names, audience, caution,
// leaving reason, whether it is offered, and its place in the list; the
// key never changes. Every change is written to the audit log; saving
// without changes writes nothing. The type must be normalized and valid.
func (s *Store) UpdateDepartureType(ctx context.Context, actorID int64, key string, d DepartureType) (DepartureType, error) {
	var saved DepartureType
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := loadType(ctx, tx, key, ` FOR UPDATE`)
		if err != nil {
			return err
		}
		changes := map[string]any{}
		noteChange(changes, "name_nl", cur.NameNL, d.NameNL)
		noteChange(changes, "name_en", cur.NameEN, d.NameEN)
		noteChange(changes, "audience", cur.Audience, d.Audience)
		noteChange(changes, "caution", cur.Caution, d.Caution)
		noteChange(changes, "leaving_reason", cur.LeavingReason, d.LeavingReason)
		noteChange(changes, "active", cur.Active, d.Active)
		noteChange(changes, "sort_order", cur.SortOrder, d.SortOrder)
		if len(changes) == 0 {
			saved = cur
			return nil
		}
		rows, err := tx.Query(ctx, `UPDATE departure_types
			SET name_nl = $2, name_en = $3, audience = $4, caution = $5, leaving_reason = $6, active = $7, sort_order = $8
			WHERE key = $1 RETURNING `+departureTypeColumns,
			key, d.NameNL, d.NameEN, d.Audience, d.Caution, d.LeavingReason, d.Active, d.SortOrder)
		if err != nil {
			return err
		}
		if saved, err = pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[DepartureType]); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Record{ActorID: actorID, Action: "departure_type.update", Entity: "departure_type",
			Details: map[string]any{"key": key, "changes": changes}})
	})
	if errors.Is(err, ErrNotFound) {
		return DepartureType{}, err
	}
	if err != nil {
		return DepartureType{}, fmt.Errorf("offboarding: update departure type %q: %w", key, err)
	}
	return saved, nil
}

// noteChange notes a changed field for the audit log.
func noteChange[T comparable](changes map[string]any, field string, old, new T) {
	if old != new {
		changes[field] = map[string]any{"old": old, "new": new}
	}
}

// ItemCount counts the active items of a checklist.
type ItemCount struct {
	Items    int `db:"items"`
	Required int `db:"required"`
}

// TemplateItemCounts returns, per departure type key, how many active items
// its checklist has; types without any are missing from the map.
func (s *Store) TemplateItemCounts(ctx context.Context) (map[string]ItemCount, error) {
	rows, err := s.pool.Query(ctx, `SELECT departure_type, count(*) AS items, count(*) FILTER (WHERE required) AS required
		FROM checklist_items WHERE archived_at IS NULL GROUP BY departure_type`)
	if err != nil {
		return nil, fmt.Errorf("offboarding: item counts: %w", err)
	}
	out := map[string]ItemCount{}
	var key string
	var c ItemCount
	_, err = pgx.ForEachRow(rows, []any{&key, &c.Items, &c.Required}, func() error {
		out[key] = c
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("offboarding: item counts: %w", err)
	}
	return out, nil
}

// TemplateItems returns the checklist of a departure type in order;
// archived items only when includeArchived is set.
func (s *Store) TemplateItems(ctx context.Context, typeKey string, includeArchived bool) ([]TemplateItem, error) {
	return loadTemplateItems(ctx, s.pool, typeKey, includeArchived, "")
}

func loadTemplateItems(ctx context.Context, q db.Querier, typeKey string, includeArchived bool, lock string) ([]TemplateItem, error) {
	rows, err := q.Query(ctx, `SELECT `+templateItemColumns+` FROM checklist_items
		WHERE departure_type = $1 AND ($2 OR archived_at IS NULL)
		ORDER BY position, id`+lock, typeKey, includeArchived)
	if err != nil {
		return nil, fmt.Errorf("offboarding: items of %q: %w", typeKey, err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[TemplateItem])
	if err != nil {
		return nil, fmt.Errorf("offboarding: items of %q: %w", typeKey, err)
	}
	return list, nil
}

// TemplateItemByID returns one checklist item, archived or not.
func (s *Store) TemplateItemByID(ctx context.Context, id int64) (TemplateItem, error) {
	return loadTemplateItem(ctx, s.pool, id, "")
}

func loadTemplateItem(ctx context.Context, q db.Querier, id int64, lock string) (TemplateItem, error) {
	rows, err := q.Query(ctx, `SELECT `+templateItemColumns+` FROM checklist_items WHERE id = $1`+lock, id)
	if err != nil {
		return TemplateItem{}, fmt.Errorf("offboarding: item %d: %w", id, err)
	}
	t, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[TemplateItem])
	if errors.Is(err, pgx.ErrNoRows) {
		return TemplateItem{}, ErrNotFound
	}
	if err != nil {
		return TemplateItem{}, fmt.Errorf("offboarding: item %d: %w", id, err)
	}
	return t, nil
}

// checkKindFree checks that the checklist of typeKey has no other active item of
// a special kind (exit interview, alumni invitation).
func checkKindFree(ctx context.Context, tx pgx.Tx, typeKey, kind string, self int64) error {
	if kind == KindPlain {
		return nil
	}
	var taken bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM checklist_items
		WHERE departure_type = $1 AND kind = $2 AND archived_at IS NULL AND id <> $3)`, typeKey, kind, self).Scan(&taken); err != nil {
		return err
	}
	if taken {
		return ErrKindTaken
	}
	return nil
}

// CreateTemplateItem adds an item at the end of the checklist of
// t.DepartureType, and an audit entry. The item must be normalized and
// valid; an unknown type gives ErrNotFound, a second exit interview or
// alumni invitation ErrKindTaken.
func (s *Store) CreateTemplateItem(ctx context.Context, actorID int64, t TemplateItem) (TemplateItem, error) {
	var saved TemplateItem
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		// Locking the type serialises additions to one checklist, so two
		// admins do not both take the last position or the one exit interview.
		if _, err := loadType(ctx, tx, t.DepartureType, ` FOR UPDATE`); err != nil {
			return err
		}
		if err := checkKindFree(ctx, tx, t.DepartureType, t.Kind, 0); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `INSERT INTO checklist_items (departure_type, title_nl, title_en, description_nl, description_en,
				responsible_role, due_offset_days, required, kind, position)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,
				(SELECT coalesce(max(position), 0) + 10 FROM checklist_items WHERE departure_type = $1 AND archived_at IS NULL))
			RETURNING `+templateItemColumns,
			t.DepartureType, t.TitleNL, t.TitleEN, t.DescriptionNL, t.DescriptionEN, t.Role, t.OffsetDays, t.Required, t.Kind)
		if err != nil {
			return err
		}
		if saved, err = pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[TemplateItem]); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Record{ActorID: actorID, Action: "checklist_item.create", Entity: "checklist_item", EntityID: saved.ID,
			Details: map[string]any{"departure_type": saved.DepartureType, "title_nl": saved.TitleNL, "responsible_role": saved.Role,
				"due_offset_days": saved.OffsetDays, "required": saved.Required, "kind": saved.Kind}})
	})
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrKindTaken) {
		return TemplateItem{}, err
	}
	if err != nil {
		return TemplateItem{}, fmt.Errorf("offboarding: create item for %q: %w", t.DepartureType, err)
	}
	return saved, nil
}

// UpdateTemplateItem changes an item's texts, responsible role, due
// offset, required flag and kind; its checklist and place stay. Running
// cases keep their copy. Saving without changes writes no audit entry.
// The item must be normalized and valid.
func (s *Store) UpdateTemplateItem(ctx context.Context, actorID, id int64, t TemplateItem) (TemplateItem, error) {
	var saved TemplateItem
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := loadTemplateItem(ctx, tx, id, "")
		if err != nil {
			return err
		}
		if _, err := loadType(ctx, tx, cur.DepartureType, ` FOR UPDATE`); err != nil {
			return err
		}
		if cur, err = loadTemplateItem(ctx, tx, id, ` FOR UPDATE`); err != nil {
			return err
		}
		if !cur.Archived() && t.Kind != cur.Kind {
			if err := checkKindFree(ctx, tx, cur.DepartureType, t.Kind, id); err != nil {
				return err
			}
		}
		changes := map[string]any{}
		noteChange(changes, "title_nl", cur.TitleNL, t.TitleNL)
		noteChange(changes, "title_en", cur.TitleEN, t.TitleEN)
		noteChange(changes, "description_nl", cur.DescriptionNL, t.DescriptionNL)
		noteChange(changes, "description_en", cur.DescriptionEN, t.DescriptionEN)
		noteChange(changes, "responsible_role", cur.Role, t.Role)
		noteChange(changes, "due_offset_days", cur.OffsetDays, t.OffsetDays)
		noteChange(changes, "required", cur.Required, t.Required)
		noteChange(changes, "kind", cur.Kind, t.Kind)
		if len(changes) == 0 {
			saved = cur
			return nil
		}
		rows, err := tx.Query(ctx, `UPDATE checklist_items
			SET title_nl = $2, title_en = $3, description_nl = $4, description_en = $5, responsible_role = $6,
				due_offset_days = $7, required = $8, kind = $9
			WHERE id = $1 RETURNING `+templateItemColumns,
			id, t.TitleNL, t.TitleEN, t.DescriptionNL, t.DescriptionEN, t.Role, t.OffsetDays, t.Required, t.Kind)
		if err != nil {
			return err
		}
		if saved, err = pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[TemplateItem]); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Record{ActorID: actorID, Action: "checklist_item.update", Entity: "checklist_item", EntityID: id,
			Details: map[string]any{"departure_type": cur.DepartureType, "changes": changes}})
	})
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrKindTaken) {
		return TemplateItem{}, err
	}
	if err != nil {
		return TemplateItem{}, fmt.Errorf("offboarding: update item %d: %w", id, err)
	}
	return saved, nil
}

// ArchiveTemplateItem takes an item off its checklist: new cases no longer
// get it, running cases keep theirs, and it can be restored. Archiving an
// archived item changes nothing.
func (s *Store) ArchiveTemplateItem(ctx context.Context, actorID, id int64) error {
	return s.setItemArchived(ctx, actorID, id, true)
}

// RestoreTemplateItem puts an archived item back on its checklist, at its
// old place. A checklist that meanwhile got another item of the same
// special kind gives ErrKindTaken.
func (s *Store) RestoreTemplateItem(ctx context.Context, actorID, id int64) error {
	return s.setItemArchived(ctx, actorID, id, false)
}

func (s *Store) setItemArchived(ctx context.Context, actorID, id int64, archived bool) error {
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := loadTemplateItem(ctx, tx, id, "")
		if err != nil {
			return err
		}
		if _, err := loadType(ctx, tx, cur.DepartureType, ` FOR UPDATE`); err != nil {
			return err
		}
		if cur, err = loadTemplateItem(ctx, tx, id, ` FOR UPDATE`); err != nil {
			return err
		}
		if cur.Archived() == archived {
			return nil
		}
		var action string
		if archived {
			action = "checklist_item.archive"
			_, err = tx.Exec(ctx, `UPDATE checklist_items SET archived_at = now() WHERE id = $1`, id)
		} else {
			if err := checkKindFree(ctx, tx, cur.DepartureType, cur.Kind, id); err != nil {
				return err
			}
			action = "checklist_item.restore"
			_, err = tx.Exec(ctx, `UPDATE checklist_items SET archived_at = NULL WHERE id = $1`, id)
		}
		if err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Record{ActorID: actorID, Action: action, Entity: "checklist_item", EntityID: id,
			Details: map[string]any{"departure_type": cur.DepartureType, "title_nl": cur.TitleNL}})
	})
	if err == nil || errors.Is(err, ErrNotFound) || errors.Is(err, ErrKindTaken) {
		return err
	}
	return fmt.Errorf("offboarding: archive item %d: %w", id, err)
}

// MoveTemplateItem moves an active item one place up (earlier) or down in
// its checklist; at the top or bottom it stays. The active items are then
// numbered 10, 20, 30… so that the order is unambiguous. An archived item
// cannot be moved (ErrNotFound).
func (s *Store) MoveTemplateItem(ctx context.Context, actorID, id int64, up bool) error {
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := loadTemplateItem(ctx, tx, id, "")
		if err != nil {
			return err
		}
		if cur.Archived() {
			return ErrNotFound
		}
		if _, err := loadType(ctx, tx, cur.DepartureType, ` FOR UPDATE`); err != nil {
			return err
		}
		items, err := loadTemplateItems(ctx, tx, cur.DepartureType, false, ` FOR UPDATE`)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(items, func(t TemplateItem) bool { return t.ID == id })
		j := i + 1
		if up {
			j = i - 1
		}
		if i < 0 || j < 0 || j >= len(items) {
			return nil
		}
		items[i], items[j] = items[j], items[i]
		for n, t := range items {
			if pos := (n + 1) * 10; t.Position != pos {
				if _, err := tx.Exec(ctx, `UPDATE checklist_items SET position = $2 WHERE id = $1`, t.ID, pos); err != nil {
					return err
				}
			}
		}
		return audit.Write(ctx, tx, audit.Record{ActorID: actorID, Action: "checklist_item.move", Entity: "checklist_item", EntityID: id,
			Details: map[string]any{"departure_type": cur.DepartureType, "title_nl": cur.TitleNL,
				"changes": map[string]any{"position": map[string]any{"old": i + 1, "new": j + 1}}}})
	})
	if err == nil || errors.Is(err, ErrNotFound) {
		return err
	}
	return fmt.Errorf("offboarding: move item %d: %w", id, err)
}
