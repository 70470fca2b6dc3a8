package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"alumnet/internal/consent"
	"alumnet/internal/i18n"
	"alumnet/internal/mail"
	"alumnet/internal/pgtest"
)

var portalLinkRE = regexp.MustCompile(`http://alumnet\.test(/(?:register/confirm|portal/login|portal/email-revert|portal/email|invite)/[A-Za-z0-9_-]+)`)

// mailTo returns the newest mail to addr and the link path in it.
func (a *testApp) mailTo(addr string) (mail.Stored, string) {
	a.t.Helper()
	for _, m := range a.sentMails() {
		if m.To == addr {
			return m, portalLinkRE.FindStringSubmatch(m.Text)[1]
		}
	}
	a.t.Fatalf("no mail to %s", addr)
	return mail.Stored{}, ""
}

func (a *testApp) mailCount(addr string) int {
	n := 0
	for _, m := range a.sentMails() {
		if m.To == addr {
			n++
		}
	}
	return n
}

// portalCookie follows a login or confirmation link (GET, then the POST
// behind its button) and returns the portal session cookie.
func (a *testApp) portalCookie(link string) []*http.Cookie {
	a.t.Helper()
	if rec := a.request("GET", link, nil, nil, nil); rec.Code != 200 {
		a.t.Fatalf("GET %s: %d", link, rec.Code)
	}
	rec := a.request("POST", link, url.Values{}, nil, nil)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/portal" {
		a.t.Fatalf("POST %s: %d → %s\n%s", link, rec.Code, rec.Header().Get("Location"), trimBody(rec.Body.String()))
	}
	var out []*http.Cookie
	for _, c := range rec.Result().Cookies() {
		if c.Name == "alumnet_portal" {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		a.t.Fatal("no portal session cookie")
	}
	return out
}

// registerAlumnus registers and confirms someone through the public pages
// and returns their person id and portal session.
func (a *testApp) registerAlumnus(email, first string, unitID int64, purposes ...string) (int64, []*http.Cookie) {
	a.t.Helper()
	form := url.Values{"first_name": {first}, "last_name": {"Bakker"}, "email": {email}, "language": {"nl"},
		"kind": {"study"}, "unit_id": {pid(unitID)}, "from_year": {"2015"}, "to_year": {"2019"}}
	for _, key := range purposes {
		p, err := a.srv.consent.PurposeByKey(context.Background(), key)
		if err != nil {
			a.t.Fatal(err)
		}
		form.Add("consent", pid(p.ID))
		form.Set("text_"+pid(p.ID), pid(p.TextID))
	}
	if rec := a.request("POST", "/register", form, nil, nil); rec.Code != 200 {
		a.t.Fatalf("register: %d\n%s", rec.Code, trimBody(rec.Body.String()))
	}
	_, link := a.mailTo(email)
	cookies := a.portalCookie(link)
	var id int64
	if err := a.pool.QueryRow(context.Background(), `SELECT person_id FROM person_emails WHERE email = $1`, email).Scan(&id); err != nil {
		a.t.Fatal(err)
	}
	return id, cookies
}

