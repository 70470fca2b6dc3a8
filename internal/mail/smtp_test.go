package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"strings"
	"testing"

	"alumnet/internal/i18n"
	"alumnet/internal/mail/smtptest"
)

// sender is NewSMTP for url, trusting the test server's certificate.
func sender(t *testing.T, ts *smtptest.Server, url string) *SMTP {
	t.Helper()
	s, err := NewSMTP(url, "Alumnet <alumni@example.nl>")
	if err != nil {
		t.Fatal(err)
	}
	if ts.CA != nil {
		s.tlsConfig = &tls.Config{RootCAs: ts.CA, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	}
	return s
}

var testMessage = Message{
	To:      "marieke@example.org",
	Subject: "Uitnodiging voor Alumnet – café op vrijdag",
	Text:    "Hallo Marieke,\n\nKies je wachtwoord: https://alumnet.test/set-password/abc\n",
	HTML:    `<p>Hallo Marieke,</p><p><a href="https://alumnet.test/set-password/abc">Kies je wachtwoord</a></p>`,
	Headers: map[string]string{
		"List-Unsubscribe": "<https://alumnet.test/u/xyz>",
		"Auto-Submitted":   "auto-generated",
	},
}

func TestSMTPSendsOverSTARTTLSWithAuth(t *testing.T) {
	ts := smtptest.Start(t, smtptest.Options{TLS: true, User: "alice", Password: "s3cret pass"})
	s := sender(t, ts, "smtp://alice:s3cret%20pass@"+ts.Addr+"?tls=mandatory")
	if strings.Contains(s.String(), "s3cret") {
		t.Errorf("String() shows the password: %s", s)
	}
	if err := s.Send(context.Background(), testMessage); err != nil {
		t.Fatal(err)
	}
	got := ts.Messages()
	if len(got) != 1 {
		t.Fatalf("server received %d messages, want 1", len(got))
	}
	r := got[0]
	if !r.TLS || r.AuthAs != "alice" {
		t.Errorf("tls=%v auth=%q, want an authenticated TLS session", r.TLS, r.AuthAs)
	}
	if r.From != "alumni@example.nl" || len(r.To) != 1 || r.To[0] != "marieke@example.org" {
		t.Errorf("envelope from %q to %v", r.From, r.To)
	}
	checkReceived(t, r.Data, testMessage)
}

func TestSMTPPlainServerWithoutAuth(t *testing.T) {
	ts := smtptest.Start(t, smtptest.Options{TLS: false, User: "", Password: ""})
	s := sender(t, ts, "smtp://"+ts.Addr+"?tls=none")
	m := testMessage
	m.HTML = "" // text only
	m.Text = "Één regel = met een isgelijkteken en een lange regel " + strings.Repeat("bla ", 30) + "\n"
	m.Headers = nil
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := ts.Messages()
	if len(got) != 1 || got[0].TLS {
		t.Fatalf("received %d, tls=%v", len(got), len(got) > 0 && got[0].TLS)
	}
	checkReceived(t, got[0].Data, m)
}

func TestSMTPStableMessageIDAndLanguage(t *testing.T) {
	ts := smtptest.Start(t, smtptest.Options{TLS: false, User: "", Password: ""})
	s := sender(t, ts, "smtp://"+ts.Addr+"?tls=none")
	m := testMessage
	m.ID, m.Lang = NewMessageID(), i18n.EN
	for range 2 {
		if err := s.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	got := ts.Messages()
	if len(got) != 2 {
		t.Fatalf("received %d", len(got))
	}
	for _, r := range got {
		msg, err := netmail.ReadMessage(bytes.NewReader(r.Data))
		if err != nil {
			t.Fatal(err)
		}
		if id := msg.Header.Get("Message-Id"); id != "<"+m.ID+"@example.nl>" {
			t.Errorf("Message-ID %q, want <%s@example.nl> every time", id, m.ID)
		}
		if l := msg.Header.Get("Content-Language"); l != "en" {
			t.Errorf("Content-Language %q", l)
		}
	}
	bad := testMessage
	bad.ID = "a@b"
	if err := s.Send(context.Background(), bad); !errors.Is(err, ErrInvalid) {
		t.Errorf("id with @: %v, want ErrInvalid", err)
	}
}

func TestSMTPRefusals(t *testing.T) {
	withTLS := smtptest.Start(t, smtptest.Options{TLS: true, User: "alice", Password: "right"})
	plain := smtptest.Start(t, smtptest.Options{TLS: false, User: "", Password: ""})
	ctx := context.Background()

	if err := sender(t, withTLS, "smtp://alice:wrong@"+withTLS.Addr).Send(ctx, testMessage); err == nil {
		t.Error("wrong password: sent anyway")
	}
	if err := sender(t, plain, "smtp://"+plain.Addr+"?tls=mandatory").Send(ctx, testMessage); err == nil {
		t.Error("tls=mandatory to a server without STARTTLS: sent anyway")
	}
	// An unencrypted connection never carries the password.
	if err := sender(t, plain, "smtp://alice:right@"+plain.Addr+"?tls=none").Send(ctx, testMessage); err == nil {
		t.Error("credentials over an unencrypted connection: sent anyway")
	}
	bad := testMessage
	bad.Headers = map[string]string{"X-Test": "a\r\nBcc: victim@example.org"}
	if err := sender(t, plain, "smtp://"+plain.Addr+"?tls=none").Send(ctx, bad); !errors.Is(err, ErrInvalid) {
		t.Errorf("header injection: %v, want ErrInvalid", err)
	}
	if n := len(withTLS.Messages()) + len(plain.Messages()); n != 0 {
		t.Errorf("%d messages arrived, want none", n)
	}
}

func TestNewSMTP(t *testing.T) {
	tests := []struct {
		url, from string
		want      string // String(), or "" when an error is expected
	}{
		{"smtp://user:pw@mail.example.nl", "a@example.nl", "smtp://user@mail.example.nl:587"},
		{"smtp://mail.example.nl:25?tls=mandatory", "Alumnet <a@example.nl>", "smtp://mail.example.nl:25"},
		{"smtps://user:pw@mail.example.nl", "a@example.nl", "smtps://user@mail.example.nl:465"},
		{"smtps://mail.example.nl:2465", "a@example.nl", "smtps://mail.example.nl:2465"},
		{"http://mail.example.nl", "a@example.nl", ""},
		{"smtp://", "a@example.nl", ""},
		{"smtp://mail.example.nl:99999", "a@example.nl", ""},
		{"smtp://mail.example.nl?tls=sometimes", "a@example.nl", ""},
		{"smtp://mail.example.nl", "not an address", ""},
	}
	for _, tt := range tests {
		s, err := NewSMTP(tt.url, tt.from)
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("NewSMTP(%q, %q) accepted", tt.url, tt.from)
		case tt.want != "" && err != nil:
			t.Errorf("NewSMTP(%q, %q): %v", tt.url, tt.from, err)
		case tt.want != "" && s.String() != tt.want:
			t.Errorf("NewSMTP(%q) = %s, want %s", tt.url, s, tt.want)
		}
	}
}

// checkReceived parses raw message data and compares it with what was sent.
func checkReceived(t *testing.T, data []byte, want Message) {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("unreadable message: %v\n%s", err, data)
	}
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subject != want.Subject {
		t.Errorf("Subject = %q (%v), want %q", subject, err, want.Subject)
	}
	if to, err := msg.Header.AddressList("To"); err != nil || len(to) != 1 || to[0].Address != want.To {
		t.Errorf("To = %v (%v)", to, err)
	}
	if from, err := msg.Header.AddressList("From"); err != nil || len(from) != 1 || from[0].Address != "alumni@example.nl" || from[0].Name != "Alumnet" {
		t.Errorf("From = %v (%v)", from, err)
	}
	if msg.Header.Get("Message-Id") == "" || !strings.HasSuffix(msg.Header.Get("Message-Id"), "@example.nl>") {
		t.Errorf("Message-Id = %q", msg.Header.Get("Message-Id"))
	}
	if msg.Header.Get("Date") == "" {
		t.Error("no Date header")
	}
	for k, v := range want.Headers {
		if got := msg.Header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	text, html := bodies(t, msg)
	if normalize(text) != normalize(want.Text) {
		t.Errorf("text body = %q, want %q", text, want.Text)
	}
	if normalize(html) != normalize(want.HTML) {
		t.Errorf("html body = %q, want %q", html, want.HTML)
	}
}

// bodies returns the text and HTML parts of a message.
func bodies(t *testing.T, msg *netmail.Message) (text, html string) {
	t.Helper()
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("Content-Type: %v", err)
	}
	if !strings.HasPrefix(mt, "multipart/") {
		return mt2body(t, mt, msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return text, html
		}
		if err != nil {
			t.Fatal(err)
		}
		pt, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		tx, h := mt2body(t, pt, part.Header.Get("Content-Transfer-Encoding"), part)
		text += tx
		html += h
	}
}

func mt2body(t *testing.T, mediaType, cte string, r io.Reader) (text, html string) {
	t.Helper()
	switch strings.ToLower(cte) {
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, r)
	case "quoted-printable": // multipart.Reader decodes parts itself; a single-part body is ours
		r = quotedprintable.NewReader(r)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	switch mediaType {
	case "text/plain":
		return string(b), ""
	case "text/html":
		return "", string(b)
	}
	t.Fatalf("unexpected part %s", mediaType)
	return "", ""
}

func normalize(s string) string { return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n")) }
