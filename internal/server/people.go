package server

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"alumnet/internal/audit"
	"alumnet/internal/form"
	"alumnet/internal/people"
	"alumnet/internal/units"
	"alumnet/templates/layout"
	peopletpl "alumnet/templates/people"
)

// personForm is the create/edit form: the person, and on creation an
// optional first affiliation (required for coordinators, who would not see
// a person without one in their units).
type personForm struct {
	In       people.Input
	Version  int
	FirstAff people.AffiliationInput
	WithAff  bool
}

func parsePersonForm(r *http.Request) (personForm, error) {
	if err := parseForm(r); err != nil {
		return personForm{}, err
	}
	f := r.PostForm
	pf := personForm{In: people.Input{
		FirstName:    f.Get("first_name"),
		LastName:     f.Get("last_name"),
		PrimaryEmail: f.Get("primary_email"),
		OtherEmails:  strings.Split(f.Get("other_emails"), "\n"),
		Phone:        f.Get("phone"),
		City:         f.Get("city"),
		Employer:     f.Get("employer"),
		JobTitle:     f.Get("job_title"),
		Sector:       f.Get("sector"),
		LinkedInURL:  f.Get("linkedin_url"),
		Language:     f.Get("language"),
		Offers:       f["offers"],
		Needs:        f["needs"],
		Tags:         strings.Split(f.Get("tags"), ","),
	}}
	pf.Version, _ = strconv.Atoi(f.Get("version"))
	pf.FirstAff = affiliationInput(f)
	pf.WithAff = pf.FirstAff.UnitID != "" || pf.FirstAff.Kind != ""
	pf.In.Normalize()
	return pf, nil
}

func affiliationInput(f url.Values) people.AffiliationInput {
	return people.AffiliationInput{
		Kind: f.Get("aff_kind"), UnitID: f.Get("aff_unit_id"), StartDate: f.Get("aff_start_date"),
		EndDate: f.Get("aff_end_date"), Role: f.Get("aff_role"), Crebo: f.Get("aff_crebo"),
		CohortYear: f.Get("aff_cohort_year"), LeavingReason: f.Get("aff_leaving_reason"),
	}
}

// affErrors prefixes affiliation field errors with aff_ to match the form.
func affErrors(errs form.Errors) form.Errors {
	out := form.Errors{}
	for k, v := range errs {
		out["aff_"+k] = v
	}
	return out
}

// listFilter reads the people list's filter from query parameters.
func listFilter(q url.Values) people.Filter {
	f := people.Filter{
		Q: q.Get("q"), Kind: q.Get("kind"), LeavingReason: q.Get("reason"), Tag: q.Get("tag"),
		Sort: q.Get("sort"), After: q.Get("after"),
	}
	f.UnitID, _ = strconv.ParseInt(q.Get("unit"), 10, 64)
	f.YearFrom, _ = strconv.Atoi(q.Get("from"))
	f.YearTo, _ = strconv.Atoi(q.Get("to"))
	// A year the registry cannot hold filters nothing.
	if f.YearFrom < 1900 || f.YearFrom > 2200 {
		f.YearFrom = 0
	}
	if f.YearTo < 1900 || f.YearTo > 2200 {
		f.YearTo = 0
	}
	if f.Kind != "" && !slices.Contains(people.Kinds, f.Kind) {
		f.Kind = ""
	}
	if f.LeavingReason != "" && !slices.Contains(people.LeavingReasons, f.LeavingReason) {
		f.LeavingReason = ""
	}
	return f
}

func (s *Server) peopleList(w http.ResponseWriter, r *http.Request) error {
	u := currentUser(r)
	q := r.URL.Query()
	f := listFilter(q)
	res, err := s.people.List(r.Context(), u.Scope(), f)
	if err != nil {
		return err
	}
	p := s.page(r, "people", "")
	p.Title = p.T("people.title")
	data := peopletpl.ListData{Filter: f, Result: res, Query: q}
	if isHTMX(r) {
		return s.render(w, r, http.StatusOK, peopletpl.Results(p, data))
	}
	if data.Units, err = s.scopedUnits(r, u.Scope()); err != nil {
		return err
	}
	if data.Tags, err = s.people.Tags(r.Context(), u.Scope()); err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, peopletpl.List(p, data))
}

