package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"alumnet/internal/demo"
)

// demoFlags fills an empty registry with generated people. `make
// bench-data` uses it with -people 1000000.
func demoFlags(fs *flag.FlagSet) action {
	n := fs.Int("people", demoPeople, "generate `N` people")
	seed := fs.Int64("seed", 1, "`SEED` of the random generator (the same seed gives the same data)")
	return func(ctx context.Context, e env) error {
		d, err := openDatabase(ctx, e.cfg, e.log)
		if err != nil {
			return err
		}
		defer d.Close()
		start := time.Now()
		st, err := demo.Generate(ctx, d.Pool, demo.Options{People: *n, Seed: *seed,
			Logf: func(format string, args ...any) { e.log.Info("demo", "progress", fmt.Sprintf(format, args...)) }})
		if err != nil {
			return err
		}
		e.log.Info("demo data loaded", "people", st.People, "emails", st.Emails, "affiliations", st.Affiliations,
			"units", st.Units, "tags", st.Tags, "consents", st.Consents, "offboardings", st.Cases, "seconds", int(time.Since(start).Seconds()))
		return nil
	}
}
