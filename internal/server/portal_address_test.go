package server

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"alumnet/internal/i18n"
)

// personForm is the edit form of a person as it stands, for a test to change.
func (a *testApp) personForm(id int64) url.Values {
	a.t.Helper()
	var first, last, lang string
	var version int
	if err := a.pool.QueryRow(context.Background(), `SELECT first_name, last_name, language, version FROM persons WHERE id = $1`, id).
		Scan(&first, &last, &lang, &version); err != nil {
		a.t.Fatal(err)
	}
	return url.Values{"first_name": {first}, "last_name": {last}, "language": {lang}, "version": {pid(int64(version))}}
}

// loginLinks counts the portal login links mailed to addr.
func (a *testApp) loginLinks(addr string) int {
	n := 0
	for _, m := range a.sentMails() {
		if m.To == addr && strings.Contains(m.Text, "/portal/login/") {
			n++
		}
	}
	return n
}

// TestPortalLoginOnlyThroughProvedAddresses: an address staff type into a
// record opens nothing; neither does an address the alumnus replaced, nor
// a work address left behind at offboarding; the visitor's answer is the
// same in every case.
func TestPortalLoginOnlyThroughProvedAddresses(t *testing.T) {
	a := newTestApp(t)
	r := a.seedRegistry()
	coord := a.createUser("coordinator", r.school.ID)
	ctx := context.Background()

	// An alumnus of the coordinator's unit who registered herself.
	id, c := a.registerAlumnus("anna@example.nl", "Anna", r.programme.ID, "newsletter")
	path := "/app/people/" + pid(id)

	// The coordinator adds their own mailbox to her record: as another
	// address it is taken, as the primary it is refused.
	form := a.personForm(id)
	form.Set("primary_email", "anna@example.nl")
	form.Set("other_emails", "coordinator-mailbox@example.nl")
	if rec := a.do("POST", path, form, &coord, nil); rec.Code != 303 {
		t.Fatalf("adding an address: %d\n%s", rec.Code, trimBody(rec.Body.String()))
	}
	form = a.personForm(id)
	form.Set("primary_email", "coordinator-mailbox@example.nl")
	if rec := a.do("POST", path, form, &coord, nil); rec.Code != 422 || !strings.Contains(rec.Body.String(), "alleen de alumnus wijzigt het") {
		t.Fatalf("replacing the proved address: %d\n%s", rec.Code, trimBody(rec.Body.String()))
	}

	// Asking for a login link with the typed address sends nothing, and
	// the answer is the one anybody gets.
	answer := func(email string) string {
		rec := a.request("POST", "/portal/login", url.Values{"email": {email}}, nil, nil)
		if rec.Code != 200 {
			t.Fatalf("login request for %s: %d", email, rec.Code)
		}
		return strings.ReplaceAll(rec.Body.String(), email, "X")
	}
	typed, proved, unknown := answer("coordinator-mailbox@example.nl"), answer("anna@example.nl"), answer("nobody@example.nl")
	if typed != proved || typed != unknown {
		t.Fatal("the answers tell the cases apart")
	}
	if n := a.loginLinks("coordinator-mailbox@example.nl"); n != 0 {
		t.Fatalf("%d login links to an address staff typed in", n)
	}
	if n := a.loginLinks("anna@example.nl"); n != 1 {
		t.Fatalf("%d login links to the proved address, want 1", n)
	}
	// The request itself did the same for each: one queued task, no lookup.
	var tasks int
	if err := a.pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'task' AND args->>'name' = 'portal.login'`).Scan(&tasks); err != nil || tasks != 3 {
		t.Fatalf("%d login tasks queued, want 3 (%v)", tasks, err)
	}
	// The mail says when and from where it was asked for.
	m, _ := a.mailTo("anna@example.nl")
	if !strings.Contains(m.Text, "Gevraagd op") || !strings.Contains(m.Text, "192.0.2.x") {
		t.Fatalf("login mail does not say when and where:\n%s", m.Text)
	}

	// Anna changes her address: the old one stops at once (also a link
	// already sent to it), and gets a notice with a way back.
	_, oldLink := a.mailTo("anna@example.nl")
	if rec := a.request("POST", "/portal/email", url.Values{"new_email": {"anna.nieuw@example.nl"}}, c, nil); rec.Code != 303 {
		t.Fatalf("email change: %d", rec.Code)
	}
	_, confirm := a.mailTo("anna.nieuw@example.nl")
	if rec := a.request("POST", confirm, url.Values{}, c, nil); rec.Code != 303 {
		t.Fatalf("confirm: %d", rec.Code)
	}
	if rec := a.request("POST", oldLink, url.Values{}, nil, nil); rec.Code != 404 {
		t.Fatalf("a login link to the replaced address works: %d", rec.Code)
	}
	before := a.loginLinks("anna@example.nl")
	a.request("POST", "/portal/login", url.Values{"email": {"anna@example.nl"}}, nil, nil)
	if n := a.loginLinks("anna@example.nl"); n != before {
		t.Fatal("a login link went to the replaced address")
	}
	notice, revert := a.mailTo("anna@example.nl")
	if !strings.HasPrefix(revert, "/portal/email-revert/") || !strings.Contains(notice.Text, "a…w@example.nl") ||
		notice.Headers["Auto-Submitted"] != "auto-generated" {
		t.Fatalf("notice to the old address: %q\n%s", revert, notice.Text)
	}
	a.request("POST", "/portal/login", url.Values{"email": {"anna.nieuw@example.nl"}}, nil, nil)
	if n := a.loginLinks("anna.nieuw@example.nl"); n != 1 {
		t.Fatalf("%d login links to the new address, want 1", n)
	}
}

// TestThisWasNotMe: the notice to a replaced address undoes the change and
// logs out whoever made it.
func TestThisWasNotMe(t *testing.T) {
	a := newTestApp(t)
	r := a.seedRegistry()
	id, c := a.registerAlumnus("bram@example.nl", "Bram", r.programme.ID)
	// Someone with Bram's session changes his address to theirs.
	if rec := a.request("POST", "/portal/email", url.Values{"new_email": {"thief@example.nl"}}, c, nil); rec.Code != 303 {
		t.Fatalf("email change: %d", rec.Code)
	}
	_, confirm := a.mailTo("thief@example.nl")
	thief := a.portalCookie(confirm)
	_, revert := a.mailTo("bram@example.nl")
	a.run(t, []handlerCase{
		{name: "revert page", path: revert, wantCode: 200, wantBody: []string{"Zet mijn oude adres terug"}},
		{name: "revert", method: "POST", path: revert, form: url.Values{}, wantCode: 200, wantBody: []string{"Je oude adres is teruggezet"}},
		{name: "used once", method: "POST", path: revert, form: url.Values{}, wantCode: 404},
	})
	if rec := a.request("GET", "/portal", nil, thief, nil); rec.Code != 303 {
		t.Fatalf("the thief's session survived: %d", rec.Code)
	}
	var primary string
	var proved bool
	if err := a.pool.QueryRow(context.Background(), `SELECT email, verified_at IS NOT NULL FROM person_emails WHERE person_id = $1 AND is_primary`, id).
		Scan(&primary, &proved); err != nil || primary != "bram@example.nl" || !proved {
		t.Fatalf("primary after revert: %s %v %v", primary, proved, err)
	}
	a.request("POST", "/portal/login", url.Values{"email": {"thief@example.nl"}}, nil, nil)
	if n := a.loginLinks("thief@example.nl"); n != 0 {
		t.Fatal("the thief's address still opens the portal")
	}
	a.request("POST", "/portal/login", url.Values{"email": {"bram@example.nl"}}, nil, nil)
	if n := a.loginLinks("bram@example.nl"); n != 1 {
		t.Fatal("Bram's address does not open the portal again")
	}
}

// TestInvitationProvesOnlyTheFirstAddress: staff invite someone who never
// proved an address (accepting proves it); someone who proved one is not
// invited at another, and staff cannot redirect them through offboarding
// once the case is closed.
func TestInvitationProvesOnlyTheFirstAddress(t *testing.T) {
	a := newTestApp(t)
	r := a.seedRegistry()
	staff := a.createUser("staff")
	ctx := context.Background()
	// José was entered by staff: his address opens nothing yet.
	a.request("POST", "/portal/login", url.Values{"email": {"jose@example.nl"}}, nil, nil)
	if n := a.loginLinks("jose@example.nl"); n != 0 {
		t.Fatal("an unproved address got a login link")
	}
	if rec := a.do("POST", "/app/people/"+pid(r.inSchool)+"/invite", url.Values{}, &staff, nil); rec.Code != 303 {
		t.Fatalf("invite: %d", rec.Code)
	}
	_, inv := a.mailTo("jose@example.nl")
	if rec := a.request("POST", inv, url.Values{"first_name": {"José"}, "last_name": {"Pérez"}, "language": {"nl"}}, nil, nil); rec.Code != 303 {
		t.Fatalf("accept: %d\n%s", rec.Code, trimBody(rec.Body.String()))
	}
	a.request("POST", "/portal/login", url.Values{"email": {"jose@example.nl"}}, nil, nil)
	if n := a.loginLinks("jose@example.nl"); n != 1 {
		t.Fatal("the accepted invitation did not prove the address")
	}
	// Staff add another address and make it primary: refused, the proved
	// one stays; as another address it is taken but opens nothing.
	form := a.personForm(r.inSchool)
	form.Set("primary_email", "jose@example.nl")
	form.Set("other_emails", "jose.werk@example.nl")
	if rec := a.do("POST", "/app/people/"+pid(r.inSchool), form, &staff, nil); rec.Code != 303 {
		t.Fatalf("add address: %d", rec.Code)
	}
	var proved int
	if err := a.pool.QueryRow(ctx, `SELECT count(*) FROM person_emails WHERE person_id = $1 AND verified_at IS NOT NULL AND retired_at IS NULL`, r.inSchool).
		Scan(&proved); err != nil || proved != 1 {
		t.Fatalf("proved addresses: %d %v", proved, err)
	}
}

// TestWorkAddressStopsAtOffboarding: the invitation step of an open case
// retires the leaver's address on the organisation's own domain, even when
// they once proved it; an address they proved elsewhere is theirs, and the
// step refuses to replace it (a coordinator cannot redirect an alumnus'
// portal by offboarding them).
func TestWorkAddressStopsAtOffboarding(t *testing.T) {
	a := newTestApp(t)
	r := a.seedRegistry()
	hr := a.createUser("staff")
	coord := a.createUser("coordinator", r.school.ID)
	ctx := context.Background()
	// Ömer used the portal with his work address.
	if _, err := a.pool.Exec(ctx, `UPDATE person_emails SET email = 'omer@zorggroep.example', verified_at = now() WHERE person_id = $1`, r.inCompany); err != nil {
		t.Fatal(err)
	}
	a.request("POST", "/portal/login", url.Values{"email": {"omer@zorggroep.example"}}, nil, nil)
	_, workLink := a.mailTo("omer@zorggroep.example")
	leaving := time.Now().In(i18n.Zone()).AddDate(0, 0, 20).Format(time.DateOnly)
	path := a.startCase(hr, url.Values{"person_id": {pid(r.inCompany)}, "departure_type": {"resignation"}, "unit_id": {pid(r.company.ID)},
		"leaving_date": {leaving}})
	if rec := a.do("POST", path+"/invite", url.Values{"invite_email": {"omer.prive@example.nl"}}, &hr, nil); rec.Code != 303 {
		t.Fatalf("invitation step: %d\n%s", rec.Code, trimBody(rec.Body.String()))
	}
	if rec := a.request("POST", workLink, url.Values{}, nil, nil); rec.Code != 404 {
		t.Fatalf("a login link to the work address works after the invitation step: %d", rec.Code)
	}
	before := a.loginLinks("omer@zorggroep.example")
	a.request("POST", "/portal/login", url.Values{"email": {"omer@zorggroep.example"}}, nil, nil)
	if a.loginLinks("omer@zorggroep.example") != before {
		t.Fatal("the work address still gets login links")
	}
	for _, m := range a.sentMails() {
		if m.To == "omer@zorggroep.example" && strings.Contains(m.Text, "/portal/email-revert/") {
			t.Fatal("the work mailbox got a link to undo the change")
		}
	}

	// Anna registered herself with her own address; a coordinator opens a
	// case for her and tries to put their mailbox in the invitation step.
	anna, _ := a.registerAlumnus("anna.prive@example.nl", "Anna", r.programme.ID)
	casePath := a.startCase(coord, url.Values{"person_id": {pid(anna)}, "departure_type": {"early_leaver"}, "unit_id": {pid(r.programme.ID)},
		"leaving_date": {leaving}})
	rec := a.do("POST", casePath+"/invite", url.Values{"invite_email": {"coordinator@evil.example"}}, &coord, nil)
	if rec.Code != 422 || !strings.Contains(rec.Body.String(), "zelf een ander adres bevestigd") {
		t.Fatalf("the invitation step replaced a proved personal address: %d", rec.Code)
	}
	if n := a.mailCount("coordinator@evil.example"); n != 0 {
		t.Fatal("an invitation went to the coordinator's mailbox")
	}
	var primary string
	if err := a.pool.QueryRow(ctx, `SELECT email FROM person_emails WHERE person_id = $1 AND is_primary`, anna).Scan(&primary); err != nil || primary != "anna.prive@example.nl" {
		t.Fatalf("Anna's primary address is now %q (%v)", primary, err)
	}
}
