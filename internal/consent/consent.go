// Package consent is the lawful-basis ledger: the purposes personal data is
// used for, their versioned texts in Dutch and English, and an append-only
// ledger with one row per grant or withdrawal. The current state of a
// permission is derived from the latest row; MayUse answers "may we use
// purpose P for person X now?" at the moment of use. The database refuses
// changes to the ledger (see migrations/00005_consent.sql).
package consent

import (
	"errors"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"alumnet/internal/i18n"
)

// Errors of the store. Callers map them to messages; none is a 500.
var (
	// ErrNotFound means there is no such purpose (or text).
	ErrNotFound = errors.New("consent: not found")
	// ErrNoPerson means the ledger row names a person who does not exist.
	ErrNoPerson = errors.New("consent: no such person")
	// ErrDuplicateKey means another purpose has this key.
	ErrDuplicateKey = errors.New("consent: a purpose with this key already exists")
	// ErrConflict means the purpose got a new text version since the editor
	// opened it.
	ErrConflict = errors.New("consent: purpose changed by someone else")
	// ErrImportGrant means an import tried to record consent; imports may
	// only record withdrawals.
	ErrImportGrant = errors.New("consent: an import cannot grant consent")
	// ErrNoteRequired means staff recorded a row without saying why.
	ErrNoteRequired = errors.New("consent: staff must add a note")
	// ErrNoteTooLong means the note exceeds MaxNote characters.
	ErrNoteTooLong = errors.New("consent: note too long")
	// ErrInactive means a grant for a purpose that is switched off.
	ErrInactive = errors.New("consent: purpose is not active")
	// ErrSource means an unknown source.
	ErrSource = errors.New("consent: unknown source")
	// ErrTextMismatch means the given text is not a version of the purpose.
	ErrTextMismatch = errors.New("consent: text does not belong to the purpose")
	// ErrErased means a grant for a person whose data was erased.
	ErrErased = errors.New("consent: person has been erased")
)

// Where a ledger row came from.
const (
	SourceRegistration = "registration" // the public registration form
	SourcePortal       = "portal"       // the alumnus in the portal
	SourceInvitation   = "invitation"   // accepting an invitation to the network
	SourceOffboarding  = "offboarding"  // the offboarding checklist step
	SourceStaff        = "staff"        // staff on the person's behalf (a note is required)
	SourceImport       = "import"       // a CSV import (withdrawals only)
	SourceUnsubscribe  = "unsubscribe"  // an unsubscribe link in a mail
)

// Sources lists every source.
var Sources = []string{SourceRegistration, SourcePortal, SourceInvitation, SourceOffboarding, SourceStaff, SourceImport, SourceUnsubscribe}

// Lawful bases of a purpose (AVG/GDPR art. 6(1)(a) and (f)).
const (
	BasisConsent            = "consent"
	BasisLegitimateInterest = "legitimate_interest"
)

// Bases lists the lawful bases.
var Bases = []string{BasisConsent, BasisLegitimateInterest}

// Reasons of a Decision; each is a catalogue key.
const (
	ReasonGranted            = "consent.reason.granted"
	ReasonWithdrawn          = "consent.reason.withdrawn"
	ReasonNever              = "consent.reason.never"
	ReasonInactive           = "consent.reason.inactive"
	ReasonErased             = "consent.reason.erased"
	ReasonLegitimateInterest = "consent.reason.legitimate_interest"
)

// MaxNote is the longest note a ledger row takes.
const MaxNote = 1000

// Purpose is a purpose with its current (latest) text version.
type Purpose struct {
	ID        int64     `db:"id"`
	Key       string    `db:"key"`
	Basis     string    `db:"lawful_basis"`
	Active    bool      `db:"active"`
	SortOrder int       `db:"sort_order"`
	CreatedAt time.Time `db:"created_at"`
	// The current text version.
	TextID        int64     `db:"text_id"`
	Version       int       `db:"version"`
	NameNL        string    `db:"name_nl"`
	NameEN        string    `db:"name_en"`
	TextNL        string    `db:"text_nl"`
	TextEN        string    `db:"text_en"`
	TextCreatedAt time.Time `db:"text_created_at"`
}

// Name is the purpose's name in lang.
func (p Purpose) Name(lang i18n.Lang) string { return pick(lang, p.NameNL, p.NameEN) }

// Text is the purpose's current text in lang.
func (p Purpose) Text(lang i18n.Lang) string { return pick(lang, p.TextNL, p.TextEN) }

