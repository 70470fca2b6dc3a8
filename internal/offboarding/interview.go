package offboarding

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"alumnet/internal/audit"
	"alumnet/internal/db"
	"alumnet/internal/form"
	"alumnet/internal/people"
	"alumnet/internal/units"
)

// Rehire eligibility values and recommendation answers.
var (
	RehireValues    = []string{"eligible", "not_eligible", "review"}
	RecommendValues = []string{"yes", "maybe", "no"}
)

// ExitInterview is what the leaver told in the exit interview.
// Rehire eligibility is for HR (staff and administrators) only.
type ExitInterview struct {
	Highlights     string
	Improvements   string
	Takeaways      string
	WouldRecommend string // yes, maybe, no, or "" (not asked)
	OpenToContact  string // yes, no, or ""
	Rehire         string // eligible, not_eligible, review, or ""
	RehireReason   string
	UpdatedAt      *time.Time
	UpdatedBy      *string
}

// Normalize trims the answers.
func (x *ExitInterview) Normalize() {
	for _, f := range []*string{&x.Highlights, &x.Improvements, &x.Takeaways, &x.RehireReason} {
		*f = strings.TrimSpace(*f)
	}
}

// Validate returns field → message key. hr says whether rehire
// eligibility is part of the form.
func (x ExitInterview) Validate(hr bool) form.Errors {
	errs := form.Errors{}
	errs.Text("highlights", x.Highlights, 5000, false)
	errs.Text("improvements", x.Improvements, 5000, false)
	errs.Text("takeaways", x.Takeaways, 5000, false)
	if x.WouldRecommend != "" && !slices.Contains(RecommendValues, x.WouldRecommend) {
		errs.Add("would_recommend", "err.choice")
	}
	if x.OpenToContact != "" && x.OpenToContact != "yes" && x.OpenToContact != "no" {
		errs.Add("open_to_contact", "err.choice")
	}
	if hr {
		switch {
		case x.Rehire != "" && !slices.Contains(RehireValues, x.Rehire):
			errs.Add("rehire", "err.choice")
		case (x.Rehire == "not_eligible" || x.Rehire == "review") && x.RehireReason == "":
			errs.Add("rehire_reason", "offboarding.err.rehire_reason")
		default:
			errs.Text("rehire_reason", x.RehireReason, 2000, false)
		}
	}
	return errs
}

func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func yesNo(s string) *bool {
	switch s {
	case "yes":
		b := true
		return &b
	case "no":
		b := false
		return &b
	}
	return nil
}

// Interview returns the case's exit interview (zero if none yet). Without
// hr the rehire fields stay empty.
func (s *Store) Interview(ctx context.Context, sc units.Scope, caseID int64, hr bool) (ExitInterview, error) {
	c, err := s.Case(ctx, sc, caseID)
	if err != nil {
		return ExitInterview{}, err
	}
	return s.InterviewOf(ctx, c, hr)
}

// InterviewOf is Interview for a case already loaded (within scope).
func (s *Store) InterviewOf(ctx context.Context, c Case, hr bool) (ExitInterview, error) {
	caseID := c.ID
	var x ExitInterview
	var rec, rehire *string
	var open *bool
	err := s.pool.QueryRow(ctx, `SELECT e.highlights, e.improvements, e.takeaways, e.would_recommend, e.open_to_contact,
			e.rehire_eligibility, e.rehire_reason, e.updated_at, u.name
		FROM exit_interviews e LEFT JOIN users u ON u.id = e.updated_by WHERE e.case_id = $1`, caseID).
		Scan(&x.Highlights, &x.Improvements, &x.Takeaways, &rec, &open, &rehire, &x.RehireReason, &x.UpdatedAt, &x.UpdatedBy)
	if errors.Is(err, pgx.ErrNoRows) {
		return ExitInterview{}, nil
	}
	if err != nil {
		return ExitInterview{}, err
	}
	if rec != nil {
		x.WouldRecommend = *rec
	}
	if open != nil {
		x.OpenToContact = map[bool]string{true: "yes", false: "no"}[*open]
	}
	if hr && rehire != nil {
		x.Rehire = *rehire
	}
	if !hr {
		x.RehireReason = ""
	}
	return x, nil
}

