package portal_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"alumnet/internal/consent"
	"alumnet/internal/people"
	"alumnet/internal/pgtest"
	"alumnet/internal/portal"
	"alumnet/internal/sessions"
	"alumnet/internal/units"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

type fixture struct {
	pool    *pgxpool.Pool
	svc     *portal.Store
	consent *consent.Store
	people  *people.Store
	unit    units.Unit
	mails   []portal.Mail
}

func setup(t *testing.T) *fixture {
	t.Helper()
	d := pgtest.New(t)
	cs := consent.NewStore(d.Pool)
	u, err := units.NewStore(d.Pool).Create(context.Background(), 0, nil, "Hogeschool Rijnmond", "organisation")
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{pool: d.Pool, consent: cs, people: people.NewStore(d.Pool), unit: u}
	f.svc = portal.NewStore(d.Pool, cs, sessions.New(d.Pool, scs.GobCodec{}), f.send)
	return f
}

// send records the link mails instead of rendering them; the server tests
// render and deliver them for real.
func (f *fixture) send(_ context.Context, _ pgx.Tx, m portal.Mail) error {
	f.mails = append(f.mails, m)
	return nil
}

func (f *fixture) lastMail(t *testing.T) portal.Mail {
	t.Helper()
	if len(f.mails) == 0 {
		t.Fatal("no mail sent")
	}
	return f.mails[len(f.mails)-1]
}

