package e2e

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"alumnet/internal/auth"
)

// TestPasswordFlows: a staff member who forgot their password asks for a
// link on the login page, follows it from the mail and chooses a new one
// (their address is refused as a password); then, logged in on a phone,
// changes it again on their account page.
func TestPasswordFlows(t *testing.T) {
	a := startApp(t)
	ctx := browser(t)
	hash, err := auth.HashPassword("oud wachtwoord van Fenna")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := auth.NewStore(a.DB.Pool, auth.Options{}).CreateUser(context.Background(), auth.NewUser{Email: "fenna@rijnland.nl", Name: "Fenna Feenstra",
		Role: auth.RoleStaff, PasswordHash: &hash}); err != nil {
		t.Fatal(err)
	}

	step(t, ctx, "forgot password",
		chromedp.Navigate(a.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/forgot-password"]`)),
		chromedp.Click(chromedp.CSS(`a[href="/forgot-password"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#f-email`)),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), "fenna@rijnland.nl"),
		chromedp.Click(chromedp.CSS(`form[action="/forgot-password"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`main p[role=status]`)),
	)
	mustContain(t, ctx, "fenna@rijnland.nl")
	screenshot(t, ctx, "30-forgot-sent")

	a.waitMail(t)
	list, _, err := a.Mail.List(context.Background(), 0, 10)
	if err != nil || len(list) != 1 {
		t.Fatalf("outbox: %d %v", len(list), err)
	}
	m, err := a.Mail.ByID(context.Background(), list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	link := regexp.MustCompile(`http://[^\s]+/set-password/[A-Za-z0-9_-]+`).FindString(m.Text)
	if link == "" {
		t.Fatalf("no link in the mail:\n%s", m.Text)
	}
	step(t, ctx, "own address refused",
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS(`#f-password`)),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), "fenna@rijnland.nl"),
		chromedp.SendKeys(chromedp.CSS(`#f-confirm`), "fenna@rijnland.nl"),
		chromedp.Click(chromedp.CSS(`main form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.field.invalid`)),
	)
	screenshot(t, ctx, "31-reset-refused")
	// The page comes back with empty password fields (a password is never
	// sent back to the browser).
	step(t, ctx, "new password",
		chromedp.SendKeys(chromedp.CSS(`#f-password`), "nieuw wachtwoord voor Fenna"),
		chromedp.SendKeys(chromedp.CSS(`#f-confirm`), "nieuw wachtwoord voor Fenna"),
		chromedp.Click(chromedp.CSS(`main form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/login"]`)),
	)
	mustContain(t, ctx, "Je wachtwoord is ingesteld.")

	// On a phone: log in, open the account page from the menu, change the
	// password with a wrong current one first. The login page is loaded
	// anew at the phone's width, so that no click lands in a page that is
	// still being laid out again.
	step(t, ctx, "phone login",
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(a.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`#f-email`)),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), "fenna@rijnland.nl"),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), "nieuw wachtwoord voor Fenna"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`label.menu-button`)),
		chromedp.Click(chromedp.CSS(`label.menu-button`)),
		chromedp.WaitVisible(chromedp.CSS(`a.account-link`)),
		chromedp.Click(chromedp.CSS(`a.account-link`)),
		chromedp.WaitVisible(chromedp.CSS(`#f-current`)),
		chromedp.SendKeys(chromedp.CSS(`#f-current`), "niet mijn wachtwoord"),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), "derde wachtwoord van Fenna"),
		chromedp.SendKeys(chromedp.CSS(`#f-confirm`), "derde wachtwoord van Fenna"),
		chromedp.Click(chromedp.CSS(`form[action="/app/account/password"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.field.invalid`)),
	)
	mustContain(t, ctx, "Dit is niet je huidige wachtwoord.")
	width, err := chromedp.Run(ctx, chromedp.Evaluate[int64](`document.documentElement.scrollWidth`))
	if err != nil || width > 390 {
		t.Errorf("the account page is %d px wide on a 390 px phone (%v)", width, err)
	}
	screenshot(t, ctx, "32-account-phone")
	step(t, ctx, "change it",
		chromedp.SendKeys(chromedp.CSS(`#f-current`), "nieuw wachtwoord voor Fenna"),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), "derde wachtwoord van Fenna"),
		chromedp.SendKeys(chromedp.CSS(`#f-confirm`), "derde wachtwoord van Fenna"),
		chromedp.Click(chromedp.CSS(`form[action="/app/account/password"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash-success`)),
	)
	if text := textOf(t, ctx); !strings.Contains(text, "Je wachtwoord is gewijzigd") {
		t.Fatalf("after the change:\n%s", text)
	}
	screenshot(t, ctx, "33-account-changed")
}
