package server

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/jackc/pgx/v5"

	"alumnet/internal/i18n"
	"alumnet/internal/portal"
	"alumnet/internal/sessions"
	"alumnet/templates/layout"
)

// The alumni portal has its own session (cookie alumnet_portal), apart
// from the staff session: logging in to one never logs in to the other.
func newPortalSessions(store scs.Store, secure bool) *scs.SessionManager {
	sm := scs.New()
	sm.Store = store
	sm.IdleTimeout = SessionIdle
	sm.Lifetime = SessionLifetime
	sm.Cookie.Name = "alumnet_portal"
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = secure
	sm.Cookie.Path = "/"
	sm.Cookie.Persist = false
	return sm
}

type alumnus struct {
	ID        int64
	FirstName string
	Name      string
	Language  string
}

// loadAlumnus puts the person logged in to the portal in the context; an
// erased person's session ends.
func (s *Server) loadAlumnus(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if id := s.portalSessions.GetInt64(ctx, sessions.PersonKey); id != 0 {
			p, err := s.portal.Who(ctx, id)
			switch {
			case errors.Is(err, portal.ErrNotFound) || err == nil && s.portalSessions.GetInt(ctx, sessions.EpochKey) != p.SessionEpoch:
				_ = s.portalSessions.Destroy(ctx)
			case err != nil:
				s.fail(w, r, err)
				return
			default:
				r = r.WithContext(context.WithValue(ctx, ctxAlumnus, &alumnus{ID: p.ID, FirstName: p.FirstName, Name: p.Name(), Language: p.Language}))
				if currentUser(r) == nil {
					r = inLanguage(r, p.Language)
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

func currentAlumnus(r *http.Request) *alumnus {
	a, _ := r.Context().Value(ctxAlumnus).(*alumnus)
	return a
}

// requireAlumnus sends visitors who are not logged in to the portal login.
func (s *Server) requireAlumnus(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if currentAlumnus(r) == nil {
			http.Redirect(w, r, "/portal/login", http.StatusSeeOther)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// portalPage is s.page for the portal: the header shows the alumnus, not
// a staff user who may be logged in in the same browser.
func (s *Server) portalPage(r *http.Request, nav, title string) layout.Page {
	p := s.page(r, nav, title)
	p.User = nil
	if a := currentAlumnus(r); a != nil {
		p.Alumnus = &layout.Alumnus{ID: a.ID, Name: a.Name}
	}
	return p
}

// portalLogin starts a portal session for personID. The returned request
// speaks the person's language (for the flash message that follows),
// unless the visitor chose one with the switch.
func (s *Server) portalLogin(r *http.Request, personID int64) (*http.Request, error) {
	who, err := s.portal.Who(r.Context(), personID)
	if err != nil {
		return r, err
	}
	if err := s.portalSessions.RenewToken(r.Context()); err != nil {
		return r, err
	}
	s.portalSessions.Put(r.Context(), sessions.PersonKey, personID)
	s.portalSessions.Put(r.Context(), sessions.EpochKey, who.SessionEpoch)
	if langChosen(r) {
		return r, nil
	}
	return inLanguage(r, who.Language), nil
}

// inPersonLanguage returns r speaking the language of personID, unless the
// visitor chose one.
func (s *Server) inPersonLanguage(r *http.Request, personID int64) *http.Request {
	if langChosen(r) {
		return r
	}
	if who, err := s.portal.Who(r.Context(), personID); err == nil {
		return inLanguage(r, who.Language)
	}
	return r
}

// linkPaths are where each kind of link mail points.
var linkPaths = map[string]string{
	portal.PurposeRegister:       "/register/confirm/",
	portal.PurposeLogin:          "/portal/login/",
	"known":                      "/portal/login/",
	portal.PurposeEmailChange:    "/portal/email/",
	portal.PurposeInvite:         "/invite/",
	portal.PurposeConfirmDetails: "/portal/still-correct/",
	portal.PurposeEmailRevert:    "/portal/email-revert/",
}

// linkHours is how long each kind of link works, for the mail's small print.
func linkValidity(p i18n.Printer, kind string) string {
	purpose := kind
	if kind == "known" {
		purpose = portal.PurposeLogin
	}
	d := portal.TTL[purpose]
	if d < time.Hour {
		return p.T("mail.link.minutes", int(d/time.Minute))
	}
	if d >= 48*time.Hour {
		return p.T("mail.link.days", int(d/(24*time.Hour)))
	}
	return p.T("mail.link.hours", int(d/time.Hour))
}

// portalMailer renders the link mails in the recipient's language and
// queues them in the transaction that made the link.
func (s *Server) portalMailer() portal.Sender {
	return func(ctx context.Context, tx pgx.Tx, m portal.Mail) error {
		lang, ok := i18n.Parse(m.Lang)
		if !ok {
			lang = i18n.Default
		}
		p := i18n.For(lang)
		k := "mail.alumni." + m.Kind
		link := s.cfg.BaseURL.String() + linkPaths[m.Kind] + m.Token
		// A registration is not confirmed yet: the name is whatever someone
		// typed, so the mail does not repeat it.
		greeting := p.T("mail.greeting", m.Name)
		if m.Kind == portal.PurposeRegister {
			greeting = p.T("mail.greeting.plain")
		}
		intro := p.T(k + ".intro")
		notes := []string{linkValidity(p, m.Kind), p.T(k + ".ignore")}
		switch {
		case m.Kind == portal.MailEmailReverted:
			link, notes = "", []string{p.T(k + ".ignore")}
		case m.Kind == portal.PurposeEmailRevert:
			intro = p.T(k+".intro", m.NewAddress)
		case !m.AskedAt.IsZero():
			notes = append([]string{p.T("mail.asked", p.DateTime(m.AskedAt.In(displayLocation())), m.AskedFrom)}, notes...)
		}
		msg, err := linkMail{To: m.To, Lang: lang, Subject: p.T(k + ".subject"), Paragraphs: []string{greeting, intro},
			Link: link, Button: p.T(k + ".button"), Notes: notes}.message(ctx)
		if err != nil {
			return err
		}
		return s.jobs.SendMail(ctx, tx, "portal."+m.Kind+"."+itoa(int(m.TokenID)), m.PersonID, msg)
	}
}
