package server

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"alumnet/internal/auth"
	"alumnet/internal/i18n"
	"alumnet/internal/people"
	"alumnet/internal/units"
)

// TestCoordinatorSeesNothingOutsideTheirUnits: the timeline, the pick-lists
// and the forms of a coordinator say nothing about other units.
func TestCoordinatorSeesNothingOutsideTheirUnits(t *testing.T) {
	a := newTestApp(t)
	r := a.seedRegistry()
	hr := a.createUser("staff")
	coord := a.createUser("coordinator", r.school.ID)
	ctx := context.Background()

	// José also worked at the company, which offboards him; HR opens the
	// case and tags him there.
	if _, err := a.srv.people.AddAffiliation(ctx, units.Everyone(), hr.ID, r.inSchool, people.AffiliationInput{Kind: "employment",
		UnitID: pid(r.company.ID), StartDate: "2021-01-01"}); err != nil {
		t.Fatal(err)
	}
	leaving := time.Now().In(i18n.Zone()).AddDate(0, 0, 10).Format(time.DateOnly)
	casePath := a.startCase(hr, url.Values{"person_id": {pid(r.inSchool)}, "departure_type": {"resignation"},
		"unit_id": {pid(r.company.ID)}, "leaving_date": {leaving}})
	if rec := a.do("GET", casePath, nil, &hr, nil); rec.Code != 200 {
		t.Fatalf("case: %d", rec.Code)
	}
	form := a.personForm(r.inCompany)
	form.Set("primary_email", "omer@example.nl")
	form.Set("tags", "Vertrouwelijk dossier")
	if rec := a.do("POST", "/app/people/"+pid(r.inCompany), form, &hr, nil); rec.Code != 303 {
		t.Fatalf("tag: %d", rec.Code)
	}
	form = a.personForm(r.inSchool)
	form.Set("primary_email", "jose@example.nl")
	form.Set("tags", "Mentor")
	if rec := a.do("POST", "/app/people/"+pid(r.inSchool), form, &hr, nil); rec.Code != 303 {
		t.Fatalf("tag: %d", rec.Code)
	}

	a.run(t, []handlerCase{
		{name: "HR sees the case on the timeline", as: &hr, path: "/app/people/" + pid(r.inSchool), wantCode: 200,
			wantBody: []string{"Offboarding gestart", "Offboarding bekeken"}},
		{name: "the coordinator does not", as: &coord, path: "/app/people/" + pid(r.inSchool), wantCode: 200,
			wantBody: []string{"José Pérez"}, notBody: []string{"Offboarding gestart", "Offboarding bekeken"}},
		{name: "the coordinator's tag filter", as: &coord, path: "/app/people", wantCode: 200,
			wantBody: []string{"Mentor"}, notBody: []string{"Vertrouwelijk dossier"}},
		{name: "HR's tag filter", as: &hr, path: "/app/people", wantCode: 200, wantBody: []string{"Mentor", "Vertrouwelijk dossier"}},
	})

	// The company affiliation's history is not on the coordinator's
	// timeline either: one "added" entry (the programme) instead of two.
	count := func(as *auth.User) int {
		return strings.Count(a.do("GET", "/app/people/"+pid(r.inSchool), nil, as, nil).Body.String(), "<strong>Band toegevoegd</strong>")
	}
	if hrN, coordN := count(&hr), count(&coord); hrN != 2 || coordN != 1 {
		t.Fatalf("affiliation entries: HR %d, coordinator %d; want 2 and 1", hrN, coordN)
	}

	// A new person with an address someone outside the coordinator's units
	// has: the form does not say so (the records are duplicates to merge),
	// while within one's scope the address is refused.
	newPerson := func(email string) url.Values {
		return url.Values{"first_name": {"Omer"}, "last_name": {"Yilmaz"}, "language": {"nl"}, "primary_email": {email},
			"aff_kind": {"study"}, "aff_unit_id": {pid(r.programme.ID)}}
	}
	if rec := a.do("POST", "/app/people", newPerson("omer@example.nl"), &coord, nil); rec.Code != 303 {
		t.Fatalf("coordinator, address outside the units: %d\n%s", rec.Code, trimBody(rec.Body.String()))
	}
	if rec := a.do("POST", "/app/people", newPerson("jose@example.nl"), &coord, nil); rec.Code != 422 ||
		!strings.Contains(rec.Body.String(), "al het primaire adres van iemand anders") {
		t.Fatalf("coordinator, address within the units: %d", rec.Code)
	}
	if rec := a.do("POST", "/app/people", newPerson("omer@example.nl"), &hr, nil); rec.Code != 422 {
		t.Fatalf("staff, address in the registry: %d", rec.Code)
	}
}
