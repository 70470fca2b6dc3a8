// Package paths builds every address of the app in one place: templates
// link with it, handlers redirect with it, and mails put it after the base
// URL. The router (internal/server/routes.go) serves each one; a test
// there walks all of them through it.
package paths

import (
	"net/url"
	"strconv"
	"strings"
)

func id(n int64) string { return strconv.FormatInt(n, 10) }

// Public pages, and the links that staff get by mail.
const (
	Home           = "/"
	Health         = "/healthz"
	Static         = "/static/"
	Login          = "/login"
	Logout         = "/logout"
	Language       = "/lang"
	ForgotPassword = "/forgot-password"
)

// SetPassword is the link of an invitation or a password reset.
func SetPassword(token string) string { return "/set-password/" + token }

// UserEmailRevert is the "this was not me" link to a staff user's old address.
func UserEmailRevert(token string) string { return "/account/email-revert/" + token }

// Unsubscribe is the one-click unsubscribe link of a mail to an alumnus.
func Unsubscribe(token string) string { return "/u/" + token }

// The alumni's pages: registration, invitations and the portal.
const (
	Register             = "/register"
	PortalLogin          = "/portal/login"
	PortalLogout         = "/portal/logout"
	Portal               = "/portal"
	PortalConfirmDetails = "/portal/confirm-details"
	PortalProfile        = "/portal/profile"
	PortalEmail          = "/portal/email"
	PortalPermissions    = "/portal/permissions"
	PortalData           = "/portal/data"
	PortalExportJSON     = "/portal/data/export.json"
	PortalExportCSV      = "/portal/data/export.csv"
	PortalDelete         = "/portal/delete"
)

// RegisterConfirm is the double opt-in link of a registration.
func RegisterConfirm(token string) string { return "/register/confirm/" + token }

// Invitation is the link of an invitation into the network.
func Invitation(token string) string { return "/invite/" + token }

// PortalLoginLink is a portal login link.
func PortalLoginLink(token string) string { return "/portal/login/" + token }

// PortalEmailConfirm confirms a new address of an alumnus.
func PortalEmailConfirm(token string) string { return "/portal/email/" + token }

// PortalEmailRevert is the "this was not me" link to an alumnus' old address.
func PortalEmailRevert(token string) string { return "/portal/email-revert/" + token }

// PortalStillCorrect is the one-click "my details are still right" link.
func PortalStillCorrect(token string) string { return "/portal/still-correct/" + token }

// PortalPermission grants or withdraws one purpose.
func PortalPermission(purposeID int64) string { return "/portal/permissions/" + id(purposeID) }

// The staff area.
const (
	App             = "/app/"
	Account         = "/app/account"
	AccountPassword = "/app/account/password"
	People          = "/app/people"
	PersonNew       = "/app/people/new"
	PeopleInvite    = "/app/people/invite"
	Offboarding     = "/app/offboarding"
	OffboardingNew  = "/app/offboarding/new"
	Cohort          = "/app/offboarding/cohort"
	CohortPreview   = "/app/offboarding/cohort/preview"
	CohortConfirm   = "/app/offboarding/cohort/confirm"
	CohortSummary   = "/app/offboarding/cohort/summary"
)

// PeopleSearch is the people list for a search.
func PeopleSearch(q url.Values) string {
	if len(q) == 0 {
		return People
	}
	return People + "?" + q.Encode()
}

// Person is a person's page.
func Person(personID int64) string { return "/app/people/" + id(personID) }

// PersonEdit is the form that changes a person's details.
func PersonEdit(personID int64) string { return Person(personID) + "/edit" }

// PersonAffiliations adds an affiliation.
func PersonAffiliations(personID int64) string { return Person(personID) + "/affiliations" }

// AffiliationDelete removes an affiliation.
func AffiliationDelete(personID, affID int64) string {
	return Person(personID) + "/affiliations/" + id(affID) + "/delete"
}

// PersonConsents records a grant or withdrawal on the person's behalf.
func PersonConsents(personID int64) string { return Person(personID) + "/consents" }

// PersonInvite invites the person into the network.
func PersonInvite(personID int64) string { return Person(personID) + "/invite" }

// PersonErase erases the person.
func PersonErase(personID int64) string { return Person(personID) + "/erase" }

// OffboardingFor starts an offboarding for a person on record.
func OffboardingFor(personID int64) string { return OffboardingNew + "?person=" + id(personID) }

// Case is an offboarding case.
func Case(caseID int64) string { return "/app/offboarding/" + id(caseID) }

// CaseItem changes an item of a case's checklist.
func CaseItem(caseID, itemID int64) string { return Case(caseID) + "/items/" + id(itemID) }

