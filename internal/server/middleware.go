package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"alumnet/internal/auth"
	"alumnet/internal/sessions"
)

type ctxKey int

const (
	ctxUser ctxKey = iota
	ctxLang
	ctxAlumnus
	ctxFlashCookie
	ctxBodyLimit
)

// statusWriter remembers the status for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests logs every request and turns panics into a 500 page. It logs
// the route pattern, not the path: paths carry one-time tokens and ids,
// queries carry search terms (personal data).
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "route", routeOf(r), "panic", v, "stack", string(debug.Stack()))
				if sw.status == 0 {
					s.errorPage(sw, r, http.StatusInternalServerError, "error.500")
				}
			}
			level := slog.LevelInfo
			if strings.HasPrefix(r.URL.Path, "/static/") || r.URL.Path == "/healthz" {
				level = slog.LevelDebug
			}
			s.log.Log(r.Context(), level, "request", "method", r.Method, "route", routeOf(r),
				"status", sw.status, "duration_ms", time.Since(start).Milliseconds())
		}()
		next.ServeHTTP(sw, r)
	})
}

// routeOf is the route pattern the request matched ("/portal/login/{token}"),
// or "-" when it matched none.
func routeOf(r *http.Request) string {
	if rc := chi.RouteContext(r.Context()); rc != nil {
		if p := rc.RoutePattern(); p != "" {
			return p
		}
	}
	return "-"
}

// checkRequest refuses, before any handler runs, what no page of the app
// sends: a body larger than any route takes (413), and a path or query
// with invalid encoding, invalid UTF-8 or a NUL byte (400). Bodies are cut
// off at maxBody when they turn out longer than announced.
func (s *Server) checkRequest(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > maxBody {
			s.errorPage(w, r, http.StatusRequestEntityTooLarge, "error.413")
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		}
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil || !cleanValues(q) || !cleanText(r.URL.Path) || len(r.URL.RawQuery) > maxQuery {
			s.errorPage(w, r, http.StatusBadRequest, "error.400")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// maxQuery bounds a URL's query string; the longest the app makes (a
// filtered list with its cursor) is a few hundred bytes.
const maxQuery = 4096

// securityHeaders sets the headers every response carries. Personal data
// may be on any page outside /static, so nothing else is cached: such a
// response carries one Cache-Control header, no-store, whatever else
// (the session manager) added. HSTS when the app is served over https.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	hsts := s.cfg.BaseURL != nil && s.cfg.BaseURL.Scheme == "https"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		if hsts {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		if strings.HasPrefix(r.URL.Path, "/static/") {
			next.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(&noStoreWriter{ResponseWriter: w}, r)
	})
}

// noStoreWriter leaves exactly one Cache-Control header, no-store, on the
// response when its header goes out.
type noStoreWriter struct {
	http.ResponseWriter
	done bool
}

func (w *noStoreWriter) fix() {
	if !w.done {
		w.done = true
		w.Header().Set("Cache-Control", "no-store")
	}
}

func (w *noStoreWriter) WriteHeader(code int) {
	w.fix()
	w.ResponseWriter.WriteHeader(code)
}

func (w *noStoreWriter) Write(b []byte) (int, error) {
	w.fix()
	return w.ResponseWriter.Write(b)
}

func (w *noStoreWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// crossOrigin refuses state-changing requests from other origins
// (http.CrossOriginProtection: Sec-Fetch-Site, else Origin against Host).
func (s *Server) crossOrigin(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	if s.cfg.BaseURL != nil {
		origin := s.cfg.BaseURL.Scheme + "://" + s.cfg.BaseURL.Host
		if err := cop.AddTrustedOrigin(origin); err != nil {
			s.log.Warn("trusted origin", "origin", origin, "err", err)
		}
	}
	// One-click unsubscribe (RFC 8058): mail programs POST from their own
	// servers; the signed token in the URL is the authority.
	cop.AddInsecureBypassPattern("POST /u/{token}")
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.errorPage(w, r, http.StatusForbidden, "error.403.csrf")
	}))
	return cop.Handler(next)
}

// loadUser puts the signed-in user (if any) and the language in the context.
// A deactivated user's session ends here.
func (s *Server) loadUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		var choice string
		if id := s.sessions.GetInt64(ctx, sessions.UserKey); id != 0 {
			u, err := s.users.UserByID(ctx, id)
			switch {
			case errors.Is(err, auth.ErrNotFound) || err == nil && (!u.Active() || s.sessions.GetInt(ctx, sessions.EpochKey) != u.SessionEpoch):
				_ = s.sessions.Destroy(ctx)
			case err != nil:
				s.fail(w, r, err)
				return
			default:
				ctx = context.WithValue(ctx, ctxUser, &u)
				choice = u.Language
			}
		}
		ctx = context.WithValue(ctx, ctxLang, negotiate(r, choice))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// currentUser returns the signed-in staff user, or nil.
func currentUser(r *http.Request) *auth.User {
	u, _ := r.Context().Value(ctxUser).(*auth.User)
	return u
}

// requireUser sends anonymous visitors to the login page, remembering where
// they wanted to go.
func (s *Server) requireUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if currentUser(r) == nil {
			if r.Method == http.MethodGet {
				s.addFlash(r, "info", "login.required")
			}
			target := "/login"
			if r.Method == http.MethodGet {
				target += "?next=" + url.QueryEscape(r.URL.RequestURI())
			}
			if r.Header.Get("HX-Request") == "true" {
				w.Header().Set("HX-Redirect", target)
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// requireRole refuses users without one of the roles with 403.
func (s *Server) requireRole(roles ...string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			u := currentUser(r)
			for _, role := range roles {
				if u != nil && u.Role == role {
					next.ServeHTTP(w, r)
					return
				}
			}
			s.errorPage(w, r, http.StatusForbidden, "error.403")
		})
	}
}

// safeNext returns target when it is a local path, else fallback: a login
// link must never send anyone to another site.
func safeNext(target, fallback string) string {
	if target == "" || !strings.HasPrefix(target, "/") || strings.HasPrefix(target, "//") || strings.HasPrefix(target, `/\`) {
		return fallback
	}
	if u, err := url.Parse(target); err != nil || u.Host != "" || u.Scheme != "" {
		return fallback
	}
	return target
}
