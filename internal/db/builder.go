package db

import (
	"strconv"
	"strings"
)

// Builder collects WHERE conditions and their numbered arguments for
// queries whose filters depend on user input. Values only ever travel as
// arguments; conditions are fixed SQL written by the caller.
type Builder struct {
	args  []any
	conds []string
}

// Arg adds a value and returns its placeholder ($1, $2, …).
func (b *Builder) Arg(v any) string {
	b.args = append(b.args, v)
	return "$" + strconv.Itoa(len(b.args))
}

// Where adds a condition; conditions are joined with AND.
func (b *Builder) Where(cond string) { b.conds = append(b.conds, cond) }

// WhereSQL returns "WHERE a AND b …", or "" without conditions.
func (b *Builder) WhereSQL() string {
	if len(b.conds) == 0 {
		return ""
	}
	return "WHERE " + strings.Join(b.conds, " AND ")
}

// Args returns the collected arguments in placeholder order.
func (b *Builder) Args() []any { return b.args }

// EscapeLike escapes the LIKE wildcards in s, for use in a LIKE pattern.
func EscapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
