package consent

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
)

// Limits of a purpose's fields, as in the database.
const (
	MaxName    = 120
	MaxText    = 4000
	MaxSortAbs = 100000
)

var keyRE = regexp.MustCompile(`^[a-z][a-z0-9_]{1,39}$`)

// PurposeInput is what an administrator enters for a purpose.
type PurposeInput struct {
	// Key is set on creation only; the code refers to purposes by key.
	Key       string
	Basis     string
	Active    bool
	SortOrder int
	NameNL    string
	NameEN    string
	TextNL    string
	TextEN    string
	// BaseVersion is the text version the editor started from. When the
	// purpose has a newer one, UpdatePurpose refuses with ErrConflict
	// rather than overwrite it unseen. 0 skips the check.
	BaseVersion int
}

// Normalize trims the input; texts keep their paragraphs.
func (in *PurposeInput) Normalize() {
	in.Key = strings.ToLower(strings.TrimSpace(in.Key))
	in.NameNL = strings.Join(strings.Fields(in.NameNL), " ")
	in.NameEN = strings.Join(strings.Fields(in.NameEN), " ")
	in.TextNL = normalizeText(in.TextNL)
	in.TextEN = normalizeText(in.TextEN)
}

func normalizeText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// Validate returns field → message key for every problem; withKey checks
// the key too (creation).
func (in PurposeInput) Validate(withKey bool) form.Errors {
	errs := form.Errors{}
	if withKey {
		switch {
		case in.Key == "":
			errs.Add("key", "err.required")
		case !keyRE.MatchString(in.Key):
			errs.Add("key", "consent.err.key")
		}
	}
	if !slices.Contains(Bases, in.Basis) {
		errs.Add("basis", "err.choice")
	}
	if in.SortOrder < -MaxSortAbs || in.SortOrder > MaxSortAbs {
		errs.Add("sort_order", "consent.err.sort_order")
	}
	errs.Line("name_nl", in.NameNL, MaxName, true)
	errs.Line("name_en", in.NameEN, MaxName, true)
	errs.Text("text_nl", in.TextNL, MaxText, true)
	errs.Text("text_en", in.TextEN, MaxText, true)
	return errs
}

// InputOf returns the input that reproduces p, for the edit form.
func InputOf(p Purpose) PurposeInput {
	return PurposeInput{Key: p.Key, Basis: p.Basis, Active: p.Active, SortOrder: p.SortOrder,
		NameNL: p.NameNL, NameEN: p.NameEN, TextNL: p.TextNL, TextEN: p.TextEN, BaseVersion: p.Version}
}

const purposeSelect = `SELECT p.id, p.key, p.lawful_basis, p.active, p.sort_order, p.created_at,
	t.id AS text_id, t.version, t.name_nl, t.name_en, t.text_nl, t.text_en, t.created_at AS text_created_at
FROM consent_purposes p
JOIN LATERAL (SELECT id, version, name_nl, name_en, text_nl, text_en, created_at FROM consent_texts
              WHERE purpose_id = p.id ORDER BY version DESC LIMIT 1) t ON true`

// Purposes returns the purposes in display order, each with its current
// text; switched-off ones only when includeInactive is set.
func (s *Store) Purposes(ctx context.Context, includeInactive bool) ([]Purpose, error) {
	return purposes(ctx, s.pool, includeInactive)
}

func purposes(ctx context.Context, q db.Querier, includeInactive bool) ([]Purpose, error) {
	rows, err := q.Query(ctx, purposeSelect+` WHERE $1 OR p.active ORDER BY p.sort_order, p.id`, includeInactive)
	if err != nil {
		return nil, fmt.Errorf("consent: purposes: %w", err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[Purpose])
	if err != nil {
		return nil, fmt.Errorf("consent: purposes: %w", err)
	}
	return list, nil
}

// PurposeByID returns one purpose with its current text.
func (s *Store) PurposeByID(ctx context.Context, id int64) (Purpose, error) {
	return purposeWhere(ctx, s.pool, `p.id = $1`, id, "")
}

// PurposeByKey returns one purpose with its current text.
func (s *Store) PurposeByKey(ctx context.Context, key string) (Purpose, error) {
	return purposeWhere(ctx, s.pool, `p.key = $1`, key, "")
}

func purposeWhere(ctx context.Context, q db.Querier, cond string, arg any, lock string) (Purpose, error) {
	rows, err := q.Query(ctx, purposeSelect+` WHERE `+cond+lock, arg)
	if err != nil {
		return Purpose{}, fmt.Errorf("consent: purpose %v: %w", arg, err)
	}
	p, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Purpose])
	if errors.Is(err, pgx.ErrNoRows) {
		return Purpose{}, ErrNotFound
	}
	if err != nil {
		return Purpose{}, fmt.Errorf("consent: purpose %v: %w", arg, err)
	}
	return p, nil
}

