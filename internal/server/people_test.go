package server

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"alumnet/internal/people"
	"alumnet/internal/units"
)

// registry sets up two organisations with a person in each.
type registry struct {
	school, programme, company units.Unit
	inSchool, inCompany        int64
}

func (a *testApp) seedRegistry() registry {
	a.t.Helper()
	ctx := context.Background()
	var r registry
	var err error
	if r.school, err = a.srv.units.Create(ctx, 0, nil, "Groenhorst College", "organisation"); err != nil {
		a.t.Fatal(err)
	}
	if r.programme, err = a.srv.units.Create(ctx, 0, &r.school.ID, "Dierverzorging", "programme"); err != nil {
		a.t.Fatal(err)
	}
	if r.company, err = a.srv.units.Create(ctx, 0, nil, "Zorggroep De Linde", "organisation"); err != nil {
		a.t.Fatal(err)
	}
	mk := func(first, last, email string, u units.Unit, kind string) int64 {
		in := people.Input{FirstName: first, LastName: last, PrimaryEmail: email, Language: "nl"}
		in.Normalize()
		id, err := a.srv.people.CreatePerson(ctx, units.Everyone(), 0, in, &people.AffiliationInput{Kind: kind, UnitID: strconv.FormatInt(u.ID, 10),
			StartDate: "2016-09-01", EndDate: "2020-07-01", CohortYear: "2020", LeavingReason: "graduated"})
		if err != nil {
			a.t.Fatal(err)
		}
		return id
	}
	r.inSchool = mk("José", "Pérez", "jose@example.nl", r.programme, "study")
	r.inCompany = mk("Ömer", "Yilmaz", "omer@example.nl", r.company, "employment")
	return r
}

func pid(id int64) string { return strconv.FormatInt(id, 10) }

func TestPeopleAccess(t *testing.T) {
	a := newTestApp(t)
	r := a.seedRegistry()
	staff := a.createUser("staff")
	coord := a.createUser("coordinator", r.school.ID)
	lonely := a.createUser("coordinator") // no units at all

	a.run(t, []handlerCase{
		{name: "anonymous list goes to login", path: "/app/people", wantCode: http.StatusSeeOther, wantLocation: "/login?next=%2Fapp%2Fpeople"},
		{name: "anonymous person goes to login", path: "/app/people/" + pid(r.inSchool), wantCode: http.StatusSeeOther, wantLocation: "/login"},
		{name: "anonymous post goes to login", method: "POST", path: "/app/people", form: url.Values{"first_name": {"X"}}, wantCode: http.StatusSeeOther, wantLocation: "/login"},
		{name: "staff sees everyone", as: &staff, path: "/app/people", wantCode: 200, wantBody: []string{"José Pérez", "Ömer Yilmaz", "2 "}},
		{name: "coordinator sees own units only", as: &coord, path: "/app/people", wantCode: 200,
			wantBody: []string{"José Pérez"}, notBody: []string{"Yilmaz"}},
		{name: "coordinator opens own person", as: &coord, path: "/app/people/" + pid(r.inSchool), wantCode: 200, wantBody: []string{"jose@example.nl", "Dierverzorging"}},
		{name: "coordinator opening other unit's person gets 404", as: &coord, path: "/app/people/" + pid(r.inCompany), wantCode: 404, notBody: []string{"Yilmaz"}},
		{name: "coordinator cannot edit other unit's person", as: &coord, path: "/app/people/" + pid(r.inCompany) + "/edit", wantCode: 404},
		{name: "coordinator cannot update other unit's person", as: &coord, method: "POST", path: "/app/people/" + pid(r.inCompany),
			form: url.Values{"first_name": {"Hacked"}, "last_name": {"X"}, "language": {"nl"}, "version": {"1"}}, wantCode: 404},
		{name: "coordinator cannot add affiliation to other unit's person", as: &coord, method: "POST", path: "/app/people/" + pid(r.inCompany) + "/affiliations",
			form: url.Values{"aff_kind": {"study"}, "aff_unit_id": {pid(r.programme.ID)}}, wantCode: 404},
		{name: "coordinator cannot put own person in other unit", as: &coord, method: "POST", path: "/app/people/" + pid(r.inSchool) + "/affiliations",
			form: url.Values{"aff_kind": {"employment"}, "aff_unit_id": {pid(r.company.ID)}}, wantCode: 422, wantBody: []string{"alleen eenheden kiezen waarvoor"}},
		{name: "coordinator without units sees nobody", as: &lonely, path: "/app/people", wantCode: 200, wantBody: []string{"Geen personen gevonden"}, notBody: []string{"Pérez"}},
		{name: "unknown person 404", as: &staff, path: "/app/people/999999", wantCode: 404},
		{name: "non-numeric id 404", as: &staff, path: "/app/people/abc", wantCode: 404},
		{name: "cross-origin post refused", as: &staff, method: "POST", path: "/app/people", headers: crossSite,
			form: url.Values{"first_name": {"Eve"}, "last_name": {"Il"}, "language": {"nl"}}, wantCode: 403},
		{name: "search with typo and without accent", as: &staff, path: "/app/people?q=Jose+Peres", wantCode: 200, wantBody: []string{"José Pérez"}, notBody: []string{"Yilmaz"}},
		{name: "htmx search returns fragment", as: &staff, path: "/app/people?q=omer", headers: map[string]string{"HX-Request": "true"}, wantCode: 200,
			wantBody: []string{"Ömer Yilmaz"}, notBody: []string{"<html", "José"}},
		{name: "filter by unit", as: &staff, path: "/app/people?unit=" + pid(r.company.ID), wantCode: 200, wantBody: []string{"Yilmaz"}, notBody: []string{"Pérez</a>"}},
		{name: "bad sort falls back to name", as: &staff, path: "/app/people?sort=id%3Bdrop", wantCode: 200, wantBody: []string{"José Pérez"}},
	})
}

