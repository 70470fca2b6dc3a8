package server

import (
	"context"
	"net/url"
	"reflect"
	"testing"

	"alumnet/internal/audit"
	"alumnet/internal/offboarding"
)

// checklist returns the items of a departure type's checklist in order.
func (a *testApp) checklist(key string, archived bool) []offboarding.TemplateItem {
	a.t.Helper()
	items, err := a.srv.offboarding.TemplateItems(context.Background(), key, archived)
	if err != nil {
		a.t.Fatal(err)
	}
	return items
}

// templateActions lists the audit actions the admin wrote, oldest first.
func (a *testApp) templateActions(actorID int64) []string {
	a.t.Helper()
	entries, _, err := a.srv.audit.List(context.Background(), audit.Filter{ActorID: actorID, Limit: 500, ExcludeActions: sessionActions})
	if err != nil {
		a.t.Fatal(err)
	}
	var out []string
	for i := len(entries) - 1; i >= 0; i-- {
		out = append(out, entries[i].Action)
	}
	return out
}

// itemForm is a valid checklist item form, changed by kv pairs.
func itemForm(kv ...string) url.Values {
	f := url.Values{"title_nl": {"Parkeervergunning opzeggen"}, "title_en": {"Cancel the parking permit"}, "role": {"facilities"},
		"kind": {"plain"}, "offset_days": {"5"}, "offset_when": {"before"}, "required": {"1"}}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	return f
}

func typeForm(kv ...string) url.Values {
	f := url.Values{"key": {"sabbatical"}, "name_nl": {"Sabbatical"}, "name_en": {"Sabbatical"}, "audience": {"employer"},
		"leaving_reason": {"other"}, "active": {"1"}, "sort_order": {"90"}}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	return f
}

// TestOffboardingAdminAccess tries every template route as each kind of visitor.
func TestOffboardingAdminAccess(t *testing.T) {
	a := newTestApp(t)
	r := a.seedRegistry()
	admin := a.createUser("admin")
	staff := a.createUser("staff")
	coord := a.createUser("coordinator", r.school.ID)
	items := a.checklist("resignation", false)
	item := "/app/admin/offboarding/items/" + pid(items[1].ID)
	typ := "/app/admin/offboarding/types/resignation"

	type route struct{ method, path string }
	gets := []route{{"GET", "/app/admin/offboarding"}, {"GET", "/app/admin/offboarding/new"}, {"GET", typ}, {"GET", typ + "/edit"},
		{"GET", typ + "/items/new"}, {"GET", item}}
	posts := []route{{"POST", "/app/admin/offboarding"}, {"POST", typ}, {"POST", typ + "/items"}, {"POST", item},
		{"POST", item + "/archive"}, {"POST", item + "/restore"}, {"POST", item + "/move"}}
	var cases []handlerCase
	for _, rt := range append(gets, posts...) {
		var form url.Values
		if rt.method == "POST" {
			form = typeForm("name_nl", "Eve")
			for k, v := range itemForm("title_nl", "Eve", "dir", "up") {
				form[k] = v
			}
		}
		cases = append(cases,
			handlerCase{name: "anonymous " + rt.method + " " + rt.path, method: rt.method, path: rt.path, form: form, wantCode: 303, wantLocation: "/login"},
			handlerCase{name: "staff " + rt.method + " " + rt.path, as: &staff, method: rt.method, path: rt.path, form: form, wantCode: 403,
				notBody: []string{"Eigen ontslag"}},
			handlerCase{name: "coordinator " + rt.method + " " + rt.path, as: &coord, method: rt.method, path: rt.path, form: form, wantCode: 403},
		)
		if rt.method == "GET" {
			cases = append(cases, handlerCase{name: "admin " + rt.path, as: &admin, path: rt.path, wantCode: 200})
		} else {
			cases = append(cases, handlerCase{name: "admin cross-site " + rt.path, as: &admin, method: "POST", path: rt.path, form: form,
				headers: crossSite, wantCode: 403})
		}
	}
	cases = append(cases,
		handlerCase{name: "unknown type", as: &admin, path: "/app/admin/offboarding/types/sabbatical", wantCode: 404},
		handlerCase{name: "unknown type's new item", as: &admin, method: "POST", path: "/app/admin/offboarding/types/sabbatical/items",
			form: itemForm(), wantCode: 404},
		handlerCase{name: "unknown item", as: &admin, path: "/app/admin/offboarding/items/999999", wantCode: 404},
		handlerCase{name: "item id not a number", as: &admin, path: "/app/admin/offboarding/items/x", wantCode: 404},
		handlerCase{name: "archive through GET", as: &admin, path: item + "/archive", wantCode: 405},
		handlerCase{name: "move without direction", as: &admin, method: "POST", path: item + "/move", form: url.Values{}, wantCode: 400},
		handlerCase{name: "staff sees no admin link", as: &staff, path: "/app/people", wantCode: 200,
			notBody: []string{`href="/app/admin/offboarding"`}},
		handlerCase{name: "admin sub-navigation", as: &admin, path: "/app/admin/users", wantCode: 200,
			wantBody: []string{`<a href="/app/admin/offboarding" aria-current="false">Offboarding</a>`}},
	)
	a.run(t, cases)

	// Nothing the refused requests sent was stored.
	if got := a.checklist("resignation", true); !reflect.DeepEqual(got, items) {
		t.Errorf("refused requests changed the checklist:\n%+v\n%+v", got, items)
	}
	if _, err := a.srv.offboarding.DepartureTypeByKey(context.Background(), "sabbatical"); err == nil {
		t.Error("a refused request created a departure type")
	}
	if acts := a.templateActions(admin.ID); len(acts) != 0 {
		t.Errorf("refused requests wrote audit entries: %v", acts)
	}
}

