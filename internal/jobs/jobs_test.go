package jobs

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/rivertype"

	"alumnet/internal/i18n"
	"alumnet/internal/mail"
	"alumnet/internal/mail/smtptest"
	"alumnet/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

// env is the job queue on a test database, sending through a real SMTP
// server started for the test.
type env struct {
	t      *testing.T
	pool   *pgxpool.Pool
	jobs   *Jobs
	smtp   *smtptest.Server
	sender *mail.SMTP
}

func newEnv(t *testing.T, opts Options, wrap func(mail.Sender) mail.Sender) *env {
	t.Helper()
	d := pgtest.New(t)
	ts := smtptest.Start(t, smtptest.Options{})
	sender, err := mail.NewSMTP("smtp://"+ts.Addr+"?tls=none", "Alumnet <alumni@example.nl>")
	if err != nil {
		t.Fatal(err)
	}
	var s mail.Sender = sender
	if wrap != nil {
		s = wrap(sender)
	}
	if opts.RetryDelay == nil {
		opts.RetryDelay = func(int) time.Duration { return 10 * time.Millisecond }
	}
	if opts.FetchPollInterval == 0 {
		opts.FetchPollInterval = 50 * time.Millisecond
	}
	j, err := New(d.Pool, s, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := j.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return &env{t: t, pool: d.Pool, jobs: j, smtp: ts, sender: sender}
}

// send enqueues m under key in a transaction of its own that is committed
// or rolled back.
func (e *env) send(key string, personID int64, m mail.Message, commit bool) error {
	e.t.Helper()
	ctx := context.Background()
	tx, err := e.pool.Begin(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	if err := e.jobs.SendMail(ctx, tx, key, personID, m); err != nil {
		return err
	}
	if commit {
		if err := tx.Commit(ctx); err != nil {
			e.t.Fatal(err)
		}
	}
	return nil
}

func (e *env) wait() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := e.jobs.WaitIdle(ctx); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) delivery(key string) mail.DeliveryMessage {
	e.t.Helper()
	d, err := mail.NewStore(e.pool).ByKey(context.Background(), key)
	if err != nil {
		e.t.Fatalf("delivery %q: %v", key, err)
	}
	return d
}

func (e *env) log(id int64) []mail.LogEntry {
	e.t.Helper()
	l, err := mail.NewStore(e.pool).Log(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return l
}

func (e *env) count(sql string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// job returns the River job of d once River has finished with it (its
// state is final).
func (e *env) finishedJob(d mail.DeliveryMessage, attempt int) *rivertype.JobRow {
	e.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		job, err := e.jobs.client.JobGet(context.Background(), *d.JobID)
		if err != nil {
			e.t.Fatal(err)
		}
		if job.FinalizedAt != nil && job.Attempt >= attempt {
			return job
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("job %d still %s after attempt %d", job.ID, job.State, job.Attempt)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func invitation(t *testing.T, to string, lang i18n.Lang) mail.Message {
	t.Helper()
	p := i18n.For(lang)
	m, err := mail.Link{To: to, Lang: lang, Staff: true, Subject: p.T("mail.invite.subject"),
		Paragraphs: []string{p.T("mail.invite.greeting", "Fatima <b>"), p.T("mail.invite.intro", "Ellen de Vries")},
		URL:        "https://alumnet.test/set-password/tok-1", Button: p.T("mail.invite.button"),
		Notes: []string{p.T("mail.invite.expiry", 72)}}.Message(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSendMailCommittedIsDeliveredOnce(t *testing.T) {
	e := newEnv(t, Options{}, nil)
	var personID int64
	if err := e.pool.QueryRow(context.Background(), `INSERT INTO persons (first_name, last_name) VALUES ('Fatima', 'El Amrani') RETURNING id`).Scan(&personID); err != nil {
		t.Fatal(err)
	}
	m := invitation(t, "fatima@example.org", i18n.EN)
	if err := e.send("test:once", personID, m, true); err != nil {
		t.Fatal(err)
	}
	e.wait()

	got := e.smtp.Messages()
	if len(got) != 1 {
		t.Fatalf("server received %d messages, want 1", len(got))
	}
	r := got[0]
	if r.From != "alumni@example.nl" || len(r.To) != 1 || r.To[0] != "fatima@example.org" {
		t.Errorf("envelope from %q to %v", r.From, r.To)
	}
	d := e.delivery("test:once")
	msg, err := netmail.ReadMessage(bytes.NewReader(r.Data))
	if err != nil {
		t.Fatalf("unreadable message: %v\n%s", err, r.Data)
	}
	h := msg.Header
	if to, err := h.AddressList("To"); err != nil || len(to) != 1 || to[0].Address != "fatima@example.org" {
		t.Errorf("To = %v (%v)", to, err)
	}
	if from, err := h.AddressList("From"); err != nil || len(from) != 1 || from[0].Address != "alumni@example.nl" || from[0].Name != "Alumnet" {
		t.Errorf("From = %v (%v)", from, err)
	}
	if subject, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject")); err != nil || subject != "Your invitation to Alumnet" {
		t.Errorf("Subject = %q (%v)", subject, err)
	}
	if want := "<" + d.MessageID + "@example.nl>"; h.Get("Message-Id") != want {
		t.Errorf("Message-ID = %q, want %q (from the delivery)", h.Get("Message-Id"), want)
	}
	if h.Get("Content-Language") != "en" || h.Get("Auto-Submitted") != "auto-generated" {
		t.Errorf("Content-Language %q, Auto-Submitted %q", h.Get("Content-Language"), h.Get("Auto-Submitted"))
	}
	text, html := bodies(t, msg)
	for _, want := range []string{"Hello Fatima <b>,", "Ellen de Vries has invited you", "https://alumnet.test/set-password/tok-1", "72 hours", "Sent through Alumnet."} {
		if !strings.Contains(text, want) {
			t.Errorf("text part lacks %q:\n%s", want, text)
		}
	}
	for _, want := range []string{`<html lang="en">`, "Hello Fatima &lt;b&gt;,", `href="https://alumnet.test/set-password/tok-1"`, "Sent through Alumnet."} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML part lacks %q:\n%s", want, html)
		}
	}
	if strings.Contains(html, "Fatima <b>") {
		t.Errorf("HTML part has the name unescaped:\n%s", html)
	}

	// The delivery is sent, with its log; the body is gone.
	if d.Status != mail.StatusSent || d.Attempts != 1 || d.SentAt == nil || d.LastError != "" || d.PersonID == nil || *d.PersonID != personID ||
		d.Lang != "en" || d.To != "fatima@example.org" {
		t.Errorf("delivery %+v", d.Delivery)
	}
	if d.Text != "" || d.HTML != "" || len(d.Headers) != 0 {
		t.Errorf("a sent delivery keeps its body: %q %q %v", d.Text, d.HTML, d.Headers)
	}
	log := e.log(d.ID)
	if len(log) != 2 || log[0].Status != mail.StatusQueued || log[1].Status != mail.StatusSent || log[1].Attempt != 1 ||
		log[1].Detail != e.sender.String() {
		t.Errorf("log %+v", log)
	}
}

func TestSendMailRolledBackSendsNothing(t *testing.T) {
	e := newEnv(t, Options{}, nil)
	if err := e.send("test:rolled-back", 0, invitation(t, "nobody@example.org", i18n.NL), false); err != nil {
		t.Fatal(err)
	}
	// A committed mail after it shows that the workers run.
	if err := e.send("test:committed", 0, invitation(t, "somebody@example.org", i18n.NL), true); err != nil {
		t.Fatal(err)
	}
	e.wait()
	got := e.smtp.Messages()
	if len(got) != 1 || got[0].To[0] != "somebody@example.org" {
		t.Fatalf("received %+v, want only the committed mail", got)
	}
	if _, err := mail.NewStore(e.pool).ByKey(context.Background(), "test:rolled-back"); !errors.Is(err, mail.ErrNotFound) {
		t.Errorf("rolled-back delivery: %v", err)
	}
	if n := e.count(`SELECT count(*) FROM mail_deliveries`); n != 1 {
		t.Errorf("%d deliveries, want 1", n)
	}
	if n := e.count(`SELECT count(*) FROM river_job`); n != 1 {
		t.Errorf("%d jobs, want 1", n)
	}
	if n := e.count(`SELECT count(*) FROM mail_delivery_log`); n != 2 {
		t.Errorf("%d log rows, want 2 (queued, sent)", n)
	}
}

func TestSameKeyIsSentOnce(t *testing.T) {
	e := newEnv(t, Options{}, nil)
	first := invitation(t, "anna@example.org", i18n.NL)
	second := first
	second.Subject = "A second subject"
	if err := e.send("test:key", 0, first, true); err != nil {
		t.Fatal(err)
	}
	if err := e.send("test:key", 0, second, true); err != nil {
		t.Fatalf("the same key again: %v, want nil", err)
	}
	// Twice in one transaction, too.
	ctx := context.Background()
	err := pgx.BeginFunc(ctx, e.pool, func(tx pgx.Tx) error {
		if err := e.jobs.SendMail(ctx, tx, "test:key-2", 0, first); err != nil {
			return err
		}
		return e.jobs.SendMail(ctx, tx, "test:key-2", 0, second)
	})
	if err != nil {
		t.Fatal(err)
	}
	e.wait()
	if got := e.smtp.Messages(); len(got) != 2 {
		t.Fatalf("received %d mails, want 2 (one per key)", len(got))
	}
	if n := e.count(`SELECT count(*) FROM river_job`); n != 2 {
		t.Errorf("%d jobs, want 2", n)
	}
	for _, key := range []string{"test:key", "test:key-2"} {
		if d := e.delivery(key); d.Subject != first.Subject || d.Status != mail.StatusSent {
			t.Errorf("%s: %+v", key, d.Delivery)
		}
	}
}

func TestTemporaryRefusalIsRetried(t *testing.T) {
	e := newEnv(t, Options{}, nil)
	e.smtp.RefuseRcpt(1, 451, "Greylisted, please try again later")
	if err := e.send("test:retry", 0, invitation(t, "greylisted@example.org", i18n.NL), true); err != nil {
		t.Fatal(err)
	}
	e.wait()
	d := e.delivery("test:retry")
	if d.Status != mail.StatusSent || d.Attempts != 2 || d.LastError != "" {
		t.Errorf("delivery %+v", d.Delivery)
	}
	log := e.log(d.ID)
	if len(log) != 3 || log[0].Status != mail.StatusQueued ||
		log[1].Status != mail.StatusFailed || log[1].Attempt != 1 || !strings.Contains(log[1].Detail, "451") || !strings.Contains(log[1].Detail, "Greylisted") ||
		log[2].Status != mail.StatusSent || log[2].Attempt != 2 {
		t.Errorf("log %+v", log)
	}
	if got := e.smtp.Messages(); len(got) != 1 {
		t.Errorf("received %d mails, want 1", len(got))
	}
}

func TestPermanentRefusalIsNotRetried(t *testing.T) {
	e := newEnv(t, Options{}, nil)
	e.smtp.RefuseRcpt(100, 550, "No such user here")
	if err := e.send("test:refused", 0, invitation(t, "unknown@example.org", i18n.NL), true); err != nil {
		t.Fatal(err)
	}
	e.wait()
	d := e.delivery("test:refused")
	if d.Status != mail.StatusFailed || d.Attempts != 1 || !strings.Contains(d.LastError, "550") || !strings.Contains(d.LastError, "No such user") {
		t.Errorf("delivery %+v", d.Delivery)
	}
	if strings.Contains(d.LastError, "unknown@example.org") {
		t.Errorf("the reason repeats the address: %s", d.LastError)
	}
	if d.Text == "" {
		t.Error("an unsent delivery lost its body")
	}
	if job := e.finishedJob(d, 1); job.State != rivertype.JobStateCancelled || job.Attempt != 1 {
		t.Errorf("job %s after %d attempts, want cancelled after 1", job.State, job.Attempt)
	}
	if log := e.log(d.ID); len(log) != 2 || log[1].Status != mail.StatusFailed {
		t.Errorf("log %+v", log)
	}
	if got := e.smtp.Messages(); len(got) != 0 {
		t.Errorf("received %d mails", len(got))
	}
}

func TestUnreachableServerGivesUpAfterMaxAttempts(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	e := newEnv(t, Options{MaxAttempts: 2}, func(mail.Sender) mail.Sender {
		s, err := mail.NewSMTP("smtp://"+closed+"?tls=none", "alumni@example.nl")
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
	if err := e.send("test:closed", 0, invitation(t, "jan@example.org", i18n.NL), true); err != nil {
		t.Fatal(err)
	}
	e.wait()
	d := e.delivery("test:closed")
	if d.Status != mail.StatusFailed || d.Attempts != 2 || !strings.Contains(d.LastError, "connection refused") {
		t.Errorf("delivery %+v", d.Delivery)
	}
	if d.Retrying() {
		t.Errorf("job state %v: still retrying after the last attempt", *d.JobState)
	}
	log := e.log(d.ID)
	if len(log) != 3 || log[1].Status != mail.StatusFailed || log[2].Status != mail.StatusFailed || log[2].Attempt != 2 {
		t.Errorf("log %+v", log)
	}
	if job := e.finishedJob(d, 2); job.State != rivertype.JobStateDiscarded {
		t.Errorf("job %s, want discarded", job.State)
	}
}

func TestSentDeliveryIsNotSentAgain(t *testing.T) {
	e := newEnv(t, Options{}, nil)
	if err := e.send("test:rerun", 0, invitation(t, "piet@example.org", i18n.NL), true); err != nil {
		t.Fatal(err)
	}
	e.wait()
	d := e.delivery("test:rerun")
	e.finishedJob(d, 1)
	// The job runs again (as after a rescue or an admin's retry).
	if err := e.jobs.RetryNow(context.Background(), *d.JobID); err != nil {
		t.Fatal(err)
	}
	if job := e.finishedJob(d, 2); job.State != rivertype.JobStateCompleted {
		t.Errorf("second run: %s", job.State)
	}
	if got := e.smtp.Messages(); len(got) != 1 {
		t.Errorf("received %d mails, want 1", len(got))
	}
	if log := e.log(d.ID); len(log) != 2 {
		t.Errorf("log %+v, want queued and sent only", log)
	}
}

// failOnce is a sender that delivers, then reports an error once: what the
// worker sees when the process dies after the server accepted the mail.
type failOnce struct {
	mail.Sender
	failed atomic.Bool
}

func (f *failOnce) Send(ctx context.Context, m mail.Message) error {
	if err := f.Sender.Send(ctx, m); err != nil {
		return err
	}
	if f.failed.CompareAndSwap(false, true) {
		return errors.New("connection lost after the server accepted the message")
	}
	return nil
}

// TestCrashAfterAcceptSendsSameMessageID documents the choice for the
// window between "accepted" and "marked sent": the mail is sent again
// (at least once), with the same Message-ID.
func TestCrashAfterAcceptSendsSameMessageID(t *testing.T) {
	e := newEnv(t, Options{}, func(s mail.Sender) mail.Sender { return &failOnce{Sender: s} })
	if err := e.send("test:crash", 0, invitation(t, "kees@example.org", i18n.NL), true); err != nil {
		t.Fatal(err)
	}
	e.wait()
	got := e.smtp.Messages()
	if len(got) != 2 {
		t.Fatalf("received %d mails, want 2", len(got))
	}
	var ids []string
	for _, r := range got {
		msg, err := netmail.ReadMessage(bytes.NewReader(r.Data))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, msg.Header.Get("Message-Id"))
	}
	want := "<" + e.delivery("test:crash").MessageID + "@example.nl>"
	if ids[0] != want || ids[1] != want {
		t.Errorf("Message-IDs %v, want both %s", ids, want)
	}
}

func TestSendMailRefusesInvalidMessages(t *testing.T) {
	e := newEnv(t, Options{}, nil)
	bad := invitation(t, "jan@example.org", i18n.NL)
	bad.To = "Jan <jan@example.org>"
	if err := e.send("test:bad", 0, bad, true); !errors.Is(err, mail.ErrInvalid) {
		t.Errorf("invalid recipient: %v, want ErrInvalid", err)
	}
	if err := e.send("", 0, invitation(t, "jan@example.org", i18n.NL), true); !errors.Is(err, mail.ErrInvalid) {
		t.Errorf("empty key: %v, want ErrInvalid", err)
	}
	if n := e.count(`SELECT count(*) FROM mail_deliveries`) + e.count(`SELECT count(*) FROM river_job`); n != 0 {
		t.Errorf("%d rows stored", n)
	}
}

// bodies returns the text and HTML parts of a message.
func bodies(t *testing.T, msg *netmail.Message) (text, html string) {
	t.Helper()
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q (%v), want multipart/alternative", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var r io.Reader = part
		switch strings.ToLower(part.Header.Get("Content-Transfer-Encoding")) {
		case "base64":
			r = base64.NewDecoder(base64.StdEncoding, part)
		case "quoted-printable":
			r = quotedprintable.NewReader(part)
		}
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		pt, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		switch pt {
		case "text/plain":
			text = string(b)
		case "text/html":
			html = string(b)
		default:
			t.Errorf("unexpected part %s", pt)
		}
	}
	if text == "" || html == "" {
		t.Fatalf("want a text and an HTML part; text %q, html %q", text, html)
	}
	return text, html
}
