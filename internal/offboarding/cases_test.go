package offboarding_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"alumnet/internal/auth"
	"alumnet/internal/consent"
	"alumnet/internal/offboarding"
	"alumnet/internal/people"
	"alumnet/internal/pgtest"
	"alumnet/internal/portal"
	"alumnet/internal/sessions"
	"alumnet/internal/units"
)

type caseFixture struct {
	pool            *pgxpool.Pool
	store           *offboarding.Store
	portal          *portal.Store
	company, school units.Unit
	person          int64
	hr, manager     auth.User
	coord           auth.User // coordinator of the school only
	mails           []portal.Mail
}

func newCaseFixture(t *testing.T) *caseFixture {
	t.Helper()
	ctx := context.Background()
	d := pgtest.New(t)
	us := units.NewStore(d.Pool)
	company, err := us.Create(ctx, 0, nil, "Installatiebedrijf Jansen", "organisation")
	if err != nil {
		t.Fatal(err)
	}
	school, err := us.Create(ctx, 0, nil, "Techniek College", "organisation")
	if err != nil {
		t.Fatal(err)
	}
	in := people.Input{FirstName: "Karin", LastName: "Smits", PrimaryEmail: "k.smits@jansen.example", Language: "nl"}
	in.Normalize()
	person, err := people.NewStore(d.Pool).CreatePerson(ctx, units.Everyone(), 0, in, &people.AffiliationInput{Kind: "employment",
		UnitID: strconv.FormatInt(company.ID, 10), StartDate: "2015-03-01"})
	if err != nil {
		t.Fatal(err)
	}
	users := auth.NewStore(d.Pool, auth.Options{})
	mk := func(email, role string, unitIDs ...int64) auth.User {
		u, err := users.CreateUser(ctx, auth.NewUser{Email: email, Name: email, Role: role, UnitIDs: unitIDs})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	cs := consent.NewStore(d.Pool)
	f := &caseFixture{pool: d.Pool, company: company, school: school,
		person: person, hr: mk("hr@jansen.example", "staff"), manager: mk("chef@jansen.example", "staff"),
		coord: mk("coord@college.example", "coordinator", school.ID)}
	// The portal's link mails are kept, not rendered: the server tests
	// render and deliver them.
	f.portal = portal.NewStore(d.Pool, cs, sessions.New(d.Pool, scs.GobCodec{}), func(_ context.Context, _ pgx.Tx, m portal.Mail) error {
		f.mails = append(f.mails, m)
		return nil
	})
	f.store = offboarding.NewStore(d.Pool, f.portal, cs, users, []string{"jansen.example"})
	return f
}

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func (f *caseFixture) start(t *testing.T, typ, leaving string) offboarding.Case {
	t.Helper()
	id, err := f.store.Start(context.Background(), units.Everyone(), f.hr.ID, offboarding.StartInput{PersonID: f.person,
		DepartureType: typ, UnitID: f.company.ID, LeavingDate: date(leaving), ManagerID: f.manager.ID})
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.store.Case(context.Background(), units.Everyone(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDueDates(t *testing.T) {
	cases := []struct {
		leaving string
		offset  int
		want    string
	}{
		{"2026-01-31", -7, "2026-01-24"},
		{"2026-01-31", 29, "2026-03-01"},
		{"2028-01-31", 29, "2028-02-29"}, // leap year
		{"2026-03-01", -1, "2026-02-28"},
		{"2028-03-01", -1, "2028-02-29"},
		{"2026-12-31", 1, "2027-01-01"},
		{"2026-05-15", -14, "2026-05-01"},
	}
	for _, c := range cases {
		if got := offboarding.DueDate(date(c.leaving), c.offset).Format(time.DateOnly); got != c.want {
			t.Errorf("DueDate(%s, %d) = %s, want %s", c.leaving, c.offset, got, c.want)
		}
	}
}

func TestStartMakesTheChecklist(t *testing.T) {
	f := newCaseFixture(t)
	c := f.start(t, "resignation", "2026-01-31")
	if len(c.Items) != 7 || c.Status != "open" || c.AffiliationID == nil || c.Caution {
		t.Fatalf("case %+v with %d items", c, len(c.Items))
	}
	due := map[string]string{}
	assignee := map[string]int64{}
	for _, it := range c.Items {
		due[it.Kind+"/"+it.Role] = it.DueDate.Format(time.DateOnly)
		if it.AssigneeID != nil {
			assignee[it.Role] = *it.AssigneeID
		}
	}
	if due["exit_interview/hr"] != "2026-01-21" || due["plain/manager"] != "2026-01-30" || due["plain/it"] != "2026-01-31" ||
		due["alumni_invitation/hr"] != "2026-01-28" {
		t.Fatalf("due dates %v", due)
	}
	if assignee["manager"] != f.manager.ID || assignee["it"] != f.hr.ID {
		t.Fatalf("assignees %v", assignee)
	}
	// One open case per person and unit.
	_, err := f.store.Start(context.Background(), units.Everyone(), f.hr.ID, offboarding.StartInput{PersonID: f.person,
		DepartureType: "retirement", UnitID: f.company.ID, LeavingDate: date("2026-02-28")})
	if !errors.Is(err, offboarding.ErrAlreadyOpen) {
		t.Fatalf("second open case: %v", err)
	}
	// A template change later leaves the running case alone.
	if _, err := f.pool.Exec(context.Background(), `UPDATE checklist_items SET title_nl = 'Anders' WHERE departure_type = 'resignation'`); err != nil {
		t.Fatal(err)
	}
	again, _ := f.store.Case(context.Background(), units.Everyone(), c.ID)
	for _, it := range again.Items {
		if it.TitleNL == "Anders" {
			t.Fatal("a template change reached a running case")
		}
	}
}

func TestRequiredItemsBlockClosing(t *testing.T) {
	f := newCaseFixture(t)
	ctx := context.Background()
	c := f.start(t, "end_of_contract", "2026-06-30")
	if err := f.store.Close(ctx, units.Everyone(), f.hr.ID, c.ID); !errors.Is(err, offboarding.ErrRequiredOpen) {
		t.Fatalf("closing with open items: %v", err)
	}
	var required []offboarding.Item
	for _, it := range c.Items {
		if it.Required {
			required = append(required, it)
		}
	}
	if len(required) < 2 {
		t.Fatalf("the template has %d required items; the test needs two", len(required))
	}
	for i, it := range required {
		if i == len(required)-1 {
			// Exactly one required item open still blocks closing.
			if err := f.store.Close(ctx, units.Everyone(), f.hr.ID, c.ID); !errors.Is(err, offboarding.ErrRequiredOpen) {
				t.Fatalf("closing with one required item open: %v", err)
			}
		}
		if err := f.store.UpdateItem(ctx, units.Everyone(), f.hr.ID, c.ID, it.ID, offboarding.ItemUpdate{Status: "skipped"}); !errors.Is(err, offboarding.ErrRequiredOpen) {
			t.Fatalf("skipping a required item: %v", err)
		}
		if err := f.store.UpdateItem(ctx, units.Everyone(), f.hr.ID, c.ID, it.ID, offboarding.ItemUpdate{Status: "done", Note: "ok", AssigneeID: f.hr.ID}); err != nil {
			t.Fatal(err)
		}
	}
	// Optional items may stay open.
	if err := f.store.Close(ctx, units.Everyone(), f.hr.ID, c.ID); err != nil {
		t.Fatal(err)
	}
	var end time.Time
	var reason string
	if err := f.pool.QueryRow(ctx, `SELECT end_date, leaving_reason FROM affiliations WHERE id = $1`, *c.AffiliationID).Scan(&end, &reason); err != nil {
		t.Fatal(err)
	}
	if end.Format(time.DateOnly) != "2026-06-30" || reason != "end_of_contract" {
		t.Fatalf("affiliation after closing: %s %s", end, reason)
	}
	if err := f.store.Close(ctx, units.Everyone(), f.hr.ID, c.ID); !errors.Is(err, offboarding.ErrClosed) {
		t.Fatalf("closing twice: %v", err)
	}
	if err := f.store.UpdateItem(ctx, units.Everyone(), f.hr.ID, c.ID, c.Items[0].ID, offboarding.ItemUpdate{Status: "open"}); !errors.Is(err, offboarding.ErrClosed) {
		t.Fatalf("changing a closed case: %v", err)
	}
	done, _ := f.store.Case(ctx, units.Everyone(), c.ID)
	for _, it := range done.Items {
		if it.Required && (it.DoneByName == nil || *it.DoneByName != f.hr.Name || it.DoneAt == nil || it.Note != "ok") {
			t.Fatalf("done item without who and when: %+v", it)
		}
	}
}

func TestCoordinatorSeesOwnUnitsOnly(t *testing.T) {
	f := newCaseFixture(t)
	ctx := context.Background()
	c := f.start(t, "resignation", "2026-03-31")
	_, err := f.store.Start(ctx, f.coord.Scope(), f.coord.ID, offboarding.StartInput{PersonID: f.person, DepartureType: "graduation",
		UnitID: f.school.ID, LeavingDate: date("2026-07-01")})
	if !errors.Is(err, offboarding.ErrNotFound) {
		t.Fatalf("coordinator started a case for someone outside their units: %v", err)
	}
	// Karin once studied at the school: its coordinator sees her record,
	// but not what happens in the company.
	if _, err := f.pool.Exec(ctx, `INSERT INTO affiliations (person_id, kind, unit_id, start_date, end_date, leaving_reason)
		VALUES ($1, 'study', $2, '2008-09-01', '2012-07-01', 'graduated')`, f.person, f.school.ID); err != nil {
		t.Fatal(err)
	}
	coord := f.coord.Scope()
	if _, err := f.store.Case(ctx, coord, c.ID); !errors.Is(err, offboarding.ErrNotFound) {
		t.Fatalf("coordinator opened a case outside their units: %v", err)
	}
	if list, _, err := f.store.List(ctx, coord, offboarding.Filter{}); err != nil || len(list) != 0 {
		t.Fatalf("coordinator's list: %d cases, %v", len(list), err)
	}
	if err := f.store.Close(ctx, coord, f.coord.ID, c.ID); !errors.Is(err, offboarding.ErrNotFound) {
		t.Fatalf("coordinator closed: %v", err)
	}
	if err := f.store.UpdateItem(ctx, coord, f.coord.ID, c.ID, c.Items[0].ID, offboarding.ItemUpdate{Status: "done"}); !errors.Is(err, offboarding.ErrNotFound) {
		t.Fatalf("coordinator ticked an item: %v", err)
	}
	if _, err := f.store.Interview(ctx, coord, c.ID, false); !errors.Is(err, offboarding.ErrNotFound) {
		t.Fatalf("coordinator read the interview: %v", err)
	}
	if cases, err := f.store.CasesOf(ctx, coord, f.person); err != nil || len(cases) != 0 {
		t.Fatalf("coordinator sees %d cases on the person page (%v)", len(cases), err)
	}
	if list, _, err := f.store.List(ctx, units.Everyone(), offboarding.Filter{Month: "2026-03"}); err != nil || len(list) != 1 {
		t.Fatalf("staff list for March: %d, %v", len(list), err)
	}
	if list, _, err := f.store.List(ctx, units.Everyone(), offboarding.Filter{Month: "2026-04"}); err != nil || len(list) != 0 {
		t.Fatalf("staff list for April: %d, %v", len(list), err)
	}
}

func TestRemindersOncePerDay(t *testing.T) {
	f := newCaseFixture(t)
	ctx := context.Background()
	c := f.start(t, "resignation", "2026-05-31")
	// Due dates: exit interview 05-21, farewell (manager) 05-30, invitation
	// 05-28, equipment/access/certificate 05-31, final pay 06-14.
	var sent []offboarding.Reminder
	send := func(_ context.Context, _ pgx.Tx, r offboarding.Reminder) error {
		sent = append(sent, r)
		return nil
	}
	run := func(day string) []offboarding.Reminder {
		t.Helper()
		sent = nil
		if _, err := f.store.SendReminders(ctx, date(day), send); err != nil {
			t.Fatal(err)
		}
		return sent
	}
	titles := func(rs []offboarding.Reminder) map[string]int {
		m := map[string]int{}
		for _, r := range rs {
			m[r.TitleEN] = r.DaysLeft
		}
		return m
	}
	// 7 days before the exit interview.
	if got := titles(run("2026-05-14")); len(got) != 1 || got["Hold the exit interview"] != 7 {
		t.Fatalf("05-14: %v", got)
	}
	// Running again the same day sends nothing.
	if got := run("2026-05-14"); len(got) != 0 {
		t.Fatalf("second run the same day: %v", titles(got))
	}
	// 2 days before the exit interview, nothing else.
	if got := titles(run("2026-05-19")); len(got) != 1 || got["Hold the exit interview"] != 2 {
		t.Fatalf("05-19: %v", got)
	}
	// Overdue: every day, with the days overdue.
	if got := titles(run("2026-05-23")); got["Hold the exit interview"] != -2 || len(got) != 2 { // and the farewell 7 days ahead
		t.Fatalf("05-23: %v", got)
	}
	if got := titles(run("2026-05-24")); got["Hold the exit interview"] != -3 {
		t.Fatalf("05-24: %v", got)
	}
	// Done items get no reminders.
	for _, it := range c.Items {
		if it.Kind == "exit_interview" {
			if err := f.store.UpdateItem(ctx, units.Everyone(), f.hr.ID, c.ID, it.ID, offboarding.ItemUpdate{Status: "done", AssigneeID: f.hr.ID}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got := titles(run("2026-05-25")); got["Hold the exit interview"] != 0 || len(got) != 0 {
		t.Fatalf("05-25 after done: %v", got)
	}
	// The farewell goes to the manager.
	for _, r := range run("2026-05-28") {
		if r.TitleEN == "Organise a farewell" && r.To != f.manager.Email {
			t.Fatalf("farewell reminder to %s", r.To)
		}
	}
}

func TestExitInterviewRehireVisibility(t *testing.T) {
	f := newCaseFixture(t)
	ctx := context.Background()
	c := f.start(t, "resignation", "2026-08-31")
	x := offboarding.ExitInterview{Highlights: "Het team", Improvements: "Onboarding", WouldRecommend: "yes", OpenToContact: "yes",
		Rehire: "review"}
	if errs := x.Validate(true); !errs.Has("rehire_reason") {
		t.Fatal("review without a reason accepted")
	}
	x.RehireReason = "Eerst gesprek met de teamleider"
	if errs := x.Validate(true); len(errs) != 0 {
		t.Fatalf("valid interview refused: %v", errs)
	}
	if err := f.store.SaveInterview(ctx, units.Everyone(), f.hr.ID, c.ID, x, true); err != nil {
		t.Fatal(err)
	}
	hr, _ := f.store.Interview(ctx, units.Everyone(), c.ID, true)
	notHR, _ := f.store.Interview(ctx, units.Everyone(), c.ID, false)
	if hr.Rehire != "review" || hr.RehireReason == "" || notHR.Rehire != "" || notHR.RehireReason != "" || notHR.Highlights != "Het team" {
		t.Fatalf("hr %+v, not hr %+v", hr, notHR)
	}
	// Someone without HR rights saving the form keeps HR's answer.
	notHR.Takeaways = "Vakmanschap"
	if err := f.store.SaveInterview(ctx, units.Everyone(), f.hr.ID, c.ID, notHR, false); err != nil {
		t.Fatal(err)
	}
	if again, _ := f.store.Interview(ctx, units.Everyone(), c.ID, true); again.Rehire != "review" || again.Takeaways != "Vakmanschap" {
		t.Fatalf("after a non-HR save: %+v", again)
	}
	// The exit interview item is ticked.
	after, _ := f.store.Case(ctx, units.Everyone(), c.ID)
	for _, it := range after.Items {
		if it.Kind == "exit_interview" && it.Status != "done" {
			t.Fatal("exit interview item not done")
		}
	}
	// Rehire eligibility is in the person's own export.
	xp, err := f.portal.Export(ctx, f.person)
	if err != nil {
		t.Fatal(err)
	}
	if len(xp.Offboarding) != 1 || xp.Offboarding[0].RehireEligibility == nil || *xp.Offboarding[0].RehireEligibility != "review" {
		t.Fatalf("export offboarding %+v", xp.Offboarding)
	}
}

func TestInvitationStep(t *testing.T) {
	f := newCaseFixture(t)
	ctx := context.Background()
	c := f.start(t, "dismissal", "2026-09-30")
	if !c.Caution {
		t.Fatal("dismissal is not marked for caution")
	}
	if _, err := f.store.Invite(ctx, units.Everyone(), f.hr.ID, c.ID, "karin.smits@gmail.example", false); !errors.Is(err, offboarding.ErrCautionNeeded) {
		t.Fatalf("invite without confirmation: %v", err)
	}
	if _, err := f.store.Invite(ctx, units.Everyone(), f.hr.ID, c.ID, "nope", true); !errors.Is(err, offboarding.ErrBadEmail) {
		t.Fatalf("bad address: %v", err)
	}
	// Outside the offboarding, nobody invites her without that confirmation.
	if _, err := f.portal.Invite(ctx, f.hr.ID, f.person); !errors.Is(err, portal.ErrCaution) {
		t.Fatalf("invitation around the caution: %v", err)
	}
	sent, err := f.store.Invite(ctx, units.Everyone(), f.hr.ID, c.ID, " Karin.Smits@gmail.example", true)
	// The personal address gets the invitation; the work address (on the
	// employer's domain) is retired and gets no way to undo it: the
	// employer may give the mailbox to someone else.
	if err != nil || !sent || len(f.mails) != 1 || f.mails[0].To != "karin.smits@gmail.example" || f.mails[0].Kind != portal.PurposeInvite {
		t.Fatalf("invite: %v %v %+v", sent, err, f.mails)
	}
	var retired bool
	if err := f.pool.QueryRow(ctx, `SELECT retired_at IS NOT NULL FROM person_emails WHERE email = 'k.smits@jansen.example'`).Scan(&retired); err != nil || !retired {
		t.Fatalf("the work address is not retired: %v", err)
	}
	var primary string
	_ = f.pool.QueryRow(ctx, `SELECT email FROM person_emails WHERE person_id = $1 AND is_primary`, f.person).Scan(&primary)
	if primary != "karin.smits@gmail.example" {
		t.Fatalf("primary address %s", primary)
	}
	after, _ := f.store.Case(ctx, units.Everyone(), c.ID)
	if after.InvitationSentAt == nil || after.InvitationAccepted != nil {
		t.Fatalf("invitation state %+v", after)
	}
	// Again within the week: nothing sent, and the page does not say so.
	if again, err := f.store.Invite(ctx, units.Everyone(), f.hr.ID, c.ID, "karin.smits@gmail.example", true); err != nil || again || len(f.mails) != 1 {
		t.Fatalf("second invitation: %v %v, %d mails", again, err, len(f.mails))
	}
	if _, err := f.portal.AcceptInvitation(ctx, f.mails[0].Token, "Karin", "Smits", "nl", nil); err != nil {
		t.Fatal(err)
	}
	if after, _ = f.store.Case(ctx, units.Everyone(), c.ID); after.InvitationAccepted == nil {
		t.Fatal("accepted invitation not shown")
	}
}

func TestRescheduleAndCancel(t *testing.T) {
	f := newCaseFixture(t)
	ctx := context.Background()
	c := f.start(t, "resignation", "2026-05-31")
	var done offboarding.Item
	for _, it := range c.Items {
		if it.Kind == "exit_interview" {
			done = it
			if err := f.store.UpdateItem(ctx, units.Everyone(), f.hr.ID, c.ID, it.ID, offboarding.ItemUpdate{Status: "done", AssigneeID: f.hr.ID}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := f.store.Reschedule(ctx, units.Everyone(), f.hr.ID, c.ID, date("2026-06-30")); err != nil {
		t.Fatal(err)
	}
	after, _ := f.store.Case(ctx, units.Everyone(), c.ID)
	if after.LeavingDate.Format(time.DateOnly) != "2026-06-30" {
		t.Fatalf("leaving date %s", after.LeavingDate)
	}
	for i, it := range after.Items {
		before := c.Items[i]
		if before.ID != it.ID {
			t.Fatal("items reordered")
		}
		switch {
		case it.ID == done.ID && !it.DueDate.Equal(before.DueDate):
			t.Errorf("a done item moved: %s → %s", before.DueDate, it.DueDate)
		case it.ID != done.ID && it.DueDate.Sub(before.DueDate) != 30*24*time.Hour:
			t.Errorf("%s moved %s, want 30 days", it.TitleEN, it.DueDate.Sub(before.DueDate))
		}
	}
	if err := f.store.Reschedule(ctx, units.Everyone(), f.hr.ID, c.ID, date("2014-01-01")); !errors.Is(err, offboarding.ErrLeavingBeforeStart) {
		t.Fatalf("a leaving date before the start: %v", err)
	}
	// Cancelled: the affiliation stays open, reminders stop, and a new case
	// may start.
	if err := f.store.Cancel(ctx, units.Everyone(), f.hr.ID, c.ID); err != nil {
		t.Fatal(err)
	}
	var end *time.Time
	if err := f.pool.QueryRow(ctx, `SELECT end_date FROM affiliations WHERE id = $1`, *c.AffiliationID).Scan(&end); err != nil || end != nil {
		t.Fatalf("affiliation after cancelling: %v %v", end, err)
	}
	n, err := f.store.SendReminders(ctx, date("2026-06-29"), func(context.Context, pgx.Tx, offboarding.Reminder) error { return nil })
	if err != nil || n != 0 {
		t.Fatalf("reminders for a cancelled case: %d %v", n, err)
	}
	if err := f.store.Close(ctx, units.Everyone(), f.hr.ID, c.ID); !errors.Is(err, offboarding.ErrClosed) {
		t.Fatalf("closing a cancelled case: %v", err)
	}
	f.start(t, "retirement", "2027-01-31")
}

// TestStartWithANewPerson: the person and their case are made in one
// transaction (a case that cannot start leaves no person behind), and the
// manager and later assignees must be allowed to get the case's tasks.
func TestStartWithANewPerson(t *testing.T) {
	f := newCaseFixture(t)
	ctx := context.Background()
	newPerson := func(first string) *people.Input {
		in := people.Input{FirstName: first, LastName: "Nieuw", PrimaryEmail: strings.ToLower(first) + "@jansen.example", Language: "nl"}
		in.Normalize()
		return &in
	}
	count := func(first string) int {
		var n int
		if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM persons WHERE first_name = $1`, first).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// The coordinator of the school starts one in the company: refused,
	// and the person they typed is not kept.
	_, err := f.store.Start(ctx, f.coord.Scope(), f.coord.ID, offboarding.StartInput{NewPerson: newPerson("Anouk"), DepartureType: "resignation",
		UnitID: f.company.ID, LeavingDate: date("2026-03-31")})
	if !errors.Is(err, offboarding.ErrUnitScope) || count("Anouk") != 0 {
		t.Fatalf("out of scope: %v, %d people", err, count("Anouk"))
	}
	// A coordinator of the school as the manager of a case in the company.
	_, err = f.store.Start(ctx, units.Everyone(), f.hr.ID, offboarding.StartInput{NewPerson: newPerson("Bram"), DepartureType: "resignation",
		UnitID: f.company.ID, LeavingDate: date("2026-03-31"), ManagerID: f.coord.ID})
	if !errors.Is(err, offboarding.ErrAssignee) || count("Bram") != 0 {
		t.Fatalf("manager elsewhere: %v, %d people", err, count("Bram"))
	}
	id, err := f.store.Start(ctx, units.Everyone(), f.hr.ID, offboarding.StartInput{NewPerson: newPerson("Cas"), DepartureType: "resignation",
		UnitID: f.company.ID, LeavingDate: date("2026-03-31"), ManagerID: f.manager.ID})
	if err != nil || count("Cas") != 1 {
		t.Fatalf("start: %v, %d people", err, count("Cas"))
	}
	c, err := f.store.Case(ctx, units.Everyone(), id)
	if err != nil || c.AffiliationID == nil {
		t.Fatalf("case %+v: %v", c, err)
	}
	// The same address again: the registry's refusal, and no second case.
	_, err = f.store.Start(ctx, units.Everyone(), f.hr.ID, offboarding.StartInput{NewPerson: newPerson("Cas"), DepartureType: "resignation",
		UnitID: f.company.ID, LeavingDate: date("2026-03-31")})
	if !errors.Is(err, people.ErrEmailTaken) || count("Cas") != 1 {
		t.Fatalf("address taken: %v, %d people", err, count("Cas"))
	}
	// An item can go to the manager, not to the coordinator elsewhere.
	item := c.Items[0]
	if err := f.store.UpdateItem(ctx, units.Everyone(), f.hr.ID, id, item.ID, offboarding.ItemUpdate{Status: "open", AssigneeID: f.coord.ID}); !errors.Is(err, offboarding.ErrAssignee) {
		t.Fatalf("item to a coordinator elsewhere: %v", err)
	}
	if err := f.store.UpdateItem(ctx, units.Everyone(), f.hr.ID, id, item.ID, offboarding.ItemUpdate{Status: "open", AssigneeID: f.manager.ID,
		Note: strings.Repeat("é", offboarding.MaxItemNote+5)}); err != nil {
		t.Fatal(err)
	}
	after, _ := f.store.Case(ctx, units.Everyone(), id)
	if got := after.Items[0]; got.AssigneeID == nil || *got.AssigneeID != f.manager.ID || len([]rune(got.Note)) != offboarding.MaxItemNote {
		t.Fatalf("item after update: %+v", got)
	}
}

// TestWhoIsHRAndWhoGetsTasks: the rules themselves.
func TestWhoIsHRAndWhoGetsTasks(t *testing.T) {
	school := units.Unit{ID: 10, Path: []int64{10}}
	programme := units.Unit{ID: 11, Path: []int64{10, 11}}
	other := units.Unit{ID: 20, Path: []int64{20}}
	gone := time.Now()
	for _, tt := range []struct {
		name        string
		u           auth.User
		hr          bool
		inProgramme bool
		inOther     bool
		unitUnknown bool
	}{
		{"staff with the HR permission", auth.User{Role: auth.RoleStaff, HR: true}, true, true, true, true},
		{"staff without it", auth.User{Role: auth.RoleStaff}, false, true, true, true},
		{"an administrator with it", auth.User{Role: auth.RoleAdmin, HR: true}, true, true, true, true},
		{"a coordinator, whatever the flag", auth.User{Role: auth.RoleCoordinator, HR: true, UnitIDs: []int64{school.ID}}, false, true, false, true},
		{"a deactivated HR user", auth.User{Role: auth.RoleStaff, HR: true, DeactivatedAt: &gone}, false, false, false, false},
	} {
		u := tt.u
		if offboarding.HR(u) != tt.hr || offboarding.Assignable(u, programme) != tt.inProgramme ||
			offboarding.Assignable(u, other) != tt.inOther || offboarding.Assignable(u, units.Unit{}) != tt.unitUnknown {
			t.Errorf("%s: HR %v, programme %v, other %v, unknown %v", tt.name, offboarding.HR(u), offboarding.Assignable(u, programme),
				offboarding.Assignable(u, other), offboarding.Assignable(u, units.Unit{}))
		}
	}
}
