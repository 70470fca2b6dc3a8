package people

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"alumnet/internal/db"
	"alumnet/internal/units"
)

// CountCap is where counting stops: beyond it the list says "more than".
// An exact count over a million rows costs more than the page itself.
const CountCap = 10000

// PageSize is the number of people per page.
const PageSize = 50

// Filter selects and orders the people list.
type Filter struct {
	Q             string // name or e-mail; accents and small typos forgiven
	UnitID        int64  // this unit and everything below it
	Kind          string // employment or study
	YearFrom      int    // cohort year, or the year the affiliation ended
	YearTo        int
	LeavingReason string
	Tag           string
	Sort          string // a key of Sorts; "" is name (or relevance with Q)
	After         string // cursor of the last row of the previous page
	Limit         int
}

// sortSpec is one allowed ordering: the SQL expression, its direction and
// how to read its cursor value back.
type sortSpec struct {
	expr string
	desc bool
	typ  string // text, timestamptz or float8
}

// Sorts is the allow-list of orderings the list accepts.
var Sorts = map[string]sortSpec{
	"name":      {expr: "p.sort_name", typ: "text"},
	"-name":     {expr: "p.sort_name", desc: true, typ: "text"},
	"updated":   {expr: "p.updated_at", typ: "timestamptz"},
	"-updated":  {expr: "p.updated_at", desc: true, typ: "timestamptz"},
	"created":   {expr: "p.created_at", typ: "timestamptz"},
	"-created":  {expr: "p.created_at", desc: true, typ: "timestamptz"},
	"relevance": {expr: "word_similarity(%[1]s, p.search_name)", desc: true, typ: "float8"},
}

// Row is one line of the people list.
type Row struct {
	ID           int64     `db:"id"`
	FirstName    string    `db:"first_name"`
	LastName     string    `db:"last_name"`
	Email        *string   `db:"email"`
	City         string    `db:"city"`
	Employer     string    `db:"employer"`
	UpdatedAt    time.Time `db:"updated_at"`
	UnitName     *string   `db:"unit_name"`
	Kind         *string   `db:"kind"`
	EndYear      *int      `db:"end_year"`
	CohortYear   *int      `db:"cohort_year"`
	SortValue    string    `db:"sort_value"`
	AffCount     int       `db:"aff_count"`
	LatestReason *string   `db:"leaving_reason"`
}

// Name is the person's full name.
func (r Row) Name() string { return r.FirstName + " " + r.LastName }

// Result is one page of the list.
type Result struct {
	Rows []Row
	// Next is the cursor for the following page, "" on the last page.
	Next string
	// Count is the number of matches, capped at CountCap+1 ("more than").
	Count int
	// Sort is the ordering that was applied.
	Sort string
}

// CountCapped reports whether Count stopped at the cap.
func (r Result) CountCapped() bool { return r.Count > CountCap }

type cursor struct {
	V  string `json:"v"`
	ID int64  `json:"id"`
}

func encodeCursor(c cursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (cursor, bool) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &c) != nil || c.ID == 0 {
		return cursor{}, false
	}
	return c, true
}

