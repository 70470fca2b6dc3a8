package i18n

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestEveryMessageHasBothLanguages(t *testing.T) {
	for k, m := range catalog {
		if strings.TrimSpace(m.nl) == "" || strings.TrimSpace(m.en) == "" {
			t.Errorf("%s: missing a translation (nl %q, en %q)", k, m.nl, m.en)
		}
		if strings.Count(m.nl, "%") != strings.Count(m.en, "%") {
			t.Errorf("%s: nl and en take different arguments", k)
		}
	}
}

// TestEveryUsedKeyExists finds the literal keys the code and templates ask
// for and checks the catalogue has them.
func TestEveryUsedKeyExists(t *testing.T) {
	used := regexp.MustCompile(`\.T\("([a-z0-9_.\-]+)"|addFlash\(r, "\w+", "([a-z0-9_.\-]+)"|"(err\.[a-z0-9_.\-]+)|Key: "([a-z0-9_.\-]+)"|"([a-z]+\.[a-z_]+_(?:scope|taken))"|(?:\.Add|\.AddN|form\.Of)\((?:\w+|"\w+"), "([a-z0-9_.\-]+)"`)
	root := filepath.Join("..", "..")
	missing := map[string]string{}
	for _, dir := range []string{"templates", "internal/server", "internal/people", "internal/auth", "internal/form",
		"internal/offboarding", "internal/consent", "internal/portal"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || strings.HasSuffix(path, "_templ.go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			if !strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, ".templ") {
				return nil
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, m := range used.FindAllStringSubmatch(string(b), -1) {
				key := m[1] + m[2] + m[3] + m[4] + m[5] + m[6]
				if strings.HasSuffix(key, ".") {
					continue // a prefix completed at run time
				}
				if !Has(key) {
					missing[key] = path
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for k, path := range missing {
		t.Errorf("key %q used in %s is not in the catalogue", k, path)
	}
}

func TestNegotiate(t *testing.T) {
	tests := []struct {
		choice, cookie, accept string
		want                   Lang
	}{
		{"", "", "", NL},
		{"", "", "en-US,en;q=0.9", EN},
		{"", "", "de-DE,de;q=0.9", NL},
		{"", "", "de,en;q=0.5", EN},
		{"", "en", "nl", EN},
		{"nl", "en", "en", NL},
		{"xx", "", "en", EN},
	}
	for _, tt := range tests {
		if got := Negotiate(tt.choice, tt.cookie, tt.accept); got != tt.want {
			t.Errorf("Negotiate(choice %q, cookie %q, accept %q) = %s, want %s", tt.choice, tt.cookie, tt.accept, got, tt.want)
		}
	}
	if For(EN).T("err.too_long", 5) != "At most 5 characters." {
		t.Error("formatting with arguments")
	}
	if For(NL).T("no.such.key") != "no.such.key" {
		t.Error("unknown key should come back as itself")
	}
}
