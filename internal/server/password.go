package server

import (
	"errors"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"alumnet/internal/app"
	"alumnet/internal/auth"
	"alumnet/internal/form"
	"alumnet/internal/i18n"
	"alumnet/internal/people"
	"alumnet/templates/authpages"
)

// Passwords: "forgot password", and setting one through an invitation or
// reset link.

// Rate limits of "forgot password", per client address and per address
// asked for, within rateWindow.
const (
	resetPerIP    = 20
	resetPerEmail = 3
)

func (s *Server) forgotForm(w http.ResponseWriter, r *http.Request) error {
	p := s.page(r, "", "")
	p.Title = p.T("forgot.title")
	return s.render(w, r, http.StatusOK, authpages.Forgot(p, authpages.ForgotData{}))
}

// forgot queues a reset link for the address. The answer, and the work
// done before it, are the same whether or not the address has an account:
// the job looks it up.
func (s *Server) forgot(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	email := auth.NormalizeEmail(r.PostForm.Get("email"))
	p := s.page(r, "", "")
	p.Title = p.T("forgot.title")
	d := authpages.ForgotData{Email: email}
	switch {
	case email == "":
		d.Errors = map[string]string{"email": p.T("err.required")}
	case !people.ValidEmail(email):
		d.Errors = map[string]string{"email": p.T("err.email")}
	}
	if d.Errors != nil {
		return s.render(w, r, http.StatusUnprocessableEntity, authpages.Forgot(p, d))
	}
	ok, err := s.allowed(r, "reset", resetPerIP, email, resetPerEmail)
	if err != nil {
		return err
	}
	if !ok {
		return s.tooMany(w, r)
	}
	req := auth.ResetRequest{Email: email, At: time.Now(), From: s.whereFrom(r)}
	if err := s.jobs.Enqueue(r.Context(), nil, app.TaskPasswordReset, req); err != nil {
		return err
	}
	d.Sent = true
	return s.render(w, r, http.StatusOK, authpages.Forgot(p, d))
}

func (s *Server) setPasswordForm(w http.ResponseWriter, r *http.Request) error {
	u, purpose, err := s.users.SetPasswordTokenUser(r.Context(), chi.URLParam(r, "token"))
	if errors.Is(err, auth.ErrTokenInvalid) {
		return s.renderSetPassword(w, r, http.StatusNotFound, authpages.SetPasswordData{Invalid: true})
	}
	if err != nil {
		return err
	}
	r = inUserLanguage(r, u)
	return s.renderSetPassword(w, r, http.StatusOK, authpages.SetPasswordData{Name: u.Name, Email: u.Email, Reset: purpose == auth.PurposeResetPassword})
}

func (s *Server) renderSetPassword(w http.ResponseWriter, r *http.Request, status int, d authpages.SetPasswordData) error {
	p := s.page(r, "", "")
	p.Title = p.T("setpw.title")
	if d.Reset {
		p.Title = p.T("resetpw.title")
	}
	return s.render(w, r, status, authpages.SetPassword(p, d))
}

// passwordErrors checks a new password and its repetition for the account
// with address email; field → message.
func (s *Server) passwordErrors(pw, confirm, email string) form.Errors {
	errs := form.Errors{}
	var pe *auth.PolicyError
	if err := s.policy.Check(pw, email); errors.As(err, &pe) {
		errs.AddN("password", pe.Key, pe.Arg)
	} else if pw != confirm {
		errs.Add("confirm", "password.mismatch")
	}
	return errs
}

// setPassword sets the password through an invitation or reset link. Every
// session of the account ends: whoever was logged in with the old
// password is not any more.
func (s *Server) setPassword(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	token := chi.URLParam(r, "token")
	u, purpose, err := s.users.SetPasswordTokenUser(r.Context(), token)
	if errors.Is(err, auth.ErrTokenInvalid) {
		return s.renderSetPassword(w, r, http.StatusNotFound, authpages.SetPasswordData{Invalid: true})
	}
	if err != nil {
		return err
	}
	r = inUserLanguage(r, u)
	d := authpages.SetPasswordData{Name: u.Name, Email: u.Email, Reset: purpose == auth.PurposeResetPassword}
	pw := r.PostForm.Get("password")
	if errs := s.passwordErrors(pw, r.PostForm.Get("confirm"), u.Email); len(errs) > 0 {
		d.Errors = i18n.For(langOf(r)).Errors(errs)
		return s.renderSetPassword(w, r, http.StatusUnprocessableEntity, d)
	}
	hash, err := s.users.Hash(r.Context(), pw)
	if err != nil {
		return err
	}
	if _, _, err := s.users.SetPassword(r.Context(), token, hash); errors.Is(err, auth.ErrTokenInvalid) {
		return s.renderSetPassword(w, r, http.StatusNotFound, authpages.SetPasswordData{Invalid: true})
	} else if err != nil {
		return err
	}
	s.addFlash(r, "success", "setpw.done")
	// The login page that follows speaks the language of this page.
	s.setLangCookie(w, langOf(r))
	return redirect(w, r, "/login")
}
