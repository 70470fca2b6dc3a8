package people_test

import (
	"context"
	"errors"
	"os"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"alumnet/internal/people"
	"alumnet/internal/pgtest"
	"alumnet/internal/units"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

type fixture struct {
	pool   *pgxpool.Pool
	store  *people.Store
	units  *units.Store
	school units.Unit
	animal units.Unit // programme below school
	other  units.Unit // a different location
	actor  int64
}

func setup(t *testing.T) fixture {
	t.Helper()
	ctx := context.Background()
	d := pgtest.New(t)
	us := units.NewStore(d.Pool)
	school, err := us.Create(ctx, 0, nil, "Groenhorst College", "organisation")
	if err != nil {
		t.Fatal(err)
	}
	animal, err := us.Create(ctx, 0, &school.ID, "Dierverzorging", "programme")
	if err != nil {
		t.Fatal(err)
	}
	other, err := us.Create(ctx, 0, nil, "Zorgcentrum De Linde", "organisation")
	if err != nil {
		t.Fatal(err)
	}
	var actor int64
	if err := d.Pool.QueryRow(ctx, `INSERT INTO users (email, name, role) VALUES ('hr@example.nl', 'HR', 'staff') RETURNING id`).Scan(&actor); err != nil {
		t.Fatal(err)
	}
	return fixture{pool: d.Pool, store: people.NewStore(d.Pool), units: us, school: school, animal: animal, other: other, actor: actor}
}

func (f fixture) create(t *testing.T, first, last, email string, unit units.Unit, kind string, cohort int) int64 {
	t.Helper()
	in := people.Input{FirstName: first, LastName: last, PrimaryEmail: email}
	in.Normalize()
	if errs := in.Validate(); len(errs) > 0 {
		t.Fatalf("invalid input %v", errs)
	}
	var aff *people.AffiliationInput
	if unit.ID != 0 {
		aff = &people.AffiliationInput{Kind: kind, UnitID: strconv.FormatInt(unit.ID, 10), CohortYear: strconv.Itoa(cohort),
			StartDate: strconv.Itoa(cohort-4) + "-09-01", EndDate: strconv.Itoa(cohort) + "-07-01", LeavingReason: "graduated"}
	}
	id, err := f.store.CreatePerson(context.Background(), units.Everyone(), f.actor, in, aff)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestSearchForgivesAccentsAndTypos(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	jose := f.create(t, "José", "Pérez", "jose.perez@example.nl", f.animal, "study", 2019)
	anouk := f.create(t, "Anouk", "van der Berg", "anouk@example.nl", f.animal, "study", 2020)
	f.create(t, "Daan", "Janssen", "daan.janssen@example.nl", f.other, "employment", 2021)

	tests := []struct {
		q    string
		want []int64
	}{
		{"Jose", []int64{jose}},
		{"jose perez", []int64{jose}},
		{"PÉREZ", []int64{jose}},
		{"Anuok van der Berg", []int64{anouk}}, // typo
		{"berg", []int64{anouk}},
		{"anouk@example", []int64{anouk}}, // e-mail
		{"100%", nil},                     // LIKE wildcards are literal
		{"zzzqqq", nil},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			res, err := f.store.List(ctx, units.Everyone(), people.Filter{Q: tt.q})
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, r := range res.Rows {
				got = append(got, r.ID)
			}
			if len(got) != len(tt.want) || (len(got) > 0 && got[0] != tt.want[0]) {
				t.Fatalf("search %q = %v, want %v", tt.q, got, tt.want)
			}
			if res.Count != len(tt.want) {
				t.Errorf("count = %d, want %d", res.Count, len(tt.want))
			}
		})
	}
}