func TestRegisterFlow(t *testing.T) {
	a := newTestApp(t)
	r := a.seedRegistry()
	news, err := a.srv.consent.PurposeByKey(context.Background(), "newsletter")
	if err != nil {
		t.Fatal(err)
	}
	a.run(t, []handlerCase{
		{name: "form offers each purpose unticked, with its text", path: "/register", wantCode: 200,
			wantBody: []string{`name="consent" value="` + pid(news.ID) + `"`, news.NameNL, news.TextNL[:40], "Groenhorst College › Dierverzorging"},
			notBody:  []string{`value="` + pid(news.ID) + `" checked`}},
		{name: "errors next to the fields, input and ticks kept", method: "POST", path: "/register",
			form: url.Values{"first_name": {"Femke"}, "last_name": {""}, "email": {"femke@"}, "language": {"nl"}, "kind": {"study"},
				"unit_id": {"999999"}, "to_year": {"19"}, "consent": {pid(news.ID)}, "text_" + pid(news.ID): {pid(news.TextID)}},
			wantCode: 422, wantBody: []string{"Vul dit veld in.", "Vul een geldig e-mailadres in", "Kies een van de opties.", "Vul een geldig jaartal in.",
				`value="Femke"`, `value="femke@"`, `value="` + pid(news.ID) + `" checked`}},
	})
	if n := a.mailCount("femke@example.nl"); n != 0 {
		t.Fatalf("%d mails after a refused form", n)
	}
	form := url.Values{"first_name": {"Femke"}, "last_name": {"Bakker"}, "email": {"Femke@Example.nl"}, "language": {"en"}, "kind": {"study"},
		"unit_id": {pid(r.programme.ID)}, "to_year": {"2021"}, "consent": {pid(news.ID)}, "text_" + pid(news.ID): {pid(news.TextID)}}
	rec := a.request("POST", "/register", form, nil, nil)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "Check your mailbox") {
		t.Fatalf("register: %d\n%s", rec.Code, trimBody(rec.Body.String()))
	}
	firstAnswer := rec.Body.String()
	m, link := a.mailTo("femke@example.nl")
	if m.Subject != "Confirm your registration with the alumni network" || !strings.Contains(m.HTML, link) || !strings.HasPrefix(link, "/register/confirm/") {
		t.Fatalf("confirmation mail %q %q", m.Subject, link)
	}
	// The name is not confirmed yet: the mail does not repeat it.
	if !strings.HasPrefix(m.Text, "Hello,\n") || strings.Contains(m.Text, "Femke") {
		t.Errorf("confirmation mail greeting:\n%s", m.Text)
	}
	var persons int
	a.run(t, []handlerCase{{name: "the link's page shows what is confirmed and only asks", path: link, wantCode: 200,
		wantBody: []string{"Confirm your registration", "<form method=\"post\">", "Femke Bakker", "femke@example.nl", "Dierverzorging (2021)", news.NameEN}}})
	if err := a.pool.QueryRow(context.Background(), `SELECT count(*) FROM persons WHERE first_name = 'Femke'`).Scan(&persons); err != nil || persons != 0 {
		t.Fatalf("GET of the link created %d persons", persons)
	}
	cookies := a.portalCookie(link)
	home := a.request("GET", "/portal", nil, cookies, nil)
	if home.Code != 200 || !strings.Contains(home.Body.String(), "Hello Femke") || !strings.Contains(home.Body.String(), "Dierverzorging") {
		t.Fatalf("portal home: %d\n%s", home.Code, trimBody(home.Body.String()))
	}
	a.run(t, []handlerCase{{name: "the link works once", method: "POST", path: link, form: url.Values{}, wantCode: 404, wantBody: []string{"verlopen of al gebruikt"}}})

	// Registering the address again shows the same page and mails a login
	// link; nothing about Femke changes.
	form.Set("first_name", "Mallory")
	rec = a.request("POST", "/register", form, nil, nil)
	if rec.Code != 200 || rec.Body.String() != firstAnswer {
		t.Fatalf("second registration answered differently: %d", rec.Code)
	}
	m2, link2 := a.mailTo("femke@example.nl")
	if m2.Subject != "You are already in the alumni network" || !strings.HasPrefix(link2, "/portal/login/") {
		t.Fatalf("mail for a known address: %q %q", m2.Subject, link2)
	}
	if err := a.pool.QueryRow(context.Background(), `SELECT count(*) FROM persons WHERE first_name = 'Mallory'`).Scan(&persons); err != nil || persons != 0 {
		t.Fatal("a second registration changed the record")
	}
}

