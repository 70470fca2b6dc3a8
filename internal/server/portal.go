package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"alumnet/internal/app"
	"alumnet/internal/erasure"
	"alumnet/internal/form"
	"alumnet/internal/i18n"
	"alumnet/internal/people"
	"alumnet/internal/portal"
	portaltpl "alumnet/templates/portal"
)

// staleAfter is when the portal asks whether the details are still right.
const staleAfter = 365 * 24 * time.Hour

func (s *Server) portalLoginForm(w http.ResponseWriter, r *http.Request) error {
	if currentAlumnus(r) != nil {
		return redirect(w, r, "/portal")
	}
	p := s.portalPage(r, "", "")
	p.Title = p.T("portal.login.title")
	return s.render(w, r, http.StatusOK, portaltpl.Login(p, portaltpl.LoginData{}))
}

// portalLoginRequest mails a login link. The answer is the same whether or
// not the address is known.
func (s *Server) portalLoginRequest(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	email := strings.ToLower(strings.TrimSpace(r.PostForm.Get("email")))
	p := s.portalPage(r, "", "")
	p.Title = p.T("portal.login.title")
	errs := form.Errors{}
	switch {
	case email == "":
		errs.Add("email", "err.required")
	case !people.ValidEmail(email):
		errs.Add("email", "err.email")
	}
	if len(errs) > 0 {
		return s.render(w, r, http.StatusUnprocessableEntity, portaltpl.Login(p, portaltpl.LoginData{Email: email, Errors: translate(p.Printer, errs)}))
	}
	ok, err := s.allowed(r, "portal_login", loginLinkPerIP, email, loginLinkPerMail)
	if err != nil {
		return err
	}
	if !ok {
		return s.tooMany(w, r)
	}
	// The job looks the address up and mails a link only to a proved one:
	// the request does the same work, and answers the same, for any address.
	req := portal.LoginRequest{Email: email, At: time.Now(), From: s.whereFrom(r)}
	if err := s.jobs.Enqueue(r.Context(), nil, app.TaskPortalLogin, req); err != nil {
		return err
	}
	p.Title = p.T("portal.login.sent.title")
	return s.render(w, r, http.StatusOK, portaltpl.Message(p, portaltpl.MessageData{Title: p.Title, Text: p.T("portal.login.sent.text", email)}))
}

func (s *Server) portalLinkForm(w http.ResponseWriter, r *http.Request) error {
	return s.confirmPage(w, r, portal.PurposeLogin, "portal.link")
}

func (s *Server) portalLinkLogin(w http.ResponseWriter, r *http.Request) error {
	return s.linkLogin(w, r, "portal.link", s.portal.Login, "")
}

func (s *Server) portalLogout(w http.ResponseWriter, r *http.Request) error {
	if err := s.portalSessions.Destroy(r.Context()); err != nil {
		return err
	}
	// The login page that follows keeps speaking the person's language.
	if !langChosen(r) && currentAlumnus(r) != nil {
		s.setLangCookie(w, langOf(r))
	}
	s.addFlash(r, "success", "portal.logged_out")
	return redirect(w, r, "/portal/login")
}

func (s *Server) portalHome(w http.ResponseWriter, r *http.Request) error {
	a := currentAlumnus(r)
	prof, err := s.portal.Profile(r.Context(), a.ID)
	if err != nil {
		return err
	}
	states, err := s.consent.States(r.Context(), a.ID)
	if err != nil {
		return err
	}
	d := portaltpl.HomeData{Profile: prof, Purposes: len(states),
		Stale: prof.DetailsConfirmedAt == nil || time.Since(*prof.DetailsConfirmedAt) > staleAfter}
	for _, st := range states {
		if st.Allowed {
			d.Granted++
		}
	}
	p := s.portalPage(r, "portal.home", "")
	p.Title = p.T("portal.nav.home")
	return s.render(w, r, http.StatusOK, portaltpl.Home(p, d))
}

