package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"alumnet/internal/app"
	"alumnet/internal/auth"
	"alumnet/internal/config"
	"alumnet/internal/mail"
	"alumnet/internal/pgtest"
	"alumnet/web"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

// testPassword is the password of every user made by createUser.
const testPassword = "correct horse battery staple"

var (
	testHashOnce sync.Once
	testHash     string
)

// testApp is the real router on a fresh database.
type testApp struct {
	t       testing.TB
	srv     *Server
	handler http.Handler
	pool    *pgxpool.Pool
	outbox  *mail.Outbox
	cookies map[int64][]*http.Cookie
}

// sentMails returns every mail in the outbox, newest first. Tests send
// through the real job queue into the real dev outbox (mail.Outbox) on the
// test's database; it waits until the queue has no mail left to send.
func (a *testApp) sentMails() []mail.Stored {
	a.t.Helper()
	a.drainMail()
	ctx := context.Background()
	list, _, err := a.outbox.List(ctx, 0, 500)
	if err != nil {
		a.t.Fatal(err)
	}
	out := make([]mail.Stored, len(list))
	for i, m := range list {
		if out[i], err = a.outbox.ByID(ctx, m.ID); err != nil {
			a.t.Fatal(err)
		}
	}
	return out
}

func newTestApp(t testing.TB) *testApp {
	t.Helper()
	d := pgtest.New(t)
	cfg, err := config.Load(func(k string) string {
		return map[string]string{"BASE_URL": "http://alumnet.test", "ALUMNET_WORK_DOMAINS": "zorggroep.example"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	assets, err := web.NewAssets()
	if err != nil {
		t.Fatal(err)
	}
	outbox := mail.NewOutbox(d.Pool)
	a, err := app.New(app.Deps{Config: cfg, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Pool: d.Pool,
		Mailer: outbox, Jobs: startTestJobs(t, d.Pool, outbox)})
	if err != nil {
		t.Fatal(err)
	}
	srv := New(a, assets)
	t.Cleanup(srv.Close)
	return &testApp{t: t, srv: srv, handler: srv.Handler(), pool: d.Pool, outbox: outbox, cookies: map[int64][]*http.Cookie{}}
}

// createUser makes an active user with testPassword.
func (a *testApp) createUser(role string, unitIDs ...int64) auth.User {
	a.t.Helper()
	testHashOnce.Do(func() {
		var err error
		if testHash, err = auth.HashPassword(testPassword); err != nil {
			panic(err)
		}
	})
	n := len(a.cookies) + 1
	for {
		email := role + itoa(n) + "@example.nl"
		u, err := a.srv.users.CreateUser(context.Background(), auth.NewUser{Email: email, Name: strings.ToUpper(role[:1]) + role[1:] + " " + itoa(n),
			Role: role, UnitIDs: unitIDs, PasswordHash: &testHash})
		if err == auth.ErrEmailTaken {
			n++
			continue
		}
		if err != nil {
			a.t.Fatal(err)
		}
		return u
	}
}

// grantHR gives u the HR permission, as an administrator does on the user
// form.
func (a *testApp) grantHR(u *auth.User) {
	a.t.Helper()
	ctx := context.Background()
	if err := a.srv.users.Update(ctx, auth.User{}, *u, auth.Change{Email: u.Email, Name: u.Name, Role: u.Role, UnitIDs: u.UnitIDs, HR: true}); err != nil {
		a.t.Fatal(err)
	}
	got, err := a.srv.users.UserByID(ctx, u.ID)
	if err != nil {
		a.t.Fatal(err)
	}
	*u = got
}

// login logs u in through the real form and keeps the session cookie.
func (a *testApp) login(u auth.User) []*http.Cookie {
	a.t.Helper()
	if c, ok := a.cookies[u.ID]; ok {
		return c
	}
	rec := a.request(http.MethodPost, "/login", url.Values{"email": {u.Email}, "password": {testPassword}}, nil, nil)
	if rec.Code != http.StatusSeeOther {
		a.t.Fatalf("login %s: status %d: %s", u.Email, rec.Code, rec.Body.String())
	}
	cookies := rec.Result().Cookies()
	a.cookies[u.ID] = cookies
	return cookies
}

// do sends a request as u (nil: anonymous) with optional form and headers.
func (a *testApp) do(method, path string, form url.Values, as *auth.User, headers map[string]string) *httptest.ResponseRecorder {
	a.t.Helper()
	var cookies []*http.Cookie
	if as != nil {
		cookies = a.login(*as)
	}
	return a.request(method, path, form, cookies, headers)
}

func (a *testApp) request(method, path string, form url.Values, cookies []*http.Cookie, headers map[string]string) *httptest.ResponseRecorder {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, "http://alumnet.test"+path, body)
	req.RemoteAddr = "192.0.2.10:4711"
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	a.handler.ServeHTTP(rec, req)
	return rec
}

// handlerCase is one row of a table-driven handler test.
type handlerCase struct {
	name         string
	as           *auth.User
	method       string
	path         string
	form         url.Values
	headers      map[string]string
	wantCode     int
	wantBody     []string // substrings the body must contain
	notBody      []string // substrings it must not contain
	wantLocation string   // prefix of the Location header
}

func (a *testApp) run(t *testing.T, cases []handlerCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = http.MethodGet
			}
			rec := a.do(method, tc.path, tc.form, tc.as, tc.headers)
			if rec.Code != tc.wantCode {
				t.Fatalf("%s %s: status %d, want %d\n%s", method, tc.path, rec.Code, tc.wantCode, trimBody(rec.Body.String()))
			}
			body := rec.Body.String()
			for _, s := range tc.wantBody {
				if !strings.Contains(body, s) {
					t.Errorf("body lacks %q\n%s", s, trimBody(body))
				}
			}
			for _, s := range tc.notBody {
				if strings.Contains(body, s) {
					t.Errorf("body contains %q", s)
				}
			}
			if tc.wantLocation != "" && !strings.HasPrefix(rec.Header().Get("Location"), tc.wantLocation) {
				t.Errorf("Location = %q, want prefix %q", rec.Header().Get("Location"), tc.wantLocation)
			}
		})
	}
}

func trimBody(s string) string {
	if i := strings.Index(s, `<main id="main">`); i >= 0 {
		s = s[i:]
	}
	if len(s) > 3000 {
		s = s[:3000] + "…"
	}
	return s
}

// sessionActions are the audit entries of logging in and out, which tests
// about other changes leave out.
var sessionActions = []string{"user.login", "user.logout"}

// crossSite marks a request as coming from another site.
var crossSite = map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}
