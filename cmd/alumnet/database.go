package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/jackc/pgx/v5"
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

// Close closes the pool and stops a local cluster.
func (d *database) Close() {
	d.Pool.Close()
	if d.cluster != nil {
		d.log.Info("stopping local PostgreSQL")
		if err := d.cluster.Stop(); err != nil {
			d.log.Error("stop local PostgreSQL", "err", err)
		}
	}
}

// openDatabase connects to DATABASE_URL, or starts the project-local
// cluster under the data directory, and runs the migrations.
func openDatabase(ctx context.Context, cfg config.Config, log *slog.Logger) (*database, error) {
	d := &database{log: log}
	url := cfg.DatabaseURL
	if url == "" {
		c, err := pgcluster.New(filepath.Join(cfg.DataDir, "postgres"), func(msg string, args ...any) { log.Info(msg, args...) })
		if err != nil {
			return nil, err
		}
		log.Info("DATABASE_URL is unset: using the project-local PostgreSQL", "dir", c.Dir)
		if d.Fresh, err = c.Start(ctx); err != nil {
			return nil, err
		}
		d.cluster = c
		if err := ensureDatabase(ctx, c.URL("postgres"), "alumnet"); err != nil {
			_ = c.Stop()
			return nil, err
		}
		url = c.URL("alumnet")
	}
	pool, err := db.Open(ctx, url)
	if err != nil {
		if d.cluster != nil {
			_ = d.cluster.Stop()
		}
		return nil, err
	}
	d.Pool = pool
	if err := db.Migrate(ctx, pool, log); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
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
	return err
}

func migrate(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	d, err := openDatabase(ctx, cfg, log)
	if err != nil {
		return err
	}
	d.Close()
	log.Info("schema is up to date")
	return nil
}
