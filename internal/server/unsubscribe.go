package server

import (
	"errors"
	"net/http"

	portaltpl "alumnet/templates/portal"

	"github.com/go-chi/chi/v5"

	"alumnet/internal/portal"
)

// One-click unsubscribe from a mail, without logging in.

// unsubscribeForm asks to confirm a one-click unsubscribe (GET changes nothing).
func (s *Server) unsubscribeForm(w http.ResponseWriter, r *http.Request) error {
	return s.unsubscribePage(w, r, false)
}

// unsubscribe withdraws the purpose (RFC 8058 one-click: mail programs
// POST here with List-Unsubscribe=One-Click; the token is the authority).
func (s *Server) unsubscribe(w http.ResponseWriter, r *http.Request) error {
	return s.unsubscribePage(w, r, true)
}

func (s *Server) unsubscribePage(w http.ResponseWriter, r *http.Request, post bool) error {
	token := chi.URLParam(r, "token")
	personID, key, err := s.portal.VerifyUnsubscribe(r.Context(), token)
	if err == nil {
		r = s.inPersonLanguage(r, personID)
	}
	p := s.portalPage(r, "", "")
	p.Title = p.T("unsub.title")
	if errors.Is(err, portal.ErrBadSignature) {
		return s.render(w, r, http.StatusNotFound, portaltpl.Unsubscribe(p, portaltpl.UnsubscribeData{Invalid: true}))
	}
	if err != nil {
		return err
	}
	purpose, err := s.consent.PurposeByKey(r.Context(), key)
	if err != nil {
		return s.render(w, r, http.StatusNotFound, portaltpl.Unsubscribe(p, portaltpl.UnsubscribeData{Invalid: true}))
	}
	d := portaltpl.UnsubscribeData{Purpose: purpose.Name(p.Lang)}
	if post {
		if _, err := s.portal.Unsubscribe(r.Context(), token); err != nil && !errors.Is(err, portal.ErrBadSignature) {
			return err
		}
		d.Done = true
	}
	return s.render(w, r, http.StatusOK, portaltpl.Unsubscribe(p, d))
}
