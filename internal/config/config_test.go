package config

import (
	"log/slog"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name       string
		env        map[string]string
		wantErr    string
		wantBase   string
		wantSecure bool
		wantLevel  slog.Level
	}{
		{name: "defaults", env: map[string]string{}, wantBase: "http://127.0.0.1:8080", wantLevel: slog.LevelInfo},
		{name: "https base", env: map[string]string{"BASE_URL": "https://alumni.example.nl/"}, wantBase: "https://alumni.example.nl", wantSecure: true, wantLevel: slog.LevelInfo},
		{name: "wildcard addr", env: map[string]string{"ADDR": "0.0.0.0:9000"}, wantBase: "http://localhost:9000", wantLevel: slog.LevelInfo},
		{name: "debug", env: map[string]string{"LOG_LEVEL": "debug"}, wantBase: "http://127.0.0.1:8080", wantLevel: slog.LevelDebug},
		{name: "bad addr", env: map[string]string{"ADDR": "8080"}, wantErr: "ADDR"},
		{name: "bad base", env: map[string]string{"BASE_URL": "alumni.example.nl"}, wantErr: "BASE_URL"},
		{name: "bad level", env: map[string]string{"LOG_LEVEL": "loud"}, wantErr: "LOG_LEVEL"},
		{name: "bad db", env: map[string]string{"DATABASE_URL": "mysql"}, wantErr: "DATABASE_URL"},
		{name: "half admin", env: map[string]string{"ALUMNET_ADMIN_EMAIL": "a@b.nl"}, wantErr: "ALUMNET_ADMIN_PASSWORD"},
		{name: "bad wait", env: map[string]string{"DATABASE_WAIT": "soon"}, wantErr: "DATABASE_WAIT"},
		{name: "negative wait", env: map[string]string{"DATABASE_WAIT": "-1s"}, wantErr: "DATABASE_WAIT"},
		{name: "all errors at once", env: map[string]string{"ADDR": "x", "LOG_LEVEL": "x"}, wantErr: "LOG_LEVEL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(env(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want mention of %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.BaseURL.String(); got != tt.wantBase {
				t.Errorf("BaseURL = %q, want %q", got, tt.wantBase)
			}
			if c.SecureCookies() != tt.wantSecure {
				t.Errorf("SecureCookies = %v", c.SecureCookies())
			}
			if c.LogLevel != tt.wantLevel {
				t.Errorf("LogLevel = %v", c.LogLevel)
			}
		})
	}
}

// TestCheckMail: real mail (SMTP_URL) only with links a reader can open
// safely and a sender that is no placeholder, unless on a developer's
// machine.
func TestCheckMail(t *testing.T) {
	good := map[string]string{"SMTP_URL": "smtp://mail.example.nl:587", "BASE_URL": "https://alumni.example.nl", "MAIL_FROM": "Alumni <alumni@example.nl>"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range good {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	for _, tt := range []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{"a real set-up", good, ""},
		{"no SMTP: the outbox takes anything", map[string]string{}, ""},
		{"http BASE_URL", with("BASE_URL", "http://alumni.example.nl"), "not https://"},
		{"loopback BASE_URL", with("BASE_URL", "https://127.0.0.1:8443"), "points at this machine"},
		{"localhost BASE_URL", with("BASE_URL", "https://localhost"), "points at this machine"},
		{"IPv6 loopback", with("BASE_URL", "https://[::1]:8443"), "points at this machine"},
		{"default MAIL_FROM", with("MAIL_FROM", ""), "alumnet@localhost"},
		{".invalid sender", with("MAIL_FROM", "x@alumnet.invalid"), "not a real sender domain"},
		{"development allows it", with("BASE_URL", "http://127.0.0.1:8080", "MAIL_FROM", "", "ALUMNET_DEVELOPMENT", "true"), ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(env(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			err = c.CheckMail()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("CheckMail = %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "ALUMNET_DEVELOPMENT")):
				t.Fatalf("CheckMail = %v, want mention of %q and the way out", err, tt.wantErr)
			}
		})
	}
	if _, err := Load(env(map[string]string{"ALUMNET_DEVELOPMENT": "maybe"})); err == nil {
		t.Fatal("ALUMNET_DEVELOPMENT=maybe accepted")
	}
}

func TestDatabaseWait(t *testing.T) {
	for _, tt := range []struct {
		env  string
		want time.Duration
	}{{"", DefaultDatabaseWait}, {"0", 0}, {"2s", 2 * time.Second}, {"3m", 3 * time.Minute}} {
		c, err := Load(env(map[string]string{"DATABASE_WAIT": tt.env}))
		if err != nil {
			t.Fatal(err)
		}
		if c.DatabaseWait != tt.want {
			t.Errorf("DATABASE_WAIT=%q: DatabaseWait = %s, want %s", tt.env, c.DatabaseWait, tt.want)
		}
	}
}

// TestVariablesListsEveryVariable keeps the help's list of variables
// complete: every variable Load reads is in Variables, and nothing else.
func TestVariablesListsEveryVariable(t *testing.T) {
	read := map[string]bool{}
	if _, err := Load(func(k string) string { read[k] = true; return "" }); err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, v := range Variables() {
		listed[v.Name] = true
		if !read[v.Name] {
			t.Errorf("Variables lists %s, which Load does not read", v.Name)
		}
		if v.Meaning == "" {
			t.Errorf("%s has no meaning", v.Name)
		}
	}
	for k := range read {
		if !listed[k] {
			t.Errorf("Load reads %s, which Variables does not list", k)
		}
	}
}
