package server

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

// fuzzStatuses are the answers a public form may give to anything a
// visitor sends: a page, a redirect, a refusal with a message.
var fuzzStatuses = map[int]bool{200: true, 303: true, 400: true, 401: true, 404: true, 413: true, 422: true, 429: true}

// postForm sends a raw form body from a client address of its own (so the
// rate limits do not end the exploration) and returns the answer.
func postForm(h http.Handler, path, body string, n int64) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", "http://alumnet.test"+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = fmt.Sprintf("10.%d.%d.%d:4711", n>>16&255, n>>8&255, n&255)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// FuzzLoginForm: whatever arrives at the staff login, the answer is a
// page with a message, never a 500, and it logs nobody in without the
// password.
//
//	go run ./cmd/pgtestenv -- go test -run '^$' -fuzz FuzzLoginForm -fuzztime 2m ./internal/server
func FuzzLoginForm(f *testing.F) {
	a := newTestApp(f)
	u := a.createUser("staff")
	for _, seed := range [][2]string{
		{u.Email, "wrong password!"}, {"", ""}, {"a@b", "x"}, {u.Email + "\x00", "p"}, {"\xff\xfe", "\xff"},
		{strings.ToUpper(u.Email), testPassword + " "}, {"' OR 1=1 --", "x"}, {u.Email, strings.Repeat("é", 300)},
	} {
		f.Add(seed[0], seed[1], "/app")
	}
	var n atomic.Int64
	f.Fuzz(func(t *testing.T, email, password, next string) {
		body := url.Values{"email": {email}, "password": {password}, "next": {next}}.Encode()
		rec := postForm(a.handler, "/login", body, n.Add(1))
		if !fuzzStatuses[rec.Code] {
			t.Fatalf("login with %q/%q: status %d", email, password, rec.Code)
		}
		if rec.Code == 303 && password != testPassword {
			t.Fatalf("logged in with %q/%q", email, password)
		}
		if loc := rec.Header().Get("Location"); rec.Code == 303 && !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") {
			t.Fatalf("login sends to %q", loc)
		}
	})
}

// FuzzRegisterForm: whatever arrives at the public registration, the
// answer is a page with a message, never a 500.
//
//	go run ./cmd/pgtestenv -- go test -run '^$' -fuzz FuzzRegisterForm -fuzztime 2m ./internal/server
func FuzzRegisterForm(f *testing.F) {
	a := newTestApp(f)
	r := a.seedRegistry()
	news := a.purpose("newsletter")
	good := url.Values{"first_name": {"Femke"}, "last_name": {"Bakker"}, "email": {"femke@example.nl"}, "language": {"nl"},
		"kind": {"study"}, "unit_id": {pid(r.programme.ID)}, "from_year": {"2015"}, "to_year": {"2019"},
		"consent": {pid(news.ID)}, "text_" + pid(news.ID): {pid(news.TextID)}}
	f.Add(good.Encode())
	f.Add("")
	f.Add("first_name=%00&email=x%40y.z")
	f.Add("consent=999999&consent=-1&text_1=abc&unit_id=9223372036854775807&to_year=99999999999")
	f.Add("email=" + strings.Repeat("a", 300) + "%40example.nl&first_name=" + strings.Repeat("%C3%A9", 200))
	f.Add("%zz=1&first_name=%ff")
	var n atomic.Int64
	f.Fuzz(func(t *testing.T, body string) {
		rec := postForm(a.handler, "/register", body, n.Add(1))
		if !fuzzStatuses[rec.Code] {
			t.Fatalf("register with %q: status %d", body, rec.Code)
		}
	})
}
