package server

import (
	"net/url"
	"strings"
	"testing"
)

// TestGarbageInQueryParameters: out-of-range numbers, broken cursors and
// values of the wrong type in the query of any list page give the page
// (ignoring or flagging the value) or a 400, never a 500.
func TestGarbageInQueryParameters(t *testing.T) {
	a := newTestApp(t)
	a.seedRegistry()
	admin := a.createUser("admin")
	coord := a.createUser("coordinator")
	pages := []string{"/app/people", "/app/offboarding", "/app/admin/audit", "/app/admin/deliveries", "/app/admin/outbox",
		"/app/admin/units", "/app/admin/retention", "/app/offboarding/new", "/app/people/new", "/login", "/register", "/portal/login"}
	params := []string{"q", "unit", "from", "to", "sort", "after", "before", "page", "kind", "reason", "tag", "status", "type", "month",
		"overdue", "person", "user", "action", "years", "archived", "parent", "next", "id", "limit"}
	values := []string{"-1", "99999999999999999999", "9223372036854775807", "-9223372036854775808", "NaN", "2026-13-45",
		"'; DROP TABLE persons; --", strings.Repeat("9", 400), "ő€😀"}
	for _, page := range pages {
		for _, p := range params {
			for _, v := range values {
				path := page + "?" + url.Values{p: {v}}.Encode()
				for _, who := range []string{"admin", "coordinator"} {
					u := &admin
					if who == "coordinator" {
						u = &coord
					}
					rec := a.do("GET", path, nil, u, nil)
					if rec.Code >= 500 {
						t.Errorf("%s GET %s: %d", who, path, rec.Code)
					}
				}
			}
		}
	}
}
