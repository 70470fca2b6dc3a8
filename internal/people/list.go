package people

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"alumnet/internal/db"
	"alumnet/internal/units"
)

// CountCap is where counting stops: beyond it the list says "more than".
// An exact count over a million rows costs more than the page itself.
const CountCap = 1000

// PageSize is the number of people per page.
const PageSize = 50

// Filter selects and orders the people list.
type Filter struct {
	Q             string // name or e-mail; accents forgiven, typos when nothing matches exactly
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
	"relevance": {expr: "similarity(%[1]s, p.search_name)", desc: true, typ: "float8"},
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
	Total        int       `db:"total"` // matches in all, when the query counted them in passing
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
	Sort  string
	fuzzy bool
}

// Fuzzy reports that nothing matched the search exactly and the list
// shows similar names instead (typos forgiven).
func (r Result) Fuzzy() bool { return r.fuzzy }

// CountCapped reports whether Count stopped at the cap.
func (r Result) CountCapped() bool { return r.Count > CountCap }

type cursor struct {
	V     string `json:"v"`
	ID    int64  `json:"id"`
	Fuzzy bool   `json:"f,omitempty"` // the pages are of similar names
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

// List returns one page of people within scope matching f. A search term
// matches names and e-mail addresses as a substring, accents ignored; only
// when nothing matches that way are similar names listed (a typo or two in
// a full name), so common names stay fast and precise.
func (s *Store) List(ctx context.Context, sc units.Scope, f Filter) (Result, error) {
	fuzzy := false
	if f.After != "" {
		if c, ok := decodeCursor(f.After); ok {
			fuzzy = c.Fuzzy
		}
	}
	res, err := s.list(ctx, sc, f, fuzzy)
	if err == nil && !fuzzy && f.After == "" && len(res.Rows) == 0 && fuzzySearchable(f.Q) {
		res, err = s.list(ctx, sc, f, true)
	}
	return res, err
}

// fuzzySearchable reports whether q is worth a similarity search: a name
// of some length, not an e-mail fragment.
func fuzzySearchable(q string) bool {
	q = strings.TrimSpace(q)
	return len([]rune(q)) >= 4 && !strings.Contains(q, "@")
}

func (s *Store) list(ctx context.Context, sc units.Scope, f Filter, fuzzy bool) (Result, error) {
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
		// Substring of the name or of an e-mail address (an e-mail
		// fragment has no spaces; a term with @ is no name), or a similar
		// full name. Each UNION branch uses its trigram index.
		var branches []string
		switch {
		case fuzzy:
			branches = append(branches, `SELECT id FROM persons WHERE search_name % `+term)
		default:
			if !strings.Contains(q, "@") {
				branches = append(branches, `SELECT id FROM persons WHERE search_name LIKE `+like)
			}
			if !strings.ContainsAny(q, " \t") {
				branches = append(branches, `SELECT person_id FROM person_emails WHERE email LIKE `+like)
			}
		}
		if len(branches) == 0 { // "@" and a space: no name, no address
			branches = append(branches, `SELECT id FROM persons WHERE false`)
		}
		b.Where(`p.id IN (` + strings.Join(branches, " UNION ") + `)`)
	}
	sc.PersonCondition(&b, "p.id")
	// Erased people are tombstones: they name nobody and are not listed.
	b.Where(`p.erased_at IS NULL`)
	var aff []string
	if f.UnitID != 0 {
		aff = append(aff, `fa.unit_id = ANY(ARRAY(SELECT id FROM units WHERE path && ARRAY[`+b.Arg(f.UnitID)+`::bigint]))`)
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
		b.Where(`EXISTS (SELECT 1 FROM affiliations fa WHERE fa.person_id = p.id AND ` + strings.Join(aff, " AND ") + `)`)
	}
	if f.Tag != "" {
		// The tag's id, not its name, goes into the query, so the planner
		// can use the statistics of person_tags.tag_id.
		var tagID int64
		err := s.pool.QueryRow(ctx, `SELECT id FROM tags WHERE lower(name) = lower($1)`, f.Tag).Scan(&tagID)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return Result{}, fmt.Errorf("people: list: tag: %w", err)
		}
		b.Where(`EXISTS (SELECT 1 FROM person_tags ft WHERE ft.person_id = p.id AND ft.tag_id = ` + b.Arg(tagID) + `)`)
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
	// Ordering by relevance scores every match anyway, so the same pass
	// counts them; other orderings walk an index and stop after a page.
	totalExpr := "0"
	countedInPassing := sortKey == "relevance" && f.After == ""
	if countedInPassing {
		totalExpr = "count(*) OVER ()"
	}
	// The page is chosen first; the columns that need lookups per person
	// (primary address, latest affiliation) are added to its rows only, so
	// a plan that gathers many matches before sorting stays cheap.
	listSQL := `
		SELECT p.id, p.first_name, p.last_name, p.city, p.employer, p.updated_at,
		       p.sort_key::text AS sort_value, p.total,
		       (SELECT e.email FROM person_emails e WHERE e.person_id = p.id AND e.is_primary) AS email,
		       la.unit_name, la.kind, la.end_year, la.cohort_year, la.leaving_reason,
		       coalesce(la.aff_count, 0) AS aff_count
		FROM (
			SELECT p.id, p.first_name, p.last_name, p.city, p.employer, p.updated_at,
			       ` + expr + ` AS sort_key, ` + totalExpr + ` AS total
			FROM persons p
			` + b.WhereSQL() + `
			ORDER BY ` + expr + ` ` + dir + `, p.id ` + dir + `
			LIMIT ` + fmt.Sprint(limit+1) + `
		) p
		LEFT JOIN LATERAL (
			SELECT u.name AS unit_name, a.kind, extract(year FROM a.end_date)::int AS end_year, a.cohort_year,
			       a.leaving_reason, count(*) OVER () AS aff_count
			FROM affiliations a JOIN units u ON u.id = a.unit_id
			WHERE a.person_id = p.id
			ORDER BY a.end_date DESC NULLS FIRST, a.id DESC
			LIMIT 1
		) la ON true
		ORDER BY p.sort_key ` + dir + `, p.id ` + dir

	res := Result{Sort: sortKey, fuzzy: fuzzy}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if fuzzy {
			// Similar enough to catch a typo or two in a full name ("zoe van
			// der muelen" scores 0.65), strict enough that a shared first
			// name and prefix ("emma de vries" for "emma de jong": 0.42) do
			// not match.
			if _, err := tx.Exec(ctx, `SET LOCAL pg_trgm.similarity_threshold = 0.5`); err != nil {
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
			res.Next = encodeCursor(cursor{V: last.SortValue, ID: last.ID, Fuzzy: fuzzy})
		}
		if f.After == "" && len(res.Rows) < limit {
			res.Count = len(res.Rows) // the whole result is on this page
			return nil
		}
		if countedInPassing {
			res.Count = min(res.Rows[0].Total, CountCap+1)
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
