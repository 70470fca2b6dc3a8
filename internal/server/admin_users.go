package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"

	"alumnet/internal/audit"
	"alumnet/internal/auth"
	"alumnet/internal/db"
	"alumnet/internal/form"
	"alumnet/internal/i18n"
	"alumnet/internal/mail"
	"alumnet/internal/people"
	"alumnet/internal/units"
	admintpl "alumnet/templates/admin"
)

// userForm is the invitation form (email and language only there) and the
// edit form.
type userForm struct {
	New      bool
	Email    string
	Name     string
	Role     string
	Language string
	UnitIDs  []int64
	rawUnits []string
}

func parseUserForm(r *http.Request, isNew bool) (userForm, error) {
	if err := parseForm(r); err != nil {
		return userForm{}, err
	}
	f := r.PostForm
	uf := userForm{
		New:      isNew,
		Email:    auth.NormalizeEmail(f.Get("email")),
		Name:     strings.TrimSpace(f.Get("name")),
		Role:     f.Get("role"),
		Language: f.Get("language"),
		rawUnits: f["units"],
	}
	for _, raw := range uf.rawUnits {
		if id, err := strconv.ParseInt(raw, 10, 64); err == nil && !slices.Contains(uf.UnitIDs, id) {
			uf.UnitIDs = append(uf.UnitIDs, id)
		}
	}
	slices.Sort(uf.UnitIDs)
	return uf, nil
}

// Validate checks the form; selectable holds the unit ids that may be
// chosen (active units, and those the user already has).
func (f userForm) Validate(selectable map[int64]bool) form.Errors {
	errs := form.Errors{}
	switch {
	case f.Email == "":
		errs.Add("email", "err.required")
	case !people.ValidEmail(f.Email):
		errs.Add("email", "err.email")
	}
	if f.New {
		if _, ok := i18n.Parse(f.Language); !ok {
			errs.Add("language", "err.choice")
		}
	}
	errs.Line("name", f.Name, 200, true)
	if !slices.Contains(auth.Roles, f.Role) {
		errs.Add("role", "err.choice")
	}
	if len(f.UnitIDs) != len(f.rawUnits) {
		errs.Add("units", "err.choice")
	}
	for _, id := range f.UnitIDs {
		if !selectable[id] {
			errs.Add("units", "err.choice")
		}
	}
	if f.Role == auth.RoleCoordinator && len(f.UnitIDs) == 0 && !errs.Has("units") {
		errs.Add("units", "users.err.units_required")
	}
	return errs
}

func (s *Server) usersList(w http.ResponseWriter, r *http.Request) error {
	users, err := s.users.Users(r.Context())
	if err != nil {
		return err
	}
	all, err := s.units.All(r.Context(), true)
	if err != nil {
		return err
	}
	names := make(map[int64]string, len(all))
	for _, u := range all {
		names[u.ID] = u.Name
	}
	p := s.page(r, "admin.users", "")
	p.Title = p.T("users.title")
	return s.render(w, r, http.StatusOK, admintpl.Users(p, admintpl.UsersData{Users: users, UnitNames: names, Me: currentUser(r).ID}))
}

// unitChoices returns the unit tree for the checkboxes and the ids that may
// be chosen: active units, plus archived ones the user already has (so that
// saving the form does not silently drop them).
func (s *Server) unitChoices(ctx context.Context, assigned []int64) ([]*admintpl.UnitNode, map[int64]bool, error) {
	all, err := s.units.All(ctx, true)
	if err != nil {
		return nil, nil, err
	}
	selectable := map[int64]bool{}
	var shown []units.Unit
	for _, u := range all {
		if !u.Archived() || slices.Contains(assigned, u.ID) {
			shown = append(shown, u)
			selectable[u.ID] = true
		}
	}
	return admintpl.BuildTree(shown), selectable, nil
}

func checkedUnits(ids []int64) map[string]bool {
	m := make(map[string]bool, len(ids))
	for _, id := range ids {
		m[strconv.FormatInt(id, 10)] = true
	}
	return m
}

