// Package mail holds the templ components of outgoing e-mail: the shared
// layout and the body of each kind of message. internal/mail renders them,
// in the recipient's language, together with the plain-text version.
package mail

// InvitationData is the staff invitation, already translated.
type InvitationData struct {
	Greeting string
	Intro    string
	Link     string // the set-password link
	Button   string
	Expiry   string
	Ignore   string
}
