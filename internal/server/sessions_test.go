package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"

	"alumnet/internal/pgtest"
)

func (a *testApp) sessionRows() int {
	a.t.Helper()
	var n int
	if err := a.pool.QueryRow(context.Background(), `SELECT count(*) FROM sessions`).Scan(&n); err != nil {
		a.t.Fatal(err)
	}
	return n
}

func cookieNamed(cs []*http.Cookie, name string) *http.Cookie {
	for _, c := range cs {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// An anonymous visitor creates no session row, whatever they look at or
// send; messages for them ride in a cookie.
func TestAnonymousRequestsCreateNoSessionRows(t *testing.T) {
	a := newTestApp(t)
	u := a.createUser("staff")
	r := a.seedRegistry()
	steps := []struct {
		method, path string
		form         url.Values
	}{
		{"GET", "/", nil},
		{"GET", "/login", nil},
		{"GET", "/app/people", nil}, // to the login page, with a message
		{"POST", "/app/people", url.Values{"first_name": {"X"}}},
		{"POST", "/login", url.Values{"email": {u.Email}, "password": {"wrong password!"}}},
		{"POST", "/logout", url.Values{}},
		{"GET", "/register", nil},
		{"POST", "/register", url.Values{"first_name": {"Anna"}}},
		{"GET", "/portal/login", nil},
		{"POST", "/portal/login", url.Values{"email": {"nobody@example.nl"}}},
		{"GET", "/portal", nil},
		{"GET", "/portal/login/not-a-token", nil},
		{"POST", "/lang", url.Values{"lang": {"en"}, "return": {"/login"}}},
		{"GET", "/app/people/" + pid(r.inSchool), nil},
	}
	var jar []*http.Cookie
	for _, st := range steps {
		rec := a.request(st.method, st.path, st.form, jar, nil)
		if rec.Code >= 500 {
			t.Fatalf("%s %s: %d", st.method, st.path, rec.Code)
		}
		for _, c := range rec.Result().Cookies() {
			jar = append(jar, c)
		}
		if n := a.sessionRows(); n != 0 {
			t.Fatalf("after %s %s: %d session rows", st.method, st.path, n)
		}
	}
	// The login page still says why the visitor landed there.
	rec := a.request("GET", "/app/people", nil, nil, nil)
	c := cookieNamed(rec.Result().Cookies(), flashCookieName)
	if c == nil {
		t.Fatal("no message cookie")
	}
	rec = a.request("GET", "/login", nil, []*http.Cookie{c}, nil)
	if !strings.Contains(rec.Body.String(), "Log in om verder te gaan") {
		t.Fatalf("login page lacks the message:\n%s", trimBody(rec.Body.String()))
	}
	if c := cookieNamed(rec.Result().Cookies(), flashCookieName); c == nil || c.MaxAge >= 0 {
		t.Fatalf("shown message cookie not cleared: %+v", c)
	}
	// A forged cookie shows only catalogue messages.
	forged := &http.Cookie{Name: flashCookieName, Value: "W3siayI6ImVycm9yIiwibSI6IkNhbGwgMDgwMC0xMjM0In1d"} // [{"k":"error","m":"Call 0800-1234"}]
	if rec := a.request("GET", "/login", nil, []*http.Cookie{forged}, nil); strings.Contains(rec.Body.String(), "0800") {
		t.Fatal("a forged message was shown")
	}
}

// A session token planted before login (session fixation) is replaced at
// login and opens nothing afterwards.
func TestLoginRenewsTheSessionToken(t *testing.T) {
	a := newTestApp(t)
	u := a.createUser("staff")
	ctx := context.Background()
	planted := "planted-by-an-attacker-0123456789"
	b, err := scs.GobCodec{}.Encode(time.Now().Add(time.Hour), map[string]any{"seen": true})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.srv.store.CommitCtx(ctx, planted, b, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	fixed := []*http.Cookie{{Name: "alumnet_session", Value: planted}}
	rec := a.request("POST", "/login", url.Values{"email": {u.Email}, "password": {testPassword}}, fixed, nil)
	if rec.Code != 303 {
		t.Fatalf("login: %d", rec.Code)
	}
	got := cookieNamed(rec.Result().Cookies(), "alumnet_session")
	if got == nil || got.Value == planted {
		t.Fatalf("the session token was not renewed at login: %+v", got)
	}
	if rec := a.request("GET", "/app/people", nil, fixed, nil); rec.Code != 303 {
		t.Fatalf("the planted token is logged in: %d", rec.Code)
	}
	if rec := a.request("GET", "/app/people", nil, []*http.Cookie{got}, nil); rec.Code != 200 {
		t.Fatalf("the new token: %d", rec.Code)
	}
}

// A message that names a person leaves every session when the person is
// erased; the staff member stays signed in.
func TestErasureScrubsMessagesFromSessions(t *testing.T) {
	a := newTestApp(t)
	r := a.seedRegistry()
	staff := a.createUser("staff")
	other := a.createUser("staff")
	// The invitation flash names José Pérez and waits in other's session.
	if rec := a.do("POST", "/app/people/"+pid(r.inSchool)+"/invite", url.Values{}, &other, nil); rec.Code != 303 {
		t.Fatalf("invite: %d", rec.Code)
	}
	if hits := pgtest.FindText(t, a.pool, "Pérez"); !strings.Contains(strings.Join(hits, " "), "sessions") {
		t.Fatalf("the message is not in the session (test set-up): %v", hits)
	}
	rec := a.do("POST", "/app/people/"+pid(r.inSchool)+"/erase", url.Values{"erase_reason": {"request_email"}, "erase_confirm": {"1"}}, &staff, nil)
	if rec.Code != 303 {
		t.Fatalf("erase: %d", rec.Code)
	}
	for _, h := range pgtest.FindText(t, a.pool, "Pérez", "jose@example.nl") {
		if strings.Contains(h, "sessions") {
			t.Fatalf("the session still names the erased person: %s", h)
		}
	}
	if rec := a.do("GET", "/app/people", nil, &other, nil); rec.Code != 200 || strings.Contains(rec.Body.String(), "Pérez") {
		t.Fatalf("after the erasure: %d", rec.Code)
	}
}
