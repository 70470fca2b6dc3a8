// Package people is the alumni registry: persons with their contact data,
// profile, affiliations, tags, offers and needs; search and filters; and the
// rules for creating and changing them. Every read takes the caller's unit
// scope, so a coordinator's limits are part of the SQL.
package people

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"alumnet/internal/audit"
	"alumnet/internal/db"
	"alumnet/internal/form"
	"alumnet/internal/units"
)

// ErrNotFound means there is no such person, or not within the caller's scope.
var ErrNotFound = errors.New("people: not found")

// ErrErased means the person was erased: the record is a tombstone that
// nothing is added to or changed on.
var ErrErased = errors.New("people: person has been erased")

// lockLive locks the person's row for a change inside tx; an erased
// person is ErrErased.
func lockLive(ctx context.Context, tx pgx.Tx, personID int64) error {
	var erased bool
	err := tx.QueryRow(ctx, `SELECT erased_at IS NOT NULL FROM persons WHERE id = $1 FOR UPDATE`, personID).Scan(&erased)
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	if err == nil && erased {
		return ErrErased
	}
	return err
}

// ErrConflict means the record changed since the caller read it.
var ErrConflict = errors.New("people: changed by someone else")

// ErrEmailTaken means another person within the caller's scope has this
// primary address, or another person proved it.
var ErrEmailTaken = errors.New("people: primary e-mail belongs to someone else")

