package portal

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"alumnet/internal/spreadsheet"
)

// Export is everything the organisation holds about one person, as they
// download it (GDPR articles 15 and 20).
type Export struct {
	ExportedAt   time.Time           `json:"exported_at"`
	Person       ExportPerson        `json:"person"`
	Emails       []ExportEmail       `json:"email_addresses"`
	Affiliations []ExportAffiliation `json:"affiliations"`
	Tags         []string            `json:"tags"`
	Consents     []ExportConsent     `json:"consent_history"`
	Mails        []ExportMail        `json:"mails_sent"`
	Offboarding  []ExportOffboarding `json:"offboarding"`
	Activity     []ExportActivity    `json:"record_history"`
}

// ExportPerson is the main record.
type ExportPerson struct {
	ID                 int64      `json:"id"`
	FirstName          string     `json:"first_name"`
	LastName           string     `json:"last_name"`
	Phone              string     `json:"phone"`
	City               string     `json:"city"`
	Employer           string     `json:"employer"`
	JobTitle           string     `json:"job_title"`
	Sector             string     `json:"sector"`
	LinkedInURL        string     `json:"linkedin_url"`
	Language           string     `json:"language"`
	Interests          string     `json:"interests"`
	Offers             []string   `json:"offers"`
	Needs              []string   `json:"needs"`
	OpenToReturn       bool       `json:"open_to_return"`
	DetailsConfirmedAt *time.Time `json:"details_confirmed_at"`
	CreatedAt          time.Time  `json:"created_at"`
	UpdatedAt          time.Time  `json:"updated_at"`
}

// ExportEmail is one address.
type ExportEmail struct {
	Address    string     `json:"address"`
	Primary    bool       `json:"primary"`
	VerifiedAt *time.Time `json:"verified_at"`
}

// ExportAffiliation is one period of employment or study.
type ExportAffiliation struct {
	Kind          string     `json:"kind"`
	Unit          string     `json:"unit"`
	StartDate     *time.Time `json:"start_date"`
	EndDate       *time.Time `json:"end_date"`
	Role          string     `json:"role"`
	Crebo         string     `json:"crebo"`
	CohortYear    *int       `json:"cohort_year"`
	LeavingReason *string    `json:"leaving_reason"`
}

// ExportConsent is one ledger row with the text that was shown.
type ExportConsent struct {
	At          time.Time `json:"at"`
	Purpose     string    `json:"purpose"`
	Granted     bool      `json:"granted"`
	Basis       string    `json:"lawful_basis"`
	Source      string    `json:"source"`
	ByYou       bool      `json:"by_you"`
	TextVersion *int      `json:"text_version"`
	Text        *string   `json:"text_shown"`
	Note        *string   `json:"note"`
}

// ExportMail is one mail the app sent or queued for the person.
type ExportMail struct {
	At      time.Time  `json:"at"`
	To      string     `json:"to"`
	Subject string     `json:"subject"`
	Status  string     `json:"status"`
	SentAt  *time.Time `json:"sent_at"`
}

// ExportOffboarding is one offboarding with its exit interview, including
// what only HR sees in the app (rehire eligibility): it is the person's data.
type ExportOffboarding struct {
	DepartureType     string     `json:"departure_type"`
	Unit              string     `json:"unit"`
	LeavingDate       time.Time  `json:"leaving_date"`
	Status            string     `json:"status"`
	InterviewAt       *time.Time `json:"exit_interview_at"`
	Highlights        *string    `json:"highlights"`
	Improvements      *string    `json:"points_to_improve"`
	Takeaways         *string    `json:"takeaways"`
	WouldRecommend    *string    `json:"would_recommend"`
	OpenToContact     *bool      `json:"open_to_contact"`
	RehireEligibility *string    `json:"rehire_eligibility"`
	RehireReason      *string    `json:"rehire_reason"`
	Notes             []string   `json:"task_notes"`
}

// ExportActivity is one entry of the audit log about the person: who (a
// staff member, the person, or the system) viewed or changed what, when.
type ExportActivity struct {
	At     time.Time `json:"at"`
	Action string    `json:"action"`
	By     string    `json:"by"`
}

