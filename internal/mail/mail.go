// Package mail renders and sends e-mail: through SMTP when SMTP_URL is set,
// otherwise into the dev outbox table that admins read in the app.
package mail

import "context"

// Message is one e-mail, already rendered in the recipient's language.
type Message struct {
	To      string
	Subject string
	Text    string // plain-text body
	HTML    string // HTML body; may be empty
	// Headers are extra headers, e.g. List-Unsubscribe.
	Headers map[string]string
}

// Sender delivers a message.
type Sender interface {
	Send(ctx context.Context, m Message) error
}
