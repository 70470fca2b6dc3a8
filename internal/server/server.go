// Package server is the HTTP layer: the router, middleware, and one handler
// file per resource. Handlers read the request, call a store, and render a
// templ component; they hold no business rules of their own.
package server

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/jackc/pgx/v5/pgxpool"

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

// Deps is everything the server needs from outside.
type Deps struct {
	Config config.Config
	Log    *slog.Logger
	Pool   *pgxpool.Pool
	Assets *web.Assets
	Policy *auth.Policy
	Mailer Mailer
	// Jobs enqueues background work (mail) in the caller's transaction.
	Jobs *jobs.Jobs
}

// Mailer sends one e-mail (SMTP, or the dev outbox). The job workers send
// through it; the server only shows which one it is.
type Mailer interface {
	Send(ctx context.Context, m mail.Message) error
}

// Server holds the dependencies of the handlers.
type Server struct {
	cfg      config.Config
	log      *slog.Logger
	pool     *pgxpool.Pool
	assets   *web.Assets
	policy   *auth.Policy
	mailer   Mailer
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

	deliveries *mail.Deliveries

	// The consent ledger, and the alumni portal with its own session.
	consent        *consent.Store
	portal         *portal.Service
	portalSessions *scs.SessionManager
	retention      *retention.Store
	offboarding    *offboarding.Store
}

// Session limits for staff.
const (
	SessionIdle     = 30 * time.Minute
	SessionLifetime = 12 * time.Hour
)

// New builds a Server.
func New(d Deps) *Server {
	store := sessions.New(d.Pool, scs.GobCodec{})
	sm := scs.New()
	sm.Store = store
	sm.IdleTimeout = SessionIdle
	sm.Lifetime = SessionLifetime
	sm.Cookie.Name = "alumnet_session"
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = d.Config.SecureCookies()
	sm.Cookie.Path = "/"
	sm.Cookie.Persist = false
	s := &Server{
		cfg:      d.Config,
		log:      d.Log,
		pool:     d.Pool,
		assets:   d.Assets,
		policy:   d.Policy,
		mailer:   d.Mailer,
		jobs:     d.Jobs,
		sessions: sm,
		store:    store,
		users:    auth.NewStore(d.Pool),
		units:    units.NewStore(d.Pool),
		people:   people.NewStore(d.Pool),
		audit:    audit.NewStore(d.Pool),

		deliveries: mail.NewDeliveries(d.Pool),
	}
	// Every part that holds personal data, in the order an erasure runs
	// them (the job queue's before the mail's, the registry's last).
	s.eraser = erasure.New(d.Pool, store.ErasurePart(), portal.ErasurePart(), jobs.ErasurePart(), mail.ErasurePart(),
		offboarding.ErasurePart(), consent.ErasurePart(), audit.ErasurePart(), people.ErasurePart())
	s.consent = consent.NewStore(d.Pool)
	s.portal = portal.New(d.Pool, s.consent)
	s.retention = retention.NewStore(d.Pool)
	s.offboarding = offboarding.NewStore(d.Pool, s.portal, s.consent, d.Config.WorkDomains)
	s.portalSessions = newPortalSessions(store, d.Config.SecureCookies())
	// One-off tasks that requests hand to the job queue; the processes
	// that run workers do them.
	if d.Jobs != nil {
		for name, h := range map[string]jobs.Handler{
			taskPasswordReset: s.mailPasswordReset,
			taskPortalLogin:   s.mailLoginLink,
		} {
			if err := d.Jobs.Handle(name, h); err != nil {
				panic(err) // a programming error: a task registered twice
			}
		}
	}
	// Session store failures (the database is away) get the app's own log
	// line and error page instead of scs's default.
	sm.ErrorFunc = s.fail
	s.portalSessions.ErrorFunc = s.fail
	return s
}

// Close releases what the server holds; expired sessions are removed by
// the daily clean-up job, not by the server.
func (s *Server) Close() {}
