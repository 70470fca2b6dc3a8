// Package mail renders and sends e-mail: through SMTP when SMTP_URL is set,
// otherwise into the dev outbox table that admins read in the app.
package mail

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"strings"

	"alumnet/internal/i18n"
)

// Message is one e-mail, already rendered in the recipient's language.
type Message struct {
	To      string
	Subject string
	Text    string // plain-text body
	HTML    string // HTML body; may be empty
	// Headers are extra headers, e.g. List-Unsubscribe.
	Headers map[string]string
	// Lang is the language the message is written in (Content-Language);
	// empty when unknown.
	Lang i18n.Lang
	// ID is the local part of the Message-ID header; the sender adds the
	// domain of its sender address. Empty: a random one. The job queue sets
	// it once per delivery, so every attempt sends the same Message-ID.
	ID string
}

// Sender delivers a message.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// ErrInvalid wraps every reason Validate refuses a message.
var ErrInvalid = errors.New("mail: invalid message")

// reservedHeaders are written by the sender itself; a message may not set
// them through Headers.
var reservedHeaders = map[string]bool{
	"from": true, "to": true, "cc": true, "bcc": true, "subject": true, "date": true, "sender": true,
	"message-id": true, "mime-version": true, "content-type": true, "content-transfer-encoding": true,
	"return-path": true, "content-language": true,
}

// Validate checks a message before it is sent or stored: a plain recipient
// address, a subject and headers without line breaks (header injection),
// and a text body. Both senders call it, so the outbox refuses what SMTP
// would refuse.
func (m Message) Validate() error {
	a, err := mail.ParseAddress(m.To)
	if err != nil || a.Address != m.To || len(m.To) > 254 {
		return fmt.Errorf("%w: recipient %q is not a plain e-mail address", ErrInvalid, m.To)
	}
	if strings.TrimSpace(m.Subject) == "" || strings.ContainsAny(m.Subject, "\r\n") || len(m.Subject) > 998 {
		return fmt.Errorf("%w: subject must be one non-empty line", ErrInvalid)
	}
	if strings.TrimSpace(m.Text) == "" {
		return fmt.Errorf("%w: the text body is empty", ErrInvalid)
	}
	if m.Lang != "" {
		if _, ok := i18n.Parse(string(m.Lang)); !ok {
			return fmt.Errorf("%w: language %q", ErrInvalid, m.Lang)
		}
	}
	if !validIDPart(m.ID) {
		return fmt.Errorf("%w: message id %q", ErrInvalid, m.ID)
	}
	for k, v := range m.Headers {
		if !validHeaderName(k) {
			return fmt.Errorf("%w: header name %q", ErrInvalid, k)
		}
		if reservedHeaders[strings.ToLower(k)] {
			return fmt.Errorf("%w: header %s is set by the sender", ErrInvalid, k)
		}
		if strings.ContainsAny(v, "\r\n") {
			return fmt.Errorf("%w: header %s contains a line break", ErrInvalid, k)
		}
	}
	return nil
}

// validIDPart accepts an empty id or a short one of lower-case letters,
// digits and dots (what NewMessageID makes).
func validIDPart(id string) bool {
	if len(id) > 80 {
		return false
	}
	for _, c := range []byte(id) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.') {
			return false
		}
	}
	return true
}

// NewMessageID returns a random local part for a Message-ID.
func NewMessageID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "alumnet." + hex.EncodeToString(b)
}

// validHeaderName accepts RFC 5322 field names: printable ASCII without colon.
func validHeaderName(k string) bool {
	if k == "" || len(k) > 76 {
		return false
	}
	for _, c := range []byte(k) {
		if c <= ' ' || c >= 127 || c == ':' {
			return false
		}
	}
	return true
}
