// Package e2e drives the real app in headless Chromium, as a person would.
package e2e

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"alumnet/internal/app"
	"alumnet/internal/config"
	"alumnet/internal/jobs"
	"alumnet/internal/mail"
	"alumnet/internal/pgtest"
	"alumnet/internal/server"
	"alumnet/web"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

// app is the real server on a fresh database, listening on loopback.
type site struct {
	URL  string
	DB   *pgtest.DB
	Srv  *server.Server
	Mail *mail.Outbox
	// Jobs sends the mail (into Mail) in the background.
	Jobs *jobs.Jobs
}

func startApp(t *testing.T) *site {
	t.Helper()
	d := pgtest.New(t)
	ts := httptest.NewUnstartedServer(nil)
	base := "http://" + ts.Listener.Addr().String()
	cfg, err := config.Load(func(k string) string { return map[string]string{"BASE_URL": base}[k] })
	if err != nil {
		t.Fatal(err)
	}
	assets, err := web.NewAssets()
	if err != nil {
		t.Fatal(err)
	}
	outbox := mail.NewOutbox(d.Pool)
	workers, err := jobs.New(d.Pool, outbox, nil, jobs.Options{FetchPollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := workers.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	a, err := app.New(app.Deps{Config: cfg, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Pool: d.Pool, Mailer: outbox, Jobs: workers})
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(a, assets)
	ts.Config.Handler = srv.Handler()
	ts.Start()
	t.Cleanup(func() {
		ts.Close()
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := workers.Stop(ctx); err != nil {
			t.Errorf("stop jobs: %v", err)
		}
	})
	return &site{URL: base, DB: d, Srv: srv, Mail: outbox, Jobs: workers}
}

// waitMail waits until the job queue has delivered every queued mail into
// the outbox.
func (a *site) waitMail(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := a.Jobs.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
}

// browser starts headless Chromium for one test.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

func chromiumPath(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no chromium on PATH: install it (apt-get install chromium); .ci/run does")
	return ""
}

// screenshot saves a full-page PNG when SCREENSHOT_DIR is set, so pages
// can be looked at after a run.
func screenshot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("SCREENSHOT_DIR")
	if dir == "" {
		return
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	buf, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644); err != nil {
		t.Errorf("screenshot %s: %v", name, err)
	}
}

// step runs one part of a flow with its own time limit; when it fails the
// page is saved (with SCREENSHOT_DIR) and the test stops.
func step(t *testing.T, ctx context.Context, name string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		screenshot(t, ctx, "failed-"+strings.ReplaceAll(name, " ", "-"))
		ictx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		loc, _ := chromedp.Run(ictx, chromedp.Location())
		text, _ := chromedp.Run(ictx, chromedp.Text(chromedp.CSS("body")))
		t.Fatalf("%s: %v\nat %s:\n%s", name, err, loc, text)
	}
}

// textOf returns the visible text of the page's main element.
func textOf(t *testing.T, ctx context.Context) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustContain(t *testing.T, ctx context.Context, what ...string) {
	t.Helper()
	text := textOf(t, ctx)
	for _, w := range what {
		if !strings.Contains(text, w) {
			t.Fatalf("page lacks %q:\n%s", w, text)
		}
	}
}
