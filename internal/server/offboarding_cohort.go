package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"alumnet/internal/form"
	"alumnet/internal/i18n"
	"alumnet/internal/offboarding"
	"alumnet/internal/sessions"
	offboardingtpl "alumnet/templates/offboarding"
)

// A graduating cohort at once: GET the form, POST a preview (nothing is
// written), POST the confirmation (graduate and invite), GET the summary.
// Staff and admins may pick any unit, coordinators their own units. The
// preview carries an uploaded CSV's rows to the confirmation in a hidden
// field, so the flow needs no JavaScript and no state on the server; the
// confirmation checks every row again, as a changed hidden field is no
// different from a new upload.

// cohortMaxBody bounds a request: the file (or its rows as JSON in the
// confirmation, which is somewhat larger) plus the other fields.
const cohortMaxBody = 3*offboarding.CohortMaxCSVBytes + 64<<10

// cohortSessionKey holds the last summary in the user's session, so that
// the confirmation can redirect (a reload does not graduate twice).
const cohortSessionKey = "cohort_report"

// cohortForm is the cohort form as typed.
type cohortForm struct {
	UnitID         string
	Year           string
	GraduationDate string
}

// Validate returns field → message key.
func (f cohortForm) Validate() form.Errors {
	errs := form.Errors{}
	if _, err := strconv.ParseInt(f.UnitID, 10, 64); err != nil {
		errs.Add("unit_id", "err.required")
	}
	if n, err := strconv.Atoi(f.Year); err != nil || n < 1900 || n > 2200 {
		errs.Add("year", "err.year")
	}
	if d, err := time.Parse(time.DateOnly, f.GraduationDate); err != nil || d.Year() < 1900 || d.Year() > 2200 {
		errs.Add("graduation_date", "err.date")
	}
	return errs
}

// request is the validated form as a cohort request.
func (f cohortForm) request() offboarding.CohortRequest {
	unitID, _ := strconv.ParseInt(f.UnitID, 10, 64)
	year, _ := strconv.Atoi(f.Year)
	date, _ := time.Parse(time.DateOnly, f.GraduationDate)
	return offboarding.CohortRequest{UnitID: unitID, Year: year, GraduationDate: date}
}

func readCohortForm(r *http.Request) cohortForm {
	return cohortForm{
		UnitID:         strings.TrimSpace(r.PostForm.Get("unit_id")),
		Year:           strings.TrimSpace(r.PostForm.Get("year")),
		GraduationDate: strings.TrimSpace(r.PostForm.Get("graduation_date")),
	}
}

// cohortFormData fills the form page's data; msgs are translated messages per field.
func (s *Server) cohortFormData(r *http.Request, f cohortForm, msgs map[string]string) (offboardingtpl.CohortFormData, error) {
	opts, err := s.scopedUnits(r, currentUser(r).Scope())
	if err != nil {
		return offboardingtpl.CohortFormData{}, err
	}
	return offboardingtpl.CohortFormData{Units: opts, UnitID: f.UnitID, Year: f.Year, GraduationDate: f.GraduationDate,
		Errors: msgs, MaxMB: offboarding.CohortMaxCSVBytes >> 20}, nil
}

// renderCohortForm shows the form with errs (field → message key, see translate).
func (s *Server) renderCohortForm(w http.ResponseWriter, r *http.Request, status int, f cohortForm, errs form.Errors) error {
	p := s.page(r, "offboarding", "")
	return s.renderCohortFormMsgs(w, r, status, f, translate(p.Printer, errs))
}

func (s *Server) renderCohortFormMsgs(w http.ResponseWriter, r *http.Request, status int, f cohortForm, msgs map[string]string) error {
	p := s.page(r, "offboarding", "")
	p.Title = p.T("cohort.title")
	d, err := s.cohortFormData(r, f, msgs)
	if err != nil {
		return err
	}
	return s.render(w, r, status, offboardingtpl.CohortForm(p, d))
}

// cohortNew shows the form: this year, graduating today.
func (s *Server) cohortNew(w http.ResponseWriter, r *http.Request) error {
	now := time.Now().In(i18n.Zone())
	return s.renderCohortForm(w, r, http.StatusOK, cohortForm{Year: strconv.Itoa(now.Year()), GraduationDate: now.Format(time.DateOnly)}, nil)
}

// cohortPreview reads the form (and the CSV, if one was uploaded) and
// shows what would happen, writing nothing. Rows with errors make a 422
// with the per-row report.
func (s *Server) cohortPreview(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, cohortMaxBody)
	var tooBig *http.MaxBytesError
	if err := r.ParseMultipartForm(cohortMaxBody); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		if errors.As(err, &tooBig) {
			return s.renderCohortForm(w, r, http.StatusUnprocessableEntity, readCohortForm(r),
				form.Errors{"file": {Key: "cohort.csv.too_big", N: offboarding.CohortMaxCSVBytes >> 20}})
		}
		return errBadRequest(err)
	}
	if r.MultipartForm != nil {
		defer func() { _ = r.MultipartForm.RemoveAll() }()
	}
	if err := parseForm(r); err != nil {
		return err
	}
	f := readCohortForm(r)
	pr := i18n.For(langOf(r))
	msgs := translate(pr, f.Validate())
	req := f.request()
	file, _, err := r.FormFile("file")
	switch {
	case errors.Is(err, http.ErrMissingFile), errors.Is(err, http.ErrNotMultipart):
	case err != nil:
		return errBadRequest(err)
	default:
		defer file.Close()
		req.FromCSV = true
		req.Rows, err = offboarding.ParseCohortCSV(file)
		var fe *offboarding.CohortFileError
		switch {
		case errors.As(err, &fe):
			msgs["file"] = pr.T(fe.Key, fe.Args...)
		case err != nil:
			return err
		}
	}
	if len(msgs) > 0 {
		return s.renderCohortFormMsgs(w, r, http.StatusUnprocessableEntity, f, msgs)
	}
	rep, err := s.offboarding.PlanCohort(r.Context(), currentUser(r).Scope(), req)
	switch {
	case errors.Is(err, offboarding.ErrUnitScope):
		return s.renderCohortForm(w, r, http.StatusUnprocessableEntity, f, form.Of("unit_id", "cohort.err.unit"))
	case errors.Is(err, offboarding.ErrCohortTooLarge):
		return s.renderCohortForm(w, r, http.StatusUnprocessableEntity, f,
			form.Errors{"unit_id": {Key: "cohort.err.too_large", N: offboarding.CohortMaxRows}})
	}
	if err != nil {
		return err
	}
	return s.renderCohortReport(w, r, f, req, rep)
}

