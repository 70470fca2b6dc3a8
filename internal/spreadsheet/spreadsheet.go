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
// semicolon that is followed by one. Double quotes at the start of a cell
// are skipped first: a program that splits on the semicolon takes them
// as quoting and reads the character after them as the cell's first. The
// added quote shows as text, harmless.
func SafeCell(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	cellStart := true
	for i := 0; i < len(s); i++ {
		if cellStart {
			j := i
			for j < len(s) && s[j] == '"' {
				j++
			}
			if j < len(s) && strings.IndexByte(formulaStart, s[j]) >= 0 {
				b.WriteString(s[i:j])
				b.WriteByte('\'')
				i = j
			}
		}
		b.WriteByte(s[i])
		cellStart = s[i] == ';'
	}
	return b.String()
}
