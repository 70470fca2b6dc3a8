package server

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"alumnet/internal/audit"
	"alumnet/internal/form"
	"alumnet/internal/i18n"
	admintpl "alumnet/templates/admin"
	"alumnet/templates/layout"
)

// auditPageSize is how many entries one page of the audit log shows.
const auditPageSize = 50

func (s *Server) auditList(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := r.URL.Query()
	d := admintpl.AuditData{Query: q, UserID: q.Get("user"), PersonID: q.Get("person"), Action: q.Get("action"),
		From: q.Get("from"), To: q.Get("to")}
	d.Filtered = d.UserID != "" || d.PersonID != "" || d.Action != "" || d.From != "" || d.To != ""

	actions := auditActions()
	users, err := s.users.Users(ctx)
	if err != nil {
		return err
	}
	all, err := s.units.All(ctx, true)
	if err != nil {
		return err
	}
	d.UnitNames = make(map[int64]string, len(all))
	for _, u := range all {
		d.UnitNames[u.ID] = u.Name
	}
	p := s.page(r, "admin.audit", "")
	p.Title = p.T("audit.title")
	for _, a := range actions {
		d.Actions = append(d.Actions, layout.Option{Value: a, Label: admintpl.ActionLabel(p.Printer, a)})
	}
	for _, u := range users {
		d.Users = append(d.Users, layout.Option{Value: strconv.FormatInt(u.ID, 10), Label: u.Name})
	}

	f, errs := auditFilter(d, actions)
	f.BeforeID, _ = strconv.ParseInt(q.Get("before"), 10, 64)
	status := http.StatusOK
	if len(errs) > 0 {
		// Show no entries rather than entries that ignore part of the filter.
		status = http.StatusUnprocessableEntity
		d.Errors = translate(p.Printer, errs)
	} else if d.Entries, d.More, err = s.audit.List(ctx, f); err != nil {
		return err
	}
	return s.render(w, r, status, admintpl.Audit(p, d))
}

// auditActions lists the actions the app writes: those the catalogue names.
// (Reading them from the log would scan all of it on every page.)
func auditActions() []string {
	var actions []string
	for _, k := range i18n.Keys() {
		if a, ok := strings.CutPrefix(k, "audit.action."); ok {
			actions = append(actions, a)
		}
	}
	slices.Sort(actions)
	return actions
}

// auditFilter reads the filter form; errs has a message per bad field.
func auditFilter(d admintpl.AuditData, actions []string) (audit.Filter, form.Errors) {
	f := audit.Filter{Limit: auditPageSize}
	errs := form.Errors{}
	if d.UserID != "" {
		id, err := strconv.ParseInt(d.UserID, 10, 64)
		if err != nil || id <= 0 {
			errs.Add("user", "err.choice")
		}
		f.ActorID = id
	}
	if d.PersonID != "" {
		id, err := strconv.ParseInt(d.PersonID, 10, 64)
		if err != nil || id <= 0 {
			errs.Add("person", "audit.err.person")
		}
		f.PersonID = id
	}
	if d.Action != "" {
		if !slices.Contains(actions, d.Action) {
			errs.Add("action", "err.choice")
		}
		f.Action = d.Action
	}
	loc := i18n.Zone()
	if d.From != "" {
		t, err := time.ParseInLocation(time.DateOnly, d.From, loc)
		if err != nil {
			errs.Add("from", "err.date")
		}
		f.From = t
	}
	if d.To != "" {
		t, err := time.ParseInLocation(time.DateOnly, d.To, loc)
		if err != nil {
			errs.Add("to", "err.date")
		}
		f.To = t.AddDate(0, 0, 1) // the whole day: the filter's To is exclusive
	}
	if !errs.Has("from") && !errs.Has("to") && !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		errs.Add("to", "audit.err.range")
	}
	return f, errs
}
