package people

import (
	"strings"

	"alumnet/internal/consent"
	"alumnet/templates/layout"
)

// ConsentData is the permissions card on the person page: the standing per
// active purpose, the ledger's history, and the form to record a grant or
// withdrawal on the person's behalf.
type ConsentData struct {
	States  []consent.State
	History []consent.LedgerRow
	// Purposes are the choices of the form (the active purposes).
	Purposes []layout.Option
	Form     ConsentForm
	Errors   map[string]string
}

// ConsentForm is what staff typed into the record form.
type ConsentForm struct {
	PurposeID string
	Action    string // "grant" or "withdraw"
	Note      string
}

// ConsentActions are the choices of the form's action.
var ConsentActions = []string{"grant", "withdraw"}

func stateBadge(s consent.State) string {
	switch {
	case s.Allowed:
		return "badge"
	case s.Reason == consent.ReasonWithdrawn || s.Reason == consent.ReasonErased:
		return "badge badge-warn"
	}
	return "badge badge-muted"
}

func grantedKey(r consent.LedgerRow) string {
	if r.Granted {
		return "consent.history.granted"
	}
	return "consent.history.withdrawn"
}

// paragraphs splits a text into its non-empty lines.
func paragraphs(text string) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}