// primaryTaken reports whether another unerased person within sc has email
// as their primary address. Outside the scope an address is unknown to
// the caller, so a coordinator's form does not reveal who else is
// registered; such duplicates are found and merged later. A proved
// address is unique in the database (it opens the portal).
func PrimaryTaken(ctx context.Context, q db.Querier, sc units.Scope, email string, except int64) (bool, error) {
	if email == "" {
		return false, nil
	}
	var b db.Builder
	b.Where(`e.email = ` + b.Arg(email) + ` AND e.is_primary AND p.erased_at IS NULL AND p.id <> ` + b.Arg(except))
	sc.PersonCondition(&b, "p.id")
	var taken bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM persons p JOIN person_emails e ON e.person_id = p.id `+b.WhereSQL()+`)`, b.Args()...).Scan(&taken)
	return taken, err
}

// Offers an alumnus can make, and needs they can have.
var (
	Offers = []string{"guest_lecture", "mentoring", "internship", "advisory", "vacancies"}
	Needs  = []string{"jobs", "courses", "coaching", "network"}
)

// Person is one record of the registry.
type Person struct {
	ID          int64     `db:"id"`
	FirstName   string    `db:"first_name"`
	LastName    string    `db:"last_name"`
	Phone       string    `db:"phone"`
	City        string    `db:"city"`
	Employer    string    `db:"employer"`
	JobTitle    string    `db:"job_title"`
	Sector      string    `db:"sector"`
	LinkedInURL string    `db:"linkedin_url"`
	Language    string    `db:"language"`
	Offers      []string  `db:"offers"`
	Needs       []string  `db:"needs"`
	Version     int       `db:"version"`
	CreatedAt   time.Time `db:"created_at"`
	UpdatedAt   time.Time `db:"updated_at"`
	// ErasedAt is set when the person was erased: the record is a
	// tombstone that names nobody and can no longer be changed.
	ErasedAt *time.Time `db:"erased_at"`

	Emails       []Email       `db:"-"`
	Affiliations []Affiliation `db:"-"`
	Tags         []string      `db:"-"`
}

// Name is the person's full name.
func (p Person) Name() string { return p.FirstName + " " + p.LastName }

// PrimaryEmail returns the primary address, or "".
func (p Person) PrimaryEmail() string {
	for _, e := range p.Emails {
		if e.Primary {
			return e.Address
		}
	}
	return ""
}

// Email is one address of a person (see address.go for their states).
type Email struct {
	ID         int64      `db:"id"`
	Address    string     `db:"email"`
	Primary    bool       `db:"is_primary"`
	VerifiedAt *time.Time `db:"verified_at"`
	RetiredAt  *time.Time `db:"retired_at"`
}

// Proved reports whether the person proved the address and it still opens the portal.
func (e Email) Proved() bool { return e.VerifiedAt != nil && e.RetiredAt == nil }

// Retired reports whether the address was replaced or left behind.
func (e Email) Retired() bool { return e.RetiredAt != nil }

// Input is what staff enter for a person.
type Input struct {
	FirstName    string
	LastName     string
	PrimaryEmail string
	OtherEmails  []string
	Phone        string
	City         string
	Employer     string
	JobTitle     string
	Sector       string
	LinkedInURL  string
	Language     string
	Offers       []string
	Needs        []string
	Tags         []string
}

// Normalize trims the input and lower-cases the addresses.
func (in *Input) Normalize() {
	for _, f := range []*string{&in.FirstName, &in.LastName, &in.Phone, &in.City, &in.Employer, &in.JobTitle, &in.Sector, &in.LinkedInURL} {
		*f = strings.TrimSpace(*f)
	}
	in.PrimaryEmail = strings.ToLower(strings.TrimSpace(in.PrimaryEmail))
	var others []string
	for _, e := range in.OtherEmails {
		e = strings.ToLower(strings.TrimSpace(e))
		if e != "" && e != in.PrimaryEmail && !slices.Contains(others, e) {
			others = append(others, e)
		}
	}
	in.OtherEmails = others
	var tags []string
	for _, t := range in.Tags {
		t = strings.Join(strings.Fields(t), " ")
		if t != "" && !slices.ContainsFunc(tags, func(x string) bool { return strings.EqualFold(x, t) }) {
			tags = append(tags, t)
		}
	}
	in.Tags = tags
	if in.Language == "" {
		in.Language = "nl"
	}
}

// Validate returns field → message key for every problem (see i18n).
func (in Input) Validate() form.Errors {
	errs := form.Errors{}
	errs.Line("first_name", in.FirstName, 100, true)
	errs.Line("last_name", in.LastName, 100, true)
	if in.PrimaryEmail != "" && !ValidEmail(in.PrimaryEmail) {
		errs.Add("primary_email", "err.email")
	}
	for _, e := range in.OtherEmails {
		if !ValidEmail(e) {
			errs.Add("other_emails", "err.email")
		}
	}
	errs.Line("phone", in.Phone, 40, false)
	errs.Line("city", in.City, 100, false)
	errs.Line("employer", in.Employer, 200, false)
	errs.Line("job_title", in.JobTitle, 200, false)
	errs.Line("sector", in.Sector, 100, false)
	if in.LinkedInURL != "" && !validURL(in.LinkedInURL) {
		errs.Add("linkedin_url", "err.url")
	}
	if in.Language != "nl" && in.Language != "en" {
		errs.Add("language", "err.choice")
	}
	for _, o := range in.Offers {
		if !slices.Contains(Offers, o) {
			errs.Add("offers", "err.choice")
		}
	}
	for _, n := range in.Needs {
		if !slices.Contains(Needs, n) {
			errs.Add("needs", "err.choice")
		}
	}
	for _, t := range in.Tags {
		if !errs.Line("tags", t, 60, false) {
			break
		}
	}
	return errs
}

// ValidEmail reports whether s is a plain address with a dotted domain.
func ValidEmail(s string) bool {
	if len(s) > 254 || strings.ContainsAny(s, " \t\r\n<>") {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s {
		return false
	}
	_, domain, _ := strings.Cut(s, "@")
	return strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}

func validURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Host != "" && strings.Contains(u.Host, ".") && len(s) <= 500
}

// Store reads and changes the registry.
type Store struct{ pool *pgxpool.Pool }

// NewStore returns a Store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

const personColumns = `p.id, p.first_name, p.last_name, p.phone, p.city, p.employer, p.job_title, p.sector,
	p.linkedin_url, p.language, p.offers, p.needs, p.version, p.created_at, p.updated_at, p.erased_at`

// PersonByID returns a person with e-mails, affiliations and tags, if the
// person lies within scope.
func (s *Store) PersonByID(ctx context.Context, sc units.Scope, id int64) (Person, error) {
	var b db.Builder
	b.Where(`p.id = ` + b.Arg(id))
	sc.PersonCondition(&b, "p.id")
	rows, err := s.pool.Query(ctx, `SELECT `+personColumns+` FROM persons p `+b.WhereSQL(), b.Args()...)
	if err != nil {
		return Person{}, fmt.Errorf("people: person %d: %w", id, err)
	}
	p, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Person])
	if errors.Is(err, pgx.ErrNoRows) {
		return Person{}, ErrNotFound
	}
	if err != nil {
		return Person{}, fmt.Errorf("people: person %d: %w", id, err)
	}
	if err := s.loadDetails(ctx, &p); err != nil {
		return Person{}, fmt.Errorf("people: person %d: %w", id, err)
	}
	return p, nil
}

func (s *Store) loadDetails(ctx context.Context, p *Person) error {
	rows, err := s.pool.Query(ctx, `SELECT id, email, is_primary, verified_at, retired_at FROM person_emails
		WHERE person_id = $1 ORDER BY retired_at IS NOT NULL, is_primary DESC, email`, p.ID)
	if err != nil {
		return err
	}
	if p.Emails, err = pgx.CollectRows(rows, pgx.RowToStructByName[Email]); err != nil {
		return err
	}
	if p.Affiliations, err = s.affiliations(ctx, p.ID); err != nil {
		return err
	}
	rows, err = s.pool.Query(ctx, `SELECT t.name FROM person_tags pt JOIN tags t ON t.id = pt.tag_id
		WHERE pt.person_id = $1 ORDER BY lower(t.name)`, p.ID)
	if err != nil {
		return err
	}
	p.Tags, err = pgx.CollectRows(rows, pgx.RowTo[string])
	return err
}

// InputOf returns the editable fields of p, to fill an edit form.
func InputOf(p Person) Input {
	in := Input{
		FirstName: p.FirstName, LastName: p.LastName, Phone: p.Phone, City: p.City, Employer: p.Employer,
		JobTitle: p.JobTitle, Sector: p.Sector, LinkedInURL: p.LinkedInURL, Language: p.Language,
		Offers: p.Offers, Needs: p.Needs, Tags: p.Tags, PrimaryEmail: p.PrimaryEmail(),
	}
	for _, e := range p.Emails {
		if !e.Primary && e.VerifiedAt == nil && e.RetiredAt == nil {
			in.OtherEmails = append(in.OtherEmails, e.Address)
		}
	}
	return in
}

// CreatePerson adds a person, with a first affiliation when first is not
// nil, and writes the audit entries in the same transaction. The caller has
// validated the input and checked that the unit is within its scope sc. A
// primary address that someone within sc has already is ErrEmailTaken.
func (s *Store) CreatePerson(ctx context.Context, sc units.Scope, actorID int64, in Input, first *AffiliationInput) (id int64, err error) {
	err = db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		id, err = CreatePersonTx(ctx, tx, sc, actorID, in, first)
		return err
	})
	return id, err
}

// CreatePersonTx is CreatePerson inside tx, with the change it is part of
// (an offboarding that starts with a new person).
func CreatePersonTx(ctx context.Context, tx pgx.Tx, sc units.Scope, actorID int64, in Input, first *AffiliationInput) (int64, error) {
	var id int64
	err := pgx.BeginFunc(ctx, tx, func(tx pgx.Tx) error {
		if taken, err := PrimaryTaken(ctx, tx, sc, in.PrimaryEmail, 0); err != nil || taken {
			return cmp.Or(err, ErrEmailTaken)
		}
		err := tx.QueryRow(ctx, `
			INSERT INTO persons (first_name, last_name, phone, city, employer, job_title, sector, linkedin_url, language, offers, needs)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
			in.FirstName, in.LastName, in.Phone, in.City, in.Employer, in.JobTitle, in.Sector, in.LinkedInURL,
			in.Language, nonNil(in.Offers), nonNil(in.Needs)).Scan(&id)
		if err != nil {
			return err
		}
		if _, err := writeEmails(ctx, tx, id, in); err != nil {
			return err
		}
		if err := writeTags(ctx, tx, id, in.Tags); err != nil {
			return err
		}
		if err := audit.Write(ctx, tx, audit.Record{ActorID: actorID, Action: "person.create", PersonID: id,
			Entity: "person", EntityID: id, Details: map[string]any{"fields": fieldsOf(in)}}); err != nil {
			return err
		}
		if first == nil {
			return nil
		}
		unitID, err := strconv.ParseInt(first.UnitID, 10, 64)
		if err != nil {
			return fmt.Errorf("unit id %q: %w", first.UnitID, err)
		}
		_, err = insertAffiliation(ctx, tx, actorID, id, unitID, *first)
		return err
	})
	if errors.Is(err, ErrEmailTaken) || db.IsUniqueViolation(err, "person_emails_proved_idx") {
		return 0, ErrEmailTaken
	}
	if err != nil {
		return 0, fmt.Errorf("people: create: %w", err)
	}
	return id, nil
}

