// Package config reads the application's settings from the environment.
// The resulting Config is validated once at start and passed to whoever needs
// it; nothing in the project reads the environment anywhere else.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"
)

// Config holds every setting the application reads at start.
type Config struct {
	// DatabaseURL is the PostgreSQL connection string. Empty means: start the
	// project-local cluster under DataDir.
	DatabaseURL string
	// DatabaseWait is how long the app keeps trying to reach DATABASE_URL
	// at start (a database container may start after the app's).
	DatabaseWait time.Duration
	// Addr is the host:port the HTTP server listens on.
	Addr string
	// BaseURL is the absolute URL under which the app is reached; it is used
	// in links in mails and decides whether cookies are marked Secure.
	BaseURL *url.URL
	// LogLevel is the minimum level that is logged.
	LogLevel slog.Level
	// LogFormat is "text" (development) or "json" (production).
	LogFormat string
	// DataDir holds the project-local database cluster.
	DataDir string
	// AdminEmail and AdminPassword create the first administrator when
	// there are no users yet.
	AdminEmail    string
	AdminPassword string
	// SMTPURL (smtp:// or smtps://, with credentials) sends mail through a
	// server; empty keeps every mail in the dev outbox.
	SMTPURL string
	// MailFrom is the sender address of outgoing mail.
	MailFrom string
	// TrustedProxies are the networks of reverse proxies in front of the
	// app; from them, X-Forwarded-For names the client (for login and
	// rate limits). Empty: the connection's address is the client.
	TrustedProxies []*net.IPNet
}

// SecureCookies reports whether session cookies must carry the Secure flag.
func (c Config) SecureCookies() bool { return c.BaseURL.Scheme == "https" }

// DefaultDatabaseWait is DatabaseWait when DATABASE_WAIT is unset.
const DefaultDatabaseWait = time.Minute

// Variable describes one environment variable that Load reads.
type Variable struct {
	Name    string
	Default string // "" when unset means something else (see Meaning)
	Meaning string
}

// Variables lists every environment variable Load reads, for the help of
// the command line.
func Variables() []Variable {
	return []Variable{
		{"DATABASE_URL", "", "PostgreSQL connection string (postgres://user:password@host:5432/alumnet); unset: a project-local cluster under ALUMNET_DATA_DIR, started from the installed PostgreSQL binaries; pool_max_conns=N in it sets the pool size"},
		{"DATABASE_WAIT", DefaultDatabaseWait.String(), "how long to keep trying to reach DATABASE_URL at start (a Go duration: 30s, 2m; 0 tries once)"},
		{"ADDR", "127.0.0.1:8080", "listen address (host:port)"},
		{"BASE_URL", "http:// + ADDR", "absolute URL of the app, used in mail links; https:// makes cookies Secure"},
		{"LOG_LEVEL", "info", "debug, info, warn or error"},
		{"LOG_FORMAT", "text", "text or json"},
		{"SMTP_URL", "", "smtp://user:password@host:587 or smtps://user:password@host:465; unset: every mail goes to the dev outbox (Beheer › Uitgaande mail)"},
		{"MAIL_FROM", "Alumnet <alumnet@localhost>", "sender of outgoing mail"},
		{"ALUMNET_ADMIN_EMAIL", "", "e-mail address of the first administrator, made when there are no users (with ALUMNET_ADMIN_PASSWORD); unset: admin@alumnet.local with a random password printed once"},
		{"ALUMNET_ADMIN_PASSWORD", "", "password of that first administrator"},
		{"ALUMNET_DATA_DIR", ".data", "where the project-local cluster lives (when DATABASE_URL is unset)"},
		{"TRUSTED_PROXIES", "", "comma-separated addresses or networks of reverse proxies (10.0.0.0/8); from them X-Forwarded-For names the client for login throttling and rate limits"},
	}
}

// Load reads the configuration through getenv (os.Getenv in production) and
// validates it. All problems are reported together.
func Load(getenv func(string) string) (Config, error) {
	get := func(key, def string) string {
		if v := strings.TrimSpace(getenv(key)); v != "" {
			return v
		}
		return def
	}
	var errs []error
	c := Config{
		DatabaseURL:   get("DATABASE_URL", ""),
		Addr:          get("ADDR", "127.0.0.1:8080"),
		DataDir:       get("ALUMNET_DATA_DIR", ".data"),
		AdminEmail:    get("ALUMNET_ADMIN_EMAIL", ""),
		AdminPassword: getenv("ALUMNET_ADMIN_PASSWORD"),
		LogFormat:     get("LOG_FORMAT", "text"),
		SMTPURL:       get("SMTP_URL", ""),
		MailFrom:      get("MAIL_FROM", "Alumnet <alumnet@localhost>"),
	}
	c.DatabaseWait = DefaultDatabaseWait
	if raw := get("DATABASE_WAIT", ""); raw != "" {
		if d, err := time.ParseDuration(raw); err != nil || d < 0 {
			errs = append(errs, fmt.Errorf("DATABASE_WAIT %q must be a duration like 30s or 2m (0: try once)", raw))
		} else {
			c.DatabaseWait = d
		}
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("ADDR %q is not host:port (for example 127.0.0.1:8080): %v", c.Addr, err))
	}
	base := get("BASE_URL", "")
	if base == "" {
		host, port, _ := net.SplitHostPort(c.Addr)
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "localhost"
		}
		base = "http://" + net.JoinHostPort(host, port)
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("BASE_URL %q must be an absolute http:// or https:// URL", base))
	} else {
		u.Path = strings.TrimRight(u.Path, "/")
		c.BaseURL = u
	}
	if err := c.LogLevel.UnmarshalText([]byte(get("LOG_LEVEL", "info"))); err != nil {
		errs = append(errs, fmt.Errorf("LOG_LEVEL must be one of debug, info, warn, error"))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("LOG_FORMAT must be text or json"))
	}
	if c.DatabaseURL != "" {
		if !strings.Contains(c.DatabaseURL, "=") && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
			errs = append(errs, fmt.Errorf("DATABASE_URL must be a postgres:// URL or a key=value connection string"))
		}
	}
	if c.SMTPURL != "" {
		if su, err := url.Parse(c.SMTPURL); err != nil || (su.Scheme != "smtp" && su.Scheme != "smtps") || su.Host == "" {
			errs = append(errs, fmt.Errorf("SMTP_URL must look like smtp://user:password@host:587 or smtps://host:465"))
		}
	}
	for _, raw := range strings.Split(get("TRUSTED_PROXIES", ""), ",") {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		if !strings.Contains(raw, "/") {
			if strings.Contains(raw, ":") {
				raw += "/128"
			} else {
				raw += "/32"
			}
		}
		_, n, err := net.ParseCIDR(raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("TRUSTED_PROXIES: %q is no address or network (like 10.0.0.0/8)", raw))
			continue
		}
		c.TrustedProxies = append(c.TrustedProxies, n)
	}
	if (c.AdminEmail == "") != (c.AdminPassword == "") {
		errs = append(errs, fmt.Errorf("set both ALUMNET_ADMIN_EMAIL and ALUMNET_ADMIN_PASSWORD, or neither"))
	}
	if len(errs) > 0 {
		return Config{}, fmt.Errorf("configuration: %w", errors.Join(errs...))
	}
	return c, nil
}
