package server

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"alumnet/internal/audit"
	"alumnet/internal/auth"
	"alumnet/internal/form"
	"alumnet/internal/offboarding"
	"alumnet/internal/people"
	"alumnet/internal/portal"
	"alumnet/templates/layout"
	offboardingtpl "alumnet/templates/offboarding"
)

func today() time.Time { return offboarding.Today() }

func (s *Server) departureTypeOptions(r *http.Request) ([]layout.Option, map[string]offboarding.DepartureType, error) {
	types, err := s.offboarding.DepartureTypes(r.Context(), false)
	if err != nil {
		return nil, nil, err
	}
	lang := langOf(r)
	byKey := map[string]offboarding.DepartureType{}
	opts := make([]layout.Option, 0, len(types))
	for _, t := range types {
		byKey[t.Key] = t
		opts = append(opts, layout.Option{Value: t.Key, Label: t.Name(lang)})
	}
	return opts, byKey, nil
}

// assigneeOptions are the users tasks of a case in unitID can go to (see
// offboarding.Assignees).
func (s *Server) assigneeOptions(r *http.Request, unitID, keep int64) ([]layout.Option, error) {
	users, err := s.offboarding.Assignees(r.Context(), unitID, keep)
	if err != nil {
		return nil, err
	}
	opts := make([]layout.Option, 0, len(users))
	for _, u := range users {
		opts = append(opts, layout.Option{Value: strconv.FormatInt(u.ID, 10), Label: u.Name})
	}
	return opts, nil
}

// cursor of the case list: leaving date and id.
func encodeCaseCursor(c offboarding.Case) string {
	return base64.RawURLEncoding.EncodeToString([]byte(c.LeavingDate.Format(time.DateOnly) + "|" + strconv.FormatInt(c.ID, 10)))
}

func decodeCaseCursor(s string) (time.Time, int64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return time.Time{}, 0, false
	}
	d, id, ok := strings.Cut(string(b), "|")
	t, err1 := time.Parse(time.DateOnly, d)
	n, err2 := strconv.ParseInt(id, 10, 64)
	return t, n, ok && err1 == nil && err2 == nil
}

func (s *Server) offboardingList(w http.ResponseWriter, r *http.Request) error {
	u := currentUser(r)
	q := r.URL.Query()
	d := offboardingtpl.ListData{Query: q, Status: q.Get("status"), Overdue: q.Get("overdue") == "1", Type: q.Get("type"),
		UnitID: q.Get("unit"), Month: q.Get("month"), Today: today()}
	if d.Status != "closed" && d.Status != "cancelled" && d.Status != "all" {
		d.Status = "open"
	}
	f := offboarding.Filter{Status: d.Status, Overdue: d.Overdue, DepartureType: d.Type}
	f.UnitID, _ = strconv.ParseInt(d.UnitID, 10, 64)
	if _, ok := offboarding.ParseMonth(d.Month); ok {
		f.Month = d.Month
	}
	if t, id, ok := decodeCaseCursor(q.Get("after")); ok {
		f.AfterDate, f.AfterID = t, id
	}
	d.Filtered = d.Status != "open" || d.Overdue || d.Type != "" || f.UnitID != 0 || f.Month != ""
	var err error
	if d.Cases, d.More, err = s.offboarding.List(r.Context(), u.Scope(), f); err != nil {
		return err
	}
	if d.More && len(d.Cases) > 0 {
		d.Next = encodeCaseCursor(d.Cases[len(d.Cases)-1])
	}
	if d.Tasks, err = s.offboarding.MyTasks(r.Context(), u.Scope(), u.ID); err != nil {
		return err
	}
	if d.Types, _, err = s.departureTypeOptions(r); err != nil {
		return err
	}
	if d.Units, err = s.scopedUnits(r, u.Scope()); err != nil {
		return err
	}
	p := s.page(r, "offboarding", "")
	p.Title = p.T("offboarding.title")
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, http.StatusOK, offboardingtpl.List(p, d))
}

func (s *Server) renderStart(w http.ResponseWriter, r *http.Request, status int, d offboardingtpl.StartData, errs form.Errors) error {
	u := currentUser(r)
	var err error
	if d.Types, _, err = s.departureTypeOptions(r); err != nil {
		return err
	}
	if d.Units, err = s.scopedUnits(r, u.Scope()); err != nil {
		return err
	}
	if d.Managers, err = s.assigneeOptions(r, 0, 0); err != nil {
		return err
	}
	p := s.page(r, "offboarding", "")
	p.Title = p.T("offboarding.start.title")
	d.Errors = translate(p.Printer, errs)
	return s.render(w, r, status, offboardingtpl.Start(p, d))
}

