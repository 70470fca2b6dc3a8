package jobs

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// testSMTP is a real SMTP server (github.com/emersion/go-smtp) on a local
// port. It keeps what it receives, and refuses recipients while told to.
type testSMTP struct {
	addr string

	mu       sync.Mutex
	received []received
	// refuse is the reply to the next refuseN RCPT commands (nil: accept).
	refuse  *smtp.SMTPError
	refuseN int
}

type received struct {
	from string
	to   []string
	data []byte
}

func startSMTP(t *testing.T) *testSMTP {
	t.Helper()
	ts := &testSMTP{}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &smtpSession{srv: ts}, nil
	}))
	srv.Domain = "localhost"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts.addr = ln.Addr().String()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ts
}

// refuseRcpt makes the server answer the next n RCPT commands with code
// (4xx: try later, 5xx: never).
func (ts *testSMTP) refuseRcpt(n, code int, message string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	class := code / 100
	ts.refuse = &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{class, 1, 1}, Message: message}
	ts.refuseN = n
}

func (ts *testSMTP) messages() []received {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]received(nil), ts.received...)
}

type smtpSession struct {
	srv *testSMTP
	cur received
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	s.cur = received{from: from}
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	if s.srv.refuseN > 0 {
		s.srv.refuseN--
		return s.srv.refuse
	}
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