func (f *fixture) purpose(t *testing.T, key string) consent.Purpose {
	t.Helper()
	p, err := f.consent.PurposeByKey(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (f *fixture) registration(t *testing.T, email string, keys ...string) portal.Registration {
	r := portal.Registration{FirstName: "Sanne", LastName: "de Groot", Email: email, Language: "en", Kind: "study",
		UnitID: f.unit.ID, FromYear: 2016, ToYear: 2020, Consents: map[int64]int64{}}
	for _, k := range keys {
		p := f.purpose(t, k)
		r.Consents[p.ID] = p.TextID
	}
	return r
}

func (f *fixture) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := f.pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRegistrationDoubleOptIn(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	if err := f.svc.Register(ctx, f.registration(t, "sanne@example.nl", "newsletter", "events")); err != nil {
		t.Fatal(err)
	}
	m := f.lastMail(t)
	if m.Kind != portal.PurposeRegister || m.To != "sanne@example.nl" || m.Lang != "en" || m.PersonID != 0 || m.Token == "" {
		t.Fatalf("confirmation mail %+v", m)
	}
	// Nothing exists until the link is used, and the token is stored hashed.
	if n := f.count(t, `SELECT count(*) FROM persons`); n != 0 {
		t.Fatalf("%d persons before confirmation", n)
	}
	if n := f.count(t, `SELECT count(*) FROM person_tokens WHERE position($1::bytea IN token_hash) > 0`, []byte(m.Token)); n != 0 {
		t.Fatal("token stored in clear")
	}
	id, err := f.svc.ConfirmRegistration(ctx, m.Token)
	if err != nil {
		t.Fatal(err)
	}
	prof, err := f.svc.Profile(ctx, id)
	if err != nil || prof.Name() != "Sanne de Groot" || prof.Email != "sanne@example.nl" || prof.Language != "en" || prof.DetailsConfirmedAt == nil {
		t.Fatalf("profile %+v %v", prof, err)
	}
	if len(prof.Affiliations) != 1 || prof.Affiliations[0].Kind != "study" || *prof.Affiliations[0].CohortYear != 2020 {
		t.Fatalf("affiliations %+v", prof.Affiliations)
	}
	if n := f.count(t, `SELECT count(*) FROM person_emails WHERE person_id = $1 AND verified_at IS NOT NULL`, id); n != 1 {
		t.Fatal("address not verified")
	}
	for key, want := range map[string]bool{"newsletter": true, "events": true, "vacancies": false} {
		d, err := f.consent.MayUse(ctx, id, key)
		if err != nil || d.Allowed != want {
			t.Errorf("%s: allowed %v, want %v (%v)", key, d.Allowed, want, err)
		}
		if want && (d.Row == nil || d.Row.Source != consent.SourceRegistration || !d.Row.ByPerson || *d.Row.TextID != f.purpose(t, key).TextID) {
			t.Errorf("%s: ledger row %+v", key, d.Row)
		}
	}
	// The link works once.
	if _, err := f.svc.ConfirmRegistration(ctx, m.Token); !errors.Is(err, portal.ErrLinkInvalid) {
		t.Fatalf("reused link: %v", err)
	}
}

func TestRegistrationLinkExpires(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	if err := f.svc.Register(ctx, f.registration(t, "late@example.nl")); err != nil {
		t.Fatal(err)
	}
	if _, err := f.pool.Exec(ctx, `UPDATE person_tokens SET expires_at = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Peek(ctx, portal.PurposeRegister, f.lastMail(t).Token); !errors.Is(err, portal.ErrLinkInvalid) {
		t.Fatalf("peek expired: %v", err)
	}
	if _, err := f.svc.ConfirmRegistration(ctx, f.lastMail(t).Token); !errors.Is(err, portal.ErrLinkInvalid) {
		t.Fatalf("expired link: %v", err)
	}
	if n := f.count(t, `SELECT count(*) FROM persons`); n != 0 {
		t.Fatalf("expired link created %d persons", n)
	}
	// A link of another purpose does not work either.
	if _, err := f.svc.Login(ctx, f.lastMail(t).Token); !errors.Is(err, portal.ErrLinkInvalid) {
		t.Fatalf("registration link used as login link: %v", err)
	}
}

func TestRegisteringAKnownAddressChangesNothing(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	if err := f.svc.Register(ctx, f.registration(t, "sanne@example.nl", "newsletter")); err != nil {
		t.Fatal(err)
	}
	id, err := f.svc.ConfirmRegistration(ctx, f.lastMail(t).Token)
	if err != nil {
		t.Fatal(err)
	}
	// Someone registers the same address again, with other names and no
	// permissions: a login link goes to the address; nothing changes.
	again := f.registration(t, "SANNE@example.nl ")
	again.FirstName, again.Language = "Mallory", "nl"
	again.Normalize()
	if err := f.svc.Register(ctx, again); err != nil {
		t.Fatal(err)
	}
	m := f.lastMail(t)
	if m.Kind != "known" || m.PersonID != id || m.Lang != "en" || m.Name != "Sanne" {
		t.Fatalf("mail for a known address: %+v", m)
	}
	prof, _ := f.svc.Profile(ctx, id)
	if prof.FirstName != "Sanne" || prof.Language != "en" {
		t.Fatalf("profile changed: %+v", prof)
	}
	if d, _ := f.consent.MayUse(ctx, id, "newsletter"); !d.Allowed {
		t.Fatal("permission reset by a second registration")
	}
	if n := f.count(t, `SELECT count(*) FROM persons`); n != 1 {
		t.Fatalf("%d persons", n)
	}
	// The link in it logs in.
	if got, err := f.svc.Login(ctx, m.Token); err != nil || got != id {
		t.Fatalf("login with the known-address link: %d %v", got, err)
	}
}

func TestMagicLink(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	if err := f.svc.Register(ctx, f.registration(t, "jan@example.nl")); err != nil {
		t.Fatal(err)
	}
	id, err := f.svc.ConfirmRegistration(ctx, f.lastMail(t).Token)
	if err != nil {
		t.Fatal(err)
	}
	f.mails = nil
	// An unknown address: no mail, no link stored; the caller answers alike.
	if err := f.svc.RequestLogin(ctx, portal.LoginRequest{Email: "nobody@example.nl"}); err != nil || len(f.mails) != 0 {
		t.Fatalf("unknown address: %v, %d mails", err, len(f.mails))
	}
	if n := f.count(t, `SELECT count(*) FROM person_tokens WHERE purpose = 'login'`); n != 0 {
		t.Fatalf("%d login links for an unknown address", n)
	}
	if err := f.svc.RequestLogin(ctx, portal.LoginRequest{Email: " JAN@example.nl"}); err != nil {
		t.Fatal(err)
	}
	m := f.lastMail(t)
	if m.Kind != portal.PurposeLogin || m.PersonID != id {
		t.Fatalf("login mail %+v", m)
	}
	if got, err := f.svc.Login(ctx, m.Token); err != nil || got != id {
		t.Fatalf("login: %d %v", got, err)
	}
	if _, err := f.svc.Login(ctx, m.Token); !errors.Is(err, portal.ErrLinkInvalid) {
		t.Fatalf("replayed link: %v", err)
	}
	// Expired after 15 minutes.
	if err := f.svc.RequestLogin(ctx, portal.LoginRequest{Email: "jan@example.nl"}); err != nil {
		t.Fatal(err)
	}
	if n := f.count(t, `SELECT count(*) FROM person_tokens WHERE purpose = 'login' AND used_at IS NULL
		AND expires_at BETWEEN now() + interval '14 minutes' AND now() + interval '15 minutes'`); n != 1 {
		t.Fatalf("login link validity: %d links of 15 minutes", n)
	}
	if _, err := f.pool.Exec(ctx, `UPDATE person_tokens SET expires_at = now() - interval '1 second' WHERE used_at IS NULL`); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Login(ctx, f.lastMail(t).Token); !errors.Is(err, portal.ErrLinkInvalid) {
		t.Fatalf("expired link: %v", err)
	}
}

func TestRateLimit(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	for i := range 4 {
		ok, err := f.svc.Allow(ctx, "register.email", "a@example.nl", 3, 3600e9)
		if err != nil || ok != (i < 3) {
			t.Fatalf("attempt %d: %v %v", i+1, ok, err)
		}
	}
	if ok, _ := f.svc.Allow(ctx, "register.email", "b@example.nl", 3, 3600e9); !ok {
		t.Fatal("another key is limited too")
	}
}

func TestInvitationSetsConsents(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	in := people.Input{FirstName: "Piet", LastName: "Jansen", PrimaryEmail: "piet@example.nl", Language: "nl"}
	in.Normalize()
	id, err := f.people.CreatePerson(ctx, units.Everyone(), 0, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	news, events := f.purpose(t, "newsletter"), f.purpose(t, "events")
	if err := f.consent.Choose(ctx, id, news.ID, news.TextID, true); err != nil {
		t.Fatal(err)
	}
	ok, err := f.svc.Invite(ctx, 0, id)
	if err != nil || !ok {
		t.Fatalf("invite: %v %v", ok, err)
	}
	// Within the week a second invitation is skipped.
	if again, err := f.svc.Invite(ctx, 0, id); err != nil || again {
		t.Fatalf("second invite: %v %v", again, err)
	}
	m := f.lastMail(t)
	// The person keeps events, drops the newsletter, corrects the name.
	if _, err := f.svc.AcceptInvitation(ctx, m.Token, "Pieter", "Jansen", "en", map[int64]int64{events.ID: events.TextID}); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]bool{"newsletter": false, "events": true} {
		d, _ := f.consent.MayUse(ctx, id, key)
		if d.Allowed != want || d.Row == nil || d.Row.Source != consent.SourceInvitation {
			t.Errorf("%s: %+v", key, d)
		}
	}
	prof, _ := f.svc.Profile(ctx, id)
	if prof.FirstName != "Pieter" || prof.Language != "en" {
		t.Fatalf("profile %+v", prof)
	}
	if _, err := f.svc.AcceptInvitation(ctx, m.Token, "X", "Y", "nl", nil); !errors.Is(err, portal.ErrLinkInvalid) {
		t.Fatalf("reused invitation: %v", err)
	}
	// Nobody without an address is invited.
	in2 := people.Input{FirstName: "Geen", LastName: "Adres", Language: "nl"}
	in2.Normalize()
	id2, _ := f.people.CreatePerson(ctx, units.Everyone(), 0, in2, nil)
	if ok, err := f.svc.Invite(ctx, 0, id2); err != nil || ok {
		t.Fatalf("invite without address: %v %v", ok, err)
	}
}

func TestUnsubscribe(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	if err := f.svc.Register(ctx, f.registration(t, "u@example.nl", "newsletter")); err != nil {
		t.Fatal(err)
	}
	id, _ := f.svc.ConfirmRegistration(ctx, f.lastMail(t).Token)
	token, err := f.svc.UnsubscribeToken(ctx, id, "newsletter")
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{token + "x", strings.Replace(token, ".newsletter.", ".events.", 1), "1.newsletter.abc", "nonsense"} {
		if _, _, err := f.svc.VerifyUnsubscribe(ctx, bad); !errors.Is(err, portal.ErrBadSignature) {
			t.Errorf("%q accepted: %v", bad, err)
		}
	}
	if done, err := f.svc.Unsubscribe(ctx, token); err != nil || !done {
		t.Fatalf("unsubscribe: %v %v", done, err)
	}
	d, _ := f.consent.MayUse(ctx, id, "newsletter")
	if d.Allowed || d.Row == nil || d.Row.Source != consent.SourceUnsubscribe {
		t.Fatalf("after unsubscribe: %+v", d)
	}
	if done, err := f.svc.Unsubscribe(ctx, token); err != nil || done {
		t.Fatalf("second unsubscribe wrote a row: %v %v", done, err)
	}
}

func TestExport(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	r := f.registration(t, "x@example.nl", "newsletter")
	r.FirstName = "=HYPERLINK(\"evil\")"
	if err := f.svc.Register(ctx, r); err != nil {
		t.Fatal(err)
	}
	id, _ := f.svc.ConfirmRegistration(ctx, f.lastMail(t).Token)
	x, err := f.svc.Export(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if x.Person.ID != id || len(x.Emails) != 1 || x.Emails[0].Address != "x@example.nl" || len(x.Affiliations) != 1 ||
		x.Affiliations[0].Unit != "Hogeschool Rijnmond" {
		t.Fatalf("export %+v", x)
	}
	if len(x.Consents) != 1 || x.Consents[0].Purpose != "newsletter" || x.Consents[0].Text == nil || *x.Consents[0].Text == "" ||
		!x.Consents[0].ByYou || x.Consents[0].Source != "registration" {
		t.Fatalf("consents %+v", x.Consents)
	}
	if len(x.Activity) == 0 || x.Activity[0].By != "you" {
		t.Fatalf("activity %+v", x.Activity)
	}
	var buf bytes.Buffer
	if err := x.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `'=HYPERLINK`) || !strings.HasPrefix(buf.String(), "id,first_name,last_name,email") {
		t.Fatalf("csv:\n%s", buf.String())
	}
}

// TestErasureLeavesNoTrace erases someone with data in many places, then
// reads every text column of every table: the name and the address appear
// nowhere.
func TestYearlyDetailsReminder(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	if err := f.svc.Register(ctx, f.registration(t, "oud@example.nl", "events")); err != nil {
		t.Fatal(err)
	}
	asked, _ := f.svc.ConfirmRegistration(ctx, f.lastMail(t).Token)
	if err := f.svc.Register(ctx, f.registration(t, "stil@example.nl")); err != nil {
		t.Fatal(err)
	}
	silent, _ := f.svc.ConfirmRegistration(ctx, f.lastMail(t).Token) // no permission: not contacted
	// Gave permission for events and withdrew it again: not contacted either.
	if err := f.svc.Register(ctx, f.registration(t, "weg@example.nl", "events")); err != nil {
		t.Fatal(err)
	}
	withdrew, _ := f.svc.ConfirmRegistration(ctx, f.lastMail(t).Token)
	if err := f.consent.Choose(ctx, withdrew, f.purpose(t, "events").ID, 0, false); err != nil {
		t.Fatal(err)
	}
	if n, err := f.svc.RemindStale(ctx, 100); err != nil || n != 0 {
		t.Fatalf("fresh details reminded: %d %v", n, err)
	}
	if _, err := f.pool.Exec(ctx, `UPDATE persons SET details_confirmed_at = now() - interval '13 months', created_at = now() - interval '2 years'`); err != nil {
		t.Fatal(err)
	}
	f.mails = nil
	if n, err := f.svc.RemindStale(ctx, 100); err != nil || n != 1 {
		t.Fatalf("reminders: %d %v", n, err)
	}
	m := f.lastMail(t)
	if m.Kind != portal.PurposeConfirmDetails || m.PersonID != asked || m.To != "oud@example.nl" {
		t.Fatalf("reminder %+v (silent is %d)", m, silent)
	}
	// Not again within the year, also not when the job runs twice.
	if n, err := f.svc.RemindStale(ctx, 100); err != nil || n != 0 {
		t.Fatalf("second run: %d %v", n, err)
	}
	if id, err := f.svc.ConfirmDetailsByLink(ctx, m.Token); err != nil || id != asked {
		t.Fatalf("still correct: %d %v", id, err)
	}
	prof, _ := f.svc.Profile(ctx, asked)
	if prof.DetailsConfirmedAt == nil || prof.DetailsConfirmedAt.Before(time.Now().Add(-time.Minute)) {
		t.Fatalf("confirmed at %v", prof.DetailsConfirmedAt)
	}
	if _, err := f.svc.ConfirmDetailsByLink(ctx, m.Token); !errors.Is(err, portal.ErrLinkInvalid) {
		t.Fatalf("reused link: %v", err)
	}
	// The link does not log in.
	if _, err := f.svc.Login(ctx, m.Token); !errors.Is(err, portal.ErrLinkInvalid) {
		t.Fatalf("still-correct link used to log in: %v", err)
	}
}

// TestLinksStopAfterEmailChange: whoever keeps the old mailbox (a former
// employer) cannot use links sent there once the address changed, and a
// new login link replaces the previous one.
func TestLinksStopAfterEmailChange(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	if err := f.svc.Register(ctx, f.registration(t, "werk@bedrijf.example")); err != nil {
		t.Fatal(err)
	}
	id, _ := f.svc.ConfirmRegistration(ctx, f.lastMail(t).Token)
	if err := f.svc.RequestLogin(ctx, portal.LoginRequest{Email: "werk@bedrijf.example"}); err != nil {
		t.Fatal(err)
	}
	first := f.lastMail(t).Token
	if err := f.svc.RequestLogin(ctx, portal.LoginRequest{Email: "werk@bedrijf.example"}); err != nil {
		t.Fatal(err)
	}
	second := f.lastMail(t).Token
	if _, err := f.svc.Login(ctx, first); !errors.Is(err, portal.ErrLinkInvalid) {
		t.Fatalf("an older login link still works: %v", err)
	}
	if _, err := f.svc.Invite(ctx, 0, id); err != nil {
		t.Fatal(err)
	}
	invitation := f.lastMail(t).Token
	if err := f.svc.RequestEmailChange(ctx, id, "prive@example.nl"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ConfirmEmailChange(ctx, f.lastMail(t).Token); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Login(ctx, second); !errors.Is(err, portal.ErrLinkInvalid) {
		t.Fatalf("a login link to the old address works after the change: %v", err)
	}
	if _, err := f.svc.AcceptInvitation(ctx, invitation, "A", "B", "nl", nil); !errors.Is(err, portal.ErrLinkInvalid) {
		t.Fatalf("an invitation to the old address works after the change: %v", err)
	}
	if err := f.svc.RequestLogin(ctx, portal.LoginRequest{Email: "prive@example.nl"}); err != nil {
		t.Fatal(err)
	}
	if got, err := f.svc.Login(ctx, f.lastMail(t).Token); err != nil || got != id {
		t.Fatalf("login at the new address: %d %v", got, err)
	}
}

func TestSetConsentTwiceWritesOnce(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	if err := f.svc.Register(ctx, f.registration(t, "dubbel@example.nl")); err != nil {
		t.Fatal(err)
	}
	id, _ := f.svc.ConfirmRegistration(ctx, f.lastMail(t).Token)
	p := f.purpose(t, "events")
	for range 3 {
		if err := f.consent.Choose(ctx, id, p.ID, p.TextID, true); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.consent.Choose(ctx, id, p.ID, p.TextID, false); err != nil {
		t.Fatal(err)
	}
	if n := f.count(t, `SELECT count(*) FROM consent_ledger WHERE person_id = $1 AND purpose_id = $2`, id, p.ID); n != 2 {
		t.Fatalf("%d ledger rows for grant, grant, grant, withdraw; want 2", n)
	}
}

// TestRegisteringAnOtherAddress: someone registering with an address the
// registry has as another (not the primary) address of a record, never
// proved, gets a confirmation link (not a login link: the address opens
// nothing), and confirming it creates nothing and claims nothing: an
// address anyone could have typed into a record is no key to it. The
// primary address of a record whose person never proved one is theirs.
func TestRegisteringAnOtherAddress(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	in := people.Input{FirstName: "Bas", LastName: "Kramer", PrimaryEmail: "bas@nieuw.example", OtherEmails: []string{"bas@oud.example"}, Language: "nl"}
	in.Normalize()
	id, err := f.people.CreatePerson(ctx, units.Everyone(), 0, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Register(ctx, f.registration(t, "bas@oud.example")); err != nil {
		t.Fatal(err)
	}
	m := f.lastMail(t)
	if m.Kind != portal.PurposeRegister || m.PersonID != 0 {
		t.Fatalf("registration with an unproved other address: %+v", m)
	}
	if _, err := f.svc.ConfirmRegistration(ctx, m.Token); !errors.Is(err, portal.ErrAddressInUse) {
		t.Fatalf("confirmation with another address of a record: %v, want ErrAddressInUse", err)
	}
	if n := f.count(t, `SELECT count(*) FROM persons`); n != 1 {
		t.Fatalf("%d persons", n)
	}
	if n := f.count(t, `SELECT count(*) FROM person_emails WHERE verified_at IS NOT NULL`); n != 0 {
		t.Fatal("an address got proved")
	}
	// With the record's primary address, the registration is theirs.
	if err := f.svc.Register(ctx, f.registration(t, "bas@nieuw.example")); err != nil {
		t.Fatal(err)
	}
	got, err := f.svc.ConfirmRegistration(ctx, f.lastMail(t).Token)
	if err != nil || got != id {
		t.Fatalf("confirmation with the primary address: %d %v, want person %d", got, err, id)
	}
	if n := f.count(t, `SELECT count(*) FROM person_emails WHERE email = 'bas@nieuw.example' AND verified_at IS NOT NULL`); n != 1 {
		t.Fatal("the confirmed address is not proved")
	}
	// Registering again with it now sends a login link.
	if err := f.svc.Register(ctx, f.registration(t, "bas@nieuw.example")); err != nil {
		t.Fatal(err)
	}
	if m := f.lastMail(t); m.Kind != "known" || m.PersonID != id {
		t.Fatalf("second registration: %+v", m)
	}
}
