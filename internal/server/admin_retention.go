package server

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"alumnet/internal/form"
	"alumnet/internal/retention"
	admintpl "alumnet/templates/admin"
)

// retentionPreview is how many candidates the dry run lists.
const retentionPreview = 200

func (s *Server) renderRetention(w http.ResponseWriter, r *http.Request, status int, d admintpl.RetentionData, errs form.Errors) error {
	ctx := r.Context()
	policy, err := s.retention.Policy(ctx)
	if err != nil {
		return err
	}
	d.Policy = policy
	if d.Years == "" {
		d.Years = strconv.Itoa(policy.InactiveYears)
		d.Enabled = policy.Enabled
	}
	// The dry run shows the years asked for (?years=N), else the policy's.
	years, err := strconv.Atoi(r.URL.Query().Get("years"))
	if err != nil || years < retention.MinYears || years > retention.MaxYears {
		years = policy.InactiveYears
	}
	d.PreviewYears = years
	if d.Candidates, err = s.retention.Candidates(ctx, years, retentionPreview+1); err != nil {
		return err
	}
	if len(d.Candidates) > retentionPreview {
		d.Candidates, d.More = d.Candidates[:retentionPreview], true
	}
	p := s.page(r, "admin.retention", "")
	p.Title = p.T("retention.title")
	d.Errors = translate(p.Printer, errs)
	return s.render(w, r, status, admintpl.Retention(p, d))
}

// retentionPage shows the policy and the dry run: who would be anonymised
// now, and why. ?years=N previews another number of years.
func (s *Server) retentionPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderRetention(w, r, http.StatusOK, admintpl.RetentionData{}, nil)
}

func (s *Server) retentionSave(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	d := admintpl.RetentionData{Years: strings.TrimSpace(r.PostForm.Get("inactive_years")), Enabled: r.PostForm.Get("enabled") == "1"}
	years, err := strconv.Atoi(d.Years)
	if err != nil || years < retention.MinYears || years > retention.MaxYears {
		return s.renderRetention(w, r, http.StatusUnprocessableEntity, d, form.Of("inactive_years", "retention.err.years"))
	}
	if err := s.retention.SavePolicy(r.Context(), currentUser(r).ID, d.Enabled, years); errors.Is(err, retention.ErrYears) {
		return s.renderRetention(w, r, http.StatusUnprocessableEntity, d, form.Of("inactive_years", "retention.err.years"))
	} else if err != nil {
		return err
	}
	s.addFlash(r, "success", "retention.saved")
	return redirect(w, r, "/app/admin/retention")
}
