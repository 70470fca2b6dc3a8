package mail

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/a-h/templ"

	"alumnet/internal/i18n"
)

func TestRenderInTheRecipientsLanguage(t *testing.T) {
	tests := []struct {
		lang       i18n.Lang
		wantFooter string
	}{
		{i18n.NL, "Verstuurd via Alumnet."},
		{i18n.EN, "Sent through Alumnet."},
	}
	for _, tt := range tests {
		t.Run(string(tt.lang), func(t *testing.T) {
			name := `Jan "<script>alert(1)</script>" & co`
			body := linkBody(Link{Paragraphs: []string{"Hallo " + name}, URL: "https://alumnet.test/x?a=1&b=2", Button: "Open"})
			m, err := Render(context.Background(), Content{To: "jan@example.org", Lang: tt.lang, Subject: "Onderwerp <b>",
				HTML: body, Text: Paragraphs("Hallo "+name, "https://alumnet.test/x?a=1&b=2"), Headers: map[string]string{"X-Test": "1"}})
			if err != nil {
				t.Fatal(err)
			}
			if m.Lang != tt.lang || m.To != "jan@example.org" || m.Subject != "Onderwerp <b>" || m.Headers["X-Test"] != "1" {
				t.Errorf("message %+v", m)
			}
			// The text part is plain: nothing escaped, the footer below a signature line.
			wantText := "Hallo " + name + "\n\nhttps://alumnet.test/x?a=1&b=2\n\n-- \n" + tt.wantFooter + "\n"
			if m.Text != wantText {
				t.Errorf("text %q, want %q", m.Text, wantText)
			}
			// The HTML part is the layout in the language, with everything escaped.
			for _, want := range []string{`<!doctype html>`, `<html lang="` + string(tt.lang) + `">`, `<title>Onderwerp &lt;b&gt;</title>`,
				`Hallo Jan &#34;&lt;script&gt;alert(1)&lt;/script&gt;&#34; &amp; co`, `href="https://alumnet.test/x?a=1&amp;b=2"`, tt.wantFooter} {
				if !strings.Contains(strings.ToLower(m.HTML), strings.ToLower(want)) {
					t.Errorf("HTML lacks %q:\n%s", want, m.HTML)
				}
			}
			if strings.Contains(m.HTML, "&amp;#") {
				t.Errorf("HTML escaped twice (inline styles?):\n%s", m.HTML)
			}
			if strings.Contains(m.HTML, "<script>") {
				t.Errorf("HTML not escaped:\n%s", m.HTML)
			}
		})
	}
}

func TestRenderRefuses(t *testing.T) {
	ctx := context.Background()
	body := templ.Raw("<p>x</p>")
	for name, c := range map[string]Content{
		"unknown language": {To: "a@example.org", Lang: "de", Subject: "s", HTML: body, Text: "t"},
		"no HTML":          {To: "a@example.org", Lang: i18n.NL, Subject: "s", Text: "t"},
		"bad recipient":    {To: "a@", Lang: i18n.NL, Subject: "s", HTML: body, Text: "t"},
		"two-line subject": {To: "a@example.org", Lang: i18n.NL, Subject: "s\nBcc: x@example.org", HTML: body, Text: "t"},
	} {
		if _, err := Render(ctx, c); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
}
