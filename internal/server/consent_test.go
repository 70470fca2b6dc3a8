package server

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"alumnet/internal/audit"
	"alumnet/internal/consent"
)

func (a *testApp) purpose(key string) consent.Purpose {
	a.t.Helper()
	p, err := a.srv.consent.PurposeByKey(context.Background(), key)
	if err != nil {
		a.t.Fatalf("purpose %s: %v", key, err)
	}
	return p
}

// purposeForm is a complete, valid form for purpose p as it is saved.
func purposeFormOf(p consent.Purpose) url.Values {
	return url.Values{"basis": {p.Basis}, "active": {"1"}, "sort_order": {itoa(p.SortOrder)}, "base_version": {itoa(p.Version)},
		"name_nl": {p.NameNL}, "name_en": {p.NameEN}, "text_nl": {p.TextNL}, "text_en": {p.TextEN}}
}

func TestPurposesAccess(t *testing.T) {
	a := newTestApp(t)
	r := a.seedRegistry()
	admin := a.createUser("admin")
	staff := a.createUser("staff")
	coord := a.createUser("coordinator", r.school.ID)
	nl := a.purpose("newsletter")
	edit := "/app/admin/purposes/" + pid(nl.ID)
	form := purposeFormOf(nl)
	form.Set("name_nl", "Gekaapt")
	form.Set("key", "hijack")

	var cases []handlerCase
	for path, want := range map[string]string{"/app/admin/purposes": "Nieuwsbrief", "/app/admin/purposes/new": "Nieuw toestemmingsdoel",
		edit: `value="Nieuwsbrief"`, edit + "/versions": "Versies van Nieuwsbrief"} {
		cases = append(cases,
			handlerCase{name: "anonymous GET " + path, path: path, wantCode: 303, wantLocation: "/login"},
			handlerCase{name: "staff GET " + path, as: &staff, path: path, wantCode: 403, notBody: []string{want}},
			handlerCase{name: "coordinator GET " + path, as: &coord, path: path, wantCode: 403},
			handlerCase{name: "admin GET " + path, as: &admin, path: path, wantCode: 200, wantBody: []string{want}},
		)
	}
	for _, path := range []string{"/app/admin/purposes", edit} {
		cases = append(cases,
			handlerCase{name: "anonymous POST " + path, method: "POST", path: path, form: form, wantCode: 303, wantLocation: "/login"},
			handlerCase{name: "staff POST " + path, as: &staff, method: "POST", path: path, form: form, wantCode: 403, notBody: []string{"Gekaapt"}},
			handlerCase{name: "coordinator POST " + path, as: &coord, method: "POST", path: path, form: form, wantCode: 403},
			handlerCase{name: "admin cross-site POST " + path, as: &admin, method: "POST", path: path, form: form, headers: crossSite, wantCode: 403},
		)
	}
	cases = append(cases,
		handlerCase{name: "unknown purpose", as: &admin, path: "/app/admin/purposes/999999", wantCode: 404},
		handlerCase{name: "non-numeric purpose", as: &admin, path: "/app/admin/purposes/newsletter/versions", wantCode: 404},
		handlerCase{name: "admin sees the admin area link", as: &admin, path: "/app/people", wantCode: 200, wantBody: []string{`href="/app/admin/users"`, "Beheer"}},
		handlerCase{name: "and in the admin area the purposes link", as: &admin, path: "/app/admin/users", wantCode: 200, wantBody: []string{`class="subnav"`, `href="/app/admin/purposes"`, "Toestemmingen"}},
		handlerCase{name: "staff does not", as: &staff, path: "/app/people", wantCode: 200, notBody: []string{`href="/app/admin/purposes"`}},
	)
	a.run(t, cases)

	// Nothing the refused requests sent was stored.
	if got := a.purpose("newsletter"); got.Version != 1 || got.NameNL != "Nieuwsbrief" {
		t.Fatalf("refused requests changed the purpose: %+v", got)
	}
	if _, err := a.srv.consent.PurposeByKey(context.Background(), "hijack"); err == nil {
		t.Fatal("refused request created a purpose")
	}
}

