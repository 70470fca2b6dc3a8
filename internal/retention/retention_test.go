package retention_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"

	"alumnet/internal/audit"
	"alumnet/internal/consent"
	"alumnet/internal/erasure"
	"alumnet/internal/people"
	"alumnet/internal/pgtest"
	"alumnet/internal/retention"
	"alumnet/internal/units"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

func TestCandidatesAndRun(t *testing.T) {
	ctx := context.Background()
	d := pgtest.New(t)
	ps := people.NewStore(d.Pool)
	cs := consent.NewStore(d.Pool)
	rs := retention.NewStore(d.Pool)
	unit, err := units.NewStore(d.Pool).Create(ctx, 0, nil, "Bouwbedrijf Van Dam", "organisation")
	if err != nil {
		t.Fatal(err)
	}
	news, err := cs.PurposeByKey(ctx, "newsletter")
	if err != nil {
		t.Fatal(err)
	}
	mk := func(name string, aff *people.AffiliationInput) int64 {
		in := people.Input{FirstName: name, LastName: "Test", Language: "nl"}
		in.Normalize()
		id, err := ps.CreatePerson(ctx, units.Everyone(), 0, in, aff)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	record := func(id int64, granted bool) {
		if err := pgx.BeginFunc(ctx, d.Pool, func(tx pgx.Tx) error {
			_, err := cs.Record(ctx, tx, consent.Entry{PersonID: id, PurposeID: news.ID, Granted: granted, Source: consent.SourcePortal, ByPerson: true})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	ended := &people.AffiliationInput{Kind: "employment", UnitID: itoa(unit.ID), StartDate: "2001-01-01", EndDate: "2008-06-30"}
	running := &people.AffiliationInput{Kind: "employment", UnitID: itoa(unit.ID), StartDate: "2001-01-01"}

	silent := mk("Stil", ended)          // never permission, left 2008, nothing since: candidate
	withdrew := mk("Ingetrokken", ended) // granted, then withdrew: candidate
	record(withdrew, true)
	record(withdrew, false)
	longAgo := mk("LangGeleden", ended) // granted and withdrew in 2009: candidate
	for _, granted := range []bool{true, false} {
		if _, err := d.Pool.Exec(ctx, `INSERT INTO consent_ledger (person_id, purpose_id, basis, granted, text_id, source, by_person, at)
			VALUES ($1, $2, 'consent', $3, $4, 'portal', true, '2009-03-01')`, longAgo, news.ID, granted, news.TextID); err != nil {
			t.Fatal(err)
		}
	}
	subscribed := mk("Geabonneerd", ended) // still subscribed: kept
	record(subscribed, true)
	// Subscribed in 2009 and never withdrew: nothing happened for years,
	// but the permission stands, so the record stays.
	oldSubscriber := mk("OudAbonnee", ended)
	if _, err := d.Pool.Exec(ctx, `INSERT INTO consent_ledger (person_id, purpose_id, basis, granted, text_id, source, by_person, at)
		VALUES ($1, $2, 'consent', true, $3, 'portal', true, '2009-03-01')`, oldSubscriber, news.ID, news.TextID); err != nil {
		t.Fatal(err)
	}
	employee := mk("Werknemer", running) // still working here: kept
	recent := mk("Recent", ended)        // confirmed details recently: kept
	// Everything happened long ago, except what each case says.
	if _, err := d.Pool.Exec(ctx, `UPDATE persons SET created_at = '2008-07-01', updated_at = '2008-07-01'`); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Pool.Exec(ctx, `UPDATE persons SET details_confirmed_at = now() - interval '1 month' WHERE id = $1`, recent); err != nil {
		t.Fatal(err)
	}

	list, err := rs.Candidates(ctx, 7, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, c := range list {
		got = append(got, c.PersonID)
	}
	// Withdrawing today counts as activity; withdrawing in 2009 does not.
	if len(got) != 2 || !slices.Contains(got, silent) || !slices.Contains(got, longAgo) || slices.Contains(got, withdrew) || slices.Contains(got, subscribed) ||
		slices.Contains(got, employee) || slices.Contains(got, recent) || slices.Contains(got, oldSubscriber) {
		t.Fatalf("candidates %v (silent %d, withdrew %d, subscribed %d, employee %d, recent %d, old subscriber %d)", got, silent, withdrew, subscribed,
			employee, recent, oldSubscriber)
	}

	// Disabled: Run does nothing.
	eraser := erasure.New(d.Pool, audit.ErasurePart(), people.ErasurePart())
	erase := func(ctx context.Context, id int64, reason string, stillDue erasure.Check) error {
		return eraser.Erase(ctx, erasure.Request{PersonID: id, By: erasure.ByRetention, Reason: reason}, stillDue)
	}
	if n, err := rs.Run(ctx, erase); err != nil || n != 0 {
		t.Fatalf("disabled run: %d %v", n, err)
	}
	if err := rs.SavePolicy(ctx, 0, true, 0); !errors.Is(err, retention.ErrYears) {
		t.Fatalf("0 years: %v", err)
	}
	var admin int64
	if err := d.Pool.QueryRow(ctx, `INSERT INTO users (email, name, role) VALUES ('a@example.nl', 'A', 'admin') RETURNING id`).Scan(&admin); err != nil {
		t.Fatal(err)
	}
	if err := rs.SavePolicy(ctx, admin, true, 7); err != nil {
		t.Fatal(err)
	}
	n, err := rs.Run(ctx, erase)
	if err != nil || n != len(got) {
		t.Fatalf("run: %d %v, want %d", n, err, len(got))
	}
	var erased []int64
	rows, _ := d.Pool.Query(ctx, `SELECT person_id FROM erasures WHERE requested_by = 'retention' AND reason LIKE 'retention:%' ORDER BY person_id`)
	erased, _ = pgx.CollectRows(rows, pgx.RowTo[int64])
	if !slices.Equal(erased, got) {
		t.Fatalf("erased %v, want %v", erased, got)
	}
	// A second run finds nobody new.
	if n, err := rs.Run(ctx, erase); err != nil || n != 0 {
		t.Fatalf("second run: %d %v", n, err)
	}
	var audits int
	_ = d.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action IN ('retention.policy', 'person.erase')`).Scan(&audits)
	if audits != 1+len(got) {
		t.Fatalf("audit entries %d, want %d", audits, 1+len(got))
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestRunSparesWhoBecameActive: the nightly run lists its candidates
// first and anonymises them one by one; someone who logs in or gives
// permission in between is spared, checked inside the erasure itself.
func TestRunSparesWhoBecameActive(t *testing.T) {
	ctx := context.Background()
	d := pgtest.New(t)
	ps := people.NewStore(d.Pool)
	cs := consent.NewStore(d.Pool)
	rs := retention.NewStore(d.Pool)
	unit, err := units.NewStore(d.Pool).Create(ctx, 0, nil, "Bouwbedrijf Van Dam", "organisation")
	if err != nil {
		t.Fatal(err)
	}
	news, err := cs.PurposeByKey(ctx, "newsletter")
	if err != nil {
		t.Fatal(err)
	}
	ended := &people.AffiliationInput{Kind: "employment", UnitID: itoa(unit.ID), StartDate: "2001-01-01", EndDate: "2008-06-30"}
	var ids []int64
	for _, name := range []string{"Eerste", "Tweede", "Derde"} {
		in := people.Input{FirstName: name, LastName: "Test", Language: "nl"}
		in.Normalize()
		id, err := ps.CreatePerson(ctx, units.Everyone(), 0, in, ended)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if _, err := d.Pool.Exec(ctx, `UPDATE persons SET created_at = '2008-07-01', updated_at = '2008-07-01'`); err != nil {
		t.Fatal(err)
	}
	if list, err := rs.Candidates(ctx, 7, 100); err != nil || len(list) != 3 {
		t.Fatalf("candidates: %d %v", len(list), err)
	}
	var admin int64
	if err := d.Pool.QueryRow(ctx, `INSERT INTO users (email, name, role) VALUES ('a@example.nl', 'A', 'admin') RETURNING id`).Scan(&admin); err != nil {
		t.Fatal(err)
	}
	if err := rs.SavePolicy(ctx, admin, true, 7); err != nil {
		t.Fatal(err)
	}
	eraser := erasure.New(d.Pool, audit.ErasurePart(), people.ErasurePart())
	// While the first is being anonymised, the second subscribes to the
	// newsletter (in another browser, at the same moment): after the list
	// was made, before the run reaches them.
	var once bool
	erase := func(ctx context.Context, id int64, reason string, stillDue erasure.Check) error {
		if !once {
			once = true
			if err := pgx.BeginFunc(ctx, d.Pool, func(tx pgx.Tx) error {
				_, err := cs.Record(ctx, tx, consent.Entry{PersonID: ids[1], PurposeID: news.ID, Granted: true, Source: consent.SourcePortal, ByPerson: true})
				return err
			}); err != nil {
				return err
			}
		}
		return eraser.Erase(ctx, erasure.Request{PersonID: id, By: erasure.ByRetention, Reason: reason}, stillDue)
	}
	n, err := rs.Run(ctx, erase)
	if err != nil || n != 2 {
		t.Fatalf("run: %d %v, want 2", n, err)
	}
	var erased bool
	if err := d.Pool.QueryRow(ctx, `SELECT erased_at IS NOT NULL FROM persons WHERE id = $1`, ids[1]).Scan(&erased); err != nil || erased {
		t.Fatalf("the person who subscribed meanwhile was anonymised (%v)", err)
	}
}