func (s *Server) renderUserForm(w http.ResponseWriter, r *http.Request, status int, d admintpl.UserFormData, errs form.Errors, message string) error {
	var err error
	var assigned []int64
	if !d.New {
		assigned = d.User.UnitIDs
	}
	if d.Tree, _, err = s.unitChoices(r.Context(), assigned); err != nil {
		return err
	}
	p := s.page(r, "admin.users", "")
	if d.New {
		p.Title = p.T("users.invite.title")
	} else {
		p.Title = d.User.Name
	}
	d.Me = currentUser(r).ID
	d.Errors = translate(p.Printer, errs)
	if message != "" {
		d.Message = p.T(message)
	}
	return s.render(w, r, status, admintpl.UserForm(p, d))
}

func (s *Server) userNew(w http.ResponseWriter, r *http.Request) error {
	lang := string(langOf(r))
	return s.renderUserForm(w, r, http.StatusOK, admintpl.UserFormData{New: true, Role: auth.RoleStaff, Language: lang}, nil, "")
}

func (s *Server) userInvite(w http.ResponseWriter, r *http.Request) error {
	me := currentUser(r)
	f, err := parseUserForm(r, true)
	if err != nil {
		return err
	}
	_, selectable, err := s.unitChoices(r.Context(), nil)
	if err != nil {
		return err
	}
	errs := f.Validate(selectable)
	if len(errs) == 0 {
		// The account, its audit entry, the set-password link and the
		// queued mail are committed together: no account without its
		// invitation, no invitation for an account that was not made.
		err = db.InTx(r.Context(), s.pool, func(tx pgx.Tx) error {
			id, err := auth.CreateUserTx(r.Context(), tx, auth.NewUser{Email: f.Email, Name: f.Name, Role: f.Role, Language: f.Language, UnitIDs: f.UnitIDs})
			if err != nil {
				return err
			}
			if err := audit.Write(r.Context(), tx, audit.Record{ActorID: me.ID, Action: "user.invite", Entity: "user", EntityID: id,
				Details: map[string]any{"email": f.Email, "role": f.Role, "units": nonNilIDs(f.UnitIDs)}}); err != nil {
				return err
			}
			return s.sendInvitation(r.Context(), tx, *me, invitee{ID: id, Email: f.Email, Name: f.Name, Language: f.Language})
		})
		switch {
		case errors.Is(err, auth.ErrEmailTaken):
			errs.Add("email", "users.err.email_taken")
		case errors.Is(err, mail.ErrInvalid):
			errs.Add("email", "err.email") // an address the mail sender refuses
		case err != nil:
			return err
		}
	}
	if len(errs) > 0 {
		return s.renderUserForm(w, r, http.StatusUnprocessableEntity, admintpl.UserFormData{New: true, Email: f.Email, Name: f.Name,
			Role: f.Role, Language: f.Language, Units: checkedUnits(f.UnitIDs)}, errs, "")
	}
	s.addFlash(r, "success", "users.invited", f.Email)
	return redirect(w, r, "/app/admin/users")
}

// invitee is who an invitation goes to.
type invitee struct {
	ID                    int64
	Email, Name, Language string
}

// sendInvitation makes a new set-password link for u (earlier links stop
// working) and queues the mail with it in u's language, inside tx. Each
// link is its own delivery, keyed by the link's hash.
func (s *Server) sendInvitation(ctx context.Context, tx pgx.Tx, by auth.User, u invitee) error {
	if s.jobs == nil {
		return errors.New("no job queue configured")
	}
	token, err := auth.CreateSetPasswordTokenTx(ctx, tx, u.ID, by.ID)
	if err != nil {
		return err
	}
	lang, _ := i18n.Parse(u.Language)
	m, err := mail.Invitation{To: u.Email, Name: u.Name, InvitedBy: by.Name, Lang: lang,
		Link: s.cfg.BaseURL.String() + "/set-password/" + token, Hours: int(auth.SetPasswordTTL / time.Hour)}.Message()
	if err != nil {
		return err
	}
	key := fmt.Sprintf("invite:user:%d:%x", u.ID, auth.HashToken(token)[:8])
	return s.jobs.SendMail(ctx, tx, key, 0, m)
}

// userByParam loads the user named in the URL.
func (s *Server) userByParam(r *http.Request) (auth.User, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		return auth.User{}, errNotFound()
	}
	u, err := s.users.UserByID(r.Context(), id)
	if errors.Is(err, auth.ErrNotFound) {
		return auth.User{}, errNotFound()
	}
	return u, err
}

