package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"

	"alumnet/internal/app"
	"alumnet/internal/auth"
	"alumnet/internal/config"
	"alumnet/internal/demo"
	"alumnet/internal/jobs"
	"alumnet/internal/server"
	"alumnet/web"
)

// demoPeople is how many people a fresh local database gets.
const demoPeople = 3000

func serveFlags(fs *flag.FlagSet) action {
	workersOnly := fs.Bool("workers-only", false, "run the job workers (mail, reminders, retention) without the web server")
	noWorkers := fs.Bool("no-workers", false, "serve the web app without job workers (another process runs them with -workers-only)")
	return func(ctx context.Context, e env) error {
		if *workersOnly && *noWorkers {
			return errors.New("serve: -workers-only and -no-workers exclude each other")
		}
		return serve(ctx, e, *workersOnly, *noWorkers)
	}
}

func serve(ctx context.Context, e env, workersOnly, noWorkers bool) error {
	cfg, log := e.cfg, e.log
	if err := cfg.CheckMail(); err != nil {
		return err
	}
	d, err := openDatabase(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer d.Close()

	// The address is taken before anything is created: a start that
	// cannot serve makes no administrator and prints no password.
	var ln net.Listener
	if !workersOnly {
		if ln, err = net.Listen("tcp", cfg.Addr); err != nil {
			return fmt.Errorf("ADDR %s: %w", cfg.Addr, err)
		}
		defer ln.Close()
	}
	users := auth.NewStore(d.Pool, auth.Options{})
	if err := bootstrapAdmin(ctx, cfg, d, users, log, e.stdout); err != nil {
		return err
	}
	if d.Fresh {
		log.Info("new local database: loading demo data", "people", demoPeople)
		st, err := demo.Generate(ctx, d.Pool, demo.Options{People: demoPeople, Seed: 1})
		if err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
		log.Info("demo data loaded", "people", st.People, "units", st.Units, "affiliations", st.Affiliations,
			"consents", st.Consents, "offboardings", st.Cases)
	}
	mailer, err := newMailer(cfg, d)
	if err != nil {
		return err
	}
	// The job workers send the mail and run the periodic tasks; they start
	// before the web server and stop after it (deferred), letting running
	// jobs finish.
	workers, err := jobs.New(d.Pool, mailer, log, jobs.Options{})
	if err != nil {
		return err
	}
	a, err := app.New(app.Deps{Config: cfg, Log: log, Pool: d.Pool, Mailer: mailer, Jobs: workers})
	if err != nil {
		return err
	}
	if noWorkers {
		// The web process still enqueues (in the transaction of the
		// cause); a -workers-only process sends. Its job client only
		// needs its connections closed.
		defer func() {
			if err := workers.Stop(context.Background()); err != nil {
				log.Error("close job client", "err", err)
			}
		}()
	} else {
		if err := a.Schedule(); err != nil {
			return err
		}
		if err := workers.Start(ctx); err != nil {
			return err
		}
		defer func() {
			stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := workers.Stop(stopCtx); err != nil {
				log.Error("stop job workers", "err", err)
			}
		}()
		log.Info("job workers started", "mail_via", fmt.Sprint(mailer))
	}
	if workersOnly {
		<-ctx.Done()
		log.Info("shutting down")
		return nil
	}
	// Only a process that serves builds the web server.
	assets, err := web.NewAssets()
	if err != nil {
		return err
	}
	srv := server.New(a, assets)
	defer srv.Close()

	httpSrv := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("serving", "addr", ln.Addr().String(), "base_url", cfg.BaseURL.String())
	errc := make(chan error, 1)
	go func() { errc <- httpSrv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := httpSrv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// bootstrapLock is the advisory lock under which a starting process looks
// for users and makes the first administrator: processes that start
// together make one.
const bootstrapLock int64 = 0x616c756d_61646d6e // "alumadmn"

// bootstrapAdmin creates the first administrator when there are no users:
// from ALUMNET_ADMIN_EMAIL/ALUMNET_ADMIN_PASSWORD, or with a random password
// printed once on the console.
func bootstrapAdmin(ctx context.Context, cfg config.Config, d *database, users *auth.Store, log *slog.Logger, stdout io.Writer) error {
	// A connection outside the pool holds the lock, so that a pool of
	// one connection still has one for the work.
	conn, err := pgx.ConnectConfig(ctx, d.Pool.Config().ConnConfig.Copy())
	if err != nil {
		return fmt.Errorf("first administrator: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, bootstrapLock); err != nil {
		return fmt.Errorf("first administrator: lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, bootstrapLock) //nolint:errcheck
	n, err := users.CountUsers(ctx)
	if err != nil || n > 0 {
		return err
	}
	email, password, generated := cfg.AdminEmail, cfg.AdminPassword, false
	if email == "" {
		email, password, generated = "admin@alumnet.local", randomPassword(), true
	} else {
		policy, err := auth.NewPolicy()
		if err != nil {
			return err
		}
		var pe *auth.PolicyError
		if err := policy.Check(password, email); errors.As(err, &pe) {
			return fmt.Errorf("ALUMNET_ADMIN_PASSWORD is not acceptable (%s): use at least %d characters that are not a common password", pe.Key, auth.MinPasswordLen)
		}
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return err
	}
	u, err := users.CreateUser(ctx, auth.NewUser{Email: email, Name: "Administrator", Role: auth.RoleAdmin, PasswordHash: &hash})
	if err != nil {
		return fmt.Errorf("create first admin: %w", err)
	}
	log.Info("first administrator created", "user_id", u.ID)
	if generated {
		fmt.Fprintf(stdout, "\n"+
			"  ┌──────────────────────────────────────────────────────────────┐\n"+
			"  │ First administrator created. This is shown only once:        │\n"+
			"  │   e-mail:   %-49s│\n"+
			"  │   password: %-49s│\n"+
			"  │ Log in and invite your colleagues under Admin › Users.       │\n"+
			"  └──────────────────────────────────────────────────────────────┘\n\n", email, password)
	}
	return nil
}

func randomPassword() string {
	b := make([]byte, 15)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
