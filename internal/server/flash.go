package server

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"

	"github.com/alexedwards/scs/v2"

	"alumnet/internal/i18n"
	"alumnet/internal/sessions"
	"alumnet/templates/layout"
)

// A flash is a one-time message for the next page ("Saved."). It waits in
// the session of whoever is signed in: the staff session, else the portal
// session. A visitor who is signed in to neither gets it in a short-lived
// cookie instead, as a catalogue key only: an anonymous request never
// creates a session row, and a cookie cannot put text of its own on a page.
// A message that names a person is stored as naming them (sessions.Put):
// an erasure of the person removes it.
type flash struct {
	Kind string `json:"kind"`
	Text string `json:"text"`
}

// cookieFlash is a flash in the cookie: a kind and a catalogue key.
type cookieFlash struct {
	Kind string `json:"k"`
	Key  string `json:"m"`
}

const (
	flashKey        = "flash"
	flashCookieName = "alumnet_flash"
)

// flashKinds are the styles a flash can have.
var flashKinds = []string{"success", "info", "warning", "error"}

// addFlash queues a message (catalogue key with args) for the next page,
// translated into the language of this request.
func (s *Server) addFlash(r *http.Request, kind, key string, args ...any) {
	s.addPersonFlash(r, 0, kind, key, args...)
}

// addPersonFlash is addFlash for a message that names person personID.
func (s *Server) addPersonFlash(r *http.Request, personID int64, kind, key string, args ...any) {
	ctx := r.Context()
	if sm := s.flashSession(ctx); sm != nil {
		fs := readFlashes(sm.GetBytes(ctx, flashKey))
		fs = append(fs, flash{Kind: kind, Text: i18n.For(langOf(r)).T(key, args...)})
		b, _ := json.Marshal(fs)
		sessions.Put(ctx, sm, flashKey, b, personID)
		return
	}
	if p, ok := ctx.Value(ctxFlashCookie).(*pendingFlashes); ok && len(args) == 0 {
		p.add = append(p.add, cookieFlash{Kind: kind, Key: key})
	}
}

// flashSession is the session a flash waits in: the staff session when a
// user is signed in, else the portal session of a signed-in alumnus, else
// none.
func (s *Server) flashSession(ctx context.Context) *scs.SessionManager {
	if loaded(s.sessions, ctx) && s.sessions.GetInt64(ctx, sessions.UserKey) != 0 {
		return s.sessions
	}
	if loaded(s.portalSessions, ctx) && s.portalSessions.GetInt64(ctx, sessions.PersonKey) != 0 {
		return s.portalSessions
	}
	return nil
}

func readFlashes(b []byte) []flash {
	var fs []flash
	if b != nil {
		_ = json.Unmarshal(b, &fs)
	}
	return fs
}

// popFlashes takes the waiting messages out of both sessions and the cookie.
func (s *Server) popFlashes(r *http.Request) []layout.Flash {
	ctx := r.Context()
	var out []layout.Flash
	for _, sm := range []*scs.SessionManager{s.sessions, s.portalSessions} {
		if !loaded(sm, ctx) || sm.GetBytes(ctx, flashKey) == nil {
			continue
		}
		for _, f := range readFlashes(sessions.Pop(ctx, sm, flashKey)) {
			out = append(out, layout.Flash{Kind: f.Kind, Text: f.Text})
		}
	}
	if p, ok := ctx.Value(ctxFlashCookie).(*pendingFlashes); ok {
		pr := i18n.For(langOf(r))
		for _, f := range p.received {
			out = append(out, layout.Flash{Kind: f.Kind, Text: pr.T(f.Key)})
		}
		p.shown = len(p.received) > 0
	}
	return out
}

// loaded reports whether sm's middleware ran for this request (scs panics
// on a session that was not loaded).
func loaded(sm *scs.SessionManager, ctx context.Context) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	sm.Status(ctx)
	return true
}

// sessionLoaded guards session access on paths served without the session
// middleware.
func (s *Server) sessionLoaded(r *http.Request) bool { return loaded(s.sessions, r.Context()) }

// pendingFlashes carries the cookie flashes of one request: those that came
// in, whether they were shown, and those to send out.
type pendingFlashes struct {
	received []cookieFlash
	shown    bool
	add      []cookieFlash
}

// flashCookies reads the flash cookie into the request and writes it back
// (or clears it) before the response's header goes out.
func (s *Server) flashCookies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := &pendingFlashes{}
		if c, err := r.Cookie(flashCookieName); err == nil {
			p.received = parseFlashCookie(c.Value)
		}
		fw := &flashWriter{ResponseWriter: w, p: p, s: s}
		next.ServeHTTP(fw, r.WithContext(context.WithValue(r.Context(), ctxFlashCookie, p)))
		fw.writeCookie()
	})
}

// parseFlashCookie accepts only known kinds and catalogue keys.
func parseFlashCookie(v string) []cookieFlash {
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || len(b) > 1024 {
		return nil
	}
	var in []cookieFlash
	if json.Unmarshal(b, &in) != nil {
		return nil
	}
	var out []cookieFlash
	for _, f := range in {
		if slices.Contains(flashKinds, f.Kind) && i18n.Has(f.Key) && len(out) < 5 {
			out = append(out, f)
		}
	}
	return out
}

type flashWriter struct {
	http.ResponseWriter
	p       *pendingFlashes
	s       *Server
	written bool
}

// writeCookie sets the cookie to what waits for the next page: the new
// flashes, and those received but not shown yet (a redirect in between).
func (w *flashWriter) writeCookie() {
	if w.written {
		return
	}
	w.written = true
	keep := w.p.add
	if !w.p.shown {
		keep = append(slices.Clone(w.p.received), keep...)
	}
	c := &http.Cookie{Name: flashCookieName, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: w.s.cfg.SecureCookies()}
	switch {
	case len(keep) > 0:
		b, _ := json.Marshal(keep)
		c.Value, c.MaxAge = base64.RawURLEncoding.EncodeToString(b), 300
	case len(w.p.received) > 0:
		c.MaxAge = -1
	default:
		return
	}
	http.SetCookie(w.ResponseWriter, c)
}

func (w *flashWriter) WriteHeader(code int) {
	w.writeCookie()
	w.ResponseWriter.WriteHeader(code)
}

func (w *flashWriter) Write(b []byte) (int, error) {
	w.writeCookie()
	return w.ResponseWriter.Write(b)
}

func (w *flashWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
