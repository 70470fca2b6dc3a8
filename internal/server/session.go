package server

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"alumnet/internal/audit"
	"alumnet/internal/auth"
	"alumnet/internal/form"
	"alumnet/internal/i18n"
	"alumnet/internal/sessions"
	"alumnet/templates/authpages"
)

// loginForm is the staff login page.
type loginForm struct {
	Email    string
	Password string
	Next     string
}

func (f loginForm) Validate() form.Errors {
	errs := form.Errors{}
	if strings.TrimSpace(f.Email) == "" {
		errs.Add("email", "err.required")
	}
	if f.Password == "" {
		errs.Add("password", "err.required")
	}
	return errs
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) error {
	if currentUser(r) != nil {
		return redirect(w, r, "/app")
	}
	p := s.page(r, "", "")
	return s.render(w, r, http.StatusOK, authpages.Home(p))
}

func (s *Server) appHome(w http.ResponseWriter, r *http.Request) error {
	return redirect(w, r, "/app/people")
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) error {
	if currentUser(r) != nil {
		return redirect(w, r, safeNext(r.URL.Query().Get("next"), "/app"))
	}
	p := s.page(r, "", "")
	p.Title = p.T("login.title")
	return s.render(w, r, http.StatusOK, authpages.Login(p, authpages.LoginData{Next: r.URL.Query().Get("next")}))
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	f := loginForm{Email: r.PostForm.Get("email"), Password: r.PostForm.Get("password"), Next: r.PostForm.Get("next")}
	p := s.page(r, "", "")
	p.Title = p.T("login.title")
	data := authpages.LoginData{Email: f.Email, Next: f.Next}
	if errs := f.Validate(); len(errs) > 0 {
		data.Errors = translate(p.Printer, errs)
		return s.render(w, r, http.StatusUnprocessableEntity, authpages.Login(p, data))
	}
	u, att, err := s.users.Authenticate(r.Context(), f.Email, f.Password, s.clientKey(r))
	var throttled *auth.ThrottledError
	if errors.As(err, &throttled) || errors.Is(err, auth.ErrBadCredentials) {
		if aerr := s.audit.Write(r.Context(), audit.Record{Action: "user.login_failed", Entity: "user", EntityID: att.UserID,
			Details: map[string]any{"reason": att.Reason}}); aerr != nil {
			return aerr
		}
	}
	switch {
	case errors.As(err, &throttled):
		mins := int(throttled.RetryAfter.Round(time.Minute) / time.Minute)
		if mins < 1 {
			mins = 1
		}
		data.Message = p.T("login.throttled", mins)
		w.Header().Set("Retry-After", itoa(int(throttled.RetryAfter.Seconds())+1))
		return s.render(w, r, http.StatusTooManyRequests, authpages.Login(p, data))
	case errors.Is(err, auth.ErrBadCredentials):
		data.Message = p.T("login.failed")
		return s.render(w, r, http.StatusUnauthorized, authpages.Login(p, data))
	case err != nil:
		return err
	}
	// A new token at login defeats session fixation.
	if err := s.sessions.RenewToken(r.Context()); err != nil {
		return err
	}
	s.sessions.Put(r.Context(), sessions.UserKey, u.ID)
	s.sessions.Put(r.Context(), sessions.EpochKey, u.SessionEpoch)
	if err := s.audit.Write(r.Context(), audit.Record{ActorID: u.ID, Action: "user.login", Entity: "user", EntityID: u.ID}); err != nil {
		return err
	}
	r = r.WithContext(contextWithLang(r, i18n.Lang(u.Language)))
	s.addFlash(r, "success", "login.welcome", u.Name)
	return redirect(w, r, safeNext(f.Next, "/app"))
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	if u := currentUser(r); u != nil {
		if err := s.audit.Write(r.Context(), audit.Record{ActorID: u.ID, Action: "user.logout", Entity: "user", EntityID: u.ID}); err != nil {
			return err
		}
	}
	if err := s.sessions.Destroy(r.Context()); err != nil {
		return err
	}
	s.addFlash(r, "info", "login.logged_out")
	return redirect(w, r, "/login")
}