func editData(u auth.User) admintpl.UserFormData {
	return admintpl.UserFormData{User: u, Email: u.Email, Name: u.Name, Role: u.Role, Units: checkedUnits(u.UnitIDs)}
}

// changeUserEmail gives u a new address inside tx: the old address gets a
// notice with a link that undoes the change (an administrator's account
// could be taken over this way otherwise, unnoticed), and the audit log
// has the change.
func (s *Server) changeUserEmail(ctx context.Context, tx pgx.Tx, by auth.User, u auth.User, email string) error {
	old, undos, err := auth.ChangeEmailTx(ctx, tx, u.ID, email, by.ID)
	if err != nil || old == "" {
		return err
	}
	lang, _ := i18n.Parse(u.Language)
	pr := i18n.For(lang)
	for _, undo := range undos {
		m, err := linkMail{To: undo.To, Lang: lang, Staff: true, Subject: pr.T("mail.user_email.subject"),
			Paragraphs: []string{pr.T("mail.greeting", u.Name), pr.T("mail.user_email.intro", by.Name, email)},
			Link:       s.cfg.BaseURL.String() + "/account/email-revert/" + undo.Token, Button: pr.T("mail.user_email.button"),
			Notes: []string{pr.T("mail.link.days", int(auth.EmailRevertTTL/(24*time.Hour))), pr.T("mail.user_email.ignore")}}.message(ctx)
		if err != nil {
			return err
		}
		if err := s.jobs.SendMail(ctx, tx, fmt.Sprintf("user-email:%d:%x", u.ID, auth.HashToken(undo.Token)[:8]), 0, m); err != nil {
			return err
		}
	}
	return audit.Write(ctx, tx, audit.Record{ActorID: by.ID, Action: "user.update", Entity: "user", EntityID: u.ID,
		Details: map[string]any{"changes": map[string]any{"email": change(old, email)}}})
}

func (s *Server) userEdit(w http.ResponseWriter, r *http.Request) error {
	u, err := s.userByParam(r)
	if err != nil {
		return err
	}
	return s.renderUserForm(w, r, http.StatusOK, editData(u), nil, "")
}

// isLastAdmin reports whether u is the only active administrator left, who
// must stay one so that somebody can still manage the app.
func (s *Server) isLastAdmin(ctx context.Context, u auth.User) (bool, error) {
	if u.Role != auth.RoleAdmin || !u.Active() || !u.HasPassword() {
		return false, nil
	}
	n, err := s.users.CountActiveAdmins(ctx)
	return n <= 1, err
}

func (s *Server) userUpdate(w http.ResponseWriter, r *http.Request) error {
	me := currentUser(r)
	u, err := s.userByParam(r)
	if err != nil {
		return err
	}
	f, err := parseUserForm(r, false)
	if err != nil {
		return err
	}
	_, selectable, err := s.unitChoices(r.Context(), u.UnitIDs)
	if err != nil {
		return err
	}
	errs := f.Validate(selectable)
	if len(errs) == 0 && f.Role != auth.RoleAdmin {
		last, err := s.isLastAdmin(r.Context(), u)
		if err != nil {
			return err
		}
		if last {
			errs.Add("role", "users.err.last_admin")
		}
	}
	if len(errs) == 0 && f.Email != u.Email {
		err := db.InTx(r.Context(), s.pool, func(tx pgx.Tx) error { return s.changeUserEmail(r.Context(), tx, *me, u, f.Email) })
		switch {
		case errors.Is(err, auth.ErrEmailTaken):
			errs.Add("email", "users.err.email_taken")
		case errors.Is(err, mail.ErrInvalid):
			errs.Add("email", "err.email")
		case err != nil:
			return err
		}
	}
	if len(errs) > 0 {
		return s.renderUserForm(w, r, http.StatusUnprocessableEntity, admintpl.UserFormData{User: u, Email: f.Email, Name: f.Name, Role: f.Role,
			Units: checkedUnits(f.UnitIDs)}, errs, "")
	}
	if err := s.users.UpdateUser(r.Context(), u.ID, f.Name, f.Role, f.UnitIDs); errors.Is(err, auth.ErrNotFound) {
		return errNotFound()
	} else if err != nil {
		return err
	}
	changes := map[string]any{}
	if u.Name != f.Name {
		changes["name"] = change(u.Name, f.Name)
	}
	if u.Role != f.Role {
		changes["role"] = change(u.Role, f.Role)
	}
	if !slices.Equal(u.UnitIDs, f.UnitIDs) {
		changes["units"] = change(nonNilIDs(u.UnitIDs), nonNilIDs(f.UnitIDs))
	}
	if len(changes) > 0 {
		if err := s.audit.Write(r.Context(), audit.Record{ActorID: me.ID, Action: "user.update", Entity: "user", EntityID: u.ID,
			Details: map[string]any{"changes": changes}}); err != nil {
			return err
		}
	}
	s.addFlash(r, "success", "users.saved", f.Name)
	if u.ID == me.ID && f.Role != auth.RoleAdmin {
		return redirect(w, r, "/app") // no longer allowed in the admin area
	}
	return redirect(w, r, "/app/admin/users")
}

