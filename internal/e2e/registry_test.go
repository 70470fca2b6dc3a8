package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"alumnet/internal/auth"
	"alumnet/internal/i18n"
	"alumnet/internal/units"
)

// TestRegistryFlow: log in, create a person, find them with a typo, edit
// them, see the change in the audit log, log out.
func TestRegistryFlow(t *testing.T) {
	a := startApp(t)
	ctx := browser(t)
	hash, err := auth.HashPassword("zeven groene kikkers springen")
	if err != nil {
		t.Fatal(err)
	}
	users := auth.NewStore(a.DB.Pool, auth.Options{})
	admin, err := users.CreateUser(context.Background(), auth.NewUser{Email: "hr@groenland.nl", Name: "Hanna Reitsma",
		Role: auth.RoleAdmin, PasswordHash: &hash})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := units.NewStore(a.DB.Pool).Create(context.Background(), 0, nil, "Groenhorst College", "organisation"); err != nil {
		t.Fatal(err)
	}

	// Log in.
	step(t, ctx, "log in",
		chromedp.Navigate(a.URL+"/app/people"),
		chromedp.WaitVisible(chromedp.CSS(`#f-email`)),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), admin.Email),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), "zeven groene kikkers springen"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/app/people/new"]`)),
	)
	mustContain(t, ctx, "Welkom, Hanna Reitsma", "Er staat nog niemand in het register")
	screenshot(t, ctx, "01-people-empty")

	// Create a person, with a mistake first: the form keeps what was typed.
	step(t, ctx, "create with error",
		chromedp.Click(chromedp.CSS(`.actions a[href="/app/people/new"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#f-first_name`)),
		chromedp.SendKeys(chromedp.CSS(`#f-first_name`), "Zoë"),
		chromedp.SendKeys(chromedp.CSS(`#f-last_name`), "van der Meulen"),
		chromedp.SendKeys(chromedp.CSS(`#f-primary_email`), "zoe.vandermeulen@"),
		chromedp.SendKeys(chromedp.CSS(`#f-city`), "Wageningen"),
		chromedp.Click(chromedp.CSS(`input[name=offers][value=guest_lecture]`)),
		chromedp.Click(chromedp.CSS(`form.card button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#e-primary_email`)),
	)
	screenshot(t, ctx, "02-person-form-error")
	if city, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(`#f-city`))); err != nil || city != "Wageningen" {
		t.Fatalf("typed city lost: %q %v", city, err)
	}
	step(t, ctx, "create",
		chromedp.SetValue(chromedp.CSS(`#f-primary_email`), "zoe.vandermeulen@gmail.com"),
		chromedp.SetValue(chromedp.CSS(`#f-aff_kind`), "study"),
		chromedp.SetValue(chromedp.CSS(`#f-aff_unit_id`), "1"),
		chromedp.SendKeys(chromedp.CSS(`#f-aff_cohort_year`), "2019"),
		chromedp.SetValue(chromedp.CSS(`#f-aff_leaving_reason`), "graduated"),
		chromedp.Click(chromedp.CSS(`form.card button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#h-profile`)),
	)
	mustContain(t, ctx, "Zoë van der Meulen is toegevoegd", "zoe.vandermeulen@gmail.com", "Gastles", "Groenhorst College", "Persoon toegevoegd")
	screenshot(t, ctx, "03-person-page")

	// Find them with a typo and without the diaeresis.
	step(t, ctx, "search",
		chromedp.Click(chromedp.CSS(`nav.nav a[href="/app/people"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#f-q`)),
		chromedp.SendKeys(chromedp.CSS(`#f-q`), "Zoe van der Muelen"),
		chromedp.Submit(chromedp.CSS(`#f-q`)),
		chromedp.WaitVisible(chromedp.CSS(`#results p.flash-info`)),
	)
	mustContain(t, ctx, "Zoë van der Meulen", "1 persoon", "Dit zijn namen die erop lijken")
	screenshot(t, ctx, "04-search")

	// Open and edit.
	step(t, ctx, "edit",
		chromedp.Click(chromedp.CSS(`#results tbody a`)),
		chromedp.WaitVisible(chromedp.CSS(`#h-profile`)),
		chromedp.Click(chromedp.CSS(`.page-head .actions a`)),
		chromedp.WaitVisible(chromedp.CSS(`#f-job_title`)),
		chromedp.SendKeys(chromedp.CSS(`#f-job_title`), "Dierenartsassistent"),
		chromedp.Click(chromedp.CSS(`form.card button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#h-profile`)),
	)
	mustContain(t, ctx, "De wijzigingen zijn opgeslagen", "Dierenartsassistent", "Gegevens gewijzigd", "Gewijzigd: functie")

	// The audit log shows the view and the change.
	step(t, ctx, "audit page",
		chromedp.Navigate(a.URL+"/app/admin/audit"),
		chromedp.WaitVisible(chromedp.CSS(`main table`)),
	)
	audit := textOf(t, ctx)
	for _, want := range []string{"Hanna Reitsma", "person.update", "person.view"} {
		if !strings.Contains(audit, want) && !strings.Contains(audit, translatedAction(want)) {
			t.Errorf("audit page lacks %s:\n%s", want, audit)
		}
	}
	screenshot(t, ctx, "05-audit")

	// On a phone the menu folds away behind a button and the table
	// becomes cards.
	step(t, ctx, "phone",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		chromedp.Navigate(a.URL+"/app/people"),
		chromedp.WaitVisible(chromedp.CSS(`label.menu-button`)),
		chromedp.WaitNotVisible(chromedp.CSS(`nav.nav`)),
		chromedp.Click(chromedp.CSS(`label.menu-button`)),
		chromedp.WaitVisible(chromedp.CSS(`nav.nav a[href="/app/people"]`)),
	)
	width, err := chromedp.Run(ctx, chromedp.Evaluate[int64](`document.documentElement.scrollWidth`))
	if err != nil || width > 390 {
		t.Errorf("the people list is %d px wide on a 390 px phone (%v)", width, err)
	}
	screenshot(t, ctx, "06-people-phone")
	step(t, ctx, "desktop again", chromedp.EmulateViewport(1280, 900))

	// Log out.
	step(t, ctx, "log out",
		chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#f-email`)),
	)
	// The login page and its message speak the browser's language now
	// that nobody is signed in.
	mustContain(t, ctx, "You have been logged out")
	if err := chromedp.Do(ctx, chromedp.Navigate(a.URL+"/app/people")); err != nil {
		t.Fatal(err)
	}
	if loc, err := chromedp.Run(ctx, chromedp.Location()); err != nil || !strings.Contains(loc, "/login") {
		t.Fatalf("after logout /app/people went to %q (%v)", loc, err)
	}
}

// translatedAction is how the audit page names an action in Dutch.
func translatedAction(action string) string { return i18n.For(i18n.NL).T("audit.action." + action) }
