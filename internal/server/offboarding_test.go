package server

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"alumnet/internal/auth"
	"alumnet/internal/i18n"
)

// startCase starts an offboarding through the form and returns its path.
func (a *testApp) startCase(as auth.User, form url.Values) string {
	a.t.Helper()
	rec := a.do("POST", "/app/offboarding", form, &as, nil)
	if rec.Code != 303 {
		a.t.Fatalf("start: %d\n%s", rec.Code, trimBody(rec.Body.String()))
	}
	return rec.Header().Get("Location")
}

func TestOffboardingCases(t *testing.T) {
	a := newTestApp(t)
	r := a.seedRegistry()
	hr := a.createUser("staff")
	a.grantHR(&hr)
	manager := a.createUser("staff")
	coordSchool := a.createUser("coordinator", r.school.ID)
	leaving := time.Now().In(i18n.Zone()).AddDate(0, 0, 17).Format(time.DateOnly)

	a.run(t, []handlerCase{
		{name: "anonymous", path: "/app/offboarding", wantCode: 303, wantLocation: "/login"},
		{name: "empty list", as: &hr, path: "/app/offboarding", wantCode: 200, wantBody: []string{"Er loopt nu niemand uit", "Je hebt geen openstaande taken."}},
		{name: "form for a known person", as: &hr, path: "/app/offboarding/new?person=" + pid(r.inCompany), wantCode: 200,
			wantBody: []string{"Ömer Yilmaz", `name="departure_type"`, `<option value="` + pid(r.company.ID) + `"`}},
		{name: "coordinator cannot start for someone outside their units", as: &coordSchool, path: "/app/offboarding/new?person=" + pid(r.inCompany), wantCode: 404},
		{name: "validation keeps input", as: &hr, method: "POST", path: "/app/offboarding",
			form:     url.Values{"first_name": {"Lieke"}, "last_name": {""}, "departure_type": {"nonsense"}, "unit_id": {pid(r.company.ID)}, "leaving_date": {"31-01-2027"}},
			wantCode: 422, wantBody: []string{"Vul dit veld in.", "Kies een van de opties.", "Vul een datum in", `value="Lieke"`, `value="31-01-2027"`}},
		{name: "cross-site start refused", as: &hr, method: "POST", path: "/app/offboarding", headers: crossSite,
			form: url.Values{"person_id": {pid(r.inCompany)}, "departure_type": {"resignation"}, "unit_id": {pid(r.company.ID)}, "leaving_date": {leaving}}, wantCode: 403},
	})
	path := a.startCase(hr, url.Values{"person_id": {pid(r.inCompany)}, "departure_type": {"resignation"}, "unit_id": {pid(r.company.ID)},
		"leaving_date": {leaving}, "manager_id": {pid(manager.ID)}})
	if !regexp.MustCompile(`^/app/offboarding/\d+$`).MatchString(path) {
		t.Fatalf("case path %q", path)
	}
	a.run(t, []handlerCase{
		{name: "a second open case is refused", as: &hr, method: "POST", path: "/app/offboarding",
			form:     url.Values{"person_id": {pid(r.inCompany)}, "departure_type": {"retirement"}, "unit_id": {pid(r.company.ID)}, "leaving_date": {leaving}},
			wantCode: 422, wantBody: []string{"loopt in deze eenheid al een offboarding"}},
		{name: "case page", as: &hr, path: path, wantCode: 200,
			wantBody: []string{"Offboarding van Ömer Yilmaz", "Exitgesprek voeren", "Toegang tot systemen intrekken", "Terugkeer (alleen HR)", "over 7 dagen"}},
		{name: "coordinator of another unit gets 404", as: &coordSchool, path: path, wantCode: 404},
		{name: "coordinator cannot close it either", as: &coordSchool, method: "POST", path: path + "/close", form: url.Values{}, wantCode: 404},
		{name: "my tasks list the HR tasks", as: &hr, path: "/app/offboarding", wantCode: 200, wantBody: []string{"Exitgesprek voeren", "Ömer Yilmaz"}},
		{name: "the manager's task", as: &manager, path: "/app/offboarding", wantCode: 200, wantBody: []string{"Afscheid organiseren"}, notBody: []string{"Exitgesprek voeren</a>"}},
		{name: "filter by month", as: &hr, path: "/app/offboarding?month=" + leaving[:7], wantCode: 200, wantBody: []string{`href="` + path + `"`}},
		{name: "filter by another type", as: &hr, path: "/app/offboarding?type=retirement", wantCode: 200, wantBody: []string{"Niets gevonden"}},
		{name: "closing is blocked by required items", as: &hr, method: "POST", path: path + "/close", form: url.Values{}, wantCode: 303},
		{name: "with a message, still open", as: &hr, path: path, wantCode: 200, wantBody: []string{"Rond eerst alle verplichte taken af.", "Offboarding afronden"},
			notBody: []string{`<span class="badge badge-muted">Afgerond</span>`}},
		{name: "the person page links the case", as: &hr, path: "/app/people/" + pid(r.inCompany), wantCode: 200, wantBody: []string{`href="` + path + `"`}},
	})

	// The reminder job mails the exit interview's assignee 7 days ahead,
	// once a day.
	if err := a.srv.app.RemindOffboarding(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := a.srv.app.RemindOffboarding(context.Background()); err != nil {
		t.Fatal(err)
	}
	reminders := 0
	for _, m := range a.sentMails() {
		if m.To == hr.Email && strings.HasPrefix(m.Subject, "Herinnering: Exitgesprek voeren") {
			reminders++
			if !strings.Contains(m.Text, "Nog 7 dagen.") || !strings.Contains(m.Text, "http://alumnet.test"+path+"#item-") {
				t.Errorf("reminder text:\n%s", m.Text)
			}
			// Automatic, to a staff mailbox: no out-of-office replies back.
			if m.Headers["Auto-Submitted"] != "auto-generated" || m.Headers["X-Auto-Response-Suppress"] != "All" {
				t.Errorf("reminder headers: %v", m.Headers)
			}
		}
	}
	if reminders != 1 {
		t.Fatalf("%d reminders, want 1", reminders)
	}

	// Exit interview: HR sets rehire; a reason is needed for "review".
	a.run(t, []handlerCase{
		{name: "review needs a reason, typed answers kept", as: &hr, method: "POST", path: path + "/interview",
			form: url.Values{"highlights": {"De collega's"}, "rehire": {"review"}}, wantCode: 422, wantBody: []string{"Geef een reden.", "De collega&#39;s"}},
		{name: "save the interview", as: &hr, method: "POST", path: path + "/interview",
			form:     url.Values{"highlights": {"De collega's"}, "would_recommend": {"yes"}, "open_to_contact": {"yes"}, "rehire": {"eligible"}},
			wantCode: 303, wantLocation: path + "#interview"},
	})
	// Invitation: a personal address; then every required item done.
	a.run(t, []handlerCase{
		{name: "bad address", as: &hr, method: "POST", path: path + "/invite", form: url.Values{"invite_email": {"omer@"}}, wantCode: 422,
			wantBody: []string{"Vul een geldig e-mailadres in", `value="omer@"`}},
		{name: "invite", as: &hr, method: "POST", path: path + "/invite", form: url.Values{"invite_email": {"omer.yilmaz@gmail.example"}}, wantCode: 303},
		{name: "invitation sent", as: &hr, path: path, wantCode: 200, wantBody: []string{"omer.yilmaz@gmail.example", "nog niet aangenomen"}},
	})
	if n := a.mailCount("omer.yilmaz@gmail.example"); n != 1 {
		t.Fatalf("%d invitations", n)
	}
	page := a.do("GET", path, nil, &hr, nil).Body.String()
	for _, m := range regexp.MustCompile(`action="(`+path+`/items/\d+)"`).FindAllStringSubmatch(page, -1) {
		if rec := a.do("POST", m[1], url.Values{"status": {"done"}, "assignee_id": {pid(hr.ID)}, "note": {"ok"}}, &hr, nil); rec.Code != 303 {
			t.Fatalf("tick %s: %d", m[1], rec.Code)
		}
	}
	a.run(t, []handlerCase{
		{name: "close", as: &hr, method: "POST", path: path + "/close", form: url.Values{}, wantCode: 303},
		{name: "closed", as: &hr, path: path, wantCode: 200, wantBody: []string{"Afgerond", "De offboarding is afgerond"}},
		{name: "no longer in the open list", as: &hr, path: "/app/offboarding", wantCode: 200, notBody: []string{`href="` + path + `"`}},
		{name: "in the closed list", as: &hr, path: "/app/offboarding?status=closed", wantCode: 200, wantBody: []string{`href="` + path + `"`}},
	})
	var end, reason string
	if err := a.pool.QueryRow(context.Background(), `SELECT a.end_date::text, a.leaving_reason FROM affiliations a
		JOIN offboarding_cases c ON c.affiliation_id = a.id WHERE c.person_id = $1`, r.inCompany).Scan(&end, &reason); err != nil || end != leaving || reason != "resignation" {
		t.Fatalf("affiliation after closing: %s %s %v", end, reason, err)
	}
}

func TestOffboardingRehireHiddenFromCoordinators(t *testing.T) {
	a := newTestApp(t)
	r := a.seedRegistry()
	hr := a.createUser("staff")
	a.grantHR(&hr)
	colleague := a.createUser("staff") // without the HR permission
	admin := a.createUser("admin")
	coord := a.createUser("coordinator", r.school.ID)
	path := a.startCase(hr, url.Values{"person_id": {pid(r.inSchool)}, "departure_type": {"graduation"}, "unit_id": {pid(r.programme.ID)},
		"leaving_date": {"2026-07-01"}})
	if rec := a.do("POST", path+"/interview", url.Values{"highlights": {"Stage"}, "rehire": {"not_eligible"}, "rehire_reason": {"Geheim oordeel"}}, &hr, nil); rec.Code != 303 {
		t.Fatalf("interview: %d", rec.Code)
	}
	a.run(t, []handlerCase{
		{name: "HR sees rehire", as: &hr, path: path, wantCode: 200, wantBody: []string{"Geheim oordeel", `name="rehire"`}},
		{name: "the coordinator of the unit sees the case but not rehire", as: &coord, path: path, wantCode: 200,
			wantBody: []string{"Stage"}, notBody: []string{"Geheim oordeel", `name="rehire"`, "Terugkeer"}},
		{name: "a coordinator's save keeps HR's rehire answer", as: &coord, method: "POST", path: path + "/interview",
			form: url.Values{"highlights": {"Stage bij de dierenkliniek"}, "rehire": {"eligible"}}, wantCode: 303},
		{name: "still not eligible", as: &hr, path: path, wantCode: 200, wantBody: []string{"Geheim oordeel", `<option value="not_eligible" selected`}},
		{name: "staff without the HR permission see the case but not rehire", as: &colleague, path: path, wantCode: 200,
			wantBody: []string{"Stage"}, notBody: []string{"Geheim oordeel", `name="rehire"`}},
		{name: "nor does an administrator without it", as: &admin, path: path, wantCode: 200,
			notBody: []string{"Geheim oordeel", `name="rehire"`}},
		{name: "their save keeps HR's answer", as: &colleague, method: "POST", path: path + "/interview",
			form: url.Values{"highlights": {"Stage"}, "rehire": {"eligible"}, "rehire_reason": {""}}, wantCode: 303},
		{name: "the administrator gives the colleague the permission", as: &admin, method: "POST", path: "/app/admin/users/" + pid(colleague.ID),
			form: url.Values{"email": {colleague.Email}, "name": {colleague.Name}, "role": {"staff"}, "hr": {"1"}}, wantCode: 303},
		{name: "now the colleague sees it, unchanged", as: &colleague, path: path, wantCode: 200,
			wantBody: []string{"Geheim oordeel", `<option value="not_eligible" selected`}},
		{name: "a coordinator cannot be given it", as: &admin, method: "POST", path: "/app/admin/users/" + pid(coord.ID),
			form: url.Values{"email": {coord.Email}, "name": {coord.Name}, "role": {"coordinator"}, "units": {pid(r.school.ID)}, "hr": {"1"}}, wantCode: 303},
		{name: "and does not see it", as: &coord, path: path, wantCode: 200, notBody: []string{"Geheim oordeel", `name="rehire"`}},
	})
	if u, err := a.srv.users.UserByID(context.Background(), coord.ID); err != nil || u.HR {
		t.Fatalf("coordinator with the HR permission: %+v %v", u, err)
	}
}

func TestOffboardingCautionNeedsConfirmation(t *testing.T) {
	a := newTestApp(t)
	r := a.seedRegistry()
	hr := a.createUser("staff")
	path := a.startCase(hr, url.Values{"first_name": {"Ruud"}, "last_name": {"Veenstra"}, "departure_type": {"conflict"},
		"unit_id": {pid(r.company.ID)}, "leaving_date": {"2026-12-31"}})
	a.run(t, []handlerCase{
		{name: "advice shown", as: &hr, path: path, wantCode: 200, wantBody: []string{"Forceer het niet", "raden we af om contact te pushen", `name="confirm"`}},
		{name: "not without confirmation", as: &hr, method: "POST", path: path + "/invite", form: url.Values{"invite_email": {"ruud@example.nl"}},
			wantCode: 422, wantBody: []string{"Bevestig eerst", `value="ruud@example.nl"`}},
		{name: "with confirmation", as: &hr, method: "POST", path: path + "/invite", form: url.Values{"invite_email": {"ruud@example.nl"}, "confirm": {"1"}},
			wantCode: 303},
	})
	if a.mailCount("ruud@example.nl") != 1 {
		t.Fatal("no invitation after confirming")
	}
}

// TestOffboardingAssignees: tasks go to staff, or to a coordinator of the
// case's unit, never to a coordinator elsewhere (who would get reminders
// about a leaver they may not see).
func TestOffboardingAssignees(t *testing.T) {
	a := newTestApp(t)
	r := a.seedRegistry()
	hr := a.createUser("staff")
	elsewhere := a.createUser("coordinator", r.school.ID)
	a.run(t, []handlerCase{
		{name: "a coordinator of another unit as manager", as: &hr, method: "POST", path: "/app/offboarding",
			form: url.Values{"person_id": {pid(r.inCompany)}, "departure_type": {"resignation"}, "unit_id": {pid(r.company.ID)},
				"leaving_date": {"2026-12-31"}, "manager_id": {pid(elsewhere.ID)}}, wantCode: 422, wantBody: []string{"Kies een van de opties."}},
	})
	path := a.startCase(hr, url.Values{"person_id": {pid(r.inCompany)}, "departure_type": {"resignation"}, "unit_id": {pid(r.company.ID)},
		"leaving_date": {"2026-12-31"}})
	page := a.do("GET", path, nil, &hr, nil).Body.String()
	if strings.Contains(page, `<option value="`+pid(elsewhere.ID)+`"`) {
		t.Error("a coordinator of another unit is offered as assignee")
	}
	item := regexp.MustCompile(`action="(` + path + `/items/\d+)"`).FindStringSubmatch(page)[1]
	if rec := a.do("POST", item, url.Values{"status": {"open"}, "assignee_id": {pid(elsewhere.ID)}}, &hr, nil); rec.Code != 400 {
		t.Fatalf("assigning a coordinator of another unit: %d", rec.Code)
	}
}

func TestOffboardingRescheduleAndCancel(t *testing.T) {
	a := newTestApp(t)
	r := a.seedRegistry()
	hr := a.createUser("staff")
	path := a.startCase(hr, url.Values{"person_id": {pid(r.inCompany)}, "departure_type": {"resignation"}, "unit_id": {pid(r.company.ID)},
		"leaving_date": {"2026-12-31"}})
	a.run(t, []handlerCase{
		{name: "reschedule", as: &hr, method: "POST", path: path + "/reschedule", form: url.Values{"leaving_date": {"2027-01-31"}}, wantCode: 303},
		{name: "moved", as: &hr, path: path, wantCode: 200, wantBody: []string{"De vertrekdatum is nu 2027-01-31", "vertrekt 2027-01-31"}},
		{name: "cancel needs the tick", as: &hr, method: "POST", path: path + "/cancel", form: url.Values{}, wantCode: 303},
		{name: "still open", as: &hr, path: path, wantCode: 200, wantBody: []string{"Vink aan dat het vertrek niet doorgaat", "Offboarding afronden"}},
		{name: "cancel", as: &hr, method: "POST", path: path + "/cancel", form: url.Values{"confirm": {"1"}}, wantCode: 303},
		{name: "cancelled", as: &hr, path: path, wantCode: 200, wantBody: []string{"De offboarding is geannuleerd.", "Geannuleerd"}, notBody: []string{"Offboarding afronden"}},
		{name: "in the cancelled list", as: &hr, path: "/app/offboarding?status=cancelled", wantCode: 200, wantBody: []string{`href="` + path + `"`}},
		{name: "not in the open list", as: &hr, path: "/app/offboarding", wantCode: 200, notBody: []string{`href="` + path + `"`}},
	})
}
