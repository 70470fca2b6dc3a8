// Package portal renders the public registration pages and the alumni
// portal: what alumni see of Alumnet.
package portal

import (
	"strconv"
	"time"

	"alumnet/internal/i18n"
	"alumnet/internal/portal"
	"alumnet/templates/layout"
)

// Purpose is a permission as the person is asked for it.
type Purpose struct {
	ID      int64
	TextID  int64
	Key     string
	Name    string
	Text    string
	Version int
	Granted bool
	Since   *time.Time
}

// HistoryRow is one of the person's own ledger rows.
type HistoryRow struct {
	At      time.Time
	Purpose string
	Granted bool
	Source  string
	ByYou   bool
	Version int
}

// RegisterData is the registration form as typed.
type RegisterData struct {
	FirstName, LastName, Email, Language, Kind, UnitID, FromYear, ToYear string
	Units                                                                []layout.Option
	Purposes                                                             []Purpose
	Checked                                                              map[string]bool
	Errors                                                               map[string]string
}

// MessageData is a page with a title and a text (and an optional link).
type MessageData struct {
	Title, Text string
	Kind        string // info, success, warning
	LinkURL     string
	LinkText    string
}

// ConfirmData is the page behind a link from a mail: a button that uses
// the link, because mail scanners open links but do not press buttons.
type ConfirmData struct {
	Title, Text, Button string
	Invalid             bool
	// Details and Purposes show what a registration confirms: the details
	// given and each permission ticked, with the text that was shown.
	Details  []layout.Option
	Purposes []Purpose
}

// LoginData is the portal login form.
type LoginData struct {
	Email  string
	Errors map[string]string
}

// HomeData is the portal's first page.
type HomeData struct {
	Profile  portal.Profile
	Stale    bool // details not confirmed for a year
	Granted  int
	Purposes int
}

// ProfileData is the profile form.
type ProfileData struct {
	In            portal.ProfileInput
	Email         string
	NewEmail      string
	HasEmployment bool
	Errors        map[string]string
	Offers, Needs []string
}

// PermissionsData is the permissions page.
type PermissionsData struct {
	Purposes []Purpose
	History  []HistoryRow
}

// InviteData is the page behind an invitation.
type InviteData struct {
	Invalid                       bool
	FirstName, LastName, Language string
	Email                         string
	Purposes                      []Purpose
	Checked                       map[string]bool
	Errors                        map[string]string
}

// UnsubscribeData is the page behind an unsubscribe link.
type UnsubscribeData struct {
	Invalid bool
	Purpose string
	Done    bool
}

func id64(n int64) string { return strconv.FormatInt(n, 10) }

func period(p i18n.Printer, a portal.ProfileAffiliation) string {
	from, to := "", ""
	if a.StartDate != nil {
		from = strconv.Itoa(a.StartDate.Year())
	}
	switch {
	case a.EndDate != nil:
		to = strconv.Itoa(a.EndDate.Year())
	case a.CohortYear != nil:
		to = strconv.Itoa(*a.CohortYear)
	}
	switch {
	case from != "" && to != "":
		return from + "–" + to
	case to != "":
		return to
	case from != "":
		return from + "–" + p.T("aff.now")
	}
	return ""
}
