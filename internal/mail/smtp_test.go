package mail

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"alumnet/internal/i18n"
)

// testSMTP is a real SMTP server (github.com/emersion/go-smtp) on a local
// port that keeps what it receives.
type testSMTP struct {
	addr     string
	user     string // required login, "" for none
	password string
	clientCA *x509.CertPool // trusts the server's certificate

	mu       sync.Mutex
	received []received
}

type received struct {
	from   string
	to     []string
	data   []byte
	tls    bool
	authAs string
}

type smtpSession struct {
	srv    *testSMTP
	conn   *smtp.Conn
	authAs string
	cur    received
}

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *smtpSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != s.srv.user || password != s.srv.password {
			return smtp.ErrAuthFailed
		}
		s.authAs = username
		return nil
	}), nil
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.srv.user != "" && s.authAs == "" {
		return smtp.ErrAuthRequired
	}
	_, tlsOn := s.conn.TLSConnectionState()
	s.cur = received{from: from, tls: tlsOn, authAs: s.authAs}
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.to = append(s.cur.to, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = b
	s.srv.mu.Lock()
	s.srv.received = append(s.srv.received, s.cur)
	s.srv.mu.Unlock()
	return nil
}

func (s *smtpSession) Reset()        { s.cur = received{} }
func (s *smtpSession) Logout() error { return nil }

func (ts *testSMTP) messages() []received {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]received(nil), ts.received...)
}

// startSMTP starts a server; withTLS offers STARTTLS with a certificate for
// 127.0.0.1 made for this test.
func startSMTP(t *testing.T, withTLS bool, user, password string) *testSMTP {
	t.Helper()
	ts := &testSMTP{user: user, password: password}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &smtpSession{srv: ts, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.AllowInsecureAuth = false
	if withTLS {
		cert, pool := selfSigned(t)
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		ts.clientCA = pool
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts.addr = ln.Addr().String()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ts
}

func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "alumnet test smtp"},
		NotBefore:             time.Now().Add(-time.Minute),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// sender is NewSMTP for url, trusting the test server's certificate.
func (ts *testSMTP) sender(t *testing.T, url string) *SMTP {
	t.Helper()
	s, err := NewSMTP(url, "Alumnet <alumni@example.nl>")
	if err != nil {
		t.Fatal(err)
	}
	if ts.clientCA != nil {
		s.tlsConfig = &tls.Config{RootCAs: ts.clientCA, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
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
	ts := startSMTP(t, true, "alice", "s3cret pass")
	s := ts.sender(t, "smtp://alice:s3cret%20pass@"+ts.addr+"?tls=mandatory")
	if strings.Contains(s.String(), "s3cret") {
		t.Errorf("String() shows the password: %s", s)
	}
	if err := s.Send(context.Background(), testMessage); err != nil {
		t.Fatal(err)
	}
	got := ts.messages()
	if len(got) != 1 {
		t.Fatalf("server received %d messages, want 1", len(got))
	}
	r := got[0]
	if !r.tls || r.authAs != "alice" {
		t.Errorf("tls=%v auth=%q, want an authenticated TLS session", r.tls, r.authAs)
	}
	if r.from != "alumni@example.nl" || len(r.to) != 1 || r.to[0] != "marieke@example.org" {
		t.Errorf("envelope from %q to %v", r.from, r.to)
	}
	checkReceived(t, r.data, testMessage)
}

func TestSMTPPlainServerWithoutAuth(t *testing.T) {
	ts := startSMTP(t, false, "", "")
	s := ts.sender(t, "smtp://"+ts.addr+"?tls=none")
	m := testMessage
	m.HTML = "" // text only
	m.Text = "Één regel = met een isgelijkteken en een lange regel " + strings.Repeat("bla ", 30) + "\n"
	m.Headers = nil
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := ts.messages()
	if len(got) != 1 || got[0].tls {
		t.Fatalf("received %d, tls=%v", len(got), len(got) > 0 && got[0].tls)
	}
	checkReceived(t, got[0].data, m)
}

func TestSMTPStableMessageIDAndLanguage(t *testing.T) {
	ts := startSMTP(t, false, "", "")
	s := ts.sender(t, "smtp://"+ts.addr+"?tls=none")
	m := testMessage
	m.ID, m.Lang = NewMessageID(), i18n.EN
	for range 2 {
		if err := s.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	got := ts.messages()
	if len(got) != 2 {
		t.Fatalf("received %d", len(got))
	}
	for _, r := range got {
		msg, err := netmail.ReadMessage(bytes.NewReader(r.data))
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
	withTLS := startSMTP(t, true, "alice", "right")
	plain := startSMTP(t, false, "", "")
	ctx := context.Background()

	if err := withTLS.sender(t, "smtp://alice:wrong@"+withTLS.addr).Send(ctx, testMessage); err == nil {
		t.Error("wrong password: sent anyway")
	}
	if err := plain.sender(t, "smtp://"+plain.addr+"?tls=mandatory").Send(ctx, testMessage); err == nil {
		t.Error("tls=mandatory to a server without STARTTLS: sent anyway")
	}
	// An unencrypted connection never carries the password.
	if err := plain.sender(t, "smtp://alice:right@"+plain.addr+"?tls=none").Send(ctx, testMessage); err == nil {
		t.Error("credentials over an unencrypted connection: sent anyway")
	}
	bad := testMessage
	bad.Headers = map[string]string{"X-Test": "a\r\nBcc: victim@example.org"}
	if err := plain.sender(t, "smtp://"+plain.addr+"?tls=none").Send(ctx, bad); !errors.Is(err, ErrInvalid) {
		t.Errorf("header injection: %v, want ErrInvalid", err)
	}
	if n := len(withTLS.messages()) + len(plain.messages()); n != 0 {
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
