package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"alumnet/internal/auth"
	"alumnet/internal/jobs"
	"alumnet/internal/mail"
	"alumnet/internal/pgtest"
)

// TestWebAndWorkerProcessesActAsOneApp: two web processes (serve
// -no-workers) and a worker process (serve -workers-only) on one database
// behave as one app. A session made on one web process works on the
// other; the login throttle and the portal's per-address limit count
// across both; the web processes work no jobs, the worker works them all,
// each once.
func TestWebAndWorkerProcessesActAsOneApp(t *testing.T) {
	d := pgtest.New(t)
	ctx := context.Background()
	const adminEmail, adminPassword = "admin@example.nl", "a long admin password for the test"
	env := func(addr string) map[string]string {
		// SMTP_URL unset: mail goes to the dev outbox table.
		return map[string]string{"DATABASE_URL": d.URL, "ADDR": addr, "BASE_URL": "http://" + addr,
			"ALUMNET_ADMIN_EMAIL": adminEmail, "ALUMNET_ADMIN_PASSWORD": adminPassword}
	}
	addr1, addr2 := freeAddr(t), freeAddr(t)
	web1 := start(t, "web1", env(addr1), "serve", "-no-workers")
	web2 := start(t, "web2", env(addr2), "serve", "-no-workers")
	waitHealthy(t, web1, "http://"+addr1)
	waitHealthy(t, web2, "http://"+addr2)
	web := []string{"http://" + addr1, "http://" + addr2}

	users := auth.NewStore(d.Pool, auth.Options{})
	if n, err := users.CountUsers(ctx); err != nil || n != 1 {
		t.Fatalf("two processes started together made %d users (%v), want one administrator", n, err)
	}

	client := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(base, path string, form url.Values, cookies ...*http.Cookie) *http.Response {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for _, c := range cookies {
			req.AddCookie(c)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	get := func(base, path string, cookies ...*http.Cookie) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cookies {
			req.AddCookie(c)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}

	// A session made on web1 works on web2.
	resp := post(web[0], "/login", url.Values{"email": {adminEmail}, "password": {adminPassword}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login on web1: status %d", resp.StatusCode)
	}
	session := resp.Cookies()
	if len(session) == 0 {
		t.Fatal("login on web1 set no cookie")
	}
	if resp, _ := get(web[1], "/app/people"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("web2 without the cookie: status %d, want a redirect to the login", resp.StatusCode)
	}
	if resp, body := get(web[1], "/app/people", session...); resp.StatusCode != http.StatusOK || !strings.Contains(body, "Administrator") {
		t.Fatalf("web2 with web1's session cookie: status %d", resp.StatusCode)
	}

	// Five wrong passwords, three on web1 and two on web2, lock the
	// account on both: counted per process, web2 would let the right one in.
	hash, err := auth.HashPassword("the right password here")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := users.CreateUser(ctx, auth.NewUser{Email: "carla@example.nl", Name: "Carla", Role: auth.RoleStaff, PasswordHash: &hash}); err != nil {
		t.Fatal(err)
	}
	for i := range auth.AccountLimit {
		if resp := post(web[i%2], "/login", url.Values{"email": {"carla@example.nl"}, "password": {"wrong"}}); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong password %d on %s: status %d", i+1, web[i%2], resp.StatusCode)
		}
	}
	for _, base := range []string{web[1], web[0]} {
		if resp := post(base, "/login", url.Values{"email": {"carla@example.nl"}, "password": {"the right password here"}}); resp.StatusCode != http.StatusTooManyRequests {
			t.Errorf("right password on %s after %d failures on both: status %d, want 429", base, auth.AccountLimit, resp.StatusCode)
		}
	}

	// The portal's per-address limit on login links (5 an hour) counts
	// requests to both.
	const perAddress = 5
	for i := range perAddress {
		if resp := post(web[i%2], "/portal/login", url.Values{"email": {"someone@example.nl"}}); resp.StatusCode != http.StatusOK {
			t.Fatalf("login link request %d on %s: status %d", i+1, web[i%2], resp.StatusCode)
		}
	}
	for _, base := range []string{web[1], web[0]} {
		if resp := post(base, "/portal/login", url.Values{"email": {"someone@example.nl"}}); resp.StatusCode != http.StatusTooManyRequests {
			t.Errorf("login link request on %s after %d on both: status %d, want 429", base, perAddress, resp.StatusCode)
		}
	}

	// An invitation queued by web1 stays queued while only web processes
	// run: they work no jobs.
	resp = post(web[0], "/app/admin/users", url.Values{"email": {"dirk@example.nl"}, "name": {"Dirk"}, "role": {"staff"}, "language": {"nl"}}, session...)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("invite on web1: status %d", resp.StatusCode)
	}
	outbox := mail.NewOutbox(d.Pool)
	sent := func() []mail.Summary {
		list, _, err := outbox.List(ctx, 0, 50)
		if err != nil {
			t.Fatal(err)
		}
		return list
	}
	countJobs := func(where string) int {
		var n int
		if err := d.Pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE `+where).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if countJobs(`kind = 'mail'`) == 0 {
		t.Fatal("the invitation queued no job")
	}
	time.Sleep(1500 * time.Millisecond)
	if list := sent(); len(list) > 0 {
		t.Fatalf("a web process started with -no-workers sent mail: %v", list)
	}
	if n := countJobs(`attempted_at IS NOT NULL`); n > 0 {
		t.Fatalf("web processes started with -no-workers worked %d jobs", n)
	}

	// The worker process delivers it into the dev outbox.
	worker := start(t, "worker", env(freeAddr(t)), "serve", "-workers-only")
	waitFor(t, 30*time.Second, "the worker delivers the invitation", func() bool {
		for _, m := range sent() {
			if m.To == "dirk@example.nl" {
				return true
			}
		}
		return false
	})

	// A run of a periodic task, inserted as River's scheduler does, is
	// worked once, by the worker.
	inserter, err := jobs.New(d.Pool, outbox, nil, jobs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := inserter.RunPeriodicNow(ctx, "cleanup"); err != nil {
		t.Fatal(err)
	}
	if err := inserter.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the worker runs the periodic task", func() bool {
		return countJobs(`kind = 'periodic' AND state = 'completed'`) == 1
	})
	if n := countJobs(`kind = 'periodic'`); n != 1 {
		t.Errorf("%d periodic jobs, want the one inserted", n)
	}
	if n := countJobs(`state = 'completed' AND attempt <> 1`); n != 0 {
		t.Errorf("%d jobs took more than one attempt", n)
	}
	var workedBy []string
	rows, err := d.Pool.Query(ctx, `SELECT DISTINCT unnest(attempted_by) FROM river_job`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		workedBy = append(workedBy, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(workedBy) != 1 {
		t.Fatalf("jobs were worked by %v, want one process", workedBy)
	}
	var leader string
	waitFor(t, 10*time.Second, "a job queue leader", func() bool {
		return d.Pool.QueryRow(ctx, `SELECT leader_id FROM river_leader`).Scan(&leader) == nil
	})
	if leader != workedBy[0] {
		t.Errorf("jobs were worked by %s, but the only started job client (the worker) is %s", workedBy[0], leader)
	}

	for _, p := range []*proc{web1, web2, worker} {
		p.stop(t)
	}
}