// renderCohortReport shows a plan: 200 when it can be confirmed, 422 when
// rows have errors.
func (s *Server) renderCohortReport(w http.ResponseWriter, r *http.Request, f cohortForm, req offboarding.CohortRequest, rep offboarding.CohortReport) error {
	p := s.page(r, "offboarding", "")
	p.Title = p.T("cohort.preview.title")
	fd, err := s.cohortFormData(r, f, nil)
	if err != nil {
		return err
	}
	d := offboardingtpl.CohortReportData{Form: fd, Report: rep}
	if req.FromCSV {
		b, err := json.Marshal(req.Rows)
		if err != nil {
			return err
		}
		d.RowsJSON = string(b)
	}
	status := http.StatusOK
	if !rep.Valid() {
		status = http.StatusUnprocessableEntity
	}
	return s.render(w, r, status, offboardingtpl.CohortPreview(p, d))
}

// cohortConfirm graduates and invites the cohort of the preview. The plan
// is made again from the same inputs: with errors now (someone changed a
// record meanwhile) nothing is written and the preview returns.
func (s *Server) cohortConfirm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, cohortMaxBody)
	if err := parseForm(r); err != nil {
		return err
	}
	f := readCohortForm(r)
	if errs := f.Validate(); len(errs) > 0 {
		return s.renderCohortForm(w, r, http.StatusUnprocessableEntity, f, errs)
	}
	req := f.request()
	switch r.PostForm.Get("source") {
	case "registry":
	case "csv":
		req.FromCSV = true
		if err := json.Unmarshal([]byte(r.PostForm.Get("rows")), &req.Rows); err != nil || len(req.Rows) == 0 || len(req.Rows) > offboarding.CohortMaxRows {
			return s.renderCohortForm(w, r, http.StatusUnprocessableEntity, f, form.Of("file", "cohort.err.rows"))
		}
	default:
		return errBadRequest(errors.New("cohort: unknown source"))
	}
	u := currentUser(r)
	// Once started, a cohort runs to the end even if the browser goes away:
	// stopping halfway would leave some graduates uninvited.
	ctx := context.WithoutCancel(r.Context())
	rep, err := s.offboarding.GraduateCohort(ctx, u.Scope(), u.ID, req)
	switch {
	case errors.Is(err, offboarding.ErrUnitScope):
		return s.renderCohortForm(w, r, http.StatusUnprocessableEntity, f, form.Of("unit_id", "cohort.err.unit"))
	case errors.Is(err, offboarding.ErrCohortTooLarge):
		return s.renderCohortForm(w, r, http.StatusUnprocessableEntity, f,
			form.Errors{"unit_id": {Key: "cohort.err.too_large", N: offboarding.CohortMaxRows}})
	case errors.Is(err, offboarding.ErrCohortInvalid):
		return s.renderCohortReport(w, r, f, req, rep)
	case err != nil && !rep.Done:
		return err
	case err != nil:
		// Everything is written; only the closing audit entry failed.
		s.log.Error("cohort audit", "unit_id", req.UnitID, "err", err)
	}
	for _, e := range rep.Entries {
		if e.Err != nil {
			s.log.Error("cohort graduate", "unit_id", req.UnitID, "person_id", e.PersonID, "line", e.Line, "err", e.Err)
		}
	}
	b, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	sessions.Put(r.Context(), s.sessions, cohortSessionKey, b, cohortMentions(b)...)
	return redirect(w, r, "/app/offboarding/cohort/summary")
}

// cohortSummary shows the cohort this user just graduated, once: the
// report names people, so it leaves the session when it has been shown.
func (s *Server) cohortSummary(w http.ResponseWriter, r *http.Request) error {
	var rep offboarding.CohortReport
	b := sessions.Pop(r.Context(), s.sessions, cohortSessionKey)
	if b == nil || json.Unmarshal(b, &rep) != nil {
		return redirect(w, r, "/app/offboarding/cohort")
	}
	p := s.page(r, "offboarding", "")
	p.Title = p.T("cohort.summary.title")
	return s.render(w, r, http.StatusOK, offboardingtpl.CohortSummary(p, offboardingtpl.CohortReportData{Report: rep}))
}

// cohortMentions are the people a cohort report in the session names.
func cohortMentions(b []byte) []int64 {
	var rep offboarding.CohortReport
	if json.Unmarshal(b, &rep) != nil {
		return nil
	}
	var ids []int64
	for _, e := range rep.Entries {
		if e.PersonID != 0 {
			ids = append(ids, e.PersonID)
		}
	}
	return ids
}
