package mail

import (
	"context"
	"errors"
	"os"
	"testing"

	"alumnet/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

func TestOutboxStoresAndLists(t *testing.T) {
	ctx := context.Background()
	o := NewOutbox(pgtest.New(t).Pool)

	if err := o.Send(ctx, testMessage); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		m := Message{To: "n" + string(rune('a'+i)) + "@example.org", Subject: "Bericht " + string(rune('A'+i)), Text: "tekst"}
		if err := o.Send(ctx, m); err != nil {
			t.Fatal(err)
		}
	}

	// Newest first, in pages.
	page1, more, err := o.List(ctx, 0, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(page1) != 3 || !more || page1[0].Subject != "Bericht D" || page1[2].Subject != "Bericht B" {
		t.Fatalf("page 1: %+v more=%v", page1, more)
	}
	page2, more, err := o.List(ctx, page1[2].ID, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(page2) != 2 || more || page2[0].Subject != "Bericht A" || page2[1].Subject != testMessage.Subject {
		t.Fatalf("page 2: %+v more=%v", page2, more)
	}

	// The full message comes back as sent.
	got, err := o.ByID(ctx, page2[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.To != testMessage.To || got.Subject != testMessage.Subject || got.Text != testMessage.Text || got.HTML != testMessage.HTML {
		t.Errorf("stored %+v", got)
	}
	if len(got.Headers) != 2 || got.Headers["List-Unsubscribe"] != testMessage.Headers["List-Unsubscribe"] {
		t.Errorf("headers %v", got.Headers)
	}
	if got.CreatedAt.IsZero() {
		t.Error("no created_at")
	}
	if _, err := o.ByID(ctx, 999999); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown id: %v", err)
	}
}

func TestOutboxRefusesInvalidMessages(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t).Pool
	o := NewOutbox(pool)
	for _, m := range []Message{
		{To: "", Subject: "s", Text: "t"},
		{To: "Jan <jan@example.org>", Subject: "s", Text: "t"},
		{To: "jan@example.org", Subject: "one\r\nBcc: x@example.org", Text: "t"},
		{To: "jan@example.org", Subject: "s", Text: "  "},
		{To: "jan@example.org", Subject: "s", Text: "t", Headers: map[string]string{"Bcc": "x@example.org"}},
		{To: "jan@example.org", Subject: "s", Text: "t", Headers: map[string]string{"X-Bad Name": "v"}},
	} {
		if err := o.Send(ctx, m); !errors.Is(err, ErrInvalid) {
			t.Errorf("Send(%+v) = %v, want ErrInvalid", m, err)
		}
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM mail_outbox`).Scan(&n); err != nil || n != 0 {
		t.Errorf("outbox has %d messages (%v), want 0", n, err)
	}
}
