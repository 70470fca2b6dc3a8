package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"alumnet/internal/auth"
	"alumnet/internal/units"
)

// TestInviteFlow: an administrator sets up a unit, invites a coordinator
// for it, and the coordinator follows the link from the outbox, chooses a
// password and logs in.
func TestInviteFlow(t *testing.T) {
	a := startApp(t)
	ctx := browser(t)
	hash, err := auth.HashPassword("zeven groene kikkers springen")
	if err != nil {
		t.Fatal(err)
	}
	admin, err := auth.NewStore(a.DB.Pool, auth.Options{}).CreateUser(context.Background(), auth.NewUser{Email: "beheer@rijnland.nl", Name: "Bart Beheer",
		Role: auth.RoleAdmin, PasswordHash: &hash})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := units.NewStore(a.DB.Pool).Create(context.Background(), 0, nil, "ROC Rijnland", "organisation"); err != nil {
		t.Fatal(err)
	}

	step(t, ctx, "log in",
		chromedp.Navigate(a.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`#f-email`)),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), admin.Email),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), "zeven groene kikkers springen"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`nav.nav a[href="/app/admin/users"]`)),
	)

	// A programme below the organisation.
	step(t, ctx, "new unit",
		chromedp.Click(chromedp.CSS(`nav.nav a[href="/app/admin/users"]`)),
		chromedp.WaitVisible(chromedp.CSS(`nav.subnav a[href="/app/admin/units"]`)),
		chromedp.Click(chromedp.CSS(`nav.subnav a[href="/app/admin/units"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.page-head a[href="/app/admin/units/new"]`)),
		chromedp.Click(chromedp.CSS(`.page-head a[href="/app/admin/units/new"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#f-name`)),
		chromedp.SendKeys(chromedp.CSS(`#f-name`), "Verpleegkunde"),
		chromedp.SetValue(chromedp.CSS(`#f-kind`), "programme"),
		chromedp.SetValue(chromedp.CSS(`#f-parent_id`), "1"),
		chromedp.Click(chromedp.CSS(`form.stack button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.page-head a[href="/app/admin/units/new"]`)),
	)
	mustContain(t, ctx, "Eenheid Verpleegkunde is aangemaakt", "ROC Rijnland", "Verpleegkunde")
	screenshot(t, ctx, "10-units")

	// Invite a coordinator: first without a unit, which the form refuses
	// while keeping what was typed.
	step(t, ctx, "invite without unit",
		chromedp.Click(chromedp.CSS(`nav.subnav a[href="/app/admin/users"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.page-head a[href="/app/admin/users/new"]`)),
		chromedp.Click(chromedp.CSS(`.page-head a[href="/app/admin/users/new"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#f-email`)),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), "Carla.Coord@Rijnland.nl"),
		chromedp.SendKeys(chromedp.CSS(`#f-name`), "Carla de Coördinator"),
		chromedp.SetValue(chromedp.CSS(`#f-role`), "coordinator"),
		chromedp.SetValue(chromedp.CSS(`#f-language`), "en"),
		chromedp.Click(chromedp.CSS(`form.stack button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`fieldset.invalid`)),
	)
	mustContain(t, ctx, "Kies minstens één eenheid voor een coördinator.")
	if name, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(`#f-name`))); err != nil || name != "Carla de Coördinator" {
		t.Fatalf("typed name lost: %q %v", name, err)
	}
	screenshot(t, ctx, "11-invite-error")
	step(t, ctx, "invite",
		chromedp.Click(chromedp.CSS(`input[name=units][value="2"]`)),
		chromedp.Click(chromedp.CSS(`form.stack button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.page-head a[href="/app/admin/users/new"]`)),
	)
	mustContain(t, ctx, "Uitnodiging verstuurd naar carla.coord@rijnland.nl", "Carla de Coördinator", "Uitgenodigd", "Verpleegkunde")
	screenshot(t, ctx, "12-users")

	// The mail is in the outbox, in English, with a link to follow; the
	// delivery log has it as sent.
	a.waitMail(t)
	step(t, ctx, "delivery log",
		chromedp.Click(chromedp.CSS(`nav.subnav a[href="/app/admin/outbox"]`)),
		chromedp.WaitVisible(chromedp.CSS(`main a[href="/app/admin/deliveries"]`)),
		chromedp.Click(chromedp.CSS(`main a[href="/app/admin/deliveries"]`)),
		chromedp.WaitVisible(chromedp.CSS(`main table`)),
	)
	mustContain(t, ctx, "carla.coord@rijnland.nl", "Your invitation to Alumnet", "Verstuurd")
	screenshot(t, ctx, "13-deliveries")
	step(t, ctx, "outbox",
		chromedp.Click(chromedp.CSS(`main a[href="/app/admin/outbox"]`)),
		chromedp.WaitVisible(chromedp.CSS(`main table`)),
	)
	mustContain(t, ctx, "carla.coord@rijnland.nl", "Your invitation to Alumnet")
	screenshot(t, ctx, "13-outbox")
	step(t, ctx, "open mail",
		chromedp.Click(chromedp.CSS(`main tbody a`)),
		chromedp.WaitVisible(chromedp.CSS(`pre.mail-text a`)),
	)
	mustContain(t, ctx, "Hello Carla de Coördinator", "Bart Beheer has invited you")
	screenshot(t, ctx, "14-outbox-mail")
	href, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`pre.mail-text a`), "href"))
	link := href.Value
	if err != nil || !strings.HasPrefix(link, a.URL+"/set-password/") {
		t.Fatalf("link in mail: %q %v", link, err)
	}

	// Log out; the coordinator follows the link.
	step(t, ctx, "log out",
		chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#f-email`)),
	)
	step(t, ctx, "set password",
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS(`#f-password`)),
	)
	mustContain(t, ctx, "Set your password", "Carla de Coördinator")
	screenshot(t, ctx, "15-set-password")
	step(t, ctx, "choose password",
		chromedp.SendKeys(chromedp.CSS(`#f-password`), "lange zomeravond aan de Rijn"),
		chromedp.SendKeys(chromedp.CSS(`#f-confirm`), "lange zomeravond aan de Rijn"),
		chromedp.Click(chromedp.CSS(`main form.stack button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#f-email`)),
	)
	mustContain(t, ctx, "Your password has been set", "Log in")
	step(t, ctx, "coordinator logs in",
		chromedp.SendKeys(chromedp.CSS(`#f-email`), "carla.coord@rijnland.nl"),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), "lange zomeravond aan de Rijn"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/app/people/new"]`)),
	)
	// She has no admin menu.
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int64](`document.querySelectorAll('a[href^="/app/admin/"]').length`)); err != nil || n != 0 {
		t.Errorf("coordinator sees %d admin links (%v)", n, err)
	}
	mustContain(t, ctx, "Carla de Coördinator")

	// The used link no longer works.
	step(t, ctx, "link used", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`main`)))
	text := textOf(t, ctx)
	if strings.Contains(text, "lange zomeravond") || (!strings.Contains(text, "verlopen of al gebruikt") && !strings.Contains(text, "expired or has already been used")) {
		t.Errorf("reused link page:\n%s", text)
	}
}

