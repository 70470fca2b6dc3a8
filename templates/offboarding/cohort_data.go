package offboarding

import (
	"sort"
	"strconv"

	"alumnet/internal/form"
	"alumnet/internal/offboarding"
	"alumnet/templates/layout"
)

// CohortFormData is the form that starts a graduating cohort: unit, year,
// graduation date and optionally a CSV file.
type CohortFormData struct {
	Units          []layout.Option
	UnitID         string
	Year           string
	GraduationDate string
	// Errors are translated messages per field (unit_id, year,
	// graduation_date, file).
	Errors map[string]string
	MaxMB  int
}

// CohortReportData is the preview (Report.Done false) or the summary of
// a cohort.
type CohortReportData struct {
	Form   CohortFormData
	Report offboarding.CohortReport
	// RowsJSON carries the rows of an uploaded CSV from the preview to the
	// confirmation in a hidden field (the confirmation checks them again).
	RowsJSON string
}

// cohortOutcomeKey is the catalogue key of an entry's outcome: what will
// happen in the preview, what happened in the summary.
func cohortOutcomeKey(r offboarding.CohortReport, e offboarding.CohortEntry) string {
	if r.Done {
		return "cohort.outcome." + e.Outcome
	}
	return "cohort.plan." + e.Outcome
}

func cohortOutcomeBadge(outcome string) string {
	switch outcome {
	case offboarding.CohortInvite:
		return "badge"
	case offboarding.CohortError:
		return "badge badge-danger"
	case offboarding.CohortNoAddress, offboarding.CohortInvitedRecently:
		return "badge badge-warn"
	}
	return "badge badge-muted"
}

// cohortFieldLabels name the CSV fields in a row's error messages.
var cohortFieldLabels = map[string]string{
	"first_name": "person.first_name", "last_name": "person.last_name", "email": "cohort.col.email",
	"language": "cohort.col.language", "student_number": "cohort.col.student_number",
}

// cohortFieldErrors are a row's field errors as "Field: message", in a
// stable order.
func cohortFieldErrors(p layout.Page, errs form.Errors) []string {
	fields := make([]string, 0, len(errs))
	for f := range errs {
		fields = append(fields, f)
	}
	sort.Slice(fields, func(i, j int) bool { return cohortFieldOrder(fields[i]) < cohortFieldOrder(fields[j]) })
	out := make([]string, 0, len(fields))
	for _, f := range fields {
		out = append(out, p.T(cohortFieldLabels[f])+": "+p.Message(errs[f]))
	}
	return out
}

func cohortFieldOrder(f string) int {
	for i, g := range []string{"first_name", "last_name", "email", "language", "student_number"} {
		if f == g {
			return i
		}
	}
	return 99
}

// cohortCounts are the summary figures above the table, without zeros.
func cohortCounts(p layout.Page, r offboarding.CohortReport) []string {
	var out []string
	add := func(key string, n int) {
		if n > 0 {
			out = append(out, p.T(key, n))
		}
	}
	if r.Done {
		add("cohort.count.graduated", r.Graduating())
	} else {
		add("cohort.count.graduating", r.Graduating())
	}
	add("cohort.count.new", r.Created())
	for _, o := range []string{offboarding.CohortInvite, offboarding.CohortNoAddress, offboarding.CohortAlreadyAlumnus,
		offboarding.CohortInvitedRecently, offboarding.CohortError} {
		add("cohort.count."+o, r.Count(o))
	}
	return out
}

// cohortErrorRows is the number of entries with an error.
func cohortErrorRows(r offboarding.CohortReport) int { return r.Count(offboarding.CohortError) }

func cohortPersonURL(id int64) string { return "/app/people/" + strconv.FormatInt(id, 10) }

func cohortDate(r offboarding.CohortReport) string { return r.GraduationDate.Format("2006-01-02") }

func cohortLang(p layout.Page, lang string) string {
	if lang == "nl" || lang == "en" {
		return p.T("lang." + lang)
	}
	return lang
}

// cohortSource is the hidden "source" value of the confirmation.
func cohortSource(r offboarding.CohortReport) string {
	if r.FromCSV {
		return "csv"
	}
	return "registry"
}
