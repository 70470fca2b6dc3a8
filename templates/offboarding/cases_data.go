// Package offboarding renders the offboarding pages: the case list with
// "my open tasks", starting a case, the case with its checklist, exit
// interview and alumni invitation, and a school's graduating cohort.
package offboarding

import (
	"net/url"
	"strconv"
	"time"

	"alumnet/internal/i18n"
	"alumnet/internal/offboarding"
	"alumnet/templates/layout"
)

// ListData is the case list with its filters and the user's tasks.
type ListData struct {
	Cases    []offboarding.Case
	More     bool
	Next     string // the "after" cursor of the next page
	Tasks    []offboarding.Task
	Query    url.Values
	Status   string
	Overdue  bool
	Type     string
	UnitID   string
	Month    string
	Types    []layout.Option
	Units    []layout.Option
	Filtered bool
	Today    time.Time
}

// StartData is the form that starts a case (for a known person, or with a
// new person).
type StartData struct {
	PersonID   string
	PersonName string // a known person
	FirstName  string
	LastName   string
	Email      string
	Language   string
	Type       string
	UnitID     string
	Leaving    string
	ManagerID  string
	Types      []layout.Option
	Units      []layout.Option
	Managers   []layout.Option
	Errors     map[string]string
}

// CaseData is one case.
type CaseData struct {
	Case        offboarding.Case
	Interview   offboarding.ExitInterview
	HR          bool // may see and set rehire eligibility
	Assignees   []layout.Option
	InviteEmail string
	Errors      map[string]string // of the interview and invitation forms
	Today       time.Time
}

func id64(n int64) string { return strconv.FormatInt(n, 10) }

func caseURL(id int64) string { return "/app/offboarding/" + id64(id) }

func en(p layout.Page) bool { return p.Lang == i18n.EN }

// dueText says when an item is due, relative to today.
func dueText(p layout.Page, due, today time.Time) string {
	days := int(due.Sub(dateOnly(today)).Hours() / 24)
	switch {
	case days == 0:
		return p.T("offboarding.due.today")
	case days < 0:
		return p.T("offboarding.due.overdue", -days)
	case days == 1:
		return p.T("offboarding.due.tomorrow")
	}
	return p.T("offboarding.due.in", days)
}

func dateOnly(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func date(t time.Time) string { return t.Format("2006-01-02") }

func ptr(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func assigneeValue(it offboarding.Item) string {
	if it.AssigneeID == nil {
		return ""
	}
	return id64(*it.AssigneeID)
}
