package server

import (
	"context"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"alumnet/internal/audit"
	"alumnet/internal/jobs"
	"alumnet/internal/mail"
)

// startTestJobs runs the real job workers on the test's database, sending
// through sender, until the test ends.
func startTestJobs(t testing.TB, pool *pgxpool.Pool, sender mail.Sender) *jobs.Jobs {
	t.Helper()
	j, err := jobs.New(pool, sender, slog.New(slog.NewTextHandler(io.Discard, nil)),
		jobs.Options{MailWorkers: 2, FetchPollInterval: 50 * time.Millisecond, RetryDelay: func(int) time.Duration { return 0 }})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := j.Stop(ctx); err != nil {
			t.Errorf("stop jobs: %v", err)
		}
	})
	return j
}

// drainMail waits until the job queue has sent every queued mail.
func (a *testApp) drainMail() {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := a.srv.jobs.WaitIdle(ctx); err != nil {
		a.t.Fatal(err)
	}
}

func TestDeliveryLogPages(t *testing.T) {
	a := newTestApp(t)
	admin := a.createUser("admin")
	staff := a.createUser("staff")
	coord := a.createUser("coordinator")
	rec := a.do("POST", "/app/admin/users", url.Values{"email": {"lotte@example.nl"}, "name": {"Lotte <i>"}, "role": {"staff"}, "language": {"en"}}, &admin, nil)
	if rec.Code != 303 {
		t.Fatalf("invite: %d %s", rec.Code, trimBody(rec.Body.String()))
	}
	a.drainMail()
	d, _, err := a.srv.mail.List(context.Background(), "", 0, 10)
	if err != nil || len(d) != 1 {
		t.Fatalf("deliveries %+v %v", d, err)
	}
	id := d[0].ID
	if d[0].Status != mail.StatusSent || d[0].To != "lotte@example.nl" || d[0].Lang != "en" || !strings.HasPrefix(d[0].Key, "invite:user:") {
		t.Errorf("delivery %+v", d[0])
	}
	path := "/app/admin/deliveries/" + pid(id)

	var cases []handlerCase
	for _, p := range []string{"/app/admin/deliveries", path} {
		cases = append(cases,
			handlerCase{name: "anonymous " + p, path: p, wantCode: 303, wantLocation: "/login"},
			handlerCase{name: "staff " + p, as: &staff, path: p, wantCode: 403, notBody: []string{"lotte@example.nl"}},
			handlerCase{name: "coordinator " + p, as: &coord, path: p, wantCode: 403, notBody: []string{"lotte@example.nl"}},
		)
	}
	cases = append(cases,
		handlerCase{name: "staff retry", as: &staff, method: "POST", path: path + "/retry", wantCode: 403},
		handlerCase{name: "cross-site retry", as: &admin, method: "POST", path: path + "/retry", headers: crossSite, wantCode: 403},
		handlerCase{name: "outbox links to the log", as: &admin, path: "/app/admin/outbox", wantCode: 200,
			wantBody: []string{`href="/app/admin/deliveries"`, "Verzendlog"}},
		handlerCase{name: "list", as: &admin, path: "/app/admin/deliveries", wantCode: 200,
			wantBody: []string{"Verzendlog", "lotte@example.nl", "Your invitation to Alumnet", `href="` + path + `"`, "Verstuurd", `href="/app/admin/outbox"`}},
		handlerCase{name: "list in English", as: &admin, path: "/app/admin/deliveries", headers: map[string]string{"Accept-Language": "en"}, wantCode: 200},
		handlerCase{name: "filter failed", as: &admin, path: "/app/admin/deliveries?status=failed", wantCode: 200,
			wantBody: []string{"Geen mail met deze status."}, notBody: []string{"lotte@example.nl"}},
		handlerCase{name: "unknown filter shows all", as: &admin, path: "/app/admin/deliveries?status=nonsense", wantCode: 200, wantBody: []string{"lotte@example.nl"}},
		handlerCase{name: "detail with log, without the link", as: &admin, path: path, wantCode: 200,
			wantBody: []string{"Your invitation to Alumnet", "lotte@example.nl", "English", "In de wachtrij", "Verstuurd", "dev outbox", "invite:user:"},
			notBody:  []string{"set-password", "Nu opnieuw proberen"}},
		handlerCase{name: "unknown delivery", as: &admin, path: "/app/admin/deliveries/999999", wantCode: 404},
		handlerCase{name: "retry of a sent mail", as: &admin, method: "POST", path: path + "/retry", wantCode: 303, wantLocation: path},
		handlerCase{name: "says so", as: &admin, path: path, wantCode: 200, wantBody: []string{"Deze mail kan niet meer opnieuw worden geprobeerd."}},
	)
	a.run(t, cases)
	if n := len(a.sentMails()); n != 1 {
		t.Fatalf("%d mails after refused retries, want 1", n)
	}

	// A delivery that failed (as after a mail server outage) can be tried
	// again at once; the worker sends it and logs it.
	if _, err := a.pool.Exec(context.Background(), `UPDATE mail_deliveries
		SET status = 'failed', sent_at = NULL, last_error = 'dial tcp: connection refused', attempts = 1,
		    text_body = 'Hello again', html_body = '' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	a.waitJobFinished(id)
	a.run(t, []handlerCase{
		{name: "failed in the list", as: &admin, path: "/app/admin/deliveries?status=failed", wantCode: 200,
			wantBody: []string{"lotte@example.nl", "Mislukt", "dial tcp: connection refused"}},
		{name: "failed detail offers retry", as: &admin, path: path, wantCode: 200, wantBody: []string{"Nu opnieuw proberen", "dial tcp: connection refused"}},
		{name: "retry", as: &admin, method: "POST", path: path + "/retry", wantCode: 303, wantLocation: path},
	})
	mails := a.sentMails()
	if len(mails) != 2 || mails[0].To != "lotte@example.nl" || !strings.Contains(mails[0].Text, "Hello again") {
		t.Fatalf("after retry: %d mails: %+v", len(mails), mails)
	}
	got, err := a.srv.mail.Message(context.Background(), id)
	if err != nil || got.Status != mail.StatusSent {
		t.Errorf("after retry: %+v %v", got.Delivery, err)
	}
	entries, _, err := a.srv.audit.List(context.Background(), audit.Filter{Action: "mail.retry"})
	if err != nil || len(entries) != 1 || *entries[0].ActorID != admin.ID {
		t.Errorf("audit: %+v %v", entries, err)
	}
}

// waitJobFinished waits until River has finished the job of delivery id.
func (a *testApp) waitJobFinished(id int64) {
	a.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		var finished bool
		err := a.pool.QueryRow(context.Background(), `SELECT j.finalized_at IS NOT NULL
			FROM mail_deliveries d JOIN river_job j ON j.id = d.job_id WHERE d.id = $1`, id).Scan(&finished)
		if err != nil {
			a.t.Fatal(err)
		}
		if finished {
			return
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("job of delivery %d not finished", id)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
