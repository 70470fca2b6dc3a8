package pgtest

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// FindText returns "schema.table.column contains needle" for every
// text-like column (text, varchar, json, jsonb, arrays, bytea) of every
// table in the database whose value contains one of needles, ignoring
// case. Erasure tests use it to prove a person's name and address are gone
// everywhere; bytea is read with its escapes, so gob-encoded session data
// counts too.
func FindText(t testing.TB, pool *pgxpool.Pool, needles ...string) []string {
	t.Helper()
	ctx := context.Background()
	rows, err := pool.Query(ctx, `SELECT c.table_schema, c.table_name, c.column_name, c.data_type
		FROM information_schema.columns c
		JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
		WHERE c.table_schema NOT IN ('pg_catalog', 'information_schema')
		  AND c.data_type IN ('text', 'character varying', 'jsonb', 'json', 'ARRAY', 'bytea')`)
	if err != nil {
		t.Fatal(err)
	}
	type col struct{ schema, table, column, typ string }
	cols, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (col, error) {
		var c col
		return c, r.Scan(&c.schema, &c.table, &c.column, &c.typ)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(cols) < 20 {
		t.Fatalf("pgtest: only %d columns to scan", len(cols))
	}
	var hits []string
	for _, c := range cols {
		table := pgx.Identifier{c.schema, c.table}.Sanitize()
		col := pgx.Identifier{c.column}.Sanitize()
		cond := `strpos(lower(` + col + `::text), lower($1)) > 0`
		if c.typ == "bytea" {
			// The escaped text for ASCII in any case, and the exact UTF-8
			// bytes for the rest ("Pérez" in gob-encoded session data).
			cond = `(strpos(lower(encode(` + col + `, 'escape')), lower($1)) > 0 OR position(convert_to($1, 'UTF8') IN ` + col + `) > 0)`
		}
		for _, n := range needles {
			var found bool
			if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+table+` WHERE `+cond+`)`, n).Scan(&found); err != nil {
				t.Fatalf("pgtest: scan %s.%s: %v", table, c.column, err)
			}
			if found {
				hits = append(hits, strings.Join([]string{table, c.column}, ".")+" contains "+n)
			}
		}
	}
	return hits
}
