package server

import (
	"cmp"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"alumnet/internal/consent"
	"alumnet/internal/form"
	"alumnet/internal/i18n"
	"alumnet/internal/portal"
	"alumnet/templates/layout"
	portaltpl "alumnet/templates/portal"
)

// Rate limits of the public forms, per client address and per e-mail
// address, within an hour.
const (
	registerPerIP    = 20
	registerPerEmail = 3
	loginLinkPerIP   = 30
	loginLinkPerMail = 5
	rateWindow       = time.Hour
)

// purposeViews returns the active purposes as the person is asked for them
// in lang, with the current state when states is given.
func purposeViews(lang i18n.Lang, purposes []consent.Purpose) []portaltpl.Purpose {
	out := make([]portaltpl.Purpose, len(purposes))
	for i, pu := range purposes {
		out[i] = portaltpl.Purpose{ID: pu.ID, TextID: pu.TextID, Key: pu.Key, Name: pu.Name(lang), Text: pu.Text(lang), Version: pu.Version}
	}
	return out
}

// chosenConsents reads the ticked purposes and the text version shown with
// each; only active purposes, and only their current or an earlier text.
func chosenConsents(r *http.Request, cs *consent.Store, purposes []consent.Purpose) (map[int64]int64, map[string]bool) {
	active := map[int64]consent.Purpose{}
	for _, pu := range purposes {
		active[pu.ID] = pu
	}
	chosen := map[int64]int64{}
	checked := map[string]bool{}
	for _, raw := range r.PostForm["consent"] {
		id, err := strconv.ParseInt(raw, 10, 64)
		pu, ok := active[id]
		if err != nil || !ok {
			continue
		}
		// The version shown: the current one, or an earlier one of this
		// purpose when the text changed while the form was open.
		textID, err := strconv.ParseInt(r.PostForm.Get("text_"+raw), 10, 64)
		if err != nil || textID != pu.TextID && !versionOf(r.Context(), cs, pu.ID, textID) {
			textID = pu.TextID
		}
		chosen[id] = textID
		checked[raw] = true
	}
	return chosen, checked
}

// versionOf reports whether textID is a text version of the purpose.
func versionOf(ctx context.Context, cs *consent.Store, purposeID, textID int64) bool {
	versions, err := cs.Versions(ctx, purposeID)
	if err != nil {
		return false
	}
	for _, v := range versions {
		if v.ID == textID {
			return true
		}
	}
	return false
}

// unitOptions are the units someone registering may pick: active ones, as
// "Location › Programme".
func (s *Server) unitOptions(r *http.Request) ([]layout.Option, map[int64]bool, error) {
	all, err := s.units.All(r.Context(), false)
	if err != nil {
		return nil, nil, err
	}
	names := map[int64]string{}
	ids := map[int64]bool{}
	var opts []layout.Option
	for _, u := range all {
		names[u.ID] = u.Name
		label := u.Name
		if u.ParentID != nil {
			if parent, ok := names[*u.ParentID]; ok {
				label = parent + " › " + u.Name
			}
		}
		names[u.ID] = label
		ids[u.ID] = true
		opts = append(opts, layout.Option{Value: strconv.FormatInt(u.ID, 10), Label: label})
	}
	return opts, ids, nil
}

func (s *Server) renderRegister(w http.ResponseWriter, r *http.Request, status int, d portaltpl.RegisterData, errs form.Errors) error {
	p := s.portalPage(r, "", "")
	p.Title = p.T("register.title")
	units, _, err := s.unitOptions(r)
	if err != nil {
		return err
	}
	purposes, err := s.consent.Purposes(r.Context(), false)
	if err != nil {
		return err
	}
	d.Units = units
	d.Purposes = purposeViews(p.Lang, purposes)
	d.Errors = translate(p.Printer, errs)
	return s.render(w, r, status, portaltpl.Register(p, d))
}

func (s *Server) registerForm(w http.ResponseWriter, r *http.Request) error {
	return s.renderRegister(w, r, http.StatusOK, portaltpl.RegisterData{Language: string(langOf(r))}, nil)
}

