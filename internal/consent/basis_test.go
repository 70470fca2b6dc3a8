package consent_test

import (
	"context"
	"testing"

	"alumnet/internal/consent"
)

// TestBasisChange: a purpose that moves from legitimate interest to
// consent needs a grant given as consent; an earlier row under legitimate
// interest does not count as one.
func TestBasisChange(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	p := f.purpose(t, "surveys")
	if _, err := f.pool.Exec(ctx, `UPDATE consent_purposes SET lawful_basis = 'legitimate_interest' WHERE id = $1`, p.ID); err != nil {
		t.Fatal(err)
	}
	if d, err := f.store.MayUse(ctx, f.anna, "surveys"); err != nil || !d.Allowed || d.Reason != consent.ReasonLegitimateInterest {
		t.Fatalf("legitimate interest without a row: %+v %v", d, err)
	}
	f.record(t, consent.Entry{PersonID: f.anna, PurposeID: p.ID, Granted: true, Source: consent.SourcePortal, ByPerson: true})
	if _, err := f.pool.Exec(ctx, `UPDATE consent_purposes SET lawful_basis = 'consent' WHERE id = $1`, p.ID); err != nil {
		t.Fatal(err)
	}
	if d, err := f.store.MayUse(ctx, f.anna, "surveys"); err != nil || d.Allowed {
		t.Fatalf("a grant under legitimate interest counted as consent: %+v %v", d, err)
	}
	f.record(t, consent.Entry{PersonID: f.anna, PurposeID: p.ID, Granted: true, Source: consent.SourcePortal, ByPerson: true})
	if d, err := f.store.MayUse(ctx, f.anna, "surveys"); err != nil || !d.Allowed || d.Reason != consent.ReasonGranted {
		t.Fatalf("a grant as consent: %+v %v", d, err)
	}
}
