package server

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"alumnet/internal/portal"
)

// maxBulkInvite caps how many invitations one "invite everyone in this
// list" sends; a second click continues with the rest (those invited are
// skipped for a week).
const maxBulkInvite = 1000

// maxBulkScan bounds how many people one click looks at.
const maxBulkScan = 20000

// personInvite sends one person the invitation to the portal.
func (s *Server) personInvite(w http.ResponseWriter, r *http.Request) error {
	person, err := s.livePerson(r)
	if err != nil {
		return err
	}
	ok, err := s.portal.Invite(r.Context(), currentUser(r).ID, person.ID)
	if errors.Is(err, portal.ErrCaution) {
		s.addPersonFlash(r, person.ID, "warning", "invite.skipped.caution", person.Name())
		return redirect(w, r, "/app/people/"+strconv.FormatInt(person.ID, 10))
	}
	if errors.Is(err, portal.ErrJoined) {
		s.addPersonFlash(r, person.ID, "warning", "invite.skipped.joined", person.Name())
		return redirect(w, r, "/app/people/"+strconv.FormatInt(person.ID, 10))
	}
	if err != nil {
		return err
	}
	switch {
	case ok:
		s.addPersonFlash(r, person.ID, "success", "invite.sent", person.Name())
	case person.PrimaryEmail() == "":
		s.addPersonFlash(r, person.ID, "warning", "invite.skipped.no_email", person.Name())
	default:
		s.addPersonFlash(r, person.ID, "warning", "invite.skipped.recent", person.Name())
	}
	return redirect(w, r, "/app/people/"+strconv.FormatInt(person.ID, 10))
}

// peopleInvite invites everyone in the filtered list (within the user's
// scope) who has an address and was not invited this week.
func (s *Server) peopleInvite(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
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
	for invited < maxBulkInvite && invited+skipped < maxBulkScan {
		res, err := s.people.List(r.Context(), u.Scope(), f)
		if err != nil {
			return err
		}
		for _, row := range res.Rows {
			if invited >= maxBulkInvite {
				break
			}
			ok, err := s.portal.Invite(r.Context(), u.ID, row.ID)
			if errors.Is(err, portal.ErrCaution) || errors.Is(err, portal.ErrJoined) {
				ok, err = false, nil
			}
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

// eraseReasons are how an erasure request can come in.
var eraseReasons = []string{"request_email", "request_letter", "request_phone", "request_portal", "representative", "other"}

// referenceRE is a case reference: letters, digits and . / -, with a digit.
var referenceRE = regexp.MustCompile(`^(?i)[a-z0-9./-]*[0-9][a-z0-9./-]*$`)
