package portal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"alumnet/internal/audit"
	"alumnet/internal/auth"
	"alumnet/internal/consent"
	"alumnet/internal/db"
	"alumnet/internal/form"
	"alumnet/internal/i18n"
	"alumnet/internal/people"
	"alumnet/internal/units"
)

// Registration is what someone fills in at /register.
type Registration struct {
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Email     string `json:"email"`
	Language  string `json:"language"`
	Kind      string `json:"kind"` // employment or study
	UnitID    int64  `json:"unit_id"`
	FromYear  int    `json:"from_year,omitempty"`
	ToYear    int    `json:"to_year"`
	// Consents maps each ticked purpose to the text version that was shown.
	Consents map[int64]int64 `json:"consents"`
}

// Normalize trims the input.
func (r *Registration) Normalize() {
	r.FirstName = strings.TrimSpace(r.FirstName)
	r.LastName = strings.TrimSpace(r.LastName)
	r.Email = strings.ToLower(strings.TrimSpace(r.Email))
}

// Validate returns field → message key. units are the units one may
// choose; year is the current year.
func (r Registration) Validate(unitIDs map[int64]bool, year int) form.Errors {
	errs := form.Errors{}
	errs.Line("first_name", r.FirstName, 100, true)
	errs.Line("last_name", r.LastName, 100, true)
	switch {
	case r.Email == "":
		errs.Add("email", "err.required")
	case !people.ValidEmail(r.Email):
		errs.Add("email", "err.email")
	}
	if _, ok := i18n.Parse(r.Language); !ok {
		errs.Add("language", "err.choice")
	}
	if r.Kind != "employment" && r.Kind != "study" {
		errs.Add("kind", "err.choice")
	}
	if !unitIDs[r.UnitID] {
		errs.Add("unit_id", "err.choice")
	}
	switch {
	case r.ToYear == 0:
		errs.Add("to_year", "err.required")
	case r.ToYear < 1950 || r.ToYear > year+1:
		errs.Add("to_year", "register.err.year")
	}
	if r.FromYear != 0 && (r.FromYear < 1940 || r.FromYear > year+1) {
		errs.Add("from_year", "register.err.year")
	} else if r.FromYear != 0 && r.ToYear != 0 && r.FromYear > r.ToYear {
		errs.Add("to_year", "register.err.years_order")
	}
	return errs
}

// Register starts a registration: it mails a confirmation link, or, when
// the address already opens someone's portal, a login link instead. Nothing
// about an existing person changes, and the caller shows the same page in
// both cases, so the form does not reveal who is registered.
func (s *Store) Register(ctx context.Context, r Registration) error {
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		c, err := people.ByLoginAddress(ctx, tx, r.Email)
		switch {
		case err == nil:
			token, tid, err := createToken(ctx, tx, PurposeLogin, c.ID, r.Email, nil)
			if err != nil {
				return err
			}
			return s.send(ctx, tx, Mail{Kind: "known", To: r.Email, PersonID: c.ID, Name: c.FirstName, Lang: c.Language, Token: token, TokenID: tid})
		case errors.Is(err, people.ErrNoAddress):
			token, tid, err := createToken(ctx, tx, PurposeRegister, 0, r.Email, r)
			if err != nil {
				return err
			}
			return s.send(ctx, tx, Mail{Kind: PurposeRegister, To: r.Email, Name: r.FirstName, Lang: r.Language, Token: token, TokenID: tid})
		default:
			return err
		}
	})
}

// ConfirmRegistration uses a confirmation link, which proves the address.
// For an address nobody has, it creates the person with the address, the
// affiliation they gave, and a ledger row for each permission they ticked,
// with the text version they saw. An address that already opens someone's
// portal logs them in. A record whose primary address this is, and whose
// person never proved one, is theirs: the address is proved and the
// ticked permissions recorded. An address on a record whose person proved
// another one is refused (ErrAddressInUse): they log in with that one.
func (s *Store) ConfirmRegistration(ctx context.Context, token string) (int64, error) {
	var personID int64
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		t, err := useToken(ctx, tx, PurposeRegister, token)
		if err != nil {
			return err
		}
		var r Registration
		if err := json.Unmarshal(t.Payload, &r); err != nil {
			return fmt.Errorf("portal: registration payload: %w", err)
		}
		if c, err := people.ByLoginAddress(ctx, tx, r.Email); err == nil {
			personID = c.ID
			return nil
		} else if !errors.Is(err, people.ErrNoAddress) {
			return err
		}
		if c, err := people.Claimant(ctx, tx, r.Email); err == nil {
			personID = c.ID
			if err := people.Prove(ctx, tx, c.ID, r.Email); err != nil {
				return err
			}
			if err := s.grantTicked(ctx, tx, c.ID, r.Consents, consent.SourceRegistration); err != nil {
				return err
			}
			return audit.Write(ctx, tx, audit.Record{Action: "person.register", PersonID: c.ID, Entity: "person", EntityID: c.ID,
				Details: map[string]any{"by": "person", "existing": true}})
		} else if !errors.Is(err, people.ErrNoAddress) {
			return err
		}
		if _, err := people.Holder(ctx, tx, r.Email); err == nil {
			return ErrAddressInUse
		} else if !errors.Is(err, people.ErrNoAddress) {
			return err
		}
		reg := people.Registered{FirstName: r.FirstName, LastName: r.LastName, Language: r.Language, Email: r.Email,
			Kind: r.Kind, UnitID: r.UnitID, CohortYear: r.ToYear}
		if r.FromYear != 0 {
			t := time.Date(r.FromYear, 1, 1, 0, 0, 0, 0, time.UTC)
			reg.Start = &t
		}
		// A unit archived or removed since: registered without it.
		if u, err := units.ByIDTx(ctx, tx, r.UnitID); errors.Is(err, units.ErrNotFound) || err == nil && u.Archived() {
			reg.UnitID = 0
		} else if err != nil {
			return err
		}
		personID, err = people.CreateRegistered(ctx, tx, reg)
		if errors.Is(err, people.ErrEmailTaken) {
			return errConfirmedMeanwhile // the same address confirmed at the same moment
		}
		if err != nil {
			return err
		}
		if err := s.grantTicked(ctx, tx, personID, r.Consents, consent.SourceRegistration); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Record{Action: "person.register", PersonID: personID, Entity: "person", EntityID: personID,
			Details: map[string]any{"by": "person"}})
	})
	if errors.Is(err, errConfirmedMeanwhile) {
		// Two confirmations of one address at once (a double click): the
		// other one made the person; log in as them.
		c, err := people.ByLoginAddress(ctx, s.pool, confirmedEmail(ctx, s.pool, token))
		return c.ID, err
	}
	return personID, err
}

