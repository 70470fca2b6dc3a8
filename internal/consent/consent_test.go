package consent_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"alumnet/internal/audit"
	"alumnet/internal/consent"
	"alumnet/internal/db"
	"alumnet/internal/form"
	"alumnet/internal/i18n"
	"alumnet/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

type fixture struct {
	pool  *pgxpool.Pool
	store *consent.Store
	staff int64 // a staff user
	anna  int64 // a person
	bram  int64 // another person
}

func setup(t *testing.T) fixture {
	t.Helper()
	ctx := context.Background()
	d := pgtest.New(t)
	f := fixture{pool: d.Pool, store: consent.NewStore(d.Pool)}
	if err := d.Pool.QueryRow(ctx, `INSERT INTO users (email, name, role) VALUES ('hr@example.nl', 'Hanna HR', 'staff') RETURNING id`).Scan(&f.staff); err != nil {
		t.Fatal(err)
	}
	f.anna = f.person(t, "Anna", "de Vries")
	f.bram = f.person(t, "Bram", "Jansen")
	return f
}

func (f fixture) person(t *testing.T, first, last string) int64 {
	t.Helper()
	var id int64
	if err := f.pool.QueryRow(context.Background(), `INSERT INTO persons (first_name, last_name) VALUES ($1, $2) RETURNING id`, first, last).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func (f fixture) purpose(t *testing.T, key string) consent.Purpose {
	t.Helper()
	p, err := f.store.PurposeByKey(context.Background(), key)
	if err != nil {
		t.Fatalf("purpose %s: %v", key, err)
	}
	return p
}

// record writes e on the pool and fails the test on an error.
func (f fixture) record(t *testing.T, e consent.Entry) int64 {
	t.Helper()
	id, err := f.store.Record(context.Background(), f.pool, e)
	if err != nil {
		t.Fatalf("record %+v: %v", e, err)
	}
	return id
}

// inTx runs sql in a transaction of its own (after the setup statements)
// and rolls it back; it returns the error of the last statement.
func inTx(t *testing.T, pool *pgxpool.Pool, setup []string, sql string, args ...any) (int64, error) {
	t.Helper()
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	for _, s := range setup {
		if _, err := tx.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	tag, err := tx.Exec(ctx, sql, args...)
	return tag.RowsAffected(), err
}

func TestDefaultPurposes(t *testing.T) {
	f := setup(t)
	list, err := f.store.Purposes(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, p := range list {
		keys = append(keys, p.Key)
		if p.Basis != consent.BasisConsent || !p.Active || p.Version != 1 || p.TextID == 0 {
			t.Errorf("%s: basis %s, active %v, version %d, text %d", p.Key, p.Basis, p.Active, p.Version, p.TextID)
		}
		if p.Name(i18n.NL) == p.Name(i18n.EN) || len(p.Text(i18n.NL)) < 100 || len(p.Text(i18n.EN)) < 100 {
			t.Errorf("%s: texts missing or not translated: %q / %q", p.Key, p.Name(i18n.NL), p.Name(i18n.EN))
		}
	}
	want := "newsletter,events,vacancies,directory,contact_by_alumni,story_publication,surveys"
	if got := strings.Join(keys, ","); got != want {
		t.Errorf("default purposes %s, want %s", got, want)
	}
}

// TestLedgerRefusesChanges goes around the store: the database itself
// refuses UPDATE, DELETE and TRUNCATE on the ledger, and lets only the
// erasure's clearing of a note through.
func TestLedgerRefusesChanges(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	nl := f.purpose(t, "newsletter")
	id := f.record(t, consent.Entry{PersonID: f.anna, PurposeID: nl.ID, Granted: true, Source: consent.SourceStaff,
		ActorUserID: f.staff, Note: "Papieren formulier, reünie 2024"})
	erasure := []string{`SET LOCAL alumnet.erasure = 'on'`}

	tests := []struct {
		name    string
		setup   []string
		sql     string
		allowed bool
	}{
		{name: "update granted", sql: `UPDATE consent_ledger SET granted = false WHERE id = $1`},
		{name: "update at", sql: `UPDATE consent_ledger SET at = at - interval '1 day' WHERE id = $1`},
		{name: "clear note without the erasure setting", sql: `UPDATE consent_ledger SET note = NULL WHERE id = $1`},
		{name: "delete", sql: `DELETE FROM consent_ledger WHERE id = $1`},
		{name: "delete under erasure", setup: erasure, sql: `DELETE FROM consent_ledger WHERE id = $1`},
		{name: "change note under erasure", setup: erasure, sql: `UPDATE consent_ledger SET note = 'anders' WHERE id = $1`},
		{name: "clear note and change source under erasure", setup: erasure, sql: `UPDATE consent_ledger SET note = NULL, source = 'portal' WHERE id = $1`},
		{name: "clear note and withdraw under erasure", setup: erasure, sql: `UPDATE consent_ledger SET note = NULL, granted = false WHERE id = $1`},
		{name: "erasure setting off", setup: []string{`SET LOCAL alumnet.erasure = 'off'`}, sql: `UPDATE consent_ledger SET note = NULL WHERE id = $1`},
		{name: "clear note under erasure", setup: erasure, sql: `UPDATE consent_ledger SET note = NULL WHERE id = $1`, allowed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := inTx(t, f.pool, tt.setup, tt.sql, id)
			if tt.allowed {
				if err != nil || n != 1 {
					t.Fatalf("refused (%d rows): %v", n, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "consent_ledger is append-only") {
				t.Fatalf("not refused by the trigger: %d rows, %v", n, err)
			}
		})
	}
	t.Run("truncate", func(t *testing.T) {
		if _, err := inTx(t, f.pool, nil, `TRUNCATE consent_ledger`); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Fatalf("truncate not refused: %v", err)
		}
	})
	t.Run("texts are immutable", func(t *testing.T) {
		if _, err := inTx(t, f.pool, nil, `UPDATE consent_texts SET text_nl = 'x' WHERE id = $1`, nl.TextID); err == nil || !strings.Contains(err.Error(), "immutable") {
			t.Fatalf("text update not refused: %v", err)
		}
		if _, err := inTx(t, f.pool, nil, `DELETE FROM consent_texts WHERE id = $1`, nl.TextID); err == nil || !strings.Contains(err.Error(), "immutable") {
			t.Fatalf("text delete not refused: %v", err)
		}
	})
	t.Run("a person with ledger rows cannot be deleted", func(t *testing.T) {
		if _, err := inTx(t, f.pool, nil, `DELETE FROM persons WHERE id = $1`, f.anna); err == nil {
			t.Fatal("person deleted")
		}
	})

	// Everything was rolled back: the row is as it was.
	h, err := f.store.History(ctx, f.anna)
	if err != nil || len(h) != 1 || !h[0].Granted || h[0].Note == nil || *h[0].Note != "Papieren formulier, reünie 2024" {
		t.Fatalf("row changed: %+v, %v", h, err)
	}

	// EraseNotes clears the notes inside the erasure's transaction, and
	// the setting does not outlive it.
	err = db.InTx(ctx, f.pool, func(tx pgx.Tx) error {
		n, err := consent.EraseNotes(ctx, tx, f.anna)
		if err != nil || n != 1 {
			t.Errorf("EraseNotes = %d, %v", n, err)
		}
		if _, err := tx.Exec(ctx, `SAVEPOINT s`); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE consent_ledger SET granted = false WHERE id = $1`, id)
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("after EraseNotes the ledger accepted an update: %v", err)
		}
		_, err = tx.Exec(ctx, `ROLLBACK TO SAVEPOINT s`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err = f.store.History(ctx, f.anna)
	if err != nil || len(h) != 1 || h[0].Note != nil || !h[0].Granted || h[0].Source != consent.SourceStaff {
		t.Fatalf("after erasure: %+v, %v", h, err)
	}
	if _, err := inTx(t, f.pool, nil, `UPDATE consent_ledger SET note = NULL WHERE id = $1`, id); err == nil {
		t.Fatal("the erasure setting leaked out of its transaction")
	}
}

func TestImportCannotGrant(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	nl := f.purpose(t, "newsletter")
	if _, err := f.store.Record(ctx, f.pool, consent.Entry{PersonID: f.anna, PurposeID: nl.ID, Granted: true, Source: consent.SourceImport}); !errors.Is(err, consent.ErrImportGrant) {
		t.Fatalf("import grant: %v, want ErrImportGrant", err)
	}
	// The database refuses it too.
	_, err := f.pool.Exec(ctx, `INSERT INTO consent_ledger (person_id, purpose_id, basis, granted, text_id, source)
		VALUES ($1, $2, 'consent', true, $3, 'import')`, f.anna, nl.ID, nl.TextID)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "23514" || pgErr.ConstraintName != "consent_ledger_import_never_grants" {
		t.Fatalf("database accepted an import grant: %v", err)
	}
	// An import may record a withdrawal.
	f.record(t, consent.Entry{PersonID: f.anna, PurposeID: nl.ID, Granted: false, Source: consent.SourceImport, Note: "uit oude lijst"})
	d, err := f.store.MayUse(ctx, f.anna, "newsletter")
	if err != nil || d.Allowed || d.Reason != consent.ReasonWithdrawn || d.Row == nil || d.Row.Source != consent.SourceImport {
		t.Fatalf("after import withdrawal: %+v, %v", d, err)
	}
}

func TestRecordRules(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	nl := f.purpose(t, "newsletter")
	ev := f.purpose(t, "events")
	tests := []struct {
		name string
		e    consent.Entry
		want error
	}{
		{"staff without note", consent.Entry{PersonID: f.anna, PurposeID: nl.ID, Granted: true, Source: consent.SourceStaff, ActorUserID: f.staff}, consent.ErrNoteRequired},
		{"staff with blank note", consent.Entry{PersonID: f.anna, PurposeID: nl.ID, Source: consent.SourceStaff, ActorUserID: f.staff, Note: "  \n "}, consent.ErrNoteRequired},
		{"note too long", consent.Entry{PersonID: f.anna, PurposeID: nl.ID, Source: consent.SourceStaff, Note: strings.Repeat("x", 1001)}, consent.ErrNoteTooLong},
		{"unknown source", consent.Entry{PersonID: f.anna, PurposeID: nl.ID, Granted: true, Source: "telepathy"}, consent.ErrSource},
		{"unknown purpose", consent.Entry{PersonID: f.anna, PurposeID: 999999, Granted: true, Source: consent.SourcePortal}, consent.ErrNotFound},
		{"unknown person", consent.Entry{PersonID: 999999, PurposeID: nl.ID, Granted: true, Source: consent.SourcePortal}, consent.ErrNoPerson},
		{"text of another purpose", consent.Entry{PersonID: f.anna, PurposeID: nl.ID, Granted: true, TextID: ev.TextID, Source: consent.SourcePortal}, consent.ErrTextMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := f.store.Record(ctx, f.pool, tt.e); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	var n int
	if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM consent_ledger`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("refused entries left %d rows, %v", n, err)
	}

	// Staff with a note: the row keeps the note, the basis and the current
	// text, and the audit log names the staff member and the person.
	id := f.record(t, consent.Entry{PersonID: f.anna, PurposeID: nl.ID, Granted: true, Source: consent.SourceStaff,
		ActorUserID: f.staff, Note: "  Aanmeldformulier op de open dag  "})
	h, err := f.store.History(ctx, f.anna)
	if err != nil || len(h) != 1 {
		t.Fatalf("history %+v, %v", h, err)
	}
	r := h[0]
	if r.ID != id || r.Note == nil || *r.Note != "Aanmeldformulier op de open dag" || r.Basis != "consent" || r.TextID == nil || *r.TextID != nl.TextID ||
		r.TextVersion == nil || *r.TextVersion != 1 || r.ActorName == nil || *r.ActorName != "Hanna HR" || r.ByPerson || r.PurposeKey != "newsletter" ||
		r.PurposeName(i18n.EN) != "Newsletter" {
		t.Errorf("row %+v", r)
	}
	entries, _, err := audit.NewStore(f.pool).List(ctx, audit.Filter{PersonID: f.anna})
	if err != nil || len(entries) != 1 || entries[0].Action != "consent.grant" || *entries[0].ActorID != f.staff || *entries[0].EntityID != id ||
		entries[0].Details["purpose"] != "newsletter" {
		t.Fatalf("audit %+v, %v", entries, err)
	}
	if _, ok := entries[0].Details["note"]; ok {
		t.Error("the note went into the audit log")
	}
	// Without a staff member there is no audit entry (the ledger is the record).
	f.record(t, consent.Entry{PersonID: f.anna, PurposeID: nl.ID, Granted: false, Source: consent.SourceUnsubscribe, ByPerson: true})
	if entries, _, _ = audit.NewStore(f.pool).List(ctx, audit.Filter{PersonID: f.anna}); len(entries) != 1 {
		t.Errorf("unsubscribe wrote %d audit entries, want none", len(entries)-1)
	}
}

func TestMayUseOverTime(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	nl := f.purpose(t, "newsletter")
	check := func(step string, allowed bool, reason string, rowID int64) {
		t.Helper()
		d, err := f.store.MayUse(ctx, f.anna, "newsletter")
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		gotRow := int64(0)
		if d.Row != nil {
			gotRow = d.Row.ID
		}
		if d.Allowed != allowed || d.Reason != reason || gotRow != rowID {
			t.Fatalf("%s: allowed %v, reason %s, row %d; want %v, %s, %d", step, d.Allowed, d.Reason, gotRow, allowed, reason, rowID)
		}
	}
	check("never asked", false, consent.ReasonNever, 0)
	grant := f.record(t, consent.Entry{PersonID: f.anna, PurposeID: nl.ID, Granted: true, Source: consent.SourceRegistration, ByPerson: true})
	check("granted", true, consent.ReasonGranted, grant)
	withdraw := f.record(t, consent.Entry{PersonID: f.anna, PurposeID: nl.ID, Granted: false, Source: consent.SourceUnsubscribe, ByPerson: true})
	check("withdrawn", false, consent.ReasonWithdrawn, withdraw)
	regrant := f.record(t, consent.Entry{PersonID: f.anna, PurposeID: nl.ID, Granted: true, Source: consent.SourcePortal, ByPerson: true})
	check("granted again", true, consent.ReasonGranted, regrant)

	// Rows written in one transaction share their time; the later one wins.
	var last int64
	err := db.InTx(ctx, f.pool, func(tx pgx.Tx) error {
		if _, err := f.store.Record(ctx, tx, consent.Entry{PersonID: f.anna, PurposeID: nl.ID, Granted: false, Source: consent.SourcePortal, ByPerson: true}); err != nil {
			return err
		}
		var err error
		last, err = f.store.Record(ctx, tx, consent.Entry{PersonID: f.anna, PurposeID: nl.ID, Granted: true, Source: consent.SourcePortal, ByPerson: true})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	check("same transaction", true, consent.ReasonGranted, last)

	// Someone else's rows do not count.
	if d, err := f.store.MayUse(ctx, f.bram, "newsletter"); err != nil || d.Allowed || d.Reason != consent.ReasonNever {
		t.Fatalf("other person: %+v, %v", d, err)
	}

	// A purpose switched off may not be used, and cannot be granted; a
	// withdrawal is still recorded.
	in := consent.InputOf(nl)
	in.Active = false
	if _, err := f.store.UpdatePurpose(ctx, f.staff, nl.ID, in); err != nil {
		t.Fatal(err)
	}
	check("inactive", false, consent.ReasonInactive, last)
	if _, err := f.store.Record(ctx, f.pool, consent.Entry{PersonID: f.bram, PurposeID: nl.ID, Granted: true, Source: consent.SourcePortal}); !errors.Is(err, consent.ErrInactive) {
		t.Fatalf("grant on inactive purpose: %v", err)
	}
	f.record(t, consent.Entry{PersonID: f.bram, PurposeID: nl.ID, Granted: false, Source: consent.SourcePortal, ByPerson: true})
	in.Active = true
	if _, err := f.store.UpdatePurpose(ctx, f.staff, nl.ID, in); err != nil {
		t.Fatal(err)
	}
	check("active again", true, consent.ReasonGranted, last)

	if _, err := f.store.MayUse(ctx, f.anna, "no_such_purpose"); !errors.Is(err, consent.ErrNotFound) {
		t.Errorf("unknown purpose: %v", err)
	}
	if d, err := f.store.MayUse(ctx, 999999, "newsletter"); err != nil || d.Allowed || d.Reason != consent.ReasonNever {
		t.Errorf("unknown person: %+v, %v", d, err)
	}
}

// TestErasedPersonNeverAllowed: an erased person (persons.erased_at, from
// the portal's migration) may not be used whatever the ledger says. The
// column is added here when this schema lacks it, so the test runs the same
// either way; the test's database is its own.
func TestErasedPersonNeverAllowed(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	nl := f.purpose(t, "newsletter")
	grant := f.record(t, consent.Entry{PersonID: f.anna, PurposeID: nl.ID, Granted: true, Source: consent.SourcePortal, ByPerson: true})
	if _, err := f.pool.Exec(ctx, `ALTER TABLE persons ADD COLUMN IF NOT EXISTS erased_at timestamptz`); err != nil {
		t.Fatal(err)
	}
	if d, err := f.store.MayUse(ctx, f.anna, "newsletter"); err != nil || !d.Allowed {
		t.Fatalf("before erasure: %+v, %v", d, err)
	}
	if _, err := f.pool.Exec(ctx, `UPDATE persons SET erased_at = now() WHERE id = $1`, f.anna); err != nil {
		t.Fatal(err)
	}
	d, err := f.store.MayUse(ctx, f.anna, "newsletter")
	if err != nil || d.Allowed || d.Reason != consent.ReasonErased || d.Row == nil || d.Row.ID != grant {
		t.Fatalf("erased: %+v, %v", d, err)
	}
	states, err := f.store.States(ctx, f.anna)
	if err != nil || states[0].Allowed || states[0].Reason != consent.ReasonErased || !states[0].Granted {
		t.Fatalf("erased states: %+v, %v", states, err)
	}
	if _, err := f.store.Record(ctx, f.pool, consent.Entry{PersonID: f.anna, PurposeID: nl.ID, Granted: true, Source: consent.SourcePortal}); !errors.Is(err, consent.ErrErased) {
		t.Fatalf("grant to erased person: %v", err)
	}
	f.record(t, consent.Entry{PersonID: f.anna, PurposeID: nl.ID, Granted: false, Source: consent.SourceStaff, ActorUserID: f.staff, Note: "opruimen"})
}

func TestLegitimateInterest(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	in := consent.PurposeInput{Key: "alumni_survey_statutory", Basis: consent.BasisLegitimateInterest, Active: true, SortOrder: 5,
		NameNL: "Verplicht alumni-onderzoek", NameEN: "Statutory alumni survey", TextNL: "Wij vragen je eens per jaar mee te doen.", TextEN: "We ask you once a year to take part."}
	p, err := f.store.CreatePurpose(ctx, f.staff, in)
	if err != nil {
		t.Fatal(err)
	}
	if d, err := f.store.MayUse(ctx, f.anna, p.Key); err != nil || !d.Allowed || d.Reason != consent.ReasonLegitimateInterest {
		t.Fatalf("no row: %+v, %v", d, err)
	}
	objection := f.record(t, consent.Entry{PersonID: f.anna, PurposeID: p.ID, Source: consent.SourcePortal, ByPerson: true})
	d, err := f.store.MayUse(ctx, f.anna, p.Key)
	if err != nil || d.Allowed || d.Reason != consent.ReasonWithdrawn || d.Row.ID != objection || d.Row.Basis != consent.BasisLegitimateInterest {
		t.Fatalf("after objection: %+v, %v", d, err)
	}
}

func TestStatesFromLatestRow(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	nl, ev, dir := f.purpose(t, "newsletter"), f.purpose(t, "events"), f.purpose(t, "directory")
	f.record(t, consent.Entry{PersonID: f.anna, PurposeID: nl.ID, Granted: true, Source: consent.SourceRegistration, ByPerson: true})
	nlOff := f.record(t, consent.Entry{PersonID: f.anna, PurposeID: nl.ID, Granted: false, Source: consent.SourceUnsubscribe, ByPerson: true})
	f.record(t, consent.Entry{PersonID: f.anna, PurposeID: ev.ID, Granted: false, Source: consent.SourcePortal, ByPerson: true})
	evOn := f.record(t, consent.Entry{PersonID: f.anna, PurposeID: ev.ID, Granted: true, Source: consent.SourceStaff, ActorUserID: f.staff, Note: "telefonisch"})
	f.record(t, consent.Entry{PersonID: f.bram, PurposeID: dir.ID, Granted: true, Source: consent.SourcePortal, ByPerson: true})

	states, err := f.store.States(ctx, f.anna)
	if err != nil {
		t.Fatal(err)
	}
	if len(states) != 7 || states[0].Purpose.Key != "newsletter" || states[1].Purpose.Key != "events" {
		t.Fatalf("states %d, order %s, %s", len(states), states[0].Purpose.Key, states[1].Purpose.Key)
	}
	byKey := map[string]consent.State{}
	for _, s := range states {
		byKey[s.Purpose.Key] = s
	}
	if s := byKey["newsletter"]; s.Granted || s.Allowed || s.Row == nil || s.Row.ID != nlOff || s.Reason != consent.ReasonWithdrawn {
		t.Errorf("newsletter: %+v", s)
	}
	if s := byKey["events"]; !s.Granted || !s.Allowed || s.Row == nil || s.Row.ID != evOn || s.Row.ActorName == nil {
		t.Errorf("events: %+v", s)
	}
	if s := byKey["directory"]; s.Granted || s.Row != nil || s.Reason != consent.ReasonNever {
		t.Errorf("directory (granted by someone else only): %+v", s)
	}

	h, err := f.store.History(ctx, f.anna)
	if err != nil || len(h) != 4 || h[0].ID != evOn || h[3].Source != consent.SourceRegistration {
		t.Fatalf("history newest first: %+v, %v", h, err)
	}

	// A switched-off purpose drops out of the states.
	in := consent.InputOf(ev)
	in.Active = false
	if _, err := f.store.UpdatePurpose(ctx, f.staff, ev.ID, in); err != nil {
		t.Fatal(err)
	}
	if states, err = f.store.States(ctx, f.anna); err != nil || len(states) != 6 {
		t.Fatalf("states without events: %d, %v", len(states), err)
	}
}

func TestEditMakesNewVersion(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	nl := f.purpose(t, "newsletter")
	seenV1 := nl.TextID

	// Saving without changes writes nothing.
	same, err := f.store.UpdatePurpose(ctx, f.staff, nl.ID, consent.InputOf(nl))
	if err != nil || same.Version != 1 || same.TextID != nl.TextID {
		t.Fatalf("unchanged save: %+v, %v", same, err)
	}
	// A new sort order is no new text.
	in := consent.InputOf(nl)
	in.SortOrder = 15
	moved, err := f.store.UpdatePurpose(ctx, f.staff, nl.ID, in)
	if err != nil || moved.Version != 1 || moved.SortOrder != 15 {
		t.Fatalf("sort change: %+v, %v", moved, err)
	}
	// A new text is.
	in = consent.InputOf(moved)
	in.TextNL = "Ja, stuur mij elke maand de nieuwsbrief."
	v2, err := f.store.UpdatePurpose(ctx, f.staff, nl.ID, in)
	if err != nil || v2.Version != 2 || v2.TextID == seenV1 || v2.TextNL != in.TextNL || v2.TextEN != nl.TextEN {
		t.Fatalf("text change: %+v, %v", v2, err)
	}
	// An editor who started from version 1 does not overwrite version 2.
	stale := consent.InputOf(nl)
	stale.NameEN = "Monthly newsletter"
	if _, err := f.store.UpdatePurpose(ctx, f.staff, nl.ID, stale); !errors.Is(err, consent.ErrConflict) {
		t.Fatalf("stale edit: %v", err)
	}
	if _, err := f.store.UpdatePurpose(ctx, f.staff, 999999, stale); !errors.Is(err, consent.ErrNotFound) {
		t.Fatalf("unknown purpose: %v", err)
	}

	versions, err := f.store.Versions(ctx, nl.ID)
	if err != nil || len(versions) != 2 || versions[0].Version != 2 || versions[1].Version != 1 || versions[1].TextNL != nl.TextNL ||
		versions[0].CreatedByName == nil || *versions[0].CreatedByName != "Hanna HR" || versions[1].CreatedBy != nil {
		t.Fatalf("versions %+v, %v", versions, err)
	}

	// TextID 0 records the current version; a person who saw version 1
	// (a registration started before the edit) gets version 1.
	f.record(t, consent.Entry{PersonID: f.anna, PurposeID: nl.ID, Granted: true, Source: consent.SourcePortal, ByPerson: true})
	f.record(t, consent.Entry{PersonID: f.bram, PurposeID: nl.ID, Granted: true, TextID: seenV1, Source: consent.SourceRegistration, ByPerson: true})
	for person, want := range map[int64]int{f.anna: 2, f.bram: 1} {
		d, err := f.store.MayUse(ctx, person, "newsletter")
		if err != nil || d.Row == nil || d.Row.TextVersion == nil || *d.Row.TextVersion != want {
			t.Errorf("person %d: %+v, %v; want version %d", person, d.Row, err, want)
		}
	}

	entries, _, err := audit.NewStore(f.pool).List(ctx, audit.Filter{Action: "consent_purpose.update"})
	if err != nil || len(entries) != 2 {
		t.Fatalf("update audit entries %d, %v", len(entries), err)
	}
	ch, _ := entries[0].Details["changes"].(map[string]any)
	if ch["text_nl"] == nil || ch["version"] == nil || ch["text_en"] != nil {
		t.Errorf("text change audit: %v", entries[0].Details)
	}
}

func TestCreatePurpose(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	in := consent.PurposeInput{Key: " Mentoring ", Basis: consent.BasisConsent, Active: true, SortOrder: 80,
		NameNL: " Mentorprogramma ", NameEN: "Mentoring  programme", TextNL: "Ja, koppel mij aan een student.\r\n\r\nJe kunt dit intrekken.  ", TextEN: "Yes, match me with a student."}
	in.Normalize()
	if errs := in.Validate(true); len(errs) > 0 {
		t.Fatalf("valid input refused: %v", errs)
	}
	p, err := f.store.CreatePurpose(ctx, f.staff, in)
	if err != nil {
		t.Fatal(err)
	}
	if p.Key != "mentoring" || p.Version != 1 || p.NameNL != "Mentorprogramma" || p.NameEN != "Mentoring programme" ||
		p.TextNL != "Ja, koppel mij aan een student.\n\nJe kunt dit intrekken." {
		t.Errorf("created %+v", p)
	}
	if _, err := f.store.CreatePurpose(ctx, f.staff, in); !errors.Is(err, consent.ErrDuplicateKey) {
		t.Errorf("duplicate key: %v", err)
	}
	entries, _, err := audit.NewStore(f.pool).List(ctx, audit.Filter{Action: "consent_purpose.create"})
	if err != nil || len(entries) != 1 || *entries[0].EntityID != p.ID {
		t.Errorf("create audit %+v, %v", entries, err)
	}
}

func TestPurposeInputValidate(t *testing.T) {
	valid := consent.PurposeInput{Key: "newsletter", Basis: "consent", NameNL: "a", NameEN: "b", TextNL: "c", TextEN: "d"}
	tests := []struct {
		name    string
		change  func(*consent.PurposeInput)
		withKey bool
		want    form.Errors
	}{
		{"valid", func(*consent.PurposeInput) {}, true, form.Errors{}},
		{"key ignored on edit", func(in *consent.PurposeInput) { in.Key = "" }, false, form.Errors{}},
		{"key required", func(in *consent.PurposeInput) { in.Key = "" }, true, form.Of("key", "err.required")},
		{"key format", func(in *consent.PurposeInput) { in.Key = "news letter" }, true, form.Of("key", "consent.err.key")},
		{"key starts with a letter", func(in *consent.PurposeInput) { in.Key = "1st" }, true, form.Of("key", "consent.err.key")},
		{"basis", func(in *consent.PurposeInput) { in.Basis = "contract" }, false, form.Of("basis", "err.choice")},
		{"sort order", func(in *consent.PurposeInput) { in.SortOrder = 1 << 20 }, false, form.Of("sort_order", "consent.err.sort_order")},
		{"texts required", func(in *consent.PurposeInput) { in.NameEN, in.TextNL = "", "" }, false,
			form.Errors{"name_en": {Key: "err.required"}, "text_nl": {Key: "err.required"}}},
		{"name too long", func(in *consent.PurposeInput) { in.NameNL = strings.Repeat("é", 121) }, false, form.Errors{"name_nl": {Key: "err.too_long", N: 120}}},
		{"text too long", func(in *consent.PurposeInput) { in.TextEN = strings.Repeat("x", 4001) }, false, form.Errors{"text_en": {Key: "err.too_long", N: 4000}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := valid
			tt.change(&in)
			got := in.Validate(tt.withKey)
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s: got %v, want %v", k, got[k], v)
				}
			}
		})
	}
}
