package erasure_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"alumnet/internal/audit"
	"alumnet/internal/consent"
	"alumnet/internal/erasure"
	"alumnet/internal/jobs"
	"alumnet/internal/mail"
	"alumnet/internal/offboarding"
	"alumnet/internal/people"
	"alumnet/internal/pgtest"
	"alumnet/internal/portal"
	"alumnet/internal/sessions"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

const (
	first, last = "Wilhelmina", "Zwaluwstaart"
	address     = "wilhelmina.zwaluw@example.nl"
	oldAddress  = "w.zwaluwstaart@werk.example"
)

// needles are what names her: wherever one is found after the erasure,
// something was not erased.
var needles = []string{first, last, address, oldAddress, "Zwaluwstaart-aan-Zee", "1234 5678"}

// free are the tables that hold no personal data of alumni, and why. A new
// table is in this list or has a planter below: a table nobody thought
// about fails the test.
var free = map[string]string{
	"users":              "staff accounts: the organisation's own people, not alumni",
	"user_units":         "which units a staff member covers",
	"user_tokens":        "staff set-password and undo links",
	"login_failures":     "failed staff logins, kept 15 minutes",
	"units":              "the organisation's units",
	"consent_purposes":   "what permissions are for",
	"consent_texts":      "the texts of the permissions",
	"departure_types":    "offboarding configuration",
	"checklist_items":    "offboarding configuration",
	"retention_policy":   "a setting",
	"app_secrets":        "signing keys",
	"erasures":           "the tombstones: when, on whose request, what went; never who",
	"goose_db_version":   "the schema's version",
	"river_client":       "the job queue's processes",
	"river_client_queue": "the job queue's processes",
	"river_leader":       "the job queue's leader",
	"river_migration":    "the job queue's schema version",
	"river_queue":        "the job queue's queues",
	"river_notification": "the job queue's wake-up calls: queue names",
}

// planter puts data naming her into one table.
type planter func(t *testing.T, f *fixture)

type fixture struct {
	ctx      context.Context
	pool     *pgxpool.Pool
	person   int64
	staff    int64
	caseID   int64
	store    *sessions.Store
	delivery int64
}

