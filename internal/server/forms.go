package server

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"alumnet/internal/form"
	"alumnet/internal/i18n"
)

// translate turns validation results into messages in the page's language.
func translate(p i18n.Printer, errs form.Errors) map[string]string { return p.Errors(errs) }

func itoa(n int) string { return strconv.Itoa(n) }

// Body limits: a form is small; a route that takes an upload raises its
// own limit with bodyLimit. maxBody bounds every request, whatever route.
const (
	formBody = 64 << 10
	maxBody  = cohortMaxBody
)

// bodyLimit raises the body limit of the routes it wraps to n bytes.
func bodyLimit(n int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxBodyLimit, n)))
		})
	}
}

func limitOf(r *http.Request) int64 {
	if n, ok := r.Context().Value(ctxBodyLimit).(int64); ok {
		return n
	}
	return formBody
}

// parseForm parses the request's form within the route's body limit: a
// body that says it is larger is refused before a byte of it is read, one
// that turns out larger when read is cut off; both are a 413. Values no
// form sends (a NUL byte, invalid UTF-8) are a 400.
func parseForm(r *http.Request) error {
	limit := limitOf(r)
	if r.ContentLength > limit {
		return errTooLarge()
	}
	if r.Body != nil && r.PostForm == nil {
		r.Body = http.MaxBytesReader(nil, r.Body, limit)
	}
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return errTooLarge()
		}
		return errBadRequest(err)
	}
	if !cleanValues(r.Form) {
		return errBadRequest(errors.New("form: NUL byte or invalid UTF-8"))
	}
	return nil
}

// cleanValues reports whether every key and value is valid UTF-8 without
// NUL bytes (PostgreSQL refuses both in text).
func cleanValues(v url.Values) bool {
	for k, vs := range v {
		if !cleanText(k) {
			return false
		}
		for _, s := range vs {
			if !cleanText(s) {
				return false
			}
		}
	}
	return true
}

func cleanText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }
