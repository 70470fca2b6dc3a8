package offboarding

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"alumnet/internal/form"
	"alumnet/internal/people"
)

// Limits of a cohort upload.
const (
	// CohortMaxCSVBytes is the largest CSV file a cohort upload takes.
	CohortMaxCSVBytes = 2 << 20
	// CohortMaxRows is the most graduates one upload takes.
	CohortMaxRows = 5000
)

// CohortRow is one graduate as read from a CSV upload, normalised. Line is
// the row number a spreadsheet shows (the header is row 1), so the report
// points at the row to fix.
type CohortRow struct {
	Line          int    `json:"line"`
	FirstName     string `json:"first_name"`
	LastName      string `json:"last_name"`
	Email         string `json:"email"`
	Language      string `json:"language"`
	StudentNumber string `json:"student_number"`
}

// Name is the graduate's full name.
func (r CohortRow) Name() string { return strings.TrimSpace(r.FirstName + " " + r.LastName) }

// Normalize trims the fields, lower-cases the address and reads the
// language ("Nederlands", "EN", "" …) as nl or en; an unknown language is
// kept as typed so Validate can point at it.
func (r *CohortRow) Normalize() {
	r.FirstName = strings.Join(strings.Fields(r.FirstName), " ")
	r.LastName = strings.Join(strings.Fields(r.LastName), " ")
	r.Email = strings.ToLower(strings.TrimSpace(r.Email))
	r.StudentNumber = strings.TrimSpace(r.StudentNumber)
	switch l := strings.ToLower(strings.TrimSpace(r.Language)); l {
	case "", "nl", "nld", "dutch", "nederlands", "ned":
		r.Language = "nl"
	case "en", "eng", "english", "engels":
		r.Language = "en"
	default:
		r.Language = strings.TrimSpace(r.Language)
	}
}

// Validate returns field → message key for every problem of the row.
func (r CohortRow) Validate() form.Errors {
	errs := form.Errors{}
	errs.Line("first_name", r.FirstName, 100, true)
	errs.Line("last_name", r.LastName, 100, true)
	if r.Email != "" && !people.ValidEmail(r.Email) {
		errs.Add("email", "err.email")
	}
	if r.Language != "nl" && r.Language != "en" {
		errs.Add("language", "cohort.err.language")
	}
	errs.Line("student_number", r.StudentNumber, 40, false)
	return errs
}

// CohortFileError is a problem with the upload as a whole (no rows, no
// header, not a CSV file): Key is a catalogue key, Args its arguments.
type CohortFileError struct {
	Key  string
	Args []any
}

func (e *CohortFileError) Error() string {
	return fmt.Sprintf("offboarding: cohort csv: %s %v", e.Key, e.Args)
}

// cohortColumns maps a normalised header (lower case, without spaces,
// dashes, underscores and dots) to the field it fills; English and Dutch
// names, as school systems and Excel exports write them.
var cohortColumns = map[string]string{
	"firstname": "first_name", "voornaam": "first_name", "roepnaam": "first_name", "givenname": "first_name",
	"lastname": "last_name", "achternaam": "last_name", "surname": "last_name", "familienaam": "last_name", "familyname": "last_name",
	"tussenvoegsel": "prefix", "tussenvoegsels": "prefix", "prefix": "prefix", "infix": "prefix",
	"email": "email", "emailadres": "email", "emailaddress": "email", "mail": "email", "privemail": "email",
	"language": "language", "taal": "language", "lang": "language", "voorkeurstaal": "language",
	"studentnumber": "student_number", "studentnummer": "student_number", "studentnr": "student_number",
	"studentid": "student_number", "leerlingnummer": "student_number", "studentno": "student_number",
}

func cohortHeaderKey(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.NewReplacer(" ", "", "-", "", "_", "", ".", "", "é", "e").Replace(s)
}