func (s *Server) portalConfirmDetails(w http.ResponseWriter, r *http.Request) error {
	if err := s.portal.ConfirmDetails(r.Context(), currentAlumnus(r).ID); err != nil {
		return err
	}
	s.addFlash(r, "success", "portal.stale.thanks")
	return redirect(w, r, "/portal")
}

func (s *Server) renderProfile(w http.ResponseWriter, r *http.Request, status int, d portaltpl.ProfileData, errs form.Errors) error {
	prof, err := s.portal.Profile(r.Context(), currentAlumnus(r).ID)
	if err != nil {
		return err
	}
	d.Email = prof.Email
	d.HasEmployment = prof.HasEmployment()
	p := s.portalPage(r, "portal.profile", "")
	p.Title = p.T("portal.profile.title")
	d.Errors = translate(p.Printer, errs)
	return s.render(w, r, status, portaltpl.Profile(p, d))
}

func (s *Server) portalProfileForm(w http.ResponseWriter, r *http.Request) error {
	prof, err := s.portal.Profile(r.Context(), currentAlumnus(r).ID)
	if err != nil {
		return err
	}
	return s.renderProfile(w, r, http.StatusOK, portaltpl.ProfileData{In: portal.InputOf(prof)}, nil)
}

func (s *Server) portalProfileSave(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	f := r.PostForm
	in := portal.ProfileInput{FirstName: f.Get("first_name"), LastName: f.Get("last_name"), Phone: f.Get("phone"), City: f.Get("city"),
		Employer: f.Get("employer"), JobTitle: f.Get("job_title"), Sector: f.Get("sector"), LinkedInURL: f.Get("linkedin_url"),
		Language: f.Get("language"), Interests: f.Get("interests"), Offers: f["offers"], Needs: f["needs"], OpenToReturn: f.Get("open_to_return") == "1"}
	in.Normalize()
	if errs := in.Validate(); len(errs) > 0 {
		return s.renderProfile(w, r, http.StatusUnprocessableEntity, portaltpl.ProfileData{In: in}, errs)
	}
	if err := s.portal.UpdateProfile(r.Context(), currentAlumnus(r).ID, in); err != nil {
		return err
	}
	r = r.WithContext(contextWithLang(r, i18n.Lang(in.Language)))
	s.addFlash(r, "success", "portal.profile.saved")
	return redirect(w, r, "/portal")
}

// portalEmailChange mails a confirmation link to the new address.
func (s *Server) portalEmailChange(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	a := currentAlumnus(r)
	email := strings.ToLower(strings.TrimSpace(r.PostForm.Get("new_email")))
	prof, err := s.portal.Profile(r.Context(), a.ID)
	if err != nil {
		return err
	}
	errs := form.Errors{}
	switch {
	case email == "":
		errs.Add("new_email", "err.required")
	case !people.ValidEmail(email):
		errs.Add("new_email", "err.email")
	case email == prof.Email:
		errs.Add("new_email", "portal.email.same")
	}
	if len(errs) > 0 {
		return s.renderProfile(w, r, http.StatusUnprocessableEntity, portaltpl.ProfileData{In: portal.InputOf(prof), NewEmail: email}, errs)
	}
	ok, err := s.allowed(r, "email_change", loginLinkPerIP, email, loginLinkPerMail)
	if err != nil {
		return err
	}
	if !ok {
		return s.tooMany(w, r)
	}
	if err := s.portal.RequestEmailChange(r.Context(), a.ID, email); err != nil {
		return err
	}
	// No address in the flash: session data is no place for personal data.
	s.addFlash(r, "info", "portal.email.sent")
	return redirect(w, r, "/portal/profile")
}

func (s *Server) portalEmailConfirmForm(w http.ResponseWriter, r *http.Request) error {
	return s.confirmPage(w, r, portal.PurposeEmailChange, "portal.email.confirm")
}

