package server

import (
	"net/url"
	"testing"
	"time"
)

// TestErasedPersonIsATombstone: nothing is added to or changed on an
// erased person; each attempt is a clear refusal, never a 500.
func TestErasedPersonIsATombstone(t *testing.T) {
	a := newTestApp(t)
	r := a.seedRegistry()
	staff := a.createUser("staff")
	p := "/app/people/" + pid(r.inSchool)
	if rec := a.do("POST", p+"/erase", url.Values{"erase_reason": {"request_email"}, "erase_confirm": {"1"}}, &staff, nil); rec.Code != 303 {
		t.Fatalf("erase: %d", rec.Code)
	}
	news := a.purpose("newsletter")
	leaving := time.Now().AddDate(0, 0, 10).Format(time.DateOnly)
	gone := "Deze persoon is gewist"
	a.run(t, []handlerCase{
		{name: "the tombstone shows no forms", as: &staff, path: p, wantCode: 200,
			notBody: []string{p + "/affiliations\"", p + "/consents\"", p + "/invite\"", "/delete\""}},
		{name: "add an affiliation", as: &staff, method: "POST", path: p + "/affiliations",
			form: url.Values{"aff_kind": {"study"}, "aff_unit_id": {pid(r.programme.ID)}}, wantCode: 409, wantBody: []string{gone}},
		{name: "remove an affiliation", as: &staff, method: "POST", path: p + "/affiliations/1/delete", form: url.Values{}, wantCode: 409, wantBody: []string{gone}},
		{name: "record consent", as: &staff, method: "POST", path: p + "/consents",
			form: url.Values{"purpose_id": {pid(news.ID)}, "action": {"withdraw"}, "note": {"call"}}, wantCode: 409, wantBody: []string{gone}},
		{name: "invite", as: &staff, method: "POST", path: p + "/invite", form: url.Values{}, wantCode: 409, wantBody: []string{gone}},
		{name: "edit", as: &staff, path: p + "/edit", wantCode: 404},
		{name: "start an offboarding", as: &staff, path: "/app/offboarding/new?person=" + pid(r.inSchool), wantCode: 409, wantBody: []string{gone}},
		{name: "post an offboarding", as: &staff, method: "POST", path: "/app/offboarding",
			form:     url.Values{"person_id": {pid(r.inSchool)}, "departure_type": {"resignation"}, "unit_id": {pid(r.programme.ID)}, "leaving_date": {leaving}},
			wantCode: 404},
	})
}
