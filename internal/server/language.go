package server

// The language of a page: negotiated once per request (a signed-in
// user's or alumnus' preference, the visitor's choice with the switch,
// the browser's languages), kept in the request's context, and changed
// for pages about someone who has a language of their own.

import (
	"context"
	"net/http"

	"alumnet/internal/auth"
	"alumnet/internal/i18n"
)

func contextWithLang(r *http.Request, l i18n.Lang) context.Context {
	return context.WithValue(r.Context(), ctxLang, l)
}

func langOf(r *http.Request) i18n.Lang {
	if l, ok := r.Context().Value(ctxLang).(i18n.Lang); ok {
		return l
	}
	return negotiate(r, "")
}

// setLanguage stores the language choice: on the account when signed in,
// in a cookie otherwise (and always, so the login page follows it).
func (s *Server) setLanguage(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	lang, ok := i18n.Parse(r.PostForm.Get("lang"))
	if !ok {
		return errBadRequest(nil)
	}
	s.setLangCookie(w, lang)
	if u := currentUser(r); u != nil {
		if err := s.users.SetLanguage(r.Context(), u.ID, string(lang)); err != nil {
			return err
		}
	}
	return redirect(w, r, safeNext(r.PostForm.Get("return"), "/"))
}

// inUserLanguage serves the set-password pages in the language the invited
// user was given, unless the visitor chose one with the switch.
func inUserLanguage(r *http.Request, u auth.User) *http.Request {
	if currentUser(r) != nil {
		return r
	}
	return inLanguage(r, u.Language)
}

// langChosen reports whether the visitor chose a language with the switch
// (which then wins over the language of whoever a page is about).
func langChosen(r *http.Request) bool {
	_, err := r.Cookie(i18n.CookieName)
	return err == nil
}

// inLanguage returns r speaking lang, unless the visitor chose a language
// or lang is none of the app's.
func inLanguage(r *http.Request, lang string) *http.Request {
	if l, ok := i18n.Parse(lang); ok && !langChosen(r) {
		return r.WithContext(contextWithLang(r, l))
	}
	return r
}

// setLangCookie remembers a language choice in the browser for a year.
func (s *Server) setLangCookie(w http.ResponseWriter, lang i18n.Lang) {
	http.SetCookie(w, &http.Cookie{Name: i18n.CookieName, Value: string(lang), Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.cfg.SecureCookies()})
}

// negotiate picks the language for a request: preference (a signed-in
// user's or an alumnus' stored language) first, then the visitor's choice
// with the switch, the browser's languages, the organisation default.
func negotiate(r *http.Request, preference string) i18n.Lang {
	cookie := ""
	if c, err := r.Cookie(i18n.CookieName); err == nil {
		cookie = c.Value
	}
	return i18n.Negotiate(preference, cookie, r.Header.Get("Accept-Language"))
}