// grantTicked records a grant for each ticked purpose (purpose → text
// version shown) that the person does not allow already.
func (s *Store) grantTicked(ctx context.Context, tx pgx.Tx, personID int64, ticked map[int64]int64, source string) error {
	states, err := s.consent.States(ctx, personID)
	if err != nil {
		return err
	}
	allowed := map[int64]bool{}
	for _, st := range states {
		allowed[st.Purpose.ID] = st.Allowed && st.Granted
	}
	for purposeID, textID := range ticked {
		if allowed[purposeID] {
			continue
		}
		_, err := s.consent.Record(ctx, tx, consent.Entry{PersonID: personID, PurposeID: purposeID, Granted: true,
			TextID: textID, Source: source, ByPerson: true})
		if errors.Is(err, consent.ErrInactive) {
			continue // switched off between registering and confirming: nothing to give
		}
		if err != nil {
			return fmt.Errorf("portal: registration consent %d: %w", purposeID, err)
		}
	}
	return nil
}

var errConfirmedMeanwhile = errors.New("portal: address confirmed meanwhile")

// confirmedEmail is the address of a registration link.
func confirmedEmail(ctx context.Context, q db.Querier, token string) string {
	var email string
	_ = q.QueryRow(ctx, `SELECT email FROM person_tokens WHERE token_hash = $1`, auth.HashToken(token)).Scan(&email)
	return email
}

// LoginRequest is a visitor asking for a login link: the address, and
// when and from roughly where they asked (said in the mail).
type LoginRequest struct {
	Email string    `json:"email"`
	At    time.Time `json:"at"`
	From  string    `json:"from"`
}

// RequestLogin mails a login link when the address opens someone's portal
// (a proved, current address); otherwise it does nothing. It runs in the
// job queue, so the visitor's answer and its timing are the same either way.
func (s *Store) RequestLogin(ctx context.Context, req LoginRequest) error {
	email := strings.ToLower(strings.TrimSpace(req.Email))
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		c, err := people.ByLoginAddress(ctx, tx, email)
		if errors.Is(err, people.ErrNoAddress) {
			return nil
		}
		if err != nil {
			return err
		}
		// A new login link replaces any earlier one.
		if err := expireLinks(ctx, tx, c.ID, 0, PurposeLogin); err != nil {
			return err
		}
		token, tid, err := createToken(ctx, tx, PurposeLogin, c.ID, email, nil)
		if err != nil {
			return err
		}
		return s.send(ctx, tx, Mail{Kind: PurposeLogin, To: email, PersonID: c.ID, Name: c.FirstName, Lang: c.Language, Token: token, TokenID: tid,
			AskedAt: req.At, AskedFrom: req.From})
	})
}

// Login uses a login link and returns whose it is. The link works only
// while its address still opens the portal: after an e-mail change or an
// offboarding, whoever keeps the old mailbox cannot use it.
func (s *Store) Login(ctx context.Context, token string) (int64, error) {
	var personID int64
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		t, err := useToken(ctx, tx, PurposeLogin, token)
		if err != nil {
			return err
		}
		var erased bool
		if err := tx.QueryRow(ctx, `SELECT erased_at IS NOT NULL FROM persons WHERE id = $1`, t.PersonID).Scan(&erased); err != nil || erased {
			return ErrLinkInvalid
		}
		ok, err := people.IsLoginAddress(ctx, tx, t.PersonID, t.Email)
		if err != nil {
			return err
		}
		if !ok {
			return ErrLinkInvalid
		}
		personID = t.PersonID
		return audit.Write(ctx, tx, audit.Record{Action: "person.portal_login", PersonID: t.PersonID, Entity: "person", EntityID: t.PersonID,
			Details: map[string]any{"by": "person"}})
	})
	return personID, err
}
