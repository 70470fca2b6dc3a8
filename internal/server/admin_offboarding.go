package server

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"alumnet/internal/form"
	"alumnet/internal/offboarding"
	admintpl "alumnet/templates/admin"
)

// The administrator's pages for the offboarding checklists: departure
// types, and per type the steps of its checklist.

// departureTypeForm is the create and edit form of a departure type.
type departureTypeForm struct {
	In      offboarding.DepartureType
	SortRaw string
	sortErr bool
}

func parseDepartureTypeForm(r *http.Request) (departureTypeForm, error) {
	if err := parseForm(r); err != nil {
		return departureTypeForm{}, err
	}
	f := r.PostForm
	tf := departureTypeForm{
		In: offboarding.DepartureType{
			Key:           f.Get("key"),
			NameNL:        f.Get("name_nl"),
			NameEN:        f.Get("name_en"),
			Audience:      f.Get("audience"),
			LeavingReason: f.Get("leaving_reason"),
			Caution:       f.Get("caution") != "",
			Active:        f.Get("active") != "",
		},
		SortRaw: strings.TrimSpace(f.Get("sort_order")),
	}
	if tf.SortRaw != "" {
		n, err := strconv.Atoi(tf.SortRaw)
		tf.In.SortOrder, tf.sortErr = n, err != nil
	}
	tf.In.Normalize()
	return tf, nil
}

// Validate checks the form; the key only on creation.
func (f departureTypeForm) Validate(isNew bool) form.Errors {
	errs := f.In.Validate(isNew)
	if f.sortErr {
		errs.Add("sort_order", "offboarding.admin.err.sort_order")
	}
	return errs
}

// checklistItemForm is the create and edit form of a checklist item. The
// due offset is typed as a number of days and before, on or after the
// leaving date.
type checklistItemForm struct {
	In      offboarding.TemplateItem
	DaysRaw string
	When    string
	daysErr bool
}

func parseChecklistItemForm(r *http.Request) (checklistItemForm, error) {
	if err := parseForm(r); err != nil {
		return checklistItemForm{}, err
	}
	f := r.PostForm
	cf := checklistItemForm{
		In: offboarding.TemplateItem{
			TitleNL:       f.Get("title_nl"),
			TitleEN:       f.Get("title_en"),
			DescriptionNL: f.Get("description_nl"),
			DescriptionEN: f.Get("description_en"),
			Role:          f.Get("role"),
			Kind:          f.Get("kind"),
			Required:      f.Get("required") != "",
		},
		DaysRaw: strings.TrimSpace(f.Get("offset_days")),
		When:    f.Get("offset_when"),
	}
	if cf.When != "on" {
		days := 0
		if cf.DaysRaw != "" {
			n, err := strconv.Atoi(cf.DaysRaw)
			cf.daysErr = err != nil || n < 0 || n > offboarding.MaxOffsetDays
			days = n
		}
		if cf.When == "before" {
			days = -days
		}
		cf.In.OffsetDays = days
	}
	cf.In.Normalize()
	return cf, nil
}

// Validate checks the form and the item.
func (f checklistItemForm) Validate() form.Errors {
	errs := f.In.Validate()
	switch {
	case f.When != "before" && f.When != "on" && f.When != "after":
		errs.Add("offset_when", "err.choice")
	case f.When != "on" && f.DaysRaw == "":
		errs.Add("offset_days", "err.required")
	case f.daysErr:
		errs.Add("offset_days", "offboarding.admin.err.offset")
	}
	return errs
}

// offsetFields splits a due offset into the form's number of days and
// before, on or after.
func offsetFields(days int) (string, string) {
	switch {
	case days < 0:
		return strconv.Itoa(-days), "before"
	case days > 0:
		return strconv.Itoa(days), "after"
	}
	return "", "on"
}