func TestOffboardingAdminTypes(t *testing.T) {
	a := newTestApp(t)
	admin := a.createUser("admin")

	a.run(t, []handlerCase{
		{name: "list", as: &admin, path: "/app/admin/offboarding", wantCode: 200,
			wantBody: []string{"Offboarding-checklists", `aria-current="page">Offboarding</a>`, "Werkgevers", "Scholen", "Eigen ontslag",
				"Diploma behaald", "7 stappen, 5 verplicht", "4 stappen, 1 verplicht", "Terughoudend met contact", `data-label="Voor">Werkgever`,
				`href="/app/admin/offboarding/types/graduation"`}},
		{name: "new form goes to the end of the list", as: &admin, path: "/app/admin/offboarding/new", wantCode: 200,
			wantBody: []string{`name="key"`, `name="name_nl"`, `name="caution"`, `name="sort_order" type="text" value="90"`}},
		{name: "invalid keeps input", as: &admin, method: "POST", path: "/app/admin/offboarding",
			form:     typeForm("key", "Lang Verlof!", "name_nl", " ", "name_en", "Long leave", "audience", "club", "sort_order", "abc"),
			wantCode: 422, wantBody: []string{"Controleer de gemarkeerde velden.", "Gebruik kleine letters, cijfers en _", "Vul dit veld in.",
				"Kies een van de opties.", "Vul een geheel getal in", `value="lang verlof!"`, `value="Long leave"`, `value="abc"`}},
		{name: "duplicate key", as: &admin, method: "POST", path: "/app/admin/offboarding", form: typeForm("key", "resignation", "name_nl", "Weer weg"),
			wantCode: 422, wantBody: []string{"Er is al een vertrektype met deze sleutel.", `value="Weer weg"`}},
		{name: "create", as: &admin, method: "POST", path: "/app/admin/offboarding", form: typeForm("key", " Sabbatical ", "caution", "1"),
			wantCode: 303, wantLocation: "/app/admin/offboarding/types/sabbatical"},
		{name: "new type's empty checklist", as: &admin, path: "/app/admin/offboarding/types/sabbatical", wantCode: 200,
			wantBody: []string{"Vertrektype Sabbatical aangemaakt.", "Nog geen stappen", "Terughoudend met contact", "raadt de app af",
				`href="/app/admin/offboarding/types/sabbatical/items/new"`}},
		{name: "in the list", as: &admin, path: "/app/admin/offboarding", wantCode: 200, wantBody: []string{"Sabbatical", "nog geen stappen"}},
		{name: "edit form: key fixed", as: &admin, path: "/app/admin/offboarding/types/sabbatical/edit", wantCode: 200,
			wantBody: []string{"Sleutel sabbatical: ligt vast", `value="Sabbatical"`, `name="caution" value="1" checked`}, notBody: []string{`name="key"`}},
		{name: "update invalid keeps input", as: &admin, method: "POST", path: "/app/admin/offboarding/types/sabbatical",
			form: typeForm("name_en", "", "name_nl", "Lang verlof", "leaving_reason", "bored"), wantCode: 422,
			wantBody: []string{"Vul dit veld in.", "Kies een van de opties.", `value="Lang verlof"`}},
		{name: "update: switch off", as: &admin, method: "POST", path: "/app/admin/offboarding/types/sabbatical",
			form: url.Values{"key": {"hacked"}, "name_nl": {"Lang verlof"}, "name_en": {"Long leave"}, "audience": {"employer"},
				"leaving_reason": {"other"}, "sort_order": {"5"}}, wantCode: 303, wantLocation: "/app/admin/offboarding/types/sabbatical"},
		{name: "switched off shown", as: &admin, path: "/app/admin/offboarding", wantCode: 200,
			wantBody: []string{"Lang verlof", "Uitgeschakeld", "Vertrektype Lang verlof opgeslagen."}},
		{name: "checklist says switched off", as: &admin, path: "/app/admin/offboarding/types/sabbatical", wantCode: 200,
			wantBody: []string{"is uitgeschakeld"}},
	})
	got, err := a.srv.offboarding.DepartureTypeByKey(context.Background(), "sabbatical")
	if err != nil || got.Active || got.Caution || got.NameEN != "Long leave" || got.SortOrder != 5 {
		t.Fatalf("after update: %+v, %v", got, err)
	}
	if acts := a.templateActions(admin.ID); !reflect.DeepEqual(acts, []string{"departure_type.create", "departure_type.update"}) {
		t.Errorf("audit actions %v", acts)
	}
	a.run(t, []handlerCase{{name: "audit log names the change", as: &admin, path: "/app/admin/audit?action=departure_type.update", wantCode: 200,
		wantBody: []string{"Vertrektype gewijzigd", "terughoudend met contact: true → false"}}})
}

