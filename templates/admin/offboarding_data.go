package admin

import (
	"net/url"

	"alumnet/internal/i18n"
	"alumnet/internal/offboarding"
)

// OffboardingTypesData is the list of departure types with the size of
// their checklists.
type OffboardingTypesData struct {
	Types  []offboarding.DepartureType
	Counts map[string]offboarding.ItemCount // by type key; missing means none
}

// TypeGroup is the departure types of one audience.
type TypeGroup struct {
	Audience string
	Types    []offboarding.DepartureType
}

// Groups splits the types by audience (employers, then schools), each in
// the list's order; an audience without types is left out.
func (d OffboardingTypesData) Groups() []TypeGroup {
	var out []TypeGroup
	for _, a := range offboarding.Audiences {
		g := TypeGroup{Audience: a}
		for _, t := range d.Types {
			if t.Audience == a {
				g.Types = append(g.Types, t)
			}
		}
		if len(g.Types) > 0 {
			out = append(out, g)
		}
	}
	return out
}

// DepartureTypeFormData is the create (Type.Key == "") or edit form of a
// departure type, with what was typed.
type DepartureTypeFormData struct {
	Type      offboarding.DepartureType // as saved
	In        offboarding.DepartureType // as typed
	SortOrder string                    // as typed
	Errors    map[string]string
}

// New reports whether the form creates a departure type.
func (d DepartureTypeFormData) New() bool { return d.Type.Key == "" }

// ChecklistData is the checklist of one departure type.
type ChecklistData struct {
	Type     offboarding.DepartureType
	Items    []offboarding.TemplateItem // active, in order
	Archived []offboarding.TemplateItem
}

// HasInvitation reports whether the checklist has an alumni invitation step.
func (d ChecklistData) HasInvitation() bool {
	for _, it := range d.Items {
		if it.Kind == offboarding.KindAlumniInvitation {
			return true
		}
	}
	return false
}

// ChecklistItemFormData is the create (Item.ID == 0) or edit form of a
// checklist item, with what was typed.
type ChecklistItemFormData struct {
	Type offboarding.DepartureType
	Item offboarding.TemplateItem // as saved
	In   offboarding.TemplateItem // as typed
	// The due offset as typed: a number of days and before, on or after
	// the leaving date.
	Days   string
	When   string
	Errors map[string]string
}

// New reports whether the form creates an item.
func (d ChecklistItemFormData) New() bool { return d.Item.ID == 0 }

// OffsetWhens are the choices for the due offset, in form order.
var OffsetWhens = []string{"before", "on", "after"}

// OffsetWords says a due offset in words: "14 dagen vóór vertrek", "op de
// vertrekdatum", "7 dagen na vertrek".
func OffsetWords(p i18n.Printer, days int) string {
	switch {
	case days == -1:
		return p.T("offboarding.admin.offset.before.one")
	case days < 0:
		return p.T("offboarding.admin.offset.before", -days)
	case days == 1:
		return p.T("offboarding.admin.offset.after.one")
	case days > 0:
		return p.T("offboarding.admin.offset.after", days)
	}
	return p.T("offboarding.admin.offset.on")
}

// ItemCountWords says how many steps a checklist has and how many of them
// are required.
func ItemCountWords(p i18n.Printer, c offboarding.ItemCount) string {
	switch c.Items {
	case 0:
		return p.T("offboarding.admin.items_count.none")
	case 1:
		return p.T("offboarding.admin.items_count.one", c.Required)
	}
	return p.T("offboarding.admin.items_count", c.Items, c.Required)
}

// otherTitle is an item's title in the language the page is not in.
func otherTitle(p i18n.Printer, it offboarding.TemplateItem) (lang, title string) {
	if p.Lang == i18n.EN {
		return "nl", it.TitleNL
	}
	return "en", it.TitleEN
}

func offboardingTypeURL(key string) string {
	return "/app/admin/offboarding/types/" + url.PathEscape(key)
}

func offboardingItemURL(id int64) string { return "/app/admin/offboarding/items/" + id64(id) }

func departureTypeFormAction(d DepartureTypeFormData) string {
	if d.New() {
		return "/app/admin/offboarding"
	}
	return offboardingTypeURL(d.Type.Key)
}

func checklistItemFormAction(d ChecklistItemFormData) string {
	if d.New() {
		return offboardingTypeURL(d.Type.Key) + "/items"
	}
	return offboardingItemURL(d.Item.ID)
}

func itemAnchor(id int64) string { return "item-" + id64(id) }