func (f *fixture) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	if _, err := f.pool.Exec(f.ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// planters put her data where each capability keeps it, the way the app
// does (through the owners' APIs where one exists).
var planters = map[string]planter{
	"persons": func(t *testing.T, f *fixture) {
		f.exec(t, `UPDATE persons SET city = 'Zwaluwstaart-aan-Zee', phone = '+31 6 1234 5678' WHERE id = $1`, f.person)
	},
	"person_emails": func(t *testing.T, f *fixture) {
		f.exec(t, `INSERT INTO person_emails (person_id, email, is_primary, verified_at) VALUES ($1, $2, true, now())`, f.person, address)
		f.exec(t, `INSERT INTO person_emails (person_id, email, retired_at) VALUES ($1, $2, now())`, f.person, oldAddress)
	},
	"tags": func(t *testing.T, f *fixture) {
		f.exec(t, `INSERT INTO tags (name) VALUES ($1)`, first+" fan club")
	},
	"person_tags": func(t *testing.T, f *fixture) {
		f.exec(t, `INSERT INTO person_tags (person_id, tag_id) SELECT $1, id FROM tags WHERE name = $2`, f.person, first+" fan club")
	},
	"affiliations": func(t *testing.T, f *fixture) {
		f.exec(t, `INSERT INTO affiliations (person_id, kind, unit_id, role) SELECT $1, 'employment', id, $2 FROM units LIMIT 1`, f.person, "Assistant to "+last)
	},
	"person_tokens": func(t *testing.T, f *fixture) {
		f.exec(t, `INSERT INTO person_tokens (person_id, email, purpose, token_hash, payload, expires_at)
			VALUES ($1, $2, 'login', 'a', '{}', now() + interval '1 hour'), (NULL, $3, 'register', 'b', $4, now() + interval '1 hour')`,
			f.person, oldAddress, address, `{"first_name": "`+first+`", "email": "`+address+`"}`)
	},
	"rate_events": func(t *testing.T, f *fixture) {
		f.exec(t, `INSERT INTO rate_events (bucket, key) VALUES ('portal_login.email', $1)`, people.Mailbox("Wilhelmina.Zwaluw+news@example.nl"))
	},
	"audit_log": func(t *testing.T, f *fixture) {
		if err := audit.Write(f.ctx, f.pool, audit.Record{ActorID: f.staff, Action: "person.update", PersonID: f.person, Entity: "person",
			EntityID: f.person, Details: map[string]any{"changes": map[string]any{"last_name": map[string]any{"old": last, "new": last}}}}); err != nil {
			t.Fatal(err)
		}
	},
	"consent_ledger": func(t *testing.T, f *fixture) {
		cs := consent.NewStore(f.pool)
		p, err := cs.PurposeByKey(f.ctx, "surveys")
		if err != nil {
			t.Fatal(err)
		}
		if err := pgx.BeginFunc(f.ctx, f.pool, func(tx pgx.Tx) error {
			_, err := cs.Record(f.ctx, tx, consent.Entry{PersonID: f.person, PurposeID: p.ID, Granted: true, Source: consent.SourceStaff,
				ActorUserID: f.staff, Note: "Paper form signed by " + first + " " + last})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	},
	"mail_outbox": func(t *testing.T, f *fixture) {
		f.exec(t, `INSERT INTO mail_outbox (to_address, subject, text_body, html_body) VALUES ($1, $2, $3, $4)`,
			address, "Hello "+first, "Dear "+first+" "+last, "<p>"+first+"</p>")
	},
	"mail_deliveries": func(t *testing.T, f *fixture) {
		if err := f.pool.QueryRow(f.ctx, `INSERT INTO mail_deliveries (key, person_id, message_id, to_address, subject, text_body, language, status, last_error)
			VALUES ('t1', $1, 'alumnet.0123456789abcdef', $2, $3, $4, 'en', 'failed', $5) RETURNING id`, f.person, address, "Hello "+first,
			"Dear "+first+" "+last, "550 unknown user "+address).Scan(&f.delivery); err != nil {
			t.Fatal(err)
		}
		// A registration's mail, before there was a person.
		f.exec(t, `INSERT INTO mail_deliveries (key, message_id, to_address, subject, text_body, language, status, sent_at)
			VALUES ('t2', 'alumnet.0123456789abcdee', $1, 'Confirm', 'Confirm, '||$2, 'en', 'sent', now())`, address, first)
	},
	"mail_delivery_log": func(t *testing.T, f *fixture) {
		f.exec(t, `INSERT INTO mail_delivery_log (delivery_id, status, detail) VALUES ($1, 'failed', $2)`, f.delivery, "550 unknown user "+address)
	},
	"river_job": func(t *testing.T, f *fixture) {
		// A mail job whose error quotes the address, and a login link asked for.
		f.exec(t, `INSERT INTO river_job (kind, args, queue, state, max_attempts, errors) VALUES ('mail', $1, 'mail', 'retryable', 12,
			ARRAY[jsonb_build_object('at', now(), 'attempt', 1, 'error', '550 unknown user '||$2::text)])`,
			`{"delivery_id": `+itoa(f.delivery)+`}`, address)
		f.exec(t, `INSERT INTO river_job (kind, args, queue, state, max_attempts) VALUES ('task', $1, 'default', 'available', 3)`,
			`{"name": "portal.login", "payload": {"email": "`+address+`"}}`)
	},
	"offboarding_cases": func(t *testing.T, f *fixture) {
		if err := f.pool.QueryRow(f.ctx, `INSERT INTO offboarding_cases (person_id, departure_type, unit_id, leaving_date, invitation_email)
			SELECT $1, 'resignation', id, '2026-06-30', $2 FROM units LIMIT 1 RETURNING id`, f.person, address).Scan(&f.caseID); err != nil {
			t.Fatal(err)
		}
	},
	"exit_interviews": func(t *testing.T, f *fixture) {
		f.exec(t, `INSERT INTO exit_interviews (case_id, highlights, rehire_eligibility, rehire_reason) VALUES ($1, $2, 'review', $3)`,
			f.caseID, first+" loved the team", "Ask "+last+"'s old manager")
	},
	"offboarding_items": func(t *testing.T, f *fixture) {
		f.exec(t, `INSERT INTO offboarding_items (case_id, title_nl, title_en, responsible_role, kind, required, due_date, note)
			VALUES ($1, 'x', 'x', 'hr', 'plain', true, '2026-06-30', $2)`, f.caseID, "Called "+first)
	},
	"sessions": func(t *testing.T, f *fixture) {
		// Her portal session, and a staff session whose message names her.
		exp := time.Now().Add(time.Hour)
		for token, v := range map[string]map[string]any{
			"portal-token": {sessions.PersonKey: f.person, "note": first},
			"staff-token":  {sessions.UserKey: f.staff, "flash": "Invited " + first + " " + last, sessions.MentionsPrefix + "flash": []int64{f.person}},
		} {
			b, err := scs.GobCodec{}.Encode(exp, v)
			if err != nil {
				t.Fatal(err)
			}
			if err := f.store.CommitCtx(f.ctx, token, b, exp); err != nil {
				t.Fatal(err)
			}
		}
	},
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// tablesWithText lists every table with a column that can hold text.
func tablesWithText(t *testing.T, pool *pgxpool.Pool) []string {
	rows, err := pool.Query(context.Background(), `SELECT DISTINCT c.table_name
		FROM information_schema.columns c
		JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
		WHERE c.table_schema = 'public' AND c.data_type IN ('text', 'character varying', 'jsonb', 'json', 'ARRAY', 'bytea')
		ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// TestErasureLeavesNoTrace: her name and addresses are planted in every
// table that can hold them, through each capability; after the erasure
// the database-wide scan finds none of it, and a table that no part
// erases (or that nobody declared free of personal data) fails the test.
func TestErasureLeavesNoTrace(t *testing.T) {
	d := pgtest.New(t)
	ctx := context.Background()
	f := &fixture{ctx: ctx, pool: d.Pool}
	f.store = sessions.New(d.Pool, nil)
	f.exec(t, `INSERT INTO units (name, kind, path) VALUES ('Zorggroep', 'organisation', '{}')`)
	f.exec(t, `UPDATE units SET path = ARRAY[id]`)
	if err := d.Pool.QueryRow(ctx, `INSERT INTO users (email, name, role) VALUES ('hr@example.nl', 'HR', 'staff') RETURNING id`).Scan(&f.staff); err != nil {
		t.Fatal(err)
	}
	if err := d.Pool.QueryRow(ctx, `INSERT INTO persons (first_name, last_name) VALUES ($1, $2) RETURNING id`, first, last).Scan(&f.person); err != nil {
		t.Fatal(err)
	}

	// Every table is planted or declared free; planted in a fixed order
	// (some planters need what another made).
	tables := tablesWithText(t, d.Pool)
	for _, tbl := range tables {
		if _, ok := planters[tbl]; !ok && free[tbl] == "" {
			t.Errorf("table %s can hold text, but no planter puts personal data in it and it is not declared free of it: "+
				"give its capability an erasure part and add a planter here, or add it to free with the reason", tbl)
		}
	}
	order := []string{"persons", "person_emails", "tags", "person_tags", "affiliations", "person_tokens", "rate_events", "audit_log",
		"consent_ledger", "mail_outbox", "mail_deliveries", "mail_delivery_log", "river_job", "offboarding_cases", "exit_interviews",
		"offboarding_items", "sessions"}
	if len(order) != len(planters) {
		t.Fatalf("the order lists %d planters, there are %d", len(order), len(planters))
	}
	for _, tbl := range order {
		planters[tbl](t, f)
	}
	before := strings.Join(pgtest.FindText(t, d.Pool, needles...), "\n")
	for _, tbl := range order {
		if slices.Contains(tables, tbl) && !strings.Contains(before, `"public"."`+tbl+`"`) {
			t.Errorf("the planter for %s put nothing the scan finds: the test cannot prove its erasure", tbl)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	e := erasure.New(d.Pool, f.store.ErasurePart(), portal.ErasurePart(), jobs.ErasurePart(), mail.ErasurePart(),
		offboarding.ErasurePart(), consent.ErasurePart(), audit.ErasurePart(), people.ErasurePart())
	if err := e.Erase(ctx, erasure.Request{PersonID: f.person, By: erasure.ByPerson}); err != nil {
		t.Fatal(err)
	}
	if hits := pgtest.FindText(t, d.Pool, needles...); len(hits) > 0 {
		t.Fatalf("after erasure still found:\n%s", strings.Join(hits, "\n"))
	}
	// A tombstone with every part's categories, the ledger row kept
	// (pseudonymised), the erasure in the audit log, nothing allowed.
	var categories []string
	if err := d.Pool.QueryRow(ctx, `SELECT categories FROM erasures WHERE person_id = $1 AND requested_by = 'person'`, f.person).Scan(&categories); err != nil {
		t.Fatalf("no tombstone: %v", err)
	}
	for _, p := range e.Parts() {
		for _, c := range p.Categories {
			if !slices.Contains(categories, c) {
				t.Errorf("the tombstone lacks %s of %s", c, p.Name)
			}
		}
	}
	var rows, audits int
	_ = d.Pool.QueryRow(ctx, `SELECT count(*) FROM consent_ledger WHERE person_id = $1`, f.person).Scan(&rows)
	_ = d.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE person_id = $1 AND action = 'person.erase' AND details->>'by' = 'person'`, f.person).Scan(&audits)
	if rows != 1 || audits != 1 {
		t.Fatalf("after erasure: %d ledger rows (want 1), %d audit entries of the erasure (want 1)", rows, audits)
	}
	if d, _ := consent.NewStore(d.Pool).MayUse(ctx, f.person, "surveys"); d.Allowed {
		t.Fatal("an erased person may still be surveyed")
	}
	var state string
	_ = d.Pool.QueryRow(ctx, `SELECT state FROM river_job WHERE kind = 'task'`).Scan(&state)
	if state != "cancelled" {
		t.Fatalf("the queued login task is %s, want cancelled", state)
	}
	if err := e.Erase(ctx, erasure.Request{PersonID: f.person, By: erasure.ByPerson}); !errors.Is(err, erasure.ErrNotFound) {
		t.Fatalf("second erasure: %v", err)
	}
}

// TestCheckUndoesTheErasure: a check that refuses leaves everything as it
// was.
func TestCheckUndoesTheErasure(t *testing.T) {
	d := pgtest.New(t)
	ctx := context.Background()
	var id int64
	if err := d.Pool.QueryRow(ctx, `INSERT INTO persons (first_name, last_name) VALUES ('Anna', 'Bos') RETURNING id`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	no := errors.New("not due")
	e := erasure.New(d.Pool, audit.ErasurePart(), people.ErasurePart())
	err := e.Erase(ctx, erasure.Request{PersonID: id, By: erasure.ByRetention}, func(context.Context, pgx.Tx, int64) error { return no })
	if !errors.Is(err, no) {
		t.Fatalf("erase with a refusing check: %v", err)
	}
	var name string
	var tombstones int
	_ = d.Pool.QueryRow(ctx, `SELECT first_name FROM persons WHERE id = $1`, id).Scan(&name)
	_ = d.Pool.QueryRow(ctx, `SELECT count(*) FROM erasures`).Scan(&tombstones)
	if name != "Anna" || tombstones != 0 {
		t.Fatalf("after a refused erasure: %q, %d tombstones", name, tombstones)
	}
}
