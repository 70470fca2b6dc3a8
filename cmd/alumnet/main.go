// Command alumnet is the Alumnet server and its admin tools.
//
//	alumnet [serve]          run the web app (default)
//	alumnet migrate          bring the database schema up to date
//	alumnet demo [-people N] fill an empty database with demo data
//	alumnet user create ...  create a staff account and print its set-password link
//
// Configuration comes from the environment; see README.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // displayed times are in Europe/Amsterdam on any host

	"alumnet/internal/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "alumnet:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stdout)
	switch cmd {
	case "serve":
		return serve(ctx, cfg, log, args, getenv, stdout)
	case "migrate":
		return migrate(ctx, cfg, log)
	case "demo":
		return demoCmd(ctx, cfg, log, args)
	case "user":
		return userCmd(ctx, cfg, log, args, stdout)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, "usage: alumnet [serve|migrate|demo|user] [flags]")
		return nil
	}
	return errors.New("unknown command " + cmd + " (serve, migrate, demo, user)")
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