// UpdatePerson saves in over person id, provided the record still has
// version (optimistic locking): when someone else saved in between,
// ErrConflict is returned and nothing is written. Changed fields go to the
// audit log with their old and new values.
// Staff never replace a primary address the person proved
// (ErrProvedAddress): the person changes it in the portal, and the old
// address is told there.
func (s *Store) UpdatePerson(ctx context.Context, sc units.Scope, actorID, id int64, version int, in Input) error {
	old, err := s.PersonByID(ctx, sc, id)
	if err != nil {
		return err
	}
	if old.ErasedAt != nil {
		return ErrNotFound
	}
	if old.Version != version {
		return ErrConflict
	}
	changes := diff(fieldsOf(InputOf(old)), fieldsOf(in))
	err = db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		if in.PrimaryEmail != old.PrimaryEmail() {
			if taken, err := PrimaryTaken(ctx, tx, sc, in.PrimaryEmail, id); err != nil || taken {
				return cmp.Or(err, ErrEmailTaken)
			}
		}
		tag, err := tx.Exec(ctx, `
			UPDATE persons SET first_name = $3, last_name = $4, phone = $5, city = $6, employer = $7, job_title = $8,
				sector = $9, linkedin_url = $10, language = $11, offers = $12, needs = $13,
				version = version + 1, updated_at = now()
			WHERE id = $1 AND version = $2`,
			id, version, in.FirstName, in.LastName, in.Phone, in.City, in.Employer, in.JobTitle, in.Sector,
			in.LinkedInURL, in.Language, nonNil(in.Offers), nonNil(in.Needs))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrConflict
		}
		if _, err := writeEmails(ctx, tx, id, in); err != nil {
			return err
		}
		if err := writeTags(ctx, tx, id, in.Tags); err != nil {
			return err
		}
		if len(changes) == 0 {
			return nil
		}
		return audit.Write(ctx, tx, audit.Record{ActorID: actorID, Action: "person.update", PersonID: id,
			Entity: "person", EntityID: id, Details: map[string]any{"changes": changes}})
	})
	switch {
	case errors.Is(err, ErrConflict), errors.Is(err, ErrProvedAddress):
		return err
	case errors.Is(err, ErrEmailTaken), db.IsUniqueViolation(err, "person_emails_proved_idx"):
		return ErrEmailTaken
	case err != nil:
		return fmt.Errorf("people: update %d: %w", id, err)
	}
	return nil
}

