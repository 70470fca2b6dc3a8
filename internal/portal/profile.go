package portal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"alumnet/internal/audit"
	"alumnet/internal/consent"
	"alumnet/internal/db"
	"alumnet/internal/form"
	"alumnet/internal/i18n"
	"alumnet/internal/people"
)

// Profile is what an alumnus sees and keeps up to date about themself.
type Profile struct {
	ID                 int64
	FirstName          string
	LastName           string
	Email              string // primary
	Phone              string
	City               string
	Employer           string
	JobTitle           string
	Sector             string
	LinkedInURL        string
	Language           string
	Interests          string
	Offers             []string
	Needs              []string
	OpenToReturn       bool
	DetailsConfirmedAt *time.Time
	Affiliations       []ProfileAffiliation
}

// Name is the full name.
func (p Profile) Name() string { return p.FirstName + " " + p.LastName }

// HasEmployment reports whether the person worked for the organisation
// (only they are asked whether they are open to returning).
func (p Profile) HasEmployment() bool {
	return slices.ContainsFunc(p.Affiliations, func(a ProfileAffiliation) bool { return a.Kind == "employment" })
}

// ProfileAffiliation is a period with the organisation, as the alumnus sees it.
type ProfileAffiliation struct {
	Kind       string
	UnitName   string
	StartDate  *time.Time
	EndDate    *time.Time
	CohortYear *int
	Role       string
}

// Profile loads the person's own record.
func (s *Store) Profile(ctx context.Context, personID int64) (Profile, error) {
	var p Profile
	err := s.pool.QueryRow(ctx, `SELECT p.id, p.first_name, p.last_name, coalesce(e.email, ''), p.phone, p.city, p.employer,
			p.job_title, p.sector, p.linkedin_url, p.language, p.interests, p.offers, p.needs, p.open_to_return, p.details_confirmed_at
		FROM persons p LEFT JOIN person_emails e ON e.person_id = p.id AND e.is_primary
		WHERE p.id = $1 AND p.erased_at IS NULL`, personID).Scan(&p.ID, &p.FirstName, &p.LastName, &p.Email, &p.Phone, &p.City,
		&p.Employer, &p.JobTitle, &p.Sector, &p.LinkedInURL, &p.Language, &p.Interests, &p.Offers, &p.Needs, &p.OpenToReturn,
		&p.DetailsConfirmedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Profile{}, ErrNotFound
	}
	if err != nil {
		return Profile{}, fmt.Errorf("portal: profile %d: %w", personID, err)
	}
	rows, err := s.pool.Query(ctx, `SELECT a.kind, u.name, a.start_date, a.end_date, a.cohort_year, a.role
		FROM affiliations a JOIN units u ON u.id = a.unit_id WHERE a.person_id = $1
		ORDER BY coalesce(a.end_date, a.start_date) DESC NULLS FIRST, a.id DESC`, personID)
	if err != nil {
		return Profile{}, err
	}
	p.Affiliations, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (ProfileAffiliation, error) {
		var a ProfileAffiliation
		return a, r.Scan(&a.Kind, &a.UnitName, &a.StartDate, &a.EndDate, &a.CohortYear, &a.Role)
	})
	return p, err
}

// ProfileInput is the profile form.
type ProfileInput struct {
	FirstName    string
	LastName     string
	Phone        string
	City         string
	Employer     string
	JobTitle     string
	Sector       string
	LinkedInURL  string
	Language     string
	Interests    string
	Offers       []string
	Needs        []string
	OpenToReturn bool
}

// InputOf returns the form filled with p.
func InputOf(p Profile) ProfileInput {
	return ProfileInput{FirstName: p.FirstName, LastName: p.LastName, Phone: p.Phone, City: p.City, Employer: p.Employer,
		JobTitle: p.JobTitle, Sector: p.Sector, LinkedInURL: p.LinkedInURL, Language: p.Language, Interests: p.Interests,
		Offers: p.Offers, Needs: p.Needs, OpenToReturn: p.OpenToReturn}
}

// Normalize trims the input.
func (in *ProfileInput) Normalize() {
	for _, f := range []*string{&in.FirstName, &in.LastName, &in.Phone, &in.City, &in.Employer, &in.JobTitle, &in.Sector,
		&in.LinkedInURL, &in.Interests} {
		*f = strings.TrimSpace(*f)
	}
}