func TestPortalLoginAnswersAlike(t *testing.T) {
	a := newTestApp(t)
	r := a.seedRegistry()
	a.registerAlumnus("lotte@example.nl", "Lotte", r.programme.ID)
	before := a.mailCount("lotte@example.nl")

	known := a.request("POST", "/portal/login", url.Values{"email": {"lotte@example.nl"}}, nil, nil)
	unknown := a.request("POST", "/portal/login", url.Values{"email": {"niemand@example.nl"}}, nil, nil)
	if known.Code != 200 || unknown.Code != 200 {
		t.Fatalf("status %d / %d", known.Code, unknown.Code)
	}
	if strings.ReplaceAll(known.Body.String(), "lotte@example.nl", "X") != strings.ReplaceAll(unknown.Body.String(), "niemand@example.nl", "X") {
		t.Fatal("the answer tells whether an address is known")
	}
	if a.mailCount("niemand@example.nl") != 0 || a.mailCount("lotte@example.nl") != before+1 {
		t.Fatal("wrong mails for login requests")
	}
	_, link := a.mailTo("lotte@example.nl")
	cookies := a.portalCookie(link)
	var logins int
	if err := a.pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = 'person.portal_login'`).Scan(&logins); err != nil || logins != 1 {
		t.Fatalf("portal logins in the audit log: %d %v", logins, err)
	}
	a.run(t, []handlerCase{
		{name: "replayed link", method: "POST", path: link, form: url.Values{}, wantCode: 404},
		{name: "bad address", method: "POST", path: "/portal/login", form: url.Values{"email": {"lotte@"}}, wantCode: 422,
			wantBody: []string{"Vul een geldig e-mailadres in", `value="lotte@"`}},
	})
	if rec := a.request("GET", "/portal/profile", nil, cookies, nil); rec.Code != 200 || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("profile: %d, Cache-Control %q", rec.Code, rec.Header().Get("Cache-Control"))
	}
	// Logging out ends the portal session.
	if rec := a.request("POST", "/portal/logout", url.Values{}, cookies, nil); rec.Code != 303 {
		t.Fatalf("logout: %d", rec.Code)
	}
	if rec := a.request("GET", "/portal", nil, cookies, nil); rec.Code != 303 || rec.Header().Get("Location") != "/portal/login" {
		t.Fatalf("after logout: %d %s", rec.Code, rec.Header().Get("Location"))
	}
}

func TestPortalLoginRateLimit(t *testing.T) {
	a := newTestApp(t)
	var last int
	for range loginLinkPerMail + 1 {
		last = a.request("POST", "/portal/login", url.Values{"email": {"flood@example.nl"}}, nil, nil).Code
	}
	if last != http.StatusTooManyRequests {
		t.Fatalf("request %d: status %d, want 429", loginLinkPerMail+1, last)
	}
}

// TestPortalAuthorization: every portal page needs the portal session; an
// alumnus only ever reaches their own record, whatever ids they send; the
// staff and portal sessions do not open each other's areas.
func TestPortalAuthorization(t *testing.T) {
	a := newTestApp(t)
	r := a.seedRegistry()
	annaID, anna := a.registerAlumnus("anna@example.nl", "Anna", r.programme.ID, "newsletter")
	bramID, bram := a.registerAlumnus("bram@example.nl", "Bram", r.programme.ID, "newsletter")
	staff := a.createUser("staff")

	var cases []handlerCase
	for _, path := range []string{"/portal", "/portal/profile", "/portal/permissions", "/portal/data", "/portal/data/export.json",
		"/portal/data/export.csv", "/portal/delete"} {
		cases = append(cases, handlerCase{name: "anonymous " + path, path: path, wantCode: 303, wantLocation: "/portal/login"})
		cases = append(cases, handlerCase{name: "staff session is no portal session " + path, as: &staff, path: path, wantCode: 303, wantLocation: "/portal/login"})
	}
	for _, path := range []string{"/portal/profile", "/portal/email", "/portal/permissions/1", "/portal/delete", "/portal/confirm-details"} {
		cases = append(cases, handlerCase{name: "anonymous POST " + path, method: "POST", path: path, form: url.Values{"confirm": {"1"}},
			wantCode: 303, wantLocation: "/portal/login"})
	}
	a.run(t, cases)

	// A portal session does not open the staff area.
	if rec := a.request("GET", "/app/people", nil, anna, nil); rec.Code != 303 || !strings.HasPrefix(rec.Header().Get("Location"), "/login") {
		t.Fatalf("portal session in the staff area: %d", rec.Code)
	}
	// Ids sent along are ignored: Anna's export is Anna's.
	rec := a.request("GET", "/portal/data/export.json?person="+pid(bramID)+"&id="+pid(bramID), nil, anna, nil)
	var x struct {
		Person struct {
			ID        int64  `json:"id"`
			FirstName string `json:"first_name"`
		} `json:"person"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &x); err != nil || x.Person.ID != annaID || strings.Contains(rec.Body.String(), "bram@") {
		t.Fatalf("export with Bram's id: %v %+v", err, x)
	}
	// A profile post naming Bram changes Anna only.
	rec = a.request("POST", "/portal/profile", url.Values{"id": {pid(bramID)}, "person_id": {pid(bramID)}, "first_name": {"Anna"},
		"last_name": {"Gewijzigd"}, "language": {"nl"}}, anna, nil)
	if rec.Code != 303 {
		t.Fatalf("profile save: %d\n%s", rec.Code, trimBody(rec.Body.String()))
	}
	var annaLast, bramLast string
	_ = a.pool.QueryRow(context.Background(), `SELECT (SELECT last_name FROM persons WHERE id = $1), (SELECT last_name FROM persons WHERE id = $2)`,
		annaID, bramID).Scan(&annaLast, &bramLast)
	if annaLast != "Gewijzigd" || bramLast != "Bakker" {
		t.Fatalf("last names after Anna's save: Anna %q, Bram %q", annaLast, bramLast)
	}
	// Withdrawing a permission acts on Anna's ledger only.
	news, _ := a.srv.consent.PurposeByKey(context.Background(), "newsletter")
	if rec := a.request("POST", "/portal/permissions/"+pid(news.ID), url.Values{"granted": {"0"}, "person_id": {pid(bramID)}}, anna, nil); rec.Code != 303 {
		t.Fatalf("withdraw: %d", rec.Code)
	}
	for id, want := range map[int64]bool{annaID: false, bramID: true} {
		if d, _ := a.srv.consent.MayUse(context.Background(), id, "newsletter"); d.Allowed != want {
			t.Errorf("person %d newsletter allowed %v, want %v", id, d.Allowed, want)
		}
	}
	// Cross-site posts are refused.
	if rec := a.request("POST", "/portal/permissions/"+pid(news.ID), url.Values{"granted": {"1"}}, bram, crossSite); rec.Code != 403 {
		t.Fatalf("cross-site permission post: %d", rec.Code)
	}
	if rec := a.request("POST", "/portal/delete", url.Values{"confirm": {"1"}}, bram, crossSite); rec.Code != 403 {
		t.Fatalf("cross-site delete: %d", rec.Code)
	}
	if rec := a.request("POST", "/portal/permissions/999999", url.Values{"granted": {"1"}}, bram, nil); rec.Code != 404 {
		t.Fatalf("unknown purpose: %d", rec.Code)
	}
}

