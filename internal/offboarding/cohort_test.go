package offboarding_test

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/text/encoding/charmap"

	"alumnet/internal/auth"
	"alumnet/internal/consent"
	"alumnet/internal/form"
	"alumnet/internal/offboarding"
	"alumnet/internal/people"
	"alumnet/internal/pgtest"
	"alumnet/internal/portal"
	"alumnet/internal/sessions"
	"alumnet/internal/units"
)

func TestParseCohortCSV(t *testing.T) {
	latin1, err := charmap.Windows1252.NewEncoder().String("voornaam;achternaam;e-mail\nRenée;Poël;renee@example.nl\n")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		in      string
		want    []offboarding.CohortRow
		wantErr string // the file error's key
	}{
		{name: "comma, English headers", in: "first_name,last_name,email,language,student_number\nAnna,de Vries,Anna@Example.NL,en,123456\n",
			want: []offboarding.CohortRow{{Line: 2, FirstName: "Anna", LastName: "de Vries", Email: "anna@example.nl", Language: "en", StudentNumber: "123456"}}},
		{name: "semicolon with BOM and CRLF, Dutch headers",
			in: "\ufeffVoornaam;Tussenvoegsel;Achternaam;E-mailadres;Taal;Studentnummer\r\nJoëlle;van der;Berg;joelle@example.nl;Nederlands;\r\nTom;;Bakker;;Engels;77\r\n",
			want: []offboarding.CohortRow{
				{Line: 2, FirstName: "Joëlle", LastName: "van der Berg", Email: "joelle@example.nl", Language: "nl"},
				{Line: 3, FirstName: "Tom", LastName: "Bakker", Email: "", Language: "en", StudentNumber: "77"}}},
		{name: "Windows-1252 from Excel", in: latin1,
			want: []offboarding.CohortRow{{Line: 2, FirstName: "Renée", LastName: "Poël", Email: "renee@example.nl", Language: "nl"}}},
		{name: "blank lines skipped, row numbers kept, quoted comma, extra column ignored",
			in: "email,first name,last name,opleiding\n\nx@example.nl,\"Jan, jr.\",Smit,Zorg\n,,,\ny@example.nl,Ida,Smit,Zorg\n",
			want: []offboarding.CohortRow{
				{Line: 3, FirstName: "Jan, jr.", LastName: "Smit", Email: "x@example.nl", Language: "nl"},
				{Line: 5, FirstName: "Ida", LastName: "Smit", Email: "y@example.nl", Language: "nl"}}},
		{name: "unknown language kept for validation", in: "first_name,last_name,email,taal\nA,B,a@example.nl,Duits\n",
			want: []offboarding.CohortRow{{Line: 2, FirstName: "A", LastName: "B", Email: "a@example.nl", Language: "Duits"}}},
		{name: "missing e-mail column", in: "voornaam;achternaam\nA;B\n", wantErr: "cohort.csv.header"},
		{name: "empty file", in: "", wantErr: "cohort.csv.empty"},
		{name: "header only", in: "first_name,last_name,email\n", wantErr: "cohort.csv.no_rows"},
		{name: "same column twice", in: "first_name,voornaam,last_name,email\nA,A,B,c@example.nl\n", wantErr: "cohort.csv.duplicate_column"},
		{name: "broken quote", in: "first_name,last_name,email\nA,\"B,c@example.nl\n", wantErr: "cohort.csv.parse"},
		{name: "binary", in: "first_name,last_name,email\nA\x00,B,c@example.nl\n", wantErr: "cohort.csv.not_csv"},
		{name: "too big", in: "first_name,last_name,email\n" + strings.Repeat("a,b,c@example.nl\n", offboarding.CohortMaxCSVBytes/16), wantErr: "cohort.csv.too_big"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := offboarding.ParseCohortCSV(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				var fe *offboarding.CohortFileError
				if !errors.As(err, &fe) || fe.Key != tt.wantErr {
					t.Fatalf("err = %v, want file error %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestCohortRowValidate(t *testing.T) {
	tests := []struct {
		row  offboarding.CohortRow
		want form.Errors
	}{
		{offboarding.CohortRow{FirstName: "A", LastName: "B", Email: "a@example.nl", Language: "nl"}, form.Errors{}},
		{offboarding.CohortRow{FirstName: "A", LastName: "B", Language: "en"}, form.Errors{}}, // no address is allowed
		{offboarding.CohortRow{LastName: "B", Email: "a@example", Language: "nl"}, form.Errors{"first_name": {Key: "err.required"}, "email": {Key: "err.email"}}},
		{offboarding.CohortRow{FirstName: strings.Repeat("x", 101), LastName: "B", Language: "de"},
			form.Errors{"first_name": {Key: "err.too_long", N: 100}, "language": {Key: "cohort.err.language"}}},
		{offboarding.CohortRow{FirstName: "A", LastName: "B", Language: "nl", StudentNumber: strings.Repeat("9", 41)},
			form.Errors{"student_number": {Key: "err.too_long", N: 40}}},
	}
	for i, tt := range tests {
		if got := tt.row.Validate(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%d: %v, want %v", i, got, tt.want)
		}
	}
}

// cohortFixture is a school with two programmes on a fresh database.
type cohortFixture struct {
	pool       *pgxpool.Pool
	store      *offboarding.Store
	people     *people.Store
	consent    *consent.Store
	school     units.Unit
	care, tech units.Unit
	other      units.Unit // another school
	mails      []portal.Mail
	portal     *portal.Store
}

func newCohortFixture(t *testing.T) *cohortFixture {
	t.Helper()
	d := pgtest.New(t)
	ctx := context.Background()
	cs := consent.NewStore(d.Pool)
	f := &cohortFixture{pool: d.Pool, people: people.NewStore(d.Pool), consent: cs}
	f.portal = portal.NewStore(d.Pool, cs, sessions.New(d.Pool, scs.GobCodec{}), f.send)
	f.store = offboarding.NewStore(d.Pool, f.portal, cs, auth.NewStore(d.Pool, auth.Options{}), nil)
	us := units.NewStore(d.Pool)
	var err error
	if f.school, err = us.Create(ctx, 0, nil, "Noorderpoort", "organisation"); err != nil {
		t.Fatal(err)
	}
	if f.care, err = us.Create(ctx, 0, &f.school.ID, "Verzorgende IG", "programme"); err != nil {
		t.Fatal(err)
	}
	if f.tech, err = us.Create(ctx, 0, &f.school.ID, "Mechatronica", "programme"); err != nil {
		t.Fatal(err)
	}
	if f.other, err = us.Create(ctx, 0, nil, "Alfa-college", "organisation"); err != nil {
		t.Fatal(err)
	}
	return f
}

// send records the invitation instead of rendering it; the server tests
// deliver them for real.
func (f *cohortFixture) send(_ context.Context, _ pgx.Tx, m portal.Mail) error {
	f.mails = append(f.mails, m)
	return nil
}

// person adds a person with one affiliation (aff.UnitID set by the caller).
func (f *cohortFixture) person(t *testing.T, first, email, lang string, aff people.AffiliationInput) int64 {
	t.Helper()
	in := people.Input{FirstName: first, LastName: "Jansen", PrimaryEmail: email, Language: lang}
	in.Normalize()
	id, err := f.people.CreatePerson(context.Background(), units.Everyone(), 0, in, &aff)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func study(u units.Unit, cohort, start, end, reason string) people.AffiliationInput {
	return people.AffiliationInput{Kind: "study", UnitID: strconv.FormatInt(u.ID, 10), CohortYear: cohort,
		StartDate: start, EndDate: end, LeavingReason: reason}
}

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

// affiliation is the state of a person's affiliations in unit u.
func (f *cohortFixture) affiliations(t *testing.T, personID int64, u units.Unit) []people.Affiliation {
	t.Helper()
	p, err := f.people.PersonByID(context.Background(), units.Everyone(), personID)
	if err != nil {
		t.Fatal(err)
	}
	var out []people.Affiliation
	for _, a := range p.Affiliations {
		if a.UnitID == u.ID {
			out = append(out, a)
		}
	}
	return out
}

func (f *cohortFixture) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := f.pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// snapshot counts every table a cohort may write to.
func (f *cohortFixture) snapshot(t *testing.T) string {
	t.Helper()
	var parts []string
	for _, table := range []string{"persons", "person_emails", "affiliations", "person_tokens", "consent_ledger", "audit_log", "river_job"} {
		parts = append(parts, table+"="+strconv.Itoa(f.count(t, `SELECT count(*) FROM `+table)))
	}
	parts = append(parts, "ended="+strconv.Itoa(f.count(t, `SELECT count(*) FROM affiliations WHERE leaving_reason IS NOT NULL`)))
	return strings.Join(parts, " ")
}

func outcomes(rep offboarding.CohortReport) map[string]string {
	out := map[string]string{}
	for _, e := range rep.Entries {
		out[e.FirstName] = e.Outcome + " " + e.Reason
	}
	return out
}

func TestGraduateCohortFromRegistry(t *testing.T) {
	f := newCohortFixture(t)
	ctx := context.Background()
	anna := f.person(t, "Anna", "anna@example.nl", "en", study(f.care, "2025", "2022-09-01", "", ""))
	bram := f.person(t, "Bram", "", "nl", study(f.care, "2025", "2022-09-01", "", ""))
	f.person(t, "Cas", "cas@example.nl", "nl", study(f.care, "2026", "2023-09-01", "", ""))                 // next year's cohort
	dirk := f.person(t, "Dirk", "dirk@example.nl", "nl", study(f.care, "", "2022-09-01", "2025-07-10", "")) // planned end in 2025
	f.person(t, "Eva", "eva@example.nl", "nl", study(f.tech, "2025", "2022-09-01", "", ""))                 // another programme
	fenna := f.person(t, "Fenna", "fenna@example.nl", "nl", study(f.care, "2025", "2022-09-01", "", ""))
	f.person(t, "Gijs", "gijs@example.nl", "nl", study(f.care, "2025", "2021-09-01", "2024-07-01", "graduated"))
	f.person(t, "Hans", "hans@example.nl", "nl", people.AffiliationInput{Kind: "employment", UnitID: strconv.FormatInt(f.care.ID, 10), CohortYear: "2025"})
	f.person(t, "Ilse", "ilse@example.nl", "nl", study(f.care, "", "", "", "")) // open, no year: belongs to no cohort
	// Fenna already chose her permissions in the portal: she is an alumna.
	news, err := f.consent.PurposeByKey(ctx, "newsletter")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.consent.Record(ctx, f.pool, consent.Entry{PersonID: fenna, PurposeID: news.ID, Granted: true,
		Source: consent.SourcePortal, ByPerson: true}); err != nil {
		t.Fatal(err)
	}
	req := offboarding.CohortRequest{UnitID: f.care.ID, Year: 2025, GraduationDate: day("2025-07-04")}

	// Someone else's units: refused, nothing read.
	if _, err := f.store.PlanCohort(ctx, units.Within([]int64{f.other.ID}), req); !errors.Is(err, offboarding.ErrUnitScope) {
		t.Fatalf("plan outside scope: %v", err)
	}
	if _, err := f.store.GraduateCohort(ctx, units.Within([]int64{f.tech.ID}), 0, req); !errors.Is(err, offboarding.ErrUnitScope) {
		t.Fatalf("graduate outside scope: %v", err)
	}

	before := f.snapshot(t)
	plan, err := f.store.PlanCohort(ctx, units.Within([]int64{f.school.ID}), req)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"Anna":  "invite ",
		"Bram":  "no_address cohort.reason.no_address",
		"Dirk":  "invite ",
		"Fenna": "already_alumnus cohort.reason.portal",
	}
	if got := outcomes(plan); !reflect.DeepEqual(got, want) {
		t.Fatalf("plan %v, want %v", got, want)
	}
	if plan.Done || plan.Graduating() != 4 || plan.UnitName != "Verzorgende IG" {
		t.Errorf("plan: done %v, graduating %d, unit %q", plan.Done, plan.Graduating(), plan.UnitName)
	}
	if after := f.snapshot(t); after != before {
		t.Fatalf("the plan wrote: %s → %s", before, after)
	}

	rep, err := f.store.GraduateCohort(ctx, units.Within([]int64{f.school.ID}), 0, req)
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(rep); !reflect.DeepEqual(got, want) || !rep.Done {
		t.Fatalf("report %v (done %v), want %v", got, rep.Done, want)
	}
	for _, id := range []int64{anna, bram, dirk, fenna} {
		affs := f.affiliations(t, id, f.care)
		a := affs[0]
		if len(affs) != 1 || a.EndDate == nil || !a.EndDate.Equal(day("2025-07-04")) || a.LeavingReason == nil ||
			*a.LeavingReason != "graduated" || a.CohortYear == nil || *a.CohortYear != 2025 {
			t.Errorf("person %d: affiliation %+v", id, a)
		}
		if n := f.count(t, `SELECT count(*) FROM audit_log WHERE action = 'affiliation.graduate' AND person_id = $1`, id); n != 1 {
			t.Errorf("person %d: %d graduation audit entries", id, n)
		}
	}
	// Invitations to Anna (in English) and Dirk, in their own language.
	got := map[string]string{}
	for _, m := range f.mails {
		got[m.To] = m.Lang + " " + m.Kind
	}
	if !reflect.DeepEqual(got, map[string]string{"anna@example.nl": "en invite", "dirk@example.nl": "nl invite"}) {
		t.Errorf("mails %v", got)
	}
	if n := f.count(t, `SELECT count(*) FROM audit_log WHERE action = 'offboarding.cohort' AND entity_id = $1`, f.care.ID); n != 1 {
		t.Errorf("%d cohort audit entries", n)
	}
	// The others are untouched.
	if n := f.count(t, `SELECT count(*) FROM affiliations WHERE leaving_reason = 'graduated'`); n != 5 {
		t.Errorf("%d graduated affiliations, want 5 (4 now, Gijs before)", n)
	}

	// Running it again finds nobody left in the cohort.
	again, err := f.store.GraduateCohort(ctx, units.Everyone(), 0, req)
	if err != nil || len(again.Entries) != 0 || len(f.mails) != 2 {
		t.Fatalf("second run: %v, %d entries, %d mails", err, len(again.Entries), len(f.mails))
	}

	// The whole school takes in Eva from the other programme.
	whole, err := f.store.PlanCohort(ctx, units.Everyone(), offboarding.CohortRequest{UnitID: f.school.ID, Year: 2025, GraduationDate: day("2025-07-04")})
	if err != nil || !reflect.DeepEqual(outcomes(whole), map[string]string{"Eva": "invite "}) {
		t.Fatalf("school plan %v %v", outcomes(whole), err)
	}
}

func TestGraduateCohortRefusesAGraduationBeforeTheStart(t *testing.T) {
	f := newCohortFixture(t)
	ctx := context.Background()
	f.person(t, "Anna", "anna@example.nl", "nl", study(f.care, "2025", "2022-09-01", "", ""))
	f.person(t, "Late", "late@example.nl", "nl", study(f.care, "2025", "2025-08-01", "", ""))
	before := f.snapshot(t)
	rep, err := f.store.GraduateCohort(ctx, units.Everyone(), 0,
		offboarding.CohortRequest{UnitID: f.care.ID, Year: 2025, GraduationDate: day("2025-07-04")})
	if !errors.Is(err, offboarding.ErrCohortInvalid) || rep.Done {
		t.Fatalf("err %v, done %v", err, rep.Done)
	}
	if got := outcomes(rep); got["Late"] != "error cohort.reason.starts_after" || got["Anna"] != "invite " {
		t.Errorf("report %v", got)
	}
	if after := f.snapshot(t); after != before || len(f.mails) != 0 {
		t.Fatalf("wrote despite an error: %s → %s, %d mails", before, after, len(f.mails))
	}
}

func TestGraduateCohortFromCSV(t *testing.T) {
	f := newCohortFixture(t)
	ctx := context.Background()
	news, err := f.consent.PurposeByKey(ctx, "newsletter")
	if err != nil {
		t.Fatal(err)
	}
	// Known people: an open study (matched by address in capitals), one
	// who graduated here before, one who objected to the newsletter, one
	// without an address (matched by name), and one of another school.
	open := f.person(t, "Olga", "olga@example.nl", "nl", study(f.care, "2025", "2022-09-01", "", ""))
	f.person(t, "Gerrit", "gerrit@example.nl", "nl", study(f.care, "2024", "2021-09-01", "2024-07-01", "graduated"))
	objected := f.person(t, "Wim", "wim@example.nl", "en", study(f.tech, "", "2022-09-01", "", ""))
	if _, err := f.consent.Record(ctx, f.pool, consent.Entry{PersonID: objected, PurposeID: news.ID, Granted: false,
		Source: consent.SourceUnsubscribe, ByPerson: true}); err != nil {
		t.Fatal(err)
	}
	noMail := f.person(t, "Nina", "", "nl", study(f.care, "2025", "2022-09-01", "", ""))
	stranger := f.person(t, "Sven", "sven@example.nl", "nl", study(f.other, "2025", "2022-09-01", "", ""))

	csv := func(lines ...string) []offboarding.CohortRow {
		rows, err := offboarding.ParseCohortCSV(strings.NewReader("voornaam;achternaam;e-mail;taal\n" + strings.Join(lines, "\n")))
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	req := func(rows []offboarding.CohortRow) offboarding.CohortRequest {
		return offboarding.CohortRequest{UnitID: f.care.ID, Year: 2025, GraduationDate: day("2025-07-04"), FromCSV: true, Rows: rows}
	}
	coord := units.Within([]int64{f.school.ID})

	t.Run("a bad row: per-row report and nothing written", func(t *testing.T) {
		before := f.snapshot(t)
		rows := csv("Nieuw;Persoon;nieuw@example.nl;en", ";Zonder voornaam;x@example;nl", "Dubbel;Een;nieuw@example.nl;nl",
			"Olga;Jansen;OLGA@example.nl;", "Sven;Jansen;sven@example.nl;nl")
		rep, err := f.store.GraduateCohort(ctx, coord, 0, req(rows))
		if !errors.Is(err, offboarding.ErrCohortInvalid) {
			t.Fatalf("err %v", err)
		}
		byLine := map[int]offboarding.CohortEntry{}
		for _, e := range rep.Entries {
			byLine[e.Line] = e
		}
		if e := byLine[3]; e.Outcome != offboarding.CohortError || !reflect.DeepEqual(e.Errors, form.Errors{"first_name": {Key: "err.required"}, "email": {Key: "err.email"}}) {
			t.Errorf("row 3: %+v", e)
		}
		if e := byLine[4]; e.Outcome != offboarding.CohortError || e.Errors["email"] != (form.Message{Key: "cohort.err.duplicate", N: 2}) {
			t.Errorf("row 4: %+v", e)
		}
		// Someone outside the coordinator's units: the row reads exactly
		// as one with an address nobody has (a new record), so the check
		// does not reveal that the address is registered elsewhere.
		if e, fresh := byLine[6], byLine[2]; e.Outcome != fresh.Outcome || e.New != fresh.New || e.Reason != fresh.Reason ||
			e.PersonID != 0 || e.FirstName != "Sven" || len(e.Errors) != 0 {
			t.Errorf("row 6 (someone outside the coordinator's units): %+v, like a new address: %+v", e, fresh)
		}
		if e := byLine[2]; e.Outcome != offboarding.CohortInvite || !e.New {
			t.Errorf("row 2: %+v", e)
		}
		if e := byLine[5]; e.Outcome != offboarding.CohortInvite || e.PersonID != open {
			t.Errorf("row 5: %+v", e)
		}
		if after := f.snapshot(t); after != before || len(f.mails) != 0 {
			t.Fatalf("wrote despite errors: %s → %s, %d mails", before, after, len(f.mails))
		}
	})

	t.Run("a good file graduates, creates and invites", func(t *testing.T) {
		// Karel was expected a year later, Pien has a planned end date: the
		// school's list says they graduate now, in this cohort.
		karel := f.person(t, "Karel", "karel@example.nl", "nl", study(f.care, "2026", "2022-09-01", "", ""))
		pien := f.person(t, "Pien", "pien@example.nl", "nl", study(f.care, "", "2022-09-01", "2025-08-31", ""))
		rows := csv("Nieuw;Persoon;Nieuw@Example.nl;en", "Olga;Anders;OLGA@example.nl;en", "Gerrit;Jansen;gerrit@example.nl;nl",
			"Wim;Jansen;wim@example.nl;nl", "nina;JANSEN;;", "Zonder;Adres;;nl", "Karel;Jansen;karel@example.nl;", "Pien;Jansen;pien@example.nl;")
		rep, err := f.store.GraduateCohort(ctx, coord, 0, req(rows))
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{
			"Nieuw":  "invite ",
			"Olga":   "invite ",
			"Gerrit": "already_alumnus cohort.reason.graduated_before",
			"Wim":    "already_alumnus cohort.reason.portal", // his objection is a choice of his own
			"Nina":   "no_address cohort.reason.no_address",
			"Zonder": "no_address cohort.reason.no_address",
			"Karel":  "invite ",
			"Pien":   "invite ",
		}
		if got := outcomes(rep); !reflect.DeepEqual(got, want) {
			t.Fatalf("report %v, want %v", got, want)
		}
		for _, id := range []int64{karel, pien} {
			a := f.affiliations(t, id, f.care)
			if len(a) != 1 || a[0].EndDate == nil || !a[0].EndDate.Equal(day("2025-07-04")) || *a[0].LeavingReason != "graduated" || *a[0].CohortYear != 2025 {
				t.Errorf("person %d: %+v", id, a)
			}
		}
		// Olga is matched, not changed: her name stays, her language too.
		p, err := f.people.PersonByID(ctx, units.Everyone(), open)
		if err != nil || p.LastName != "Jansen" || p.Language != "nl" {
			t.Errorf("Olga changed: %+v %v", p, err)
		}
		if a := f.affiliations(t, open, f.care); len(a) != 1 || a[0].LeavingReason == nil || *a[0].LeavingReason != "graduated" {
			t.Errorf("Olga's affiliation %+v", a)
		}
		// Nina matched by name, no second Nina.
		if n := f.count(t, `SELECT count(*) FROM persons WHERE first_name = 'Nina'`); n != 1 {
			t.Errorf("%d Ninas", n)
		}
		if a := f.affiliations(t, noMail, f.care); len(a) != 1 || a[0].EndDate == nil {
			t.Errorf("Nina's affiliation %+v", a)
		}
		// Wim had no affiliation in this programme: one was added, ended as graduated.
		if a := f.affiliations(t, objected, f.care); len(a) != 1 || a[0].EndDate == nil || *a[0].LeavingReason != "graduated" || *a[0].CohortYear != 2025 {
			t.Errorf("Wim's new affiliation %+v", a)
		}
		// Gerrit graduated before: nothing new.
		var gerrit int64
		for _, e := range rep.Entries {
			if e.FirstName == "Gerrit" {
				gerrit = e.PersonID
				if e.Graduates {
					t.Error("Gerrit graduates again")
				}
			}
		}
		if n := f.count(t, `SELECT count(*) FROM affiliations WHERE person_id = $1`, gerrit); n != 1 {
			t.Errorf("Gerrit has %d affiliations", n)
		}
		// The new person: created with the language of the file, an
		// affiliation ended as graduated, and invited in English.
		var nieuw int64
		for _, e := range rep.Entries {
			if e.FirstName == "Nieuw" {
				nieuw = e.PersonID
			}
		}
		np, err := f.people.PersonByID(ctx, units.Everyone(), nieuw)
		if err != nil || np.Language != "en" || np.PrimaryEmail() != "nieuw@example.nl" || len(np.Affiliations) != 1 ||
			np.Affiliations[0].UnitID != f.care.ID || *np.Affiliations[0].LeavingReason != "graduated" {
			t.Fatalf("new person %+v %v", np, err)
		}
		mails := map[string]string{}
		for _, m := range f.mails {
			mails[m.To] = m.Lang
		}
		if !reflect.DeepEqual(mails, map[string]string{"nieuw@example.nl": "en", "olga@example.nl": "nl", "karel@example.nl": "nl", "pien@example.nl": "nl"}) {
			t.Errorf("mails %v", mails)
		}
		// Consent: the import granted nothing and changed nothing.
		for id, want := range map[int64]string{nieuw: consent.ReasonNever, open: consent.ReasonNever, objected: consent.ReasonWithdrawn, noMail: consent.ReasonNever} {
			d, err := f.consent.MayUse(ctx, id, "newsletter")
			if err != nil || d.Allowed || d.Reason != want {
				t.Errorf("person %d: MayUse newsletter = %+v %v, want not allowed (%s)", id, d, err, want)
			}
		}
		if n := f.count(t, `SELECT count(*) FROM consent_ledger`); n != 1 {
			t.Errorf("%d ledger rows, want only Wim's own", n)
		}
		if n := f.count(t, `SELECT count(*) FROM affiliations WHERE person_id = $1`, stranger); n != 1 {
			t.Errorf("the stranger was touched")
		}
	})

	t.Run("invited this week", func(t *testing.T) {
		id := f.person(t, "Rik", "rik@example.nl", "nl", study(f.care, "2025", "2022-09-01", "", ""))
		if ok, err := f.portal.Invite(ctx, 0, id); !ok || err != nil {
			t.Fatal(ok, err)
		}
		n := len(f.mails)
		rep, err := f.store.GraduateCohort(ctx, units.Everyone(), 0, req(csv("Rik;Jansen;rik@example.nl;nl")))
		if err != nil {
			t.Fatal(err)
		}
		if got := outcomes(rep); got["Rik"] != "invited_recently cohort.reason.recent" || !rep.Entries[0].Graduates || len(f.mails) != n {
			t.Errorf("report %v, %d mails", got, len(f.mails)-n)
		}
	})

	t.Run("two people of the same name without address", func(t *testing.T) {
		f.person(t, "Piet", "", "nl", study(f.care, "2025", "2022-09-01", "", ""))
		f.person(t, "Piet", "", "nl", study(f.care, "2025", "2022-09-01", "", ""))
		rep, err := f.store.PlanCohort(ctx, units.Everyone(), req(csv("Piet;Jansen;;nl")))
		if err != nil || rep.Entries[0].Errors.Key("email") != "cohort.err.ambiguous" || rep.Valid() {
			t.Errorf("ambiguous: %+v %v", rep.Entries, err)
		}
	})
}

// TestCohortCSVEndToEnd reads a semicolon file with a byte order mark as
// Dutch Excel writes it.
func TestCohortCSVEndToEnd(t *testing.T) {
	f := newCohortFixture(t)
	var b bytes.Buffer
	b.WriteString("\ufeffVoornaam;Achternaam;E-mail;Taal\r\nLieke;de Boer;lieke@example.nl;Engels\r\n")
	rows, err := offboarding.ParseCohortCSV(&b)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := f.store.GraduateCohort(context.Background(), units.Everyone(), 0,
		offboarding.CohortRequest{UnitID: f.tech.ID, Year: 2025, GraduationDate: day("2025-06-30"), FromCSV: true, Rows: rows})
	if err != nil || rep.Count(offboarding.CohortInvite) != 1 || len(f.mails) != 1 || f.mails[0].Lang != "en" || f.mails[0].Name != "Lieke" {
		t.Fatalf("%+v %v %+v", rep, err, f.mails)
	}
}