// Validate returns field → message key, with the registry's rules.
func (in ProfileInput) Validate() form.Errors {
	pi := people.Input{FirstName: in.FirstName, LastName: in.LastName, Phone: in.Phone, City: in.City, Employer: in.Employer,
		JobTitle: in.JobTitle, Sector: in.Sector, LinkedInURL: in.LinkedInURL, Language: in.Language, Offers: in.Offers, Needs: in.Needs}
	errs := pi.Validate()
	if _, ok := i18n.Parse(in.Language); !ok {
		errs.Add("language", "err.choice")
	}
	errs.Text("interests", in.Interests, 1000, false)
	return errs
}

// UpdateProfile saves the alumnus' own changes; saving counts as
// confirming the details. The audit log names the fields, not the values.
func (s *Store) UpdateProfile(ctx context.Context, personID int64, in ProfileInput) error {
	before, err := s.Profile(ctx, personID)
	if err != nil {
		return err
	}
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		err := people.SaveOwnDetails(ctx, tx, personID, people.OwnDetails{FirstName: in.FirstName, LastName: in.LastName, Phone: in.Phone,
			City: in.City, Employer: in.Employer, JobTitle: in.JobTitle, Sector: in.Sector, LinkedInURL: in.LinkedInURL, Language: in.Language,
			Interests: in.Interests, Offers: in.Offers, Needs: in.Needs, OpenToReturn: in.OpenToReturn})
		if errors.Is(err, people.ErrNotFound) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		changed := changedFields(InputOf(before), in)
		return audit.Write(ctx, tx, audit.Record{Action: "person.update", PersonID: personID, Entity: "person", EntityID: personID,
			Details: map[string]any{"by": "person", "fields": changed}})
	})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func changedFields(a, b ProfileInput) []string {
	var out []string
	add := func(name string, same bool) {
		if !same {
			out = append(out, name)
		}
	}
	add("first_name", a.FirstName == b.FirstName)
	add("last_name", a.LastName == b.LastName)
	add("phone", a.Phone == b.Phone)
	add("city", a.City == b.City)
	add("employer", a.Employer == b.Employer)
	add("job_title", a.JobTitle == b.JobTitle)
	add("sector", a.Sector == b.Sector)
	add("linkedin_url", a.LinkedInURL == b.LinkedInURL)
	add("language", a.Language == b.Language)
	add("interests", a.Interests == b.Interests)
	add("offers", slices.Equal(slices.Sorted(slices.Values(a.Offers)), slices.Sorted(slices.Values(b.Offers))))
	add("needs", slices.Equal(slices.Sorted(slices.Values(a.Needs)), slices.Sorted(slices.Values(b.Needs))))
	add("open_to_return", a.OpenToReturn == b.OpenToReturn)
	if out == nil {
		out = []string{}
	}
	return out
}

// ConfirmDetails records that the alumnus checked their details and they
// are still right.
func (s *Store) ConfirmDetails(ctx context.Context, personID int64) error {
	err := people.ConfirmDetails(ctx, s.pool, personID)
	if errors.Is(err, people.ErrNotFound) {
		return ErrNotFound
	}
	return err
}

// RequestEmailChange mails a confirmation link to the new address; the
// address changes only when that link is used.
func (s *Store) RequestEmailChange(ctx context.Context, personID int64, newEmail string) error {
	newEmail = strings.ToLower(strings.TrimSpace(newEmail))
	p, err := s.Profile(ctx, personID)
	if err != nil {
		return err
	}
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		token, tid, err := createToken(ctx, tx, PurposeEmailChange, personID, newEmail, nil)
		if err != nil {
			return err
		}
		return s.send(ctx, tx, Mail{Kind: PurposeEmailChange, To: newEmail, PersonID: personID, Name: p.FirstName, Lang: p.Language,
			Token: token, TokenID: tid})
	})
}

