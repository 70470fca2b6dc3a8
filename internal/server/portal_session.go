package server

import (
	"context"
	"errors"
	"net/http"

	"github.com/alexedwards/scs/v2"

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
