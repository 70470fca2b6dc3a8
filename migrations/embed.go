// Package migrations holds the goose SQL migrations, embedded in the binary.
package migrations

import "embed"

// FS contains every *.sql migration in this folder.
//
//go:embed *.sql
var FS embed.FS
