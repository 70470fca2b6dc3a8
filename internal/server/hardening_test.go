package server

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"alumnet/internal/config"
)

// TestBadInputIsRefusedClearly: bodies beyond a route's limit, NUL bytes,
// invalid UTF-8 and broken encodings get a readable 4xx page, never a 500.
func TestBadInputIsRefusedClearly(t *testing.T) {
	a := newTestApp(t)
	u := a.createUser("staff")
	a.seedRegistry()
	big := url.Values{"first_name": {strings.Repeat("x", formBody)}, "last_name": {"Y"}, "language": {"nl"}}
	a.run(t, []handlerCase{
		{name: "a form beyond 64 kB", as: &u, method: "POST", path: "/app/people", form: big, wantCode: 413, wantBody: []string{"te groot"}},
		{name: "a login form beyond 64 kB", method: "POST", path: "/login", form: url.Values{"email": {"a@b.nl"}, "password": {strings.Repeat("p", formBody)}},
			wantCode: 413},
		{name: "NUL in a form", as: &u, method: "POST", path: "/app/people", form: url.Values{"first_name": {"Jan\x00"}, "last_name": {"Y"}, "language": {"nl"}},
			wantCode: 400, wantBody: []string{"Dit verzoek klopt niet"}},
		{name: "invalid UTF-8 in a form", method: "POST", path: "/register", form: url.Values{"first_name": {"\xff\xfe"}}, wantCode: 400},
		{name: "NUL in a query", as: &u, path: "/app/people?q=a%00b", wantCode: 400},
		{name: "invalid UTF-8 in a query", as: &u, path: "/app/admin/audit?action=%ff", wantCode: 400},
		{name: "broken escape in a query", as: &u, path: "/app/offboarding?month=%zz", wantCode: 400},
		{name: "NUL in a path", path: "/portal/login/abc%00def", wantCode: 400},
		{name: "an overlong query", as: &u, path: "/app/people?q=" + strings.Repeat("a", maxQuery), wantCode: 400},
	})
	// A body that announces more than any route takes is refused before
	// it is read.
	req := httptest.NewRequest("POST", "http://alumnet.test/register", strings.NewReader("x=1"))
	req.ContentLength = maxBody + 1
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	a.handler.ServeHTTP(rec, req)
	if rec.Code != 413 {
		t.Fatalf("announced oversize body: %d", rec.Code)
	}
}

// TestInvisibleCharactersAreRefused: a name with a control character or
// a mark that turns the writing direction around (so that it shows as
// another name in a list or a spreadsheet) is refused next to the field,
// on the staff forms and on the public registration, with what was typed
// kept; a note of several lines keeps its line breaks.
func TestInvisibleCharactersAreRefused(t *testing.T) {
	a := newTestApp(t)
	staff := a.createUser("staff")
	admin := a.createUser("admin")
	r := a.seedRegistry()
	const msg = "onzichtbare tekens"
	spoof := "Jan\u202Enesnaj" // shows as "Jan jansen" reversed
	a.run(t, []handlerCase{
		{name: "person, direction override", as: &staff, method: "POST", path: "/app/people",
			form: url.Values{"first_name": {spoof}, "last_name": {"Jansen"}, "language": {"nl"}}, wantCode: 422, wantBody: []string{msg, "Jansen"}},
		{name: "person, a tab in the city", as: &staff, method: "POST", path: "/app/people",
			form: url.Values{"first_name": {"Jan"}, "last_name": {"Jansen"}, "city": {"Utrecht\t=1"}, "language": {"nl"}}, wantCode: 422, wantBody: []string{msg}},
		{name: "registration, an isolate", method: "POST", path: "/register",
			form: url.Values{"first_name": {"Anna"}, "last_name": {"de\u2066Vries"}, "email": {"anna@example.nl"}, "language": {"nl"},
				"kind": {"study"}, "unit_id": {pid(r.programme.ID)}, "to_year": {"2020"}}, wantCode: 422, wantBody: []string{msg}},
		{name: "staff user, a line break", as: &admin, method: "POST", path: "/app/admin/users",
			form: url.Values{"email": {"nieuw@example.nl"}, "name": {"Nieuwe\nGebruiker"}, "role": {"staff"}, "language": {"nl"}}, wantCode: 422,
			wantBody: []string{msg}},
		{name: "a plain name passes", as: &staff, method: "POST", path: "/app/people",
			form: url.Values{"first_name": {"Zoë"}, "last_name": {"Öztürk-de Wit"}, "language": {"nl"}}, wantCode: 303},
	})
}

