package spreadsheet

import (
	"strings"
	"testing"
)

func TestSafeCell(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"Jan de Vries", "Jan de Vries"},
		{"=HYPERLINK(\"http://evil\")", "'=HYPERLINK(\"http://evil\")"},
		{"+31 6 1234", "'+31 6 1234"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\t=1", "'\t=1"},
		{"Utrecht;=cmd|' /C calc'!A0", "Utrecht;'=cmd|' /C calc'!A0"},
		{"a;+1;-2;@x", "a;'+1;'-2;'@x"},
		{"a; =1", "a; =1"}, // a space makes it text already
		{"naam;", "naam;"},
		{"e-mail: a-b@example.nl", "e-mail: a-b@example.nl"},
		{"\"=1", "\"'=1"}, // a quote first is taken as quoting
		{"a;\"\"=cmd|'/C calc'!A0", "a;\"\"'=cmd|'/C calc'!A0"},
		{"say \"=1\"", "say \"=1\""}, // a quote inside a cell is text
		{"\"\"", "\"\""},
	} {
		if got := SafeCell(tt.in); got != tt.want {
			t.Errorf("SafeCell(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzSafeCell: whatever the value, no piece between semicolons starts a
// formula (after the double quotes it may start with), and removing the
// added quotes gives the value back.
func FuzzSafeCell(f *testing.F) {
	for _, s := range []string{"=1", "a;=b", ";;=;", "x;@y;+z", "\r=", "plain", "\"=1", "a;\"\"+b", "\"'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := SafeCell(s)
		for _, cell := range strings.Split(got, ";") {
			if cell = strings.TrimLeft(cell, "\""); cell != "" && strings.ContainsRune(formulaStart, rune(cell[0])) {
				t.Fatalf("SafeCell(%q) = %q: cell %q is a formula", s, got, cell)
			}
		}
		// got is s with quotes added only before a formula character at
		// the start of a cell (after its double quotes).
		j := 0
		for i := 0; i < len(got); i++ {
			if j < len(s) && got[i] == s[j] {
				j++
				continue
			}
			k := i
			for k > 0 && got[k-1] == '"' {
				k--
			}
			if got[i] != '\'' || (k > 0 && got[k-1] != ';') || j >= len(s) || !strings.ContainsRune(formulaStart, rune(s[j])) {
				t.Fatalf("SafeCell(%q) = %q changes more than it should (at %d)", s, got, i)
			}
		}
		if j != len(s) {
			t.Fatalf("SafeCell(%q) = %q loses the value", s, got)
		}
	})
}
