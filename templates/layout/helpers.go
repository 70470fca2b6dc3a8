package layout

import (
	"net/http"
	"net/url"
	"strconv"
	"time"
)

func statusText(status int) string {
	return strconv.Itoa(status) + " " + http.StatusText(status)
}

// amsterdam is the organisation's time zone for displayed times.
var amsterdam = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		return time.UTC
	}
	return loc
}()

// DateTime formats a moment for display: 2026-03-14 09:30.
func DateTime(t time.Time) string { return t.In(amsterdam).Format("2006-01-02 15:04") }

// Date formats a date for display: 2026-03-14.
func Date(t time.Time) string { return t.In(amsterdam).Format("2006-01-02") }

// DatePtr formats an optional date, "" when nil.
func DatePtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format("2006-01-02")
}

// WithParams returns path?query with the given parameters set (an empty
// value removes one), for sort links and pagination.
func WithParams(path string, q url.Values, kv ...string) string {
	c := url.Values{}
	for k, v := range q {
		c[k] = append([]string(nil), v...)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			c.Del(kv[i])
		} else {
			c.Set(kv[i], kv[i+1])
		}
	}
	if len(c) == 0 {
		return path
	}
	return path + "?" + c.Encode()
}
