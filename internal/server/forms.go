package server

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"alumnet/internal/i18n"
)

// translate turns validation results (field → catalogue key, optionally
// with a number argument after a "|", as in "err.too_long|100") into messages.
func translate(p i18n.Printer, errs map[string]string) map[string]string {
	out := make(map[string]string, len(errs))
	for k, v := range errs {
		if key, arg, ok := strings.Cut(v, "|"); ok {
			n, _ := strconv.Atoi(arg)
			out[k] = p.T(key, n)
			continue
		}
		out[k] = p.T(v)
	}
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }

func contextWithLang(r *http.Request, l i18n.Lang) context.Context {
	return context.WithValue(r.Context(), ctxLang, l)
}
