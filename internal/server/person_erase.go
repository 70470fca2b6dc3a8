package server

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"alumnet/internal/auth"
	"alumnet/internal/erasure"
)

// Erasing a person on staff's request (the right to erasure, AVG art. 17).

// personErase carries out an erasure request on the person's behalf.
// Coordinators may not: erasure is for staff who handle such requests.
func (s *Server) personErase(w http.ResponseWriter, r *http.Request) error {
	u := currentUser(r)
	if u.Role == auth.RoleCoordinator {
		return errForbidden()
	}
	if err := parseForm(r); err != nil {
		return err
	}
	person, err := s.personOrNotFound(r)
	if err != nil {
		return err
	}
	// The tombstone keeps why, never who: a reason from a list and a case
	// reference (with a digit, so not a name).
	reason := r.PostForm.Get("erase_reason")
	ref := strings.TrimSpace(r.PostForm.Get("erase_reference"))
	if !slices.Contains(eraseReasons, reason) || r.PostForm.Get("erase_confirm") != "1" || (ref != "" && !referenceRE.MatchString(ref)) {
		s.addFlash(r, "error", "erase.err.confirm")
		return redirect(w, r, "/app/people/"+strconv.FormatInt(person.ID, 10)+"#erase")
	}
	if ref != "" {
		reason += " " + ref
	}
	err = s.eraser.Erase(r.Context(), erasure.Request{PersonID: person.ID, By: erasure.ByStaff, StaffUserID: u.ID, Reason: reason})
	if errors.Is(err, erasure.ErrNotFound) {
		return errNotFound()
	}
	if err != nil {
		return err
	}
	s.addFlash(r, "success", "erase.done", person.ID)
	return redirect(w, r, "/app/people")
}