// ConfirmEmailChange uses the link from the new address, which proves it:
// it becomes the primary address, and the old one is retired (it stops
// opening the portal at once) and gets a notice with a way to undo the
// change. Other links of the person stop working.
func (s *Store) ConfirmEmailChange(ctx context.Context, token string) (int64, error) {
	var personID int64
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		t, err := useToken(ctx, tx, PurposeEmailChange, token)
		if err != nil {
			return err
		}
		personID = t.PersonID
		var erased bool
		if err := tx.QueryRow(ctx, `SELECT erased_at IS NOT NULL FROM persons WHERE id = $1 FOR UPDATE`, personID).Scan(&erased); err != nil || erased {
			return ErrLinkInvalid
		}
		// Links sent to the old address (or to another new one) stop
		// working; the undo links of earlier changes stay (see noticeReplaced).
		if err := expireLinks(ctx, tx, personID, t.ID, PurposeLogin, PurposeEmailChange, PurposeInvite, PurposeConfirmDetails); err != nil {
			return err
		}
		if other, err := people.ByLoginAddress(ctx, tx, t.Email); err == nil && other.ID != personID {
			return ErrEmailTaken
		}
		old, err := people.ReplacePrimary(ctx, tx, personID, t.Email, people.ByPerson)
		if errors.Is(err, people.ErrEmailTaken) {
			return ErrEmailTaken
		}
		if err != nil {
			return err
		}
		if old.Email != "" && old.Proved {
			if err := s.noticeReplaced(ctx, tx, personID, old.Email, t.Email); err != nil {
				return err
			}
		}
		return audit.Write(ctx, tx, audit.Record{Action: "person.update", PersonID: personID, Entity: "person", EntityID: personID,
			Details: map[string]any{"by": "person", "fields": []string{"primary_email"}}})
	})
	return personID, err
}

// revertPayload is what a "this was not me" link undoes.
type revertPayload struct {
	New string `json:"new"`
}

// noticeReplaced tells the proved address old that newAddr replaced it,
// with a link that undoes the change, inside the change's transaction.
// Only a proved address gets one: an address nobody proved (a typo staff
// corrected) may be a stranger's, who must neither learn of the person
// nor take their place. While the undo link of an earlier change is still
// open, that address is told again, with a fresh link: a second quick
// change cannot hide the first from the person it was taken from.
func (s *Store) noticeReplaced(ctx context.Context, tx pgx.Tx, personID int64, old, newAddr string) error {
	var name, lang string
	err := tx.QueryRow(ctx, `SELECT first_name, language FROM persons WHERE id = $1 AND erased_at IS NULL`, personID).Scan(&name, &lang)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	rows, err := tx.Query(ctx, `UPDATE person_tokens SET used_at = now()
		WHERE person_id = $1 AND purpose = 'email_revert' AND used_at IS NULL AND expires_at > now() AND email <> $2
		RETURNING email`, personID, old)
	if err != nil {
		return err
	}
	earlier, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	told := map[string]bool{newAddr: true}
	for _, to := range append([]string{old}, earlier...) {
		if told[to] {
			continue
		}
		told[to] = true
		token, tid, err := createToken(ctx, tx, PurposeEmailRevert, personID, to, revertPayload{New: newAddr})
		if err != nil {
			return err
		}
		if err := s.send(ctx, tx, Mail{Kind: PurposeEmailRevert, To: to, PersonID: personID, Name: name, Lang: lang, Token: token, TokenID: tid,
			NewAddress: MaskAddress(newAddr)}); err != nil {
			return err
		}
	}
	return nil
}

// MaskAddress shows enough of an address for its owner to recognise it
// and little to anyone else: "j…n@gmail.com".
func MaskAddress(email string) string {
	local, domain, ok := strings.Cut(email, "@")
	if !ok || local == "" {
		return "…"
	}
	r := []rune(local)
	if len(r) <= 2 {
		return string(r[:1]) + "…@" + domain
	}
	return string(r[:1]) + "…" + string(r[len(r)-1:]) + "@" + domain
}

