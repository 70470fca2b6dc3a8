// Package spreadsheet makes exported data safe to open in a spreadsheet
// program. A cell that starts with =, +, -, @ (or a tab or carriage
// return) is read as a formula by Excel and LibreOffice, which an attacker
// who typed a name or a note can use to run commands or leak data (CSV
// injection). Dutch Excel splits a CSV line on semicolons as well, so a
// formula can also hide after a ';' in the middle of a value.
package spreadsheet

import "strings"

// formulaStart are the characters that make a cell a formula.
const formulaStart = "=+-@\t\r"

// SafeCell returns s so that no cell a spreadsheet makes of it is a
// formula: a quote before a dangerous first character, and after every
// semicolon that is followed by one. The quote shows as text, harmless.
func SafeCell(s string) string {
	if s == "" {
		return s
	}
	var b strings.Builder
	if strings.ContainsRune(formulaStart, rune(s[0])) {
		b.WriteByte('\'')
	}
	for i := 0; i < len(s); i++ {
		b.WriteByte(s[i])
		if s[i] == ';' && i+1 < len(s) && strings.ContainsRune(formulaStart, rune(s[i+1])) {
			b.WriteByte('\'')
		}
	}
	return b.String()
}
