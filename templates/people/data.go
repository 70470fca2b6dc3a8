// Package people renders the registry: the list with search and filters,
// the person page, and the create/edit form.
package people

import (
	"alumnet/internal/offboarding"
	"net/url"
	"strconv"
	"strings"

	"alumnet/internal/audit"
	"alumnet/internal/i18n"
	"alumnet/internal/people"
	"alumnet/templates/layout"
)

// ListData is the people list page.
type ListData struct {
	Filter people.Filter
	Result people.Result
	Query  url.Values
	Units  []layout.Option
	Tags   []string
}

// Filtered reports whether any search or filter is active.
func (d ListData) Filtered() bool {
	f := d.Filter
	return f.Q != "" || f.UnitID != 0 || f.Kind != "" || f.YearFrom != 0 || f.YearTo != 0 || f.LeavingReason != "" || f.Tag != ""
}

// ShowData is the person page.
type ShowData struct {
	Person       people.Person
	Timeline     []audit.Entry
	TimelineMore bool
	Units        []layout.Option
	Aff          people.AffiliationInput
	AffErrors    map[string]string
	Consent      ConsentData
	// Cases are the person's offboardings.
	Cases []offboarding.Case
}

// FormData is the create/edit form.
type FormData struct {
	ID  int64
	New bool
	// ProvedPrimary: the person proved their primary address; it is shown,
	// not edited (they change it in the portal).
	ProvedPrimary bool
	In            people.Input
	Version       int
	Aff           people.AffiliationInput
	RequireAff    bool
	Units         []layout.Option
	Errors        map[string]string
	// Saved is what another user saved meanwhile (edit conflict).
	Saved *people.Input
}

func tagOptions(tags []string) []layout.Option {
	out := make([]layout.Option, len(tags))
	for i, t := range tags {
		out[i] = layout.Option{Value: t, Label: t}
	}
	return out
}

func itoa(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func id64(n int64) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatInt(n, 10)
}

func personURL(id int64) string { return "/app/people/" + strconv.FormatInt(id, 10) }

// countText is the result count line.
func countText(p layout.Page, r people.Result) string {
	switch {
	case r.CountCapped():
		return p.T("people.count.capped", people.CountCap)
	case r.Count == 1:
		return p.T("people.count.one")
	}
	return p.T("people.count", r.Count)
}

// affSummary describes a list row's latest affiliation.
func affSummary(p layout.Page, r people.Row) string {
	if r.UnitName == nil {
		return ""
	}
	parts := []string{*r.UnitName}
	switch {
	case r.CohortYear != nil:
		parts = append(parts, strconv.Itoa(*r.CohortYear))
	case r.EndYear != nil:
		parts = append(parts, strconv.Itoa(*r.EndYear))
	default:
		parts = append(parts, p.T("people.current"))
	}
	return strings.Join(parts, " · ")
}

func period(p layout.Page, a people.Affiliation) string {
	start, end := layout.DatePtr(a.StartDate), layout.DatePtr(a.EndDate)
	switch {
	case start == "" && end == "":
		// Only a cohort year, or nothing known about the dates.
		if a.LeavingReason != nil {
			return "—"
		}
		return p.T("aff.now")
	case end == "" && a.LeavingReason == nil:
		end = p.T("aff.now")
	case end == "":
		end = "…"
	case start == "":
		start = "…"
	}
	return start + " – " + end
}

// sortHeader is a column header that sorts by key, toggling direction.
func sortURL(d ListData, key string) string {
	next := key
	if d.Result.Sort == key {
		next = "-" + key
	}
	return layout.WithParams("/app/people", d.Query, "sort", next, "after", "")
}

func sortIndicator(d ListData, key string) string {
	switch d.Result.Sort {
	case key:
		return " ▲"
	case "-" + key:
		return " ▼"
	}
	return ""
}

func ariaSort(d ListData, key string) string {
	switch d.Result.Sort {
	case key:
		return "ascending"
	case "-" + key:
		return "descending"
	}
	return "none"
}

// timelineText describes an audit entry on the person's timeline.
// timelineText names an entry in words: the timeline's own phrase, else
// the audit log's label of the action (never the raw key).
func timelineText(p layout.Page, e audit.Entry) string {
	for _, key := range []string{"timeline." + e.Action, "audit.action." + e.Action} {
		if i18n.Has(key) {
			return p.T(key)
		}
	}
	return e.Action
}

// changedFields lists the fields an update changed, translated.
func changedFields(p layout.Page, e audit.Entry) string {
	ch, ok := e.Details["changes"].(map[string]any)
	if !ok || len(ch) == 0 {
		return ""
	}
	var names []string
	for _, f := range fieldOrder {
		if _, ok := ch[f]; ok {
			names = append(names, p.T("field."+f))
		}
	}
	return p.T("timeline.changed", strings.Join(names, ", "))
}

var fieldOrder = []string{"first_name", "last_name", "primary_email", "other_emails", "phone", "city", "employer",
	"job_title", "sector", "linkedin_url", "language", "offers", "needs", "tags"}

func actor(p layout.Page, e audit.Entry) string {
	if e.ActorName == nil {
		return p.T("timeline.by", p.T("timeline.system"))
	}
	return p.T("timeline.by", *e.ActorName)
}

// savedDiffers returns the saved value of field when it differs from what
// the user typed (edit conflict), else "".
func savedDiffers(d FormData, field string) string {
	if d.Saved == nil {
		return ""
	}
	typed, saved := fieldValue(d.In, field), fieldValue(*d.Saved, field)
	if typed == saved {
		return ""
	}
	if saved == "" {
		return "—"
	}
	return saved
}

func fieldValue(in people.Input, field string) string {
	switch field {
	case "first_name":
		return in.FirstName
	case "last_name":
		return in.LastName
	case "primary_email":
		return in.PrimaryEmail
	case "other_emails":
		return strings.Join(in.OtherEmails, ", ")
	case "phone":
		return in.Phone
	case "city":
		return in.City
	case "employer":
		return in.Employer
	case "job_title":
		return in.JobTitle
	case "sector":
		return in.Sector
	case "linkedin_url":
		return in.LinkedInURL
	case "language":
		return in.Language
	case "tags":
		return strings.Join(in.Tags, ", ")
	case "offers":
		return strings.Join(in.Offers, ", ")
	case "needs":
		return strings.Join(in.Needs, ", ")
	}
	return ""
}

func formAction(d FormData) string {
	if d.New {
		return "/app/people"
	}
	return personURL(d.ID)
}

func cancelURL(d FormData) string {
	if d.New {
		return "/app/people"
	}
	return personURL(d.ID)
}
