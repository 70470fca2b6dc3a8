package auth

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"alumnet/internal/pgtest"
)

// A burst of parallel wrong passwords for one account is counted in full:
// AccountLimit of them get their password checked, the rest are refused
// unchecked, and a right password sent while the burst is on is refused.
func TestParallelBurstIsCountedInFull(t *testing.T) {
	t.Parallel()
	s, pool := newTestStore(t)
	ctx := context.Background()
	u := mustCreate(t, s, NewUser{Email: "target@example.nl", Name: "Target", Role: RoleAdmin, PasswordHash: hashPtr()})

	const burst = 100
	var bad, throttled, other atomic.Int32
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range burst {
		wg.Go(func() {
			<-start
			// From many addresses, as a botnet would: only the account count stops them.
			_, _, err := s.Authenticate(ctx, u.Email, fmt.Sprintf("guess number %d", i), fmt.Sprintf("203.0.113.%d", i))
			var te *ThrottledError
			switch {
			case errors.Is(err, ErrBadCredentials):
				bad.Add(1)
			case errors.As(err, &te):
				throttled.Add(1)
			default:
				other.Add(1)
			}
		})
	}
	// The right password comes in the middle of the burst: once the
	// account's count is full, while guesses are still arriving.
	var rightErr error
	wg.Go(func() {
		<-start
		for countRows(t, pool, `SELECT count(*) FROM login_failures WHERE key = 'acct:target@example.nl'`) < AccountLimit {
			time.Sleep(time.Millisecond)
		}
		_, _, rightErr = s.Authenticate(ctx, u.Email, testPassword, "198.51.100.1")
	})
	close(start)
	wg.Wait()
	if bad.Load() != AccountLimit || throttled.Load() != burst-AccountLimit || other.Load() != 0 {
		t.Fatalf("%d wrong passwords checked, %d refused unchecked, %d other; want %d and %d",
			bad.Load(), throttled.Load(), other.Load(), AccountLimit, burst-AccountLimit)
	}
	var te *ThrottledError
	if !errors.As(rightErr, &te) {
		t.Fatalf("the right password during the burst: %v, want *ThrottledError", rightErr)
	}
	if _, _, err := s.Authenticate(ctx, u.Email, testPassword, "198.51.100.2"); !errors.As(err, &te) {
		t.Fatalf("the right password after the burst: %v, want *ThrottledError", err)
	}
	if got, _ := s.UserByID(ctx, u.ID); got.LastLoginAt != nil {
		t.Fatal("a login got through")
	}
}

// At most the hasher's number of argon2id computations run at once.
func TestHasherBoundsConcurrency(t *testing.T) {
	h := NewHasher(2)
	hash, err := HashPassword("the quick brown fox")
	if err != nil {
		t.Fatal(err)
	}
	var running, peak atomic.Int32
	var wg sync.WaitGroup
	for range 12 {
		wg.Go(func() {
			if err := h.acquire(context.Background()); err != nil {
				t.Error(err)
				return
			}
			n := running.Add(1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			_, _ = CheckPassword(hash, "wrong")
			running.Add(-1)
			h.release()
		})
	}
	wg.Wait()
	if peak.Load() != 2 {
		t.Fatalf("peak concurrent hashes = %d, want 2", peak.Load())
	}
	// A caller whose request is gone stops waiting.
	for range 2 {
		_ = h.acquire(context.Background())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := h.Check(ctx, hash, "x"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Check with every slot taken = %v, want the context's error", err)
	}
}

// BenchmarkParallelLogins sends 200 logins at once (wrong passwords for
// 200 accounts, so no throttle stops them) and reports the process's peak
// resident memory, with the store's bounded hasher and without a bound.
//
//	go run ./cmd/pgtestenv -- go test -run '^$' -bench ParallelLogins -benchtime 3x ./internal/auth
func BenchmarkParallelLogins(b *testing.B) {
	for _, bc := range []struct {
		name  string
		slots int
	}{{"bounded", 0}, {"unbounded", 1000}} {
		b.Run(bc.name, func(b *testing.B) {
			d := pgtest.New(b)
			s := NewStore(d.Pool, Options{})
			s.hasher = NewHasher(bc.slots)
			ctx := context.Background()
			for i := range 200 {
				if _, err := s.CreateUser(ctx, NewUser{Email: fmt.Sprintf("u%d@example.nl", i), Name: "U", Role: RoleStaff, PasswordHash: hashPtr()}); err != nil {
					b.Fatal(err)
				}
			}
			resetPeakRSS(b)
			b.ResetTimer()
			for range b.N {
				var wg sync.WaitGroup
				for i := range 200 {
					wg.Go(func() {
						_, _, _ = s.Authenticate(ctx, fmt.Sprintf("u%d@example.nl", i), "wrong password here", fmt.Sprintf("10.0.%d.%d", i/250, i%250))
					})
				}
				wg.Wait()
				if _, err := d.Pool.Exec(ctx, `DELETE FROM login_failures`); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(peakRSSMiB(b), "peak-RSS-MiB")
		})
	}
}

// resetPeakRSS resets the kernel's high-water mark of this process's
// resident memory (Linux: write 5 to /proc/self/clear_refs).
func resetPeakRSS(b *testing.B) {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Fatalf("reset peak RSS: %v", err)
	}
}

func peakRSSMiB(b *testing.B) float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			if err != nil {
				b.Fatal(err)
			}
			return float64(kb) / 1024
		}
	}
	b.Fatal("no VmHWM in /proc/self/status")
	return 0
}