// CaseItemAnchor is a case's page scrolled to one of its items.
func CaseItemAnchor(caseID, itemID int64) string { return Case(caseID) + "#item-" + id(itemID) }

// CaseInterview saves the exit interview.
func CaseInterview(caseID int64) string { return Case(caseID) + "/interview" }

// CaseInvite invites the person of a case into the network.
func CaseInvite(caseID int64) string { return Case(caseID) + "/invite" }

// CaseClose closes a case.
func CaseClose(caseID int64) string { return Case(caseID) + "/close" }

// CaseCancel cancels a case.
func CaseCancel(caseID int64) string { return Case(caseID) + "/cancel" }

// CaseReschedule moves a case's leaving date.
func CaseReschedule(caseID int64) string { return Case(caseID) + "/reschedule" }

// Administration.
const (
	Admin            = "/app/admin/"
	Users            = "/app/admin/users"
	UserNew          = "/app/admin/users/new"
	Units            = "/app/admin/units"
	UnitNew          = "/app/admin/units/new"
	Purposes         = "/app/admin/purposes"
	PurposeNew       = "/app/admin/purposes/new"
	DepartureTypes   = "/app/admin/offboarding"
	DepartureTypeNew = "/app/admin/offboarding/new"
	Retention        = "/app/admin/retention"
	Audit            = "/app/admin/audit"
	Outbox           = "/app/admin/outbox"
	Deliveries       = "/app/admin/deliveries"
)

// User is a staff user's page.
func User(userID int64) string { return Users + "/" + id(userID) }

// UserResend sends an invitation again.
func UserResend(userID int64) string { return User(userID) + "/resend" }

// UserReset sends a password reset link.
func UserReset(userID int64) string { return User(userID) + "/reset" }

// UserDeactivate deactivates a user.
func UserDeactivate(userID int64) string { return User(userID) + "/deactivate" }

// UserReactivate reactivates a user.
func UserReactivate(userID int64) string { return User(userID) + "/reactivate" }

// UnitsArchived lists the archived units too.
const UnitsArchived = Units + "?archived=1"

// Unit is a unit's form.
func Unit(unitID int64) string { return Units + "/" + id(unitID) }

// UnitArchive archives a unit.
func UnitArchive(unitID int64) string { return Unit(unitID) + "/archive" }

// UnitRestore restores an archived unit.
func UnitRestore(unitID int64) string { return Unit(unitID) + "/restore" }

// Purpose is a consent purpose's form.
func Purpose(purposeID int64) string { return Purposes + "/" + id(purposeID) }

// PurposeVersions lists the versions of a purpose's text.
func PurposeVersions(purposeID int64) string { return Purpose(purposeID) + "/versions" }

// DepartureType is a departure type's checklist.
func DepartureType(key string) string { return DepartureTypes + "/types/" + url.PathEscape(key) }

// DepartureTypeEdit is a departure type's form.
func DepartureTypeEdit(key string) string { return DepartureType(key) + "/edit" }

// ChecklistItems adds an item to a departure type's checklist.
func ChecklistItems(key string) string { return DepartureType(key) + "/items" }

// ChecklistItemNew is the form of a new checklist item.
func ChecklistItemNew(key string) string { return DepartureType(key) + "/items/new" }

// ChecklistItem is a checklist item's form.
func ChecklistItem(itemID int64) string { return DepartureTypes + "/items/" + id(itemID) }

// ChecklistItemArchive archives a checklist item.
func ChecklistItemArchive(itemID int64) string { return ChecklistItem(itemID) + "/archive" }

// ChecklistItemRestore restores a checklist item.
func ChecklistItemRestore(itemID int64) string { return ChecklistItem(itemID) + "/restore" }

// ChecklistItemMove moves a checklist item up or down.
func ChecklistItemMove(itemID int64) string { return ChecklistItem(itemID) + "/move" }

// AuditOf is the audit log filtered to one person.
func AuditOf(personID int64) string { return Audit + "?person=" + id(personID) }

// OutboxMail is a mail in the dev outbox.
func OutboxMail(mailID int64) string { return Outbox + "/" + id(mailID) }

// Delivery is an outgoing mail's delivery record.
func Delivery(deliveryID int64) string { return Deliveries + "/" + id(deliveryID) }

// DeliveryRetry tries a failed delivery again now.
func DeliveryRetry(deliveryID int64) string { return Delivery(deliveryID) + "/retry" }

// Absolute is path (with its query or fragment) on the app's public
// address, for a mail.
func Absolute(base *url.URL, path string) string {
	return strings.TrimSuffix(base.String(), "/") + path
}