func TestPortalPermissionsAndProfile(t *testing.T) {
	a := newTestApp(t)
	r := a.seedRegistry()
	id, c := a.registerAlumnus("kees@example.nl", "Kees", r.programme.ID, "events")
	events, _ := a.srv.consent.PurposeByKey(context.Background(), "events")
	vac, _ := a.srv.consent.PurposeByKey(context.Background(), "vacancies")

	page := a.request("GET", "/portal/permissions", nil, c, nil).Body.String()
	for _, want := range []string{events.NameNL, vac.NameNL, "Toegestaan", "Niet toegestaan", "Aanmelding"} {
		if !strings.Contains(page, want) {
			t.Errorf("permissions page lacks %q", want)
		}
	}
	steps := []struct {
		purpose consent.Purpose
		granted string
		want    bool
	}{{vac, "1", true}, {events, "0", false}, {events, "1", true}}
	for _, st := range steps {
		rec := a.request("POST", "/portal/permissions/"+pid(st.purpose.ID), url.Values{"granted": {st.granted}, "text_id": {pid(st.purpose.TextID)}}, c, nil)
		if rec.Code != 303 {
			t.Fatalf("%s %s: %d", st.purpose.Key, st.granted, rec.Code)
		}
		d, _ := a.srv.consent.MayUse(context.Background(), id, st.purpose.Key)
		if d.Allowed != st.want || d.Row.Source != consent.SourcePortal || !d.Row.ByPerson {
			t.Fatalf("%s after %s: %+v", st.purpose.Key, st.granted, d)
		}
	}
	history, _ := a.srv.consent.History(context.Background(), id)
	if len(history) != 4 {
		t.Fatalf("history has %d rows, want 4", len(history))
	}

	rec := a.request("POST", "/portal/profile", url.Values{"first_name": {"Kees"}, "last_name": {""}, "language": {"nl"},
		"linkedin_url": {"linkedin.com/in/kees"}, "city": {"Ede"}, "interests": {"Duurzaam bouwen"}}, c, nil)
	if rec.Code != 422 || !strings.Contains(rec.Body.String(), "Vul dit veld in.") || !strings.Contains(rec.Body.String(), `value="Ede"`) ||
		!strings.Contains(rec.Body.String(), "Duurzaam bouwen") {
		t.Fatalf("invalid profile: %d\n%s", rec.Code, trimBody(rec.Body.String()))
	}
	// Changing the address waits for the new address' confirmation.
	rec = a.request("POST", "/portal/email", url.Values{"new_email": {"kees.nieuw@example.nl"}}, c, nil)
	if rec.Code != 303 {
		t.Fatalf("email change: %d\n%s", rec.Code, trimBody(rec.Body.String()))
	}
	var primary string
	_ = a.pool.QueryRow(context.Background(), `SELECT email FROM person_emails WHERE person_id = $1 AND is_primary`, id).Scan(&primary)
	if primary != "kees@example.nl" {
		t.Fatalf("primary changed before confirmation: %s", primary)
	}
	_, link := a.mailTo("kees.nieuw@example.nl")
	if !strings.HasPrefix(link, "/portal/email/") {
		t.Fatalf("email change link %q", link)
	}
	if rec := a.request("POST", link, url.Values{}, c, nil); rec.Code != 303 {
		t.Fatalf("confirm new address: %d", rec.Code)
	}
	_ = a.pool.QueryRow(context.Background(), `SELECT email FROM person_emails WHERE person_id = $1 AND is_primary`, id).Scan(&primary)
	if primary != "kees.nieuw@example.nl" {
		t.Fatalf("primary after confirmation: %s", primary)
	}
}

