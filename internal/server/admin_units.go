package server

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"alumnet/internal/form"
	"alumnet/internal/units"
	admintpl "alumnet/templates/admin"
	"alumnet/templates/layout"
)

// unitForm is the create and edit form of a unit.
type unitForm struct {
	Name      string
	Kind      string
	ParentRaw string
	ParentID  *int64
}

func parseUnitForm(r *http.Request) (unitForm, error) {
	if err := parseForm(r); err != nil {
		return unitForm{}, err
	}
	f := unitForm{
		Name:      strings.TrimSpace(r.PostForm.Get("name")),
		Kind:      r.PostForm.Get("kind"),
		ParentRaw: strings.TrimSpace(r.PostForm.Get("parent_id")),
	}
	if id, err := strconv.ParseInt(f.ParentRaw, 10, 64); err == nil && id > 0 {
		f.ParentID = &id
	}
	return f, nil
}

// Validate checks what can be checked without the database; the store
// refuses duplicates and cycles.
func (f unitForm) Validate() form.Errors {
	errs := form.Errors{}
	errs.Line("name", f.Name, 200, true)
	if !slices.Contains(units.Kinds, f.Kind) {
		errs.Add("kind", "err.choice")
	}
	if f.ParentRaw != "" && f.ParentID == nil {
		errs.Add("parent_id", "err.choice")
	}
	return errs
}

func (s *Server) unitsList(w http.ResponseWriter, r *http.Request) error {
	show := r.URL.Query().Get("archived") == "1"
	all, err := s.units.All(r.Context(), show)
	if err != nil {
		return err
	}
	p := s.page(r, "admin.units", "")
	p.Title = p.T("units.title")
	return s.render(w, r, http.StatusOK, admintpl.Units(p, admintpl.UnitsData{Tree: admintpl.BuildTree(all), ShowArchived: show}))
}

// parentOptions lists the active units a unit may be placed below: for an
// existing unit, not itself and nothing below it.
func (s *Server) parentOptions(r *http.Request, self int64) ([]layout.Option, error) {
	all, err := s.units.All(r.Context(), false)
	if err != nil {
		return nil, err
	}
	var opts []layout.Option
	for _, u := range all {
		if self != 0 && slices.Contains(u.Path, self) {
			continue
		}
		opts = append(opts, layout.Option{Value: strconv.FormatInt(u.ID, 10),
			Label: strings.Repeat("\u00a0\u00a0\u00a0", u.Depth()) + u.Name})
	}
	return opts, nil
}

func (s *Server) renderUnitForm(w http.ResponseWriter, r *http.Request, status int, d admintpl.UnitFormData, errs form.Errors) error {
	var err error
	if d.Parents, err = s.parentOptions(r, d.Unit.ID); err != nil {
		return err
	}
	p := s.page(r, "admin.units", "")
	if d.New() {
		p.Title = p.T("units.new.title")
	} else {
		p.Title = d.Unit.Name
	}
	d.Errors = translate(p.Printer, errs)
	return s.render(w, r, status, admintpl.UnitForm(p, d))
}

func (s *Server) unitNew(w http.ResponseWriter, r *http.Request) error {
	d := admintpl.UnitFormData{Kind: "programme", ParentID: r.URL.Query().Get("parent")}
	return s.renderUnitForm(w, r, http.StatusOK, d, nil)
}

func (s *Server) unitCreate(w http.ResponseWriter, r *http.Request) error {
	f, err := parseUnitForm(r)
	if err != nil {
		return err
	}
	errs := f.Validate()
	var u units.Unit
	if len(errs) == 0 {
		u, err = s.units.Create(r.Context(), currentUser(r).ID, f.ParentID, f.Name, f.Kind)
		switch {
		case errors.Is(err, units.ErrDuplicateName):
			errs.Add("name", "units.err.duplicate")
		case errors.Is(err, units.ErrNotFound):
			errs.Add("parent_id", "units.err.parent")
		case err != nil:
			return err
		}
	}
	if len(errs) > 0 {
		return s.renderUnitForm(w, r, http.StatusUnprocessableEntity, admintpl.UnitFormData{Name: f.Name, Kind: f.Kind, ParentID: f.ParentRaw}, errs)
	}
	s.addFlash(r, "success", "units.created", u.Name)
	return redirect(w, r, "/app/admin/units")
}

