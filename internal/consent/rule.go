package consent

// The rule "may purpose P be used for person X now?" exists once: decide
// (consent.go) says it in Go, for MayUse and States; the functions below
// say the same in SQL, for queries over many people (the yearly question,
// retention, segments and mailings). TestRuleInGoAndSQLAgree holds the two
// together, case by case.

// grantHolds: the latest row l is a grant, recorded under consent when
// the purpose cp needs consent (a grant recorded when it rested on
// legitimate interest is no consent).
func grantHolds(l, cp string) string {
	return l + `.granted AND NOT (` + cp + `.lawful_basis = 'consent' AND ` + l + `.basis <> 'consent')`
}

// withoutRow: what no row at all means, allowed under legitimate interest.
func withoutRow(cp string) string { return cp + `.lawful_basis = 'legitimate_interest'` }

// AllowedSQL is the rule as a SQL condition over a purpose (cp, a
// consent_purposes row) and the person's latest ledger row for it (l,
// NULL when there is none): the purpose is switched on, and the latest
// row is a grant that holds, or there is no row and the purpose rests on
// legitimate interest. Whether the person was erased is the caller's
// condition.
func AllowedSQL(l, cp string) string {
	return `(` + cp + `.active AND coalesce(` + grantHolds(l, cp) + `, ` + withoutRow(cp) + `))`
}

// LatestSQL is a FROM item with the latest ledger row of every person for
// every purpose (columns person_id, purpose_id, granted, basis, at): the
// current state, set-based.
const LatestSQL = `(SELECT DISTINCT ON (person_id, purpose_id) person_id, purpose_id, granted, basis, at
	FROM consent_ledger ORDER BY person_id, purpose_id, at DESC, id DESC)`

// PersonAllowsSQL is the rule for one person (an expression, e.g. "p.id")
// and a purpose (alias cp): a condition that finds the person's latest row
// for the purpose with one index probe, and is false for an erased person.
func PersonAllowsSQL(person, cp string) string {
	return `(` + cp + `.active
		AND NOT EXISTS (SELECT 1 FROM persons ce WHERE ce.id = ` + person + ` AND ce.erased_at IS NOT NULL)
		AND coalesce((SELECT ` + grantHolds("cl", cp) + ` FROM consent_ledger cl
			WHERE cl.person_id = ` + person + ` AND cl.purpose_id = ` + cp + `.id ORDER BY cl.at DESC, cl.id DESC LIMIT 1), ` + withoutRow(cp) + `))`
}