// RevertEmail uses a "this was not me" link: while the change it undoes is
// still in place, the old address (proved by this click, as it was
// before) is the primary again and the one that replaced it is retired and
// told so; every other link of the person stops working and every portal
// session of theirs ends, in the same transaction. It returns whose
// address it is.
func (s *Store) RevertEmail(ctx context.Context, token string) (int64, error) {
	var personID int64
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		t, err := useToken(ctx, tx, PurposeEmailRevert, token)
		if err != nil {
			return err
		}
		personID = t.PersonID
		var p revertPayload
		if err := json.Unmarshal(t.Payload, &p); err != nil || p.New == "" {
			return ErrLinkInvalid
		}
		var current string
		err = tx.QueryRow(ctx, `SELECT e.email FROM persons x JOIN person_emails e ON e.person_id = x.id AND e.is_primary
			WHERE x.id = $1 AND x.erased_at IS NULL FOR UPDATE OF x`, personID).Scan(&current)
		if errors.Is(err, pgx.ErrNoRows) || err == nil && current != p.New {
			return ErrLinkInvalid // changed again, undone already, or erased
		}
		if err != nil {
			return err
		}
		if other, err := people.ByLoginAddress(ctx, tx, t.Email); err == nil && other.ID != personID {
			return ErrEmailTaken
		}
		if _, err := people.ReplacePrimary(ctx, tx, personID, t.Email, people.ByPerson); errors.Is(err, people.ErrEmailTaken) {
			return ErrEmailTaken
		} else if err != nil {
			return err
		}
		if err := expireLinks(ctx, tx, personID, t.ID); err != nil {
			return err
		}
		// The address that was taken out hears of it, without a link.
		var name, lang string
		if err := tx.QueryRow(ctx, `SELECT first_name, language FROM persons WHERE id = $1`, personID).Scan(&name, &lang); err != nil {
			return err
		}
		if err := s.send(ctx, tx, Mail{Kind: MailEmailReverted, To: p.New, PersonID: personID, Name: name, Lang: lang, TokenID: t.ID}); err != nil {
			return err
		}
		// Whoever made the change is logged out, also a request of theirs
		// still running.
		if err := people.EndPortalSessions(ctx, tx, personID); err != nil {
			return err
		}
		if _, err := s.sessions.EndPersonSessions(ctx, tx, personID); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Record{Action: "person.email_revert", PersonID: personID, Entity: "person", EntityID: personID,
			Details: map[string]any{"by": "person"}})
	})
	return personID, err
}

// Invite mails the person a link to confirm their details and choose their
// permissions, at their primary address (InviteTx in a transaction of its
// own).
func (s *Store) Invite(ctx context.Context, actorID, personID int64) (ok bool, err error) {
	err = db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		ok, err = s.InviteTx(ctx, tx, actorID, personID)
		return err
	})
	return ok, err
}

