package server

import (
	"bytes"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"
)

// touchInterval is how often an unchanged session is written back only to
// move its idle deadline. scs writes every session on every request when an
// idle timeout is set; that is a database write (and a WAL flush) per page.
// Skipping the write while the data is unchanged and the stored deadline is
// less than this old makes the idle timeout at most this much shorter.
const touchInterval = time.Minute

// maxTracked bounds the memory of lazyStore; beyond it every commit is
// written through, as without it.
const maxTracked = 100_000

// lazyStore wraps a session store and leaves out commits that would only
// move the idle deadline by less than touchInterval.
type lazyStore struct {
	inner scs.Store
	mu    sync.Mutex
	last  map[string]committed // by session token
}

type committed struct {
	data   []byte
	expiry time.Time
}

func newLazyStore(inner scs.Store) *lazyStore {
	return &lazyStore{inner: inner, last: map[string]committed{}}
}

func (s *lazyStore) Find(token string) ([]byte, bool, error) { return s.inner.Find(token) }

func (s *lazyStore) Commit(token string, b []byte, expiry time.Time) error {
	s.mu.Lock()
	prev, ok := s.last[token]
	s.mu.Unlock()
	if ok && bytes.Equal(prev.data, b) && !expiry.Before(prev.expiry) && expiry.Sub(prev.expiry) < touchInterval {
		return nil
	}
	if err := s.inner.Commit(token, b, expiry); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.last) >= maxTracked {
		s.prune()
	}
	if len(s.last) < maxTracked {
		s.last[token] = committed{data: bytes.Clone(b), expiry: expiry}
	}
	return nil
}

func (s *lazyStore) Delete(token string) error {
	s.mu.Lock()
	delete(s.last, token)
	s.mu.Unlock()
	return s.inner.Delete(token)
}

// prune forgets expired sessions; s.mu is held.
func (s *lazyStore) prune() {
	now := time.Now()
	for t, c := range s.last {
		if c.expiry.Before(now) {
			delete(s.last, t)
		}
	}
}