func TestPortalExportAndDelete(t *testing.T) {
	a := newTestApp(t)
	r := a.seedRegistry()
	id, c := a.registerAlumnus("noor@example.nl", "Noor", r.programme.ID, "newsletter")
	rec := a.request("GET", "/portal/data/export.json", nil, c, nil)
	if rec.Code != 200 || !strings.Contains(rec.Header().Get("Content-Disposition"), "attachment") ||
		!strings.Contains(rec.Body.String(), `"address": "noor@example.nl"`) || !strings.Contains(rec.Body.String(), `"purpose": "newsletter"`) {
		t.Fatalf("export: %d %s", rec.Code, rec.Body.String())
	}
	rec = a.request("GET", "/portal/data/export.csv", nil, c, nil)
	if rec.Code != 200 || !strings.HasPrefix(rec.Body.String(), "id,first_name,last_name,email") || !strings.Contains(rec.Body.String(), "noor@example.nl") {
		t.Fatalf("csv: %d %s", rec.Code, rec.Body.String())
	}

	// A second device's session.
	a.request("POST", "/portal/login", url.Values{"email": {"noor@example.nl"}}, nil, nil)
	_, link := a.mailTo("noor@example.nl")
	other := a.portalCookie(link)
	if rec := a.request("POST", "/portal/delete", url.Values{}, c, nil); rec.Code != 422 || !strings.Contains(rec.Body.String(), "Vink dit aan") {
		t.Fatalf("delete without confirmation: %d", rec.Code)
	}
	rec = a.request("POST", "/portal/delete", url.Values{"confirm": {"1"}}, c, nil)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "Je gegevens zijn verwijderd") {
		t.Fatalf("delete: %d\n%s", rec.Code, trimBody(rec.Body.String()))
	}
	if rec := a.request("GET", "/portal", nil, c, nil); rec.Code != 303 {
		t.Fatalf("session after erasure: %d", rec.Code)
	}
	var left int
	if err := a.pool.QueryRow(context.Background(), `SELECT count(*) FROM sessions WHERE token_hash = sha256(convert_to($1, 'UTF8'))`, other[0].Value).Scan(&left); err != nil || left != 0 {
		t.Fatalf("the other device's session survived the erasure (%d, %v)", left, err)
	}
	var first string
	var erased bool
	_ = a.pool.QueryRow(context.Background(), `SELECT first_name, erased_at IS NOT NULL FROM persons WHERE id = $1`, id).Scan(&first, &erased)
	if first == "Noor" || !erased {
		t.Fatalf("after erasure: %q %v", first, erased)
	}
	var asked int
	if err := a.pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = 'person.erase' AND person_id = $1
		AND details->>'by' = 'person'`, id).Scan(&asked); err != nil || asked != 1 {
		t.Fatalf("the erasure request is not in the audit log: %d %v", asked, err)
	}
	// A login link for the old address is not sent any more.
	before := a.mailCount("noor@example.nl")
	a.request("POST", "/portal/login", url.Values{"email": {"noor@example.nl"}}, nil, nil)
	if a.mailCount("noor@example.nl") != before {
		t.Fatal("login link sent to an erased person")
	}
}

func TestUnsubscribeLink(t *testing.T) {
	a := newTestApp(t)
	r := a.seedRegistry()
	id, _ := a.registerAlumnus("sem@example.nl", "Sem", r.programme.ID, "newsletter")
	token, err := a.srv.portal.UnsubscribeToken(context.Background(), id, "newsletter")
	if err != nil {
		t.Fatal(err)
	}
	a.run(t, []handlerCase{
		{name: "GET asks and changes nothing", path: "/u/" + token, wantCode: 200, wantBody: []string{"Wil je geen berichten meer ontvangen", "<form method=\"post\">"}},
		{name: "tampered link", path: "/u/" + token + "x", wantCode: 404},
	})
	if d, _ := a.srv.consent.MayUse(context.Background(), id, "newsletter"); !d.Allowed {
		t.Fatal("GET withdrew the permission")
	}
	// RFC 8058 one-click: the mail program posts from elsewhere.
	rec := a.request("POST", "/u/"+token, url.Values{"List-Unsubscribe": {"One-Click"}}, nil, crossSite)
	if rec.Code != 200 {
		t.Fatalf("one-click: %d", rec.Code)
	}
	d, _ := a.srv.consent.MayUse(context.Background(), id, "newsletter")
	if d.Allowed || d.Row.Source != consent.SourceUnsubscribe {
		t.Fatalf("after one-click: %+v", d)
	}
}

func TestStaffInviteAndErase(t *testing.T) {
	a := newTestApp(t)
	r := a.seedRegistry()
	staff := a.createUser("staff")
	coord := a.createUser("coordinator", r.school.ID)
	a.run(t, []handlerCase{
		{name: "person page offers invitation and erasure to staff", as: &staff, path: "/app/people/" + pid(r.inCompany), wantCode: 200,
			wantBody: []string{"/invite\"", "/erase\""}},
		{name: "coordinator sees no erasure", as: &coord, path: "/app/people/" + pid(r.inSchool), wantCode: 200, notBody: []string{"/erase\""}},
		{name: "coordinator cannot invite outside own units", as: &coord, method: "POST", path: "/app/people/" + pid(r.inCompany) + "/invite", wantCode: 404},
		{name: "coordinator cannot erase", as: &coord, method: "POST", path: "/app/people/" + pid(r.inSchool) + "/erase",
			form: url.Values{"erase_reason": {"request_email"}, "erase_confirm": {"1"}}, wantCode: 403},
		{name: "staff invites", as: &staff, method: "POST", path: "/app/people/" + pid(r.inCompany) + "/invite", wantCode: 303},
		{name: "erasure needs a reason and confirmation", as: &staff, method: "POST", path: "/app/people/" + pid(r.inSchool) + "/erase",
			form: url.Values{"erase_confirm": {"1"}}, wantCode: 303, wantLocation: "/app/people/" + pid(r.inSchool)},
		{name: "cross-site erase refused", as: &staff, method: "POST", path: "/app/people/" + pid(r.inSchool) + "/erase",
			form: url.Values{"erase_reason": {"request_email"}, "erase_reference": {"AVG-12"}, "erase_confirm": {"1"}}, headers: crossSite, wantCode: 403},
		{name: "a name as reference is refused", as: &staff, method: "POST", path: "/app/people/" + pid(r.inSchool) + "/erase",
			form: url.Values{"erase_reason": {"request_email"}, "erase_reference": {"José Pérez"}, "erase_confirm": {"1"}}, wantCode: 303,
			wantLocation: "/app/people/" + pid(r.inSchool) + "#erase"},
	})
	m, link := a.mailTo("omer@example.nl")
	if !strings.HasPrefix(link, "/invite/") || !strings.Contains(m.Subject, "alumninetwerk") {
		t.Fatalf("invitation %q %q", m.Subject, link)
	}
	events, _ := a.srv.consent.PurposeByKey(context.Background(), "events")
	a.run(t, []handlerCase{
		{name: "invitation page", path: link, wantCode: 200, wantBody: []string{`value="Ömer"`, "omer@example.nl", events.NameNL}},
		{name: "accept with a missing name keeps ticks", method: "POST", path: link,
			form:     url.Values{"first_name": {""}, "last_name": {"Yilmaz"}, "language": {"nl"}, "consent": {pid(events.ID)}, "text_" + pid(events.ID): {pid(events.TextID)}},
			wantCode: 422, wantBody: []string{"Vul dit veld in.", `value="` + pid(events.ID) + `" checked`}},
		{name: "accept", method: "POST", path: link,
			form:     url.Values{"first_name": {"Ömer"}, "last_name": {"Yilmaz"}, "language": {"nl"}, "consent": {pid(events.ID)}, "text_" + pid(events.ID): {pid(events.TextID)}},
			wantCode: 303, wantLocation: "/portal"},
		{name: "used invitation", path: link, wantCode: 404},
	})
	if d, _ := a.srv.consent.MayUse(context.Background(), r.inCompany, "events"); !d.Allowed || d.Row.Source != consent.SourceInvitation {
		t.Fatalf("after accepting: %+v", d)
	}
	// Bulk: everyone in the filtered list who was not invited this week.
	rec := a.do("POST", "/app/people/invite", url.Values{"unit": {pid(r.school.ID)}}, &staff, nil)
	if rec.Code != 303 || a.mailCount("jose@example.nl") != 1 {
		t.Fatalf("bulk invite: %d, %d mails", rec.Code, a.mailCount("jose@example.nl"))
	}
	a.run(t, []handlerCase{
		{name: "erase", as: &staff, method: "POST", path: "/app/people/" + pid(r.inSchool) + "/erase",
			form: url.Values{"erase_reason": {"request_email"}, "erase_reference": {"AVG-2026-12"}, "erase_confirm": {"1"}}, wantCode: 303, wantLocation: "/app/people"},
		{name: "erased person shows no name", as: &staff, path: "/app/people/" + pid(r.inSchool), wantCode: 200, notBody: []string{"José", "jose@example.nl", "/edit\""},
			wantBody: []string{"zijn op"}},
		{name: "a tombstone cannot be edited", as: &staff, path: "/app/people/" + pid(r.inSchool) + "/edit", wantCode: 404},
		{name: "nor listed", as: &staff, path: "/app/people", wantCode: 200, wantBody: []string{"Ömer Yilmaz"}, notBody: []string{`href="/app/people/` + pid(r.inSchool) + `"`}},
		{name: "nor updated", as: &staff, method: "POST", path: "/app/people/" + pid(r.inSchool),
			form: url.Values{"first_name": {"José"}, "last_name": {"Pérez"}, "language": {"nl"}, "version": {"2"}}, wantCode: 404},
	})
}

func TestRetentionPage(t *testing.T) {
	a := newTestApp(t)
	r := a.seedRegistry()
	admin := a.createUser("admin")
	staff := a.createUser("staff")
	// José left in 2020 and gave no permission; make everything old.
	if _, err := a.pool.Exec(context.Background(), `UPDATE persons SET created_at = '2015-01-01', updated_at = '2015-01-01'`); err != nil {
		t.Fatal(err)
	}
	a.run(t, []handlerCase{
		{name: "staff may not", as: &staff, path: "/app/admin/retention", wantCode: 403},
		{name: "anonymous", path: "/app/admin/retention", wantCode: 303, wantLocation: "/login"},
		{name: "dry run with the default 7 years lists nobody yet", as: &admin, path: "/app/admin/retention", wantCode: 200,
			wantBody: []string{"Uit: er wordt niets geanonimiseerd", "Met deze termijn zou nu niemand"}},
		{name: "dry run with 3 years lists both", as: &admin, path: "/app/admin/retention?years=3", wantCode: 200,
			wantBody: []string{"José Pérez", "Ömer Yilmaz", "Nooit toestemming gegeven", "2 personen",
				`name="inactive_years" type="number" value="7"`, `name="years" type="number" value="3"`}},
		{name: "bad years keep input", as: &admin, method: "POST", path: "/app/admin/retention", form: url.Values{"inactive_years": {"0"}, "enabled": {"1"}},
			wantCode: 422, wantBody: []string{"tussen 1 en 50", `value="0"`}},
		{name: "cross-site save refused", as: &admin, method: "POST", path: "/app/admin/retention", form: url.Values{"inactive_years": {"3"}, "enabled": {"1"}},
			headers: crossSite, wantCode: 403},
		{name: "save", as: &admin, method: "POST", path: "/app/admin/retention", form: url.Values{"inactive_years": {"3"}, "enabled": {"1"}},
			wantCode: 303, wantLocation: "/app/admin/retention"},
		{name: "saved", as: &admin, path: "/app/admin/retention", wantCode: 200, wantBody: []string{"Aan: na 3 jaar", "Het bewaarbeleid is opgeslagen."}},
	})
	if err := a.srv.app.RunRetention(context.Background()); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := a.pool.QueryRow(context.Background(), `SELECT count(*) FROM persons WHERE erased_at IS NOT NULL AND id IN ($1, $2)`,
		r.inSchool, r.inCompany).Scan(&n); err != nil || n != 2 {
		t.Fatalf("after the nightly run %d of 2 anonymised (%v)", n, err)
	}
}

func TestStillCorrectLink(t *testing.T) {
	a := newTestApp(t)
	r := a.seedRegistry()
	id, _ := a.registerAlumnus("fleur@example.nl", "Fleur", r.programme.ID, "events")
	if _, err := a.pool.Exec(context.Background(), `UPDATE persons SET details_confirmed_at = now() - interval '2 years', created_at = now() - interval '2 years' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	if err := a.srv.app.RemindStale(context.Background()); err != nil {
		t.Fatal(err)
	}
	var link string
	for _, m := range a.sentMails() {
		if m.To == "fleur@example.nl" && m.Subject == "Kloppen je gegevens nog?" {
			link = regexp.MustCompile(`http://alumnet\.test(/portal/still-correct/[A-Za-z0-9_-]+)`).FindStringSubmatch(m.Text)[1]
		}
	}
	if link == "" {
		t.Fatal("no reminder mail")
	}
	a.run(t, []handlerCase{
		{name: "the link's page asks", path: link, wantCode: 200, wantBody: []string{"Alles klopt nog"}},
		{name: "one click confirms", method: "POST", path: link, form: url.Values{}, wantCode: 200, wantBody: []string{"Je gegevens zijn bevestigd"}},
		{name: "once", method: "POST", path: link, form: url.Values{}, wantCode: 404},
	})
	var recent bool
	_ = a.pool.QueryRow(context.Background(), `SELECT details_confirmed_at > now() - interval '1 minute' FROM persons WHERE id = $1`, id).Scan(&recent)
	if !recent {
		t.Fatal("details not confirmed")
	}
}