func (s *Server) unitByParam(r *http.Request) (units.Unit, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		return units.Unit{}, errNotFound()
	}
	u, err := s.units.ByID(r.Context(), id)
	if errors.Is(err, units.ErrNotFound) {
		return units.Unit{}, errNotFound()
	}
	return u, err
}

func parentString(id *int64) string {
	if id == nil {
		return ""
	}
	return strconv.FormatInt(*id, 10)
}

func (s *Server) unitEdit(w http.ResponseWriter, r *http.Request) error {
	u, err := s.unitByParam(r)
	if err != nil {
		return err
	}
	return s.renderUnitForm(w, r, http.StatusOK, admintpl.UnitFormData{Unit: u, Name: u.Name, Kind: u.Kind, ParentID: parentString(u.ParentID)}, nil)
}

func (s *Server) unitUpdate(w http.ResponseWriter, r *http.Request) error {
	u, err := s.unitByParam(r)
	if err != nil {
		return err
	}
	f, err := parseUnitForm(r)
	if err != nil {
		return err
	}
	errs := f.Validate()
	if len(errs) == 0 && f.ParentID != nil && *f.ParentID != u.ID {
		// Only an active unit takes new children; the store checks cycles.
		parent, err := s.units.ByID(r.Context(), *f.ParentID)
		switch {
		case errors.Is(err, units.ErrNotFound) || (err == nil && parent.Archived()):
			errs.Add("parent_id", "units.err.parent")
		case err != nil:
			return err
		}
	}
	if len(errs) == 0 {
		err := s.units.Update(r.Context(), currentUser(r).ID, u.ID, f.Name, f.Kind, f.ParentID)
		switch {
		case errors.Is(err, units.ErrDuplicateName):
			errs.Add("name", "units.err.duplicate")
		case errors.Is(err, units.ErrCycle):
			errs.Add("parent_id", "units.err.cycle")
		case errors.Is(err, units.ErrNotFound):
			errs.Add("parent_id", "units.err.parent")
		case err != nil:
			return err
		}
	}
	if len(errs) > 0 {
		return s.renderUnitForm(w, r, http.StatusUnprocessableEntity,
			admintpl.UnitFormData{Unit: u, Name: f.Name, Kind: f.Kind, ParentID: f.ParentRaw}, errs)
	}
	s.addFlash(r, "success", "units.saved", f.Name)
	return redirect(w, r, "/app/admin/units")
}

func (s *Server) unitArchive(w http.ResponseWriter, r *http.Request) error {
	return s.unitSetArchived(w, r, true)
}

func (s *Server) unitRestore(w http.ResponseWriter, r *http.Request) error {
	return s.unitSetArchived(w, r, false)
}

func (s *Server) unitSetArchived(w http.ResponseWriter, r *http.Request, archived bool) error {
	u, err := s.unitByParam(r)
	if err != nil {
		return err
	}
	if u.Archived() == archived {
		return redirect(w, r, "/app/admin/units?archived=1")
	}
	err = s.units.SetArchived(r.Context(), currentUser(r).ID, u.ID, archived)
	if errors.Is(err, units.ErrDuplicateName) {
		// Restoring next to an active unit of the same name.
		s.addFlash(r, "error", "units.err.restore_duplicate", u.Name)
		return redirect(w, r, "/app/admin/units/"+strconv.FormatInt(u.ID, 10))
	}
	if err != nil {
		return err
	}
	flash, target := "units.restored", "/app/admin/units"
	if archived {
		flash, target = "units.archived_flash", "/app/admin/units?archived=1"
	}
	s.addFlash(r, "success", flash, u.Name)
	return redirect(w, r, target)
}
