// Package admin renders the administrator's pages: users, units, the audit
// log and the dev outbox.
package admin

import (
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"alumnet/internal/audit"
	"alumnet/internal/auth"
	"alumnet/internal/i18n"
	"alumnet/internal/mail"
	"alumnet/internal/units"
	"alumnet/templates/layout"
)

// UnitNode is a unit with its children, for the indented tree.
type UnitNode struct {
	Unit     units.Unit
	Children []*UnitNode
}

// BuildTree nests units given in tree order (parents before children). A
// unit whose parent is not in the list becomes a root.
func BuildTree(list []units.Unit) []*UnitNode {
	byID := make(map[int64]*UnitNode, len(list))
	var roots []*UnitNode
	for _, u := range list {
		n := &UnitNode{Unit: u}
		byID[u.ID] = n
		if u.ParentID != nil {
			if parent, ok := byID[*u.ParentID]; ok {
				parent.Children = append(parent.Children, n)
				continue
			}
		}
		roots = append(roots, n)
	}
	return roots
}

// UsersData is the user list.
type UsersData struct {
	Users     []auth.User
	UnitNames map[int64]string
	Me        int64 // the signed-in admin
}

// UserFormData is the invitation form (New) or the edit form of User.
type UserFormData struct {
	New      bool
	User     auth.User // the user being edited
	Me       int64
	Email    string
	Name     string
	Role     string
	Language string
	HR       bool
	Units    map[string]bool // checked unit ids
	Tree     []*UnitNode
	Errors   map[string]string
	// Message is a refusal about the user as a whole (last admin, self).
	Message string
}

// UnitsData is the unit tree page.
type UnitsData struct {
	Tree         []*UnitNode
	ShowArchived bool
}

// UnitFormData is the create (Unit.ID == 0) or edit form.
type UnitFormData struct {
	Unit     units.Unit
	Name     string
	Kind     string
	ParentID string
	Parents  []layout.Option
	Errors   map[string]string
}

// New reports whether the form creates a unit.
func (d UnitFormData) New() bool { return d.Unit.ID == 0 }

// AuditData is the audit log page with its filters as typed.
type AuditData struct {
	Entries  []audit.Entry
	More     bool
	Query    url.Values
	Users    []layout.Option
	Actions  []layout.Option
	UserID   string
	PersonID string
	Action   string
	From     string
	To       string
	Errors   map[string]string
	Filtered bool
	// UnitNames name the units that entries refer to by id.
	UnitNames map[int64]string
}

// OutboxData is the list of stored mails.
type OutboxData struct {
	Messages []mail.Summary
	More     bool
	Before   int64
	// ViaSMTP says that new mail goes out through SMTP, not into this outbox.
	ViaSMTP bool
}

func id64(n int64) string { return strconv.FormatInt(n, 10) }

func userURL(id int64) string   { return "/app/admin/users/" + id64(id) }
func unitURL(id int64) string   { return "/app/admin/units/" + id64(id) }
func personURL(id int64) string { return "/app/people/" + id64(id) }
func outboxURL(id int64) string { return "/app/admin/outbox/" + id64(id) }

// Status is invited, active or deactivated.
func Status(u auth.User) string {
	switch {
	case !u.Active():
		return "deactivated"
	case !u.HasPassword():
		return "invited"
	}
	return "active"
}

func statusBadge(u auth.User) string {
	switch Status(u) {
	case "deactivated":
		return "badge badge-muted"
	case "invited":
		return "badge badge-warn"
	}
	return "badge"
}

func unitNames(d UsersData, u auth.User) string {
	names := make([]string, 0, len(u.UnitIDs))
	for _, id := range u.UnitIDs {
		if n, ok := d.UnitNames[id]; ok {
			names = append(names, n)
		}
	}
	return strings.Join(names, ", ")
}

func lastLogin(p layout.Page, u auth.User) string {
	if u.LastLoginAt == nil {
		return p.T("date.never")
	}
	return layout.DateTime(*u.LastLoginAt)
}

// ActionLabel translates an audit action, falling back to its raw name.
func ActionLabel(p i18n.Printer, action string) string {
	if key := "audit.action." + action; i18n.Has(key) {
		return p.T(key)
	}
	return action
}

// entityURL links an entry's entity where the admin area has a page for it.
func entityURL(e audit.Entry) string {
	if e.EntityID == nil {
		return ""
	}
	switch e.Entity {
	case "user":
		return userURL(*e.EntityID)
	case "unit":
		return unitURL(*e.EntityID)
	case "person":
		return personURL(*e.EntityID)
	case "consent_purpose":
		return purposeURL(*e.EntityID)
	case "checklist_item":
		return offboardingItemURL(*e.EntityID)
	}
	return ""
}

func entityLabel(p layout.Page, e audit.Entry) string {
	name := e.Entity
	if key := "audit.entity." + e.Entity; i18n.Has(key) {
		name = p.T(key)
	}
	if e.EntityID != nil {
		return name + " #" + id64(*e.EntityID)
	}
	return name
}