func TestScheduleAndCleanup(t *testing.T) {
	a := newTestApp(t)
	if err := a.srv.app.Schedule(); err != nil {
		t.Fatal(err)
	}
	if err := a.srv.app.Schedule(); err == nil {
		t.Fatal("the periodic tasks were registered twice")
	}
	ctx := context.Background()
	if _, err := a.pool.Exec(ctx, `INSERT INTO person_tokens (email, purpose, token_hash, expires_at) VALUES
		('old@example.nl', 'register', '\x01', now() - interval '8 days'), ('new@example.nl', 'register', '\x02', now() + interval '1 day')`); err != nil {
		t.Fatal(err)
	}
	if _, err := a.pool.Exec(ctx, `INSERT INTO rate_events (bucket, key, at) VALUES ('x', 'old', now() - interval '2 days'), ('x', 'new', now())`); err != nil {
		t.Fatal(err)
	}
	// A registration nobody confirmed: its mail keeps no address after a week.
	if _, err := a.pool.Exec(ctx, `INSERT INTO mail_deliveries (key, message_id, to_address, subject, text_body, language, status, sent_at, created_at)
		VALUES ('portal.register.999', 'alumnet.00112233445566778899', 'late@example.nl', 'Bevestig', 'tekst', 'nl', 'sent', now(), now() - interval '8 days'),
		       ('portal.register.998', 'alumnet.99887766554433221100', 'recent@example.nl', 'Bevestig', 'tekst', 'nl', 'sent', now(), now())`); err != nil {
		t.Fatal(err)
	}
	if err := a.srv.app.Cleanup(ctx); err != nil {
		t.Fatal(err)
	}
	var kept []string
	rows, _ := a.pool.Query(ctx, `SELECT to_address FROM mail_deliveries WHERE key IN ('portal.register.999', 'portal.register.998') ORDER BY key`)
	for rows.Next() {
		var s string
		_ = rows.Scan(&s)
		kept = append(kept, s)
	}
	if len(kept) != 2 || kept[0] != "recent@example.nl" || kept[1] != "" {
		t.Fatalf("addresses after cleanup: %q", kept)
	}
	var tokens, events int
	_ = a.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM person_tokens), (SELECT count(*) FROM rate_events)`).Scan(&tokens, &events)
	if tokens != 1 || events != 1 {
		t.Fatalf("after cleanup: %d links, %d rate events; want 1 and 1", tokens, events)
	}
}

// TestErasureThroughTheApp erases someone who used the app the ordinary
// way — registered, changed their address (one change still pending),
// logged in on two devices, was offboarded with reminders and an exit
// interview — and then reads every text column of the database: the name
// and the addresses appear nowhere.
func TestErasureThroughTheApp(t *testing.T) {
	a := newTestApp(t)
	r := a.seedRegistry()
	hr := a.createUser("staff")
	const first, last = "Wendelmoet", "Zeldenrust"
	form := url.Values{"first_name": {first}, "last_name": {last}, "email": {"wendelmoet@example.nl"}, "language": {"nl"},
		"kind": {"employment"}, "unit_id": {pid(r.company.ID)}, "to_year": {"2026"}}
	if rec := a.request("POST", "/register", form, nil, nil); rec.Code != 200 {
		t.Fatalf("register: %d", rec.Code)
	}
	_, link := a.mailTo("wendelmoet@example.nl")
	c1 := a.portalCookie(link)
	var id int64
	if err := a.pool.QueryRow(context.Background(), `SELECT id FROM persons WHERE last_name = $1`, last).Scan(&id); err != nil {
		t.Fatal(err)
	}
	// A confirmed change, and a pending one.
	a.request("POST", "/portal/email", url.Values{"new_email": {"w.zeldenrust@example.org"}}, c1, nil)
	_, change := a.mailTo("w.zeldenrust@example.org")
	if rec := a.request("POST", change, url.Values{}, c1, nil); rec.Code != 303 {
		t.Fatalf("confirm change: %d", rec.Code)
	}
	a.request("POST", "/portal/email", url.Values{"new_email": {"wendel.pending@example.net"}}, c1, nil)
	a.request("POST", "/portal/login", url.Values{"email": {"w.zeldenrust@example.org"}}, nil, nil)
	_, login := a.mailTo("w.zeldenrust@example.org")
	a.portalCookie(login) // a second device

	// Offboarded, with an interview naming her and a reminder mail.
	path := a.startCase(hr, url.Values{"person_id": {pid(id)}, "departure_type": {"resignation"}, "unit_id": {pid(r.company.ID)},
		"leaving_date": {time.Now().In(i18n.Zone()).AddDate(0, 0, 17).Format(time.DateOnly)}})
	if rec := a.do("POST", path+"/interview", url.Values{"highlights": {first + " trained the new team"}, "rehire": {"review"},
		"rehire_reason": {"Ask " + last + "'s manager"}}, &hr, nil); rec.Code != 303 {
		t.Fatalf("interview: %d", rec.Code)
	}
	if err := a.srv.app.RemindOffboarding(context.Background()); err != nil {
		t.Fatal(err)
	}
	needles := []string{first, last, "wendelmoet@", "zeldenrust@", "wendel.pending"}
	a.sentMails() // every queued mail delivered
	if hits := pgtest.FindText(t, a.pool, needles...); len(hits) < 5 {
		t.Fatalf("the scan finds too little before erasure to prove anything: %v", hits)
	}
	if rec := a.request("POST", "/portal/delete", url.Values{"confirm": {"1"}}, c1, nil); rec.Code != 200 {
		t.Fatalf("delete: %d", rec.Code)
	}
	a.sentMails()
	if hits := pgtest.FindText(t, a.pool, needles...); len(hits) > 0 {
		t.Fatalf("after erasure still found:\n%s", strings.Join(hits, "\n"))
	}
}

func TestPublicHomeLeadsAlumniIn(t *testing.T) {
	a := newTestApp(t)
	a.run(t, []handlerCase{{name: "home", path: "/", wantCode: 200,
		wantBody: []string{`href="/register"`, `href="/portal/login"`, `href="/login"`, "Oud-medewerker of oud-student?"}}})
}
