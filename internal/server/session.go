package server

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

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

// setLanguage stores the language choice: on the account when signed in,
// in a cookie otherwise (and always, so the login page follows it).
func (s *Server) setLanguage(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	lang, ok := i18n.Parse(r.PostForm.Get("lang"))
	if !ok {
		return errBadRequest(nil)
	}
	s.setLangCookie(w, lang)
	if u := currentUser(r); u != nil {
		if err := s.users.SetLanguage(r.Context(), u.ID, string(lang)); err != nil {
			return err
		}
	}
	return redirect(w, r, safeNext(r.PostForm.Get("return"), "/"))
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
	if _, _, err := s.users.UseSetPasswordToken(r.Context(), token, hash); errors.Is(err, auth.ErrTokenInvalid) {
		return s.renderSetPassword(w, r, http.StatusNotFound, authpages.SetPasswordData{Invalid: true})
	} else if err != nil {
		return err
	}
	if _, err := s.endUserSessions(r.Context(), u.ID, ""); err != nil {
		return err
	}
	action := "user.password_set"
	if d.Reset {
		action = "user.password_reset"
	}
	if err := s.audit.Write(r.Context(), audit.Record{ActorID: u.ID, Action: action, Entity: "user", EntityID: u.ID}); err != nil {
		return err
	}
	s.addFlash(r, "success", "setpw.done")
	// The login page that follows speaks the language of this page.
	s.setLangCookie(w, langOf(r))
	return redirect(w, r, "/login")
}

// clientIP is the peer address. Behind a reverse proxy every request comes
// from the proxy; the IP throttle then acts on all clients together, which
// errs on the safe side.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// clientKey is the client for throttling and rate limits: the connection's
// address, or behind a trusted proxy the nearest untrusted address in
// X-Forwarded-For. An IPv6 client counts by its /64, which one subscriber
// gets whole (changing addresses within it gets around nothing).
func (s *Server) clientKey(r *http.Request) string {
	ip := net.ParseIP(clientIP(r))
	if ip != nil && s.trusted(ip) {
		hops := strings.Split(r.Header.Get("X-Forwarded-For"), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			hop := net.ParseIP(strings.TrimSpace(hops[i]))
			if hop == nil {
				break
			}
			ip = hop
			if !s.trusted(hop) {
				break
			}
		}
	}
	if ip == nil {
		return clientIP(r)
	}
	if ip.To4() == nil {
		return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return ip.String()
}

func (s *Server) trusted(ip net.IP) bool {
	for _, n := range s.cfg.TrustedProxies {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// inUserLanguage serves the set-password pages in the language the invited
// user was given, unless the visitor chose one with the switch.
func inUserLanguage(r *http.Request, u auth.User) *http.Request {
	if currentUser(r) != nil {
		return r
	}
	return inLanguage(r, u.Language)
}

// langChosen reports whether the visitor chose a language with the switch
// (which then wins over the language of whoever a page is about).
func langChosen(r *http.Request) bool {
	_, err := r.Cookie(i18n.CookieName)
	return err == nil
}

// inLanguage returns r speaking lang, unless the visitor chose a language
// or lang is none of the app's.
func inLanguage(r *http.Request, lang string) *http.Request {
	if l, ok := i18n.Parse(lang); ok && !langChosen(r) {
		return r.WithContext(contextWithLang(r, l))
	}
	return r
}

// setLangCookie remembers a language choice in the browser for a year.
func (s *Server) setLangCookie(w http.ResponseWriter, lang i18n.Lang) {
	http.SetCookie(w, &http.Cookie{Name: i18n.CookieName, Value: string(lang), Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.cfg.SecureCookies()})
}