func change(old, new any) map[string]any { return map[string]any{"old": old, "new": new} }

func nonNilIDs(ids []int64) []int64 {
	if ids == nil {
		return []int64{}
	}
	return ids
}

func (s *Server) userResendInvite(w http.ResponseWriter, r *http.Request) error {
	me := currentUser(r)
	u, err := s.userByParam(r)
	if err != nil {
		return err
	}
	if !u.Active() || u.HasPassword() {
		return s.renderUserForm(w, r, http.StatusUnprocessableEntity, editData(u), nil, "users.err.not_invited")
	}
	err = db.InTx(r.Context(), s.pool, func(tx pgx.Tx) error {
		if err := s.sendInvitation(r.Context(), tx, *me, invitee{ID: u.ID, Email: u.Email, Name: u.Name, Language: u.Language}); err != nil {
			return err
		}
		return audit.Write(r.Context(), tx, audit.Record{ActorID: me.ID, Action: "user.resend_invite", Entity: "user", EntityID: u.ID,
			Details: map[string]any{"email": u.Email}})
	})
	if err != nil {
		return err
	}
	s.addFlash(r, "success", "users.resent", u.Email)
	return redirect(w, r, "/app/admin/users/"+strconv.FormatInt(u.ID, 10))
}

func (s *Server) userDeactivate(w http.ResponseWriter, r *http.Request) error {
	return s.userSetActive(w, r, false)
}

func (s *Server) userReactivate(w http.ResponseWriter, r *http.Request) error {
	return s.userSetActive(w, r, true)
}

func (s *Server) userSetActive(w http.ResponseWriter, r *http.Request, active bool) error {
	me := currentUser(r)
	u, err := s.userByParam(r)
	if err != nil {
		return err
	}
	target := "/app/admin/users/" + strconv.FormatInt(u.ID, 10)
	if u.Active() == active {
		return redirect(w, r, target) // nothing to do (a double click)
	}
	if !active {
		if u.ID == me.ID {
			return s.renderUserForm(w, r, http.StatusUnprocessableEntity, editData(u), nil, "users.err.self_deactivate")
		}
		last, err := s.isLastAdmin(r.Context(), u)
		if err != nil {
			return err
		}
		if last {
			return s.renderUserForm(w, r, http.StatusUnprocessableEntity, editData(u), nil, "users.err.last_admin_deactivate")
		}
	}
	if err := s.users.SetActive(r.Context(), u.ID, active); errors.Is(err, auth.ErrNotFound) {
		return errNotFound()
	} else if err != nil {
		return err
	}
	if !active {
		// Its sessions end for good: a reactivation does not bring them back.
		if _, err := s.endUserSessions(r.Context(), u.ID, ""); err != nil {
			return err
		}
	}
	action, flash := "user.reactivate", "users.reactivated"
	if !active {
		action, flash = "user.deactivate", "users.deactivated"
	}
	if err := s.audit.Write(r.Context(), audit.Record{ActorID: me.ID, Action: action, Entity: "user", EntityID: u.ID,
		Details: map[string]any{"email": u.Email}}); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	s.addFlash(r, "success", flash, u.Name)
	return redirect(w, r, target)
}