// scopedUnits returns the active units the user may pick (all for staff,
// their own subtrees for a coordinator) as indented options.
func (s *Server) scopedUnits(r *http.Request, sc units.Scope) ([]layout.Option, error) {
	all, err := s.units.All(r.Context(), false)
	if err != nil {
		return nil, err
	}
	var opts []layout.Option
	for _, un := range all {
		if sc.Includes(un) {
			opts = append(opts, layout.Option{Value: strconv.FormatInt(un.ID, 10),
				Label: strings.Repeat("\u00a0\u00a0", un.Depth()) + un.Name})
		}
	}
	return opts, nil
}

func personID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		return 0, errNotFound()
	}
	return id, nil
}

// personOrNotFound loads a person within the user's scope; outside it, the
// person does not exist as far as this user is concerned (404).
func (s *Server) personOrNotFound(r *http.Request) (people.Person, error) {
	id, err := personID(r)
	if err != nil {
		return people.Person{}, err
	}
	p, err := s.people.PersonByID(r.Context(), currentUser(r).Scope(), id)
	if errors.Is(err, people.ErrNotFound) {
		return people.Person{}, errNotFound()
	}
	return p, err
}

// livePerson is personOrNotFound for a change: an erased person is a
// tombstone that nothing is added to or changed on (409 with a message).
func (s *Server) livePerson(r *http.Request) (people.Person, error) {
	p, err := s.personOrNotFound(r)
	if err == nil && p.ErasedAt != nil {
		return people.Person{}, errErased()
	}
	return p, err
}

func (s *Server) personShow(w http.ResponseWriter, r *http.Request) error {
	return s.renderPerson(w, r, http.StatusOK, people.AffiliationInput{}, nil)
}

// renderPerson shows the person page, with the affiliation form as typed
// and its errors when adding one failed.
func (s *Server) renderPerson(w http.ResponseWriter, r *http.Request, status int, aff people.AffiliationInput, affErrs form.Errors) error {
	return s.renderPersonPage(w, r, status, personForms{Aff: aff, AffErrors: affErrs})
}

// personForms is what was typed into the person page's own forms (add an
// affiliation, record consent) and their errors, when posting one failed.
type personForms struct {
	Aff           people.AffiliationInput
	AffErrors     form.Errors
	Consent       peopletpl.ConsentForm
	ConsentErrors form.Errors
}

// renderPersonPage shows the person page with its forms as in f.
func (s *Server) renderPersonPage(w http.ResponseWriter, r *http.Request, status int, f personForms) error {
	u := currentUser(r)
	person, err := s.personOrNotFound(r)
	if err != nil {
		return err
	}
	if err := s.people.RecordView(r.Context(), u.ID, person.ID); err != nil {
		return err
	}
	// A coordinator's timeline leaves out what happened to the person's
	// records in other units (an offboarding case, an affiliation there).
	hide := make([]audit.Ref, 2)
	if hide[0].IDs, err = s.offboarding.CasesOutside(r.Context(), u.Scope(), person.ID); err != nil {
		return err
	}
	if hide[1].IDs, err = s.people.AffiliationsOutside(r.Context(), u.Scope(), person.ID); err != nil {
		return err
	}
	hide[0].Entity, hide[1].Entity = "offboarding", "affiliation"
	timeline, more, err := s.audit.List(r.Context(), audit.Filter{PersonID: person.ID, ExcludeActions: []string{"person.view"}, Hide: hide, Limit: 30})
	if err != nil {
		return err
	}
	unitOpts, err := s.scopedUnits(r, u.Scope())
	if err != nil {
		return err
	}
	consentCard, err := s.consentCard(r, person.ID, f.Consent, f.ConsentErrors)
	if err != nil {
		return err
	}
	cases, err := s.offboarding.CasesOf(r.Context(), u.Scope(), person.ID)
	if err != nil {
		return err
	}
	p := s.page(r, "people", person.Name())
	return s.render(w, r, status, peopletpl.Show(p, peopletpl.ShowData{
		Person: person, Timeline: timeline, TimelineMore: more, Units: unitOpts,
		Aff: f.Aff, AffErrors: translate(p.Printer, f.AffErrors), Consent: consentCard, Cases: cases,
	}))
}