func TestPurposesAdmin(t *testing.T) {
	a := newTestApp(t)
	admin := a.createUser("admin")
	ctx := context.Background()
	valid := url.Values{"key": {"mentoring"}, "basis": {"consent"}, "active": {"1"}, "sort_order": {"80"},
		"name_nl": {"Mentorprogramma"}, "name_en": {"Mentoring programme"},
		"text_nl": {"Ja, koppel mij aan een student van mijn oude opleiding."}, "text_en": {"Yes, match me with a student of my old programme."}}
	with := func(kv ...string) url.Values {
		f := url.Values{}
		for k, v := range valid {
			f[k] = append([]string(nil), v...)
		}
		for i := 0; i+1 < len(kv); i += 2 {
			f.Set(kv[i], kv[i+1])
		}
		return f
	}

	a.run(t, []handlerCase{
		{name: "list", as: &admin, path: "/app/admin/purposes", wantCode: 200,
			wantBody: []string{"Nieuwsbrief", "<code>newsletter</code>", "Vermelding in de alumnigids", "Toestemming", "Versie 1", "Actief"}},
		{name: "new form", as: &admin, path: "/app/admin/purposes/new", wantCode: 200,
			wantBody: []string{`name="key"`, `name="basis"`, `name="active" value="1" checked`, `name="text_nl"`, `name="text_en"`, `value="80"`}},
		{name: "empty form", as: &admin, method: "POST", path: "/app/admin/purposes", form: url.Values{"basis": {"consent"}},
			wantCode: 422, wantBody: []string{"Vul dit veld in.", "Controleer de gemarkeerde velden."}},
		{name: "bad key, basis and order keep what was typed", as: &admin, method: "POST", path: "/app/admin/purposes",
			form:     with("key", "Mentor Ship", "basis", "contract", "sort_order", "tien"),
			wantCode: 422, wantBody: []string{"Gebruik kleine letters, cijfers en _", "Kies een van de opties.", "Vul een heel getal in",
				`value="mentor ship"`, `value="tien"`, `value="Mentorprogramma"`, "Ja, koppel mij aan een student van mijn oude opleiding.</textarea>"}},
		{name: "text too long", as: &admin, method: "POST", path: "/app/admin/purposes", form: with("text_en", strings.Repeat("x", 4001)),
			wantCode: 422, wantBody: []string{"Maximaal 4000 tekens."}},
		{name: "duplicate key", as: &admin, method: "POST", path: "/app/admin/purposes", form: with("key", "newsletter"),
			wantCode: 422, wantBody: []string{"Er is al een doel met deze sleutel.", `value="newsletter"`}},
		{name: "create", as: &admin, method: "POST", path: "/app/admin/purposes", form: valid, wantCode: 303, wantLocation: "/app/admin/purposes"},
		{name: "created shows in the list", as: &admin, path: "/app/admin/purposes", wantCode: 200,
			wantBody: []string{"Toestemmingsdoel Mentorprogramma aangemaakt.", "<code>mentoring</code>"}},
	})
	m := a.purpose("mentoring")
	if m.Version != 1 || !m.Active || m.SortOrder != 80 || m.NameEN != "Mentoring programme" {
		t.Fatalf("created %+v", m)
	}
	path := "/app/admin/purposes/" + pid(m.ID)
	f := purposeFormOf(m)
	f.Set("text_nl", "Ja, koppel mij aan een student.\r\n\r\nIk kan dit altijd intrekken.")
	stale := purposeFormOf(m)
	stale.Set("name_en", "Mentorship")
	a.run(t, []handlerCase{
		{name: "edit form", as: &admin, path: path, wantCode: 200,
			wantBody: []string{"Dit is versie 1", `name="base_version" value="1"`, "<code>mentoring</code>"}, notBody: []string{`name="key"`}},
		{name: "blank name keeps typed text", as: &admin, method: "POST", path: path, form: func() url.Values {
			g := purposeFormOf(m)
			g.Set("name_nl", " ")
			g.Set("text_en", "Typed but not saved.")
			return g
		}(), wantCode: 422, wantBody: []string{"Vul dit veld in.", "Typed but not saved.</textarea>"}},
		{name: "unchanged save keeps version", as: &admin, method: "POST", path: path, form: purposeFormOf(m), wantCode: 303},
		{name: "flash without new version", as: &admin, path: "/app/admin/purposes", wantCode: 200,
			wantBody: []string{"Toestemmingsdoel Mentorprogramma opgeslagen."}, notBody: []string{"nu versie"}},
		{name: "new text", as: &admin, method: "POST", path: path, form: f, wantCode: 303, wantLocation: "/app/admin/purposes"},
		{name: "flash names the new version", as: &admin, path: "/app/admin/purposes", wantCode: 200,
			wantBody: []string{"de teksten zijn nu versie 2", "Versie 2"}},
		{name: "editing from version 1 conflicts and keeps input", as: &admin, method: "POST", path: path, form: stale, wantCode: 409,
			wantBody: []string{"Iemand anders heeft intussen versie 2 opgeslagen", `value="Mentorship"`, `name="base_version" value="2"`}},
		{name: "versions page keeps both", as: &admin, path: path + "/versions", wantCode: 200,
			wantBody: []string{"Versies van Mentorprogramma", "Versie 2", "huidige versie", "Versie 1", "Ik kan dit altijd intrekken.",
				"Ja, koppel mij aan een student van mijn oude opleiding.", "door " + admin.Name}},
	})
	off := purposeFormOf(a.purpose("mentoring"))
	off.Del("active")
	a.run(t, []handlerCase{
		{name: "switch off", as: &admin, method: "POST", path: path, form: off, wantCode: 303},
		{name: "shown as switched off", as: &admin, path: "/app/admin/purposes", wantCode: 200, wantBody: []string{"Uitgeschakeld"}},
		{name: "audit page", as: &admin, path: "/app/admin/audit?action=consent_purpose.update", wantCode: 200,
			wantBody: []string{"Toestemmingsdoel gewijzigd", "tekst (nl), versie: 1 → 2", "actief: true → false", `href="` + path + `"`}},
	})
	got := a.purpose("mentoring")
	if got.Version != 2 || got.Active || got.TextNL != "Ja, koppel mij aan een student.\n\nIk kan dit altijd intrekken." || got.NameEN != "Mentoring programme" {
		t.Fatalf("after edits: %+v", got)
	}
	entries, _, err := a.srv.audit.List(ctx, audit.Filter{ActorID: admin.ID, ExcludeActions: sessionActions})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Action)
	}
	if want := "consent_purpose.update,consent_purpose.update,consent_purpose.create"; strings.Join(actions, ",") != want {
		t.Errorf("audit actions %v, want %s", actions, want)
	}
}