// writeEmails makes the person's addresses match in: the primary first,
// others after. Addresses the person proved are theirs: they stay, and a
// proved primary is not replaced here (ErrProvedAddress: the person
// changes it in the portal). Unproved addresses no longer listed go; a
// retired address typed again is current again, unproved. It returns the
// primary address that was replaced, "" if none.
func writeEmails(ctx context.Context, tx pgx.Tx, personID int64, in Input) (string, error) {
	var cur string
	var proved bool
	err := tx.QueryRow(ctx, `SELECT email, verified_at IS NOT NULL FROM person_emails WHERE person_id = $1 AND is_primary`,
		personID).Scan(&cur, &proved)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return "", err
	}
	if proved && in.PrimaryEmail != cur {
		return "", ErrProvedAddress
	}
	all := append([]string{}, in.OtherEmails...)
	if in.PrimaryEmail != "" {
		all = append(all, in.PrimaryEmail)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM person_emails WHERE person_id = $1 AND verified_at IS NULL AND retired_at IS NULL
		AND NOT (email = ANY($2::text[]))`, personID, all); err != nil {
		return "", err
	}
	// Demote first so the one-primary index never sees two.
	if _, err := tx.Exec(ctx, `UPDATE person_emails SET is_primary = false WHERE person_id = $1 AND email <> $2 AND is_primary`, personID, in.PrimaryEmail); err != nil {
		return "", err
	}
	const back = `retired_at = NULL, verified_at = CASE WHEN person_emails.retired_at IS NOT NULL THEN NULL ELSE person_emails.verified_at END`
	for _, e := range in.OtherEmails {
		if _, err := tx.Exec(ctx, `INSERT INTO person_emails (person_id, email) VALUES ($1, $2)
			ON CONFLICT (person_id, email) DO UPDATE SET `+back, personID, e); err != nil {
			return "", err
		}
	}
	if in.PrimaryEmail != "" {
		if _, err := tx.Exec(ctx, `INSERT INTO person_emails (person_id, email, is_primary) VALUES ($1, $2, true)
			ON CONFLICT (person_id, email) DO UPDATE SET is_primary = true, `+back, personID, in.PrimaryEmail); err != nil {
			return "", err
		}
	}
	if cur != "" && cur != in.PrimaryEmail {
		return cur, nil
	}
	return "", nil
}

func writeTags(ctx context.Context, tx pgx.Tx, personID int64, tags []string) error {
	if _, err := tx.Exec(ctx, `INSERT INTO tags (name) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING`, nonNil(tags)); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM person_tags WHERE person_id = $1
		AND tag_id NOT IN (SELECT id FROM tags WHERE lower(name) = ANY(SELECT lower(unnest($2::text[]))))`, personID, nonNil(tags)); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO person_tags (person_id, tag_id)
		SELECT $1, id FROM tags WHERE lower(name) = ANY(SELECT lower(unnest($2::text[])))
		ON CONFLICT DO NOTHING`, personID, nonNil(tags))
	return err
}

// Tags returns the tag names used within sc, for filters and suggestions:
// a tag only people elsewhere carry says something about them.
func (s *Store) Tags(ctx context.Context, sc units.Scope) ([]string, error) {
	var b db.Builder
	b.Where(`pt.tag_id = t.id AND p.erased_at IS NULL`)
	sc.PersonCondition(&b, "p.id")
	rows, err := s.pool.Query(ctx, `SELECT t.name FROM tags t
		WHERE EXISTS (SELECT 1 FROM person_tags pt JOIN persons p ON p.id = pt.person_id `+b.WhereSQL()+`)
		ORDER BY lower(t.name)`, b.Args()...)
	if err != nil {
		return nil, fmt.Errorf("people: tags: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// RecordView writes the audit entry for a staff member opening a record.
func (s *Store) RecordView(ctx context.Context, actorID, personID int64) error {
	return audit.Write(ctx, s.pool, audit.Record{ActorID: actorID, Action: "person.view", PersonID: personID,
		Entity: "person", EntityID: personID})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// fieldsOf flattens the input into comparable strings for the audit log.
func fieldsOf(in Input) map[string]string {
	return map[string]string{
		"first_name": in.FirstName, "last_name": in.LastName, "primary_email": in.PrimaryEmail,
		"other_emails": strings.Join(in.OtherEmails, ", "), "phone": in.Phone, "city": in.City,
		"employer": in.Employer, "job_title": in.JobTitle, "sector": in.Sector, "linkedin_url": in.LinkedInURL,
		"language": in.Language, "offers": strings.Join(sorted(in.Offers), ", "),
		"needs": strings.Join(sorted(in.Needs), ", "), "tags": strings.Join(sortedFold(in.Tags), ", "),
	}
}

// Change is one changed field in the audit log.
type Change struct {
	Old string `json:"old"`
	New string `json:"new"`
}

func diff(before, after map[string]string) map[string]Change {
	out := map[string]Change{}
	for k, v := range after {
		if before[k] != v {
			out[k] = Change{Old: before[k], New: v}
		}
	}
	return out
}

func sorted(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

func sortedFold(s []string) []string {
	c := slices.Clone(s)
	slices.SortFunc(c, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	return c
}
