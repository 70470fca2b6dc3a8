// Package demo fills an empty registry with generated people: a school and
// an employer with their units, former students and staff over fifteen
// years, e-mail addresses, tags, offers and needs. A fresh local install gets
// a few thousand so a newcomer sees a living app; the benchmarks use a
// million. The same seed always gives the same data.
package demo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"alumnet/internal/db"
)

// ErrNotEmpty is returned when the registry already holds people: demo data
// is never mixed into real data.
var ErrNotEmpty = errors.New("demo: the registry already holds people; demo data is only loaded into an empty registry")

// Options say how much to generate.
type Options struct {
	People int   // number of people
	Seed   int64 // random seed; the same seed gives the same data
	// Logf, when set, receives progress lines for long runs.
	Logf func(format string, args ...any)
	// Now is the reference date (today when zero); dates lie in the fifteen
	// years before it.
	Now time.Time
}

// Stats count what was inserted.
type Stats struct {
	Units, People, Emails, Affiliations, Tags, PersonTags int
	// Consents are ledger rows, Cases offboardings under way.
	Consents, Cases int
}

// chunk is how many people are generated and copied at a time, so a million
// people never sit in memory at once.
const chunk = 20_000

// Generate inserts opts.People generated people in one transaction: either
// all of them land or none.
func Generate(ctx context.Context, pool *pgxpool.Pool, opts Options) (Stats, error) {
	if opts.People < 0 {
		return Stats{}, fmt.Errorf("demo: people must not be negative, got %d", opts.People)
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	var st Stats
	err := db.InTx(ctx, pool, func(tx pgx.Tx) error {
		// Serialise concurrent demo runs and refuse a registry with people.
		if _, err := tx.Exec(ctx, `LOCK TABLE persons IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM persons)`).Scan(&exists); err != nil {
			return err
		}
		if exists {
			return ErrNotEmpty
		}
		g := newGenerator(opts)
		var err error
		if st.Units, err = g.createUnits(ctx, tx); err != nil {
			return fmt.Errorf("demo: units: %w", err)
		}
		if st.Tags, err = g.createTags(ctx, tx); err != nil {
			return fmt.Errorf("demo: tags: %w", err)
		}
		if _, err := tx.Exec(ctx, `
			CREATE TEMPORARY TABLE demo_persons (
				id bigint, first_name text, last_name text, phone text, city text, employer text,
				job_title text, sector text, linkedin_url text, language text, offers text[], needs text[],
				created_at timestamptz, updated_at timestamptz
			) ON COMMIT DROP`); err != nil {
			return err
		}
		for from := 0; from < opts.People; from += chunk {
			n := min(chunk, opts.People-from)
			b := g.batch(int64(from)+1, n)
			if err := b.copy(ctx, tx); err != nil {
				return fmt.Errorf("demo: people %d-%d: %w", from+1, from+n, err)
			}
			st.People += n
			st.Emails += len(b.emails)
			st.Affiliations += len(b.affiliations)
			st.PersonTags += len(b.tags)
			if opts.People > chunk {
				logf("%d of %d people", st.People, opts.People)
			}
		}
		if _, err = tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence('persons', 'id'), greatest((SELECT max(id) FROM persons), 1))`); err != nil {
			return err
		}
		return g.activity(ctx, tx, &st)
	})
	if err != nil {
		return Stats{}, err
	}
	// Fresh statistics, so the planner knows the tables are no longer empty,
	// and a visibility map, so index-only scans need no heap visits.
	if _, err := pool.Exec(ctx, `VACUUM (ANALYZE) persons, person_emails, affiliations, person_tags, tags, units, consent_ledger`); err != nil {
		return st, fmt.Errorf("demo: analyze: %w", err)
	}
	return st, nil
}

// unitSpec describes one generated unit and what its people did there.
type unitSpec struct {
	name, kind string
	children   []unitSpec
	// For programmes: the qualification, crebo code and study years.
	qualification, crebo string
	years                int
	// For departments and teams: the jobs people had there.
	roles []string
}

var school = unitSpec{name: "ROC Rijnland", kind: "organisation", children: []unitSpec{
	{name: "Locatie Leiden", kind: "location", children: []unitSpec{
		{name: "Software Developer", kind: "programme", qualification: "Software developer (niveau 4)", crebo: "25604", years: 3},
		{name: "Verpleegkunde", kind: "programme", qualification: "Verpleegkundige (niveau 4)", crebo: "25655", years: 4},
		{name: "Ondernemer Handel", kind: "programme", qualification: "Ondernemer handel (niveau 4)", crebo: "25399", years: 3},
		{name: "Mediavormgeving", kind: "programme", qualification: "Mediavormgever (niveau 4)", crebo: "25591", years: 3},
	}},
	{name: "Locatie Alphen aan den Rijn", kind: "location", children: []unitSpec{
		{name: "Logistiek", kind: "programme", qualification: "Logistiek medewerker (niveau 2)", crebo: "25431", years: 2},
		{name: "Pedagogisch Werk", kind: "programme", qualification: "Pedagogisch medewerker (niveau 4)", crebo: "25698", years: 3},
		{name: "Elektrotechniek", kind: "programme", qualification: "Eerste monteur elektrotechnische installaties (niveau 3)", crebo: "25389", years: 3},
	}},
}}

var employer = unitSpec{name: "Van Dijk Techniek", kind: "organisation", children: []unitSpec{
	{name: "Engineering", kind: "department", roles: []string{"Engineer", "Senior engineer", "Tekenaar", "Werkvoorbereider"}, children: []unitSpec{
		{name: "Team Automatisering", kind: "team", roles: []string{"PLC-programmeur", "Software engineer", "Teamleider automatisering"}},
		{name: "Team Installaties", kind: "team", roles: []string{"Monteur", "Eerste monteur", "Projectleider installaties"}},
	}},
	{name: "Sales", kind: "department", roles: []string{"Accountmanager", "Binnendienst verkoop", "Salesmanager"}},
	{name: "Service", kind: "department", roles: []string{"Servicemonteur", "Planner", "Servicecoördinator"}},
	{name: "HR en Financiën", kind: "department", roles: []string{"HR-adviseur", "Salarisadministrateur", "Controller", "Office manager"}},
}}

// leaf is a unit people are affiliated with.
type leaf struct {
	id   int64
	spec unitSpec
}

type generator struct {
	rnd        *rand.Rand
	now        time.Time
	programmes []leaf
	workplaces []leaf
	tagIDs     []int64
	boomerang  int64 // the tag id of "Boemerang"
	seenEmail  map[string]int
}

func newGenerator(opts Options) *generator {
	return &generator{
		rnd:       rand.New(rand.NewPCG(uint64(opts.Seed), 0x616c756d6e6574)),
		now:       opts.Now,
		seenEmail: map[string]int{},
	}
}

// createUnits makes the two organisation trees, reusing units of the same
// name that already exist.
func (g *generator) createUnits(ctx context.Context, tx pgx.Tx) (int, error) {
	created := 0
	var walk func(parent *int64, path []int64, s unitSpec) error
	walk = func(parent *int64, path []int64, s unitSpec) error {
		var id int64
		err := tx.QueryRow(ctx, `
			SELECT id FROM units
			WHERE coalesce(parent_id, 0) = coalesce($1, 0) AND lower(name) = lower($2) AND archived_at IS NULL`,
			parent, s.name).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			err = tx.QueryRow(ctx, `INSERT INTO units (parent_id, name, kind, path) VALUES ($1, $2, $3, '{}') RETURNING id`,
				parent, s.name, s.kind).Scan(&id)
			if err == nil {
				created++
				_, err = tx.Exec(ctx, `UPDATE units SET path = $2 WHERE id = $1`, id, append(append([]int64(nil), path...), id))
			}
		}
		if err != nil {
			return err
		}
		switch {
		case s.kind == "programme":
			g.programmes = append(g.programmes, leaf{id, s})
		case len(s.roles) > 0:
			g.workplaces = append(g.workplaces, leaf{id, s})
		}
		myPath := append(append([]int64(nil), path...), id)
		for _, c := range s.children {
			if err := walk(&id, myPath, c); err != nil {
				return err
			}
		}
		return nil
	}
	for _, root := range []unitSpec{school, employer} {
		if err := walk(nil, nil, root); err != nil {
			return 0, err
		}
	}
	return created, nil
}

func (g *generator) createTags(ctx context.Context, tx pgx.Tx) (int, error) {
	rows, err := tx.Query(ctx, `
		WITH wanted AS (SELECT name, ord FROM unnest($1::text[]) WITH ORDINALITY AS t(name, ord)),
		ins AS (
			INSERT INTO tags (name) SELECT name FROM wanted
			ON CONFLICT ((lower(name))) DO NOTHING
			RETURNING id, name
		)
		SELECT coalesce(ins.id, t.id) FROM wanted w
		LEFT JOIN ins ON lower(ins.name) = lower(w.name)
		LEFT JOIN tags t ON lower(t.name) = lower(w.name)
		ORDER BY w.ord`, tagNames)
	if err != nil {
		return 0, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return 0, err
	}
	g.tagIDs = ids
	g.boomerang = ids[0]
	return len(ids), nil
}

// batch holds the rows of one chunk of people.
type batch struct {
	persons, emails, affiliations, tags [][]any
}

func (b *batch) copy(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"demo_persons"},
		[]string{"id", "first_name", "last_name", "phone", "city", "employer", "job_title", "sector",
			"linkedin_url", "language", "offers", "needs", "created_at", "updated_at"},
		pgx.CopyFromRows(b.persons)); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `
		INSERT INTO persons (id, first_name, last_name, phone, city, employer, job_title, sector,
		                     linkedin_url, language, offers, needs, created_at, updated_at)
		OVERRIDING SYSTEM VALUE
		SELECT id, first_name, last_name, phone, city, employer, job_title, sector,
		       linkedin_url, language, offers, needs, created_at, updated_at
		FROM demo_persons;
		TRUNCATE demo_persons`); err != nil {
		return err
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"person_emails"},
		[]string{"person_id", "email", "is_primary", "verified_at", "created_at"},
		pgx.CopyFromRows(b.emails)); err != nil {
		return err
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"affiliations"},
		[]string{"person_id", "kind", "unit_id", "start_date", "end_date", "role", "crebo", "cohort_year", "leaving_reason", "created_at"},
		pgx.CopyFromRows(b.affiliations)); err != nil {
		return err
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"person_tags"}, []string{"person_id", "tag_id"}, pgx.CopyFromRows(b.tags))
	return err
}

func (g *generator) batch(firstID int64, n int) *batch {
	b := &batch{persons: make([][]any, 0, n)}
	for i := range n {
		g.person(b, firstID+int64(i))
	}
	return b
}

// person generates one person with their addresses, affiliations and tags.
func (g *generator) person(b *batch, id int64) {
	r := g.rnd
	english := r.IntN(100) < 12
	var first, last, lang string
	if english {
		first, last, lang = pick(r, englishFirstNames), pick(r, englishLastNames), "en"
	} else {
		first, last, lang = pick(r, dutchFirstNames), pick(r, dutchLastNames), "nl"
		if r.IntN(100) < 4 {
			lang = "en"
		}
	}

	// Where they were: a school programme, the employer, or both (a
	// graduate who later worked there); some employees came back.
	var affs [][]any
	boomerang := false
	switch k := r.IntN(100); {
	case k < 55:
		affs = g.study(id)
	case k < 90:
		affs, boomerang = g.employment(id, time.Time{})
	default:
		affs = g.study(id)
		end := affs[0][4].(time.Time)
		more, b := g.employment(id, end)
		affs, boomerang = append(affs, more...), b
	}

	// Added to the registry when they left (or, for old leavers, when the
	// registry started in 2015), touched now and then since.
	lastEnd := g.now
	if e, ok := affs[len(affs)-1][4].(time.Time); ok {
		lastEnd = e
	}
	created := maxTime(lastEnd, time.Date(2015, 1, 5, 9, 0, 0, 0, time.UTC)).
		Add(time.Duration(r.IntN(30*24)) * time.Hour)
	if created.After(g.now) {
		created = g.now.Add(-time.Duration(r.IntN(72)+1) * time.Hour)
	}
	updated := created
	if r.IntN(100) < 40 {
		span := g.now.Sub(created)
		if span > time.Hour {
			updated = created.Add(time.Duration(r.Int64N(int64(span))))
		}
	}
	for _, a := range affs {
		a[len(a)-1] = created
	}
	b.affiliations = append(b.affiliations, affs...)

	var phone, city, company, title, sector, linkedin string
	if r.IntN(100) < 60 {
		phone = fmt.Sprintf("06 %04d %04d", r.IntN(10000), r.IntN(10000))
	}
	if r.IntN(100) < 85 {
		city = pick(r, cities)
	}
	if r.IntN(100) < 60 {
		company, title, sector = pick(r, employers), pick(r, jobTitles), pick(r, sectors)
	}
	slug := slugName(first, last)
	if r.IntN(100) < 35 {
		linkedin = fmt.Sprintf("https://www.linkedin.com/in/%s-%x", strings.ReplaceAll(slug, ".", "-"), r.IntN(1<<20))
	}
	offers := subset(r, offerKinds, 25)
	needs := subset(r, needKinds, 20)
	b.persons = append(b.persons, []any{id, first, last, phone, city, company, title, sector, linkedin, lang,
		offers, needs, created, updated})

	// Most have a primary address; some have an old one besides.
	if r.IntN(100) < 92 {
		domains := []string{"example.nl", "example.com", "example.org", "mail.example.nl"}
		email := g.uniqueEmail(slug, pick(r, domains))
		var verified any
		if r.IntN(100) < 50 {
			verified = created.Add(time.Duration(r.IntN(14*24)+1) * time.Hour)
		}
		b.emails = append(b.emails, []any{id, email, true, verified, created})
		if r.IntN(100) < 15 {
			old := g.uniqueEmail(slug, "oud.example.nl")
			b.emails = append(b.emails, []any{id, old, false, nil, created})
		}
	}

	// Tags: a quarter of the people carry one or two.
	var tags []int64
	if boomerang {
		tags = append(tags, g.boomerang)
	}
	if r.IntN(100) < 25 {
		for range 1 + r.IntN(2) {
			t := g.tagIDs[1+r.IntN(len(g.tagIDs)-1)]
			if !slices.Contains(tags, t) {
				tags = append(tags, t)
			}
		}
	}
	for _, t := range tags {
		b.tags = append(b.tags, []any{id, t})
	}
}

// study is one study affiliation that ended in the last fifteen years.
func (g *generator) study(personID int64) [][]any {
	r := g.rnd
	p := g.programmes[r.IntN(len(g.programmes))]
	// Graduated in one of the last fifteen summers.
	endYear := g.now.Year() - r.IntN(15)
	if date(endYear, time.July, 15).After(g.now) {
		endYear--
	}
	cohort := endYear - p.spec.years
	start := date(cohort, time.September, 1)
	end := date(endYear, time.July, 1+r.IntN(14))
	reason := "graduated"
	switch k := r.IntN(100); {
	case k < 10:
		reason = "early_leaver"
		left := start.AddDate(0, 3+r.IntN(p.spec.years*12-6), 0)
		if left.After(g.now.AddDate(-15, 0, 0)) {
			end = left
		} else {
			end = end.AddDate(0, -2, 0)
		}
	case k < 12:
		reason = "other"
	}
	return [][]any{{personID, "study", p.id, start, end, p.spec.qualification, p.spec.crebo, int32(cohort), reason, nil}}
}

// employment is one or two jobs at the employer, starting after notBefore;
// the second one (a returning "boomerang") only after a gap.
func (g *generator) employment(personID int64, notBefore time.Time) ([][]any, bool) {
	r := g.rnd
	earliest := g.now.AddDate(-15, 0, 0)
	if notBefore.After(earliest) {
		earliest = notBefore.AddDate(0, 1, 0)
	}
	var out [][]any
	start := earliest.AddDate(0, 0, r.IntN(max(1, int(g.now.Sub(earliest).Hours()/24)-60)))
	for job := 0; job < 2; job++ {
		w := g.workplaces[r.IntN(len(g.workplaces))]
		start = date(start.Year(), start.Month(), 1)
		end := start.AddDate(0, 6+r.IntN(8*12), 0)
		var endVal, reasonVal any
		if end.Before(g.now) {
			endVal = end
			reasonVal = weightedPick(r, employmentReasons)
		}
		out = append(out, []any{personID, "employment", w.id, start, endVal, pick(r, w.spec.roles), "", nil, reasonVal, nil})
		// Some leavers come back after a few years.
		if endVal == nil || r.IntN(100) >= 8 {
			break
		}
		start = end.AddDate(1+r.IntN(3), r.IntN(12), 0)
		if !start.Before(g.now.AddDate(0, -1, 0)) {
			break
		}
	}
	return out, len(out) > 1
}

func (g *generator) uniqueEmail(slug, domain string) string {
	e := slug + "@" + domain
	n := g.seenEmail[e]
	g.seenEmail[e] = n + 1
	if n == 0 {
		return e
	}
	return fmt.Sprintf("%s%d@%s", slug, n+1, domain)
}

var asciiFold = strings.NewReplacer(
	"ë", "e", "é", "e", "ï", "i", "ı", "i", "ö", "o", "Ö", "o", "ş", "s", "Ş", "s", "ü", "u", "ç", "c", "'", "", " ", "")

// slugName is the local part of a generated address: "zoe.vandermeulen".
func slugName(first, last string) string {
	return asciiFold.Replace(strings.ToLower(first)) + "." + asciiFold.Replace(strings.ToLower(last))
}

func pick(r *rand.Rand, list []string) string { return list[r.IntN(len(list))] }

func weightedPick(r *rand.Rand, list []weighted) string {
	total := 0
	for _, w := range list {
		total += w.weight
	}
	n := r.IntN(total)
	for _, w := range list {
		if n < w.weight {
			return w.value
		}
		n -= w.weight
	}
	return list[len(list)-1].value
}

// subset returns one or two of list for percent% of the calls, else none.
func subset(r *rand.Rand, list []string, percent int) []string {
	out := []string{}
	if r.IntN(100) >= percent {
		return out
	}
	for range 1 + r.IntN(2) {
		v := pick(r, list)
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