// List returns one page of people within scope matching f.
func (s *Store) List(ctx context.Context, sc units.Scope, f Filter) (Result, error) {
	var b db.Builder
	q := strings.TrimSpace(f.Q)
	sortKey := f.Sort
	if _, ok := Sorts[sortKey]; !ok || (sortKey == "relevance" && q == "") {
		sortKey = "name"
		if q != "" && f.Sort == "" {
			sortKey = "relevance"
		}
	}
	spec := Sorts[sortKey]
	var qArg string
	if q != "" {
		qArg = b.Arg(q)
		term := `f_unaccent(lower(` + qArg + `))`
		like := `'%' || ` + escapeLikeSQL(term) + ` || '%'`
		// Name: substring or word similarity (typos); e-mail: substring. The
		// UNION lets each branch use its trigram index.
		b.Where(`p.id IN (
			SELECT id FROM persons WHERE search_name LIKE ` + like + ` OR ` + term + ` <% search_name
			UNION
			SELECT person_id FROM person_emails WHERE email LIKE ` + like + `)`)
	}
	sc.PersonCondition(&b, "p.id")
	var aff []string
	if f.UnitID != 0 {
		aff = append(aff, `fu.path && ARRAY[`+b.Arg(f.UnitID)+`::bigint]`)
	}
	if f.Kind != "" {
		aff = append(aff, `fa.kind = `+b.Arg(f.Kind))
	}
	if f.YearFrom != 0 {
		aff = append(aff, `coalesce(fa.cohort_year, extract(year FROM fa.end_date)::int) >= `+b.Arg(f.YearFrom))
	}
	if f.YearTo != 0 {
		aff = append(aff, `coalesce(fa.cohort_year, extract(year FROM fa.end_date)::int) <= `+b.Arg(f.YearTo))
	}
	if f.LeavingReason != "" {
		aff = append(aff, `fa.leaving_reason = `+b.Arg(f.LeavingReason))
	}
	if len(aff) > 0 {
		// All affiliation conditions hold for one and the same affiliation.
		b.Where(`EXISTS (SELECT 1 FROM affiliations fa JOIN units fu ON fu.id = fa.unit_id
			WHERE fa.person_id = p.id AND ` + strings.Join(aff, " AND ") + `)`)
	}
	if f.Tag != "" {
		b.Where(`EXISTS (SELECT 1 FROM person_tags ft JOIN tags t ON t.id = ft.tag_id
			WHERE ft.person_id = p.id AND lower(t.name) = lower(` + b.Arg(f.Tag) + `))`)
	}
	// Count before the cursor condition: it counts all matches.
	countSQL := `SELECT count(*) FROM (SELECT 1 FROM persons p ` + b.WhereSQL() + ` LIMIT ` + fmt.Sprint(CountCap+1) + `) c`
	countArgs := append([]any(nil), b.Args()...)

	expr := spec.expr
	if strings.Contains(expr, "%[1]s") {
		expr = fmt.Sprintf(expr, `f_unaccent(lower(`+qArg+`))`)
	}
	if f.After != "" {
		if c, ok := decodeCursor(f.After); ok {
			op := ">"
			if spec.desc {
				op = "<"
			}
			b.Where(`(` + expr + `, p.id) ` + op + ` (` + b.Arg(c.V) + `::` + spec.typ + `, ` + b.Arg(c.ID) + `::bigint)`)
		}
	}
	dir := "ASC"
	if spec.desc {
		dir = "DESC"
	}
	limit := f.Limit
	if limit <= 0 || limit > 200 {
		limit = PageSize
	}
	listSQL := `
		SELECT p.id, p.first_name, p.last_name, p.city, p.employer, p.updated_at,
		       (` + expr + `)::text AS sort_value,
		       (SELECT e.email FROM person_emails e WHERE e.person_id = p.id AND e.is_primary) AS email,
		       la.unit_name, la.kind, la.end_year, la.cohort_year, la.leaving_reason,
		       coalesce(la.aff_count, 0) AS aff_count
		FROM persons p
		LEFT JOIN LATERAL (
			SELECT u.name AS unit_name, a.kind, extract(year FROM a.end_date)::int AS end_year, a.cohort_year,
			       a.leaving_reason, count(*) OVER () AS aff_count
			FROM affiliations a JOIN units u ON u.id = a.unit_id
			WHERE a.person_id = p.id
			ORDER BY a.end_date DESC NULLS FIRST, a.id DESC
			LIMIT 1
		) la ON true
		` + b.WhereSQL() + `
		ORDER BY ` + expr + ` ` + dir + `, p.id ` + dir + `
		LIMIT ` + fmt.Sprint(limit+1)

	var res Result
	res.Sort = sortKey
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if q != "" {
			// Similar enough to catch a typo or two in a name, strict enough
			// not to match everyone.
			if _, err := tx.Exec(ctx, `SET LOCAL pg_trgm.word_similarity_threshold = 0.45`); err != nil {
				return err
			}
		}
		rows, err := tx.Query(ctx, listSQL, b.Args()...)
		if err != nil {
			return err
		}
		res.Rows, err = pgx.CollectRows(rows, pgx.RowToStructByName[Row])
		if err != nil {
			return err
		}
		if len(res.Rows) > limit {
			res.Rows = res.Rows[:limit]
			last := res.Rows[limit-1]
			res.Next = encodeCursor(cursor{V: last.SortValue, ID: last.ID})
		}
		if f.After == "" && len(res.Rows) < limit {
			res.Count = len(res.Rows) // the whole result is on this page
			return nil
		}
		return tx.QueryRow(ctx, countSQL, countArgs...).Scan(&res.Count)
	})
	if err != nil {
		return Result{}, fmt.Errorf("people: list: %w", err)
	}
	return res, nil
}

// escapeLikeSQL escapes LIKE wildcards inside the SQL expression e.
func escapeLikeSQL(e string) string {
	return `replace(replace(replace(` + e + `, '\', '\\'), '%', '\%'), '_', '\_')`
}
