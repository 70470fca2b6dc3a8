package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// SMTP delivers mail through an SMTP server (github.com/wneessen/go-mail).
// It opens a connection per message; mail volume from the web process is
// small, and bulk sending belongs to the job queue.
type SMTP struct {
	host      string
	port      int
	ssl       bool // implicit TLS (smtps://)
	policy    gomail.TLSPolicy
	user      string
	password  string
	from      *mail.Address
	timeout   time.Duration
	tlsConfig *tls.Config // nil: the system's roots; tests trust their own CA
}

// NewSMTP configures a sender from a URL and the sender address (MAIL_FROM,
// e.g. "Alumnet <alumni@example.nl>").
//
//	smtp://user:password@host:587   STARTTLS when the server offers it
//	smtp://host:25?tls=mandatory    refuse to send without STARTTLS
//	smtp://localhost:1025?tls=none  never STARTTLS (a local test server)
//	smtps://user:password@host:465  TLS from the first byte
//
// Credentials are only sent over an encrypted connection, or to localhost.
func NewSMTP(rawURL, from string) (*SMTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("mail: SMTP URL: %w", err)
	}
	s := &SMTP{host: u.Hostname(), timeout: 15 * time.Second, policy: gomail.TLSOpportunistic}
	switch u.Scheme {
	case "smtp":
		s.port = 587
		switch u.Query().Get("tls") {
		case "", "opportunistic":
		case "mandatory":
			s.policy = gomail.TLSMandatory
		case "none":
			s.policy = gomail.NoTLS
		default:
			return nil, fmt.Errorf("mail: SMTP URL: tls must be opportunistic, mandatory or none")
		}
	case "smtps":
		s.port, s.ssl, s.policy = 465, true, gomail.TLSMandatory
	default:
		return nil, fmt.Errorf("mail: SMTP URL must start with smtp:// or smtps://")
	}
	if s.host == "" {
		return nil, fmt.Errorf("mail: SMTP URL has no host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("mail: SMTP URL: bad port %q", p)
		}
		s.port = n
	}
	if u.User != nil {
		s.user = u.User.Username()
		s.password, _ = u.User.Password()
	}
	if s.from, err = mail.ParseAddress(from); err != nil {
		return nil, fmt.Errorf("mail: MAIL_FROM %q: %w", from, err)
	}
	return s, nil
}

// String describes the server without the password, for logs.
func (s *SMTP) String() string {
	scheme := "smtp"
	if s.ssl {
		scheme = "smtps"
	}
	user := ""
	if s.user != "" {
		user = s.user + "@"
	}
	return fmt.Sprintf("%s://%s%s:%d", scheme, user, s.host, s.port)
}

// Send delivers m: a text body, the HTML alternative when there is one,
// and the extra headers.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	if err := m.Validate(); err != nil {
		return err
	}
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(s.from)
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("mail: recipient: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageIDWithValue(s.messageID(m.ID))
	if m.Lang != "" {
		msg.SetGenHeader(gomail.Header("Content-Language"), string(m.Lang))
	}
	for k, v := range m.Headers {
		msg.SetGenHeader(gomail.Header(k), v)
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	client, err := gomail.NewClient(s.host, s.options()...)
	if err != nil {
		return fmt.Errorf("mail: SMTP client: %w", err)
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("mail: send to %s via %s: %w", m.To, s, err)
	}
	return nil
}

func (s *SMTP) options() []gomail.Option {
	// WithTLSPolicy and WithSSL, not their *Port variants: those rewrite
	// port 25 and add fallbacks to unencrypted ports.
	opts := []gomail.Option{gomail.WithPort(s.port), gomail.WithTimeout(s.timeout), gomail.WithTLSPolicy(s.policy)}
	if s.ssl {
		opts = append(opts, gomail.WithSSL())
	}
	if s.tlsConfig != nil {
		opts = append(opts, gomail.WithTLSConfig(s.tlsConfig))
	}
	if s.user != "" {
		// Auto-discovery picks the strongest mechanism the server offers and
		// never PLAIN or LOGIN over an unencrypted connection.
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.user), gomail.WithPassword(s.password))
	}
	return opts
}

// messageID is id (random when empty) in the sender's domain, which spam
// filters like better than the host name of an app server.
func (s *SMTP) messageID(id string) string {
	if id == "" {
		id = NewMessageID()
	}
	return id + "@" + s.Domain()
}

// Domain is the domain of the sender address, where Message-IDs live.
func (s *SMTP) Domain() string {
	_, domain, ok := strings.Cut(s.from.Address, "@")
	if !ok || domain == "" {
		return "alumnet.invalid"
	}
	return domain
}

// IsPermanent reports whether err means that sending the same message again
// cannot succeed: the message is invalid, or the server refused the
// recipient or the content with a 5xx reply. Temporary refusals (4xx),
// connection and login problems are worth another attempt.
func IsPermanent(err error) bool {
	if errors.Is(err, ErrInvalid) {
		return true
	}
	var se *gomail.SendError
	if !errors.As(err, &se) {
		return false
	}
	switch se.Reason {
	case gomail.ErrSMTPRcptTo, gomail.ErrSMTPData, gomail.ErrSMTPDataClose, gomail.ErrWriteContent:
		return se.ErrorCode() >= 500 && se.ErrorCode() < 600
	}
	return false
}
