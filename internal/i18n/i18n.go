// Package i18n holds the Dutch and English message catalogues, decides
// which language a reader gets, and writes dates and times the way the
// organisation reads them.
package i18n

import (
	"fmt"
	"time"

	"golang.org/x/text/language"

	"alumnet/internal/form"
)

// Lang is a supported interface language.
type Lang string

// The supported languages; Dutch is the organisation default.
const (
	NL Lang = "nl"
	EN Lang = "en"
)

// Default is the language when nothing else decides.
const Default = NL

// Langs lists the supported languages in display order.
var Langs = []Lang{NL, EN}

// Parse returns the Lang for s, and whether s is supported.
func Parse(s string) (Lang, bool) {
	switch Lang(s) {
	case NL, EN:
		return Lang(s), true
	}
	return Default, false
}

// msg is one message in both languages.
type msg struct{ nl, en string }

// Printer translates message keys into one language.
type Printer struct{ Lang Lang }

// For returns a printer for lang.
func For(lang Lang) Printer { return Printer{Lang: lang} }

// T returns the message for key, formatted with args (fmt verbs) when given.
// An unknown key is returned as it is, so a missing message is visible on
// the page (and caught by the catalogue test).
func (p Printer) T(key string, args ...any) string {
	m, ok := catalog[key]
	if !ok {
		return key
	}
	s := m.nl
	if p.Lang == EN {
		s = m.en
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Message is a validation message (see internal/form) in p's language.
func (p Printer) Message(m form.Message) string {
	if m.N != 0 {
		return p.T(m.Key, m.N)
	}
	return p.T(m.Key)
}

// Errors translates a form's messages, field by field, for the page.
func (p Printer) Errors(errs form.Errors) map[string]string {
	out := make(map[string]string, len(errs))
	for field, m := range errs {
		out[field] = p.Message(m)
	}
	return out
}

// Has reports whether key is in the catalogue.
func Has(key string) bool { _, ok := catalog[key]; return ok }

// Keys lists every catalogue key (for tests).
func Keys() []string {
	keys := make([]string, 0, len(catalog))
	for k := range catalog {
		keys = append(keys, k)
	}
	return keys
}

var matcher = language.NewMatcher([]language.Tag{language.Dutch, language.English})

// Negotiate picks a language from what is known about the reader: their
// stored preference first, then the choice an anonymous visitor made (the
// lang cookie), then the browser's Accept-Language header, then the
// organisation default. Any of them may be "".
func Negotiate(preference, cookie, acceptLanguage string) Lang {
	if l, ok := Parse(preference); ok {
		return l
	}
	if l, ok := Parse(cookie); ok {
		return l
	}
	if al := acceptLanguage; al != "" {
		tags, _, err := language.ParseAcceptLanguage(al)
		if err == nil && len(tags) > 0 {
			_, idx, conf := matcher.Match(tags...)
			if conf != language.No {
				return Langs[idx]
			}
		}
	}
	return Default
}

// CookieName is the cookie that remembers an anonymous visitor's choice.
const CookieName = "lang"

// Zone is the organisation's time zone: pages and mails show times in it,
// date filters mean whole days in it, and periodic work runs by its clock.
func Zone() *time.Location {
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		return time.UTC // no time zone database (cmd/alumnet embeds one)
	}
	return loc
}

var months = [2][12]string{
	{"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"},
	{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
}

// Date writes a date in words: "3 maart 2026", "3 March 2026".
func (p Printer) Date(t time.Time) string {
	m := months[0]
	if p.Lang == EN {
		m = months[1]
	}
	return fmt.Sprintf("%d %s %d", t.Day(), m[t.Month()-1], t.Year())
}

// DateTime writes a moment in words: "3 maart 2026 om 09:30", "3 March
// 2026 at 09:30", in t's location.
func (p Printer) DateTime(t time.Time) string {
	at := " om "
	if p.Lang == EN {
		at = " at "
	}
	return p.Date(t) + at + t.Format("15:04")
}
