package server

import (
	"bytes"
	"net/http"

	"github.com/a-h/templ"

	"alumnet/internal/i18n"
	"alumnet/templates/layout"
)

// render writes a component with status. It renders into a buffer first so
// that a template error becomes a clean 500 rather than half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) error {
	var buf bytes.Buffer
	if err := c.Render(r.Context(), &buf); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := buf.WriteTo(w)
	return err
}

// isHTMX reports whether the request came from htmx and wants a fragment.
func isHTMX(r *http.Request) bool {
	return r.Header.Get("HX-Request") == "true" && r.Header.Get("HX-Boosted") != "true"
}

// page assembles what the layout needs for this request.
func (s *Server) page(r *http.Request, nav, title string) layout.Page {
	p := layout.Page{
		Printer: i18n.For(langOf(r)),
		Title:   title,
		Nav:     nav,
		Asset:   s.assets.URL,
		Path:    r.URL.RequestURI(),
		Flashes: s.popFlashes(r),
	}
	if u := currentUser(r); u != nil {
		p.User = &layout.User{ID: u.ID, Name: u.Name, Role: u.Role}
	}
	return p
}

// redirect answers a successful form post: 303 to target.
func redirect(w http.ResponseWriter, r *http.Request, target string) error {
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}