// Export gathers the person's data.
func (s *Store) Export(ctx context.Context, personID int64) (Export, error) {
	x := Export{ExportedAt: time.Now().UTC(), Tags: []string{}}
	p := &x.Person
	err := s.pool.QueryRow(ctx, `SELECT id, first_name, last_name, phone, city, employer, job_title, sector, linkedin_url, language,
			interests, offers, needs, open_to_return, details_confirmed_at, created_at, updated_at
		FROM persons WHERE id = $1 AND erased_at IS NULL`, personID).Scan(&p.ID, &p.FirstName, &p.LastName, &p.Phone, &p.City,
		&p.Employer, &p.JobTitle, &p.Sector, &p.LinkedInURL, &p.Language, &p.Interests, &p.Offers, &p.Needs, &p.OpenToReturn,
		&p.DetailsConfirmedAt, &p.CreatedAt, &p.UpdatedAt)
	if err == pgx.ErrNoRows {
		return Export{}, ErrNotFound
	}
	if err != nil {
		return Export{}, fmt.Errorf("portal: export %d: %w", personID, err)
	}
	collect := func(sql string, scan func(pgx.CollectableRow) error) error {
		rows, err := s.pool.Query(ctx, sql, personID)
		if err != nil {
			return err
		}
		_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) { return struct{}{}, scan(r) })
		return err
	}
	steps := []struct {
		sql  string
		scan func(pgx.CollectableRow) error
	}{
		{`SELECT email, is_primary, verified_at FROM person_emails WHERE person_id = $1 ORDER BY is_primary DESC, email`,
			func(r pgx.CollectableRow) error {
				var e ExportEmail
				err := r.Scan(&e.Address, &e.Primary, &e.VerifiedAt)
				x.Emails = append(x.Emails, e)
				return err
			}},
		{`SELECT a.kind, u.name, a.start_date, a.end_date, a.role, a.crebo, a.cohort_year, a.leaving_reason
			FROM affiliations a JOIN units u ON u.id = a.unit_id WHERE a.person_id = $1 ORDER BY a.start_date NULLS LAST, a.id`,
			func(r pgx.CollectableRow) error {
				var a ExportAffiliation
				err := r.Scan(&a.Kind, &a.Unit, &a.StartDate, &a.EndDate, &a.Role, &a.Crebo, &a.CohortYear, &a.LeavingReason)
				x.Affiliations = append(x.Affiliations, a)
				return err
			}},
		{`SELECT t.name FROM person_tags pt JOIN tags t ON t.id = pt.tag_id WHERE pt.person_id = $1 ORDER BY lower(t.name)`,
			func(r pgx.CollectableRow) error {
				var t string
				err := r.Scan(&t)
				x.Tags = append(x.Tags, t)
				return err
			}},
		{`SELECT l.at, p.key, l.granted, l.basis, l.source, l.by_person, t.version,
				CASE WHEN per.language = 'en' THEN t.text_en ELSE t.text_nl END, l.note
			FROM consent_ledger l JOIN consent_purposes p ON p.id = l.purpose_id JOIN persons per ON per.id = l.person_id
			LEFT JOIN consent_texts t ON t.id = l.text_id
			WHERE l.person_id = $1 ORDER BY l.at, l.id`,
			func(r pgx.CollectableRow) error {
				var c ExportConsent
				err := r.Scan(&c.At, &c.Purpose, &c.Granted, &c.Basis, &c.Source, &c.ByYou, &c.TextVersion, &c.Text, &c.Note)
				x.Consents = append(x.Consents, c)
				return err
			}},
		{`SELECT created_at, to_address, subject, status, sent_at FROM mail_deliveries WHERE person_id = $1 ORDER BY created_at, id`,
			func(r pgx.CollectableRow) error {
				var m ExportMail
				err := r.Scan(&m.At, &m.To, &m.Subject, &m.Status, &m.SentAt)
				x.Mails = append(x.Mails, m)
				return err
			}},
		{`SELECT c.departure_type, u.name, c.leaving_date, c.status, e.updated_at, e.highlights, e.improvements, e.takeaways,
				e.would_recommend, e.open_to_contact, e.rehire_eligibility, e.rehire_reason,
				coalesce((SELECT array_agg(i.note ORDER BY i.due_date, i.id) FROM offboarding_items i WHERE i.case_id = c.id AND i.note <> ''), '{}')
			FROM offboarding_cases c JOIN units u ON u.id = c.unit_id LEFT JOIN exit_interviews e ON e.case_id = c.id
			WHERE c.person_id = $1 ORDER BY c.created_at, c.id`,
			func(r pgx.CollectableRow) error {
				var o ExportOffboarding
				err := r.Scan(&o.DepartureType, &o.Unit, &o.LeavingDate, &o.Status, &o.InterviewAt, &o.Highlights, &o.Improvements,
					&o.Takeaways, &o.WouldRecommend, &o.OpenToContact, &o.RehireEligibility, &o.RehireReason, &o.Notes)
				x.Offboarding = append(x.Offboarding, o)
				return err
			}},
		{`SELECT a.at, a.action, CASE WHEN a.actor_id IS NOT NULL THEN 'staff'
				WHEN a.details->>'by' = 'person' THEN 'you' ELSE 'system' END
			FROM audit_log a WHERE a.person_id = $1 ORDER BY a.at, a.id`,
			func(r pgx.CollectableRow) error {
				var a ExportActivity
				err := r.Scan(&a.At, &a.Action, &a.By)
				x.Activity = append(x.Activity, a)
				return err
			}},
	}
	for _, st := range steps {
		if err := collect(st.sql, st.scan); err != nil {
			return Export{}, fmt.Errorf("portal: export %d: %w", personID, err)
		}
	}
	return x, nil
}

// WriteCSV writes the main record as a CSV file: a header row and one row.
func (x Export) WriteCSV(w io.Writer) error {
	p := x.Person
	primary := ""
	var others []string
	for _, e := range x.Emails {
		if e.Primary {
			primary = e.Address
		} else {
			others = append(others, e.Address)
		}
	}
	confirmed := ""
	if p.DetailsConfirmedAt != nil {
		confirmed = p.DetailsConfirmedAt.UTC().Format(time.RFC3339)
	}
	cw := csv.NewWriter(w)
	records := [][]string{
		{"id", "first_name", "last_name", "email", "other_emails", "phone", "city", "employer", "job_title", "sector",
			"linkedin_url", "language", "interests", "offers", "needs", "open_to_return", "tags", "details_confirmed_at", "created_at"},
		{strconv.FormatInt(p.ID, 10), p.FirstName, p.LastName, primary, strings.Join(others, " "), p.Phone, p.City, p.Employer,
			p.JobTitle, p.Sector, p.LinkedInURL, p.Language, p.Interests, strings.Join(p.Offers, " "), strings.Join(p.Needs, " "),
			strconv.FormatBool(p.OpenToReturn), strings.Join(x.Tags, "; "), confirmed, p.CreatedAt.UTC().Format(time.RFC3339)},
	}
	for _, r := range records {
		for i, f := range r {
			r[i] = spreadsheet.SafeCell(f)
		}
	}
	if err := cw.WriteAll(records); err != nil {
		return err
	}
	return cw.Error()
}
