package server

import (
	"bytes"
	"context"
	"html"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"alumnet/internal/auth"
	"alumnet/internal/consent"
	"alumnet/internal/i18n"
	"alumnet/internal/offboarding"
	"alumnet/internal/people"
	"alumnet/internal/units"
)

// cohortSchool is a school with two programmes, another organisation,
// and a graduating cohort 2025 in the care programme.
type cohortSchool struct {
	school, care, tech, other units.Unit
	anna, bram, fenna, gijs   int64
}

func (a *testApp) seedCohort() cohortSchool {
	a.t.Helper()
	ctx := context.Background()
	var c cohortSchool
	var err error
	if c.school, err = a.srv.units.Create(ctx, 0, nil, "Noorderpoort", "organisation"); err != nil {
		a.t.Fatal(err)
	}
	if c.care, err = a.srv.units.Create(ctx, 0, &c.school.ID, "Verzorgende IG", "programme"); err != nil {
		a.t.Fatal(err)
	}
	if c.tech, err = a.srv.units.Create(ctx, 0, &c.school.ID, "Mechatronica", "programme"); err != nil {
		a.t.Fatal(err)
	}
	if c.other, err = a.srv.units.Create(ctx, 0, nil, "Zorggroep De Linde", "organisation"); err != nil {
		a.t.Fatal(err)
	}
	mk := func(first, last, email, lang, end, reason string) int64 {
		in := people.Input{FirstName: first, LastName: last, PrimaryEmail: email, Language: lang}
		in.Normalize()
		id, err := a.srv.people.CreatePerson(ctx, units.Everyone(), 0, in, &people.AffiliationInput{Kind: "study", UnitID: pid(c.care.ID),
			StartDate: "2022-09-01", EndDate: end, CohortYear: "2025", LeavingReason: reason})
		if err != nil {
			a.t.Fatal(err)
		}
		return id
	}
	c.anna = mk("Anna", "Visser", "anna@example.nl", "en", "", "")
	c.bram = mk("Bram", "Mulder", "", "nl", "", "")
	c.fenna = mk("Fenna", "Bos", "fenna@example.nl", "nl", "", "")
	c.gijs = mk("Gijs", "Smit", "gijs@example.nl", "nl", "2025-06-01", "graduated")
	// Fenna already chose her permissions in the portal.
	news, err := a.srv.consent.PurposeByKey(ctx, "newsletter")
	if err != nil {
		a.t.Fatal(err)
	}
	if _, err := a.srv.consent.Record(ctx, a.pool, consent.Entry{PersonID: c.fenna, PurposeID: news.ID, Granted: true,
		Source: consent.SourcePortal, ByPerson: true}); err != nil {
		a.t.Fatal(err)
	}
	return c
}