func (s *Server) offboardingNew(w http.ResponseWriter, r *http.Request) error {
	d := offboardingtpl.StartData{Leaving: today().AddDate(0, 1, 0).Format(time.DateOnly), Language: string(langOf(r))}
	if raw := r.URL.Query().Get("person"); raw != "" {
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return errNotFound()
		}
		person, err := s.people.PersonByID(r.Context(), currentUser(r).Scope(), id)
		if errors.Is(err, people.ErrNotFound) {
			return errNotFound()
		}
		if err != nil {
			return err
		}
		if person.ErasedAt != nil {
			return errErased()
		}
		d.PersonID, d.PersonName = raw, person.Name()
		// The unit of the person's running affiliation, if any.
		for _, a := range person.Affiliations {
			if a.EndDate == nil {
				d.UnitID = strconv.FormatInt(a.UnitID, 10)
				break
			}
		}
	}
	return s.renderStart(w, r, http.StatusOK, d, nil)
}

// offboardingCreate starts a case, for a known person or a new one.
func (s *Server) offboardingCreate(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	u := currentUser(r)
	f := r.PostForm
	d := offboardingtpl.StartData{PersonID: f.Get("person_id"), FirstName: strings.TrimSpace(f.Get("first_name")), LastName: strings.TrimSpace(f.Get("last_name")),
		Email: strings.TrimSpace(f.Get("email")), Language: f.Get("language"), Type: f.Get("departure_type"), UnitID: f.Get("unit_id"), Leaving: f.Get("leaving_date"),
		ManagerID: f.Get("manager_id")}
	errs := form.Errors{}
	var personID int64
	if d.PersonID != "" {
		id, err := strconv.ParseInt(d.PersonID, 10, 64)
		if err != nil {
			return errNotFound()
		}
		person, err := s.people.PersonByID(r.Context(), u.Scope(), id)
		if errors.Is(err, people.ErrNotFound) {
			return errNotFound()
		}
		if err != nil {
			return err
		}
		personID, d.PersonName = id, person.Name()
	} else {
		in := people.Input{FirstName: d.FirstName, LastName: d.LastName, PrimaryEmail: d.Email, Language: d.Language}
		in.Normalize()
		if d.Language != "" && d.Language != "nl" && d.Language != "en" {
			errs.Add("language", "err.choice")
		}
		for k, v := range in.Validate() {
			switch k {
			case "first_name", "last_name":
				errs[k] = v
			case "primary_email":
				errs["email"] = v
			}
		}
	}
	_, types, err := s.departureTypeOptions(r)
	if err != nil {
		return err
	}
	if _, okType := types[d.Type]; !okType {
		errs.Add("departure_type", "err.choice")
	}
	unitID, err := strconv.ParseInt(d.UnitID, 10, 64)
	if err != nil || !s.unitAllowed(r, unitID) {
		errs.Add("unit_id", "err.choice")
	}
	leaving, err := time.Parse(time.DateOnly, d.Leaving)
	if err != nil {
		errs.Add("leaving_date", "err.date")
	}
	var managerID int64
	if d.ManagerID != "" {
		if managerID, err = strconv.ParseInt(d.ManagerID, 10, 64); err != nil {
			errs.Add("manager_id", "err.choice")
		}
	}
	if len(errs) > 0 {
		return s.renderStart(w, r, http.StatusUnprocessableEntity, d, errs)
	}
	start := offboarding.StartInput{PersonID: personID, DepartureType: d.Type, UnitID: unitID, LeavingDate: leaving, ManagerID: managerID}
	if personID == 0 {
		in := people.Input{FirstName: d.FirstName, LastName: d.LastName, PrimaryEmail: d.Email, Language: d.Language}
		in.Normalize()
		start.NewPerson = &in
	}
	caseID, err := s.offboarding.Start(r.Context(), u.Scope(), u.ID, start)
	switch {
	case errors.Is(err, people.ErrEmailTaken):
		return s.renderStart(w, r, http.StatusUnprocessableEntity, d, form.Of("email", "person.email_taken"))
	case errors.Is(err, offboarding.ErrAssignee):
		return s.renderStart(w, r, http.StatusUnprocessableEntity, d, form.Of("manager_id", "err.choice"))
	case errors.Is(err, offboarding.ErrAlreadyOpen):
		return s.renderStart(w, r, http.StatusUnprocessableEntity, d, form.Of("unit_id", "offboarding.err.already_open"))
	case errors.Is(err, offboarding.ErrUnitScope):
		return s.renderStart(w, r, http.StatusUnprocessableEntity, d, form.Of("unit_id", "aff.unit_scope"))
	case errors.Is(err, offboarding.ErrLeavingBeforeStart):
		return s.renderStart(w, r, http.StatusUnprocessableEntity, d, form.Of("leaving_date", "offboarding.err.before_start"))
	case errors.Is(err, offboarding.ErrNotFound):
		return errNotFound()
	case err != nil:
		return err
	}
	s.addFlash(r, "success", "offboarding.started")
	return redirect(w, r, "/app/offboarding/"+strconv.FormatInt(caseID, 10))
}

func caseID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		return 0, errNotFound()
	}
	return id, nil
}

// renderCase shows the case in the URL; typed says d.Interview holds what
// was typed (a refused interview form) rather than what is stored.
func (s *Server) renderCase(w http.ResponseWriter, r *http.Request, status int, d offboardingtpl.CaseData, typed bool) error {
	u := currentUser(r)
	id, err := caseID(r)
	if err != nil {
		return err
	}
	d.Case, err = s.offboarding.Case(r.Context(), u.Scope(), id)
	if errors.Is(err, offboarding.ErrNotFound) {
		return errNotFound()
	}
	if err != nil {
		return err
	}
	d.HR = offboarding.HR(*u)
	if !typed {
		if d.Interview, err = s.offboarding.InterviewOf(r.Context(), d.Case, d.HR); err != nil {
			return err
		}
	}
	if d.Assignees, err = s.assigneeOptions(r, d.Case.UnitID, 0); err != nil {
		return err
	}
	for _, it := range d.Case.Items {
		if it.AssigneeID != nil && it.AssigneeName != nil && !hasOption(d.Assignees, *it.AssigneeID) {
			d.Assignees = append(d.Assignees, layout.Option{Value: strconv.FormatInt(*it.AssigneeID, 10), Label: *it.AssigneeName})
		}
	}
	if d.InviteEmail == "" && d.Case.InvitationEmail != nil {
		d.InviteEmail = *d.Case.InvitationEmail
	}
	d.Today = today()
	if err := s.audit.Write(r.Context(), auditView(u.ID, d.Case)); err != nil {
		return err
	}
	p := s.page(r, "offboarding", "")
	p.Title = p.T("offboarding.case.title", d.Case.PersonName)
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, status, offboardingtpl.Show(p, d))
}

func (s *Server) offboardingShow(w http.ResponseWriter, r *http.Request) error {
	return s.renderCase(w, r, http.StatusOK, offboardingtpl.CaseData{}, false)
}

// caseAction runs a change on the case in the URL and maps the domain's
// errors to pages; on success it goes back to the case.
func (s *Server) caseAction(w http.ResponseWriter, r *http.Request, anchor string, do func(u *auth.User, id int64) error) error {
	if err := parseForm(r); err != nil {
		return err
	}
	u := currentUser(r)
	id, err := caseID(r)
	if err != nil {
		return err
	}
	err = do(u, id)
	switch {
	case errors.Is(err, offboarding.ErrNotFound):
		return errNotFound()
	case errors.Is(err, offboarding.ErrClosed):
		s.addFlash(r, "error", "offboarding.err.closed")
	case errors.Is(err, offboarding.ErrRequiredOpen):
		s.addFlash(r, "error", "offboarding.err.required_open")
	case errors.Is(err, offboarding.ErrLeavingBeforeStart):
		s.addFlash(r, "error", "offboarding.err.before_start")
	case err != nil:
		return err
	}
	return redirect(w, r, "/app/offboarding/"+strconv.FormatInt(id, 10)+anchor)
}

func (s *Server) offboardingItem(w http.ResponseWriter, r *http.Request) error {
	itemID, err := strconv.ParseInt(chi.URLParam(r, "item"), 10, 64)
	if err != nil {
		return errNotFound()
	}
	return s.caseAction(w, r, "#item-"+strconv.FormatInt(itemID, 10), func(u *auth.User, id int64) error {
		f := r.PostForm
		up := offboarding.ItemUpdate{Status: f.Get("status"), Note: f.Get("note")}
		if up.Status != "open" && up.Status != "done" && up.Status != "skipped" {
			return errBadRequest(nil)
		}
		if raw := f.Get("assignee_id"); raw != "" {
			aid, err := strconv.ParseInt(raw, 10, 64)
			if err != nil {
				return errBadRequest(err)
			}
			up.AssigneeID = aid
		}
		err := s.offboarding.UpdateItem(r.Context(), u.Scope(), u.ID, id, itemID, up)
		if errors.Is(err, offboarding.ErrAssignee) {
			return errBadRequest(err)
		}
		if err != nil {
			return err
		}
		s.addFlash(r, "success", "offboarding.item.saved")
		return nil
	})
}

func (s *Server) offboardingClose(w http.ResponseWriter, r *http.Request) error {
	return s.caseAction(w, r, "", func(u *auth.User, id int64) error {
		if err := s.offboarding.Close(r.Context(), u.Scope(), u.ID, id); err != nil {
			return err
		}
		s.addFlash(r, "success", "offboarding.closed")
		return nil
	})
}

