package admin

import (
	"strings"

	"alumnet/internal/consent"
)

// PurposesData is the list of consent purposes.
type PurposesData struct {
	Purposes []consent.Purpose
}

// PurposeFormData is the create (Purpose.ID == 0) or edit form of a
// purpose, with what was typed.
type PurposeFormData struct {
	Purpose   consent.Purpose // the purpose as saved
	In        consent.PurposeInput
	SortOrder string // as typed
	Errors    map[string]string
	// Message is a refusal of the form as a whole (someone else saved a
	// new version meanwhile).
	Message string
}

// New reports whether the form creates a purpose.
func (d PurposeFormData) New() bool { return d.Purpose.ID == 0 }

// PurposeVersionsData lists every text version of a purpose.
type PurposeVersionsData struct {
	Purpose  consent.Purpose
	Versions []consent.Text
}

func purposeURL(id int64) string { return "/app/admin/purposes/" + id64(id) }

func purposeFormAction(d PurposeFormData) string {
	if d.New() {
		return "/app/admin/purposes"
	}
	return purposeURL(d.Purpose.ID)
}

// Paragraphs splits a text into its non-empty lines, each shown as a
// paragraph.
func Paragraphs(text string) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}