func (s *Server) offboardingTypes(w http.ResponseWriter, r *http.Request) error {
	types, err := s.offboarding.DepartureTypes(r.Context(), true)
	if err != nil {
		return err
	}
	counts, err := s.offboarding.TemplateItemCounts(r.Context())
	if err != nil {
		return err
	}
	p := s.page(r, "admin.offboarding", "")
	p.Title = p.T("offboarding.admin.title")
	return s.render(w, r, http.StatusOK, admintpl.OffboardingTypes(p, admintpl.OffboardingTypesData{Types: types, Counts: counts}))
}

func (s *Server) renderDepartureTypeForm(w http.ResponseWriter, r *http.Request, status int, d admintpl.DepartureTypeFormData, errs form.Errors) error {
	p := s.page(r, "admin.offboarding", "")
	if d.New() {
		p.Title = p.T("offboarding.admin.type.new_title")
	} else {
		p.Title = p.T("offboarding.admin.type.edit_title", d.Type.Name(p.Lang))
	}
	d.Errors = translate(p.Printer, errs)
	return s.render(w, r, status, admintpl.DepartureTypeForm(p, d))
}

func (s *Server) departureTypeNew(w http.ResponseWriter, r *http.Request) error {
	in := offboarding.DepartureType{Audience: "employer", LeavingReason: "other", Active: true}
	// New types go to the end of the list.
	types, err := s.offboarding.DepartureTypes(r.Context(), true)
	if err != nil {
		return err
	}
	for _, t := range types {
		in.SortOrder = max(in.SortOrder, t.SortOrder+10)
	}
	return s.renderDepartureTypeForm(w, r, http.StatusOK, admintpl.DepartureTypeFormData{In: in, SortOrder: strconv.Itoa(in.SortOrder)}, nil)
}

func (s *Server) departureTypeCreate(w http.ResponseWriter, r *http.Request) error {
	f, err := parseDepartureTypeForm(r)
	if err != nil {
		return err
	}
	errs := f.Validate(true)
	var saved offboarding.DepartureType
	if len(errs) == 0 {
		saved, err = s.offboarding.CreateDepartureType(r.Context(), currentUser(r).ID, f.In)
		switch {
		case errors.Is(err, offboarding.ErrDuplicateType):
			errs.Add("key", "offboarding.admin.err.duplicate")
		case err != nil:
			return err
		}
	}
	if len(errs) > 0 {
		return s.renderDepartureTypeForm(w, r, http.StatusUnprocessableEntity, admintpl.DepartureTypeFormData{In: f.In, SortOrder: f.SortRaw}, errs)
	}
	s.addFlash(r, "success", "offboarding.admin.type.created", saved.Name(langOf(r)))
	return redirect(w, r, "/app/admin/offboarding/types/"+saved.Key)
}

func (s *Server) departureTypeByParam(r *http.Request) (offboarding.DepartureType, error) {
	t, err := s.offboarding.DepartureTypeByKey(r.Context(), chi.URLParam(r, "key"))
	if errors.Is(err, offboarding.ErrNotFound) {
		return offboarding.DepartureType{}, errNotFound()
	}
	return t, err
}

func (s *Server) departureTypeEdit(w http.ResponseWriter, r *http.Request) error {
	t, err := s.departureTypeByParam(r)
	if err != nil {
		return err
	}
	return s.renderDepartureTypeForm(w, r, http.StatusOK, admintpl.DepartureTypeFormData{Type: t, In: t, SortOrder: strconv.Itoa(t.SortOrder)}, nil)
}

func (s *Server) departureTypeUpdate(w http.ResponseWriter, r *http.Request) error {
	t, err := s.departureTypeByParam(r)
	if err != nil {
		return err
	}
	f, err := parseDepartureTypeForm(r)
	if err != nil {
		return err
	}
	f.In.Key = t.Key
	if errs := f.Validate(false); len(errs) > 0 {
		return s.renderDepartureTypeForm(w, r, http.StatusUnprocessableEntity, admintpl.DepartureTypeFormData{Type: t, In: f.In, SortOrder: f.SortRaw}, errs)
	}
	saved, err := s.offboarding.UpdateDepartureType(r.Context(), currentUser(r).ID, t.Key, f.In)
	switch {
	case errors.Is(err, offboarding.ErrNotFound):
		return errNotFound()
	case err != nil:
		return err
	}
	s.addFlash(r, "success", "offboarding.admin.type.saved", saved.Name(langOf(r)))
	return redirect(w, r, "/app/admin/offboarding/types/"+saved.Key)
}