// cohortUpload posts the cohort form with a CSV file, as a browser does.
func (a *testApp) cohortUpload(as *auth.User, fields url.Values, file []byte, headers map[string]string) *httptest.ResponseRecorder {
	a.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			if err := mw.WriteField(k, v); err != nil {
				a.t.Fatal(err)
			}
		}
	}
	fw, err := mw.CreateFormFile("file", "afgestudeerden.csv")
	if err != nil {
		a.t.Fatal(err)
	}
	if _, err := fw.Write(file); err != nil {
		a.t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		a.t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "http://alumnet.test/app/offboarding/cohort/preview", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	for _, c := range a.login(*as) {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	a.handler.ServeHTTP(rec, req)
	return rec
}

// cohortState counts what a cohort may write.
func (a *testApp) cohortState() string {
	a.t.Helper()
	var parts []string
	for _, q := range []string{`SELECT count(*) FROM persons`, `SELECT count(*) FROM affiliations`,
		`SELECT count(*) FROM affiliations WHERE leaving_reason IS NOT NULL`, `SELECT count(*) FROM person_tokens`,
		`SELECT count(*) FROM consent_ledger`, `SELECT count(*) FROM river_job`} {
		var n int
		if err := a.pool.QueryRow(context.Background(), q).Scan(&n); err != nil {
			a.t.Fatal(err)
		}
		parts = append(parts, strconv.Itoa(n))
	}
	return strings.Join(parts, "/")
}

var cohortRowsField = regexp.MustCompile(`name="rows" value="([^"]*)"`)

// cohortConfirmForm is the confirmation form of a preview page.
func cohortConfirmForm(t *testing.T, body string, fields url.Values) url.Values {
	t.Helper()
	f := url.Values{}
	for k, v := range fields {
		f[k] = v
	}
	if m := cohortRowsField.FindStringSubmatch(body); m != nil {
		f.Set("rows", html.UnescapeString(m[1]))
		f.Set("source", "csv")
	} else {
		f.Set("source", "registry")
	}
	return f
}

func TestCohortAccess(t *testing.T) {
	a := newTestApp(t)
	c := a.seedCohort()
	staff := a.createUser("staff")
	coord := a.createUser("coordinator", c.tech.ID)
	form := url.Values{"unit_id": {pid(c.care.ID)}, "year": {"2025"}, "graduation_date": {"2025-07-04"}}
	before := a.cohortState()
	a.run(t, []handlerCase{
		{name: "anonymous goes to login", path: "/app/offboarding/cohort", wantCode: 303, wantLocation: "/login"},
		{name: "anonymous post goes to login", method: "POST", path: "/app/offboarding/cohort/confirm", form: form, wantCode: 303, wantLocation: "/login"},
		{name: "staff form lists every unit", as: &staff, path: "/app/offboarding/cohort", wantCode: 200,
			wantBody: []string{"Een lichting afstuderen", "Verzorgende IG", "Mechatronica", "Zorggroep De Linde", `enctype="multipart/form-data"`}},
		{name: "coordinator form lists own units only", as: &coord, path: "/app/offboarding/cohort", wantCode: 200,
			wantBody: []string{"Mechatronica"}, notBody: []string{"Verzorgende IG", "Zorggroep"}},
		{name: "coordinator preview of another unit refused", as: &coord, method: "POST", path: "/app/offboarding/cohort/preview", form: form,
			wantCode: 422, wantBody: []string{"Kies een van je eigen eenheden."}, notBody: []string{"Anna", "Visser"}},
		{name: "coordinator confirm of another unit refused", as: &coord, method: "POST", path: "/app/offboarding/cohort/confirm",
			form: cohortConfirmForm(t, "", form), wantCode: 422, wantBody: []string{"Kies een van je eigen eenheden."}, notBody: []string{"Visser"}},
		{name: "unknown unit refused", as: &staff, method: "POST", path: "/app/offboarding/cohort/preview",
			form: url.Values{"unit_id": {"999999"}, "year": {"2025"}, "graduation_date": {"2025-07-04"}}, wantCode: 422, wantBody: []string{"Kies een van je eigen eenheden."}},
		{name: "bad year and date re-render what was typed", as: &staff, method: "POST", path: "/app/offboarding/cohort/preview",
			form: url.Values{"unit_id": {pid(c.care.ID)}, "year": {"twintig"}, "graduation_date": {"4 juli"}}, wantCode: 422,
			wantBody: []string{"Vul een jaartal in tussen 1900 en 2200.", "Vul een datum in als jjjj-mm-dd.", `value="twintig"`}},
		{name: "confirm without a known source is a bad request", as: &staff, method: "POST", path: "/app/offboarding/cohort/confirm",
			form: form, wantCode: 400},
		{name: "cross-site confirm refused", as: &staff, method: "POST", path: "/app/offboarding/cohort/confirm",
			form: cohortConfirmForm(t, "", form), headers: crossSite, wantCode: 403},
		{name: "summary without a cohort goes to the form", as: &staff, path: "/app/offboarding/cohort/summary", wantCode: 303,
			wantLocation: "/app/offboarding/cohort"},
	})
	if rec := a.cohortUpload(&staff, form, []byte("first_name,last_name,email\nA,B,a@example.nl\n"), crossSite); rec.Code != 403 {
		t.Errorf("cross-site upload: %d", rec.Code)
	}
	if after := a.cohortState(); after != before {
		t.Fatalf("refused requests wrote: %s → %s", before, after)
	}
}

func TestCohortFromRegistryGraduatesAndInvites(t *testing.T) {
	a := newTestApp(t)
	c := a.seedCohort()
	coord := a.createUser("coordinator", c.school.ID)
	form := url.Values{"unit_id": {pid(c.care.ID)}, "year": {"2025"}, "graduation_date": {"2025-07-04"}}
	before := a.cohortState()

	rec := a.do("POST", "/app/offboarding/cohort/preview", form, &coord, nil)
	if rec.Code != 200 {
		t.Fatalf("preview: %d %s", rec.Code, trimBody(rec.Body.String()))
	}
	body := rec.Body.String()
	for _, want := range []string{"Verzorgende IG, cohort 2025, diploma-uitreiking op 2025-07-04", "Anna Visser", "Wordt uitgenodigd",
		"Bram Mulder", "Geen e-mailadres bekend", "Fenna Bos", "Gebruikt het alumniportaal al",
		"Bevestigen: 3 afstuderen en 1 uitnodigen", `action="/app/offboarding/cohort/confirm"`} {
		if !strings.Contains(body, want) {
			t.Errorf("preview lacks %q", want)
		}
	}
	if strings.Contains(body, "Gijs") {
		t.Error("preview lists Gijs, who graduated before")
	}
	if after := a.cohortState(); after != before {
		t.Fatalf("the preview wrote: %s → %s", before, after)
	}

	rec = a.do("POST", "/app/offboarding/cohort/confirm", cohortConfirmForm(t, body, form), &coord, nil)
	if rec.Code != 303 || rec.Header().Get("Location") != "/app/offboarding/cohort/summary" {
		t.Fatalf("confirm: %d %s", rec.Code, trimBody(rec.Body.String()))
	}
	a.run(t, []handlerCase{{name: "summary", as: &coord, path: "/app/offboarding/cohort/summary", wantCode: 200,
		wantBody: []string{"Lichting afgestudeerd", "Anna Visser", "Uitgenodigd", "Overgeslagen: geen adres", "Overgeslagen: al alumnus",
			"Afgestudeerd: 3", "Geen e-mailadres bekend"}}})

	// Anna's invitation went out through the queue, in English.
	var toAnna, others int
	for _, m := range a.sentMails() {
		if m.To == "anna@example.nl" {
			toAnna++
			if m.Subject != "Stay in touch: your invitation to the alumni network" || !strings.Contains(m.HTML, "http://alumnet.test/invite/") {
				t.Errorf("invitation %q", m.Subject)
			}
		} else {
			others++
		}
	}
	if toAnna != 1 || others != 0 {
		t.Fatalf("%d mails to Anna, %d to others", toAnna, others)
	}
	// Their studies ended on the graduation date as graduated.
	for _, id := range []int64{c.anna, c.bram, c.fenna} {
		var end, reason string
		if err := a.pool.QueryRow(context.Background(), `SELECT end_date::text, leaving_reason FROM affiliations WHERE person_id = $1`,
			id).Scan(&end, &reason); err != nil || end != "2025-07-04" || reason != "graduated" {
			t.Errorf("person %d: %s %s %v", id, end, reason, err)
		}
	}
	// The invitation asked; it granted nothing.
	d, err := a.srv.consent.MayUse(context.Background(), c.anna, "newsletter")
	if err != nil || d.Allowed {
		t.Errorf("Anna's newsletter consent %+v %v", d, err)
	}

	// Posting the confirmation again (a reload) finds nobody left to graduate.
	rec = a.do("POST", "/app/offboarding/cohort/confirm", cohortConfirmForm(t, body, form), &coord, nil)
	if rec.Code != 303 {
		t.Fatalf("second confirm: %d", rec.Code)
	}
	if n := len(a.sentMails()); n != 1 {
		t.Errorf("%d mails after a second confirmation", n)
	}
}

func TestCohortCSV(t *testing.T) {
	a := newTestApp(t)
	c := a.seedCohort()
	coord := a.createUser("coordinator", c.school.ID)
	form := url.Values{"unit_id": {pid(c.care.ID)}, "year": {"2025"}, "graduation_date": {"2025-07-04"}}

	t.Run("a bad row: per-row report, nothing written", func(t *testing.T) {
		before := a.cohortState()
		rec := a.cohortUpload(&coord, form, []byte("first_name,last_name,email,language\n"+
			"Nieuw,Persoon,nieuw@example.nl,en\n"+
			",Zonder Voornaam,kapot@example,nl\n"+
			"Anna,Visser,anna@example.nl,\n"), nil)
		if rec.Code != 422 {
			t.Fatalf("status %d %s", rec.Code, trimBody(rec.Body.String()))
		}
		body := rec.Body.String()
		for _, want := range []string{"Er is niets opgeslagen. Rijen met fouten: 1.", `id="cohort-row-3"`,
			"Voornaam: Vul dit veld in.", "E-mail: Vul een geldig e-mailadres in", "Nieuw Persoon", `enctype="multipart/form-data"`} {
			if !strings.Contains(body, want) {
				t.Errorf("report lacks %q", want)
			}
		}
		if strings.Contains(body, "/app/offboarding/cohort/confirm") {
			t.Error("a report with errors offers to confirm")
		}
		// A tampered confirmation with the same rows is refused as well.
		rows := `[{"line":2,"first_name":"Nieuw","last_name":"Persoon","email":"nieuw@example.nl","language":"en"},` +
			`{"line":3,"first_name":"","last_name":"X","email":"kapot@example","language":"nl"}]`
		f := cohortConfirmForm(t, "", form)
		f.Set("source", "csv")
		f.Set("rows", rows)
		if rec := a.do("POST", "/app/offboarding/cohort/confirm", f, &coord, nil); rec.Code != 422 || !strings.Contains(rec.Body.String(), "Er is niets opgeslagen") {
			t.Errorf("tampered confirm: %d", rec.Code)
		}
		f.Set("rows", "not json")
		if rec := a.do("POST", "/app/offboarding/cohort/confirm", f, &coord, nil); rec.Code != 422 {
			t.Errorf("damaged rows: %d", rec.Code)
		}
		if after := a.cohortState(); after != before {
			t.Fatalf("wrote despite errors: %s → %s", before, after)
		}
	})

	t.Run("file problems", func(t *testing.T) {
		for name, tc := range map[string]struct {
			file []byte
			want string
		}{
			"no e-mail column": {[]byte("voornaam;achternaam\nA;B\n"), "De eerste regel mist kolommen: email."},
			"empty":            {nil, "Het bestand is leeg"},
			"too big":          {bytes.Repeat([]byte("a,b,c@example.nl\n"), offboarding.CohortMaxCSVBytes/16), "Het bestand is groter dan 2 MB."},
		} {
			rec := a.cohortUpload(&coord, form, tc.file, nil)
			if rec.Code != 422 || !strings.Contains(rec.Body.String(), tc.want) {
				t.Errorf("%s: %d, want 422 with %q\n%s", name, rec.Code, tc.want, trimBody(rec.Body.String()))
			}
		}
		// A body beyond what the route takes is refused before it is read.
		rec := a.cohortUpload(&coord, form, bytes.Repeat([]byte("a,b,c@example.nl\n"), 4*offboarding.CohortMaxCSVBytes/16), nil)
		if rec.Code != 413 || !strings.Contains(rec.Body.String(), "te groot") {
			t.Errorf("far too big: %d, want 413 with a readable page\n%s", rec.Code, trimBody(rec.Body.String()))
		}
	})

	t.Run("a semicolon file with BOM graduates, creates and invites", func(t *testing.T) {
		before := a.cohortState()
		csv := "\ufeffVoornaam;Tussenvoegsel;Achternaam;E-mail;Taal;Studentnummer\r\n" +
			"Lotte;van der;Berg;Lotte@Example.nl;Engels;20231234\r\n" + // new, English
			"Anna;;Visser;ANNA@example.nl;;\r\n" + // known, open study
			"Gijs;;Smit;gijs@example.nl;nl;\r\n" + // graduated before
			"Sanne;;de Wit;;nl;\r\n" // new, no address
		rec := a.cohortUpload(&coord, form, []byte(csv), nil)
		if rec.Code != 200 {
			t.Fatalf("preview %d %s", rec.Code, trimBody(rec.Body.String()))
		}
		body := rec.Body.String()
		for _, want := range []string{"Lotte van der Berg", "lotte@example.nl", "20231234", "nieuw", "Anna Visser",
			"Is in deze opleiding al eerder afgestudeerd", "Sanne de Wit", "Bevestigen: 3 afstuderen en 2 uitnodigen"} {
			if !strings.Contains(body, want) {
				t.Errorf("preview lacks %q", want)
			}
		}
		if after := a.cohortState(); after != before {
			t.Fatalf("the preview wrote: %s → %s", before, after)
		}
		rec = a.do("POST", "/app/offboarding/cohort/confirm", cohortConfirmForm(t, body, form), &coord, nil)
		if rec.Code != 303 {
			t.Fatalf("confirm %d %s", rec.Code, trimBody(rec.Body.String()))
		}
		a.run(t, []handlerCase{{name: "summary", as: &coord, path: "/app/offboarding/cohort/summary", wantCode: 200,
			wantBody: []string{"Lotte van der Berg", "Uitgenodigd", "Overgeslagen: al alumnus", "Is in deze opleiding al eerder afgestudeerd",
				"Overgeslagen: geen adres", "Nieuw in het register: 2"}}})

		mails := map[string]string{}
		for _, m := range a.sentMails() {
			mails[m.To] = m.Subject
		}
		want := map[string]string{
			"lotte@example.nl": "Stay in touch: your invitation to the alumni network",
			"anna@example.nl":  "Stay in touch: your invitation to the alumni network",
		}
		if len(mails) != len(want) || mails["lotte@example.nl"] != want["lotte@example.nl"] || mails["anna@example.nl"] != want["anna@example.nl"] {
			t.Errorf("mails %v", mails)
		}
		// The new person is in the coordinator's programme, graduated; the
		// import recorded no consent for anyone.
		var lotte int64
		var lang, reason string
		if err := a.pool.QueryRow(context.Background(), `SELECT p.id, p.language, a.leaving_reason FROM persons p
			JOIN affiliations a ON a.person_id = p.id WHERE p.last_name = 'van der Berg' AND a.unit_id = $1`, c.care.ID).Scan(&lotte, &lang, &reason); err != nil ||
			lang != "en" || reason != "graduated" {
			t.Fatalf("Lotte: %s %s %v", lang, reason, err)
		}
		for _, id := range []int64{lotte, c.anna} {
			for _, purpose := range []string{"newsletter", "events", "directory"} {
				if d, err := a.srv.consent.MayUse(context.Background(), id, purpose); err != nil || d.Allowed {
					t.Errorf("person %d may be used for %s after the import: %+v %v", id, purpose, d, err)
				}
			}
		}
		var ledger int
		if err := a.pool.QueryRow(context.Background(), `SELECT count(*) FROM consent_ledger WHERE person_id <> $1`, c.fenna).Scan(&ledger); err != nil || ledger != 0 {
			t.Errorf("%d ledger rows written by the import", ledger)
		}
		// Gijs stays as he was.
		var affs int
		if err := a.pool.QueryRow(context.Background(), `SELECT count(*) FROM affiliations WHERE person_id = $1`, c.gijs).Scan(&affs); err != nil || affs != 1 {
			t.Errorf("Gijs has %d affiliations", affs)
		}
		// A person page shows the audit trail of the graduation.
		a.run(t, []handlerCase{{name: "person page", as: &coord, path: "/app/people/" + pid(lotte), wantCode: 200,
			wantBody: []string{"Lotte", "Verzorgende IG"}}})
	})
}

// Every reason and outcome a cohort report can carry has a message.
func TestCohortMessages(t *testing.T) {
	keys := append([]string{}, offboarding.CohortReasons...)
	for _, o := range []string{offboarding.CohortInvite, offboarding.CohortNoAddress, offboarding.CohortAlreadyAlumnus,
		offboarding.CohortInvitedRecently, offboarding.CohortError} {
		keys = append(keys, "cohort.plan."+o, "cohort.outcome."+o, "cohort.count."+o)
	}
	keys = append(keys, "cohort.err.too_large", "cohort.err.duplicate", "cohort.err.ambiguous", "cohort.err.language",
		"cohort.csv.too_big", "cohort.csv.encoding", "cohort.csv.not_csv", "cohort.csv.empty", "cohort.csv.header",
		"cohort.csv.duplicate_column", "cohort.csv.no_rows", "cohort.csv.too_many", "cohort.csv.parse")
	for _, k := range keys {
		if !i18n.Has(k) {
			t.Errorf("no message %q", k)
		}
	}
}
