package consent

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"alumnet/internal/audit"
	"alumnet/internal/db"
)

// ledgerSelect reads ledger rows with the purpose's key and current name,
// the version of the text shown, and the staff member's name.
const ledgerSelect = `l.id, l.person_id, l.purpose_id, p.key AS purpose_key,
	cur.name_nl AS purpose_name_nl, cur.name_en AS purpose_name_en,
	l.basis, l.granted, l.text_id, t.version AS text_version, l.source,
	l.actor_user_id, u.name AS actor_name, l.by_person, l.at, l.note
FROM consent_ledger l
JOIN consent_purposes p ON p.id = l.purpose_id
JOIN LATERAL (SELECT name_nl, name_en FROM consent_texts
              WHERE purpose_id = l.purpose_id ORDER BY version DESC LIMIT 1) cur ON true
LEFT JOIN consent_texts t ON t.id = l.text_id
LEFT JOIN users u ON u.id = l.actor_user_id`

// erasedSQL tells whether person $1 has been erased (anonymised), and
// finds no row for an unknown person.
const erasedSQL = `SELECT erased_at IS NOT NULL FROM persons WHERE id = $1`

func erased(ctx context.Context, q db.Querier, personID int64) (bool, error) {
	var e bool
	err := q.QueryRow(ctx, erasedSQL, personID).Scan(&e)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, ErrNoPerson
	}
	return e, err
}

// RecordNow is Record in a transaction of its own: a grant or withdrawal
// that is the whole of the change (staff recording one on a person's
// behalf).
func (s *Store) RecordNow(ctx context.Context, e Entry) (id int64, err error) {
	err = db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		id, err = s.Record(ctx, tx, e)
		return err
	})
	return id, err
}

// Record appends a grant or withdrawal to the ledger through q, so that it
// commits together with the caller's other changes when q is a
// transaction. The rules: an import never grants; staff always give a
// note; only an active purpose can be granted, and not to an erased
// person; the text must be a version of the purpose (0: the current one);
// the lawful basis is the purpose's. When ActorUserID is set, the staff
// member's action is written to the audit log as well. It returns the new
// row's id.
func (s *Store) Record(ctx context.Context, q db.Querier, e Entry) (int64, error) {
	e.Note = strings.TrimSpace(e.Note)
	switch {
	case !slices.Contains(Sources, e.Source):
		return 0, ErrSource
	case e.Source == SourceImport && e.Granted:
		return 0, ErrImportGrant
	case e.Source == SourceStaff && e.Note == "":
		return 0, ErrNoteRequired
	case utf8.RuneCountInString(e.Note) > MaxNote:
		return 0, ErrNoteTooLong
	}
	var (
		key, basis string
		active     bool
		current    int64
		version    int
	)
	err := q.QueryRow(ctx, `SELECT p.key, p.lawful_basis, p.active, t.id, t.version
		FROM consent_purposes p
		JOIN LATERAL (SELECT id, version FROM consent_texts WHERE purpose_id = p.id ORDER BY version DESC LIMIT 1) t ON true
		WHERE p.id = $1`, e.PurposeID).Scan(&key, &basis, &active, &current, &version)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("consent: record: purpose %d: %w", e.PurposeID, err)
	}
	if e.Granted && !active {
		return 0, ErrInactive
	}
	isErased, err := erased(ctx, q, e.PersonID)
	if err != nil {
		if errors.Is(err, ErrNoPerson) {
			return 0, err
		}
		return 0, fmt.Errorf("consent: record: person %d: %w", e.PersonID, err)
	}
	if e.Granted && isErased {
		return 0, ErrErased
	}
	textID := current
	if e.TextID != 0 && e.TextID != current {
		err := q.QueryRow(ctx, `SELECT version FROM consent_texts WHERE id = $1 AND purpose_id = $2`, e.TextID, e.PurposeID).Scan(&version)
		if errors.Is(err, pgx.ErrNoRows) {
			return 0, ErrTextMismatch
		}
		if err != nil {
			return 0, fmt.Errorf("consent: record: text %d: %w", e.TextID, err)
		}
		textID = e.TextID
	}
	var note *string
	if e.Note != "" {
		note = &e.Note
	}
	var id int64
	if err := q.QueryRow(ctx, `INSERT INTO consent_ledger (person_id, purpose_id, basis, granted, text_id, source, actor_user_id, by_person, note)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		e.PersonID, e.PurposeID, basis, e.Granted, textID, e.Source, db.NullID(e.ActorUserID), e.ByPerson, note).Scan(&id); err != nil {
		return 0, fmt.Errorf("consent: record for person %d: %w", e.PersonID, err)
	}
	if e.ActorUserID != 0 {
		// The note stays in the ledger only: it may hold personal data,
		// and erasure clears it there.
		rec := audit.Record{ActorID: e.ActorUserID, Action: "consent.withdraw", PersonID: e.PersonID, Entity: "consent", EntityID: id,
			Details: map[string]any{"purpose": key, "source": e.Source, "version": version}}
		if e.Granted {
			rec.Action = "consent.grant"
		}
		if err := audit.Write(ctx, q, rec); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// States returns the person's standing for every active purpose, in
// display order: the latest ledger row of each, and what MayUse would say.
func (s *Store) States(ctx context.Context, personID int64) ([]State, error) {
	list, err := purposes(ctx, s.pool, false)
	if err != nil {
		return nil, err
	}
	isErased, err := erased(ctx, s.pool, personID)
	if err != nil && !errors.Is(err, ErrNoPerson) {
		return nil, fmt.Errorf("consent: states of %d: %w", personID, err)
	}
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT ON (l.purpose_id) `+ledgerSelect+`
		WHERE l.person_id = $1
		ORDER BY l.purpose_id, l.at DESC, l.id DESC`, personID)
	if err != nil {
		return nil, fmt.Errorf("consent: states of %d: %w", personID, err)
	}
	latest, err := pgx.CollectRows(rows, pgx.RowToStructByName[LedgerRow])
	if err != nil {
		return nil, fmt.Errorf("consent: states of %d: %w", personID, err)
	}
	byPurpose := make(map[int64]*LedgerRow, len(latest))
	for i := range latest {
		byPurpose[latest[i].PurposeID] = &latest[i]
	}
	states := make([]State, len(list))
	for i, p := range list {
		row := byPurpose[p.ID]
		d := decide(p, row, isErased)
		states[i] = State{Purpose: p, Granted: row != nil && row.Granted, Row: row, Allowed: d.Allowed, Reason: d.Reason}
	}
	return states, nil
}