func TestOffboardingAdminItems(t *testing.T) {
	a := newTestApp(t)
	admin := a.createUser("admin")
	typ := "/app/admin/offboarding/types/resignation"

	a.run(t, []handlerCase{
		{name: "checklist", as: &admin, path: typ, wantCode: 200,
			wantBody: []string{"Eigen ontslag", "Exitgesprek voeren", `lang="en">Hold the exit interview`, "10 dagen vóór vertrek",
				"op de vertrekdatum", "14 dagen na vertrek", "1 dag vóór vertrek", "3 dagen vóór vertrek", "Facilitaire dienst", "Leidinggevende",
				"Verplicht", "Optioneel", "Uitnodiging alumninetwerk", `data-label="Soort"`}, notBody: []string{"Gearchiveerde stappen"}},
		{name: "new item form", as: &admin, path: typ + "/items/new", wantCode: 200,
			wantBody: []string{`name="title_nl"`, `name="description_en"`, `name="offset_days"`, `<option value="on" selected>`, `name="required" value="1" checked`}},
		{name: "invalid keeps input", as: &admin, method: "POST", path: typ + "/items",
			form:     itemForm("title_en", "", "role", "ceo", "offset_days", "abc", "description_nl", "Eerst bellen"),
			wantCode: 422, wantBody: []string{"Vul dit veld in.", "Kies een van de opties.", "Vul een aantal dagen in van 0 tot en met 365.",
				`value="Parkeervergunning opzeggen"`, `value="abc"`, ">Eerst bellen</textarea>"}},
		{name: "more than a year", as: &admin, method: "POST", path: typ + "/items", form: itemForm("offset_days", "400", "offset_when", "after"),
			wantCode: 422, wantBody: []string{"Vul een aantal dagen in van 0 tot en met 365.", `value="400"`}},
		{name: "days needed before leaving", as: &admin, method: "POST", path: typ + "/items", form: itemForm("offset_days", ""),
			wantCode: 422, wantBody: []string{"Vul dit veld in."}},
		{name: "second exit interview", as: &admin, method: "POST", path: typ + "/items", form: itemForm("kind", "exit_interview"),
			wantCode: 422, wantBody: []string{"Deze checklist heeft al een actieve stap van deze soort"}},
		{name: "create", as: &admin, method: "POST", path: typ + "/items", form: itemForm(), wantCode: 303, wantLocation: typ + "#item-"},
	})
	items := a.checklist("resignation", false)
	added := items[len(items)-1]
	if len(items) != 8 || added.TitleNL != "Parkeervergunning opzeggen" || added.OffsetDays != -5 || added.Role != "facilities" || !added.Required {
		t.Fatalf("added item: %d items, %+v", len(items), added)
	}
	item := "/app/admin/offboarding/items/" + pid(added.ID)
	a.run(t, []handlerCase{
		{name: "added shown", as: &admin, path: typ, wantCode: 200,
			wantBody: []string{"Stap ‘Parkeervergunning opzeggen’ toegevoegd.", "5 dagen vóór vertrek", `id="item-` + pid(added.ID) + `"`}},
		{name: "edit form", as: &admin, path: item, wantCode: 200,
			wantBody: []string{`value="Parkeervergunning opzeggen"`, `name="offset_days" type="text" value="5"`, `<option value="before" selected>`,
				"Stap archiveren"}},
		{name: "update invalid keeps input", as: &admin, method: "POST", path: item, form: itemForm("title_nl", "", "offset_when", "later"),
			wantCode: 422, wantBody: []string{"Vul dit veld in.", "Kies een van de opties.", `value="Cancel the parking permit"`}},
		{name: "update", as: &admin, method: "POST", path: item, form: itemForm("role", "hr", "offset_days", "1", "offset_when", "after"),
			wantCode: 303, wantLocation: typ + "#item-" + pid(added.ID)},
		{name: "updated shown", as: &admin, path: typ, wantCode: 200, wantBody: []string{"1 dag na vertrek", "Stap ‘Parkeervergunning opzeggen’ opgeslagen."}},
		{name: "on the leaving date ignores the days", as: &admin, method: "POST", path: item,
			form: itemForm("role", "hr", "offset_days", "9", "offset_when", "on"), wantCode: 303},
		{name: "move up", as: &admin, method: "POST", path: item + "/move", form: url.Values{"dir": {"up"}}, wantCode: 303,
			wantLocation: typ + "#item-" + pid(added.ID)},
		{name: "archive", as: &admin, method: "POST", path: item + "/archive", wantCode: 303},
		{name: "archived shown apart", as: &admin, path: typ, wantCode: 200,
			wantBody: []string{"Stap ‘Parkeervergunning opzeggen’ gearchiveerd", "Gearchiveerde stappen", "/restore"}},
		{name: "archived item's form offers restore", as: &admin, path: item, wantCode: 200, wantBody: []string{"Stap terugzetten", "Gearchiveerd"}},
		{name: "an archived item does not move", as: &admin, method: "POST", path: item + "/move", form: url.Values{"dir": {"down"}}, wantCode: 404},
		{name: "restore", as: &admin, method: "POST", path: item + "/restore", wantCode: 303},
		{name: "restored", as: &admin, path: typ, wantCode: 200, wantBody: []string{"Stap ‘Parkeervergunning opzeggen’ teruggezet."},
			notBody: []string{"Gearchiveerde stappen"}},
	})
	items = a.checklist("resignation", false)
	if len(items) != 8 || items[6].ID != added.ID || items[6].OffsetDays != 0 || items[6].Role != "hr" {
		t.Fatalf("after move and restore the item is 7th of 8, on the leaving date: %+v", items)
	}
	want := []string{"checklist_item.create", "checklist_item.update", "checklist_item.update", "checklist_item.move",
		"checklist_item.archive", "checklist_item.restore"}
	if acts := a.templateActions(admin.ID); !reflect.DeepEqual(acts, want) {
		t.Errorf("audit actions %v, want %v", acts, want)
	}
	a.run(t, []handlerCase{{name: "audit log reads well", as: &admin, path: "/app/admin/audit?action=checklist_item.update", wantCode: 200,
		wantBody: []string{"Checkliststap gewijzigd", "dagen t.o.v. vertrek: -5 → 1", "verantwoordelijk: Facilitaire dienst → HR",
			`href="/app/admin/offboarding/items/` + pid(added.ID) + `"`}}})
}

