// Package erasure carries out the erasure of a person (GDPR article 17):
// every capability that holds personal data contributes a Part, and the
// Eraser runs them all in one transaction, then keeps a tombstone that
// says when, on whose request and which categories of data went, naming
// nobody. A capability that adds a table with personal data adds its Part
// (see docs/architecture.md); the erasure test plants a name in every
// table of the database and fails on one that keeps it.
package erasure

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"alumnet/internal/db"
)

// Who asked for an erasure.
const (
	ByPerson    = "person"
	ByStaff     = "staff"
	ByRetention = "retention"
)

// ErrNotFound means there is no such person, or they were erased already.
var ErrNotFound = errors.New("erasure: no such person, or erased already")

// Subject is the person being erased, with every e-mail address any part
// knows them by (their addresses now and before, those of links and mail
// sent to them), collected before any part erases anything.
type Subject struct {
	PersonID  int64
	Addresses []string
	// By and StaffUserID say who asked (see Request), for the audit log.
	By          string
	StaffUserID int64
}

// Part is one capability's share of an erasure.
type Part struct {
	// Name is the capability, for errors.
	Name string
	// Categories are the kinds of data the part erases, as the tombstone
	// lists them ("profile", "mail", …).
	Categories []string
	// Addresses returns the person's e-mail addresses the part holds; nil
	// when it holds none.
	Addresses func(ctx context.Context, tx pgx.Tx, personID int64) ([]string, error)
	// Erase removes or anonymises what the part holds of the subject.
	Erase func(ctx context.Context, tx pgx.Tx, s Subject) error
}

// Check runs first in the erasure's transaction, with the person's record
// locked; an error stops the erasure and undoes it (the retention run
// checks that the person is still due).
type Check func(ctx context.Context, tx pgx.Tx, personID int64) error

// Request is an erasure to carry out.
type Request struct {
	PersonID int64
	By       string // ByPerson, ByStaff or ByRetention
	// StaffUserID is the staff member who carried out a request on the
	// person's behalf (By == ByStaff), else 0.
	StaffUserID int64
	// Reason is a value from a list plus a case reference, never free text
	// that could name the person.
	Reason string
}

// Eraser runs the parts.
type Eraser struct {
	pool  *pgxpool.Pool
	parts []Part
}

// New returns an Eraser that runs parts in the order given: a part that
// looks a record up by another part's data comes before that part.
func New(pool *pgxpool.Pool, parts ...Part) *Eraser {
	return &Eraser{pool: pool, parts: parts}
}

// Parts lists the parts, in order (for the tests).
func (e *Eraser) Parts() []Part { return slices.Clone(e.parts) }

// Erase erases the person in one transaction: it locks the record, runs
// the checks, collects the addresses, runs every part, writes the
// tombstone. Any error undoes all of it. (The audit log's part writes the
// entry of the erasure itself.)
func (e *Eraser) Erase(ctx context.Context, req Request, checks ...Check) error {
	return db.InTx(ctx, e.pool, func(tx pgx.Tx) error {
		var erased bool
		err := tx.QueryRow(ctx, `SELECT erased_at IS NOT NULL FROM persons WHERE id = $1 FOR UPDATE`, req.PersonID).Scan(&erased)
		if errors.Is(err, pgx.ErrNoRows) || err == nil && erased {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("erasure: %d: %w", req.PersonID, err)
		}
		for _, check := range checks {
			if err := check(ctx, tx, req.PersonID); err != nil {
				return fmt.Errorf("erasure: %d: %w", req.PersonID, err)
			}
		}
		s := Subject{PersonID: req.PersonID, By: req.By, StaffUserID: req.StaffUserID}
		for _, p := range e.parts {
			if p.Addresses == nil {
				continue
			}
			list, err := p.Addresses(ctx, tx, req.PersonID)
			if err != nil {
				return fmt.Errorf("erasure: %d: addresses in %s: %w", req.PersonID, p.Name, err)
			}
			for _, a := range list {
				if a != "" && !slices.Contains(s.Addresses, a) {
					s.Addresses = append(s.Addresses, a)
				}
			}
		}
		if s.Addresses == nil {
			s.Addresses = []string{}
		}
		var categories []string
		for _, p := range e.parts {
			if err := p.Erase(ctx, tx, s); err != nil {
				return fmt.Errorf("erasure: %d: %s: %w", req.PersonID, p.Name, err)
			}
			categories = append(categories, p.Categories...)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO erasures (person_id, requested_by, staff_user_id, categories, reason) VALUES ($1, $2, $3, $4, $5)`,
			req.PersonID, req.By, db.NullID(req.StaffUserID), categories, req.Reason); err != nil {
			return fmt.Errorf("erasure: %d: tombstone: %w", req.PersonID, err)
		}
		return nil
	})
}
