package auth

import (
	"errors"
	"strings"
	"testing"
)

func TestHashAndCheck(t *testing.T) {
	h, err := HashPassword("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash format: %s", h)
	}
	for _, tt := range []struct {
		pw   string
		want bool
	}{
		{"correct horse battery staple", true},
		{"correct horse battery stapl", false},
		{"", false},
	} {
		ok, err := CheckPassword(h, tt.pw)
		if err != nil || ok != tt.want {
			t.Errorf("CheckPassword(%q) = %v, %v; want %v", tt.pw, ok, err, tt.want)
		}
	}
	if _, err := CheckPassword("$2a$10$bcrypt", "x"); err == nil {
		t.Error("foreign hash accepted")
	}
	h2, _ := HashPassword("correct horse battery staple")
	if h == h2 {
		t.Error("two hashes of one password are equal: salt not random")
	}
}

func TestPolicy(t *testing.T) {
	p, err := NewPolicy()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		pw      string
		email   string
		wantKey string
	}{
		{"short", "", "password.too_short"},
		{"elevenchars", "", "password.too_short"},
		{"123456789012", "", "password.common"},
		{"PasswordPassword", "", "password.common"},
		{"Wachtwoord123", "", "password.common"},
		{strings.Repeat("x", 257), "", "password.too_long"},
		{"de koe staat in de wei 7", "", ""},
		{"ééééééééééé", "", "password.too_short"}, // 11 runes, 22 bytes
		// The own address, or its part before the @, is no password.
		{"annemarie.devries@example.nl", "annemarie.devries@example.nl", "password.email"},
		{"AnneMarie.deVries@Example.nl", "annemarie.devries@example.nl", "password.email"},
		{"annemarie.devries", "annemarie.devries@example.nl", "password.email"},
		{" Annemarie.DeVries ", "annemarie.devries@example.nl", "password.email"},
		{"my annemarie.devries@example.nl!", "annemarie.devries@example.nl", "password.email"},
		{"annemarie.devries", "someone.else@example.nl", ""},
		{"annemarie.devries@example.nl", "", ""},
	}
	for _, tt := range tests {
		err := p.Check(tt.pw, tt.email)
		var pe *PolicyError
		switch {
		case tt.wantKey == "" && err != nil:
			t.Errorf("Check(%q) = %v, want ok", tt.pw, err)
		case tt.wantKey != "" && (!errors.As(err, &pe) || pe.Key != tt.wantKey):
			t.Errorf("Check(%q) = %v, want %s", tt.pw, err, tt.wantKey)
		}
	}
}