func TestPersonConsents(t *testing.T) {
	a := newTestApp(t)
	r := a.seedRegistry()
	staff := a.createUser("staff")
	coord := a.createUser("coordinator", r.school.ID)
	ctx := context.Background()
	nl, ev := a.purpose("newsletter"), a.purpose("events")
	mine, other := "/app/people/"+pid(r.inSchool), "/app/people/"+pid(r.inCompany)
	grant := url.Values{"purpose_id": {pid(nl.ID)}, "action": {"grant"}, "note": {"Papieren formulier, reünie 14 maart"}}

	// Switch off one purpose: it is neither shown nor offered.
	surveys := a.purpose("surveys")
	in := consent.InputOf(surveys)
	in.Active = false
	if _, err := a.srv.consent.UpdatePurpose(ctx, 0, surveys.ID, in); err != nil {
		t.Fatal(err)
	}

	a.run(t, []handlerCase{
		{name: "card on the person page", as: &coord, path: mine, wantCode: 200,
			wantBody: []string{"Toestemmingen", "Nieuwsbrief", "Niet gegeven", "Nog niets vastgelegd.", `action="` + mine + `/consents"`, `name="note"`},
			notBody:  []string{"Onderzoek en enquêtes"}},
		{name: "anonymous", method: "POST", path: mine + "/consents", form: grant, wantCode: 303, wantLocation: "/login"},
		{name: "coordinator outside own units gets 404", as: &coord, method: "POST", path: other + "/consents", form: grant, wantCode: 404,
			notBody: []string{"Yilmaz"}},
		{name: "unknown person", as: &staff, method: "POST", path: "/app/people/999999/consents", form: grant, wantCode: 404},
		{name: "cross-site", as: &staff, method: "POST", path: mine + "/consents", form: grant, headers: crossSite, wantCode: 403},
		{name: "GET not allowed", as: &staff, path: mine + "/consents", wantCode: 405},
		{name: "missing note keeps what was chosen", as: &coord, method: "POST", path: mine + "/consents",
			form:     url.Values{"purpose_id": {pid(ev.ID)}, "action": {"withdraw"}, "note": {"  "}},
			wantCode: 422, wantBody: []string{"Vul dit veld in.", `<option value="` + pid(ev.ID) + `" selected`, `<option value="withdraw" selected`, "<details open"}},
		{name: "switched-off or unknown purpose and action refused, note kept", as: &coord, method: "POST", path: mine + "/consents",
			form:     url.Values{"purpose_id": {pid(surveys.ID)}, "action": {"maybe"}, "note": {"Belde zelf op"}},
			wantCode: 422, wantBody: []string{"Kies een van de opties.", "Belde zelf op</textarea>"}},
		{name: "no purpose chosen", as: &coord, method: "POST", path: mine + "/consents", form: url.Values{"action": {"grant"}, "note": {"x"}},
			wantCode: 422, wantBody: []string{"Vul dit veld in."}},
	})
	var n int
	if err := a.pool.QueryRow(ctx, `SELECT count(*) FROM consent_ledger`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("refused requests wrote %d ledger rows, %v", n, err)
	}

	a.run(t, []handlerCase{
		{name: "record consent", as: &coord, method: "POST", path: mine + "/consents", form: grant, wantCode: 303, wantLocation: mine + "#consent"},
		{name: "shown with history, flash and timeline", as: &coord, path: mine, wantCode: 200,
			wantBody: []string{"Toestemming voor ‘Nieuwsbrief’ vastgelegd.", "Toestemming gegeven", "Nieuwsbrief: gegeven", "Papieren formulier, reünie 14 maart",
				"vastgelegd door " + coord.Name, "tekstversie 1", "Medewerker"}},
		{name: "record withdrawal", as: &staff, method: "POST", path: mine + "/consents",
			form: url.Values{"purpose_id": {pid(nl.ID)}, "action": {"withdraw"}, "note": {"Mail van 20 maart: wil geen nieuwsbrief meer"}}, wantCode: 303},
		{name: "withdrawal shown", as: &staff, path: mine, wantCode: 200,
			wantBody: []string{"Ingetrokken", "Nieuwsbrief: ingetrokken", "wil geen nieuwsbrief meer", "Intrekking toestemming vastgelegd"}},
	})

	d, err := a.srv.consent.MayUse(ctx, r.inSchool, "newsletter")
	if err != nil || d.Allowed || d.Reason != consent.ReasonWithdrawn || d.Row.Source != consent.SourceStaff || *d.Row.ActorUserID != staff.ID {
		t.Fatalf("after withdrawal: %+v, %v", d, err)
	}
	h, err := a.srv.consent.History(ctx, r.inSchool)
	if err != nil || len(h) != 2 || !h[1].Granted || *h[1].ActorUserID != coord.ID {
		t.Fatalf("history %+v, %v", h, err)
	}
	entries, _, err := a.srv.audit.List(ctx, audit.Filter{PersonID: r.inSchool, ExcludeActions: []string{"person.view"}})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Action)
	}
	if got := strings.Join(actions, ","); !strings.HasPrefix(got, "consent.withdraw,consent.grant") {
		t.Errorf("person's audit entries %s", got)
	}
}
