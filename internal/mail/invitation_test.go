package mail

import (
	"strings"
	"testing"

	"alumnet/internal/i18n"
)

func TestInvitationInTheInviteesLanguage(t *testing.T) {
	link := "https://alumnet.test/set-password/tok_en-1"
	tests := []struct {
		lang        i18n.Lang
		wantSubject string
		wantText    []string
	}{
		{i18n.NL, "Je uitnodiging voor Alumnet", []string{"Hallo Fatima <b>,", "Ellen de Vries", link, "72 uur"}},
		{i18n.EN, "Your invitation to Alumnet", []string{"Hello Fatima <b>,", "Ellen de Vries", link, "72 hours"}},
	}
	for _, tt := range tests {
		t.Run(string(tt.lang), func(t *testing.T) {
			m, err := Invitation{To: "fatima@example.org", Name: "Fatima <b>", InvitedBy: "Ellen de Vries", Link: link, Hours: 72, Lang: tt.lang}.Message()
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Validate(); err != nil {
				t.Fatal(err)
			}
			if m.Subject != tt.wantSubject {
				t.Errorf("subject %q, want %q", m.Subject, tt.wantSubject)
			}
			for _, s := range tt.wantText {
				if !strings.Contains(m.Text, s) {
					t.Errorf("text lacks %q:\n%s", s, m.Text)
				}
			}
			if strings.Contains(m.Text+m.HTML, "mail.invite.") {
				t.Errorf("untranslated key in\n%s\n%s", m.Text, m.HTML)
			}
			// The HTML alternative escapes what users typed and links to the token.
			if strings.Contains(m.HTML, "Fatima <b>") || !strings.Contains(m.HTML, "Fatima &lt;b&gt;") {
				t.Errorf("name not escaped in HTML:\n%s", m.HTML)
			}
			if !strings.Contains(m.HTML, `href="`+link+`"`) || !strings.Contains(m.HTML, `lang="`+string(tt.lang)+`"`) {
				t.Errorf("HTML lacks link or lang:\n%s", m.HTML)
			}
		})
	}
}
