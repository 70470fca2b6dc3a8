package server

import (
	"errors"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"alumnet/internal/auth"
	"alumnet/internal/form"
	"alumnet/internal/sessions"
	"alumnet/templates/authpages"
)

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request, status int, errs form.Errors) error {
	u := currentUser(r)
	p := s.page(r, "account", "")
	p.Title = p.T("account.title")
	return s.render(w, r, status, authpages.Account(p, authpages.AccountData{Name: u.Name, Email: u.Email, Role: u.Role,
		Language: u.Language, Errors: p.Errors(errs)}))
}

func (s *Server) account(w http.ResponseWriter, r *http.Request) error {
	return s.accountPage(w, r, http.StatusOK, nil)
}

// accountPassword changes the signed-in user's password: the current one
// first (counted by the login throttle), then the new one twice. The
// user's other sessions end; this one gets a new token.
func (s *Server) accountPassword(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	u := currentUser(r)
	current, pw := r.PostForm.Get("current"), r.PostForm.Get("password")
	errs := form.Errors{}
	if current == "" {
		errs.Add("current", "err.required")
	} else {
		err := s.users.CheckCurrentPassword(r.Context(), u.ID, current, s.clientKey(r))
		var throttled *auth.ThrottledError
		switch {
		case errors.As(err, &throttled):
			errs.AddN("current", "login.throttled", max(1, int(throttled.RetryAfter.Round(time.Minute)/time.Minute)))
		case errors.Is(err, auth.ErrBadCredentials):
			errs.Add("current", "account.password.wrong")
		case err != nil:
			return err
		}
	}
	for k, v := range s.passwordErrors(pw, r.PostForm.Get("confirm"), u.Email) {
		errs[k] = v
	}
	if len(errs) > 0 {
		return s.accountPage(w, r, http.StatusUnprocessableEntity, errs)
	}
	hash, err := s.users.Hash(r.Context(), pw)
	if err != nil {
		return err
	}
	// The other sessions end; this one goes on in the new epoch, with a
	// new token.
	epoch, err := s.users.ChangeOwnPassword(r.Context(), *u, hash, s.sessions.Token(r.Context()))
	if err != nil {
		return err
	}
	if err := s.sessions.RenewToken(r.Context()); err != nil {
		return err
	}
	s.sessions.Put(r.Context(), sessions.EpochKey, epoch)
	s.addFlash(r, "success", "account.password.changed")
	return redirect(w, r, "/app/account")
}

func (s *Server) userEmailRevertForm(w http.ResponseWriter, r *http.Request) error {
	p := s.page(r, "", "")
	p.Title = p.T("user_email.revert.title")
	u, err := s.users.EmailRevertUser(r.Context(), chi.URLParam(r, "token"))
	if errors.Is(err, auth.ErrTokenInvalid) {
		return s.render(w, r, http.StatusNotFound, authpages.EmailRevert(p, authpages.EmailRevertData{Invalid: true}))
	}
	if err != nil {
		return err
	}
	r = inUserLanguage(r, u)
	p = s.page(r, "", "")
	p.Title = p.T("user_email.revert.title")
	return s.render(w, r, http.StatusOK, authpages.EmailRevert(p, authpages.EmailRevertData{}))
}

// userEmailRevert undoes a change of a staff user's address from the
// notice sent to the old one: the old address is back, every session of
// the account ends (whoever changed it is logged out) and password links
// stop working.
func (s *Server) userEmailRevert(w http.ResponseWriter, r *http.Request) error {
	p := s.page(r, "", "")
	p.Title = p.T("user_email.revert.title")
	u, err := s.users.UndoEmailChange(r.Context(), chi.URLParam(r, "token"))
	if errors.Is(err, auth.ErrTokenInvalid) || errors.Is(err, auth.ErrEmailTaken) {
		return s.render(w, r, http.StatusNotFound, authpages.EmailRevert(p, authpages.EmailRevertData{Invalid: true}))
	}
	if err != nil {
		return err
	}
	r = inUserLanguage(r, u)
	p = s.page(r, "", "")
	p.Title = p.T("user_email.revert.title")
	return s.render(w, r, http.StatusOK, authpages.EmailRevert(p, authpages.EmailRevertData{Done: true, Email: u.Email}))
}
