// Package sessions keeps the HTTP sessions of staff and alumni in
// PostgreSQL, as an scs store (github.com/alexedwards/scs/v2). It differs
// from scs's own pgxstore in three ways that the app needs:
//
//   - the token is stored only as its SHA-256, so a copy of the table (a
//     backup, a read replica) logs nobody in;
//   - each row names whose session it is (a staff user, an alumnus) and
//     which people its pending messages mention, so that a password change
//     can end a user's other sessions and an erasure can end a person's
//     sessions and scrub their name from messages waiting to be shown;
//   - an unchanged session is written back only to move its idle deadline
//     when that deadline is at least TouchInterval old, instead of on every
//     request (a database write and WAL flush per page otherwise).
//
// Sessions are shared by every app process: nothing here is needed in
// memory by another process (the touch bookkeeping only saves writes).
package sessions

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"alumnet/internal/erasure"
)

// TouchInterval is how old a session's stored idle deadline may get before
// an unchanged session is written back anyway; it makes the idle timeout
// at most this much shorter.
const TouchInterval = time.Minute

// maxTracked bounds the memory of the touch bookkeeping; beyond it every
// commit is written through.
const maxTracked = 100_000

// The session values the store understands. A signed-in staff user's id
// is under UserKey, an alumnus' under PersonKey. A value that names people
// (a message waiting to be shown, a report) is stored with Put, which
// keeps their ids under MentionsPrefix + its key: an erasure of one of
// them removes the value.
const (
	UserKey        = "user_id"
	PersonKey      = "person_id"
	MentionsPrefix = "mentions:"
	// EpochKey holds the session epoch of the user or alumnus at login:
	// the session counts only while it is still their current one.
	EpochKey = "epoch"
)

// Put stores value under key in the request's session of sm, noting that
// it names the people with ids about (added to those it named already).
func Put(ctx context.Context, sm *scs.SessionManager, key string, value any, about ...int64) {
	sm.Put(ctx, key, value)
	if len(about) == 0 {
		return
	}
	mentions, _ := sm.Get(ctx, MentionsPrefix+key).([]int64)
	for _, id := range about {
		if id != 0 && !slices.Contains(mentions, id) {
			mentions = append(mentions, id)
		}
	}
	if len(mentions) > 0 {
		sm.Put(ctx, MentionsPrefix+key, mentions)
	}
}

// Pop takes the bytes under key out of the request's session of sm, with
// the note of whom they name.
func Pop(ctx context.Context, sm *scs.SessionManager, key string) []byte {
	sm.Remove(ctx, MentionsPrefix+key)
	return sm.PopBytes(ctx, key)
}

// Owner says whose a session is and whom its data mentions.
type Owner struct {
	UserID   int64 // a signed-in staff user, or 0
	PersonID int64 // an alumnus signed in to the portal, or 0
	// Mentions are people named in the session's data; an erasure of one
	// of them removes what names them.
	Mentions []int64
}

// ownerOf reads the owner out of a session's decoded values.
func ownerOf(values map[string]any) Owner {
	o := Owner{Mentions: []int64{}}
	o.UserID, _ = values[UserKey].(int64)
	o.PersonID, _ = values[PersonKey].(int64)
	for k, v := range values {
		if ids, ok := v.([]int64); ok && strings.HasPrefix(k, MentionsPrefix) {
			for _, id := range ids {
				if !slices.Contains(o.Mentions, id) {
					o.Mentions = append(o.Mentions, id)
				}
			}
		}
	}
	return o
}

// forget removes from decoded values everything that names personID.
func forget(values map[string]any, personID int64) {
	for k, v := range values {
		if ids, ok := v.([]int64); ok && strings.HasPrefix(k, MentionsPrefix) && slices.Contains(ids, personID) {
			delete(values, k)
			delete(values, strings.TrimPrefix(k, MentionsPrefix))
		}
	}
}

// Store is the session store. Use one Store for every session manager of
// the app; they share its table.
type Store struct {
	pool  *pgxpool.Pool
	codec scs.Codec

	mu   sync.Mutex
	last map[string]committed // by token hash
}

type committed struct {
	data   []byte
	expiry time.Time
}

// New returns a Store on pool. codec must be the session managers' codec
// (scs.GobCodec unless changed).
func New(pool *pgxpool.Pool, codec scs.Codec) *Store {
	if codec == nil {
		codec = scs.GobCodec{}
	}
	return &Store{pool: pool, codec: codec, last: map[string]committed{}}
}

// ErasurePart is the sessions' share of an erasure: the person's portal
// sessions end on every device, and sessions whose waiting messages name
// them are rewritten without.
func (s *Store) ErasurePart() erasure.Part {
	return erasure.Part{
		Name:       "sessions",
		Categories: []string{"sessions"},
		Erase: func(ctx context.Context, tx pgx.Tx, sub erasure.Subject) error {
			if _, err := s.EndPersonSessions(ctx, tx, sub.PersonID); err != nil {
				return err
			}
			return s.Scrub(ctx, tx, sub.PersonID)
		},
	}
}

// hash is how a token is stored.
func hash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// Find returns the data of an unexpired session.
func (s *Store) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

