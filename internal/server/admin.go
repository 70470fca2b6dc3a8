package server

import "net/http"

// adminHome opens the admin area on its first screen.
func (s *Server) adminHome(w http.ResponseWriter, r *http.Request) error {
	return redirect(w, r, "/app/admin/users")
}