func (s *Server) portalEmailConfirm(w http.ResponseWriter, r *http.Request) error {
	id, err := s.portal.ConfirmEmailChange(r.Context(), chi.URLParam(r, "token"))
	switch {
	case errors.Is(err, portal.ErrLinkInvalid):
		return s.invalidLink(w, r, "portal.email.confirm")
	case errors.Is(err, portal.ErrEmailTaken):
		p := s.portalPage(r, "", "")
		p.Title = p.T("portal.email.confirm.title")
		return s.render(w, r, http.StatusConflict, portaltpl.Message(p, portaltpl.MessageData{Title: p.Title, Text: p.T("portal.email.taken"),
			LinkURL: "/portal/profile", LinkText: p.T("portal.profile.title")}))
	case err != nil:
		return err
	}
	// The link proves the new address; the person is logged in as well.
	if a := currentAlumnus(r); a == nil || a.ID != id {
		if r, err = s.portalLogin(r, id); err != nil {
			return err
		}
	}
	s.addFlash(r, "success", "portal.email.changed")
	return redirect(w, r, "/portal")
}

func (s *Server) portalRevertForm(w http.ResponseWriter, r *http.Request) error {
	return s.confirmPage(w, r, portal.PurposeEmailRevert, "portal.revert")
}

// portalRevert undoes an address change from the notice sent to the old
// address: the person's portal sessions end everywhere (whoever made the
// change is logged out) and nobody is logged in.
func (s *Server) portalRevert(w http.ResponseWriter, r *http.Request) error {
	_, err := s.portal.RevertEmail(r.Context(), chi.URLParam(r, "token"))
	switch {
	case errors.Is(err, portal.ErrLinkInvalid):
		return s.invalidLink(w, r, "portal.revert")
	case errors.Is(err, portal.ErrEmailTaken):
		p := s.portalPage(r, "", "")
		p.Title = p.T("portal.revert.title")
		return s.render(w, r, http.StatusConflict, portaltpl.Message(p, portaltpl.MessageData{Title: p.Title, Text: p.T("portal.email.taken")}))
	case err != nil:
		return err
	}
	if err := s.portalSessions.Destroy(r.Context()); err != nil {
		return err
	}
	p := s.portalPage(r, "", "")
	p.Alumnus = nil
	p.Title = p.T("portal.revert.title")
	return s.render(w, r, http.StatusOK, portaltpl.Message(p, portaltpl.MessageData{Title: p.Title, Text: p.T("portal.revert.done"),
		LinkURL: "/portal/login", LinkText: p.T("portal.still.login")}))
}

func (s *Server) portalPermissions(w http.ResponseWriter, r *http.Request) error {
	a := currentAlumnus(r)
	p := s.portalPage(r, "portal.permissions", "")
	p.Title = p.T("portal.permissions.title")
	states, err := s.consent.States(r.Context(), a.ID)
	if err != nil {
		return err
	}
	history, err := s.consent.History(r.Context(), a.ID)
	if err != nil {
		return err
	}
	var d portaltpl.PermissionsData
	for _, st := range states {
		v := portaltpl.Purpose{ID: st.Purpose.ID, TextID: st.Purpose.TextID, Key: st.Purpose.Key, Name: st.Purpose.Name(p.Lang),
			Text: st.Purpose.Text(p.Lang), Version: st.Purpose.Version, Granted: st.Allowed}
		if st.Row != nil {
			v.Since = &st.Row.At
		}
		d.Purposes = append(d.Purposes, v)
	}
	for _, h := range history {
		row := portaltpl.HistoryRow{At: h.At, Purpose: h.PurposeName(p.Lang), Granted: h.Granted, Source: h.Source, ByYou: h.ByPerson}
		if h.TextVersion != nil {
			row.Version = *h.TextVersion
		}
		d.History = append(d.History, row)
	}
	return s.render(w, r, http.StatusOK, portaltpl.Permissions(p, d))
}