func TestSimilarNamesOnlyWhenNothingMatchesExactly(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	jong := f.create(t, "Emma", "de Jong", "emma.dejong@example.nl", f.animal, "study", 2019)
	vries := f.create(t, "Emma", "de Vries", "emma.devries@example.nl", f.animal, "study", 2019)
	var jongs []int64
	for i := range 3 {
		jongs = append(jongs, f.create(t, "Emma", "de Jongh", "emma.jongh"+strconv.Itoa(i)+"@example.nl", f.other, "study", 2018))
	}
	search := func(q, after string, limit int) people.Result {
		t.Helper()
		res, err := f.store.List(ctx, units.Everyone(), people.Filter{Q: q, After: after, Limit: limit})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	// An exact name finds that name (and longer ones containing it), not
	// the similar "Emma de Vries".
	res := search("Emma de Jong", "", 0)
	if res.Fuzzy() || res.Count != 4 || res.Rows[0].ID != jong {
		t.Fatalf("exact search: fuzzy %v, count %d, rows %v", res.Fuzzy(), res.Count, res.Rows)
	}
	for _, r := range res.Rows {
		if r.ID == vries {
			t.Fatal("exact search listed a similar name")
		}
	}

	// A typo finds similar names, best first, and says so; paging through
	// the similar names keeps to them.
	res = search("Emma de Jongg", "", 2)
	if !res.Fuzzy() || len(res.Rows) != 2 || res.Next == "" {
		t.Fatalf("typo search: fuzzy %v, rows %v, next %q", res.Fuzzy(), res.Rows, res.Next)
	}
	seen := map[int64]bool{res.Rows[0].ID: true, res.Rows[1].ID: true}
	for res.Next != "" {
		res = search("Emma de Jongg", res.Next, 2)
		if !res.Fuzzy() {
			t.Fatal("second page of similar names is not fuzzy")
		}
		for _, r := range res.Rows {
			seen[r.ID] = true
		}
	}
	if !seen[jong] || !seen[jongs[0]] || !seen[jongs[2]] {
		t.Errorf("similar names missed someone: %v", seen)
	}

	// E-mail fragments are never matched loosely.
	if res := search("emma.dejongg@", "", 0); len(res.Rows) != 0 || res.Fuzzy() {
		t.Errorf("e-mail typo matched %v", res.Rows)
	}
}

func TestScopeIsEnforcedInEveryRead(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	inside := f.create(t, "Fenna", "de Vries", "fenna@example.nl", f.animal, "study", 2018)
	outside := f.create(t, "Ömer", "Yilmaz", "omer@example.nl", f.other, "employment", 2018)
	unaffiliated := f.create(t, "Zoë", "Bakker", "zoe@example.nl", units.Unit{}, "", 0)

	coordinator := units.Within([]int64{f.school.ID}) // the school and its programmes
	res, err := f.store.List(ctx, coordinator, people.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 1 || res.Rows[0].ID != inside {
		t.Fatalf("coordinator list = %+v, want only %d", res.Rows, inside)
	}
	if _, err := f.store.PersonByID(ctx, coordinator, inside); err != nil {
		t.Errorf("inside person: %v", err)
	}
	for _, id := range []int64{outside, unaffiliated} {
		if _, err := f.store.PersonByID(ctx, coordinator, id); !errors.Is(err, people.ErrNotFound) {
			t.Errorf("person %d outside scope: err = %v, want ErrNotFound", id, err)
		}
		err := f.store.UpdatePerson(ctx, coordinator, f.actor, id, 1, people.Input{FirstName: "X", LastName: "Y", Language: "nl"})
		if !errors.Is(err, people.ErrNotFound) {
			t.Errorf("update of %d outside scope: err = %v", id, err)
		}
	}
	// Adding an affiliation in a unit outside the scope is refused.
	_, err = f.store.AddAffiliation(ctx, coordinator, f.actor, inside, people.AffiliationInput{Kind: "employment",
		UnitID: strconv.FormatInt(f.other.ID, 10)})
	if !errors.Is(err, people.ErrUnitOutOfScope) {
		t.Errorf("affiliation in other unit: err = %v", err)
	}
	// No units at all: sees nobody.
	res, err = f.store.List(ctx, units.Within(nil), people.Filter{})
	if err != nil || len(res.Rows) != 0 {
		t.Errorf("coordinator without units sees %d people (err %v)", len(res.Rows), err)
	}
	res, err = f.store.List(ctx, units.Everyone(), people.Filter{})
	if err != nil || len(res.Rows) != 3 {
		t.Errorf("staff sees %d people (err %v), want 3", len(res.Rows), err)
	}
}

func TestFiltersApplyToOneAffiliation(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	a := f.create(t, "Sanne", "Visser", "sanne@example.nl", f.animal, "study", 2016)
	b := f.create(t, "Bram", "Smit", "bram@example.nl", f.other, "employment", 2022)
	// Bram also studied at the school, in 2010.
	if _, err := f.store.AddAffiliation(ctx, units.Everyone(), f.actor, b, people.AffiliationInput{Kind: "study",
		UnitID: strconv.FormatInt(f.animal.ID, 10), CohortYear: "2010"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		f    people.Filter
		want []int64
	}{
		{"unit subtree", people.Filter{UnitID: f.school.ID}, []int64{b, a}},
		{"kind", people.Filter{Kind: "employment"}, []int64{b}},
		{"years", people.Filter{YearFrom: 2015, YearTo: 2017}, []int64{a}},
		{"study in school in 2022 matches nobody", people.Filter{UnitID: f.school.ID, YearFrom: 2022}, nil},
		{"reason", people.Filter{LeavingReason: "graduated"}, []int64{b, a}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := f.store.List(ctx, units.Everyone(), tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, r := range res.Rows {
				got = append(got, r.ID)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("got %v, want %v (sorted by last name)", got, tt.want)
				}
			}
		})
	}
}

func TestKeysetPaginationVisitsEveryoneOnce(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	const n = 23
	for i := range n {
		// Equal names make the id tie-breaker matter.
		f.create(t, "Kim", "de Jong", "kim"+strconv.Itoa(i)+"@example.nl", f.animal, "study", 2000+i)
	}
	for _, sort := range []string{"name", "-name", "updated", "-updated", "-created"} {
		t.Run(sort, func(t *testing.T) {
			seen := map[int64]bool{}
			after := ""
			pages := 0
			for {
				res, err := f.store.List(ctx, units.Everyone(), people.Filter{Sort: sort, After: after, Limit: 5})
				if err != nil {
					t.Fatal(err)
				}
				pages++
				for _, r := range res.Rows {
					if seen[r.ID] {
						t.Fatalf("person %d on two pages", r.ID)
					}
					seen[r.ID] = true
				}
				if after == "" && res.Count != n {
					t.Errorf("count = %d, want %d", res.Count, n)
				}
				if res.Next == "" {
					break
				}
				after = res.Next
			}
			if len(seen) != n || pages != 5 {
				t.Fatalf("saw %d people in %d pages, want %d in 5", len(seen), pages, n)
			}
		})
	}
}

func TestOptimisticLocking(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	id := f.create(t, "Lotte", "Mulder", "lotte@example.nl", f.animal, "study", 2017)
	p, err := f.store.PersonByID(ctx, units.Everyone(), id)
	if err != nil {
		t.Fatal(err)
	}
	first := people.InputOf(p)
	first.City = "Wageningen"
	second := people.InputOf(p)
	second.JobTitle = "Dierenartsassistent"
	if err := f.store.UpdatePerson(ctx, units.Everyone(), f.actor, id, p.Version, first); err != nil {
		t.Fatal(err)
	}
	if err := f.store.UpdatePerson(ctx, units.Everyone(), f.actor, id, p.Version, second); !errors.Is(err, people.ErrConflict) {
		t.Fatalf("second save with stale version: err = %v, want ErrConflict", err)
	}
	got, _ := f.store.PersonByID(ctx, units.Everyone(), id)
	if got.City != "Wageningen" || got.JobTitle != "" || got.Version != p.Version+1 {
		t.Fatalf("after conflict: %+v", got)
	}
	// The audit log has the change with old and new value.
	var changes string
	if err := f.pool.QueryRow(ctx, `SELECT details->'changes'->'city'->>'new' FROM audit_log
		WHERE person_id = $1 AND action = 'person.update'`, id).Scan(&changes); err != nil || changes != "Wageningen" {
		t.Fatalf("audit change = %q, %v", changes, err)
	}
}

func TestPrimaryEmailUniqueCaseInsensitive(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	f.create(t, "Eva", "Kok", "eva@example.nl", units.Unit{}, "", 0)
	in := people.Input{FirstName: "Eva", LastName: "Kok-Jansen", PrimaryEmail: "EVA@Example.NL"}
	in.Normalize()
	if _, err := f.store.CreatePerson(ctx, units.Everyone(), f.actor, in, nil); !errors.Is(err, people.ErrEmailTaken) {
		t.Fatalf("err = %v, want ErrEmailTaken", err)
	}
}

func TestEmailsTagsOffersRoundTrip(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	in := people.Input{FirstName: "Noah", LastName: "Bos", PrimaryEmail: "noah@example.nl",
		OtherEmails: []string{"n.bos@werk.nl", " NOAH@example.nl "}, Tags: []string{"Gastdocent", " mentor ", "gastdocent"},
		Offers: []string{"guest_lecture"}, Needs: []string{"courses"}, LinkedInURL: "https://www.linkedin.com/in/noahbos"}
	in.Normalize()
	if errs := in.Validate(); len(errs) > 0 {
		t.Fatal(errs)
	}
	id, err := f.store.CreatePerson(ctx, units.Everyone(), f.actor, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.store.PersonByID(ctx, units.Everyone(), id)
	if err != nil {
		t.Fatal(err)
	}
	if p.PrimaryEmail() != "noah@example.nl" || len(p.Emails) != 2 {
		t.Errorf("emails = %+v", p.Emails)
	}
	if len(p.Tags) != 2 || p.Tags[0] != "Gastdocent" || p.Tags[1] != "mentor" {
		t.Errorf("tags = %v", p.Tags)
	}
	// Swap primary and other; drop a tag.
	in2 := people.InputOf(p)
	in2.PrimaryEmail, in2.OtherEmails = "n.bos@werk.nl", []string{"noah@example.nl"}
	in2.Tags = []string{"mentor"}
	if err := f.store.UpdatePerson(ctx, units.Everyone(), f.actor, id, p.Version, in2); err != nil {
		t.Fatal(err)
	}
	p, _ = f.store.PersonByID(ctx, units.Everyone(), id)
	if p.PrimaryEmail() != "n.bos@werk.nl" || len(p.Emails) != 2 || len(p.Tags) != 1 {
		t.Errorf("after swap: emails %+v tags %v", p.Emails, p.Tags)
	}
	res, err := f.store.List(ctx, units.Everyone(), people.Filter{Tag: "MENTOR"})
	if err != nil || len(res.Rows) != 1 {
		t.Errorf("tag filter: %d rows, %v", len(res.Rows), err)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name  string
		in    people.Input
		field string
		key   string
	}{
		{"missing names", people.Input{Language: "nl"}, "first_name", "err.required"},
		{"bad email", people.Input{FirstName: "A", LastName: "B", PrimaryEmail: "a@b", Language: "nl"}, "primary_email", "err.email"},
		{"bad other email", people.Input{FirstName: "A", LastName: "B", OtherEmails: []string{"x"}, Language: "nl"}, "other_emails", "err.email"},
		{"http url", people.Input{FirstName: "A", LastName: "B", LinkedInURL: "http://linkedin.com/in/x", Language: "nl"}, "linkedin_url", "err.url"},
		{"javascript url", people.Input{FirstName: "A", LastName: "B", LinkedInURL: "javascript:alert(1)", Language: "nl"}, "linkedin_url", "err.url"},
		{"language", people.Input{FirstName: "A", LastName: "B", Language: "de"}, "language", "err.choice"},
		{"offer", people.Input{FirstName: "A", LastName: "B", Language: "nl", Offers: []string{"money"}}, "offers", "err.choice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.Validate().Key(tt.field); got != tt.key {
				t.Fatalf("Validate()[%s] = %q, want %q", tt.field, got, tt.key)
			}
		})
	}
	aff := []struct {
		in    people.AffiliationInput
		field string
		key   string
	}{
		{people.AffiliationInput{Kind: "study", UnitID: "1", StartDate: "2020-09-01", EndDate: "2019-07-01"}, "end_date", "err.end_before_start"},
		{people.AffiliationInput{Kind: "study", UnitID: "1", StartDate: "2020-02-30"}, "start_date", "err.date"},
		{people.AffiliationInput{Kind: "study", UnitID: "1", Crebo: "1234"}, "crebo", "err.crebo"},
		{people.AffiliationInput{Kind: "work", UnitID: "1"}, "kind", "err.choice"},
		{people.AffiliationInput{Kind: "study"}, "unit_id", "err.required"},
		{people.AffiliationInput{Kind: "study", UnitID: "1", CohortYear: "20"}, "cohort_year", "err.year"},
	}
	for _, tt := range aff {
		if got := tt.in.Validate().Key(tt.field); got != tt.key {
			t.Errorf("%+v: Validate()[%s] = %q, want %q", tt.in, tt.field, got, tt.key)
		}
	}
}
