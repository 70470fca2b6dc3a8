package consent_test

import (
	"context"
	"fmt"
	"testing"

	"alumnet/internal/consent"
)

// TestRuleInGoAndSQLAgree: for every kind of purpose (basis, switched on
// or off), history (no row, a grant under either basis, a withdrawal, a
// grant after a withdrawal) and person (erased or not), the SQL forms of
// the rule answer what MayUse answers.
func TestRuleInGoAndSQLAgree(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	type row struct {
		granted bool
		basis   string
	}
	histories := map[string][]row{
		"none":               nil,
		"grant":              {{true, "consent"}},
		"grant under LI":     {{true, "legitimate_interest"}},
		"withdrawn":          {{true, "consent"}, {false, "consent"}},
		"objected":           {{false, "legitimate_interest"}},
		"granted again":      {{false, "consent"}, {true, "consent"}},
		"LI then consent":    {{true, "legitimate_interest"}, {true, "consent"}},
		"consent then LI re": {{true, "consent"}, {true, "legitimate_interest"}},
	}
	n := 0
	for _, basis := range consent.Bases {
		for _, active := range []bool{true, false} {
			for name, history := range histories {
				for _, erased := range []bool{false, true} {
					n++
					key := fmt.Sprintf("rule_case_%d", n)
					var purposeID, textID int64
					if err := f.pool.QueryRow(ctx, `INSERT INTO consent_purposes (key, lawful_basis, active) VALUES ($1, $2, $3) RETURNING id`,
						key, basis, active).Scan(&purposeID); err != nil {
						t.Fatal(err)
					}
					if err := f.pool.QueryRow(ctx, `INSERT INTO consent_texts (purpose_id, version, name_nl, name_en, text_nl, text_en)
						VALUES ($1, 1, 'x', 'x', 'x', 'x') RETURNING id`, purposeID).Scan(&textID); err != nil {
						t.Fatal(err)
					}
					person := f.person(t, "Case", key)
					for i, r := range history {
						if _, err := f.pool.Exec(ctx, `INSERT INTO consent_ledger (person_id, purpose_id, basis, granted, text_id, source, by_person, at)
							VALUES ($1, $2, $3, $4, $5, 'portal', true, now() - make_interval(days => $6))`,
							person, purposeID, r.basis, r.granted, textID, len(history)-i); err != nil {
							t.Fatal(err)
						}
					}
					if erased {
						if _, err := f.pool.Exec(ctx, `UPDATE persons SET erased_at = now() WHERE id = $1`, person); err != nil {
							t.Fatal(err)
						}
					}
					d, err := f.store.MayUse(ctx, person, key)
					if err != nil {
						t.Fatal(err)
					}
					var perPerson, setBased bool
					if err := f.pool.QueryRow(ctx, `SELECT `+consent.PersonAllowsSQL("$1::bigint", "cp")+` FROM consent_purposes cp WHERE cp.key = $2`,
						person, key).Scan(&perPerson); err != nil {
						t.Fatal(err)
					}
					if err := f.pool.QueryRow(ctx, `SELECT p.erased_at IS NULL AND `+consent.AllowedSQL("l", "cp")+`
						FROM consent_purposes cp JOIN persons p ON p.id = $1
						LEFT JOIN `+consent.LatestSQL+` l ON l.person_id = p.id AND l.purpose_id = cp.id
						WHERE cp.key = $2`, person, key).Scan(&setBased); err != nil {
						t.Fatal(err)
					}
					if perPerson != d.Allowed || setBased != d.Allowed {
						t.Errorf("%s purpose, active %v, history %q, erased %v: MayUse %v (%s), per person %v, set-based %v",
							basis, active, name, erased, d.Allowed, d.Reason, perPerson, setBased)
					}
				}
			}
		}
	}
}