func TestPersonPagesAreAuditedAndNotCached(t *testing.T) {
	a := newTestApp(t)
	r := a.seedRegistry()
	staff := a.createUser("staff")
	rec := a.do("GET", "/app/people/"+pid(r.inSchool), nil, &staff, nil)
	if rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q", cc)
	}
	var n int
	if err := a.pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = 'person.view'
		AND person_id = $1 AND actor_id = $2`, r.inSchool, staff.ID).Scan(&n); err != nil || n != 1 {
		t.Fatalf("view audit entries = %d, %v", n, err)
	}
	// A refused view leaves no trace of a view.
	coord := a.createUser("coordinator", r.company.ID)
	a.do("GET", "/app/people/"+pid(r.inSchool), nil, &coord, nil)
	if err := a.pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE actor_id = $1 AND action NOT IN ('user.login', 'user.logout')`, coord.ID).Scan(&n); err != nil || n != 0 {
		t.Fatalf("refused view audited %d times, %v", n, err)
	}
}

func TestCreatePersonValidation(t *testing.T) {
	a := newTestApp(t)
	r := a.seedRegistry()
	staff := a.createUser("staff")
	coord := a.createUser("coordinator", r.school.ID)
	a.run(t, []handlerCase{
		{name: "missing names and bad values keep what was typed", as: &staff, method: "POST", path: "/app/people",
			form: url.Values{"first_name": {""}, "last_name": {"de Boer"}, "primary_email": {"not-an-email"}, "linkedin_url": {"linkedin.com/in/x"},
				"city": {"Zwolle"}, "language": {"nl"}},
			wantCode: 422, wantBody: []string{"Vul dit veld in.", "Vul een geldig e-mailadres in", "begint met https://", `value="de Boer"`, `value="Zwolle"`, `value="not-an-email"`}},
		{name: "end before start", as: &staff, method: "POST", path: "/app/people",
			form: url.Values{"first_name": {"Tim"}, "last_name": {"Kok"}, "language": {"nl"}, "aff_kind": {"study"}, "aff_unit_id": {pid(r.programme.ID)},
				"aff_start_date": {"2020-09-01"}, "aff_end_date": {"2019-01-01"}},
			wantCode: 422, wantBody: []string{"De einddatum ligt vóór de begindatum."}},
		{name: "duplicate primary e-mail", as: &staff, method: "POST", path: "/app/people",
			form:     url.Values{"first_name": {"Other"}, "last_name": {"José"}, "primary_email": {"JOSE@example.nl"}, "language": {"nl"}},
			wantCode: 422, wantBody: []string{"al het primaire adres van iemand anders"}},
		{name: "coordinator must give an affiliation", as: &coord, method: "POST", path: "/app/people",
			form: url.Values{"first_name": {"Tim"}, "last_name": {"Kok"}, "language": {"nl"}}, wantCode: 422},
		{name: "coordinator cannot create in another unit", as: &coord, method: "POST", path: "/app/people",
			form:     url.Values{"first_name": {"Tim"}, "last_name": {"Kok"}, "language": {"nl"}, "aff_kind": {"employment"}, "aff_unit_id": {pid(r.company.ID)}},
			wantCode: 422, wantBody: []string{"alleen eenheden kiezen waarvoor"}},
		{name: "coordinator creates in own unit", as: &coord, method: "POST", path: "/app/people",
			form:     url.Values{"first_name": {"Tim"}, "last_name": {"Kok"}, "language": {"nl"}, "aff_kind": {"study"}, "aff_unit_id": {pid(r.programme.ID)}, "aff_cohort_year": {"2024"}},
			wantCode: 303, wantLocation: "/app/people/"},
		{name: "staff creates", as: &staff, method: "POST", path: "/app/people",
			form:     url.Values{"first_name": {"Chloé"}, "last_name": {"Dubois"}, "primary_email": {"chloe@example.fr"}, "language": {"en"}, "offers": {"mentoring"}, "tags": {"ambassadeur, mentor"}},
			wantCode: 303, wantLocation: "/app/people/"},
	})
	// The coordinator can open the person they just created.
	res, err := a.srv.people.List(context.Background(), coord.Scope(), people.Filter{Q: "Tim Kok"})
	if err != nil || len(res.Rows) != 1 {
		t.Fatalf("coordinator's new person: %d rows, %v", len(res.Rows), err)
	}
}

