package server

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"alumnet/internal/consent"
	"alumnet/internal/form"
	"alumnet/internal/i18n"
	"alumnet/templates/layout"
	peopletpl "alumnet/templates/people"
)

// consentCard loads the permissions card of a person's page, with the
// record form as typed and its errors (catalogue keys) when recording failed.
func (s *Server) consentCard(r *http.Request, personID int64, form peopletpl.ConsentForm, errs form.Errors) (peopletpl.ConsentData, error) {
	ctx := r.Context()
	states, err := s.consent.States(ctx, personID)
	if err != nil {
		return peopletpl.ConsentData{}, err
	}
	history, err := s.consent.History(ctx, personID)
	if err != nil {
		return peopletpl.ConsentData{}, err
	}
	lang := langOf(r)
	opts := make([]layout.Option, len(states))
	for i, st := range states {
		opts[i] = layout.Option{Value: strconv.FormatInt(st.Purpose.ID, 10), Label: st.Purpose.Name(lang)}
	}
	return peopletpl.ConsentData{States: states, History: history, Purposes: opts, Form: form,
		Errors: translate(i18n.For(lang), errs)}, nil
}

func parseConsentForm(r *http.Request) (peopletpl.ConsentForm, error) {
	if err := parseForm(r); err != nil {
		return peopletpl.ConsentForm{}, err
	}
	return peopletpl.ConsentForm{
		PurposeID: strings.TrimSpace(r.PostForm.Get("purpose_id")),
		Action:    r.PostForm.Get("action"),
		Note:      strings.TrimSpace(r.PostForm.Get("note")),
	}, nil
}

// validateConsentForm checks the form against the active purposes and
// returns the chosen one.
func validateConsentForm(f peopletpl.ConsentForm, active []consent.Purpose) (consent.Purpose, form.Errors) {
	errs := form.Errors{}
	var chosen consent.Purpose
	id, _ := strconv.ParseInt(f.PurposeID, 10, 64)
	if i := slices.IndexFunc(active, func(p consent.Purpose) bool { return p.ID == id }); i >= 0 {
		chosen = active[i]
	} else if f.PurposeID == "" {
		errs.Add("purpose_id", "err.required")
	} else {
		errs.Add("purpose_id", "err.choice")
	}
	if !slices.Contains(peopletpl.ConsentActions, f.Action) {
		errs.Add("action", "err.choice")
	}
	errs.Text("note", f.Note, consent.MaxNote, true)
	return chosen, errs
}

// personConsentCreate records a grant or withdrawal on the person's behalf
// (source staff, with a note), within the user's unit scope like every
// other person route. The store writes the audit entry in the same
// transaction.
func (s *Server) personConsentCreate(w http.ResponseWriter, r *http.Request) error {
	u := currentUser(r)
	person, err := s.livePerson(r)
	if err != nil {
		return err
	}
	f, err := parseConsentForm(r)
	if err != nil {
		return err
	}
	active, err := s.consent.Purposes(r.Context(), false)
	if err != nil {
		return err
	}
	purpose, errs := validateConsentForm(f, active)
	if len(errs) == 0 {
		_, err = s.consent.RecordNow(r.Context(), consent.Entry{PersonID: person.ID, PurposeID: purpose.ID,
			Granted: f.Action == "grant", Source: consent.SourceStaff, ActorUserID: u.ID, Note: f.Note})
		switch {
		case errors.Is(err, consent.ErrInactive):
			errs.Add("purpose_id", "consent.err.inactive")
		case errors.Is(err, consent.ErrErased):
			errs.Add("purpose_id", "consent.err.erased")
		case errors.Is(err, consent.ErrNoteRequired):
			errs.Add("note", "err.required")
		case err != nil:
			return err
		}
	}
	if len(errs) > 0 {
		return s.renderPersonPage(w, r, http.StatusUnprocessableEntity, personForms{Consent: f, ConsentErrors: errs})
	}
	flash := "consent.recorded.withdraw"
	if f.Action == "grant" {
		flash = "consent.recorded.grant"
	}
	s.addFlash(r, "success", flash, purpose.Name(langOf(r)))
	return redirect(w, r, "/app/people/"+strconv.FormatInt(person.ID, 10)+"#consent")
}
