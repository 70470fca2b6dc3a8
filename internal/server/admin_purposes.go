package server

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"alumnet/internal/consent"
	"alumnet/internal/form"
	"alumnet/internal/i18n"
	admintpl "alumnet/templates/admin"
)

// purposeForm is the create and edit form of a consent purpose.
type purposeForm struct {
	In      consent.PurposeInput
	SortRaw string
	sortErr bool
}

func parsePurposeForm(r *http.Request) (purposeForm, error) {
	if err := parseForm(r); err != nil {
		return purposeForm{}, err
	}
	f := r.PostForm
	pf := purposeForm{
		In: consent.PurposeInput{
			Key:    f.Get("key"),
			Basis:  f.Get("basis"),
			Active: f.Get("active") != "",
			NameNL: f.Get("name_nl"),
			NameEN: f.Get("name_en"),
			TextNL: f.Get("text_nl"),
			TextEN: f.Get("text_en"),
		},
		SortRaw: strings.TrimSpace(f.Get("sort_order")),
	}
	if pf.SortRaw != "" {
		n, err := strconv.Atoi(pf.SortRaw)
		pf.In.SortOrder, pf.sortErr = n, err != nil
	}
	pf.In.BaseVersion, _ = strconv.Atoi(f.Get("base_version"))
	pf.In.Normalize()
	return pf, nil
}

// Validate checks the form; the key only on creation.
func (f purposeForm) Validate(isNew bool) form.Errors {
	errs := f.In.Validate(isNew)
	if f.sortErr {
		errs.Add("sort_order", "consent.err.sort_order")
	}
	return errs
}

func (s *Server) purposesList(w http.ResponseWriter, r *http.Request) error {
	list, err := s.consent.Purposes(r.Context(), true)
	if err != nil {
		return err
	}
	p := s.page(r, "admin.purposes", "")
	p.Title = p.T("purposes.title")
	return s.render(w, r, http.StatusOK, admintpl.Purposes(p, admintpl.PurposesData{Purposes: list}))
}

func (s *Server) renderPurposeForm(w http.ResponseWriter, r *http.Request, status int, d admintpl.PurposeFormData, errs form.Errors) error {
	p := s.page(r, "admin.purposes", "")
	if d.New() {
		p.Title = p.T("purposes.new.title")
	} else {
		p.Title = d.Purpose.Name(p.Lang)
	}
	d.Errors = translate(p.Printer, errs)
	return s.render(w, r, status, admintpl.PurposeForm(p, d))
}

func (s *Server) purposeNew(w http.ResponseWriter, r *http.Request) error {
	in := consent.PurposeInput{Basis: consent.BasisConsent, Active: true}
	// New purposes go to the end of the list.
	list, err := s.consent.Purposes(r.Context(), true)
	if err != nil {
		return err
	}
	for _, pu := range list {
		in.SortOrder = max(in.SortOrder, pu.SortOrder+10)
	}
	return s.renderPurposeForm(w, r, http.StatusOK, admintpl.PurposeFormData{In: in, SortOrder: strconv.Itoa(in.SortOrder)}, nil)
}

func (s *Server) purposeCreate(w http.ResponseWriter, r *http.Request) error {
	f, err := parsePurposeForm(r)
	if err != nil {
		return err
	}
	errs := f.Validate(true)
	var pu consent.Purpose
	if len(errs) == 0 {
		pu, err = s.consent.CreatePurpose(r.Context(), currentUser(r).ID, f.In)
		switch {
		case errors.Is(err, consent.ErrDuplicateKey):
			errs.Add("key", "purposes.err.duplicate")
		case err != nil:
			return err
		}
	}
	if len(errs) > 0 {
		return s.renderPurposeForm(w, r, http.StatusUnprocessableEntity, admintpl.PurposeFormData{In: f.In, SortOrder: f.SortRaw}, errs)
	}
	s.addFlash(r, "success", "purposes.created", pu.Name(langOf(r)))
	return redirect(w, r, "/app/admin/purposes")
}

func (s *Server) purposeByParam(r *http.Request) (consent.Purpose, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		return consent.Purpose{}, errNotFound()
	}
	pu, err := s.consent.PurposeByID(r.Context(), id)
	if errors.Is(err, consent.ErrNotFound) {
		return consent.Purpose{}, errNotFound()
	}
	return pu, err
}

func (s *Server) purposeEdit(w http.ResponseWriter, r *http.Request) error {
	pu, err := s.purposeByParam(r)
	if err != nil {
		return err
	}
	return s.renderPurposeForm(w, r, http.StatusOK,
		admintpl.PurposeFormData{Purpose: pu, In: consent.InputOf(pu), SortOrder: strconv.Itoa(pu.SortOrder)}, nil)
}

func (s *Server) purposeUpdate(w http.ResponseWriter, r *http.Request) error {
	pu, err := s.purposeByParam(r)
	if err != nil {
		return err
	}
	f, err := parsePurposeForm(r)
	if err != nil {
		return err
	}
	f.In.Key = pu.Key
	d := admintpl.PurposeFormData{Purpose: pu, In: f.In, SortOrder: f.SortRaw}
	if errs := f.Validate(false); len(errs) > 0 {
		return s.renderPurposeForm(w, r, http.StatusUnprocessableEntity, d, errs)
	}
	saved, err := s.consent.UpdatePurpose(r.Context(), currentUser(r).ID, pu.ID, f.In)
	switch {
	case errors.Is(err, consent.ErrConflict):
		// Keep what they typed and move them onto the current version,
		// so that saving again is a deliberate choice.
		current, err := s.consent.PurposeByID(r.Context(), pu.ID)
		if err != nil {
			return err
		}
		d.Purpose, d.In.BaseVersion = current, current.Version
		d.Message = i18n.For(langOf(r)).T("purposes.err.conflict", current.Version)
		return s.renderPurposeForm(w, r, http.StatusConflict, d, nil)
	case errors.Is(err, consent.ErrNotFound):
		return errNotFound()
	case err != nil:
		return err
	}
	if saved.Version != pu.Version {
		s.addFlash(r, "success", "purposes.saved.version", saved.Name(langOf(r)), saved.Version)
	} else {
		s.addFlash(r, "success", "purposes.saved", saved.Name(langOf(r)))
	}
	return redirect(w, r, "/app/admin/purposes")
}

func (s *Server) purposeVersions(w http.ResponseWriter, r *http.Request) error {
	pu, err := s.purposeByParam(r)
	if err != nil {
		return err
	}
	versions, err := s.consent.Versions(r.Context(), pu.ID)
	if err != nil {
		return err
	}
	p := s.page(r, "admin.purposes", "")
	p.Title = p.T("purposes.versions.title", pu.Name(p.Lang))
	return s.render(w, r, http.StatusOK, admintpl.PurposeVersions(p, admintpl.PurposeVersionsData{Purpose: pu, Versions: versions}))
}