func TestOffboardingAdminEnglish(t *testing.T) {
	a := newTestApp(t)
	admin := a.createUser("admin")
	if err := a.srv.users.SetLanguage(context.Background(), admin.ID, "en"); err != nil {
		t.Fatal(err)
	}
	typ := "/app/admin/offboarding/types/resignation"
	a.run(t, []handlerCase{
		{name: "list", as: &admin, path: "/app/admin/offboarding", wantCode: 200,
			wantBody: []string{"Offboarding checklists", "Employers", "Schools", "Resignation", "Early school leaver", "7 steps, 5 required",
				"Cautious about contact", "Departure type", "Reason on closing"}, notBody: []string{"Eigen ontslag", "stappen"}},
		{name: "checklist", as: &admin, path: typ, wantCode: 200,
			wantBody: []string{"Hold the exit interview", `lang="nl">Exitgesprek voeren`, "10 days before leaving", "on the leaving date",
				"14 days after leaving", "1 day before leaving", "Facilities", "Manager", "Exit interview", "Alumni network invitation", "Optional",
				"Add step", "Move step Hold the exit interview one place down"}},
		{name: "item form", as: &admin, path: typ + "/items/new", wantCode: 200,
			wantBody: []string{"Title (Dutch)", "Before or after leaving", "before leaving", "Kind of step"}},
		{name: "validation in English", as: &admin, method: "POST", path: typ + "/items", form: itemForm("title_nl", "", "offset_days", "-3"),
			wantCode: 422, wantBody: []string{"This field is required.", "Enter a number of days from 0 to 365."}},
		{name: "type form", as: &admin, path: "/app/admin/offboarding/new", wantCode: 200,
			wantBody: []string{"New departure type", "Name (English)", "Leaving reason on closing", "Graduated"}},
		{name: "create", as: &admin, method: "POST", path: typ + "/items", form: itemForm(), wantCode: 303},
		{name: "flash in English", as: &admin, path: typ, wantCode: 200, wantBody: []string{"Step ‘Cancel the parking permit’ added."}},
	})
}
