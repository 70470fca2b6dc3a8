// Package form holds what every capability's Validate method shares: the
// result (for each field, the message that says what is wrong with it) and
// the rules for text that people type.
//
// A message is a key of the catalogue in internal/i18n, with the number
// it names where it names one ("at most %d characters"); the web layer
// translates it into the page's language next to the field.
package form

import (
	"unicode"
	"unicode/utf8"
)

// Message is a catalogue key and, for messages that name a number (a
// maximum length, a row of a file), that number.
type Message struct {
	Key string `json:"key"`
	N   int    `json:"n,omitempty"`
}

// Errors maps a field's name to what is wrong with it. A field has one
// message: a later one replaces an earlier.
type Errors map[string]Message

// Of is an Errors with one field's message.
func Of(field, key string) Errors { return Errors{field: {Key: key}} }

// Add sets the field's message.
func (e Errors) Add(field, key string) { e[field] = Message{Key: key} }

// AddN sets the field's message with the number it names.
func (e Errors) AddN(field, key string, n int) { e[field] = Message{Key: key, N: n} }

// Has reports whether the field has a message.
func (e Errors) Has(field string) bool { _, ok := e[field]; return ok }

// Key is the field's message key, "" when the field is fine.
func (e Errors) Key(field string) string { return e[field].Key }

// Line checks a one-line text (a name, a city, a job title): required
// when asked, at most max characters, and none of the characters that no
// one types on one line but that change how the text is shown to others:
// control characters (tabs, line breaks, escapes) and the invisible marks
// that turn the writing direction around (a name that shows as another
// name in a list or a spreadsheet). It reports whether v passed.
func (e Errors) Line(field, v string, max int, required bool) bool {
	return e.text(field, v, max, required, false)
}

// Text checks a text of several lines (a note, an answer in an exit
// interview): as Line, but line breaks and tabs are text.
func (e Errors) Text(field, v string, max int, required bool) bool {
	return e.text(field, v, max, required, true)
}

// Length checks only the length: at most max characters (a value chosen
// from a list, or checked by a rule of its own, like an e-mail address).
func (e Errors) Length(field, v string, max int) bool {
	if utf8.RuneCountInString(v) > max {
		e.AddN(field, "err.too_long", max)
		return false
	}
	return true
}

func (e Errors) text(field, v string, max int, required, lines bool) bool {
	switch {
	case v == "":
		if required {
			e.Add(field, "err.required")
			return false
		}
		return true
	case !e.Length(field, v, max):
		return false
	case Hidden(v, lines):
		e.Add(field, "err.control")
		return false
	}
	return true
}

// Hidden reports whether s holds a character that does not show as
// itself: a control character (line breaks and tabs only when lines is
// false) or a mark that embeds, overrides or isolates the writing
// direction. Invalid UTF-8 counts as hidden.
func Hidden(s string, lines bool) bool {
	if !utf8.ValidString(s) {
		return true
	}
	for _, r := range s {
		switch {
		case lines && (r == '\n' || r == '\r' || r == '\t'):
		case unicode.IsControl(r), Direction(r):
			return true
		}
	}
	return false
}

// Direction reports whether r is one of the invisible marks that change
// the writing direction of the text around it: the Arabic letter mark,
// the left-to-right and right-to-left marks, embeddings, overrides and
// isolates (Unicode's "Trojan Source" characters).
func Direction(r rune) bool {
	switch {
	case r == '\u061C', r == '\u200E', r == '\u200F':
		return true
	case r >= '\u202A' && r <= '\u202E':
		return true
	case r >= '\u2066' && r <= '\u2069':
		return true
	}
	return false
}