// TestResponseHeaders: one Cache-Control per response (also where both
// session managers set a cookie), HSTS over https, no directory listing
// under /static/.
func TestResponseHeaders(t *testing.T) {
	a := newTestApp(t)
	r := a.seedRegistry()
	_, c := a.registerAlumnus("hanna@example.nl", "Hanna", r.programme.ID)
	u := a.createUser("staff")
	for _, tc := range []struct {
		name, method, path string
		form               url.Values
		cookies            []*http.Cookie
	}{
		{"login", "POST", "/login", url.Values{"email": {u.Email}, "password": {testPassword}}, nil},
		{"portal page", "GET", "/portal", nil, c},
		{"portal logout", "POST", "/portal/logout", url.Values{}, c},
		{"public page", "GET", "/register", nil, nil},
		{"error page", "GET", "/nothing", nil, nil},
	} {
		rec := a.request(tc.method, tc.path, tc.form, tc.cookies, nil)
		if got := rec.Result().Header.Values("Cache-Control"); len(got) != 1 || got[0] != "no-store" {
			t.Errorf("%s: Cache-Control %q, want one no-store", tc.name, got)
		}
		if rec.Header().Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS over http", tc.name)
		}
	}
	for _, path := range []string{"/static/", "/static", "/static/.", "/static/../static/"} {
		if rec := a.request("GET", path, nil, nil, nil); rec.Code != 404 || strings.Contains(rec.Body.String(), `href="app.css"`) {
			t.Errorf("GET %s: %d, lists files", path, rec.Code)
		}
	}
	if rec := a.request("GET", a.srv.assets.URL("app.css"), nil, nil, nil); rec.Code != 200 || len(rec.Result().Header.Values("Cache-Control")) != 1 {
		t.Errorf("a static file: %d %q", rec.Code, rec.Result().Header.Values("Cache-Control"))
	}

	// Over https, every response tells the browser to stay on https.
	cfg, err := config.Load(func(k string) string { return map[string]string{"BASE_URL": "https://alumni.example.nl"}[k] })
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{cfg: cfg, log: slog.New(slog.DiscardHandler)}
	h := s.securityHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/login", nil))
	if got := rec.Header().Get("Strict-Transport-Security"); !strings.Contains(got, "max-age=31536000") {
		t.Fatalf("HSTS over https: %q", got)
	}
}

// TestRequestLogHasNoTokensOrSearches: the request log names the route
// pattern, never the path with its one-time token or the query with a
// search term.
func TestRequestLogHasNoTokensOrSearches(t *testing.T) {
	a := newTestApp(t)
	var buf bytes.Buffer
	a.srv.log = slog.New(slog.NewTextHandler(io.MultiWriter(&buf), &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := a.srv.Handler()
	u := a.createUser("staff")
	cookies := a.login(u)
	for _, path := range []string{"/portal/login/SECRETTOKEN123", "/set-password/SECRETTOKEN456", "/u/SECRETTOKEN789", "/app/people?q=Geheimnaam"} {
		req := httptest.NewRequest("GET", "http://alumnet.test"+path, nil)
		for _, c := range cookies {
			req.AddCookie(c)
		}
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	log := buf.String()
	for _, secret := range []string{"SECRETTOKEN", "Geheimnaam"} {
		if strings.Contains(log, secret) {
			t.Fatalf("the log holds %q:\n%s", secret, log)
		}
	}
	for _, route := range []string{"route=/portal/login/{token}", "route=/set-password/{token}", "route=/app/people"} {
		if !strings.Contains(log, route) {
			t.Fatalf("the log lacks %s:\n%s", route, log)
		}
	}
}