// Versions returns every text version of a purpose, newest first.
func (s *Store) Versions(ctx context.Context, purposeID int64) ([]Text, error) {
	rows, err := s.pool.Query(ctx, `SELECT t.id, t.purpose_id, t.version, t.name_nl, t.name_en, t.text_nl, t.text_en,
			t.created_at, t.created_by, u.name AS created_by_name
		FROM consent_texts t LEFT JOIN users u ON u.id = t.created_by
		WHERE t.purpose_id = $1
		ORDER BY t.version DESC`, purposeID)
	if err != nil {
		return nil, fmt.Errorf("consent: versions of %d: %w", purposeID, err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[Text])
	if err != nil {
		return nil, fmt.Errorf("consent: versions of %d: %w", purposeID, err)
	}
	return list, nil
}

// CreatePurpose adds a purpose with version 1 of its texts, and an audit
// entry. The input must be normalized and valid.
func (s *Store) CreatePurpose(ctx context.Context, actorID int64, in PurposeInput) (Purpose, error) {
	var p Purpose
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO consent_purposes (key, lawful_basis, active, sort_order)
			VALUES ($1, $2, $3, $4) RETURNING id`, in.Key, in.Basis, in.Active, in.SortOrder).Scan(&id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO consent_texts (purpose_id, version, name_nl, name_en, text_nl, text_en, created_by)
			VALUES ($1, 1, $2, $3, $4, $5, $6)`, id, in.NameNL, in.NameEN, in.TextNL, in.TextEN, db.NullID(actorID)); err != nil {
			return err
		}
		var err error
		if p, err = purposeWhere(ctx, tx, `p.id = $1`, id, ""); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Record{ActorID: actorID, Action: "consent_purpose.create", Entity: "consent_purpose", EntityID: id,
			Details: map[string]any{"key": p.Key, "lawful_basis": p.Basis, "active": p.Active, "version": p.Version}})
	})
	if db.IsUniqueViolation(err, "consent_purposes_key_key") {
		return Purpose{}, ErrDuplicateKey
	}
	if err != nil {
		return Purpose{}, fmt.Errorf("consent: create purpose %q: %w", in.Key, err)
	}
	return p, nil
}

// UpdatePurpose changes a purpose. A changed name or text becomes a new
// text version; earlier versions stay as they were, because people agreed
// to them. Every change is written to the audit log; saving without
// changes writes nothing. The key never changes. The input must be
// normalized and valid.
func (s *Store) UpdatePurpose(ctx context.Context, actorID, id int64, in PurposeInput) (Purpose, error) {
	var p Purpose
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := purposeWhere(ctx, tx, `p.id = $1`, id, ` FOR UPDATE OF p`)
		if err != nil {
			return err
		}
		if in.BaseVersion != 0 && in.BaseVersion != cur.Version {
			return ErrConflict
		}
		changes := map[string]any{}
		diff := func(field string, old, new any) {
			if old != new {
				changes[field] = map[string]any{"old": old, "new": new}
			}
		}
		diff("lawful_basis", cur.Basis, in.Basis)
		diff("active", cur.Active, in.Active)
		diff("sort_order", cur.SortOrder, in.SortOrder)
		diff("name_nl", cur.NameNL, in.NameNL)
		diff("name_en", cur.NameEN, in.NameEN)
		textChanged := cur.TextNL != in.TextNL || cur.TextEN != in.TextEN
		if textChanged || changes["name_nl"] != nil || changes["name_en"] != nil {
			if _, err := tx.Exec(ctx, `INSERT INTO consent_texts (purpose_id, version, name_nl, name_en, text_nl, text_en, created_by)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, cur.Version+1, in.NameNL, in.NameEN, in.TextNL, in.TextEN, db.NullID(actorID)); err != nil {
				return err
			}
			// The texts themselves are on the versions page; the log names
			// the versions.
			if cur.TextNL != in.TextNL {
				changes["text_nl"] = map[string]any{"old": cur.Version, "new": cur.Version + 1}
			}
			if cur.TextEN != in.TextEN {
				changes["text_en"] = map[string]any{"old": cur.Version, "new": cur.Version + 1}
			}
			changes["version"] = map[string]any{"old": cur.Version, "new": cur.Version + 1}
		}
		if cur.Basis != in.Basis || cur.Active != in.Active || cur.SortOrder != in.SortOrder {
			if _, err := tx.Exec(ctx, `UPDATE consent_purposes SET lawful_basis = $2, active = $3, sort_order = $4 WHERE id = $1`,
				id, in.Basis, in.Active, in.SortOrder); err != nil {
				return err
			}
		}
		if p, err = purposeWhere(ctx, tx, `p.id = $1`, id, ""); err != nil {
			return err
		}
		if len(changes) == 0 {
			return nil
		}
		return audit.Write(ctx, tx, audit.Record{ActorID: actorID, Action: "consent_purpose.update", Entity: "consent_purpose", EntityID: id,
			Details: map[string]any{"key": cur.Key, "changes": changes}})
	})
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrConflict) {
		return Purpose{}, err
	}
	if err != nil {
		return Purpose{}, fmt.Errorf("consent: update purpose %d: %w", id, err)
	}
	return p, nil
}