func (s *Server) checklistShow(w http.ResponseWriter, r *http.Request) error {
	t, err := s.departureTypeByParam(r)
	if err != nil {
		return err
	}
	items, err := s.offboarding.TemplateItems(r.Context(), t.Key, true)
	if err != nil {
		return err
	}
	d := admintpl.ChecklistData{Type: t}
	for _, it := range items {
		if it.Archived() {
			d.Archived = append(d.Archived, it)
		} else {
			d.Items = append(d.Items, it)
		}
	}
	p := s.page(r, "admin.offboarding", "")
	p.Title = t.Name(p.Lang)
	return s.render(w, r, http.StatusOK, admintpl.Checklist(p, d))
}

func (s *Server) renderChecklistItemForm(w http.ResponseWriter, r *http.Request, status int, d admintpl.ChecklistItemFormData, errs form.Errors) error {
	p := s.page(r, "admin.offboarding", "")
	if d.New() {
		p.Title = p.T("offboarding.admin.item.new_title")
	} else {
		p.Title = d.Item.Title(p.Lang)
	}
	d.Errors = translate(p.Printer, errs)
	return s.render(w, r, status, admintpl.ChecklistItemForm(p, d))
}

func (s *Server) checklistItemNew(w http.ResponseWriter, r *http.Request) error {
	t, err := s.departureTypeByParam(r)
	if err != nil {
		return err
	}
	role := "hr"
	if t.Audience == "school" {
		role = "coordinator"
	}
	in := offboarding.TemplateItem{DepartureType: t.Key, Role: role, Kind: offboarding.KindPlain, Required: true}
	return s.renderChecklistItemForm(w, r, http.StatusOK, admintpl.ChecklistItemFormData{Type: t, In: in, When: "on"}, nil)
}

func (s *Server) checklistItemCreate(w http.ResponseWriter, r *http.Request) error {
	t, err := s.departureTypeByParam(r)
	if err != nil {
		return err
	}
	f, err := parseChecklistItemForm(r)
	if err != nil {
		return err
	}
	f.In.DepartureType = t.Key
	errs := f.Validate()
	var saved offboarding.TemplateItem
	if len(errs) == 0 {
		saved, err = s.offboarding.CreateTemplateItem(r.Context(), currentUser(r).ID, f.In)
		switch {
		case errors.Is(err, offboarding.ErrKindTaken):
			errs.Add("kind", "offboarding.admin.err.kind_taken")
		case errors.Is(err, offboarding.ErrNotFound):
			return errNotFound()
		case err != nil:
			return err
		}
	}
	if len(errs) > 0 {
		return s.renderChecklistItemForm(w, r, http.StatusUnprocessableEntity,
			admintpl.ChecklistItemFormData{Type: t, In: f.In, Days: f.DaysRaw, When: f.When}, errs)
	}
	s.addFlash(r, "success", "offboarding.admin.item.created", saved.Title(langOf(r)))
	return redirect(w, r, checklistURL(t.Key, saved.ID))
}

// checklistURL is the checklist page of a type, scrolled to an item.
func checklistURL(key string, itemID int64) string {
	return "/app/admin/offboarding/types/" + key + "#item-" + strconv.FormatInt(itemID, 10)
}

// checklistItemByParam returns the item in the URL and its departure type.
func (s *Server) checklistItemByParam(r *http.Request) (offboarding.TemplateItem, offboarding.DepartureType, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		return offboarding.TemplateItem{}, offboarding.DepartureType{}, errNotFound()
	}
	it, err := s.offboarding.TemplateItemByID(r.Context(), id)
	if errors.Is(err, offboarding.ErrNotFound) {
		return offboarding.TemplateItem{}, offboarding.DepartureType{}, errNotFound()
	}
	if err != nil {
		return offboarding.TemplateItem{}, offboarding.DepartureType{}, err
	}
	t, err := s.offboarding.DepartureTypeByKey(r.Context(), it.DepartureType)
	return it, t, err
}