// InviteTx is Invite inside tx, with the change that calls for it (the
// offboarding's new address). It is skipped (ok false) for someone without
// an address, erased, or invited less than a week ago; it refuses with
// ErrJoined when the person proved another address (they log in with it)
// and ErrCaution after a cautioned departure. When someone else proved
// the address (a second record of the same person, or a typing error),
// nothing is mailed, but everything else happens as for a sent invitation:
// the caller may not see that person, and must not learn of them this way.
func (s *Store) InviteTx(ctx context.Context, tx pgx.Tx, actorID, personID int64) (ok bool, err error) {
	var email, name, lang string
	err = tx.QueryRow(ctx, `SELECT e.email, p.first_name, p.language FROM persons p
		JOIN person_emails e ON e.person_id = p.id AND e.is_primary
		WHERE p.id = $1 AND p.erased_at IS NULL`, personID).Scan(&email, &name, &lang)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	held := false
	if may, err := people.MayClaim(ctx, tx, personID, email); err != nil {
		return false, err
	} else if !may {
		if other, err := people.ByLoginAddress(ctx, tx, email); err == nil && other.ID != personID {
			held = true
		} else if err != nil && !errors.Is(err, people.ErrNoAddress) {
			return false, err
		} else {
			return false, ErrJoined
		}
	}
	var recent, caution bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM person_tokens WHERE person_id = $1 AND purpose = 'invite'
			AND used_at IS NULL AND created_at > now() - interval '7 days'),
		EXISTS (SELECT 1 FROM offboarding_cases c JOIN departure_types t ON t.key = c.departure_type
			WHERE c.person_id = $1 AND t.caution AND NOT c.invitation_caution_confirmed)`, personID).Scan(&recent, &caution); err != nil || recent {
		return false, err
	}
	if caution {
		// Left after a dismissal or a conflict: only the offboarding's
		// invitation step, with its explicit confirmation, invites.
		return false, ErrCaution
	}
	token, tid, err := createToken(ctx, tx, PurposeInvite, personID, email, nil)
	if err != nil {
		return false, err
	}
	details := map[string]any{}
	if held {
		details["held"] = "address_proved_by_someone_else"
	} else if err := s.send(ctx, tx, Mail{Kind: PurposeInvite, To: email, PersonID: personID, Name: name, Lang: lang, Token: token, TokenID: tid}); err != nil {
		return false, err
	}
	return true, audit.Write(ctx, tx, audit.Record{ActorID: actorID, Action: "person.invite", PersonID: personID, Entity: "person", EntityID: personID,
		Details: details})
}

// AcceptInvitation uses an invitation link, which proves its address
// (while it may: the person's primary address, and the first they prove or
// proved already): the person confirms (or corrects) their name and
// language and gives the permissions they ticked (purpose → text version
// shown; the others are recorded as not given only when they had been
// given before, i.e. withdrawn).
func (s *Store) AcceptInvitation(ctx context.Context, token, firstName, lastName, lang string, chosen map[int64]int64) (int64, error) {
	var personID int64
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		t, err := useToken(ctx, tx, PurposeInvite, token)
		if err != nil {
			return err
		}
		personID = t.PersonID
		if may, err := people.MayClaim(ctx, tx, personID, t.Email); err != nil {
			return err
		} else if !may {
			return ErrLinkInvalid
		}
		if err := people.ConfirmInvited(ctx, tx, personID, firstName, lastName, lang); errors.Is(err, people.ErrNotFound) {
			return ErrLinkInvalid
		} else if err != nil {
			return err
		}
		if err := people.Prove(ctx, tx, personID, t.Email); errors.Is(err, people.ErrEmailTaken) {
			return ErrLinkInvalid // someone else proved it meanwhile
		} else if err != nil {
			return err
		}
		if err := s.setConsents(ctx, tx, personID, chosen, consent.SourceInvitation); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Record{Action: "person.accept_invitation", PersonID: personID, Entity: "person", EntityID: personID,
			Details: map[string]any{"by": "person"}})
	})
	return personID, err
}

// setConsents makes the ledger match chosen (purpose → text shown) for
// every active purpose: a grant for each newly ticked one, a withdrawal
// for each previously allowed one left unticked (for a legitimate-interest
// purpose, an objection). Unchanged ones get no row.
func (s *Store) setConsents(ctx context.Context, tx pgx.Tx, personID int64, chosen map[int64]int64, source string) error {
	states, err := s.consent.States(ctx, personID)
	if err != nil {
		return err
	}
	for _, st := range states {
		textID, want := chosen[st.Purpose.ID]
		if want == st.Allowed {
			continue
		}
		if _, err := s.consent.Record(ctx, tx, consent.Entry{PersonID: personID, PurposeID: st.Purpose.ID, Granted: want,
			TextID: textID, Source: source, ByPerson: true}); err != nil {
			return err
		}
	}
	return nil
}

// Who is the little the portal needs of a person on every request: name
// and language.
type Who struct {
	ID        int64
	FirstName string
	LastName  string
	Language  string
	// SessionEpoch is the generation of the person's portal sessions: a
	// session counts only while it carries the current one.
	SessionEpoch int
}

// Name is the full name.
func (w Who) Name() string { return w.FirstName + " " + w.LastName }

// Who returns an unerased person's name and language (ErrNotFound
// otherwise): one indexed read, for the portal session and for choosing a
// page's language.
func (s *Store) Who(ctx context.Context, personID int64) (Who, error) {
	w := Who{ID: personID}
	err := s.pool.QueryRow(ctx, `SELECT first_name, last_name, language, session_epoch FROM persons WHERE id = $1 AND erased_at IS NULL`,
		personID).Scan(&w.FirstName, &w.LastName, &w.Language, &w.SessionEpoch)
	if errors.Is(err, pgx.ErrNoRows) {
		return Who{}, ErrNotFound
	}
	return w, err
}
