package people

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"alumnet/internal/db"
)

// A person's e-mail addresses have a state:
//
//   - unproved: typed by staff, brought by an import, a cohort file or an
//     offboarding. Mail may go there; it opens nothing.
//   - proved (verified_at): the person clicked a link sent to it (the
//     registration confirmation, an accepted invitation, a confirmed
//     e-mail change, the "this was not me" link). A proved address that is
//     not retired is the person's key to the portal.
//   - retired (retired_at): replaced by a newer address the person
//     confirmed, or left behind at offboarding (the work address). It
//     stays, to recognise the person, but opens nothing.
//
// Only the person changes their proved address (in the portal, confirmed
// at the new address); staff cannot replace or remove it, so nobody can
// take over a portal account by editing a record.

// LoginAddress is the SQL condition on person_emails (alias e) of an
// address that opens the portal.
const LoginAddress = `e.verified_at IS NOT NULL AND e.retired_at IS NULL`

// Errors of the address rules.
var (
	// ErrNoAddress means no unerased person has the address in the state asked.
	ErrNoAddress = errors.New("people: no person with this address")
	// ErrProvedAddress means staff tried to replace or remove an address
	// the person proved.
	ErrProvedAddress = errors.New("people: the person proved this address; only they change it")
)

// Contact is whom an address leads to: enough to write to them.
type Contact struct {
	ID        int64
	FirstName string
	Language  string
}

func oneContact(ctx context.Context, q db.Querier, sql string, args ...any) (Contact, error) {
	var c Contact
	err := q.QueryRow(ctx, sql, args...).Scan(&c.ID, &c.FirstName, &c.Language)
	if errors.Is(err, pgx.ErrNoRows) {
		return Contact{}, ErrNoAddress
	}
	if err != nil {
		return Contact{}, fmt.Errorf("people: address: %w", err)
	}
	return c, nil
}

// ByLoginAddress returns the unerased person for whom email is a proved,
// current address: the only addresses a portal login link goes to.
func ByLoginAddress(ctx context.Context, q db.Querier, email string) (Contact, error) {
	return oneContact(ctx, q, `SELECT p.id, p.first_name, p.language FROM persons p
		JOIN person_emails e ON e.person_id = p.id
		WHERE e.email = $1 AND `+LoginAddress+` AND p.erased_at IS NULL
		ORDER BY e.is_primary DESC, p.id LIMIT 1`, email)
}

// Claimant returns the unerased person who may prove email as their first
// portal address by registering with it: it is their primary address,
// unproved, and they have no proved current address. Someone who has one
// changes addresses only in the portal; another address on the record
// (typed by anyone) claims nothing.
func Claimant(ctx context.Context, q db.Querier, email string) (Contact, error) {
	return oneContact(ctx, q, `SELECT p.id, p.first_name, p.language FROM persons p
		JOIN person_emails e ON e.person_id = p.id AND e.is_primary
		WHERE e.email = $1 AND e.verified_at IS NULL AND p.erased_at IS NULL
		  AND NOT EXISTS (SELECT 1 FROM person_emails e WHERE e.person_id = p.id AND `+LoginAddress+`)
		ORDER BY e.is_primary DESC, p.id LIMIT 1`, email)
}

// Holder returns the unerased person who has email as a current (not
// retired) address in any state.
func Holder(ctx context.Context, q db.Querier, email string) (Contact, error) {
	return oneContact(ctx, q, `SELECT p.id, p.first_name, p.language FROM persons p
		JOIN person_emails e ON e.person_id = p.id
		WHERE e.email = $1 AND e.retired_at IS NULL AND p.erased_at IS NULL
		ORDER BY e.is_primary DESC, p.id LIMIT 1`, email)
}

// IsLoginAddress reports whether email is a proved, current address of the person.
func IsLoginAddress(ctx context.Context, q db.Querier, personID int64, email string) (bool, error) {
	var ok bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM person_emails e
		WHERE e.person_id = $1 AND e.email = $2 AND `+LoginAddress+`)`, personID, email).Scan(&ok)
	return ok, err
}

// MayClaim reports whether the person may prove email as an address that
// opens the portal through an invitation: it is their current primary and
// either proved already or the first they prove.
func MayClaim(ctx context.Context, q db.Querier, personID int64, email string) (bool, error) {
	var ok bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM person_emails e
		WHERE e.person_id = $1 AND e.email = $2 AND e.is_primary AND e.retired_at IS NULL
		  AND (e.verified_at IS NOT NULL
		       OR NOT EXISTS (SELECT 1 FROM person_emails e WHERE e.person_id = $1 AND `+LoginAddress+`)
		          AND NOT EXISTS (SELECT 1 FROM person_emails e WHERE e.email = $2 AND `+LoginAddress+`)))`,
		personID, email).Scan(&ok)
	return ok, err
}

