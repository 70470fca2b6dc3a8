package server

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// slowRequest starts a request with cookies whose body is still arriving;
// finish sends the rest and waits for the answer.
func (a *testApp) slowRequest(path, body string, cookies []*http.Cookie) (finish func()) {
	pr, pw := io.Pipe()
	req := httptest.NewRequest("POST", "http://alumnet.test"+path, pr)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = "198.51.100.7:1234"
	for _, c := range cookies {
		req.AddCookie(c)
	}
	done := make(chan struct{})
	go func() {
		a.handler.ServeHTTP(httptest.NewRecorder(), req)
		close(done)
	}()
	_, _ = pw.Write([]byte(body))
	time.Sleep(200 * time.Millisecond) // the session is loaded by now
	return func() {
		pw.Close()
		<-done
	}
}

// TestEndedSessionsStayEnded: a request still running when its session was
// ended (a password change, "this was not me", a deactivation) cannot
// write the session back to life when it finishes.
func TestEndedSessionsStayEnded(t *testing.T) {
	a := newTestApp(t)
	r := a.seedRegistry()
	admin := a.createUser("admin")
	u := a.createUser("staff")
	stolen := a.request("POST", "/login", url.Values{"email": {u.Email}, "password": {testPassword}}, nil, nil).Result().Cookies()
	mine := a.request("POST", "/login", url.Values{"email": {u.Email}, "password": {testPassword}}, nil, nil).Result().Cookies()
	finish := a.slowRequest("/lang", "lang=nl&return=%2Fapp", stolen)
	np := "a brand new passphrase here"
	if rec := a.request("POST", "/app/account/password", url.Values{"current": {testPassword}, "password": {np}, "confirm": {np}}, mine, nil); rec.Code != 303 {
		t.Fatalf("change: %d", rec.Code)
	}
	finish()
	if rec := a.request("GET", "/app/people", nil, stolen, nil); rec.Code != 303 {
		t.Fatalf("a session ended by the password change is back: %d", rec.Code)
	}

	// Deactivated and reactivated: the sessions from before stay ended.
	v := a.createUser("staff")
	old := a.login(v)
	a.do("POST", "/app/admin/users/"+pid(v.ID)+"/deactivate", url.Values{}, &admin, nil)
	a.do("POST", "/app/admin/users/"+pid(v.ID)+"/reactivate", url.Values{}, &admin, nil)
	if rec := a.request("GET", "/app/people", nil, old, nil); rec.Code != 303 {
		t.Fatalf("a session from before a deactivation works again: %d", rec.Code)
	}

	// The portal: a thief's request is running while Bram undoes the change.
	_, c := a.registerAlumnus("bram@example.nl", "Bram", r.programme.ID)
	if rec := a.request("POST", "/portal/email", url.Values{"new_email": {"thief@example.nl"}}, c, nil); rec.Code != 303 {
		t.Fatalf("email change: %d", rec.Code)
	}
	_, confirm := a.mailTo("thief@example.nl")
	thief := a.portalCookie(confirm)
	_, revert := a.mailTo("bram@example.nl")
	finish = a.slowRequest("/portal/permissions/999", "granted=1", thief)
	if rec := a.request("POST", revert, url.Values{}, nil, nil); rec.Code != 200 {
		t.Fatalf("revert: %d", rec.Code)
	}
	finish()
	if rec := a.request("GET", "/portal/profile", nil, thief, nil); rec.Code != 303 {
		t.Fatalf("the thief's portal session is back after 'this was not me': %d", rec.Code)
	}
}

// TestInvitationTellsCoordinatorsNothing: whether the address of a record
// is proved by someone outside the coordinator's units, the invitation
// answers the same.
func TestInvitationTellsCoordinatorsNothing(t *testing.T) {
	a := newTestApp(t)
	r := a.seedRegistry()
	coord := a.createUser("coordinator", r.school.ID)
	// Ömer (the company, outside the coordinator's units) uses the portal.
	if _, err := a.pool.Exec(context.Background(), `UPDATE person_emails SET verified_at = now() WHERE person_id = $1`, r.inCompany); err != nil {
		t.Fatal(err)
	}
	probe := func(email string) string {
		rec := a.do("POST", "/app/people", url.Values{"first_name": {"Probe"}, "last_name": {"Persoon"}, "language": {"nl"},
			"primary_email": {email}, "aff_kind": {"study"}, "aff_unit_id": {pid(r.programme.ID)}}, &coord, nil)
		if rec.Code != 303 {
			t.Fatalf("create %s: %d\n%s", email, rec.Code, trimBody(rec.Body.String()))
		}
		loc := rec.Header().Get("Location")
		a.do("GET", loc, nil, &coord, nil) // the creation's message
		a.do("POST", loc+"/invite", url.Values{}, &coord, nil)
		first := a.do("GET", loc, nil, &coord, nil).Body.String()
		a.do("POST", loc+"/invite", url.Values{}, &coord, nil)
		again := a.do("GET", loc, nil, &coord, nil).Body.String()
		flash := func(page string) string {
			i := strings.Index(page, `<div class="flash`)
			if i < 0 {
				return "none"
			}
			j := strings.Index(page[i:], "</div>")
			return strings.ReplaceAll(page[i:i+j], email, "X")
		}
		return flash(first) + " | " + flash(again)
	}
	elsewhere, unknown := probe("omer@example.nl"), probe("nobody.here@example.nl")
	if elsewhere != unknown {
		t.Fatalf("the answers differ:\n%s\n%s", elsewhere, unknown)
	}
	if n := a.mailCount("omer@example.nl"); n != 0 {
		t.Fatalf("%d invitations went to someone else's proved address", n)
	}
}