// SaveInterview stores the exit interview and ticks the case's exit
// interview items. Without hr the rehire fields keep what HR entered.
func (s *Store) SaveInterview(ctx context.Context, sc units.Scope, actorID, caseID int64, x ExitInterview, hr bool) error {
	c, err := s.Case(ctx, sc, caseID)
	if err != nil {
		return err
	}
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO exit_interviews (case_id, highlights, improvements, takeaways, would_recommend,
				open_to_contact, rehire_eligibility, rehire_reason, updated_by, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now())
			ON CONFLICT (case_id) DO UPDATE SET highlights = $2, improvements = $3, takeaways = $4, would_recommend = $5,
				open_to_contact = $6,
				rehire_eligibility = CASE WHEN $10 THEN $7 ELSE exit_interviews.rehire_eligibility END,
				rehire_reason = CASE WHEN $10 THEN $8 ELSE exit_interviews.rehire_reason END,
				updated_by = $9, updated_at = now()`,
			caseID, x.Highlights, x.Improvements, x.Takeaways, nullString(x.WouldRecommend), yesNo(x.OpenToContact),
			nullIf(hr, x.Rehire), stringIf(hr, x.RehireReason), db.NullID(actorID), hr); err != nil {
			return err
		}
		if c.Open() {
			if _, err := tx.Exec(ctx, `UPDATE offboarding_items SET status = 'done', done_by = $2, done_at = now()
				WHERE case_id = $1 AND kind = 'exit_interview' AND status = 'open'`, caseID, db.NullID(actorID)); err != nil {
				return err
			}
		}
		// The audit log names the fields, not what the leaver said.
		return audit.Write(ctx, tx, audit.Record{ActorID: actorID, Action: "offboarding.interview", PersonID: c.PersonID,
			Entity: "offboarding", EntityID: caseID})
	})
}

func nullIf(ok bool, s string) *string {
	if !ok {
		return nil
	}
	return nullString(s)
}

func stringIf(ok bool, s string) string {
	if !ok {
		return ""
	}
	return s
}

// Errors of the invitation step.
var (
	ErrEmailTaken = errors.New("offboarding: the address belongs to someone else")
	ErrBadEmail   = errors.New("offboarding: not a valid e-mail address")
	// ErrProvedAddress means the person proved another address of their
	// own: they are in the network already and change it themselves.
	ErrProvedAddress = errors.New("offboarding: the person proved another address")
)

// Invite is the alumni invitation step: the personal address becomes the
// person's primary address, and the portal invitation goes there. While
// the case is open, the leaver's addresses on the organisation's own mail
// domains (WorkDomains) are retired: they stop opening the portal at once.
// An address the person proved on another domain is theirs; then the
// step refuses (ErrProvedAddress): they are in the network already and
// change it themselves. For a departure
// that calls for caution (dismissal, conflict) the caller must pass
// confirmed, after showing the advice not to push contact.
func (s *Store) Invite(ctx context.Context, sc units.Scope, actorID, caseID int64, email string, confirmed bool) (bool, error) {
	c, err := s.Case(ctx, sc, caseID)
	if err != nil {
		return false, err
	}
	if c.Caution && !confirmed {
		return false, ErrCautionNeeded
	}
	email = strings.ToLower(strings.TrimSpace(email))
	if !people.ValidEmail(email) {
		return false, ErrBadEmail
	}
	var sent bool
	err = db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		if taken, err := people.PrimaryTaken(ctx, tx, sc, email, c.PersonID); err != nil || taken {
			return cmp.Or(err, ErrEmailTaken)
		}
		// Someone leaving loses their work address: it stops opening the
		// portal. An address they proved on any other domain is theirs, and
		// only they change it.
		if c.Open() {
			if err := people.RetireWorkAddresses(ctx, tx, c.PersonID, s.workDomains, email); err != nil {
				return err
			}
		}
		// An edit form opened before sees the change as a conflict (the
		// record's version moves); links to the old address stop working.
		_, err := people.ReplacePrimary(ctx, tx, c.PersonID, email, people.ByStaff)
		if errors.Is(err, people.ErrEmailTaken) {
			return ErrEmailTaken
		}
		if errors.Is(err, people.ErrProvedAddress) {
			return ErrProvedAddress
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE offboarding_cases SET invitation_caution_confirmed = invitation_caution_confirmed OR $2
			WHERE id = $1`, caseID, c.Caution && confirmed); err != nil {
			return err
		}
		if err := audit.Write(ctx, tx, audit.Record{ActorID: actorID, Action: "person.update", PersonID: c.PersonID, Entity: "person",
			EntityID: c.PersonID, Details: map[string]any{"fields": []string{"primary_email"}}}); err != nil {
			return err
		}
		// The new address and its invitation go together, or neither.
		if sent, err = s.portal.InviteTx(ctx, tx, actorID, c.PersonID); err != nil || !sent {
			return err
		}
		// Only a sent invitation counts: the step is done, the case says when.
		_, err = tx.Exec(ctx, `WITH c AS (UPDATE offboarding_cases SET invitation_email = $3, invitation_sent_at = now() WHERE id = $1)
			UPDATE offboarding_items SET status = 'done', done_by = $2, done_at = now()
			WHERE case_id = $1 AND kind = 'alumni_invitation' AND status = 'open'`, caseID, db.NullID(actorID), email)
		return err
	})
	return sent, err
}
