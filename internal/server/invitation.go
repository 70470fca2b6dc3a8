package server

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	portaltpl "alumnet/templates/portal"

	"github.com/go-chi/chi/v5"

	"alumnet/internal/form"
	"alumnet/internal/i18n"
	"alumnet/internal/portal"
)

// Accepting an invitation into the alumni network: confirm the details
// and choose the permissions.

// invitationForm shows an invited person their details and the permissions.
func (s *Server) invitationForm(w http.ResponseWriter, r *http.Request) error {
	t, err := s.portal.Peek(r.Context(), portal.PurposeInvite, chi.URLParam(r, "token"))
	if errors.Is(err, portal.ErrLinkInvalid) {
		return s.renderInvitation(w, r, http.StatusNotFound, portaltpl.InviteData{Invalid: true}, nil)
	}
	if err != nil {
		return err
	}
	prof, err := s.portal.Profile(r.Context(), t.PersonID)
	if errors.Is(err, portal.ErrNotFound) {
		return s.renderInvitation(w, r, http.StatusNotFound, portaltpl.InviteData{Invalid: true}, nil)
	}
	if err != nil {
		return err
	}
	r = s.inLinkLanguage(r, t)
	states, err := s.consent.States(r.Context(), prof.ID)
	if err != nil {
		return err
	}
	checked := map[string]bool{}
	for _, st := range states {
		if st.Allowed {
			checked[strconv.FormatInt(st.Purpose.ID, 10)] = true
		}
	}
	return s.renderInvitation(w, r, http.StatusOK, portaltpl.InviteData{FirstName: prof.FirstName, LastName: prof.LastName,
		Language: prof.Language, Email: t.Email, Checked: checked}, nil)
}

func (s *Server) renderInvitation(w http.ResponseWriter, r *http.Request, status int, d portaltpl.InviteData, errs form.Errors) error {
	p := s.portalPage(r, "", "")
	p.Title = p.T("invite.title")
	if !d.Invalid {
		purposes, err := s.consent.Purposes(r.Context(), false)
		if err != nil {
			return err
		}
		d.Purposes = purposeViews(p.Lang, purposes)
	}
	d.Errors = translate(p.Printer, errs)
	return s.render(w, r, status, portaltpl.Invitation(p, d))
}

func (s *Server) acceptInvitation(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	token := chi.URLParam(r, "token")
	t, err := s.portal.Peek(r.Context(), portal.PurposeInvite, token)
	if errors.Is(err, portal.ErrLinkInvalid) {
		return s.renderInvitation(w, r, http.StatusNotFound, portaltpl.InviteData{Invalid: true}, nil)
	}
	if err != nil {
		return err
	}
	purposes, err := s.consent.Purposes(r.Context(), false)
	if err != nil {
		return err
	}
	f := r.PostForm
	d := portaltpl.InviteData{FirstName: strings.TrimSpace(f.Get("first_name")), LastName: strings.TrimSpace(f.Get("last_name")),
		Language: f.Get("language"), Email: t.Email}
	chosen, checked := chosenConsents(r, s.consent, purposes)
	d.Checked = checked
	errs := form.Errors{}
	errs.Line("first_name", d.FirstName, 100, true)
	errs.Line("last_name", d.LastName, 100, true)
	if _, ok := i18n.Parse(d.Language); !ok {
		errs.Add("language", "err.choice")
	}
	if len(errs) > 0 {
		return s.renderInvitation(w, r, http.StatusUnprocessableEntity, d, errs)
	}
	id, err := s.portal.AcceptInvitation(r.Context(), token, d.FirstName, d.LastName, d.Language, chosen)
	if errors.Is(err, portal.ErrLinkInvalid) {
		return s.renderInvitation(w, r, http.StatusNotFound, portaltpl.InviteData{Invalid: true}, nil)
	}
	if err != nil {
		return err
	}
	if r, err = s.portalLogin(r, id); err != nil {
		return err
	}
	s.addFlash(r, "success", "invite.done")
	return redirect(w, r, "/portal")
}
