// Package config reads the application's settings from the environment.
// The resulting Config is validated once at start and passed to whoever needs
// it; nothing in the project reads the environment anywhere else.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
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
	// WorkDomains are the organisation's own mail domains (lower case):
	// when someone leaves, their addresses there stop opening the portal.
	WorkDomains []string
	// Development allows what only a developer's machine should have:
	// real mail (SMTP_URL) with links to a local or http:// BASE_URL, or
	// from a localhost or .invalid sender (see CheckMail).
	Development bool
	// TrustedProxies are the networks of reverse proxies in front of the
	// app; from them, X-Forwarded-For names the client (for login and
	// rate limits). Empty: the connection's address is the client.
	TrustedProxies []*net.IPNet
}

// SecureCookies reports whether session cookies must carry the Secure flag.
func (c Config) SecureCookies() bool { return c.BaseURL.Scheme == "https" }

// CheckMail refuses a set-up that would send real mail that cannot work or
// looks like phishing: with SMTP_URL set, links to a loopback or http://
// BASE_URL (the reader cannot open them, or opens them unencrypted), or a
// sender on localhost or a .invalid domain (refused or filed as spam). A
// developer's machine allows it with ALUMNET_DEVELOPMENT=true. serve calls
// it; without SMTP_URL mail stays in the dev outbox and anything goes.
func (c Config) CheckMail() error {
	if c.SMTPURL == "" || c.Development {
		return nil
	}
	var errs []error
	if c.BaseURL.Scheme != "https" {
		errs = append(errs, fmt.Errorf("BASE_URL %s is not https://: the links in mail would travel unencrypted", c.BaseURL))
	}
	host := c.BaseURL.Hostname()
	if ip := net.ParseIP(host); host == "localhost" || strings.HasSuffix(host, ".localhost") || ip != nil && (ip.IsLoopback() || ip.IsUnspecified()) {
		errs = append(errs, fmt.Errorf("BASE_URL %s points at this machine: nobody who reads the mail can open its links", c.BaseURL))
	}
	if a, err := mail.ParseAddress(c.MailFrom); err != nil {
		errs = append(errs, fmt.Errorf("MAIL_FROM %q is not an address", c.MailFrom))
	} else {
		domain := strings.ToLower(a.Address[strings.LastIndexByte(a.Address, '@')+1:])
		if domain == "localhost" || strings.HasSuffix(domain, ".localhost") || domain == "invalid" || strings.HasSuffix(domain, ".invalid") || !strings.Contains(domain, ".") {
			errs = append(errs, fmt.Errorf("MAIL_FROM %s is not a real sender domain: mail servers refuse it or file it as spam", a.Address))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("SMTP_URL is set, so mail goes out for real, but: %w (fix these, or set ALUMNET_DEVELOPMENT=true on a developer's machine)", errors.Join(errs...))
	}
	return nil
}

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
		{"ALUMNET_WORK_DOMAINS", "", "comma-separated mail domains of the organisation's own addresses (example.nl, school.nl): when someone leaves, their address there stops opening the alumni portal even when they proved it"},
		{"ALUMNET_DEVELOPMENT", "false", "true on a developer's machine: serve then sends real mail (SMTP_URL) even with a local or http:// BASE_URL or a localhost sender"},
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
	for _, d := range strings.Split(get("ALUMNET_WORK_DOMAINS", ""), ",") {
		d = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(d), "@")))
		if d == "" {
			continue
		}
		if !strings.Contains(d, ".") || strings.ContainsAny(d, " @/") {
			errs = append(errs, fmt.Errorf("ALUMNET_WORK_DOMAINS: %q is no mail domain (like example.nl)", d))
			continue
		}
		c.WorkDomains = append(c.WorkDomains, d)
	}
	switch dev := strings.ToLower(get("ALUMNET_DEVELOPMENT", "false")); dev {
	case "true", "1", "yes":
		c.Development = true
	case "false", "0", "no":
	default:
		errs = append(errs, fmt.Errorf("ALUMNET_DEVELOPMENT must be true or false"))
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
