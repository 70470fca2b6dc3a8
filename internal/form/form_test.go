package form

import (
	"strings"
	"testing"
)

func TestLineAndText(t *testing.T) {
	tests := []struct {
		name      string
		v         string
		required  bool
		line      string // the message key Line gives, "" when fine
		multiline string // the message key Text gives
	}{
		{"empty, optional", "", false, "", ""},
		{"empty, required", "", true, "err.required", "err.required"},
		{"a name", "Zoë Öztürk", true, "", ""},
		{"Arabic, right to left by itself", "مريم", true, "", ""},
		{"at the limit", strings.Repeat("é", 10), true, "", ""},
		{"over the limit", strings.Repeat("é", 11), true, "err.too_long", "err.too_long"},
		{"a tab", "Jan\tJansen", true, "err.control", ""},
		{"a line break", "Jan\nJansen", true, "err.control", ""},
		{"a carriage return", "Jan\r\nJan", true, "err.control", ""},
		{"an escape", "Jan\x1b[31m", true, "err.control", "err.control"},
		{"a NUL", "Jan\x00", true, "err.control", "err.control"},
		{"DEL", "Jan\x7f", true, "err.control", "err.control"},
		{"a C1 control", "Jan\u0085", true, "err.control", "err.control"},
		{"right-to-left override", "\u202Enaj", true, "err.control", "err.control"},
		{"left-to-right embedding", "a\u202Ab", true, "err.control", "err.control"},
		{"pop directional formatting", "a\u202Cb", true, "err.control", "err.control"},
		{"first strong isolate", "a\u2068b", true, "err.control", "err.control"},
		{"pop directional isolate", "a\u2069b", true, "err.control", "err.control"},
		{"right-to-left mark", "a\u200Fb", true, "err.control", "err.control"},
		{"left-to-right mark", "a\u200Eb", true, "err.control", "err.control"},
		{"Arabic letter mark", "a\u061Cb", true, "err.control", "err.control"},
		{"invalid UTF-8", "Jan\xff", true, "err.control", "err.control"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := Errors{}
			ok := errs.Line("f", tt.v, 10, tt.required)
			if errs.Key("f") != tt.line || ok != (tt.line == "") {
				t.Errorf("Line(%q) = %v, %q; want %q", tt.v, ok, errs.Key("f"), tt.line)
			}
			errs = Errors{}
			ok = errs.Text("f", tt.v, 10, tt.required)
			if errs.Key("f") != tt.multiline || ok != (tt.multiline == "") {
				t.Errorf("Text(%q) = %v, %q; want %q", tt.v, ok, errs.Key("f"), tt.multiline)
			}
		})
	}
}

func TestTooLongNamesItsLimit(t *testing.T) {
	errs := Errors{}
	errs.Line("name", strings.Repeat("x", 201), 200, true)
	if got := errs["name"]; got != (Message{Key: "err.too_long", N: 200}) {
		t.Fatalf("got %+v", got)
	}
}

func TestDirection(t *testing.T) {
	for r := rune(0); r < 0x3000; r++ {
		want := r == 0x061C || r == 0x200E || r == 0x200F || (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069)
		if Direction(r) != want {
			t.Errorf("Direction(%U) = %v", r, !want)
		}
	}
}
