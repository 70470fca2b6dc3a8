package server

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"alumnet/internal/auth"
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
	HR       bool
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
		HR:       f.Get("hr") == "1",
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
		_, err := s.users.Invite(r.Context(), *me, auth.NewUser{Email: f.Email, Name: f.Name, Role: f.Role, Language: f.Language, UnitIDs: f.UnitIDs, HR: f.HR})
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
			Role: f.Role, Language: f.Language, HR: f.HR, Units: checkedUnits(f.UnitIDs)}, errs, "")
	}
	s.addFlash(r, "success", "users.invited", f.Email)
	return redirect(w, r, "/app/admin/users")
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
	return admintpl.UserFormData{User: u, Email: u.Email, Name: u.Name, Role: u.Role, HR: u.HR, Units: checkedUnits(u.UnitIDs)}
}

func (s *Server) userEdit(w http.ResponseWriter, r *http.Request) error {
	u, err := s.userByParam(r)
	if err != nil {
		return err
	}
	return s.renderUserForm(w, r, http.StatusOK, editData(u), nil, "")
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
	if len(errs) == 0 {
		err := s.users.Update(r.Context(), *me, u, auth.Change{Email: f.Email, Name: f.Name, Role: f.Role, UnitIDs: f.UnitIDs, HR: f.HR})
		switch {
		case errors.Is(err, auth.ErrNotFound):
			return errNotFound()
		case errors.Is(err, auth.ErrLastAdmin):
			errs.Add("role", "users.err.last_admin")
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
			HR: f.HR, Units: checkedUnits(f.UnitIDs)}, errs, "")
	}
	s.addFlash(r, "success", "users.saved", f.Name)
	if u.ID == me.ID && f.Role != auth.RoleAdmin {
		return redirect(w, r, "/app") // no longer allowed in the admin area
	}
	return redirect(w, r, "/app/admin/users")
}

func (s *Server) userResendInvite(w http.ResponseWriter, r *http.Request) error {
	me := currentUser(r)
	u, err := s.userByParam(r)
	if err != nil {
		return err
	}
	switch err := s.users.ResendInvitation(r.Context(), *me, u); {
	case errors.Is(err, auth.ErrNotInvited):
		return s.renderUserForm(w, r, http.StatusUnprocessableEntity, editData(u), nil, "users.err.not_invited")
	case err != nil:
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
	changed, err := s.users.SetActive(r.Context(), *me, u, active)
	switch {
	case errors.Is(err, auth.ErrSelf):
		return s.renderUserForm(w, r, http.StatusUnprocessableEntity, editData(u), nil, "users.err.self_deactivate")
	case errors.Is(err, auth.ErrLastAdmin):
		return s.renderUserForm(w, r, http.StatusUnprocessableEntity, editData(u), nil, "users.err.last_admin_deactivate")
	case errors.Is(err, auth.ErrNotFound):
		return errNotFound()
	case err != nil:
		return err
	}
	if changed {
		flash := "users.reactivated"
		if !active {
			flash = "users.deactivated"
		}
		s.addFlash(r, "success", flash, u.Name)
	}
	return redirect(w, r, target)
}

// userSendReset is an administrator's "send a reset link" for an account
// that has a password.
func (s *Server) userSendReset(w http.ResponseWriter, r *http.Request) error {
	me := currentUser(r)
	u, err := s.userByParam(r)
	if err != nil {
		return err
	}
	switch err := s.users.SendReset(r.Context(), *me, u); {
	case errors.Is(err, auth.ErrNoReset):
		return s.renderUserForm(w, r, http.StatusUnprocessableEntity, editData(u), nil, "users.err.no_reset")
	case err != nil:
		return err
	}
	s.addFlash(r, "success", "users.reset_sent", u.Email)
	return redirect(w, r, "/app/admin/users/"+strconv.FormatInt(u.ID, 10))
}