func (s *Server) register(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	f := r.PostForm
	d := portaltpl.RegisterData{FirstName: f.Get("first_name"), LastName: f.Get("last_name"), Email: f.Get("email"),
		Language: f.Get("language"), Kind: f.Get("kind"), UnitID: f.Get("unit_id"), FromYear: f.Get("from_year"), ToYear: f.Get("to_year")}
	purposes, err := s.consent.Purposes(r.Context(), false)
	if err != nil {
		return err
	}
	reg := portal.Registration{FirstName: d.FirstName, LastName: d.LastName, Email: d.Email, Language: d.Language, Kind: d.Kind}
	reg.UnitID, _ = strconv.ParseInt(d.UnitID, 10, 64)
	reg.FromYear, _ = strconv.Atoi(strings.TrimSpace(d.FromYear))
	reg.ToYear, _ = strconv.Atoi(strings.TrimSpace(d.ToYear))
	reg.Consents, d.Checked = chosenConsents(r, s.consent, purposes)
	reg.Normalize()
	_, unitIDs, err := s.unitOptions(r)
	if err != nil {
		return err
	}
	errs := reg.Validate(unitIDs, time.Now().Year())
	if strings.TrimSpace(d.FromYear) != "" && reg.FromYear == 0 {
		errs.Add("from_year", "register.err.year")
	}
	if len(errs) > 0 {
		return s.renderRegister(w, r, http.StatusUnprocessableEntity, d, errs)
	}
	ok, err := s.allowed(r, "register", registerPerIP, reg.Email, registerPerEmail)
	if err != nil {
		return err
	}
	if !ok {
		return s.tooMany(w, r)
	}
	if err := s.portal.Register(r.Context(), reg); err != nil {
		return err
	}
	// The same answer whether or not the address was known, in the
	// language they chose for our messages.
	r = r.WithContext(contextWithLang(r, i18n.Lang(reg.Language)))
	p := s.portalPage(r, "", "")
	p.Title = p.T("register.check.title")
	return s.render(w, r, http.StatusOK, portaltpl.Message(p, portaltpl.MessageData{Title: p.T("register.check.title"),
		Text: p.T("register.check.text", reg.Email)}))
}

// registrationSummary is what a registration link confirms: the details
// given and each permission ticked, with the text version that was shown.
func (s *Server) registrationSummary(r *http.Request, p layout.Page, t portal.Token) ([]layout.Option, []portaltpl.Purpose, error) {
	var reg portal.Registration
	if err := json.Unmarshal(t.Payload, &reg); err != nil {
		return nil, nil, err
	}
	unit := ""
	if u, err := s.units.ByID(r.Context(), reg.UnitID); err == nil {
		unit = u.Name
	}
	years := strconv.Itoa(reg.ToYear)
	if reg.FromYear != 0 {
		years = strconv.Itoa(reg.FromYear) + "–" + years
	}
	details := []layout.Option{
		{Label: p.T("portal.name"), Value: reg.FirstName + " " + reg.LastName},
		{Label: p.T("register.email"), Value: reg.Email},
		{Label: p.T("register.kind." + reg.Kind), Value: unit + " (" + years + ")"},
	}
	var purposes []portaltpl.Purpose
	for purposeID, textID := range reg.Consents {
		versions, err := s.consent.Versions(r.Context(), purposeID)
		if err != nil {
			return nil, nil, err
		}
		for _, v := range versions {
			if v.ID == textID {
				purposes = append(purposes, portaltpl.Purpose{ID: purposeID, TextID: textID, Name: v.Name(p.Lang), Text: v.Text(p.Lang), Version: v.Version})
			}
		}
	}
	slices.SortFunc(purposes, func(a, b portaltpl.Purpose) int { return cmp.Compare(a.ID, b.ID) })
	return details, purposes, nil
}

func (s *Server) registerConfirmForm(w http.ResponseWriter, r *http.Request) error {
	return s.confirmPage(w, r, portal.PurposeRegister, "register.confirm")
}

func (s *Server) registerConfirm(w http.ResponseWriter, r *http.Request) error {
	return s.linkLogin(w, r, "register.confirm", s.portal.ConfirmRegistration, "register.done")
}
