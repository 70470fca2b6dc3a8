package server

import (
	"testing"
	"time"

	"github.com/alexedwards/scs/v2/memstore"
)

// countingStore counts the commits that reach the real store.
type countingStore struct {
	*memstore.MemStore
	commits int
}

func (c *countingStore) Commit(token string, b []byte, expiry time.Time) error {
	c.commits++
	return c.MemStore.Commit(token, b, expiry)
}

func TestLazyStoreSkipsTouchOnlyCommits(t *testing.T) {
	inner := &countingStore{MemStore: memstore.NewWithCleanupInterval(0)}
	s := newLazyStore(inner)
	t0 := time.Now().Add(SessionIdle)
	steps := []struct {
		name   string
		token  string
		data   string
		expiry time.Time
		writes int // commits reaching the store so far
	}{
		{"first commit is written", "a", "user=1", t0, 1},
		{"same data, deadline moved a little: skipped", "a", "user=1", t0.Add(10 * time.Second), 1},
		{"same data, deadline moved a minute: written", "a", "user=1", t0.Add(touchInterval), 2},
		{"changed data: written", "a", "user=1;flash", t0.Add(touchInterval), 3},
		{"other session: written", "b", "user=1;flash", t0.Add(touchInterval), 4},
		{"earlier deadline: written", "a", "user=1;flash", t0, 5},
	}
	for _, st := range steps {
		if err := s.Commit(st.token, []byte(st.data), st.expiry); err != nil {
			t.Fatal(err)
		}
		if inner.commits != st.writes {
			t.Fatalf("%s: %d writes, want %d", st.name, inner.commits, st.writes)
		}
	}
	// After Delete (logout) a commit of the same data is written again.
	if err := s.Delete("a"); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := s.Find("a"); found {
		t.Fatal("deleted session still found")
	}
	if err := s.Commit("a", []byte("user=1;flash"), t0); err != nil || inner.commits != 6 {
		t.Fatalf("commit after delete: %d writes, %v", inner.commits, err)
	}
	if b, found, err := s.Find("a"); err != nil || !found || string(b) != "user=1;flash" {
		t.Fatalf("find: %q %v %v", b, found, err)
	}
}