// ParseCohortCSV reads a CSV of graduates: UTF-8 with or without a byte
// order mark (a file that is not UTF-8 is read as Windows-1252, what Excel
// writes for "CSV (comma delimited)"), comma or semicolon separated (Dutch
// Excel uses semicolons; the header line decides), a header row naming
// the columns in English or Dutch. First name, last name and e-mail are
// required columns (an e-mail cell may be empty); language and student
// number are optional; a "tussenvoegsel" column is joined into the last
// name; other columns are ignored. Empty lines are skipped. Rows are
// normalised but not validated: the caller validates every row and
// reports them all.
func ParseCohortCSV(r io.Reader) ([]CohortRow, error) {
	b, err := io.ReadAll(io.LimitReader(r, CohortMaxCSVBytes+1))
	if err != nil {
		return nil, fmt.Errorf("offboarding: read cohort csv: %w", err)
	}
	if len(b) > CohortMaxCSVBytes {
		return nil, &CohortFileError{Key: "cohort.csv.too_big", Args: []any{CohortMaxCSVBytes >> 20}}
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(b) {
		if b, err = charmap.Windows1252.NewDecoder().Bytes(b); err != nil {
			return nil, &CohortFileError{Key: "cohort.csv.encoding"}
		}
	}
	if bytes.IndexByte(b, 0) >= 0 {
		return nil, &CohortFileError{Key: "cohort.csv.not_csv"}
	}
	firstLine, _, _ := bytes.Cut(b, []byte("\n"))
	if len(bytes.TrimSpace(firstLine)) == 0 {
		return nil, &CohortFileError{Key: "cohort.csv.empty"}
	}
	cr := csv.NewReader(bytes.NewReader(b))
	cr.Comma = ','
	if bytes.Count(firstLine, []byte(";")) > bytes.Count(firstLine, []byte(",")) {
		cr.Comma = ';'
	}
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = false

	header, err := cr.Read()
	if err != nil {
		return nil, cohortParseError(err)
	}
	col := map[string]int{}
	for i, h := range header {
		field, ok := cohortColumns[cohortHeaderKey(h)]
		if !ok {
			continue
		}
		if _, dup := col[field]; dup {
			return nil, &CohortFileError{Key: "cohort.csv.duplicate_column", Args: []any{strings.TrimSpace(h)}}
		}
		col[field] = i
	}
	var missing []string
	for _, f := range []string{"first_name", "last_name", "email"} {
		if _, ok := col[f]; !ok {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return nil, &CohortFileError{Key: "cohort.csv.header", Args: []any{strings.Join(missing, ", ")}}
	}
	cell := func(rec []string, field string) string {
		i, ok := col[field]
		if !ok || i >= len(rec) {
			return ""
		}
		return rec[i]
	}
	var rows []CohortRow
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, cohortParseError(err)
		}
		if strings.TrimSpace(strings.Join(rec, "")) == "" {
			continue
		}
		if len(rows) == CohortMaxRows {
			return nil, &CohortFileError{Key: "cohort.csv.too_many", Args: []any{CohortMaxRows}}
		}
		line, _ := cr.FieldPos(0)
		last := cell(rec, "last_name")
		if p := strings.TrimSpace(cell(rec, "prefix")); p != "" {
			last = p + " " + strings.TrimSpace(last)
		}
		row := CohortRow{Line: line, FirstName: cell(rec, "first_name"), LastName: last, Email: cell(rec, "email"),
			Language: cell(rec, "language"), StudentNumber: cell(rec, "student_number")}
		row.Normalize()
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil, &CohortFileError{Key: "cohort.csv.no_rows"}
	}
	return rows, nil
}

func cohortParseError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &CohortFileError{Key: "cohort.csv.parse", Args: []any{pe.Line}}
	}
	if errors.Is(err, io.EOF) {
		return &CohortFileError{Key: "cohort.csv.empty"}
	}
	return fmt.Errorf("offboarding: cohort csv: %w", err)
}
