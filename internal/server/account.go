package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"

	"alumnet/internal/audit"
	"alumnet/internal/auth"
	"alumnet/internal/db"
	"alumnet/internal/form"
	"alumnet/internal/i18n"
	"alumnet/internal/people"
	"alumnet/internal/sessions"
	"alumnet/templates/authpages"
)

// Rate limits of "forgot password", per client address and per address
// asked for, within rateWindow.
const (
	resetPerIP    = 20
	resetPerEmail = 3
)

// taskPasswordReset is the job that mails a reset link, if the address
// belongs to an account.
const taskPasswordReset = "auth.password_reset"

// resetRequest is what the reset job needs: the address, and when and from
// where it was asked, for the mail.
type resetRequest struct {
	Email string    `json:"email"`
	Lang  string    `json:"lang"`
	At    time.Time `json:"at"`
	From  string    `json:"from"`
}

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
	if err := s.users.ChangePassword(r.Context(), u.ID, hash); err != nil {
		return err
	}
	// The other sessions end; this one goes on in the new epoch, with a
	// new token.
	epoch, err := s.endUserSessions(r.Context(), u.ID, s.sessions.Token(r.Context()))
	if err != nil {
		return err
	}
	if err := s.sessions.RenewToken(r.Context()); err != nil {
		return err
	}
	s.sessions.Put(r.Context(), sessions.EpochKey, epoch)
	if err := s.audit.Write(r.Context(), audit.Record{ActorID: u.ID, Action: "user.password_change", Entity: "user", EntityID: u.ID}); err != nil {
		return err
	}
	s.addFlash(r, "success", "account.password.changed")
	return redirect(w, r, "/app/account")
}

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
	req := resetRequest{Email: email, Lang: string(p.Lang), At: time.Now(), From: s.whereFrom(r)}
	if err := s.jobs.Enqueue(r.Context(), nil, taskPasswordReset, req); err != nil {
		return err
	}
	d.Sent = true
	return s.render(w, r, http.StatusOK, authpages.Forgot(p, d))
}

// mailPasswordReset is the reset job: a link to the active account with
// the address, if there is one; nothing otherwise.
func (s *Server) mailPasswordReset(ctx context.Context, payload json.RawMessage) error {
	var req resetRequest
	if err := json.Unmarshal(payload, &req); err != nil {
		return fmt.Errorf("password reset: %w", err)
	}
	u, err := s.users.UserByEmail(ctx, req.Email)
	if errors.Is(err, auth.ErrNotFound) || err == nil && !u.Active() {
		return nil
	}
	if err != nil {
		return err
	}
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		return s.sendReset(ctx, tx, u, 0, &req)
	})
}

// sendReset makes a reset link for u and queues its mail in tx. by is the
// administrator who sent it (0: the user asked); req says when and from
// where the user asked.
func (s *Server) sendReset(ctx context.Context, tx pgx.Tx, u auth.User, by int64, req *resetRequest) error {
	token, err := auth.CreateResetTokenTx(ctx, tx, u.ID, by)
	if err != nil {
		return err
	}
	lang, _ := i18n.Parse(u.Language)
	pr := i18n.For(lang)
	m := linkMail{To: u.Email, Lang: lang, Staff: true, Subject: pr.T("mail.reset.subject"),
		Paragraphs: []string{pr.T("mail.greeting", u.Name), pr.T("mail.reset.intro")},
		Link:       s.cfg.BaseURL.String() + "/set-password/" + token, Button: pr.T("mail.reset.button"),
		Notes: []string{pr.T("mail.link.minutes", int(auth.ResetPasswordTTL/time.Minute)), pr.T("mail.reset.ignore")}}
	if req != nil {
		m.Notes = append([]string{pr.T("mail.asked", pr.DateTime(req.At.In(displayLocation())), req.From)}, m.Notes...)
	} else {
		m.Notes = append([]string{pr.T("mail.reset.by_admin")}, m.Notes...)
	}
	msg, err := m.message(ctx)
	if err != nil {
		return err
	}
	return s.jobs.SendMail(ctx, tx, fmt.Sprintf("reset:user:%d:%x", u.ID, auth.HashToken(token)[:8]), 0, msg)
}

// endUserSessions ends the user's sessions but the one with token keep
// ("" ends all): they move to a new epoch, so that no request still
// running can write an old one back to life, and the rows go. It returns
// the new epoch.
func (s *Server) endUserSessions(ctx context.Context, userID int64, keep string) (int, error) {
	epoch, err := s.users.EndSessions(ctx, userID)
	if err != nil {
		return 0, err
	}
	_, err = s.store.EndUserSessions(ctx, userID, keep)
	return epoch, err
}

// userSendReset is an administrator's "send a reset link" for an account
// that has a password.
func (s *Server) userSendReset(w http.ResponseWriter, r *http.Request) error {
	me := currentUser(r)
	u, err := s.userByParam(r)
	if err != nil {
		return err
	}
	if !u.Active() || !u.HasPassword() {
		return s.renderUserForm(w, r, http.StatusUnprocessableEntity, editData(u), nil, "users.err.no_reset")
	}
	err = db.InTx(r.Context(), s.pool, func(tx pgx.Tx) error {
		if err := s.sendReset(r.Context(), tx, u, me.ID, nil); err != nil {
			return err
		}
		return audit.Write(r.Context(), tx, audit.Record{ActorID: me.ID, Action: "user.reset_link", Entity: "user", EntityID: u.ID})
	})
	if err != nil {
		return err
	}
	s.addFlash(r, "success", "users.reset_sent", u.Email)
	return redirect(w, r, "/app/admin/users/"+strconv.FormatInt(u.ID, 10))
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
	u, err := s.users.RevertEmail(r.Context(), chi.URLParam(r, "token"))
	if errors.Is(err, auth.ErrTokenInvalid) || errors.Is(err, auth.ErrEmailTaken) {
		return s.render(w, r, http.StatusNotFound, authpages.EmailRevert(p, authpages.EmailRevertData{Invalid: true}))
	}
	if err != nil {
		return err
	}
	if _, err := s.endUserSessions(r.Context(), u.ID, ""); err != nil {
		return err
	}
	if err := s.audit.Write(r.Context(), audit.Record{ActorID: u.ID, Action: "user.email_revert", Entity: "user", EntityID: u.ID}); err != nil {
		return err
	}
	r = inUserLanguage(r, u)
	p = s.page(r, "", "")
	p.Title = p.T("user_email.revert.title")
	return s.render(w, r, http.StatusOK, authpages.EmailRevert(p, authpages.EmailRevertData{Done: true, Email: u.Email}))
}
