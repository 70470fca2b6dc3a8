package server

import (
	"bytes"
	"encoding/json"
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

// addFlash queues a message (catalogue key with args) for the next page,
// translated into the language of this request.
func (s *Server) addFlash(r *http.Request, kind, key string, args ...any) {
	ctx := r.Context()
	var fs []layout.Flash
	if b := s.sessions.GetBytes(ctx, "flash"); b != nil {
		_ = json.Unmarshal(b, &fs)
	}
	fs = append(fs, layout.Flash{Kind: kind, Text: i18n.For(langOf(r)).T(key, args...)})
	b, _ := json.Marshal(fs)
	s.sessions.Put(ctx, "flash", b)
}

func (s *Server) popFlashes(r *http.Request) []layout.Flash {
	if !s.sessionLoaded(r) {
		return nil
	}
	b := s.sessions.PopBytes(r.Context(), "flash")
	if b == nil {
		return nil
	}
	var fs []layout.Flash
	_ = json.Unmarshal(b, &fs)
	return fs
}

// sessionLoaded guards session access on paths served without the session
// middleware (scs panics there).
func (s *Server) sessionLoaded(r *http.Request) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	s.sessions.Status(r.Context())
	return true
}

// redirect answers a successful form post: 303 to target.
func redirect(w http.ResponseWriter, r *http.Request, target string) error {
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}
