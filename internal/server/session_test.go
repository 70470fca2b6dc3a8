package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"alumnet/internal/config"
)

func TestLoginLogout(t *testing.T) {
	a := newTestApp(t)
	u := a.createUser("staff")
	other := a.createUser("staff")
	if _, err := a.pool.Exec(context.Background(), `UPDATE users SET deactivated_at = now() WHERE id = $1`, other.ID); err != nil {
		t.Fatal(err)
	}
	login := func(email, pw, next string) url.Values {
		return url.Values{"email": {email}, "password": {pw}, "next": {next}}
	}
	failed := "Dit e-mailadres en wachtwoord horen niet bij elkaar"
	a.run(t, []handlerCase{
		{name: "login page", path: "/login", wantCode: 200, wantBody: []string{`name="email"`, `name="password"`, `autocomplete="current-password"`}},
		{name: "empty fields", method: "POST", path: "/login", form: login("", "", ""), wantCode: 422, wantBody: []string{"Vul dit veld in."}},
		{name: "wrong password", method: "POST", path: "/login", form: login(u.Email, "wrong wrong wrong", ""), wantCode: 401,
			wantBody: []string{failed, `value="` + u.Email + `"`}},
		{name: "unknown address answers the same", method: "POST", path: "/login", form: login("nobody@example.nl", "wrong wrong wrong", ""), wantCode: 401, wantBody: []string{failed}},
		{name: "deactivated answers the same", method: "POST", path: "/login", form: login(other.Email, testPassword, ""), wantCode: 401, wantBody: []string{failed}},
		{name: "success follows next", method: "POST", path: "/login", form: login(strings.ToUpper(u.Email), testPassword, "/app/people?q=x"), wantCode: 303, wantLocation: "/app/people?q=x"},
		{name: "next to another site is ignored", method: "POST", path: "/login", form: login(u.Email, testPassword, "//evil.example/x"), wantCode: 303, wantLocation: "/app"},
		{name: "cross-origin login refused", method: "POST", path: "/login", form: login(u.Email, testPassword, ""), headers: crossSite, wantCode: 403},
	})

	// The session works, and stops working after logout.
	rec := a.request("POST", "/login", login(u.Email, testPassword, ""), nil, nil)
	cookies := rec.Result().Cookies()
	if len(cookies) == 0 || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie: %+v", cookies)
	}
	if rec := a.request("GET", "/app/people", nil, cookies, nil); rec.Code != 200 || !strings.Contains(rec.Body.String(), "Welkom, "+u.Name) {
		t.Fatalf("after login: %d", rec.Code)
	}
	if rec := a.request("POST", "/logout", url.Values{}, cookies, nil); rec.Code != 303 || rec.Header().Get("Location") != "/login" {
		t.Fatalf("logout: %d %s", rec.Code, rec.Header().Get("Location"))
	}
	if rec := a.request("GET", "/app/people", nil, cookies, nil); rec.Code != 303 {
		t.Fatalf("old session still works after logout: %d", rec.Code)
	}
	if rec := a.request("GET", "/logout", nil, cookies, nil); rec.Code != 405 {
		t.Fatalf("GET /logout: %d, want 405 (no state change on GET)", rec.Code)
	}
}

func TestLoginThrottle(t *testing.T) {
	a := newTestApp(t)
	u := a.createUser("staff")
	for i := 0; i < 5; i++ {
		rec := a.request("POST", "/login", url.Values{"email": {u.Email}, "password": {"not the password"}}, nil, nil)
		if rec.Code != 401 {
			t.Fatalf("attempt %d: %d", i+1, rec.Code)
		}
	}
	rec := a.request("POST", "/login", url.Values{"email": {u.Email}, "password": {testPassword}}, nil, nil)
	if rec.Code != http.StatusTooManyRequests || !strings.Contains(rec.Body.String(), "Te veel mislukte pogingen") || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("6th attempt: %d %s", rec.Code, trimBody(rec.Body.String()))
	}
}

func TestDeactivatedUserLosesSession(t *testing.T) {
	a := newTestApp(t)
	u := a.createUser("staff")
	if rec := a.do("GET", "/app/people", nil, &u, nil); rec.Code != 200 {
		t.Fatal(rec.Code)
	}
	if _, err := a.pool.Exec(context.Background(), `UPDATE users SET deactivated_at = now() WHERE id = $1`, u.ID); err != nil {
		t.Fatal(err)
	}
	if rec := a.do("GET", "/app/people", nil, &u, nil); rec.Code != 303 {
		t.Fatalf("deactivated user: %d, want redirect to login", rec.Code)
	}
}

