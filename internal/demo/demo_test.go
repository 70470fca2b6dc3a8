package demo_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"alumnet/internal/demo"
	"alumnet/internal/people"
	"alumnet/internal/pgtest"
	"alumnet/internal/units"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

var now = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func TestGenerateFillsAConsistentRegistry(t *testing.T) {
	ctx := context.Background()
	d := pgtest.New(t)
	const n = 2500 // more than one chunk would be slow; the chunk loop is covered below
	st, err := demo.Generate(ctx, d.Pool, demo.Options{People: n, Seed: 7, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if st.People != n || st.Units != 17 || st.Tags != 12 || st.Cases != 12 || st.Consents < n/5 {
		t.Fatalf("stats = %+v", st)
	}
	counts := map[string]int{}
	for _, table := range []string{"persons", "person_emails", "affiliations", "units", "tags", "person_tags", "consent_ledger", "offboarding_cases"} {
		var c int
		if err := d.Pool.QueryRow(ctx, `SELECT count(*) FROM `+table).Scan(&c); err != nil {
			t.Fatal(err)
		}
		counts[table] = c
	}
	want := map[string]int{"persons": n, "person_emails": st.Emails, "affiliations": st.Affiliations,
		"units": st.Units, "tags": st.Tags, "person_tags": st.PersonTags, "consent_ledger": st.Consents, "offboarding_cases": st.Cases}
	for k, v := range want {
		if counts[k] != v {
			t.Errorf("%s: %d rows, stats say %d", k, counts[k], v)
		}
	}

	var checks struct {
		noAffiliation, futureStart, tooOld, badEnd, noReason, studies, jobs, boomerangs, english, accents int
		minCohort, maxCohort                                                                              int
	}
	err = d.Pool.QueryRow(ctx, `
		SELECT
			(SELECT count(*) FROM persons p WHERE NOT EXISTS (SELECT 1 FROM affiliations a WHERE a.person_id = p.id)),
			(SELECT count(*) FROM affiliations WHERE start_date > $1::date),
			(SELECT count(*) FROM affiliations WHERE coalesce(end_date, start_date) < $1::date - interval '15 years'),
			(SELECT count(*) FROM affiliations WHERE end_date > $1::date),
			(SELECT count(*) FROM affiliations WHERE end_date IS NOT NULL AND leaving_reason IS NULL),
			(SELECT count(*) FROM affiliations WHERE kind = 'study'),
			(SELECT count(*) FROM affiliations WHERE kind = 'employment'),
			(SELECT count(*) FROM person_tags pt JOIN tags t ON t.id = pt.tag_id WHERE t.name = 'Boemerang'),
			(SELECT count(*) FROM persons WHERE language = 'en'),
			(SELECT count(*) FROM persons WHERE search_name <> lower(first_name || ' ' || last_name)),
			(SELECT min(cohort_year) FROM affiliations),
			(SELECT max(cohort_year) FROM affiliations)`, now).Scan(
		&checks.noAffiliation, &checks.futureStart, &checks.tooOld, &checks.badEnd, &checks.noReason,
		&checks.studies, &checks.jobs, &checks.boomerangs, &checks.english, &checks.accents,
		&checks.minCohort, &checks.maxCohort)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", checks)
	if checks.noAffiliation != 0 || checks.futureStart != 0 || checks.tooOld != 0 || checks.badEnd != 0 || checks.noReason != 0 {
		t.Errorf("inconsistent affiliations: %+v", checks)
	}
	if checks.studies < n/3 || checks.jobs < n/4 || checks.boomerangs == 0 || checks.english == 0 || checks.accents == 0 {
		t.Errorf("mix is off: %+v", checks)
	}
	if checks.minCohort < now.Year()-20 || checks.maxCohort > now.Year()-2 {
		t.Errorf("cohorts %d-%d outside the fifteen years before %d", checks.minCohort, checks.maxCohort, now.Year())
	}

	// The unit tree is usable by the units store: paths lead from the root.
	us := units.NewStore(d.Pool)
	all, err := us.All(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[int64]units.Unit{}
	for _, u := range all {
		byID[u.ID] = u
	}
	for _, u := range all {
		if u.Path[len(u.Path)-1] != u.ID || (u.ParentID != nil && byID[*u.ParentID].Depth() != u.Depth()-1) {
			t.Errorf("unit %q has path %v", u.Name, u.Path)
		}
	}

	// The registry works on it: a coordinator of one location sees only
	// that location's people, and search finds names.
	var leiden units.Unit
	for _, u := range all {
		if u.Name == "Locatie Leiden" {
			leiden = u
		}
	}
	ps := people.NewStore(d.Pool)
	everyone, err := ps.List(ctx, units.Everyone(), people.Filter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	scoped, err := ps.List(ctx, units.Within([]int64{leiden.ID}), people.Filter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if !everyone.CountCapped() || len(scoped.Rows) != 10 {
		t.Errorf("everyone: count %d, Leiden: %d rows", everyone.Count, len(scoped.Rows))
	}
	for _, r := range scoped.Rows {
		var inLeiden bool
		if err := d.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM affiliations a JOIN units u ON u.id = a.unit_id
			WHERE a.person_id = $1 AND $2 = ANY(u.path))`, r.ID, leiden.ID).Scan(&inLeiden); err != nil {
			t.Fatal(err)
		}
		if !inLeiden {
			t.Errorf("%s (%d) is listed for Leiden without an affiliation there", r.Name(), r.ID)
		}
	}
	first := everyone.Rows[0]
	found, err := ps.List(ctx, units.Everyone(), people.Filter{Q: first.FirstName + " " + first.LastName, Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	if !containsPerson(found.Rows, first.ID) {
		t.Errorf("searching %q did not find person %d", first.FirstName+" "+first.LastName, first.ID)
	}

	// A new person after the demo gets the next id (the sequence moved on).
	var next int64
	if err := d.Pool.QueryRow(ctx, `INSERT INTO persons (first_name, last_name) VALUES ('Nieuw', 'Persoon') RETURNING id`).Scan(&next); err != nil {
		t.Fatal(err)
	}
	if next != n+1 {
		t.Errorf("next id = %d, want %d", next, n+1)
	}

	// Demo data is never mixed into a registry with people.
	if _, err := demo.Generate(ctx, d.Pool, demo.Options{People: 10, Seed: 7, Now: now}); !errors.Is(err, demo.ErrNotEmpty) {
		t.Errorf("second run: err = %v, want ErrNotEmpty", err)
	}
}

func TestGenerateIsDeterministicAndChunked(t *testing.T) {
	ctx := context.Background()
	const n = 20_000 + 321 // two chunks
	names := func(seed int64) []string {
		d := pgtest.New(t)
		if _, err := demo.Generate(ctx, d.Pool, demo.Options{People: n, Seed: seed, Now: now}); err != nil {
			t.Fatal(err)
		}
		var out []string
		rows, err := d.Pool.Query(ctx, `
			SELECT p.first_name || ' ' || p.last_name || ' ' || coalesce(e.email, '-')
			FROM persons p LEFT JOIN person_emails e ON e.person_id = p.id AND e.is_primary
			WHERE p.id IN (1, 2, 3, 20000, 20001, $1) ORDER BY p.id`, n)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	a, b, c := names(3), names(3), names(4)
	if len(a) != 6 {
		t.Fatalf("got %d of the sampled people: %v", len(a), a)
	}
	for i := range a {
		if a[i] != b[i] {
			t.Errorf("same seed, person %d: %q vs %q", i, a[i], b[i])
		}
	}
	same := 0
	for i := range a {
		if a[i] == c[i] {
			same++
		}
	}
	if same == len(a) {
		t.Errorf("a different seed gave the same people: %v", a)
	}
}

func TestGenerateRefusesNegative(t *testing.T) {
	d := pgtest.New(t)
	if _, err := demo.Generate(context.Background(), d.Pool, demo.Options{People: -1}); err == nil {
		t.Fatal("negative count accepted")
	}
}

func containsPerson(list []people.Row, id int64) bool {
	for _, p := range list {
		if p.ID == id {
			return true
		}
	}
	return false
}