// TestAdminPagesOnPhone looks at the admin pages on a phone-sized screen:
// no sideways scrolling.
func TestAdminPagesOnPhone(t *testing.T) {
	a := startApp(t)
	ctx := browser(t)
	hash, err := auth.HashPassword("zeven groene kikkers springen")
	if err != nil {
		t.Fatal(err)
	}
	store := auth.NewStore(a.DB.Pool, auth.Options{})
	admin, err := store.CreateUser(context.Background(), auth.NewUser{Email: "beheer@rijnland.nl", Name: "Bart Beheer",
		Role: auth.RoleAdmin, PasswordHash: &hash})
	if err != nil {
		t.Fatal(err)
	}
	us := units.NewStore(a.DB.Pool)
	root, err := us.Create(context.Background(), 0, nil, "ROC Rijnland", "organisation")
	if err != nil {
		t.Fatal(err)
	}
	loc, err := us.Create(context.Background(), 0, &root.ID, "Locatie Alphen aan den Rijn", "location")
	if err != nil {
		t.Fatal(err)
	}
	prog, err := us.Create(context.Background(), 0, &loc.ID, "Mbo Verpleegkunde (BOL en BBL)", "programme")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.CreateUser(context.Background(), auth.NewUser{Email: "c.van.den.berg-oudshoorn@rijnland.nl", Name: "Cornelia van den Berg-Oudshoorn",
		Role: auth.RoleCoordinator, UnitIDs: []int64{prog.ID}}); err != nil {
		t.Fatal(err)
	}
	step(t, ctx, "log in",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		chromedp.Navigate(a.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`#f-email`)),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), admin.Email),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), "zeven groene kikkers springen"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/app/people/new"]`)),
	)
	// Something to show in the audit log and outbox.
	step(t, ctx, "visit a user", chromedp.Navigate(a.URL+"/app/admin/users/2"), chromedp.WaitVisible(chromedp.CSS(`#f-name`)))
	step(t, ctx, "resend", chromedp.Click(chromedp.CSS(`form[action$="/resend"] button`)), chromedp.WaitVisible(chromedp.CSS(`.flash`)))
	a.waitMail(t)
	for _, pg := range []struct{ name, path string }{
		{"20-users-phone", "/app/admin/users"},
		{"21-user-phone", "/app/admin/users/2"},
		{"22-units-phone", "/app/admin/units"},
		{"23-audit-phone", "/app/admin/audit"},
		{"24-outbox-phone", "/app/admin/outbox"},
		{"25-mail-phone", "/app/admin/outbox/1"},
		{"26-deliveries-phone", "/app/admin/deliveries"},
		{"27-delivery-phone", "/app/admin/deliveries/1"},
		{"28-retention-phone", "/app/admin/retention"},
		{"29-purposes-phone", "/app/admin/purposes"},
		{"50-offboarding-templates-phone", "/app/admin/offboarding"},
		{"51-offboarding-checklist-phone", "/app/admin/offboarding/types/resignation"},
		{"52-offboarding-list-phone", "/app/offboarding"},
		{"53-cohort-phone", "/app/offboarding/cohort"},
		{"54-offboarding-new-phone", "/app/offboarding/new"},
	} {
		step(t, ctx, pg.name, chromedp.Navigate(a.URL+pg.path), chromedp.WaitVisible(chromedp.CSS(`main h1`)))
		width, err := chromedp.Run(ctx, chromedp.Evaluate[int64](`document.documentElement.scrollWidth`))
		if err != nil || width > 390 {
			t.Errorf("%s is %d px wide on a 390 px phone (%v)", pg.path, width, err)
		}
		screenshot(t, ctx, pg.name)
	}
}