func (s *Server) checklistItemEdit(w http.ResponseWriter, r *http.Request) error {
	it, t, err := s.checklistItemByParam(r)
	if err != nil {
		return err
	}
	days, when := offsetFields(it.OffsetDays)
	return s.renderChecklistItemForm(w, r, http.StatusOK, admintpl.ChecklistItemFormData{Type: t, Item: it, In: it, Days: days, When: when}, nil)
}

func (s *Server) checklistItemUpdate(w http.ResponseWriter, r *http.Request) error {
	it, t, err := s.checklistItemByParam(r)
	if err != nil {
		return err
	}
	f, err := parseChecklistItemForm(r)
	if err != nil {
		return err
	}
	f.In.DepartureType = it.DepartureType
	errs := f.Validate()
	var saved offboarding.TemplateItem
	if len(errs) == 0 {
		saved, err = s.offboarding.UpdateTemplateItem(r.Context(), currentUser(r).ID, it.ID, f.In)
		switch {
		case errors.Is(err, offboarding.ErrKindTaken):
			errs.Add("kind", "offboarding.admin.err.kind_taken")
		case errors.Is(err, offboarding.ErrNotFound):
			return errNotFound()
		case err != nil:
			return err
		}
	}
	if len(errs) > 0 {
		return s.renderChecklistItemForm(w, r, http.StatusUnprocessableEntity,
			admintpl.ChecklistItemFormData{Type: t, Item: it, In: f.In, Days: f.DaysRaw, When: f.When}, errs)
	}
	s.addFlash(r, "success", "offboarding.admin.item.saved", saved.Title(langOf(r)))
	return redirect(w, r, checklistURL(t.Key, saved.ID))
}

func (s *Server) checklistItemArchive(w http.ResponseWriter, r *http.Request) error {
	it, t, err := s.checklistItemByParam(r)
	if err != nil {
		return err
	}
	if err := s.offboarding.ArchiveTemplateItem(r.Context(), currentUser(r).ID, it.ID); err != nil {
		return err
	}
	s.addFlash(r, "success", "offboarding.admin.item.archived", it.Title(langOf(r)))
	return redirect(w, r, checklistURL(t.Key, it.ID))
}

func (s *Server) checklistItemRestore(w http.ResponseWriter, r *http.Request) error {
	it, t, err := s.checklistItemByParam(r)
	if err != nil {
		return err
	}
	err = s.offboarding.RestoreTemplateItem(r.Context(), currentUser(r).ID, it.ID)
	switch {
	case errors.Is(err, offboarding.ErrKindTaken):
		s.addFlash(r, "error", "offboarding.admin.err.restore_kind", it.Title(langOf(r)))
	case err != nil:
		return err
	default:
		s.addFlash(r, "success", "offboarding.admin.item.restored", it.Title(langOf(r)))
	}
	return redirect(w, r, checklistURL(t.Key, it.ID))
}

func (s *Server) checklistItemMove(w http.ResponseWriter, r *http.Request) error {
	it, t, err := s.checklistItemByParam(r)
	if err != nil {
		return err
	}
	if err := parseForm(r); err != nil {
		return err
	}
	dir := r.PostForm.Get("dir")
	if dir != "up" && dir != "down" {
		return errBadRequest(errors.New("move: dir must be up or down"))
	}
	err = s.offboarding.MoveTemplateItem(r.Context(), currentUser(r).ID, it.ID, dir == "up")
	switch {
	case errors.Is(err, offboarding.ErrNotFound):
		// An archived item has no place to move from.
		return errNotFound()
	case err != nil:
		return err
	}
	s.addFlash(r, "success", "offboarding.admin.item.moved", it.Title(langOf(r)))
	return redirect(w, r, checklistURL(t.Key, it.ID))
}