// Text is one version of a purpose's name and text.
type Text struct {
	ID            int64     `db:"id"`
	PurposeID     int64     `db:"purpose_id"`
	Version       int       `db:"version"`
	NameNL        string    `db:"name_nl"`
	NameEN        string    `db:"name_en"`
	TextNL        string    `db:"text_nl"`
	TextEN        string    `db:"text_en"`
	CreatedAt     time.Time `db:"created_at"`
	CreatedBy     *int64    `db:"created_by"`
	CreatedByName *string   `db:"created_by_name"`
}

// Name is the version's name in lang.
func (t Text) Name(lang i18n.Lang) string { return pick(lang, t.NameNL, t.NameEN) }

// Text is the version's text in lang.
func (t Text) Text(lang i18n.Lang) string { return pick(lang, t.TextNL, t.TextEN) }

func pick(lang i18n.Lang, nl, en string) string {
	if lang == i18n.EN {
		return en
	}
	return nl
}

// Entry is a grant or withdrawal to record.
type Entry struct {
	PersonID  int64
	PurposeID int64
	Granted   bool
	// TextID is the text shown to the person; 0 means the purpose's
	// current text.
	TextID int64
	Source string
	// ActorUserID is the staff member who recorded it (0: none); their
	// action is also written to the audit log.
	ActorUserID int64
	// ByPerson says the person acted themself (portal, registration,
	// unsubscribe link).
	ByPerson bool
	Note     string
}

// LedgerRow is one row of the ledger, with names for display.
type LedgerRow struct {
	ID          int64  `db:"id"`
	PersonID    int64  `db:"person_id"`
	PurposeID   int64  `db:"purpose_id"`
	PurposeKey  string `db:"purpose_key"`
	NameNL      string `db:"purpose_name_nl"` // the purpose's current name
	NameEN      string `db:"purpose_name_en"`
	Basis       string `db:"basis"`
	Granted     bool   `db:"granted"`
	TextID      *int64 `db:"text_id"`
	TextVersion *int   `db:"text_version"` // the version shown to the person
	Source      string `db:"source"`
	ActorUserID *int64 `db:"actor_user_id"`
	// ActorName is the staff member's name, when staff recorded the row.
	ActorName *string   `db:"actor_name"`
	ByPerson  bool      `db:"by_person"`
	At        time.Time `db:"at"`
	Note      *string   `db:"note"` // nil when none, or erased
}

// PurposeName is the purpose's name in lang.
func (r LedgerRow) PurposeName(lang i18n.Lang) string { return pick(lang, r.NameNL, r.NameEN) }

// State is a person's current standing for one active purpose.
type State struct {
	Purpose Purpose
	// Granted is what the latest ledger row says; no row means not granted.
	Granted bool
	// Row is the latest ledger row, nil if there is none.
	Row *LedgerRow
	// Allowed and Reason are what MayUse would answer now.
	Allowed bool
	Reason  string
}

// Decision answers whether a purpose may be used for a person now.
type Decision struct {
	Allowed bool
	// Row is the latest ledger row it rests on, nil if there is none.
	Row *LedgerRow
	// Reason is a catalogue key (ReasonGranted, ReasonWithdrawn, …).
	Reason string
}

// decide is the one rule behind MayUse and States. A purpose on the basis
// of consent needs a grant as its latest row. A purpose on the basis of
// legitimate interest may be used until the person objects (a withdrawal).
// Nothing may be used for an erased person or for a switched-off purpose.
func decide(p Purpose, row *LedgerRow, erased bool) Decision {
	switch {
	case erased:
		return Decision{Row: row, Reason: ReasonErased}
	case !p.Active:
		return Decision{Row: row, Reason: ReasonInactive}
	case row == nil && p.Basis == BasisLegitimateInterest:
		return Decision{Allowed: true, Reason: ReasonLegitimateInterest}
	case row == nil:
		return Decision{Reason: ReasonNever}
	case row.Granted && p.Basis == BasisConsent && row.Basis != BasisConsent:
		// Recorded when the purpose rested on legitimate interest: since it
		// needs consent, that row is no consent.
		return Decision{Row: row, Reason: ReasonNever}
	case row.Granted:
		return Decision{Allowed: true, Row: row, Reason: ReasonGranted}
	}
	return Decision{Row: row, Reason: ReasonWithdrawn}
}

// Store reads and writes purposes, texts and the ledger.
type Store struct{ pool *pgxpool.Pool }

// NewStore returns a Store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }
