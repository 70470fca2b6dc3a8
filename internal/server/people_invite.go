package server

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"alumnet/internal/auth"
	"alumnet/internal/portal"
)

// maxBulkInvite caps how many people one "invite everyone in this list"
// reaches; a larger list is invited in parts (the rest stays uninvited
// and a second click continues, as those invited skip for a week).
const maxBulkInvite = 1000

// personInvite sends one person the invitation to the portal.
func (s *Server) personInvite(w http.ResponseWriter, r *http.Request) error {
	person, err := s.personOrNotFound(r)
	if err != nil {
		return err
	}
	ok, err := s.portal.Invite(r.Context(), currentUser(r).ID, person.ID, s.portalMailer())
	if err != nil {
		return err
	}
	switch {
	case ok:
		s.addFlash(r, "success", "invite.sent", person.Name())
	case person.PrimaryEmail() == "":
		s.addFlash(r, "warning", "invite.skipped.no_email", person.Name())
	default:
		s.addFlash(r, "warning", "invite.skipped.recent", person.Name())
	}
	return redirect(w, r, "/app/people/"+strconv.FormatInt(person.ID, 10))
}

// peopleInvite invites everyone in the filtered list (within the user's
// scope) who has an address and was not invited this week.
func (s *Server) peopleInvite(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return errBadRequest(err)
	}
	u := currentUser(r)
	q := url.Values{}
	for _, k := range []string{"q", "kind", "reason", "tag", "unit", "from", "to"} {
		if v := strings.TrimSpace(r.PostForm.Get(k)); v != "" {
			q.Set(k, v)
		}
	}
	f := listFilter(q)
	f.Sort, f.Limit = "name", 200
	invited, skipped := 0, 0
	for invited+skipped < maxBulkInvite {
		res, err := s.people.List(r.Context(), u.Scope(), f)
		if err != nil {
			return err
		}
		for _, row := range res.Rows {
			if invited+skipped >= maxBulkInvite {
				break
			}
			ok, err := s.portal.Invite(r.Context(), u.ID, row.ID, s.portalMailer())
			if err != nil {
				return err
			}
			if ok {
				invited++
			} else {
				skipped++
			}
		}
		if res.Next == "" {
			break
		}
		f.After = res.Next
	}
	s.addFlash(r, "success", "invite.bulk", invited, skipped)
	return redirect(w, r, "/app/people?"+q.Encode())
}

// personErase carries out an erasure request on the person's behalf.
// Coordinators may not: erasure is for staff who handle such requests.
func (s *Server) personErase(w http.ResponseWriter, r *http.Request) error {
	u := currentUser(r)
	if u.Role == auth.RoleCoordinator {
		return errForbidden()
	}
	if err := r.ParseForm(); err != nil {
		return errBadRequest(err)
	}
	person, err := s.personOrNotFound(r)
	if err != nil {
		return err
	}
	reason := strings.TrimSpace(r.PostForm.Get("erase_reason"))
	if reason == "" || r.PostForm.Get("erase_confirm") != "1" {
		s.addFlash(r, "error", "erase.err.confirm")
		return redirect(w, r, "/app/people/"+strconv.FormatInt(person.ID, 10)+"#erase")
	}
	if len([]rune(reason)) > 500 {
		reason = string([]rune(reason)[:500])
	}
	err = s.portal.Erase(r.Context(), person.ID, portal.ErasedByStaff, u.ID, reason)
	if errors.Is(err, portal.ErrNotFound) {
		return errNotFound()
	}
	if err != nil {
		return err
	}
	s.addFlash(r, "success", "erase.done", person.ID)
	return redirect(w, r, "/app/people")
}
