package mail

import (
	"context"
	"strings"
	"testing"

	"alumnet/internal/i18n"
)

// TestLinkMail: paragraphs, the link as a button and on a line of its own
// in the text, the notes below; what users typed is escaped in the HTML,
// the language and the staff header set.
func TestLinkMail(t *testing.T) {
	link := "https://alumnet.test/set-password/tok_en-1?a=1&b=2"
	for _, lang := range []i18n.Lang{i18n.NL, i18n.EN} {
		t.Run(string(lang), func(t *testing.T) {
			m, err := Link{To: "fatima@example.org", Lang: lang, Subject: "Onderwerp", Paragraphs: []string{"Hallo Fatima <b>,", "Tekst."},
				URL: link, Button: "Kies", Notes: []string{"72 uur"}, Staff: true}.Message(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if want := "Hallo Fatima <b>,\n\nTekst.\n\n" + link + "\n\n72 uur\n\n-- \n"; !strings.HasPrefix(m.Text, want) {
				t.Errorf("text %q, want it to start with %q", m.Text, want)
			}
			if strings.Contains(m.HTML, "Fatima <b>") || !strings.Contains(m.HTML, "Fatima &lt;b&gt;") {
				t.Errorf("name not escaped in HTML:\n%s", m.HTML)
			}
			if !strings.Contains(m.HTML, `href="https://alumnet.test/set-password/tok_en-1?a=1&amp;b=2"`) || !strings.Contains(m.HTML, `lang="`+string(lang)+`"`) {
				t.Errorf("HTML lacks link or lang:\n%s", m.HTML)
			}
			if m.Headers["X-Auto-Response-Suppress"] != "All" || m.Headers["Auto-Submitted"] != "auto-generated" {
				t.Errorf("headers %v", m.Headers)
			}
		})
	}
	// A mail that only tells has no button and no link line.
	m, err := Link{To: "a@example.org", Lang: i18n.NL, Subject: "S", Paragraphs: []string{"Alleen tekst."}}.Message(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m.HTML, "<a ") || m.Headers["X-Auto-Response-Suppress"] != "" {
		t.Errorf("a mail without a link:\n%s\n%v", m.HTML, m.Headers)
	}
}