// FindCtx returns the data of an unexpired session.
func (s *Store) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	var b []byte
	err := s.pool.QueryRow(ctx, `SELECT data FROM sessions WHERE token_hash = $1 AND expiry > now()`, hash(token)).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("sessions: find: %w", err)
	}
	return b, true, nil
}

// Commit stores a session.
func (s *Store) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}

// CommitCtx stores a session, unless only its idle deadline moved by less
// than TouchInterval since this process last wrote it.
func (s *Store) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	h := hash(token)
	key := string(h)
	s.mu.Lock()
	prev, ok := s.last[key]
	s.mu.Unlock()
	if ok && bytes.Equal(prev.data, b) && !expiry.Before(prev.expiry) && expiry.Sub(prev.expiry) < TouchInterval {
		return nil
	}
	o := Owner{Mentions: []int64{}}
	if _, values, err := s.codec.Decode(b); err == nil {
		o = ownerOf(values)
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO sessions (token_hash, data, expiry, user_id, person_id, mentions)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (token_hash) DO UPDATE SET data = EXCLUDED.data, expiry = EXCLUDED.expiry,
			user_id = EXCLUDED.user_id, person_id = EXCLUDED.person_id, mentions = EXCLUDED.mentions`,
		h, b, expiry, nullID(o.UserID), nullID(o.PersonID), o.Mentions)
	if err != nil {
		return fmt.Errorf("sessions: commit: %w", err)
	}
	s.remember(key, b, expiry)
	return nil
}

func (s *Store) remember(key string, b []byte, expiry time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.last) >= maxTracked {
		now := time.Now()
		for k, c := range s.last {
			if c.expiry.Before(now) {
				delete(s.last, k)
			}
		}
	}
	if len(s.last) < maxTracked {
		s.last[key] = committed{data: bytes.Clone(b), expiry: expiry}
	}
}

func (s *Store) forget(hashes ...[]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, h := range hashes {
		delete(s.last, string(h))
	}
}

// Delete removes a session.
func (s *Store) Delete(token string) error { return s.DeleteCtx(context.Background(), token) }

// DeleteCtx removes a session.
func (s *Store) DeleteCtx(ctx context.Context, token string) error {
	h := hash(token)
	s.forget(h)
	if _, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, h); err != nil {
		return fmt.Errorf("sessions: delete: %w", err)
	}
	return nil
}

// EndUserSessions ends every session of a staff user except the one with
// token keep ("" ends them all): after a password change or reset, and when
// the account is deactivated.
func (s *Store) EndUserSessions(ctx context.Context, userID int64, keep string) (int64, error) {
	keepHash := []byte{}
	if keep != "" {
		keepHash = hash(keep)
	}
	return s.deleteWhere(ctx, `user_id = $1 AND token_hash <> $2`, userID, keepHash)
}

// EndPersonSessions ends every portal session of an alumnus.
func (s *Store) EndPersonSessions(ctx context.Context, q Querier, personID int64) (int64, error) {
	return s.deleteWhereQ(ctx, q, `person_id = $1`, personID)
}

// Querier is a pool or a transaction.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func (s *Store) deleteWhere(ctx context.Context, cond string, args ...any) (int64, error) {
	return s.deleteWhereQ(ctx, s.pool, cond, args...)
}

func (s *Store) deleteWhereQ(ctx context.Context, q Querier, cond string, args ...any) (int64, error) {
	rows, err := q.Query(ctx, `DELETE FROM sessions WHERE `+cond+` RETURNING token_hash`, args...)
	if err != nil {
		return 0, fmt.Errorf("sessions: end: %w", err)
	}
	hashes, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
	if err != nil {
		return 0, fmt.Errorf("sessions: end: %w", err)
	}
	s.forget(hashes...)
	return int64(len(hashes)), nil
}

// Scrub rewrites the sessions whose data mentions personID without what
// names the person (see Put). It runs in the erasure's transaction.
func (s *Store) Scrub(ctx context.Context, tx pgx.Tx, personID int64) error {
	rows, err := tx.Query(ctx, `SELECT token_hash, data FROM sessions WHERE $1 = ANY(mentions) FOR UPDATE`, personID)
	if err != nil {
		return fmt.Errorf("sessions: scrub: %w", err)
	}
	type row struct {
		hash, data []byte
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		return x, r.Scan(&x.hash, &x.data)
	})
	if err != nil {
		return fmt.Errorf("sessions: scrub: %w", err)
	}
	for _, x := range list {
		deadline, values, err := s.codec.Decode(x.data)
		if err != nil {
			// Unreadable: the session cannot be trusted to be clean.
			if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, x.hash); err != nil {
				return fmt.Errorf("sessions: scrub: %w", err)
			}
			continue
		}
		forget(values, personID)
		o := ownerOf(values)
		b, err := s.codec.Encode(deadline, values)
		if err != nil {
			return fmt.Errorf("sessions: scrub: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE sessions SET data = $2, mentions = $3 WHERE token_hash = $1`, x.hash, b, o.Mentions); err != nil {
			return fmt.Errorf("sessions: scrub: %w", err)
		}
		s.forget(x.hash)
	}
	return nil
}

// Prune removes expired sessions (the daily clean-up).
func (s *Store) Prune(ctx context.Context) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE expiry < now()`); err != nil {
		return fmt.Errorf("sessions: prune: %w", err)
	}
	return nil
}

func nullID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}
