package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"alumnet/internal/units"
)

// openMail opens the newest mail to addr in the outbox as the admin would
// and returns the link in it. The outbox is read from the database here:
// the alumnus has no admin account.
func (a *site) linkInMail(t *testing.T, addr, pathPrefix string) string {
	t.Helper()
	a.waitMail(t)
	list, _, err := a.Mail.List(context.Background(), 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list {
		if s.To != addr {
			continue
		}
		m, err := a.Mail.ByID(context.Background(), s.ID)
		if err != nil {
			t.Fatal(err)
		}
		i := strings.Index(m.Text, a.URL+pathPrefix)
		if i < 0 {
			t.Fatalf("mail %q has no %s link:\n%s", m.Subject, pathPrefix, m.Text)
		}
		return strings.Fields(m.Text[i:])[0]
	}
	t.Fatalf("no mail to %s", addr)
	return ""
}

// TestAlumnusFlow: register → confirm from the outbox → log in by magic
// link → withdraw a permission → download my data → delete me.
func TestAlumnusFlow(t *testing.T) {
	a := startApp(t)
	ctx := browser(t)
	us := units.NewStore(a.DB.Pool)
	school, err := us.Create(context.Background(), 0, nil, "ROC Rijnland", "organisation")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := us.Create(context.Background(), 0, &school.ID, "Verpleegkunde", "programme"); err != nil {
		t.Fatal(err)
	}
	const email = "daan.devries@example.nl"

	// Register, with a mistake first.
	step(t, ctx, "register with error",
		chromedp.Navigate(a.URL+"/register"),
		chromedp.WaitVisible(chromedp.CSS(`#f-first_name`)),
		chromedp.SendKeys(chromedp.CSS(`#f-first_name`), "Daan"),
		chromedp.SendKeys(chromedp.CSS(`#f-last_name`), "de Vries"),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), email),
		chromedp.SetValue(chromedp.CSS(`#f-language`), "nl"),
		chromedp.SetValue(chromedp.CSS(`#f-kind`), "study"),
		chromedp.SetValue(chromedp.CSS(`#f-unit_id`), "2"),
		chromedp.SendKeys(chromedp.CSS(`#f-to_year`), "19"),
		chromedp.Click(chromedp.CSS(`input[name=consent][value="1"]`)),
		chromedp.Click(chromedp.CSS(`input[name=consent][value="2"]`)),
		chromedp.Click(chromedp.CSS(`main form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#e-to_year`)),
	)
	screenshot(t, ctx, "30-register-error")
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int64](`document.querySelectorAll('input[name=consent]:checked').length`)); err != nil || n != 2 {
		t.Fatalf("ticked permissions lost: %d %v", n, err)
	}
	step(t, ctx, "register",
		chromedp.SetValue(chromedp.CSS(`#f-to_year`), "2019"),
		chromedp.Click(chromedp.CSS(`main form button[type=submit]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`#f-to_year`)),
	)
	mustContain(t, ctx, "Kijk in je mailbox", email)

	// Confirm through the link in the mail.
	link := a.linkInMail(t, email, "/register/confirm/")
	step(t, ctx, "confirm",
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS(`main form button`)),
		chromedp.Click(chromedp.CSS(`main form button`)),
		chromedp.WaitVisible(chromedp.CSS(`nav.nav a[href="/portal/permissions"]`)),
	)
	mustContain(t, ctx, "Welkom in het alumninetwerk", "Hallo Daan", "Verpleegkunde")
	screenshot(t, ctx, "31-portal-home")

	// Log out, then in again by magic link.
	step(t, ctx, "log out",
		chromedp.Click(chromedp.CSS(`form[action="/portal/logout"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/portal/login"] #f-email`)),
	)
	step(t, ctx, "ask for a login link",
		chromedp.SendKeys(chromedp.CSS(`#f-email`), email),
		chromedp.Click(chromedp.CSS(`form[action="/portal/login"] button`)),
		chromedp.WaitNotPresent(chromedp.CSS(`#f-email`)),
	)
	mustContain(t, ctx, "Kijk in je mailbox")
	step(t, ctx, "magic link",
		chromedp.Navigate(a.linkInMail(t, email, "/portal/login/")),
		chromedp.WaitVisible(chromedp.CSS(`main form button`)),
		chromedp.Click(chromedp.CSS(`main form button`)),
		chromedp.WaitVisible(chromedp.CSS(`nav.nav a[href="/portal/permissions"]`)),
	)

	// Withdraw the first permission.
	step(t, ctx, "permissions",
		chromedp.Click(chromedp.CSS(`nav.nav a[href="/portal/permissions"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/portal/permissions/1"] button`)),
	)
	screenshot(t, ctx, "32-permissions")
	step(t, ctx, "withdraw",
		chromedp.Click(chromedp.CSS(`form[action="/portal/permissions/1"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash`)),
	)
	mustContain(t, ctx, "Je toestemming is ingetrokken", "Ingetrokken", "Alumniportaal")

	// Download my data (the same request the download link makes).
	step(t, ctx, "my data",
		chromedp.Click(chromedp.CSS(`nav.nav a[href="/portal/data"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/portal/data/export.json"]`)),
	)
	screenshot(t, ctx, "33-my-data")
	body, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch(document.querySelector('a[href="/portal/data/export.json"]').href).then(r => r.text())`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	var x struct {
		Person struct {
			FirstName string `json:"first_name"`
		} `json:"person"`
		Consents []struct {
			Purpose string `json:"purpose"`
			Granted bool   `json:"granted"`
		} `json:"consent_history"`
	}
	if err := json.Unmarshal([]byte(body), &x); err != nil || x.Person.FirstName != "Daan" || len(x.Consents) != 3 || x.Consents[2].Granted {
		t.Fatalf("export: %v\n%s", err, body)
	}

	// Delete me.
	step(t, ctx, "delete",
		chromedp.Click(chromedp.CSS(`a[href="/portal/delete"]`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name=confirm]`)),
		chromedp.Click(chromedp.CSS(`input[name=confirm]`)),
		chromedp.Click(chromedp.CSS(`form[action="/portal/delete"] button[type=submit]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`input[name=confirm]`)),
	)
	mustContain(t, ctx, "Je gegevens zijn verwijderd")
	screenshot(t, ctx, "34-deleted")
	var n int
	if err := a.DB.Pool.QueryRow(context.Background(), `SELECT count(*) FROM persons WHERE first_name = 'Daan' OR erased_at IS NULL`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("after deletion %d persons still named (%v)", n, err)
	}
	step(t, ctx, "portal closed", chromedp.Navigate(a.URL+"/portal"), chromedp.WaitVisible(chromedp.CSS(`#f-email`)))
}
