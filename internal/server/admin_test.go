package server

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"alumnet/internal/audit"
	"alumnet/internal/i18n"
	"alumnet/internal/mail"
)

// TestAdminAccess tries every admin route as each kind of visitor.
func TestAdminAccess(t *testing.T) {
	a := newTestApp(t)
	r := a.seedRegistry()
	admin := a.createUser("admin")
	staff := a.createUser("staff")
	coord := a.createUser("coordinator", r.school.ID)
	if err := a.outbox.Send(context.Background(), mail.Message{To: "x@example.nl", Subject: "Hallo", Text: "Tekst"}); err != nil {
		t.Fatal(err)
	}
	mails := a.sentMails()
	user, unit, msg := "/app/admin/users/"+pid(staff.ID), "/app/admin/units/"+pid(r.school.ID), "/app/admin/outbox/"+pid(mails[0].ID)

	type route struct{ method, path string }
	gets := []route{{"GET", "/app/admin/"}, {"GET", "/app/admin/users"}, {"GET", "/app/admin/users/new"}, {"GET", user},
		{"GET", "/app/admin/units"}, {"GET", "/app/admin/units/new"}, {"GET", unit}, {"GET", "/app/admin/audit"},
		{"GET", "/app/admin/outbox"}, {"GET", msg}}
	posts := []route{{"POST", "/app/admin/users"}, {"POST", user}, {"POST", user + "/resend"}, {"POST", user + "/deactivate"},
		{"POST", user + "/reactivate"}, {"POST", "/app/admin/units"}, {"POST", unit}, {"POST", unit + "/archive"}, {"POST", unit + "/restore"}}

	var cases []handlerCase
	for _, rt := range append(gets, posts...) {
		var form url.Values
		if rt.method == "POST" {
			form = url.Values{"name": {"Eve"}, "role": {"admin"}, "kind": {"organisation"}}
		}
		cases = append(cases,
			handlerCase{name: "anonymous " + rt.method + " " + rt.path, method: rt.method, path: rt.path, form: form, wantCode: 303, wantLocation: "/login"},
			handlerCase{name: "staff " + rt.method + " " + rt.path, as: &staff, method: rt.method, path: rt.path, form: form, wantCode: 403, notBody: []string{"Eve"}},
			handlerCase{name: "coordinator " + rt.method + " " + rt.path, as: &coord, method: rt.method, path: rt.path, form: form, wantCode: 403},
		)
		if rt.path == "/app/admin/" {
			cases = append(cases, handlerCase{name: "admin home goes to users", as: &admin, path: rt.path, wantCode: 303, wantLocation: "/app/admin/users"})
		} else if rt.method == "GET" {
			cases = append(cases, handlerCase{name: "admin " + rt.path, as: &admin, path: rt.path, wantCode: 200})
		} else {
			cases = append(cases, handlerCase{name: "admin cross-site " + rt.path, as: &admin, method: "POST", path: rt.path, form: form,
				headers: crossSite, wantCode: 403})
		}
	}
	cases = append(cases,
		handlerCase{name: "unknown user", as: &admin, path: "/app/admin/users/999999", wantCode: 404},
		handlerCase{name: "unknown unit", as: &admin, path: "/app/admin/units/x", wantCode: 404},
		handlerCase{name: "unknown mail", as: &admin, path: "/app/admin/outbox/999999", wantCode: 404},
		handlerCase{name: "deactivate through GET", as: &admin, path: user + "/deactivate", wantCode: 405},
		handlerCase{name: "staff sees no admin link", as: &staff, path: "/app/people", wantCode: 200, notBody: []string{`href="/app/admin/users"`, `href="/app/admin/audit"`}},
	)
	a.run(t, cases)

	// Nothing the refused requests sent was stored.
	var n int
	if err := a.pool.QueryRow(context.Background(), `SELECT count(*) FROM users WHERE name = 'Eve'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("refused requests changed users: %d, %v", n, err)
	}
	got, err := a.srv.users.UserByID(context.Background(), staff.ID)
	if err != nil || !got.Active() || got.Role != "staff" {
		t.Fatalf("staff user changed by refused requests: %+v %v", got, err)
	}
}

var linkRE = regexp.MustCompile(`http://alumnet\.test/set-password/[A-Za-z0-9_-]+`)

// inviteLink returns the set-password link of the newest mail to addr.
func (a *testApp) inviteLink(addr string) (mail.Stored, string) {
	a.t.Helper()
	for _, m := range a.sentMails() {
		if m.To == addr {
			link := linkRE.FindString(m.Text)
			if link == "" || !strings.Contains(m.HTML, link) {
				a.t.Fatalf("mail to %s has no set-password link in text and HTML:\n%s", addr, m.Text)
			}
			return m, strings.TrimPrefix(link, "http://alumnet.test")
		}
	}
	a.t.Fatalf("no mail to %s", addr)
	return mail.Stored{}, ""
}

func TestInviteUser(t *testing.T) {
	a := newTestApp(t)
	r := a.seedRegistry()
	admin := a.createUser("admin")

	a.run(t, []handlerCase{
		{name: "form", as: &admin, path: "/app/admin/users/new", wantCode: 200,
			wantBody: []string{`name="email"`, `name="name"`, `name="role"`, `name="language"`, `name="units"`, "Groenhorst College", "Dierverzorging"}},
		{name: "empty form", as: &admin, method: "POST", path: "/app/admin/users", form: url.Values{"role": {"staff"}, "language": {"nl"}},
			wantCode: 422, wantBody: []string{"Vul dit veld in."}},
		{name: "bad e-mail and coordinator without units keep what was typed", as: &admin, method: "POST", path: "/app/admin/users",
			form:     url.Values{"email": {"anna@"}, "name": {"Anna de Wit"}, "role": {"coordinator"}, "language": {"en"}},
			wantCode: 422, wantBody: []string{"Vul een geldig e-mailadres in", "Kies minstens één eenheid voor een coördinator.", `value="anna@"`, `value="Anna de Wit"`}},
		{name: "unknown unit and role refused", as: &admin, method: "POST", path: "/app/admin/users",
			form:     url.Values{"email": {"anna@example.nl"}, "name": {"Anna"}, "role": {"root"}, "language": {"nl"}, "units": {"999999"}},
			wantCode: 422, wantBody: []string{"Kies een van de opties."}},
		{name: "duplicate e-mail", as: &admin, method: "POST", path: "/app/admin/users",
			form:     url.Values{"email": {strings.ToUpper(admin.Email)}, "name": {"Copy"}, "role": {"staff"}, "language": {"nl"}},
			wantCode: 422, wantBody: []string{"Er is al een gebruiker met dit e-mailadres."}},
		{name: "invite coordinator", as: &admin, method: "POST", path: "/app/admin/users",
			form:     url.Values{"email": {" Anna@Example.NL "}, "name": {"Anna de Wit"}, "role": {"coordinator"}, "language": {"en"}, "units": {pid(r.programme.ID)}},
			wantCode: 303, wantLocation: "/app/admin/users"},
		{name: "list shows invited user with unit", as: &admin, path: "/app/admin/users", wantCode: 200,
			wantBody: []string{"Anna de Wit", "anna@example.nl", "Uitgenodigd", "Dierverzorging", "Uitnodiging verstuurd naar anna@example.nl."}},
	})

	anna, err := a.srv.users.UserByEmail(context.Background(), "anna@example.nl")
	if err != nil || anna.Role != "coordinator" || anna.HasPassword() || len(anna.UnitIDs) != 1 || anna.UnitIDs[0] != r.programme.ID {
		t.Fatalf("invited user: %+v, %v", anna, err)
	}
	m, link := a.inviteLink("anna@example.nl")
	if m.Subject != "Your invitation to Alumnet" || !strings.Contains(m.Text, "Hello Anna de Wit") || !strings.Contains(m.Text, admin.Name+" has invited you") {
		t.Errorf("invitation not in English or without names: %q\n%s", m.Subject, m.Text)
	}
	entries, _, err := a.srv.audit.List(context.Background(), audit.Filter{Action: "user.invite"})
	if err != nil || len(entries) != 1 || *entries[0].EntityID != anna.ID || *entries[0].ActorID != admin.ID {
		t.Fatalf("invite audit: %+v, %v", entries, err)
	}

	// The link leads to the password form; a weak password is refused, a
	// good one sets it; the link then stops working.
	a.run(t, []handlerCase{
		{name: "set-password form in the invitee's language", path: link, wantCode: 200, wantBody: []string{"anna@example.nl", `name="password"`, "Set your password"}},
		{name: "unless the visitor chose one", path: link, headers: map[string]string{"Cookie": "lang=nl"}, wantCode: 200, wantBody: []string{"Wachtwoord instellen"}},
		{name: "common password refused", method: "POST", path: link, form: url.Values{"password": {"password1234"}, "confirm": {"password1234"}},
			wantCode: 422, wantBody: []string{"too common"}},
		{name: "mismatch refused", method: "POST", path: link, form: url.Values{"password": {testPassword}, "confirm": {testPassword + "!"}},
			wantCode: 422, wantBody: []string{"not the same"}},
		{name: "password set", method: "POST", path: link, form: url.Values{"password": {testPassword}, "confirm": {testPassword}},
			wantCode: 303, wantLocation: "/login"},
		{name: "link used once", path: link, wantCode: 404, wantBody: []string{"verlopen of al gebruikt"}},
		{name: "forged link", path: "/set-password/abcdefghijklmnopqrstuvwxyz", wantCode: 404},
	})
	anna, _ = a.srv.users.UserByID(context.Background(), anna.ID)
	a.run(t, []handlerCase{
		{name: "coordinator logs in and sees own unit only", as: &anna, path: "/app/people", wantCode: 200,
			wantBody: []string{"José Pérez"}, notBody: []string{"Yilmaz"}},
	})
}

func TestEditUser(t *testing.T) {
	a := newTestApp(t)
	r := a.seedRegistry()
	admin := a.createUser("admin")
	staff := a.createUser("staff")
	path := "/app/admin/users/" + pid(staff.ID)
	mine := "/app/admin/users/" + pid(admin.ID)

	a.run(t, []handlerCase{
		{name: "edit form", as: &admin, path: path, wantCode: 200, wantBody: []string{staff.Email, `value="` + staff.Name + `"`, "Deactiveren"}},
		{name: "staff uses the app", as: &staff, path: "/app/people", wantCode: 200},
		{name: "coordinator without units refused, typed name kept", as: &admin, method: "POST", path: path,
			form: url.Values{"email": {staff.Email}, "name": {"Sam Smit"}, "role": {"coordinator"}}, wantCode: 422, wantBody: []string{"Kies minstens één eenheid", `value="Sam Smit"`}},
		{name: "make coordinator of the school", as: &admin, method: "POST", path: path,
			form: url.Values{"email": {staff.Email}, "name": {"Sam Smit"}, "role": {"coordinator"}, "units": {pid(r.school.ID)}}, wantCode: 303, wantLocation: "/app/admin/users"},
		{name: "the change applies at once", as: &staff, path: "/app/people/" + pid(r.inCompany), wantCode: 404},
		{name: "last admin cannot give up the role", as: &admin, method: "POST", path: mine,
			form: url.Values{"email": {admin.Email}, "name": {admin.Name}, "role": {"staff"}}, wantCode: 422, wantBody: []string{"laatste actieve beheerder"}},
		{name: "cannot deactivate self", as: &admin, method: "POST", path: mine + "/deactivate", wantCode: 422, wantBody: []string{"eigen account niet deactiveren"}},
		{name: "resend refused for a user with a password", as: &admin, method: "POST", path: path + "/resend", wantCode: 422, wantBody: []string{"al een wachtwoord"}},
		{name: "deactivate", as: &admin, method: "POST", path: path + "/deactivate", wantCode: 303, wantLocation: path},
		{name: "deactivated user's session ends", as: &staff, path: "/app/people", wantCode: 303, wantLocation: "/login"},
		{name: "shown as deactivated", as: &admin, path: "/app/admin/users", wantCode: 200, wantBody: []string{"Gedeactiveerd", "Sam Smit"}},
		{name: "reactivate", as: &admin, method: "POST", path: path + "/reactivate", wantCode: 303, wantLocation: path},
	})
	got, err := a.srv.users.UserByID(context.Background(), staff.ID)
	if err != nil || got.Name != "Sam Smit" || got.Role != "coordinator" || !got.Active() || len(got.UnitIDs) != 1 {
		t.Fatalf("after edits: %+v, %v", got, err)
	}
	// The deactivated user's old session stays dead; a new login works.
	delete(a.cookies, staff.ID)
	a.run(t, []handlerCase{{name: "login again after reactivation", as: &staff, path: "/app/people", wantCode: 200,
		wantBody: []string{"José Pérez"}, notBody: []string{"Yilmaz"}}})

	// With a second admin, the first may step down.
	other := a.createUser("admin")
	a.run(t, []handlerCase{
		{name: "step down with another admin present", as: &admin, method: "POST", path: mine,
			form: url.Values{"email": {admin.Email}, "name": {admin.Name}, "role": {"staff"}}, wantCode: 303, wantLocation: "/app"},
		{name: "no longer in the admin area", as: &admin, path: "/app/admin/users", wantCode: 403},
		{name: "the other admin is now the last", as: &other, method: "POST", path: "/app/admin/users/" + pid(other.ID),
			form: url.Values{"email": {other.Email}, "name": {other.Name}, "role": {"coordinator"}, "units": {pid(r.school.ID)}}, wantCode: 422},
	})

	var actions []string
	entries, _, err := a.srv.audit.List(context.Background(), audit.Filter{ExcludeActions: sessionActions})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Entity == "user" {
			actions = append(actions, e.Action)
		}
	}
	want := []string{"user.update", "user.reactivate", "user.deactivate", "user.update"}
	if strings.Join(actions, ",") != strings.Join(want, ",") {
		t.Errorf("user audit actions %v, want %v", actions, want)
	}
	upd := entries[len(entries)-1]
	for _, e := range entries {
		if e.Action == "user.update" && *e.EntityID == staff.ID {
			upd = e
		}
	}
	ch, _ := upd.Details["changes"].(map[string]any)
	if ch["role"] == nil || ch["name"] == nil || ch["units"] == nil {
		t.Errorf("update audit lacks changes: %v", upd.Details)
	}
}

func TestResendInvitation(t *testing.T) {
	a := newTestApp(t)
	admin := a.createUser("admin")
	rec := a.do("POST", "/app/admin/users", url.Values{"email": {"bas@example.nl"}, "name": {"Bas"}, "role": {"staff"}, "language": {"nl"}}, &admin, nil)
	if rec.Code != 303 {
		t.Fatalf("invite: %d %s", rec.Code, trimBody(rec.Body.String()))
	}
	first, oldLink := a.inviteLink("bas@example.nl")
	if first.Subject != "Je uitnodiging voor Alumnet" {
		t.Errorf("Dutch invitation subject = %q", first.Subject)
	}
	bas, err := a.srv.users.UserByEmail(context.Background(), "bas@example.nl")
	if err != nil {
		t.Fatal(err)
	}
	path := "/app/admin/users/" + pid(bas.ID)
	a.run(t, []handlerCase{
		{name: "edit page offers resend", as: &admin, path: path, wantCode: 200, wantBody: []string{"Uitnodiging opnieuw versturen"}},
		{name: "resend", as: &admin, method: "POST", path: path + "/resend", wantCode: 303, wantLocation: path},
	})
	_, newLink := a.inviteLink("bas@example.nl")
	if newLink == oldLink {
		t.Fatal("resend reused the old link")
	}
	a.run(t, []handlerCase{
		{name: "old link stopped working", path: oldLink, wantCode: 404},
		{name: "new link works", path: newLink, wantCode: 200},
	})
	// An expired link does not work either.
	if _, err := a.pool.Exec(context.Background(), `UPDATE user_tokens SET expires_at = now() - interval '1 minute'`); err != nil {
		t.Fatal(err)
	}
	a.run(t, []handlerCase{{name: "expired link", path: newLink, wantCode: 404}})
}

func TestUnitsAdmin(t *testing.T) {
	a := newTestApp(t)
	admin := a.createUser("admin")
	ctx := context.Background()

	a.run(t, []handlerCase{
		{name: "empty tree", as: &admin, path: "/app/admin/units", wantCode: 200, wantBody: []string{"Nog geen eenheden"}},
		{name: "create needs name and kind", as: &admin, method: "POST", path: "/app/admin/units", form: url.Values{"name": {" "}, "kind": {"planet"}},
			wantCode: 422, wantBody: []string{"Vul dit veld in.", "Kies een van de opties."}},
		{name: "create root", as: &admin, method: "POST", path: "/app/admin/units", form: url.Values{"name": {"ROC Rijnland"}, "kind": {"organisation"}},
			wantCode: 303, wantLocation: "/app/admin/units"},
	})
	all, err := a.srv.units.All(ctx, true)
	if err != nil || len(all) != 1 {
		t.Fatalf("units %v, %v", all, err)
	}
	root := all[0]
	a.run(t, []handlerCase{
		{name: "create location", as: &admin, method: "POST", path: "/app/admin/units", form: url.Values{"name": {"Leiden"}, "kind": {"location"}, "parent_id": {pid(root.ID)}},
			wantCode: 303},
		{name: "duplicate at the same place keeps input", as: &admin, method: "POST", path: "/app/admin/units",
			form: url.Values{"name": {"leiden"}, "kind": {"location"}, "parent_id": {pid(root.ID)}}, wantCode: 422,
			wantBody: []string{"bestaat al een eenheid met deze naam", `value="leiden"`}},
		{name: "unknown parent", as: &admin, method: "POST", path: "/app/admin/units", form: url.Values{"name": {"X"}, "kind": {"team"}, "parent_id": {"999999"}},
			wantCode: 422, wantBody: []string{"Kies een bestaande, actieve eenheid."}},
	})
	all, _ = a.srv.units.All(ctx, true)
	leiden := all[1]
	a.run(t, []handlerCase{
		{name: "create programme", as: &admin, method: "POST", path: "/app/admin/units", form: url.Values{"name": {"Verpleegkunde"}, "kind": {"programme"}, "parent_id": {pid(leiden.ID)}},
			wantCode: 303},
		{name: "tree shows nesting", as: &admin, path: "/app/admin/units", wantCode: 200, wantBody: []string{"ROC Rijnland", "Leiden", "Verpleegkunde"}},
		{name: "edit form cannot offer own subtree as parent", as: &admin, path: "/app/admin/units/" + pid(root.ID), wantCode: 200,
			notBody: []string{`<option value="` + pid(leiden.ID) + `"`}},
		{name: "move below own child refused", as: &admin, method: "POST", path: "/app/admin/units/" + pid(root.ID),
			form: url.Values{"name": {"ROC Rijnland"}, "kind": {"organisation"}, "parent_id": {pid(leiden.ID)}}, wantCode: 422,
			wantBody: []string{"niet onder zichzelf"}},
		{name: "rename and move to top level", as: &admin, method: "POST", path: "/app/admin/units/" + pid(leiden.ID),
			form: url.Values{"name": {"Locatie Leiden"}, "kind": {"location"}, "parent_id": {""}}, wantCode: 303},
	})
	all, _ = a.srv.units.All(ctx, true)
	for _, u := range all {
		if u.Name == "Verpleegkunde" && (len(u.Path) != 2 || u.Path[0] != leiden.ID) {
			t.Errorf("child path after move: %v", u.Path)
		}
	}
	a.run(t, []handlerCase{
		{name: "archive", as: &admin, method: "POST", path: "/app/admin/units/" + pid(leiden.ID) + "/archive", wantCode: 303},
		{name: "archived hidden", as: &admin, path: "/app/admin/units", wantCode: 200, wantBody: []string{"Locatie Leiden en alles eronder is gearchiveerd"},
			notBody: []string{">Verpleegkunde</a>", ">Locatie Leiden</a>"}},
		{name: "archived shown on request", as: &admin, path: "/app/admin/units?archived=1", wantCode: 200, wantBody: []string{"Verpleegkunde", "gearchiveerd"}},
		{name: "archived unit not a parent choice", as: &admin, method: "POST", path: "/app/admin/units",
			form: url.Values{"name": {"Team"}, "kind": {"team"}, "parent_id": {pid(leiden.ID)}}, wantCode: 422},
		{name: "restore", as: &admin, method: "POST", path: "/app/admin/units/" + pid(leiden.ID) + "/restore", wantCode: 303},
		{name: "restored shown", as: &admin, path: "/app/admin/units", wantCode: 200, wantBody: []string{"Verpleegkunde", "Locatie Leiden"}},
	})
	entries, _, err := a.srv.audit.List(ctx, audit.Filter{ActorID: admin.ID, ExcludeActions: sessionActions})
	if err != nil || len(entries) != 6 { // three creates, an update, archive, restore
		t.Fatalf("unit audit entries %d, %v", len(entries), err)
	}
}

func TestAuditPage(t *testing.T) {
	a := newTestApp(t)
	r := a.seedRegistry()
	admin := a.createUser("admin")
	staff := a.createUser("staff")
	a.do("GET", "/app/people/"+pid(r.inSchool), nil, &staff, nil)
	a.do("GET", "/app/people/"+pid(r.inCompany), nil, &admin, nil)
	a.do("POST", "/app/people/"+pid(r.inCompany)+"/affiliations", url.Values{"aff_kind": {"study"}, "aff_unit_id": {pid(r.programme.ID)},
		"aff_leaving_reason": {"graduated"}}, &staff, nil)
	today := time.Now().In(i18n.Zone()).Format(time.DateOnly)
	yesterday := time.Now().In(i18n.Zone()).AddDate(0, 0, -1).Format(time.DateOnly)

	a.run(t, []handlerCase{
		{name: "all entries", as: &admin, path: "/app/admin/audit", wantCode: 200,
			wantBody: []string{"Persoonsgegevens bekeken", "Band toegevoegd", staff.Name, admin.Name, "Gediplomeerd", "reden vertrek"},
			notBody:  []string{"leaving_reason", "audit.action"}},
		{name: "by user", as: &admin, path: "/app/admin/audit?user=" + pid(staff.ID), wantCode: 200,
			wantBody: []string{"Band toegevoegd", `href="/app/people/` + pid(r.inSchool) + `"`}, notBody: []string{"<td data-label=\"Wie\">" + admin.Name}},
		{name: "by person", as: &admin, path: "/app/admin/audit?person=" + pid(r.inSchool), wantCode: 200,
			wantBody: []string{`href="/app/people/` + pid(r.inSchool) + `"`}, notBody: []string{`href="/app/people/` + pid(r.inCompany) + `"`}},
		{name: "by action", as: &admin, path: "/app/admin/audit?action=affiliation.create", wantCode: 200,
			wantBody: []string{"Band toegevoegd"}, notBody: []string{"Persoonsgegevens bekeken</span>"}},
		{name: "today", as: &admin, path: "/app/admin/audit?from=" + today + "&to=" + today, wantCode: 200, wantBody: []string{"Band toegevoegd"}},
		{name: "yesterday only", as: &admin, path: "/app/admin/audit?to=" + yesterday, wantCode: 200, wantBody: []string{"Niets gevonden met deze filters."}},
		{name: "bad date keeps filter", as: &admin, path: "/app/admin/audit?from=31-12-2025&person=abc", wantCode: 422,
			wantBody: []string{"Vul een datum in als jjjj-mm-dd.", "alleen cijfers", `value="31-12-2025"`}},
		{name: "range reversed", as: &admin, path: "/app/admin/audit?from=" + today + "&to=" + yesterday, wantCode: 422, wantBody: []string{"vóór de begindatum"}},
		{name: "unknown action", as: &admin, path: "/app/admin/audit?action=drop", wantCode: 422},
	})
	// Unit ids show as names, empty values are left out.
	a.run(t, []handlerCase{{name: "details readable", as: &admin, path: "/app/admin/audit?action=affiliation.create", wantCode: 200,
		wantBody: []string{"soort: Opleiding · reden vertrek: Gediplomeerd · eenheid: Dierverzorging"}, notBody: []string{"rol: —"}}})
	if err := a.srv.users.SetLanguage(context.Background(), admin.ID, "en"); err != nil {
		t.Fatal(err)
	}
	a.run(t, []handlerCase{{name: "in English", as: &admin, path: "/app/admin/audit", wantCode: 200,
		wantBody: []string{"Audit log", "Viewed person record", "Added affiliation", "Graduated", "leaving reason"}}})
	if err := a.srv.users.SetLanguage(context.Background(), admin.ID, "nl"); err != nil {
		t.Fatal(err)
	}

	// Paging: 60 more entries give a "next" link; the second page holds the
	// rest and links back to the first.
	for range 60 {
		if err := a.srv.audit.Write(context.Background(), audit.Record{ActorID: admin.ID, Action: "person.view", PersonID: r.inSchool,
			Entity: "person", EntityID: r.inSchool}); err != nil {
			t.Fatal(err)
		}
	}
	rec := a.do("GET", "/app/admin/audit", nil, &admin, nil)
	next := regexp.MustCompile(`rel="next" href="([^"]+)"`).FindStringSubmatch(rec.Body.String())
	if next == nil {
		t.Fatal("no next-page link on a full page")
	}
	if got := strings.Count(rec.Body.String(), `data-label="Actie"`); got != auditPageSize {
		t.Errorf("first page has %d rows, want %d", got, auditPageSize)
	}
	var total int
	if err := a.pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log`).Scan(&total); err != nil {
		t.Fatal(err)
	}
	rec = a.do("GET", strings.ReplaceAll(next[1], "&amp;", "&"), nil, &admin, nil)
	if got := strings.Count(rec.Body.String(), `data-label="Actie"`); rec.Code != 200 || got != total-auditPageSize {
		t.Errorf("second page: status %d, %d rows, want %d", rec.Code, got, total-auditPageSize)
	}
	if strings.Contains(rec.Body.String(), `rel="next"`) || !strings.Contains(rec.Body.String(), `href="/app/admin/audit"`) {
		t.Error("last page should link back to the first and not onward")
	}
}

func TestOutboxPage(t *testing.T) {
	a := newTestApp(t)
	admin := a.createUser("admin")
	a.run(t, []handlerCase{{name: "empty outbox", as: &admin, path: "/app/admin/outbox", wantCode: 200, wantBody: []string{"Er is nog geen mail verstuurd."}}})
	m := mail.Message{To: "lotte@example.nl", Subject: `Welkom <script>alert(1)</script>`, Text: "Hallo Lotte,\nklik hier: https://alumnet.test/x?a=1&b=2.\njavascript:alert(1)",
		HTML: `<p onclick="x()">Hallo <b>Lotte</b></p>`, Headers: map[string]string{"List-Unsubscribe": "<https://alumnet.test/u/1>"}}
	if err := a.outbox.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	id := a.sentMails()[0].ID
	a.run(t, []handlerCase{
		{name: "list", as: &admin, path: "/app/admin/outbox", wantCode: 200,
			wantBody: []string{"lotte@example.nl", "Welkom &lt;script&gt;", "/app/admin/outbox/" + pid(id)}, notBody: []string{"<script>alert"}},
		{name: "show escapes everything", as: &admin, path: "/app/admin/outbox/" + pid(id), wantCode: 200,
			wantBody: []string{"Hallo Lotte,", "&lt;p onclick=", "List-Unsubscribe", "https://alumnet.test/u/1",
				`klik hier: <a href="https://alumnet.test/x?a=1&amp;b=2">https://alumnet.test/x?a=1&amp;b=2</a>.`},
			notBody: []string{"<script>alert", `<p onclick`, "<b>Lotte</b>", `href="javascript`}},
	})
}

// TestAuditActionsAreTranslated keeps the filter's list of actions complete:
// every action the code writes has a label (the catalogue test checks both
// languages).
func TestAuditActionsAreTranslated(t *testing.T) {
	known := map[string]bool{}
	for _, a := range auditActions() {
		known[a] = true
	}
	written := regexp.MustCompile(`Action:\s*"([a-z_.]+)"|action(?:, flash)?(?:, target)? = "([a-z_.]+)"`)
	files, err := filepath.Glob("../*/*.go")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range written.FindAllStringSubmatch(string(src), -1) {
			action := m[1] + m[2]
			n++
			if !known[action] {
				t.Errorf("%s writes audit action %q, which has no label audit.action.%s", f, action, action)
			}
		}
	}
	if n < 10 {
		t.Fatalf("found only %d audit writes; the pattern no longer matches the code", n)
	}
}
