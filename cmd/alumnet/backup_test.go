package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"alumnet/internal/app"
	"alumnet/internal/units"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"alumnet/internal/auth"
	"alumnet/internal/config"
	"alumnet/internal/consent"
	"alumnet/internal/db"
	"alumnet/internal/jobs"
	"alumnet/internal/mail"
	"alumnet/internal/people"
	"alumnet/internal/pgcluster"
	"alumnet/internal/pgtest"
	"alumnet/internal/portal"
	"alumnet/internal/server"
	"alumnet/web"
)

// TestRestoreFromDump follows docs/operations.md: a pg_dump of a database
// with people, consent and users, restored with pg_restore into a new
// database, is served with nothing lost: staff log in and see the person,
// a session from before the dump still works, the consent ledger is whole,
// and an unsubscribe link signed before the dump still verifies.
func TestRestoreFromDump(t *testing.T) {
	ctx := context.Background()
	orig := pgtest.New(t)

	const password = "a password to restore with"
	hash, err := auth.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	users := auth.NewStore(orig.Pool, auth.Options{})
	u, err := users.CreateUser(ctx, auth.NewUser{Email: "hr@example.nl", Name: "Hanna HR", Role: auth.RoleStaff, PasswordHash: &hash})
	if err != nil {
		t.Fatal(err)
	}
	personID, err := people.NewStore(orig.Pool).CreatePerson(ctx, units.Everyone(), u.ID,
		people.Input{FirstName: "Wilhelmina", LastName: "Terugkeer", PrimaryEmail: "wil@example.nl", Language: "nl"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cs := consent.NewStore(orig.Pool)
	newsletter, err := cs.PurposeByKey(ctx, "newsletter")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.Record(ctx, orig.Pool, consent.Entry{PersonID: personID, PurposeID: newsletter.ID, Granted: true,
		Source: consent.SourcePortal, ByPerson: true}); err != nil {
		t.Fatal(err)
	}
	unsubscribe, err := portal.NewStore(orig.Pool, cs, nil, nil).UnsubscribeToken(ctx, personID, "newsletter")
	if err != nil {
		t.Fatal(err)
	}
	before := newApp(t, orig.Pool)
	session := before.login(t, "hr@example.nl", password)

	// Back up and restore, as docs/operations.md says.
	dump := filepath.Join(t.TempDir(), "alumnet.dump")
	pgTool(t, "pg_dump", "--format=custom", "--file="+dump, "--dbname="+orig.URL)
	restoredURL := newEmptyDatabase(t, orig.URL, "restored")
	pgTool(t, "pg_restore", "--exit-on-error", "--no-owner", "--dbname="+restoredURL, dump)

	pool, err := db.Open(ctx, restoredURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	// Starting the app migrates: a restored database is up to date and
	// goose agrees.
	if err := db.Migrate(ctx, pool, nil); err != nil {
		t.Fatalf("migrate the restored database: %v", err)
	}
	after := newApp(t, pool)
	personPath := "/app/people/" + strconv.FormatInt(personID, 10)

	rec := after.get(personPath, session)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "Wilhelmina") {
		t.Errorf("a session from before the dump: %s gives %d", personPath, rec.Code)
	}
	fresh := after.login(t, "hr@example.nl", password)
	rec = after.get(personPath, fresh)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "Wilhelmina") || !strings.Contains(rec.Body.String(), "wil@example.nl") {
		t.Fatalf("after logging in on the restored database: %s gives %d", personPath, rec.Code)
	}

	rcs := consent.NewStore(pool)
	history, err := rcs.History(ctx, personID)
	if err != nil || len(history) != 1 || !history[0].Granted || history[0].PurposeKey != "newsletter" {
		t.Errorf("consent ledger after restore: %+v (%v)", history, err)
	}
	if d, err := rcs.MayUse(ctx, personID, "newsletter"); err != nil || !d.Allowed {
		t.Errorf("may use newsletter after restore: %+v (%v)", d, err)
	}

	// The unsubscribe link in a mail sent before the dump still works:
	// the signing key (app_secrets) came along.
	id, key, err := portal.NewStore(pool, rcs, nil, nil).VerifyUnsubscribe(ctx, unsubscribe)
	if err != nil || id != personID || key != "newsletter" {
		t.Errorf("unsubscribe link after restore: person %d, purpose %q, %v", id, key, err)
	}
	if rec := after.get("/u/"+unsubscribe, nil); rec.Code != http.StatusOK {
		t.Errorf("GET /u/<token> after restore: %d", rec.Code)
	}
	// The control: another installation (another key) refuses the link.
	other := pgtest.New(t)
	if _, _, err := portal.NewStore(other.Pool, consent.NewStore(other.Pool), nil, nil).VerifyUnsubscribe(ctx, unsubscribe); err == nil {
		t.Error("a database without the dump's key accepts the link: the check above proves nothing")
	}
}

// testApp is the real router on a database.
type testApp struct{ handler http.Handler }

func newApp(t *testing.T, pool *pgxpool.Pool) *testApp {
	t.Helper()
	cfg, err := config.Load(func(k string) string { return map[string]string{"BASE_URL": "http://alumnet.test"}[k] })
	if err != nil {
		t.Fatal(err)
	}
	assets, err := web.NewAssets()
	if err != nil {
		t.Fatal(err)
	}
	outbox := mail.NewOutbox(pool)
	workers, err := jobs.New(pool, outbox, nil, jobs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(app.Deps{Config: cfg, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Pool: pool, Mailer: outbox, Jobs: workers})
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(a, assets)
	t.Cleanup(func() {
		srv.Close()
		_ = workers.Stop(context.Background())
	})
	return &testApp{handler: srv.Handler()}
}

func (a *testApp) login(t *testing.T, email, password string) []*http.Cookie {
	t.Helper()
	form := url.Values{"email": {email}, "password": {password}}
	req := httptest.NewRequest(http.MethodPost, "http://alumnet.test/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	a.handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("login %s: status %d", email, rec.Code)
	}
	return rec.Result().Cookies()
}

func (a *testApp) get(path string, cookies []*http.Cookie) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, "http://alumnet.test"+path, nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	a.handler.ServeHTTP(rec, req)
	return rec
}

// pgTool runs an installed PostgreSQL client program of the server's version.
func pgTool(t *testing.T, name string, args ...string) {
	t.Helper()
	path, err := pgcluster.Binary(name)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, path, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", name, err, out)
	}
}

// newEmptyDatabase makes an empty database next to the one at serverURL,
// dropped when the test ends.
func newEmptyDatabase(t *testing.T, serverURL, prefix string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	name := prefix + "_" + strconv.FormatInt(time.Now().UnixNano(), 36)
	if _, err := conn.Exec(ctx, `CREATE DATABASE `+pgx.Identifier{name}.Sanitize()+` TEMPLATE template0`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), serverURL)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), `DROP DATABASE IF EXISTS `+pgx.Identifier{name}.Sanitize()+` WITH (FORCE)`)
	})
	cfg := conn.Config().Copy()
	cfg.Database = name
	return urlOf(cfg)
}
