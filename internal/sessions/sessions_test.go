package sessions

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"

	"alumnet/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

func encode(t *testing.T, values map[string]any) []byte {
	t.Helper()
	b, err := scs.GobCodec{}.Encode(time.Now().Add(time.Hour), values)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func rowCount(t *testing.T, s *Store, where string, args ...any) int {
	t.Helper()
	var n int
	if err := s.pool.QueryRow(context.Background(), `SELECT count(*) FROM sessions WHERE `+where, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestTokensAreStoredHashed(t *testing.T) {
	d := pgtest.New(t)
	s := New(d.Pool, nil)
	ctx := context.Background()
	token := "plain-session-token-0123456789abcdef"
	if err := s.CommitCtx(ctx, token, encode(t, map[string]any{"user_id": int64(7)}), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if hits := pgtest.FindText(t, d.Pool, token); len(hits) != 0 {
		t.Fatalf("the token is stored as it is: %v", hits)
	}
	if _, found, err := s.FindCtx(ctx, token); err != nil || !found {
		t.Fatalf("find: %v %v", found, err)
	}
	if n := rowCount(t, s, `user_id = 7 AND person_id IS NULL`); n != 1 {
		t.Fatalf("owner columns: %d rows", n)
	}
	if _, found, _ := s.FindCtx(ctx, "another token"); found {
		t.Fatal("an unknown token is found")
	}
}

func TestTouchOnlyCommitsAreSkipped(t *testing.T) {
	d := pgtest.New(t)
	s := New(d.Pool, nil)
	ctx := context.Background()
	t0 := time.Now().Add(30 * time.Minute).Truncate(time.Microsecond)
	stored := func(token string) time.Time {
		var e time.Time
		if err := d.Pool.QueryRow(ctx, `SELECT expiry FROM sessions WHERE token_hash = $1`, hash(token)).Scan(&e); err != nil {
			t.Fatal(err)
		}
		return e
	}
	a := encode(t, map[string]any{"user_id": int64(1)})
	b := encode(t, map[string]any{"user_id": int64(1), "flash": []byte("x")})
	steps := []struct {
		name   string
		data   []byte
		expiry time.Time
		want   time.Time // the stored expiry afterwards
	}{
		{"first commit is written", a, t0, t0},
		{"same data, deadline moved a little: skipped", a, t0.Add(10 * time.Second), t0},
		{"same data, deadline moved a minute: written", a, t0.Add(TouchInterval), t0.Add(TouchInterval)},
		{"changed data: written", b, t0.Add(TouchInterval + time.Second), t0.Add(TouchInterval + time.Second)},
		{"earlier deadline: written", b, t0, t0},
	}
	for _, st := range steps {
		if err := s.CommitCtx(ctx, "tok", st.data, st.expiry); err != nil {
			t.Fatal(err)
		}
		if got := stored("tok"); !got.Equal(st.want) {
			t.Fatalf("%s: stored expiry %v, want %v", st.name, got, st.want)
		}
	}
	// After Delete (logout) a commit of the same data is written again.
	if err := s.DeleteCtx(ctx, "tok"); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := s.FindCtx(ctx, "tok"); found {
		t.Fatal("deleted session still found")
	}
	if err := s.CommitCtx(ctx, "tok", b, t0); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := s.FindCtx(ctx, "tok"); !found {
		t.Fatal("a commit after delete was skipped")
	}
}

func TestEndSessionsByOwner(t *testing.T) {
	d := pgtest.New(t)
	s := New(d.Pool, nil)
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	for token, v := range map[string]map[string]any{
		"u1-a": {"user_id": int64(1)}, "u1-b": {"user_id": int64(1)}, "u1-c": {"user_id": int64(1)},
		"u2": {"user_id": int64(2)}, "p5-a": {"person_id": int64(5)}, "p5-b": {"person_id": int64(5)}, "p6": {"person_id": int64(6)},
	} {
		if err := s.CommitCtx(ctx, token, encode(t, v), exp); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.EndUserSessions(ctx, 1, "u1-b"); err != nil || n != 2 {
		t.Fatalf("end user 1's other sessions: %d %v", n, err)
	}
	for token, want := range map[string]bool{"u1-a": false, "u1-b": true, "u1-c": false, "u2": true} {
		if _, found, _ := s.FindCtx(ctx, token); found != want {
			t.Errorf("%s found = %v, want %v", token, found, want)
		}
	}
	if n, err := s.EndPersonSessions(ctx, d.Pool, 5); err != nil || n != 2 {
		t.Fatalf("end person 5's sessions: %d %v", n, err)
	}
	if _, found, _ := s.FindCtx(ctx, "p6"); !found {
		t.Fatal("another person's session ended")
	}
}

func TestScrubRewritesSessionsThatMentionAPerson(t *testing.T) {
	d := pgtest.New(t)
	s := New(d.Pool, nil)
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	if err := s.CommitCtx(ctx, "staff", encode(t, map[string]any{"user_id": int64(1), "note": "Jan Jansen was invited", MentionsPrefix + "note": []int64{5, 9},
		"report": "Piet", MentionsPrefix + "report": []int64{9}}), exp); err != nil {
		t.Fatal(err)
	}
	if err := s.CommitCtx(ctx, "other", encode(t, map[string]any{"user_id": int64(2), "note": "Piet", MentionsPrefix + "note": []int64{9}}), exp); err != nil {
		t.Fatal(err)
	}
	tx, err := d.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Scrub(ctx, tx, 5); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if hits := pgtest.FindText(t, d.Pool, "Jan Jansen"); len(hits) != 0 {
		t.Fatalf("the name survived the scrub: %v", hits)
	}
	if n := rowCount(t, s, `position('Piet' IN encode(data, 'escape')) > 0`); n != 2 {
		t.Fatalf("what names someone else went too: %d sessions with Piet, want 2", n)
	}
	if n := rowCount(t, s, `5 = ANY(mentions)`); n != 0 {
		t.Fatalf("%d sessions still mention person 5", n)
	}
	b, found, err := s.FindCtx(ctx, "staff")
	if err != nil || !found {
		t.Fatalf("the scrubbed session ended: %v %v", found, err)
	}
	if _, v, err := (scs.GobCodec{}).Decode(b); err != nil || v["user_id"] != int64(1) || v["report"] != "Piet" {
		t.Fatalf("the scrubbed session lost its user or what names others: %v %v", v, err)
	}
}