// History returns every ledger row of the person, newest first.
func (s *Store) History(ctx context.Context, personID int64) ([]LedgerRow, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+ledgerSelect+`
		WHERE l.person_id = $1
		ORDER BY l.at DESC, l.id DESC`, personID)
	if err != nil {
		return nil, fmt.Errorf("consent: history of %d: %w", personID, err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[LedgerRow])
	if err != nil {
		return nil, fmt.Errorf("consent: history of %d: %w", personID, err)
	}
	return list, nil
}

// MayUse answers whether purpose purposeKey may be used for the person now,
// with the reason and the ledger row it rests on. Ask it at the moment of
// use (sending a mail, listing someone), not earlier. An unknown purpose
// key is ErrNotFound; an unknown person has never consented.
func (s *Store) MayUse(ctx context.Context, personID int64, purposeKey string) (Decision, error) {
	p, err := s.PurposeByKey(ctx, purposeKey)
	if err != nil {
		return Decision{}, err
	}
	isErased, err := erased(ctx, s.pool, personID)
	if errors.Is(err, ErrNoPerson) {
		return Decision{Reason: ReasonNever}, nil
	}
	if err != nil {
		return Decision{}, fmt.Errorf("consent: may use %s for %d: %w", purposeKey, personID, err)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+ledgerSelect+`
		WHERE l.person_id = $1 AND l.purpose_id = $2
		ORDER BY l.at DESC, l.id DESC
		LIMIT 1`, personID, p.ID)
	if err != nil {
		return Decision{}, fmt.Errorf("consent: may use %s for %d: %w", purposeKey, personID, err)
	}
	var row *LedgerRow
	r, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[LedgerRow])
	switch {
	case err == nil:
		row = &r
	case !errors.Is(err, pgx.ErrNoRows):
		return Decision{}, fmt.Errorf("consent: may use %s for %d: %w", purposeKey, personID, err)
	}
	return decide(p, row, isErased), nil
}

// EraseNotes clears the notes of the person's ledger rows, as part of
// erasing the person; it must run in the erasure's transaction. It is the
// only change the database lets through on the ledger (see the trigger in
// migrations/00005_consent.sql), and only while it runs. It returns how
// many notes it cleared.
func EraseNotes(ctx context.Context, tx pgx.Tx, personID int64) (int64, error) {
	if _, err := tx.Exec(ctx, `SELECT set_config('alumnet.erasure', 'on', true)`); err != nil {
		return 0, fmt.Errorf("consent: erase notes of %d: %w", personID, err)
	}
	tag, err := tx.Exec(ctx, `UPDATE consent_ledger SET note = NULL WHERE person_id = $1 AND note IS NOT NULL`, personID)
	if err != nil {
		return 0, fmt.Errorf("consent: erase notes of %d: %w", personID, err)
	}
	if _, err := tx.Exec(ctx, `SELECT set_config('alumnet.erasure', 'off', true)`); err != nil {
		return 0, fmt.Errorf("consent: erase notes of %d: %w", personID, err)
	}
	return tag.RowsAffected(), nil
}

// Choose records an alumnus' own grant or withdrawal of one purpose from
// the portal, with the version of the text they saw (textID; 0: the
// current one). A repeat of what they chose last (a double click, a second
// tab) writes no row: the choices of one person for one purpose are taken
// in turn.
func (s *Store) Choose(ctx context.Context, personID, purposeID, textID int64, granted bool) error {
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('consent:' || $1::bigint || ':' || $2::bigint, 0))`,
			personID, purposeID); err != nil {
			return err
		}
		var latest *bool
		err := tx.QueryRow(ctx, `SELECT granted FROM consent_ledger WHERE person_id = $1 AND purpose_id = $2
			ORDER BY at DESC, id DESC LIMIT 1`, personID, purposeID).Scan(&latest)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if latest != nil && *latest == granted {
			return nil
		}
		_, err = s.Record(ctx, tx, Entry{PersonID: personID, PurposeID: purposeID, Granted: granted,
			TextID: textID, Source: SourcePortal, ByPerson: true})
		return err
	})
}
