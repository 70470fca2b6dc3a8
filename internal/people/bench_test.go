package people_test

import (
	"context"
	"os"
	"strconv"
	"testing"

	"alumnet/internal/demo"
	"alumnet/internal/people"
	"alumnet/internal/pgtest"
	"alumnet/internal/units"
)

// BenchmarkList measures the people list on generated data: 100,000 people
// by default, ALUMNET_BENCH_PEOPLE=1000000 for the figures in
// docs/performance.md (`make bench`).
func BenchmarkList(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("ALUMNET_BENCH_PEOPLE")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	d := pgtest.New(b)
	if _, err := demo.Generate(ctx, d.Pool, demo.Options{People: n, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	ps := people.NewStore(d.Pool)
	var programme, location int64
	if err := d.Pool.QueryRow(ctx, `SELECT (SELECT id FROM units WHERE name = 'Logistiek'), (SELECT id FROM units WHERE name = 'Locatie Leiden')`).
		Scan(&programme, &location); err != nil {
		b.Fatal(err)
	}
	var name string
	if err := d.Pool.QueryRow(ctx, `SELECT first_name || ' ' || last_name FROM persons WHERE id = $1`, n/2).Scan(&name); err != nil {
		b.Fatal(err)
	}
	second, err := ps.List(ctx, units.Everyone(), people.Filter{})
	if err != nil {
		b.Fatal(err)
	}

	cases := []struct {
		name  string
		scope units.Scope
		f     people.Filter
	}{
		{"first page", units.Everyone(), people.Filter{}},
		{"second page", units.Everyone(), people.Filter{After: second.Next}},
		{"last updated", units.Everyone(), people.Filter{Sort: "-updated"}},
		{"unit and years", units.Everyone(), people.Filter{UnitID: location, YearFrom: 2015, YearTo: 2018}},
		{"leaving reason and tag", units.Everyone(), people.Filter{LeavingReason: "retirement", Tag: "Mentor"}},
		{"coordinator scope", units.Within([]int64{programme}), people.Filter{}},
		{"search name", units.Everyone(), people.Filter{Q: name}},
		{"search surname", units.Everyone(), people.Filter{Q: "van der meulen"}},
		{"search typo", units.Everyone(), people.Filter{Q: name + "x"}},
		{"search e-mail", units.Everyone(), people.Filter{Q: "daan.jansen@"}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				res, err := ps.List(ctx, c.scope, c.f)
				if err != nil {
					b.Fatal(err)
				}
				if len(res.Rows) == 0 {
					b.Fatalf("%s: no rows", c.name)
				}
			}
		})
	}
}
