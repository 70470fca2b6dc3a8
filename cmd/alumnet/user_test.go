package main

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"

	"alumnet/internal/auth"
	"alumnet/internal/pgtest"
)

// TestResetPassword: `user reset-password` prints a working one-time link
// for an active account and ends the earlier links; an unknown or
// deactivated account is a clear error and a non-zero exit.
func TestResetPassword(t *testing.T) {
	d := pgtest.New(t)
	ctx := context.Background()
	users := auth.NewStore(d.Pool, auth.Options{})
	hash, err := auth.HashPassword("the old password, forgotten")
	if err != nil {
		t.Fatal(err)
	}
	admin, err := users.CreateUser(ctx, auth.NewUser{Email: "ann@example.nl", Name: "Ann de Vries", Role: auth.RoleAdmin, PasswordHash: &hash})
	if err != nil {
		t.Fatal(err)
	}
	earlier, err := users.CreateSetPasswordToken(ctx, admin.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	gone, err := users.CreateUser(ctx, auth.NewUser{Email: "bob@example.nl", Name: "Bob", Role: auth.RoleStaff, PasswordHash: &hash})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := users.SetActive(ctx, auth.User{}, gone, false); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"DATABASE_URL": d.URL, "BASE_URL": "https://alumni.example.nl"}

	out, err := inProcess(ctx, env, "user", "reset-password", "-email", " Ann@Example.nl ")
	if err != nil {
		t.Fatalf("reset-password: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`https://alumni\.example\.nl/set-password/([A-Za-z0-9_-]+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no set-password link printed:\n%s", out)
	}
	u, _, err := users.SetPasswordTokenUser(ctx, m[1])
	if err != nil || u.ID != admin.ID {
		t.Fatalf("the printed link is for user %d (%v), want %d", u.ID, err, admin.ID)
	}
	if _, _, err := users.SetPasswordTokenUser(ctx, earlier); !errors.Is(err, auth.ErrTokenInvalid) {
		t.Errorf("the earlier link still works (%v)", err)
	}
	newHash, err := auth.HashPassword("a brand new password")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := users.UseSetPasswordToken(ctx, m[1], newHash); err != nil {
		t.Fatalf("using the printed link: %v", err)
	}
	if _, _, err := users.Authenticate(ctx, "ann@example.nl", "a brand new password", "192.0.2.1"); err != nil {
		t.Fatalf("log in with the new password: %v", err)
	}

	for _, tc := range []struct{ email, want string }{
		{"nobody@example.nl", "no account"},
		{"bob@example.nl", "deactivated"},
		{"not an address", "-email"},
	} {
		out, code := runBinary(t, env, "user", "reset-password", "-email", tc.email)
		if code == 0 {
			t.Errorf("%s: exit 0\n%s", tc.email, out)
		}
		if !strings.Contains(out, tc.want) || strings.Contains(out, "/set-password/") {
			t.Errorf("%s: output lacks %q or has a link:\n%s", tc.email, tc.want, out)
		}
	}
}