// Prove marks email as proved for the person: they clicked a link sent
// there. ErrEmailTaken when someone else proved it first.
func Prove(ctx context.Context, tx pgx.Tx, personID int64, email string) error {
	// A savepoint, so that a refusal leaves tx usable.
	err := pgx.BeginFunc(ctx, tx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE person_emails SET verified_at = coalesce(verified_at, now())
			WHERE person_id = $1 AND email = $2 AND retired_at IS NULL`, personID, email)
		return err
	})
	if db.IsUniqueViolation(err, "person_emails_proved_idx") {
		return ErrEmailTaken
	}
	if err != nil {
		return fmt.Errorf("people: prove address of %d: %w", personID, err)
	}
	return nil
}

// Replaced is the primary address a change replaced.
type Replaced struct {
	Email  string
	Proved bool
}

// Who replaces a primary address.
const (
	// ByPerson: the person proved the new address (a confirmed e-mail
	// change, the "this was not me" link).
	ByPerson = iota
	// ByStaff: staff entered it; an address the person proved is never
	// replaced this way (ErrProvedAddress).
	ByStaff
)

// RetireWorkAddresses retires the person's current addresses on the
// organisation's own mail domains (their work address, proved or not),
// except keep: someone leaving loses the mailbox, which the employer may
// give to someone else. The offboarding does it; an address on any other
// domain is the person's own and stays.
func RetireWorkAddresses(ctx context.Context, tx pgx.Tx, personID int64, domains []string, keep string) error {
	if len(domains) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `UPDATE person_emails SET is_primary = false, retired_at = now()
		WHERE person_id = $1 AND retired_at IS NULL AND email <> $3
		  AND lower(split_part(email, '@', 2)) = ANY($2::text[])`, personID, domains, keep)
	if err != nil {
		return fmt.Errorf("people: retire work addresses of %d: %w", personID, err)
	}
	return nil
}

// ReplacePrimary makes email the person's primary address (proved when
// the person did it) and retires the address it replaces and every other
// proved address: they stop opening the portal at once. It returns the
// replaced primary, "" when there was none or it was email itself.
func ReplacePrimary(ctx context.Context, tx pgx.Tx, personID int64, email string, how int) (Replaced, error) {
	proved := how == ByPerson
	if how == ByStaff {
		var other bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM person_emails e WHERE e.person_id = $1 AND e.email <> $2 AND `+LoginAddress+`)`,
			personID, email).Scan(&other); err != nil {
			return Replaced{}, fmt.Errorf("people: replace address of %d: %w", personID, err)
		}
		if other {
			return Replaced{}, ErrProvedAddress
		}
	}
	var old Replaced
	err := tx.QueryRow(ctx, `SELECT email, verified_at IS NOT NULL FROM person_emails WHERE person_id = $1 AND is_primary`,
		personID).Scan(&old.Email, &old.Proved)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return Replaced{}, fmt.Errorf("people: replace address of %d: %w", personID, err)
	}
	if old.Email == email {
		old = Replaced{}
	}
	if _, err := tx.Exec(ctx, `UPDATE person_emails SET is_primary = false, retired_at = now()
		WHERE person_id = $1 AND email <> $2 AND (is_primary OR verified_at IS NOT NULL) AND retired_at IS NULL`, personID, email); err != nil {
		return Replaced{}, fmt.Errorf("people: replace address of %d: %w", personID, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE person_emails SET is_primary = false WHERE person_id = $1 AND is_primary AND email <> $2`, personID, email); err != nil {
		return Replaced{}, fmt.Errorf("people: replace address of %d: %w", personID, err)
	}
	// A retired address that comes back is unproved until proved again.
	if _, err := tx.Exec(ctx, `INSERT INTO person_emails (person_id, email, is_primary, verified_at)
		VALUES ($1, $2, true, CASE WHEN $3::bool THEN now() END)
		ON CONFLICT (person_id, email) DO UPDATE SET is_primary = true, retired_at = NULL,
			verified_at = CASE WHEN $3::bool THEN coalesce(person_emails.verified_at, now())
			                   WHEN person_emails.retired_at IS NOT NULL THEN NULL
			                   ELSE person_emails.verified_at END`,
		personID, email, proved); err != nil {
		if db.IsUniqueViolation(err, "") {
			return Replaced{}, ErrEmailTaken
		}
		return Replaced{}, fmt.Errorf("people: replace address of %d: %w", personID, err)
	}
	_, err = tx.Exec(ctx, `UPDATE persons SET updated_at = now(), version = version + 1 WHERE id = $1`, personID)
	return old, err
}
