// Package server is the HTTP layer: the router, middleware, and one handler
// file per resource. Handlers read the request, call a store, and render a
// templ component; they hold no business rules of their own.
package server

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"

	"alumnet/internal/app"
	"alumnet/internal/audit"
	"alumnet/internal/auth"
	"alumnet/internal/config"
	"alumnet/internal/consent"
	"alumnet/internal/erasure"
	"alumnet/internal/jobs"
	"alumnet/internal/mail"
	"alumnet/internal/offboarding"
	"alumnet/internal/people"
	"alumnet/internal/portal"
	"alumnet/internal/retention"
	"alumnet/internal/sessions"
	"alumnet/internal/units"
	"alumnet/web"
)

// Server holds the dependencies of the handlers: the app's stores (see
// internal/app) and what only the web needs.
type Server struct {
	app      *app.App
	cfg      config.Config
	log      *slog.Logger
	assets   *web.Assets
	policy   *auth.Policy
	mailer   mail.Sender
	jobs     *jobs.Jobs
	sessions *scs.SessionManager
	// store holds the staff and the portal sessions.
	store *sessions.Store
	// eraser carries out erasures.
	eraser *erasure.Eraser

	users  *auth.Store
	units  *units.Store
	people *people.Store
	audit  *audit.Store

	mail   *mail.Store
	outbox *mail.Outbox

	// The consent ledger, and the alumni portal with its own session.
	consent        *consent.Store
	portal         *portal.Store
	portalSessions *scs.SessionManager
	retention      *retention.Store
	offboarding    *offboarding.Store
}

// Session limits for staff.
const (
	SessionIdle     = 30 * time.Minute
	SessionLifetime = 12 * time.Hour
)

// New builds the web server of a.
func New(a *app.App, assets *web.Assets) *Server {
	sm := scs.New()
	sm.Store = a.Sessions
	sm.IdleTimeout = SessionIdle
	sm.Lifetime = SessionLifetime
	sm.Cookie.Name = "alumnet_session"
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = a.Config.SecureCookies()
	sm.Cookie.Path = "/"
	sm.Cookie.Persist = false
	s := &Server{
		app:         a,
		cfg:         a.Config,
		log:         a.Log,
		assets:      assets,
		policy:      a.Policy,
		mailer:      a.Mailer,
		jobs:        a.Jobs,
		sessions:    sm,
		store:       a.Sessions,
		eraser:      a.Eraser,
		users:       a.Users,
		units:       a.Units,
		people:      a.People,
		audit:       a.Audit,
		mail:        a.Mail,
		outbox:      a.Outbox,
		consent:     a.Consent,
		portal:      a.Portal,
		retention:   a.Retention,
		offboarding: a.Offboarding,
	}
	s.portalSessions = newPortalSessions(a.Sessions, a.Config.SecureCookies())
	// Session store failures (the database is away) get the app's own log
	// line and error page instead of scs's default.
	sm.ErrorFunc = s.fail
	s.portalSessions.ErrorFunc = s.fail
	return s
}

// Close releases what the server holds; expired sessions are removed by
// the daily clean-up job, not by the server.
func (s *Server) Close() {}
