package server

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"alumnet/internal/audit"
	"alumnet/internal/auth"
)

// auditActions lists the actions of the audit entries about user id
// (entity user), oldest first.
func (a *testApp) auditActions(userID int64) []string {
	a.t.Helper()
	rows, err := a.pool.Query(context.Background(), `SELECT action FROM audit_log WHERE entity = 'user' AND entity_id = $1 ORDER BY id`, userID)
	if err != nil {
		a.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			a.t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func TestLoginLogoutAreAudited(t *testing.T) {
	a := newTestApp(t)
	u := a.createUser("staff")
	a.request("POST", "/login", url.Values{"email": {u.Email}, "password": {"not the password"}}, nil, nil)
	a.request("POST", "/login", url.Values{"email": {"nobody@example.nl"}, "password": {"not the password"}}, nil, nil)
	c := a.login(u)
	a.request("POST", "/logout", url.Values{}, c, nil)
	if got := strings.Join(a.auditActions(u.ID), " "); got != "user.login_failed user.login user.logout" {
		t.Fatalf("audit of the account: %s", got)
	}
	entries, _, err := a.srv.audit.List(context.Background(), audit.Filter{Action: "user.login_failed"})
	if err != nil || len(entries) != 2 {
		t.Fatalf("failed logins: %d %v", len(entries), err)
	}
	reasons := map[string]bool{}
	for _, e := range entries {
		reasons[e.Details["reason"].(string)] = true
		if e.ActorID != nil {
			t.Errorf("a failed login has an actor: %d", *e.ActorID)
		}
	}
	if !reasons["password"] || !reasons["unknown"] {
		t.Fatalf("reasons: %v", reasons)
	}
}

func TestForgotPassword(t *testing.T) {
	a := newTestApp(t)
	u := a.createUser("staff")
	gone := a.createUser("staff")
	if _, err := a.srv.users.SetActive(context.Background(), a.createUser("admin"), gone, false); err != nil {
		t.Fatal(err)
	}
	a.run(t, []handlerCase{
		{name: "login page links to it", path: "/login", wantCode: 200, wantBody: []string{`href="/forgot-password"`, "Wachtwoord vergeten?"}},
		{name: "form", path: "/forgot-password", wantCode: 200, wantBody: []string{`name="email"`}},
		{name: "empty", method: "POST", path: "/forgot-password", form: url.Values{"email": {""}}, wantCode: 422, wantBody: []string{"Vul dit veld in."}},
		{name: "not an address, kept", method: "POST", path: "/forgot-password", form: url.Values{"email": {"anna@"}}, wantCode: 422,
			wantBody: []string{"Vul een geldig e-mailadres in", `value="anna@"`}},
		{name: "cross-site", method: "POST", path: "/forgot-password", form: url.Values{"email": {u.Email}}, headers: crossSite, wantCode: 403},
	})
	// The same answer for a known, an unknown and a deactivated address.
	answer := func(email string) string {
		rec := a.request("POST", "/forgot-password", url.Values{"email": {email}}, nil, nil)
		if rec.Code != 200 {
			t.Fatalf("forgot %s: %d", email, rec.Code)
		}
		return strings.ReplaceAll(trimBody(rec.Body.String()), email, "ADDRESS")
	}
	known, unknown, deactivated := answer(u.Email), answer("nobody@example.nl"), answer(gone.Email)
	if known != unknown || known != deactivated || !strings.Contains(known, "onderweg") {
		t.Fatalf("answers differ:\n%s\n---\n%s", known, unknown)
	}
	if n := a.mailCount("nobody@example.nl") + a.mailCount(gone.Email); n != 0 {
		t.Fatalf("%d mails to addresses without an active account", n)
	}
	m, link := a.inviteLink(u.Email)
	if !strings.Contains(m.Text, "Gevraagd op ") || !strings.Contains(m.Text, "192.0.2.x") || m.Headers["X-Auto-Response-Suppress"] != "All" ||
		m.Headers["Auto-Submitted"] != "auto-generated" {
		t.Fatalf("reset mail:\n%s\n%v", m.Text, m.Headers)
	}
	// Someone is logged in with the old password elsewhere.
	elsewhere := a.login(u)
	a.run(t, []handlerCase{
		{name: "reset page", path: link, wantCode: 200, wantBody: []string{"Nieuw wachtwoord kiezen", u.Email}},
		{name: "own address refused", method: "POST", path: link, form: url.Values{"password": {u.Email}, "confirm": {u.Email}},
			wantCode: 422, wantBody: []string{"Gebruik niet je e-mailadres"}},
		{name: "new password", method: "POST", path: link, form: url.Values{"password": {"a brand new passphrase"}, "confirm": {"a brand new passphrase"}},
			wantCode: 303, wantLocation: "/login"},
		{name: "link used", path: link, wantCode: 404},
	})
	if rec := a.request("GET", "/app/people", nil, elsewhere, nil); rec.Code != 303 {
		t.Fatalf("a session with the old password survived the reset: %d", rec.Code)
	}
	if rec := a.request("POST", "/login", url.Values{"email": {u.Email}, "password": {"a brand new passphrase"}}, nil, nil); rec.Code != 303 {
		t.Fatalf("login with the new password: %d", rec.Code)
	}
	if got := a.auditActions(u.ID); !strings.Contains(strings.Join(got, " "), "user.password_reset") {
		t.Fatalf("audit: %v", got)
	}
	// At most a few links per address an hour.
	for range resetPerEmail {
		a.request("POST", "/forgot-password", url.Values{"email": {"flood@example.nl"}}, nil, nil)
	}
	if rec := a.request("POST", "/forgot-password", url.Values{"email": {"flood+x@example.nl"}}, nil, nil); rec.Code != http.StatusTooManyRequests {
		t.Fatalf("rate limit per address (with a +tag): %d", rec.Code)
	}
}

func TestAdminSendsResetLink(t *testing.T) {
	a := newTestApp(t)
	admin := a.createUser("admin")
	staff := a.createUser("staff")
	coord := a.createUser("coordinator")
	path := "/app/admin/users/" + pid(staff.ID)
	a.run(t, []handlerCase{
		{name: "edit page offers it", as: &admin, path: path, wantCode: 200, wantBody: []string{path + "/reset", "Link voor nieuw wachtwoord sturen"}},
		{name: "staff may not", as: &staff, method: "POST", path: path + "/reset", wantCode: 403},
		{name: "coordinator may not", as: &coord, method: "POST", path: path + "/reset", wantCode: 403},
		{name: "anonymous", method: "POST", path: path + "/reset", wantCode: 303, wantLocation: "/login"},
		{name: "cross-site", as: &admin, method: "POST", path: path + "/reset", headers: crossSite, wantCode: 403},
	})
	if n := a.mailCount(staff.Email); n != 0 {
		t.Fatalf("%d mails after refused requests", n)
	}
	a.run(t, []handlerCase{{name: "admin sends it", as: &admin, method: "POST", path: path + "/reset", wantCode: 303, wantLocation: path}})
	m, link := a.inviteLink(staff.Email)
	if !strings.Contains(m.Text, "Een beheerder heeft deze link") {
		t.Fatalf("mail:\n%s", m.Text)
	}
	if rec := a.request("GET", link, nil, nil, nil); rec.Code != 200 {
		t.Fatalf("link: %d", rec.Code)
	}
	if got := strings.Join(a.auditActions(staff.ID), " "); !strings.Contains(got, "user.reset_link") {
		t.Fatalf("audit: %s", got)
	}
	// An invited user without a password gets the invitation again instead.
	invited, err := a.srv.users.CreateUser(context.Background(), auth.NewUser{Email: "new@example.nl", Name: "New", Role: "staff"})
	if err != nil {
		t.Fatal(err)
	}
	a.run(t, []handlerCase{{name: "not for an invited user", as: &admin, method: "POST", path: "/app/admin/users/" + pid(invited.ID) + "/reset", wantCode: 422}})
}

func TestChangeOwnPassword(t *testing.T) {
	a := newTestApp(t)
	u := a.createUser("coordinator")
	here := a.login(u)
	delete(a.cookies, u.ID)
	elsewhere := a.login(u)
	a.run(t, []handlerCase{
		{name: "account page", as: &u, path: "/app/account", wantCode: 200, wantBody: []string{u.Email, `name="current"`, `autocomplete="new-password"`}},
		{name: "anonymous", path: "/app/account", wantCode: 303, wantLocation: "/login"},
		{name: "cross-site", as: &u, method: "POST", path: "/app/account/password", headers: crossSite,
			form: url.Values{"current": {testPassword}, "password": {"another good passphrase"}, "confirm": {"another good passphrase"}}, wantCode: 403},
	})
	change := func(current, pw, confirm string) *http.Response {
		return a.request("POST", "/app/account/password", url.Values{"current": {current}, "password": {pw}, "confirm": {confirm}}, here, nil).Result()
	}
	if res := change("wrong current password", "another good passphrase", "another good passphrase"); res.StatusCode != 422 {
		t.Fatalf("wrong current password: %d", res.StatusCode)
	}
	local, _, _ := strings.Cut(u.Email, "@")
	if res := change(testPassword, local, local); res.StatusCode != 422 {
		t.Fatalf("the address's local part as password: %d", res.StatusCode)
	}
	if res := change(testPassword, "another good passphrase", "another one"); res.StatusCode != 422 {
		t.Fatalf("mismatch: %d", res.StatusCode)
	}
	res := change(testPassword, "another good passphrase", "another good passphrase")
	if res.StatusCode != 303 || res.Header.Get("Location") != "/app/account" {
		t.Fatalf("change: %d", res.StatusCode)
	}
	renewed := cookieNamed(res.Cookies(), "alumnet_session")
	if renewed == nil || renewed.Value == cookieNamed(here, "alumnet_session").Value {
		t.Fatal("the session token was not renewed")
	}
	if rec := a.request("GET", "/app/people", nil, []*http.Cookie{renewed}, nil); rec.Code != 200 {
		t.Fatalf("this session after the change: %d", rec.Code)
	}
	if rec := a.request("GET", "/app/people", nil, elsewhere, nil); rec.Code != 303 {
		t.Fatalf("the other session survived the change: %d", rec.Code)
	}
	if got := strings.Join(a.auditActions(u.ID), " "); !strings.Contains(got, "user.password_change") {
		t.Fatalf("audit: %s", got)
	}
	// Guessing the current password is throttled like logging in.
	here = []*http.Cookie{renewed}
	for range auth.AccountLimit {
		change("a wrong guess at it", "yet another passphrase", "yet another passphrase")
	}
	rec := a.request("POST", "/app/account/password", url.Values{"current": {"another good passphrase"},
		"password": {"yet another passphrase"}, "confirm": {"yet another passphrase"}}, here, nil)
	if rec.Code != 422 || !strings.Contains(rec.Body.String(), "Te veel mislukte pogingen") {
		t.Fatalf("after %d wrong guesses: %d", auth.AccountLimit, rec.Code)
	}
}

// TestStaffAddressChangeCanBeUndone: when an administrator changes a
// user's address, the old address is told and can undo it, which logs out
// whoever uses the account.
func TestStaffAddressChangeCanBeUndone(t *testing.T) {
	a := newTestApp(t)
	admin := a.createUser("admin")
	staff := a.createUser("staff")
	path := "/app/admin/users/" + pid(staff.ID)
	// The staff member set their password through the invitation: their
	// address is proved.
	if _, err := a.pool.Exec(context.Background(), `UPDATE users SET email_proved_at = now() WHERE id = $1`, staff.ID); err != nil {
		t.Fatal(err)
	}
	a.run(t, []handlerCase{
		{name: "the edit form has the address", as: &admin, path: path, wantCode: 200, wantBody: []string{`name="email"`, `value="` + staff.Email + `"`}},
		{name: "an empty address", as: &admin, method: "POST", path: path, form: url.Values{"email": {""}, "name": {staff.Name}, "role": {"staff"}},
			wantCode: 422, wantBody: []string{"Vul dit veld in."}},
		{name: "another user's address", as: &admin, method: "POST", path: path, form: url.Values{"email": {admin.Email}, "name": {staff.Name}, "role": {"staff"}},
			wantCode: 422, wantBody: []string{"Er is al een gebruiker met dit e-mailadres."}},
		{name: "change it", as: &admin, method: "POST", path: path, form: url.Values{"email": {"new.address@example.nl"}, "name": {staff.Name}, "role": {"staff"}},
			wantCode: 303},
	})
	// Someone logs in with the new address.
	newSession := a.request("POST", "/login", url.Values{"email": {"new.address@example.nl"}, "password": {testPassword}}, nil, nil).Result().Cookies()
	if rec := a.request("GET", "/app/people", nil, newSession, nil); rec.Code != 200 {
		t.Fatalf("login with the new address: %d", rec.Code)
	}
	var notice string
	for _, m := range a.sentMails() {
		if m.To == staff.Email {
			notice = m.Text
		}
	}
	link := regexpFind(`http://alumnet\.test(/account/email-revert/[A-Za-z0-9_-]+)`, notice)
	if link == "" || !strings.Contains(notice, "new.address@example.nl") {
		t.Fatalf("no notice with an undo link to the old address:\n%s", notice)
	}
	a.run(t, []handlerCase{
		{name: "undo page changes nothing", path: link, wantCode: 200, wantBody: []string{"Zet mijn adres terug"}},
		{name: "undo", method: "POST", path: link, form: url.Values{}, wantCode: 200, wantBody: []string{staff.Email, "Iedereen is uitgelogd"}},
		{name: "once", method: "POST", path: link, form: url.Values{}, wantCode: 404},
	})
	if rec := a.request("GET", "/app/people", nil, newSession, nil); rec.Code != 303 {
		t.Fatalf("the session of the changed address survived the undo: %d", rec.Code)
	}
	got, _ := a.srv.users.UserByID(context.Background(), staff.ID)
	if got.Email != staff.Email {
		t.Fatalf("address after undo: %s", got.Email)
	}
	if acts := strings.Join(a.auditActions(staff.ID), " "); !strings.Contains(acts, "user.update") || !strings.Contains(acts, "user.email_revert") {
		t.Fatalf("audit: %s", acts)
	}

	// A typo corrected: the typed address was never proved (no link sent
	// there was used), so its owner, a stranger, gets nothing.
	for _, e := range []string{"new.address@exampel.nl", "new.address@example.nl"} {
		if rec := a.do("POST", path, url.Values{"email": {e}, "name": {staff.Name}, "role": {"staff"}}, &admin, nil); rec.Code != 303 {
			t.Fatalf("change to %s: %d", e, rec.Code)
		}
	}
	if n := a.mailCount("new.address@exampel.nl"); n != 0 {
		t.Fatalf("%d mails to the typo", n)
	}
	// An old reset link (to the address before) no longer sets the password.
	var open int
	if err := a.pool.QueryRow(context.Background(), `SELECT count(*) FROM user_tokens WHERE user_id = $1 AND used_at IS NULL
		AND purpose IN ('set_password', 'reset_password')`, staff.ID).Scan(&open); err != nil || open != 0 {
		t.Fatalf("%d password links still open after the address changed (%v)", open, err)
	}
}

func regexpFind(pattern, s string) string {
	if m := regexp.MustCompile(pattern).FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return ""
}
