package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"alumnet/internal/config"
	"alumnet/internal/demo"
)

// demoCmd fills an empty registry with generated people. `make bench-data`
// uses it with -people 1000000.
func demoCmd(ctx context.Context, cfg config.Config, log *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	n := fs.Int("people", demoPeople, "number of people to generate")
	seed := fs.Int64("seed", 1, "random seed (the same seed gives the same data)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	d, err := openDatabase(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer d.Close()
	start := time.Now()
	st, err := demo.Generate(ctx, d.Pool, demo.Options{People: *n, Seed: *seed,
		Logf: func(format string, args ...any) { log.Info("demo", "progress", fmt.Sprintf(format, args...)) }})
	if err != nil {
		return err
	}
	log.Info("demo data loaded", "people", st.People, "emails", st.Emails, "affiliations", st.Affiliations,
		"units", st.Units, "tags", st.Tags, "consents", st.Consents, "offboardings", st.Cases, "seconds", int(time.Since(start).Seconds()))
	return nil
}