func TestEditConflictKeepsTypedInput(t *testing.T) {
	a := newTestApp(t)
	r := a.seedRegistry()
	ann := a.createUser("staff")
	bob := a.createUser("staff")
	path := "/app/people/" + pid(r.inSchool)
	form := func(city, job string) url.Values {
		return url.Values{"first_name": {"José"}, "last_name": {"Pérez"}, "primary_email": {"jose@example.nl"},
			"language": {"nl"}, "city": {city}, "job_title": {job}, "version": {"1"}}
	}
	a.run(t, []handlerCase{
		{name: "edit form has version", as: &ann, path: path + "/edit", wantCode: 200, wantBody: []string{`name="version" value="1"`}},
		{name: "first save wins", as: &ann, method: "POST", path: path, form: form("Ede", ""), wantCode: 303, wantLocation: path},
		{name: "second save with stale version conflicts and keeps input", as: &bob, method: "POST", path: path, form: form("", "Dierenarts"),
			wantCode: 409, wantBody: []string{"Iemand anders heeft deze persoon gewijzigd", `value="Dierenarts"`, "Nu opgeslagen: Ede", `name="version" value="2"`}},
		{name: "saving again deliberately overwrites", as: &bob, method: "POST", path: path,
			form:     url.Values{"first_name": {"José"}, "last_name": {"Pérez"}, "language": {"nl"}, "primary_email": {"jose@example.nl"}, "city": {"Ede"}, "job_title": {"Dierenarts"}, "version": {"2"}},
			wantCode: 303},
		{name: "timeline shows both changes", as: &ann, path: path, wantCode: 200, wantBody: []string{"Gegevens gewijzigd", "woonplaats", "functie", bob.Name}},
	})
}

func TestAffiliationAddAndRemove(t *testing.T) {
	a := newTestApp(t)
	r := a.seedRegistry()
	staff := a.createUser("staff")
	path := "/app/people/" + pid(r.inCompany)
	rec := a.do("POST", path+"/affiliations", url.Values{"aff_kind": {"study"}, "aff_unit_id": {pid(r.programme.ID)},
		"aff_crebo": {"25170"}, "aff_cohort_year": {"2012"}, "aff_role": {"Dierenartsassistent"}}, &staff, nil)
	if rec.Code != 303 {
		t.Fatalf("add: %d %s", rec.Code, trimBody(rec.Body.String()))
	}
	p, err := a.srv.people.PersonByID(context.Background(), units.Everyone(), r.inCompany)
	if err != nil || len(p.Affiliations) != 2 {
		t.Fatalf("affiliations %d, %v", len(p.Affiliations), err)
	}
	var added int64
	for _, af := range p.Affiliations {
		if af.Crebo == "25170" {
			added = af.ID
		}
	}
	a.run(t, []handlerCase{
		{name: "bad crebo keeps form open with typed values", as: &staff, method: "POST", path: path + "/affiliations",
			form:     url.Values{"aff_kind": {"study"}, "aff_unit_id": {pid(r.programme.ID)}, "aff_crebo": {"12"}, "aff_role": {"Hovenier"}},
			wantCode: 422, wantBody: []string{"vijf cijfers", `value="Hovenier"`, "<details open"}},
		{name: "delete through GET is not allowed", as: &staff, path: path + "/affiliations/" + pid(added) + "/delete", wantCode: 405},
		{name: "delete", as: &staff, method: "POST", path: path + "/affiliations/" + pid(added) + "/delete", wantCode: 303},
		{name: "delete again is 404", as: &staff, method: "POST", path: path + "/affiliations/" + pid(added) + "/delete", wantCode: 404},
	})
	rec = a.do("GET", path, nil, &staff, nil)
	if !strings.Contains(rec.Body.String(), "Band verwijderd") || !strings.Contains(rec.Body.String(), "Band toegevoegd") {
		t.Errorf("timeline lacks affiliation events")
	}
}
