package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	portaltpl "alumnet/templates/portal"

	"github.com/go-chi/chi/v5"

	"alumnet/internal/portal"
)

// The pages behind the links in the alumni's mails: a page that asks to
// confirm with a button (a mail scanner that follows links changes
// nothing), the language they are shown in, and what an unusable link says.

// confirmPage renders the page behind a link; invalid links get 404.
func (s *Server) confirmPage(w http.ResponseWriter, r *http.Request, purpose, prefix string) error {
	t, err := s.portal.Peek(r.Context(), purpose, chi.URLParam(r, "token"))
	if err == nil {
		r = s.inLinkLanguage(r, t)
	}
	p := s.portalPage(r, "", "")
	p.Title = p.T(prefix + ".title")
	d := portaltpl.ConfirmData{Title: p.Title, Text: p.T(prefix + ".text"), Button: p.T(prefix + ".button")}
	status := http.StatusOK
	switch {
	case errors.Is(err, portal.ErrLinkInvalid):
		d.Invalid, status = true, http.StatusNotFound
	case err != nil:
		return err
	case purpose == portal.PurposeRegister:
		if d.Details, d.Purposes, err = s.registrationSummary(r, p, t); err != nil {
			return err
		}
	}
	return s.render(w, r, status, portaltpl.Confirm(p, d))
}

// inLinkLanguage serves the page behind a link in the language of the
// person it was sent to, unless the visitor chose one with the switch.
func (s *Server) inLinkLanguage(r *http.Request, t portal.Token) *http.Request {
	if t.PersonID != 0 {
		return s.inPersonLanguage(r, t.PersonID)
	}
	var reg portal.Registration
	if json.Unmarshal(t.Payload, &reg) == nil {
		return inLanguage(r, reg.Language)
	}
	return r
}

func (s *Server) invalidLink(w http.ResponseWriter, r *http.Request, prefix string) error {
	p := s.portalPage(r, "", "")
	p.Title = p.T(prefix + ".title")
	return s.render(w, r, http.StatusNotFound, portaltpl.Confirm(p, portaltpl.ConfirmData{Title: p.Title, Invalid: true}))
}

// linkLogin uses the link in the URL with use, logs its person in to the
// portal and goes there (with a flash message when flash is set).
func (s *Server) linkLogin(w http.ResponseWriter, r *http.Request, prefix string,
	use func(context.Context, string) (int64, error), flash string) error {
	id, err := use(r.Context(), chi.URLParam(r, "token"))
	if errors.Is(err, portal.ErrLinkInvalid) {
		return s.invalidLink(w, r, prefix)
	}
	if errors.Is(err, portal.ErrAddressInUse) {
		p := s.portalPage(r, "", "")
		p.Title = p.T(prefix + ".title")
		return s.render(w, r, http.StatusConflict, portaltpl.Message(p, portaltpl.MessageData{Title: p.Title, Text: p.T("register.in_use"),
			LinkURL: "/portal/login", LinkText: p.T("portal.login.title")}))
	}
	if err != nil {
		return err
	}
	if r, err = s.portalLogin(r, id); err != nil {
		return err
	}
	if flash != "" {
		s.addFlash(r, "success", flash)
	}
	return redirect(w, r, "/portal")
}
