package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"alumnet/internal/config"
	"alumnet/internal/db"
	"alumnet/internal/pgcluster"
)

// database is an open, migrated database, and the local cluster behind it
// when DATABASE_URL was unset.
type database struct {
	Pool *pgxpool.Pool
	// Fresh is true when the project-local cluster was created just now.
	Fresh   bool
	cluster *pgcluster.Cluster
	log     *slog.Logger
}

// Close closes the pool, and stops the local cluster when this process
// started it. A cluster that was already running (`make run` in another
// terminal) keeps running for the process that started it.
func (d *database) Close() {
	if d.Pool != nil {
		d.Pool.Close()
	}
	if d.cluster != nil && d.cluster.Started() {
		d.log.Info("stopping local PostgreSQL")
		if err := d.cluster.Close(); err != nil {
			d.log.Error("stop local PostgreSQL", "err", err)
		}
	}
}

// openDatabase connects to DATABASE_URL, or starts the project-local
// cluster under the data directory, and runs the migrations.
func openDatabase(ctx context.Context, cfg config.Config, log *slog.Logger) (*database, error) {
	d := &database{log: log}
	if cfg.DatabaseURL == "" {
		c, err := pgcluster.New(filepath.Join(cfg.DataDir, "postgres"), func(msg string, args ...any) { log.Info(msg, args...) })
		if err != nil {
			return nil, err
		}
		log.Info("DATABASE_URL is unset: using the project-local PostgreSQL", "dir", c.Dir)
		d.cluster = c
		if d.Fresh, err = c.Start(ctx); err != nil {
			return nil, err
		}
		if err := ensureDatabase(ctx, c.URL("postgres"), "alumnet"); err != nil {
			d.Close()
			return nil, err
		}
		if d.Pool, err = db.Open(ctx, c.URL("alumnet")); err != nil {
			d.Close()
			return nil, err
		}
	} else {
		var err error
		if d.Pool, err = connect(ctx, cfg.DatabaseURL, cfg.DatabaseWait, log); err != nil {
			return nil, err
		}
	}
	if err := db.Migrate(ctx, d.Pool, log); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// connect opens a pool on DATABASE_URL, trying again for up to wait while
// the server does not answer: containers start in any order. A refused
// login or an unknown database is not worth waiting for.
func connect(ctx context.Context, url string, wait time.Duration, log *slog.Logger) (*pgxpool.Pool, error) {
	cfg, err := db.Config(url)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	where := fmt.Sprintf("database %s as %s on %s port %d", cfg.ConnConfig.Database, cfg.ConnConfig.User, cfg.ConnConfig.Host, cfg.ConnConfig.Port)
	start := time.Now()
	delay := 200 * time.Millisecond
	for attempt := 1; ; attempt++ {
		// One attempt may not hang on an address that never answers.
		actx, cancel := context.WithTimeout(ctx, 10*time.Second)
		pool, err := db.OpenConfig(actx, cfg)
		cancel()
		if err == nil {
			if attempt > 1 {
				log.Info("database reached", "attempts", attempt, "after", time.Since(start).Round(time.Millisecond).String())
			}
			return pool, nil
		}
		remaining := wait - time.Since(start)
		if ctx.Err() != nil || permanent(err) || remaining <= 0 {
			tries := "1 attempt"
			if attempt > 1 {
				tries = fmt.Sprintf("%d attempts in %s", attempt, time.Since(start).Round(time.Millisecond))
			}
			return nil, fmt.Errorf("DATABASE_URL: cannot reach the %s (%s; DATABASE_WAIT is %s): %w", where, tries, wait, err)
		}
		if attempt == 1 {
			log.Warn("database not reachable yet; trying again", "database", where, "for", wait.String(), "err", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(min(delay, remaining)):
		}
		delay = min(delay*2, time.Second)
	}
}

// permanent reports whether a connection error will not go away by
// waiting: a refused login (SQLSTATE class 28) or an unknown database.
func permanent(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return false
	}
	return pgErr.Code == "3D000" || len(pgErr.Code) == 5 && pgErr.Code[:2] == "28"
}

func ensureDatabase(ctx context.Context, adminURL, name string) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return fmt.Errorf("connect to local PostgreSQL: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, `CREATE DATABASE `+pgx.Identifier{name}.Sanitize())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (pgErr.Code == "42P04" || pgErr.Code == "23505") {
		return nil // another process made it at the same moment
	}
	return err
}

func migrateFlags(*flag.FlagSet) action {
	return func(ctx context.Context, e env) error {
		d, err := openDatabase(ctx, e.cfg, e.log)
		if err != nil {
			return err
		}
		d.Close()
		e.log.Info("schema is up to date")
		return nil
	}
}