func (s *Server) personNew(w http.ResponseWriter, r *http.Request) error {
	p := s.page(r, "people", "")
	p.Title = p.T("person.new.title")
	unitOpts, err := s.scopedUnits(r, currentUser(r).Scope())
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, peopletpl.Form(p, peopletpl.FormData{
		In: people.Input{Language: "nl"}, Units: unitOpts, New: true, RequireAff: currentUser(r).Role == "coordinator",
	}))
}

func (s *Server) personCreate(w http.ResponseWriter, r *http.Request) error {
	u := currentUser(r)
	pf, err := parsePersonForm(r)
	if err != nil {
		return err
	}
	requireAff := u.Role == "coordinator"
	errs := pf.In.Validate()
	if pf.WithAff || requireAff {
		for k, v := range affErrors(pf.FirstAff.Validate()) {
			errs[k] = v
		}
	}
	p := s.page(r, "people", "")
	p.Title = p.T("person.new.title")
	unitOpts, err := s.scopedUnits(r, u.Scope())
	if err != nil {
		return err
	}
	rerender := func(status int, errs form.Errors) error {
		return s.render(w, r, status, peopletpl.Form(p, peopletpl.FormData{
			In: pf.In, Aff: pf.FirstAff, Units: unitOpts, New: true, RequireAff: requireAff,
			Errors: translate(p.Printer, errs),
		}))
	}
	if len(errs) > 0 {
		return rerender(http.StatusUnprocessableEntity, errs)
	}
	if pf.WithAff || requireAff {
		if id, _ := strconv.ParseInt(pf.FirstAff.UnitID, 10, 64); !s.unitAllowed(r, id) {
			return rerender(http.StatusUnprocessableEntity, form.Of("aff_unit_id", "aff.unit_scope"))
		}
	}
	var first *people.AffiliationInput
	if pf.WithAff || requireAff {
		first = &pf.FirstAff
	}
	id, err := s.people.CreatePerson(r.Context(), u.Scope(), u.ID, pf.In, first)
	if errors.Is(err, people.ErrEmailTaken) {
		return rerender(http.StatusUnprocessableEntity, form.Of("primary_email", "person.email_taken"))
	}
	if err != nil {
		return err
	}
	s.addPersonFlash(r, id, "success", "person.created", pf.In.FirstName+" "+pf.In.LastName)
	return redirect(w, r, "/app/people/"+strconv.FormatInt(id, 10))
}

// unitAllowed reports whether the user may attach people to unit id.
func (s *Server) unitAllowed(r *http.Request, id int64) bool {
	un, err := s.units.ByID(r.Context(), id)
	return err == nil && !un.Archived() && currentUser(r).Scope().Includes(un)
}

func (s *Server) personEdit(w http.ResponseWriter, r *http.Request) error {
	person, err := s.personOrNotFound(r)
	if err != nil {
		return err
	}
	if person.ErasedAt != nil {
		return errNotFound() // a tombstone is not edited
	}
	p := s.page(r, "people", "")
	p.Title = p.T("person.edit.title", person.Name())
	return s.render(w, r, http.StatusOK, peopletpl.Form(p, peopletpl.FormData{
		ID: person.ID, In: people.InputOf(person), Version: person.Version, ProvedPrimary: provedPrimary(person),
	}))
}