func (s *Server) offboardingInterview(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	u := currentUser(r)
	f := r.PostForm
	x := offboarding.ExitInterview{Highlights: f.Get("highlights"), Improvements: f.Get("improvements"), Takeaways: f.Get("takeaways"),
		WouldRecommend: f.Get("would_recommend"), OpenToContact: f.Get("open_to_contact"), Rehire: f.Get("rehire"), RehireReason: f.Get("rehire_reason")}
	x.Normalize()
	if errs := x.Validate(offboarding.HR(*u)); len(errs) > 0 {
		p := s.page(r, "offboarding", "")
		return s.renderCase(w, r, http.StatusUnprocessableEntity, offboardingtpl.CaseData{Interview: x, Errors: translate(p.Printer, errs)}, true)
	}
	return s.caseAction(w, r, "#interview", func(u *auth.User, id int64) error {
		if err := s.offboarding.SaveInterview(r.Context(), u.Scope(), u.ID, id, x, offboarding.HR(*u)); err != nil {
			return err
		}
		s.addFlash(r, "success", "offboarding.interview.saved")
		return nil
	})
}

func (s *Server) offboardingInvite(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	u := currentUser(r)
	id, err := caseID(r)
	if err != nil {
		return err
	}
	email := strings.TrimSpace(r.PostForm.Get("invite_email"))
	sent, err := s.offboarding.Invite(r.Context(), u.Scope(), u.ID, id, email, r.PostForm.Get("confirm") == "1")
	fieldErr := map[error][2]string{
		offboarding.ErrBadEmail:      {"invite_email", "err.email"},
		offboarding.ErrEmailTaken:    {"invite_email", "offboarding.err.email_taken"},
		offboarding.ErrProvedAddress: {"invite_email", "offboarding.err.proved"},
		portal.ErrJoined:             {"invite_email", "offboarding.err.proved"},
		offboarding.ErrCautionNeeded: {"confirm", "offboarding.err.confirm"},
	}
	for e, fe := range fieldErr {
		if errors.Is(err, e) {
			p := s.page(r, "offboarding", "")
			return s.renderCase(w, r, http.StatusUnprocessableEntity, offboardingtpl.CaseData{InviteEmail: email,
				Errors: translate(p.Printer, form.Of(fe[0], fe[1]))}, false)
		}
	}
	switch {
	case errors.Is(err, offboarding.ErrNotFound):
		return errNotFound()
	case err != nil:
		return err
	case sent:
		var about int64
		if c, err := s.offboarding.Case(r.Context(), u.Scope(), id); err == nil {
			about = c.PersonID
		}
		s.addPersonFlash(r, about, "success", "offboarding.invite.done", email)
	default:
		s.addFlash(r, "warning", "offboarding.invite.skipped")
	}
	return redirect(w, r, "/app/offboarding/"+strconv.FormatInt(id, 10)+"#invitation")
}

func hasOption(opts []layout.Option, id int64) bool {
	v := strconv.FormatInt(id, 10)
	for _, o := range opts {
		if o.Value == v {
			return true
		}
	}
	return false
}

// auditView records that a staff member read a case (the exit interview
// is personal data).
func auditView(actorID int64, c offboarding.Case) audit.Record {
	return audit.Record{ActorID: actorID, Action: "offboarding.view", PersonID: c.PersonID, Entity: "offboarding", EntityID: c.ID}
}

func (s *Server) offboardingCancel(w http.ResponseWriter, r *http.Request) error {
	return s.caseAction(w, r, "", func(u *auth.User, id int64) error {
		if r.PostForm.Get("confirm") != "1" {
			s.addFlash(r, "error", "offboarding.cancel.confirm_needed")
			return nil
		}
		if err := s.offboarding.Cancel(r.Context(), u.Scope(), u.ID, id); err != nil {
			return err
		}
		s.addFlash(r, "success", "offboarding.cancelled")
		return nil
	})
}

func (s *Server) offboardingReschedule(w http.ResponseWriter, r *http.Request) error {
	return s.caseAction(w, r, "", func(u *auth.User, id int64) error {
		leaving, err := time.Parse(time.DateOnly, r.PostForm.Get("leaving_date"))
		if err != nil {
			s.addFlash(r, "error", "offboarding.reschedule.bad_date")
			return nil
		}
		if err := s.offboarding.Reschedule(r.Context(), u.Scope(), u.ID, id, leaving); err != nil {
			return err
		}
		s.addFlash(r, "success", "offboarding.rescheduled", leaving.Format(time.DateOnly))
		return nil
	})
}
