// Package layout holds the page shells and the building blocks every page
// shares: navigation, flash messages, form fields, pagination, empty states.
package layout

import (
	"github.com/a-h/templ"
	"strings"

	"alumnet/internal/i18n"
)

// Flash is a one-time message shown at the top of the next page.
type Flash struct {
	Kind string // success, error, info, warning
	Text string
}

// User is the signed-in staff member as the layout shows them.
type User struct {
	ID   int64
	Name string
	Role string
}

// Alumnus is the person logged in to the portal, as the header shows them.
type Alumnus struct {
	ID   int64
	Name string
}

// IsAdmin reports whether the user may see the admin area.
func (u *User) IsAdmin() bool { return u != nil && u.Role == "admin" }

// Page is what every full page needs besides its own data.
type Page struct {
	i18n.Printer
	Title string
	Nav   string // the active navigation item
	User  *User
	// Alumnus is the person logged in to the portal (never together with User).
	Alumnus *Alumnus
	Flashes []Flash
	Asset   func(name string) string
	// Path is the current URL (path and query), where the language switch returns to.
	Path string
}

// Current returns "page" when item is the active navigation item, for aria-current.
func (p Page) Current(item string) string {
	if p.Nav == item {
		return "page"
	}
	return "false"
}

// CurrentArea returns "page" when the active item is in the area named by
// prefix (e.g. "admin."), for the header's link to that area.
func (p Page) CurrentArea(prefix string) string {
	if strings.HasPrefix(p.Nav, prefix) {
		return "page"
	}
	return "false"
}

// InputProps describes one labelled form input.
type InputProps struct {
	Name         string
	Label        string
	Type         string // text when empty
	Value        string
	Error        string
	Hint         string
	Required     bool
	Autocomplete string
	MaxLength    int
	Extra        templ.Attributes // further attributes, e.g. inputmode
}

// InputType returns the input's type, text by default.
func (f InputProps) InputType() string {
	if f.Type == "" {
		return "text"
	}
	return f.Type
}

// Option is one choice in a select or a set of checkboxes.
type Option struct {
	Value, Label string
}

// DescribedBy lists the ids of the error and hint that describe the input.
func (f InputProps) DescribedBy() string {
	switch {
	case f.Error != "" && f.Hint != "":
		return "e-" + f.Name + " h-" + f.Name
	case f.Error != "":
		return "e-" + f.Name
	}
	return "h-" + f.Name
}

// Options are the choices values, labelled by the catalogue keys
// prefix+value ("role." + "admin").
func Options(p i18n.Printer, prefix string, values []string) []Option {
	out := make([]Option, len(values))
	for i, v := range values {
		out[i] = Option{Value: v, Label: p.T(prefix + v)}
	}
	return out
}

// LangOptions are the languages of the app, each in its own name.
func LangOptions(p i18n.Printer) []Option {
	return Options(p, "lang.", []string{string(i18n.NL), string(i18n.EN)})
}

// Set is values as a set, for the checked boxes of Checkboxes.
func Set(values []string) map[string]bool {
	m := make(map[string]bool, len(values))
	for _, v := range values {
		m[v] = true
	}
	return m
}