func (s *Server) personUpdate(w http.ResponseWriter, r *http.Request) error {
	u := currentUser(r)
	person, err := s.personOrNotFound(r)
	if err != nil {
		return err
	}
	pf, err := parsePersonForm(r)
	if err != nil {
		return err
	}
	p := s.page(r, "people", "")
	p.Title = p.T("person.edit.title", person.Name())
	data := peopletpl.FormData{ID: person.ID, In: pf.In, Version: pf.Version, ProvedPrimary: provedPrimary(person)}
	if errs := pf.In.Validate(); len(errs) > 0 {
		data.Errors = translate(p.Printer, errs)
		return s.render(w, r, http.StatusUnprocessableEntity, peopletpl.Form(p, data))
	}
	err = s.people.UpdatePerson(r.Context(), u.Scope(), u.ID, person.ID, pf.Version, pf.In)
	switch {
	case errors.Is(err, people.ErrConflict):
		// Keep what they typed; show what is saved now; take the new version
		// so that saving again is a deliberate overwrite.
		current, err := s.people.PersonByID(r.Context(), u.Scope(), person.ID)
		if err != nil {
			return err
		}
		saved := people.InputOf(current)
		data.Version = current.Version
		data.Saved = &saved
		return s.render(w, r, http.StatusConflict, peopletpl.Form(p, data))
	case errors.Is(err, people.ErrEmailTaken):
		data.Errors = map[string]string{"primary_email": p.T("person.email_taken")}
		return s.render(w, r, http.StatusUnprocessableEntity, peopletpl.Form(p, data))
	case errors.Is(err, people.ErrProvedAddress):
		data.Errors = map[string]string{"primary_email": p.T("person.email.proved_fixed")}
		data.ProvedPrimary = true
		return s.render(w, r, http.StatusUnprocessableEntity, peopletpl.Form(p, data))
	case errors.Is(err, people.ErrNotFound):
		return errNotFound()
	case err != nil:
		return err
	}
	s.addFlash(r, "success", "person.updated")
	return redirect(w, r, "/app/people/"+strconv.FormatInt(person.ID, 10))
}

func (s *Server) affiliationCreate(w http.ResponseWriter, r *http.Request) error {
	u := currentUser(r)
	person, err := s.livePerson(r)
	if err != nil {
		return err
	}
	if err := parseForm(r); err != nil {
		return err
	}
	in := affiliationInput(r.PostForm)
	if errs := affErrors(in.Validate()); len(errs) > 0 {
		return s.renderPerson(w, r, http.StatusUnprocessableEntity, in, errs)
	}
	_, err = s.people.AddAffiliation(r.Context(), u.Scope(), u.ID, person.ID, in)
	if errors.Is(err, people.ErrErased) {
		return errErased()
	}
	if errors.Is(err, people.ErrUnitOutOfScope) {
		return s.renderPerson(w, r, http.StatusUnprocessableEntity, in, form.Of("aff_unit_id", "aff.unit_scope"))
	}
	if err != nil {
		return err
	}
	s.addFlash(r, "success", "aff.added")
	return redirect(w, r, "/app/people/"+strconv.FormatInt(person.ID, 10))
}

func (s *Server) affiliationDelete(w http.ResponseWriter, r *http.Request) error {
	u := currentUser(r)
	person, err := s.livePerson(r)
	if err != nil {
		return err
	}
	affID, err := strconv.ParseInt(chi.URLParam(r, "aid"), 10, 64)
	if err != nil {
		return errNotFound()
	}
	err = s.people.DeleteAffiliation(r.Context(), u.Scope(), u.ID, person.ID, affID)
	switch {
	case errors.Is(err, people.ErrNotFound):
		return errNotFound()
	case errors.Is(err, people.ErrUnitOutOfScope):
		return errForbidden()
	case errors.Is(err, people.ErrErased):
		return errErased()
	case err != nil:
		return err
	}
	s.addFlash(r, "success", "aff.deleted")
	return redirect(w, r, "/app/people/"+strconv.FormatInt(person.ID, 10))
}

// provedPrimary reports whether the person proved their primary address:
// then it is theirs to change, in the portal.
func provedPrimary(p people.Person) bool {
	for _, e := range p.Emails {
		if e.Primary && e.Proved() {
			return true
		}
	}
	return false
}