// portalPermission grants or withdraws one purpose: one click either way.
func (s *Server) portalPermission(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	a := currentAlumnus(r)
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		return errNotFound()
	}
	purposes, err := s.consent.Purposes(r.Context(), false)
	if err != nil {
		return err
	}
	var found bool
	var textID int64
	for _, pu := range purposes {
		if pu.ID == id {
			found = true
			textID = pu.TextID
			if t, err := strconv.ParseInt(r.PostForm.Get("text_id"), 10, 64); err == nil && versionOf(r.Context(), s.consent, pu.ID, t) {
				textID = t
			}
		}
	}
	if !found {
		return errNotFound()
	}
	granted := r.PostForm.Get("granted") == "1"
	if err := s.consent.Choose(r.Context(), a.ID, id, textID, granted); err != nil {
		return err
	}
	if granted {
		s.addFlash(r, "success", "portal.permission.granted")
	} else {
		s.addFlash(r, "success", "portal.permission.withdrawn")
	}
	return redirect(w, r, "/portal/permissions")
}

func (s *Server) portalData(w http.ResponseWriter, r *http.Request) error {
	p := s.portalPage(r, "portal.data", "")
	p.Title = p.T("portal.data.title")
	return s.render(w, r, http.StatusOK, portaltpl.Data(p))
}

func (s *Server) portalExportJSON(w http.ResponseWriter, r *http.Request) error {
	x, err := s.portal.Export(r.Context(), currentAlumnus(r).ID)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(x); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="alumnet-my-data.json"`)
	_, err = buf.WriteTo(w)
	return err
}

func (s *Server) portalExportCSV(w http.ResponseWriter, r *http.Request) error {
	x, err := s.portal.Export(r.Context(), currentAlumnus(r).ID)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := x.WriteCSV(&buf); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="alumnet-my-data.csv"`)
	_, err = buf.WriteTo(w)
	return err
}

func (s *Server) portalDeleteForm(w http.ResponseWriter, r *http.Request) error {
	p := s.portalPage(r, "portal.data", "")
	p.Title = p.T("portal.delete.title")
	return s.render(w, r, http.StatusOK, portaltpl.Delete(p, ""))
}

// portalDelete erases the person, ends the portal session and says goodbye.
func (s *Server) portalDelete(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	p := s.portalPage(r, "portal.data", "")
	p.Title = p.T("portal.delete.title")
	if r.PostForm.Get("confirm") != "1" {
		return s.render(w, r, http.StatusUnprocessableEntity, portaltpl.Delete(p, p.T("portal.delete.confirm.required")))
	}
	id := currentAlumnus(r).ID
	if err := s.eraser.Erase(r.Context(), erasure.Request{PersonID: id, By: erasure.ByPerson}); err != nil {
		return err
	}
	if err := s.portalSessions.Destroy(r.Context()); err != nil {
		return err
	}
	p.Alumnus = nil
	p.Title = p.T("portal.deleted.title")
	return s.render(w, r, http.StatusOK, portaltpl.Message(p, portaltpl.MessageData{Title: p.Title, Text: p.T("portal.deleted.text")}))
}

// portalStillCorrectForm is the page behind the yearly mail's link.
func (s *Server) portalStillCorrectForm(w http.ResponseWriter, r *http.Request) error {
	return s.confirmPage(w, r, portal.PurposeConfirmDetails, "portal.still")
}

// portalStillCorrect confirms the details with one click; it logs nobody in.
func (s *Server) portalStillCorrect(w http.ResponseWriter, r *http.Request) error {
	_, err := s.portal.ConfirmDetailsByLink(r.Context(), chi.URLParam(r, "token"))
	if errors.Is(err, portal.ErrLinkInvalid) {
		return s.invalidLink(w, r, "portal.still")
	}
	if err != nil {
		return err
	}
	p := s.portalPage(r, "", "")
	p.Title = p.T("portal.still.title")
	return s.render(w, r, http.StatusOK, portaltpl.Message(p, portaltpl.MessageData{Title: p.Title, Text: p.T("portal.stale.thanks"),
		LinkURL: "/portal/login", LinkText: p.T("portal.still.login")}))
}
