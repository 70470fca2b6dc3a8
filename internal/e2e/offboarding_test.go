package e2e

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"alumnet/internal/auth"
	"alumnet/internal/consent"
	"alumnet/internal/people"
	"alumnet/internal/units"
)

// TestOffboardingFlow: HR starts an offboarding, ticks items, fills in the
// exit interview and sends the invitation; the leaver accepts it through
// the link from the outbox and ends up an alumnus with the permissions
// they chose.
func TestOffboardingFlow(t *testing.T) {
	a := startApp(t)
	ctx := browser(t)
	bg := context.Background()
	hash, err := auth.HashPassword("zeven groene kikkers springen")
	if err != nil {
		t.Fatal(err)
	}
	hr, err := auth.NewStore(a.DB.Pool, auth.Options{}).CreateUser(bg, auth.NewUser{Email: "hr@vandijk.example", Name: "Hilde de Ruiter",
		Role: auth.RoleStaff, PasswordHash: &hash, Language: "nl", HR: true})
	if err != nil {
		t.Fatal(err)
	}
	unit, err := units.NewStore(a.DB.Pool).Create(bg, 0, nil, "Van Dijk Techniek", "organisation")
	if err != nil {
		t.Fatal(err)
	}
	in := people.Input{FirstName: "Sven", LastName: "Mulder", PrimaryEmail: "s.mulder@vandijk.example", Language: "nl"}
	in.Normalize()
	person, err := people.NewStore(a.DB.Pool).CreatePerson(bg, units.Everyone(), hr.ID, in, &people.AffiliationInput{Kind: "employment",
		UnitID: strconv.FormatInt(unit.ID, 10), StartDate: "2018-04-01"})
	if err != nil {
		t.Fatal(err)
	}
	leaving := time.Now().AddDate(0, 0, 20).Format(time.DateOnly)

	step(t, ctx, "log in",
		chromedp.Navigate(a.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`#f-email`)),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), hr.Email),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), "zeven groene kikkers springen"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`nav.nav a[href="/app/offboarding"]`)),
	)
	step(t, ctx, "start from the person page",
		chromedp.Navigate(a.URL+"/app/people/"+strconv.FormatInt(person, 10)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/app/offboarding/new?person=`+strconv.FormatInt(person, 10)+`"]`)),
		chromedp.Click(chromedp.CSS(`a[href="/app/offboarding/new?person=`+strconv.FormatInt(person, 10)+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#f-departure_type`)),
		chromedp.SetValue(chromedp.CSS(`#f-departure_type`), "resignation"),
		chromedp.SetValue(chromedp.CSS(`#f-leaving_date`), leaving),
		chromedp.Click(chromedp.CSS(`main form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`ol.checklist`)),
	)
	mustContain(t, ctx, "De offboarding is gestart", "Offboarding van Sven Mulder", "Exitgesprek voeren", "Laptop, telefoon en pas innemen")
	screenshot(t, ctx, "40-case")

	// Tick the first plain item.
	step(t, ctx, "tick an item",
		chromedp.SetValue(chromedp.CSS(`li.item-open:nth-child(2) select[name=status]`), "done"),
		chromedp.Click(chromedp.CSS(`li.item-open:nth-child(2) button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`li.item-done`)),
	)
	mustContain(t, ctx, "De taak is opgeslagen", "gedaan door Hilde de Ruiter")

	// The exit interview.
	step(t, ctx, "exit interview",
		chromedp.SendKeys(chromedp.CSS(`#f-highlights`), "Het project in Zwolle en de collega's"),
		chromedp.SendKeys(chromedp.CSS(`#f-improvements`), "Duidelijker doorgroeimogelijkheden"),
		chromedp.SetValue(chromedp.CSS(`#f-would_recommend`), "yes"),
		chromedp.SetValue(chromedp.CSS(`#f-open_to_contact`), "yes"),
		chromedp.SetValue(chromedp.CSS(`#f-rehire`), "eligible"),
		chromedp.Click(chromedp.CSS(`form[action$="/interview"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#interview .saved-at`)),
	)
	mustContain(t, ctx, "Het exitgesprek is opgeslagen")

	// The invitation, to a personal address.
	step(t, ctx, "invite",
		chromedp.SendKeys(chromedp.CSS(`#f-invite_email`), "sven.mulder@gmail.example"),
		chromedp.Click(chromedp.CSS(`form[action$="/invite"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#invitation .badge-warn`)),
	)
	mustContain(t, ctx, "De uitnodiging is verstuurd naar sven.mulder@gmail.example", "nog niet aangenomen")
	screenshot(t, ctx, "41-case-invited")
	step(t, ctx, "log out",
		chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#f-email`)),
	)

	// The leaver accepts the invitation from the outbox.
	link := a.linkInMail(t, "sven.mulder@gmail.example", "/invite/")
	step(t, ctx, "accept",
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS(`input[name=consent]`)),
		chromedp.Click(chromedp.CSS(`input[name=consent][value="2"]`)), // events
		chromedp.Click(chromedp.CSS(`input[name=consent][value="3"]`)), // vacancies
	)
	screenshot(t, ctx, "42-invitation")
	step(t, ctx, "save",
		chromedp.Click(chromedp.CSS(`main form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`nav.nav a[href="/portal/permissions"]`)),
	)
	mustContain(t, ctx, "Dank je! Je keuzes zijn opgeslagen.", "Hallo Sven")
	cs := consent.NewStore(a.DB.Pool)
	for key, want := range map[string]bool{"events": true, "vacancies": true, "newsletter": false} {
		d, err := cs.MayUse(bg, person, key)
		if err != nil || d.Allowed != want || (want && d.Row.Source != consent.SourceInvitation) {
			t.Errorf("%s: %+v %v", key, d, err)
		}
	}
	// HR sees the invitation accepted.
	step(t, ctx, "HR again",
		chromedp.Navigate(a.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`#f-email`)),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), hr.Email),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), "zeven groene kikkers springen"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`nav.nav a[href="/app/offboarding"]`)),
		chromedp.Click(chromedp.CSS(`nav.nav a[href="/app/offboarding"]`)),
		chromedp.WaitVisible(chromedp.CSS(`main table a[href^="/app/offboarding/"]`)),
		chromedp.Click(chromedp.CSS(`main table a[href^="/app/offboarding/"]`)),
		chromedp.WaitVisible(chromedp.CSS(`ol.checklist`)),
	)
	mustContain(t, ctx, "Aangenomen")
}