func actorName(p layout.Page, e audit.Entry) string {
	if e.ActorName == nil {
		return p.T("audit.system")
	}
	return *e.ActorName
}

// maxDetails caps the summary of an entry's details.
const maxDetails = 240

// DetailsSummary turns an entry's details into one short line: the changed
// fields for an update, else key: value pairs. Values of personal data are
// not repeated; field names are enough to find the change on the person's
// timeline.
func DetailsSummary(p i18n.Printer, e audit.Entry, unitNames map[int64]string) string {
	value := func(field string, v any) string { return detailValue(p, unitNames, e.Entity, field, v) }
	var parts []string
	if ch, ok := e.Details["changes"].(map[string]any); ok && len(ch) > 0 {
		names := make([]string, 0, len(ch))
		for _, f := range sortedKeys(ch) {
			label := fieldLabel(p, f)
			if e.PersonID == nil {
				if c, ok := ch[f].(map[string]any); ok {
					label += ": " + value(f, c["old"]) + " → " + value(f, c["new"])
				}
			}
			names = append(names, label)
		}
		parts = append(parts, p.T("audit.changed", strings.Join(names, "; ")))
	}
	for _, k := range sortedKeys(e.Details) {
		if v := e.Details[k]; k != "changes" && v != nil && v != "" {
			parts = append(parts, fieldLabel(p, k)+": "+value(k, v))
		}
	}
	s := strings.Join(parts, " · ")
	if r := []rune(s); len(r) > maxDetails {
		s = string(r[:maxDetails-1]) + "…"
	}
	return s
}

func fieldLabel(p i18n.Printer, f string) string {
	for _, key := range []string{"audit.field." + f, "field." + f} {
		if i18n.Has(key) {
			return p.T(key)
		}
	}
	return f
}

// valueKeys name the catalogue prefix that translates the coded values of
// a field, per entity.
var valueKeys = map[string]string{
	"affiliation.kind":             "kind.",
	"affiliation.leaving_reason":   "reason.",
	"unit.kind":                    "unitkind.",
	"user.role":                    "role.",
	"user.language":                "lang.",
	"user.reason":                  "audit.login_reason.",
	"consent.source":               "consent.source.",
	"consent_purpose.lawful_basis": "consent.basis.",

	// Offboarding checklist templates.
	"departure_type.audience":         "offboarding.audience.",
	"departure_type.leaving_reason":   "reason.",
	"checklist_item.responsible_role": "offboarding.role.",
	"checklist_item.kind":             "offboarding.kind.",
}

// unitFields hold unit ids (one, or a list).
var unitFields = map[string]bool{"unit_id": true, "parent_id": true, "units": true}

// detailValue renders a detail value: coded values translated, unit ids as
// names, lists of field names (a new person's filled-in fields) as labels.
func detailValue(p i18n.Printer, unitNames map[int64]string, entity, field string, v any) string {
	if unitFields[field] {
		name := func(x any) string {
			if f, ok := x.(float64); ok {
				if n, ok := unitNames[int64(f)]; ok {
					return n
				}
			}
			return scalar(x)
		}
		if list, ok := v.([]any); ok {
			if len(list) == 0 {
				return "—"
			}
			names := make([]string, len(list))
			for i, x := range list {
				names[i] = name(x)
			}
			return strings.Join(names, ", ")
		}
		return name(v)
	}
	if field == "fields" {
		if list, ok := v.([]any); ok {
			names := make([]string, 0, len(list))
			for _, f := range list {
				if s, ok := f.(string); ok {
					names = append(names, fieldLabel(p, s))
				}
			}
			return strings.Join(names, ", ")
		}
	}
	if prefix, ok := valueKeys[entity+"."+field]; ok {
		if s, ok := v.(string); ok && i18n.Has(prefix+s) {
			return p.T(prefix + s)
		}
	}
	return scalar(v)
}

func scalar(v any) string {
	switch x := v.(type) {
	case nil:
		return "—"
	case string:
		if x == "" {
			return "—"
		}
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case []any:
		s := make([]string, len(x))
		for i, e := range x {
			s[i] = scalar(e)
		}
		return "[" + strings.Join(s, ", ") + "]"
	}
	return "…"
}

func sortedKeys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

func headerNames(m mail.Stored) []string { return slices.Sorted(maps.Keys(m.Headers)) }

// segment is a piece of a plain-text mail: text, or a link.
type segment struct {
	Text string
	URL  bool
}

var urlRE = regexp.MustCompile(`https?://[^\s<>"]+`)

// linkify splits a plain-text mail into text and links, so that the links
// in a mail read in the outbox can be followed.
func linkify(text string) []segment {
	var out []segment
	last := 0
	for _, loc := range urlRE.FindAllStringIndex(text, -1) {
		end := loc[1]
		for end > loc[0] && strings.ContainsRune(".,;:!?)", rune(text[end-1])) {
			end--
		}
		if loc[0] > last {
			out = append(out, segment{Text: text[last:loc[0]]})
		}
		out = append(out, segment{Text: text[loc[0]:end], URL: true})
		last = end
	}
	if last < len(text) {
		out = append(out, segment{Text: text[last:]})
	}
	return out
}