func TestHeadersHealthAndLanguage(t *testing.T) {
	a := newTestApp(t)
	rec := a.request("GET", "/login", nil, nil, nil)
	for k, want := range map[string]string{
		"Content-Security-Policy": "frame-ancestors 'none'",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "same-origin",
		"Cache-Control":           "no-store",
	} {
		if got := rec.Header().Get(k); !strings.Contains(got, want) {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if csp := rec.Header().Get("Content-Security-Policy"); strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP allows inline: %s", csp)
	}
	if rec := a.request("GET", "/healthz", nil, nil, nil); rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != "ok" {
		t.Errorf("healthz: %d %q", rec.Code, rec.Body.String())
	}
	// Static files are cached when the URL carries the content hash.
	css := a.srv.assets.URL("app.css")
	if rec := a.request("GET", css, nil, nil, nil); rec.Code != 200 || !strings.Contains(rec.Header().Get("Cache-Control"), "immutable") {
		t.Errorf("static %s: %d %q", css, rec.Code, rec.Header().Get("Cache-Control"))
	}
	// Dutch by default, English from the browser, and the switch wins.
	if rec := a.request("GET", "/login", nil, nil, nil); !strings.Contains(rec.Body.String(), "Wachtwoord") {
		t.Error("default language is not Dutch")
	}
	if rec := a.request("GET", "/login", nil, nil, map[string]string{"Accept-Language": "en-GB,en;q=0.9"}); !strings.Contains(rec.Body.String(), "Password") {
		t.Error("Accept-Language en ignored")
	}
	rec = a.request("POST", "/lang", url.Values{"lang": {"en"}, "return": {"/login"}}, nil, map[string]string{"Accept-Language": "nl"})
	if rec.Code != 303 || rec.Header().Get("Location") != "/login" {
		t.Fatalf("lang switch: %d %s", rec.Code, rec.Header().Get("Location"))
	}
	rec = a.request("GET", "/login", nil, rec.Result().Cookies(), map[string]string{"Accept-Language": "nl"})
	if !strings.Contains(rec.Body.String(), "Password") || !strings.Contains(rec.Body.String(), `lang="en"`) {
		t.Error("language cookie ignored")
	}
	// A signed-in user's choice is stored on the account.
	u := a.createUser("staff")
	if rec := a.do("POST", "/lang", url.Values{"lang": {"en"}, "return": {"https://evil.example"}}, &u, nil); rec.Header().Get("Location") != "/" {
		t.Errorf("lang return to other site: %q", rec.Header().Get("Location"))
	}
	var lang string
	if err := a.pool.QueryRow(context.Background(), `SELECT language FROM users WHERE id = $1`, u.ID).Scan(&lang); err != nil || lang != "en" {
		t.Errorf("stored language %q, %v", lang, err)
	}
	if rec := a.request("POST", "/lang", url.Values{"lang": {"de"}}, nil, nil); rec.Code != 400 {
		t.Errorf("unsupported language: %d", rec.Code)
	}
}

func TestUnknownPathsAndMethods(t *testing.T) {
	a := newTestApp(t)
	u := a.createUser("staff")
	a.run(t, []handlerCase{
		{name: "404 page", as: &u, path: "/app/nothing-here", wantCode: 404, wantBody: []string{"Deze pagina bestaat niet"}},
		{name: "public 404", path: "/nothing", wantCode: 404},
		{name: "home redirects signed-in users", as: &u, path: "/", wantCode: 303, wantLocation: "/app"},
		{name: "public home", path: "/", wantCode: 200, wantBody: []string{"/login"}},
	})
}

func TestClientKey(t *testing.T) {
	cfg, err := config.Load(func(k string) string {
		return map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.1"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{cfg: cfg}
	cases := []struct {
		remote, xff, want string
	}{
		{"198.51.100.7:1234", "", "198.51.100.7"},
		{"198.51.100.7:1234", "203.0.113.9", "198.51.100.7"}, // not from a proxy: the header is ignored
		{"10.1.2.3:1234", "203.0.113.9", "203.0.113.9"},
		{"10.1.2.3:1234", "1.2.3.4, 203.0.113.9, 192.0.2.1", "203.0.113.9"}, // the nearest untrusted hop, not a forged first one
		{"10.1.2.3:1234", "", "10.1.2.3"},
		{"[2001:db8:1:2:3:4:5:6]:1234", "", "2001:db8:1:2::/64"},
		{"10.1.2.3:1234", "2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.remote
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if got := s.clientKey(r); got != c.want {
			t.Errorf("clientKey(%s, %q) = %s, want %s", c.remote, c.xff, got, c.want)
		}
	}
	if _, err := config.Load(func(k string) string { return map[string]string{"TRUSTED_PROXIES": "proxy.local"}[k] }); err == nil {
		t.Error("a host name was accepted as a trusted proxy")
	}
}
