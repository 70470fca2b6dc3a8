package portal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"alumnet/internal/audit"
	"alumnet/internal/auth"
	"alumnet/internal/consent"
	"alumnet/internal/db"
	"alumnet/internal/i18n"
	"alumnet/internal/people"
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
func (r Registration) Validate(unitIDs map[int64]bool, year int) map[string]string {
	errs := map[string]string{}
	name := func(field, v string) {
		switch {
		case v == "":
			errs[field] = "err.required"
		case utf8.RuneCountInString(v) > 100:
			errs[field] = "err.too_long|100"
		}
	}
	name("first_name", r.FirstName)
	name("last_name", r.LastName)
	switch {
	case r.Email == "":
		errs["email"] = "err.required"
	case !people.ValidEmail(r.Email):
		errs["email"] = "err.email"
	}
	if _, ok := i18n.Parse(r.Language); !ok {
		errs["language"] = "err.choice"
	}
	if r.Kind != "employment" && r.Kind != "study" {
		errs["kind"] = "err.choice"
	}
	if !unitIDs[r.UnitID] {
		errs["unit_id"] = "err.choice"
	}
	switch {
	case r.ToYear == 0:
		errs["to_year"] = "err.required"
	case r.ToYear < 1950 || r.ToYear > year+1:
		errs["to_year"] = "register.err.year"
	}
	if r.FromYear != 0 && (r.FromYear < 1940 || r.FromYear > year+1) {
		errs["from_year"] = "register.err.year"
	} else if r.FromYear != 0 && r.ToYear != 0 && r.FromYear > r.ToYear {
		errs["to_year"] = "register.err.years_order"
	}
	return errs
}

// Register starts a registration: it mails a confirmation link, or, when
// the address already belongs to someone, a login link instead. Nothing
// about an existing person changes, and the caller shows the same page in
// both cases, so the form does not reveal who is registered.
func (s *Service) Register(ctx context.Context, r Registration, send Sender) error {
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		id, name, lang, err := personByEmail(ctx, tx, r.Email)
		switch {
		case err == nil:
			token, tid, err := createToken(ctx, tx, PurposeLogin, id, r.Email, nil)
			if err != nil {
				return err
			}
			return send(ctx, tx, Mail{Kind: "known", To: r.Email, PersonID: id, Name: name, Lang: lang, Token: token, TokenID: tid})
		case errors.Is(err, ErrNotFound):
			token, tid, err := createToken(ctx, tx, PurposeRegister, 0, r.Email, r)
			if err != nil {
				return err
			}
			return send(ctx, tx, Mail{Kind: PurposeRegister, To: r.Email, Name: r.FirstName, Lang: r.Language, Token: token, TokenID: tid})
		default:
			return err
		}
	})
}

// ConfirmRegistration uses a confirmation link: it creates the person with
// a verified address, the affiliation they gave, and a ledger row for each
// permission they ticked, with the text version they saw. When the
// address has meanwhile become someone's, that person is returned as is.
func (s *Service) ConfirmRegistration(ctx context.Context, token string) (int64, error) {
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
		if id, _, _, err := personByEmail(ctx, tx, r.Email); err == nil {
			personID = id
			return nil
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO persons (first_name, last_name, language, details_confirmed_at)
			VALUES ($1, $2, $3, now()) RETURNING id`, r.FirstName, r.LastName, r.Language).Scan(&personID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO person_emails (person_id, email, is_primary, verified_at) VALUES ($1, $2, true, now())`,
			personID, r.Email); err != nil {
			if db.IsUniqueViolation(err, "") {
				return errConfirmedMeanwhile // the same address confirmed at the same moment
			}
			return err
		}
		var start *time.Time
		if r.FromYear != 0 {
			t := time.Date(r.FromYear, 1, 1, 0, 0, 0, 0, time.UTC)
			start = &t
		}
		var archived bool
		err = tx.QueryRow(ctx, `SELECT archived_at IS NOT NULL FROM units WHERE id = $1`, r.UnitID).Scan(&archived)
		switch {
		case err == nil && !archived:
			if _, err := tx.Exec(ctx, `INSERT INTO affiliations (person_id, kind, unit_id, start_date, cohort_year) VALUES ($1, $2, $3, $4, $5)`,
				personID, r.Kind, r.UnitID, start, r.ToYear); err != nil {
				return err
			}
		case err != nil && !errors.Is(err, pgx.ErrNoRows):
			return err
		} // a unit archived or removed since: the person is registered without it
		for purposeID, textID := range r.Consents {
			_, err := s.consent.Record(ctx, tx, consent.Entry{PersonID: personID, PurposeID: purposeID, Granted: true,
				TextID: textID, Source: consent.SourceRegistration, ByPerson: true})
			if errors.Is(err, consent.ErrInactive) {
				continue // switched off between registering and confirming: nothing to give
			}
			if err != nil {
				return fmt.Errorf("portal: registration consent %d: %w", purposeID, err)
			}
		}
		return audit.Write(ctx, tx, audit.Record{Action: "person.register", PersonID: personID, Entity: "person", EntityID: personID,
			Details: map[string]any{"by": "person"}})
	})
	if errors.Is(err, errConfirmedMeanwhile) {
		// Two confirmations of one address at once (a double click): the
		// other one made the person; log in as them.
		id, _, _, err := personByEmail(ctx, s.pool, confirmedEmail(ctx, s.pool, token))
		return id, err
	}
	return personID, err
}

var errConfirmedMeanwhile = errors.New("portal: address confirmed meanwhile")

// confirmedEmail is the address of a registration link.
func confirmedEmail(ctx context.Context, q db.Querier, token string) string {
	var email string
	_ = q.QueryRow(ctx, `SELECT email FROM person_tokens WHERE token_hash = $1`, auth.HashToken(token)).Scan(&email)
	return email
}

// RequestLogin mails a login link when email belongs to someone; otherwise
// it does nothing. The caller answers the same either way.
func (s *Service) RequestLogin(ctx context.Context, email string, send Sender) error {
	email = strings.ToLower(strings.TrimSpace(email))
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		id, name, lang, err := personByEmail(ctx, tx, email)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		// A new login link replaces any earlier one.
		if err := expireLinks(ctx, tx, id, 0, PurposeLogin); err != nil {
			return err
		}
		token, tid, err := createToken(ctx, tx, PurposeLogin, id, email, nil)
		if err != nil {
			return err
		}
		return send(ctx, tx, Mail{Kind: PurposeLogin, To: email, PersonID: id, Name: name, Lang: lang, Token: token, TokenID: tid})
	})
}

// Login uses a login link and returns whose it is.
func (s *Service) Login(ctx context.Context, token string) (int64, error) {
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
		personID = t.PersonID
		_, err = tx.Exec(ctx, `UPDATE person_emails SET verified_at = coalesce(verified_at, now()) WHERE person_id = $1 AND email = $2`,
			t.PersonID, t.Email)
		return err
	})
	return personID, err
}
