package auth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"alumnet/internal/pgtest"
	"alumnet/internal/units"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

const testPassword = "de koe staat in de wei 7"

// testHash is one argon2id hash of testPassword, computed once: hashing is
// deliberately slow.
var testHash = sync.OnceValue(func() string {
	h, err := HashPassword(testPassword)
	if err != nil {
		panic(err)
	}
	return h
})

func hashPtr() *string { h := testHash(); return &h }

func newTestStore(t *testing.T) (*Store, *pgxpool.Pool) {
	t.Helper()
	d := pgtest.New(t)
	return NewStore(d.Pool, Options{}), d.Pool
}

func mustCreate(t *testing.T, s *Store, nu NewUser) User {
	t.Helper()
	u, err := s.CreateUser(context.Background(), nu)
	if err != nil {
		t.Fatalf("CreateUser(%s): %v", nu.Email, err)
	}
	return u
}

func mustUnit(t *testing.T, us *units.Store, parent *int64, name string) units.Unit {
	t.Helper()
	u, err := us.Create(context.Background(), 0, parent, name, "location")
	if err != nil {
		t.Fatalf("create unit %q: %v", name, err)
	}
	return u
}

func countRows(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func TestCreateUserAndLookup(t *testing.T) {
	t.Parallel()
	s, pool := newTestStore(t)
	ctx := context.Background()
	us := units.NewStore(pool)
	school := mustUnit(t, us, nil, "Groenhorst")
	prog := mustUnit(t, us, &school.ID, "Dierverzorging")

	anna := mustCreate(t, s, NewUser{
		Email: "  Anna.De.Vries@Example.NL ", Name: " Anna de Vries ", Role: RoleCoordinator, Language: "en",
		UnitIDs: []int64{prog.ID, school.ID, prog.ID},
	})
	if anna.ID == 0 || anna.Email != "anna.de.vries@example.nl" || anna.Name != "Anna de Vries" ||
		anna.Role != RoleCoordinator || anna.Language != "en" {
		t.Errorf("created user = %+v", anna)
	}
	if want := []int64{school.ID, prog.ID}; !slices.Equal(anna.UnitIDs, want) {
		t.Errorf("UnitIDs = %v, want %v", anna.UnitIDs, want)
	}
	if anna.HasPassword() || !anna.Active() || anna.LastLoginAt != nil || anna.CreatedAt.IsZero() {
		t.Errorf("new invited user: HasPassword %v, Active %v, LastLoginAt %v, CreatedAt %v",
			anna.HasPassword(), anna.Active(), anna.LastLoginAt, anna.CreatedAt)
	}

	bram := mustCreate(t, s, NewUser{Email: "bram@example.nl", Name: "bram", Role: RoleStaff, PasswordHash: hashPtr()})
	if bram.Language != "nl" {
		t.Errorf("default language = %q, want nl", bram.Language)
	}
	if bram.UnitIDs == nil || len(bram.UnitIDs) != 0 {
		t.Errorf("UnitIDs without units = %#v, want empty", bram.UnitIDs)
	}
	if !bram.HasPassword() || *bram.PasswordHash != testHash() {
		t.Errorf("password hash not stored: %v", bram.PasswordHash)
	}

	for _, email := range []string{"anna.de.vries@example.nl", "ANNA.DE.VRIES@EXAMPLE.NL", " Anna.de.Vries@example.nl"} {
		_, err := s.CreateUser(ctx, NewUser{Email: email, Name: "Other Anna", Role: RoleStaff})
		if !errors.Is(err, ErrEmailTaken) {
			t.Errorf("CreateUser(%q) with a taken address = %v, want ErrEmailTaken", email, err)
		}
	}

	got, err := s.UserByEmail(ctx, " ANNA.de.vries@EXAMPLE.nl")
	if err != nil || got.ID != anna.ID {
		t.Errorf("UserByEmail = %+v, %v; want user %d", got, err, anna.ID)
	}
	got, err = s.UserByID(ctx, bram.ID)
	if err != nil || got.Email != "bram@example.nl" {
		t.Errorf("UserByID = %+v, %v", got, err)
	}
	if _, err := s.UserByID(ctx, bram.ID+1000); !errors.Is(err, ErrNotFound) {
		t.Errorf("UserByID(unknown) = %v, want ErrNotFound", err)
	}
	if _, err := s.UserByEmail(ctx, "nobody@example.nl"); !errors.Is(err, ErrNotFound) {
		t.Errorf("UserByEmail(unknown) = %v, want ErrNotFound", err)
	}

	// Users: active ones first, then by name regardless of case.
	cees := mustCreate(t, s, NewUser{Email: "cees@example.nl", Name: "Cees", Role: RoleAdmin})
	aart := mustCreate(t, s, NewUser{Email: "aart@example.nl", Name: "Aart", Role: RoleStaff})
	if _, err := s.SetActive(ctx, User{}, aart, false); err != nil {
		t.Fatal(err)
	}
	list, err := s.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var emails []string
	for _, u := range list {
		emails = append(emails, u.Email)
	}
	want := []string{"anna.de.vries@example.nl", "bram@example.nl", "cees@example.nl", "aart@example.nl"}
	if !slices.Equal(emails, want) {
		t.Errorf("Users = %v, want %v", emails, want)
	}
	if list[0].UnitIDs == nil || len(list[0].UnitIDs) != 2 || list[2].ID != cees.ID {
		t.Errorf("Users does not carry the full rows: %+v", list)
	}
	if n, err := s.CountUsers(ctx); err != nil || n != 4 {
		t.Errorf("CountUsers = %d, %v; want 4", n, err)
	}
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	s, pool := newTestStore(t)
	ctx := context.Background()
	active := mustCreate(t, s, NewUser{Email: "active@example.nl", Name: "Active", Role: RoleStaff, PasswordHash: hashPtr()})
	gone := mustCreate(t, s, NewUser{Email: "gone@example.nl", Name: "Gone", Role: RoleStaff, PasswordHash: hashPtr()})
	if _, err := s.SetActive(ctx, User{}, gone, false); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, s, NewUser{Email: "invited@example.nl", Name: "Invited", Role: RoleStaff})

	tests := []struct {
		name     string
		email    string
		password string
		wantID   int64 // 0: refused with ErrBadCredentials
	}{
		{"right password", "active@example.nl", testPassword, active.ID},
		{"address in another case and with spaces", "  Active@Example.NL ", testPassword, active.ID},
		{"wrong password", "active@example.nl", testPassword + "x", 0},
		{"empty password", "active@example.nl", "", 0},
		{"unknown address", "nobody@example.nl", testPassword, 0},
		{"deactivated, right password", "gone@example.nl", testPassword, 0},
		{"deactivated, wrong password", "gone@example.nl", "wrong password!", 0},
		{"invited without password", "invited@example.nl", testPassword, 0},
		{"invited, empty password", "invited@example.nl", "", 0},
		// The password behind the dummy hash checked for unknown addresses
		// and accounts without a password must not open them.
		{"invited, dummy password", "invited@example.nl", "not a real password, only for timing", 0},
		{"unknown, dummy password", "nobody@example.nl", "not a real password, only for timing", 0},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ip := fmt.Sprintf("192.0.2.%d", i+1)
			u, _, err := s.Authenticate(ctx, tt.email, tt.password, ip)
			if tt.wantID != 0 {
				if err != nil || u.ID != tt.wantID {
					t.Fatalf("Authenticate = %+v, %v; want user %d", u, err, tt.wantID)
				}
				got, err := s.UserByID(ctx, u.ID)
				if err != nil || got.LastLoginAt == nil {
					t.Errorf("last_login_at after login = %v, %v", got.LastLoginAt, err)
				}
				return
			}
			// Every refusal is the very same value, so a caller cannot tell
			// an unknown address from a wrong password.
			if err != ErrBadCredentials { //nolint:errorlint // identity is the point
				t.Fatalf("Authenticate = %+v, %v; want ErrBadCredentials itself", u, err)
			}
			if u.ID != 0 {
				t.Errorf("refused login returned user %d", u.ID)
			}
			if n := countRows(t, pool, `SELECT count(*) FROM login_failures WHERE key = $1`, "ip:"+ip); n != 1 {
				t.Errorf("failures recorded for %s = %d, want 1", ip, n)
			}
		})
	}
	// One failure per refusal for the account key, under the normalised address.
	if n := countRows(t, pool, `SELECT count(*) FROM login_failures WHERE key = 'acct:gone@example.nl'`); n != 2 {
		t.Errorf("account failures for gone@ = %d, want 2", n)
	}
}

func TestAccountThrottle(t *testing.T) {
	t.Parallel()
	s, pool := newTestStore(t)
	ctx := context.Background()
	victim := mustCreate(t, s, NewUser{Email: "victim@example.nl", Name: "Victim", Role: RoleAdmin, PasswordHash: hashPtr()})
	other := mustCreate(t, s, NewUser{Email: "other@example.nl", Name: "Other", Role: RoleStaff, PasswordHash: hashPtr()})

	const attackerIP = "203.0.113.1"
	for i := range AccountLimit {
		// Vary the case: the throttle is per normalised address.
		email := "victim@example.nl"
		if i%2 == 1 {
			email = "VICTIM@example.nl"
		}
		if _, _, err := s.Authenticate(ctx, email, "wrong password!", attackerIP); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("failure %d: %v, want ErrBadCredentials", i+1, err)
		}
	}
	for _, ip := range []string{attackerIP, "203.0.113.2"} {
		u, _, err := s.Authenticate(ctx, "victim@example.nl", testPassword, ip)
		var te *ThrottledError
		if !errors.As(err, &te) {
			t.Fatalf("right password from %s after %d failures = %+v, %v; want *ThrottledError", ip, AccountLimit, u, err)
		}
		if te.RetryAfter <= 0 || te.RetryAfter > ThrottleWindow {
			t.Errorf("RetryAfter = %v, want in (0, %v]", te.RetryAfter, ThrottleWindow)
		}
	}
	// A throttled attempt is not itself a recorded failure.
	if n := countRows(t, pool, `SELECT count(*) FROM login_failures WHERE key = 'acct:victim@example.nl'`); n != AccountLimit {
		t.Errorf("account failures = %d, want %d", n, AccountLimit)
	}
	if got, _ := s.UserByID(ctx, victim.ID); got.LastLoginAt != nil {
		t.Error("throttled login was recorded as a login")
	}
	// Another account from another address is unaffected, and so is
	// another account from the attacker's address (far below IPLimit).
	for _, ip := range []string{"198.51.100.9", attackerIP} {
		if u, _, err := s.Authenticate(ctx, "other@example.nl", testPassword, ip); err != nil || u.ID != other.ID {
			t.Errorf("other account from %s = %+v, %v; want a login", ip, u, err)
		}
	}
}

func TestAccountThrottleBoundaries(t *testing.T) {
	t.Parallel()
	s, pool := newTestStore(t)
	ctx := context.Background()
	u := mustCreate(t, s, NewUser{Email: "near@example.nl", Name: "Near", Role: RoleStaff, PasswordHash: hashPtr()})

	// One failure short of the limit the right password still works, and
	// a login clears the account's failures.
	for range AccountLimit - 1 {
		if _, _, err := s.Authenticate(ctx, u.Email, "wrong password!", "192.0.2.50"); !errors.Is(err, ErrBadCredentials) {
			t.Fatal(err)
		}
	}
	if got, _, err := s.Authenticate(ctx, u.Email, testPassword, "192.0.2.50"); err != nil || got.ID != u.ID {
		t.Fatalf("login after %d failures = %v, want success", AccountLimit-1, err)
	}
	if n := countRows(t, pool, `SELECT count(*) FROM login_failures WHERE key = 'acct:near@example.nl'`); n != 0 {
		t.Errorf("account failures after a login = %d, want 0", n)
	}
	if n := countRows(t, pool, `SELECT count(*) FROM login_failures WHERE key = 'ip:192.0.2.50'`); n != AccountLimit-1 {
		t.Errorf("address failures after a login = %d, want %d (a login clears only the account)", n, AccountLimit-1)
	}

	// Failures older than the window do not count.
	if _, err := pool.Exec(ctx, `INSERT INTO login_failures (key, at)
		SELECT 'acct:near@example.nl', now() - interval '16 minutes' FROM generate_series(1, $1)`, AccountLimit*2); err != nil {
		t.Fatal(err)
	}
	if got, _, err := s.Authenticate(ctx, u.Email, testPassword, "192.0.2.51"); err != nil || got.ID != u.ID {
		t.Fatalf("login with only stale failures = %v, want success", err)
	}

	// Failures inside the window do.
	if _, err := pool.Exec(ctx, `INSERT INTO login_failures (key, at)
		SELECT 'acct:near@example.nl', now() - interval '10 minutes' FROM generate_series(1, $1)`, AccountLimit); err != nil {
		t.Fatal(err)
	}
	_, _, err := s.Authenticate(ctx, u.Email, testPassword, "192.0.2.52")
	var te *ThrottledError
	if !errors.As(err, &te) {
		t.Fatalf("login with %d failures 10 minutes old = %v, want *ThrottledError", AccountLimit, err)
	}
	// The oldest counted failure is 10 minutes old: at most 5 minutes to wait.
	if te.RetryAfter <= 0 || te.RetryAfter > ThrottleWindow-10*time.Minute {
		t.Errorf("RetryAfter = %v, want in (0, 5m]", te.RetryAfter)
	}
}

func TestIPThrottle(t *testing.T) {
	t.Parallel()
	s, _ := newTestStore(t)
	ctx := context.Background()
	u := mustCreate(t, s, NewUser{Email: "real@example.nl", Name: "Real", Role: RoleStaff, PasswordHash: hashPtr()})
	const ip = "198.51.100.7"

	// Spraying many accounts from one address: one failure per account, so
	// no account limit is reached.
	fail := func(i int) {
		t.Helper()
		if _, _, err := s.Authenticate(ctx, fmt.Sprintf("ghost%d@example.nl", i), "guess", ip); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("failure %d: %v, want ErrBadCredentials", i+1, err)
		}
	}
	for i := range IPLimit - 1 {
		fail(i)
	}
	if got, _, err := s.Authenticate(ctx, u.Email, testPassword, ip); err != nil || got.ID != u.ID {
		t.Fatalf("login after %d failures from the address = %v, want success", IPLimit-1, err)
	}
	fail(IPLimit - 1)

	_, _, err := s.Authenticate(ctx, u.Email, testPassword, ip)
	var te *ThrottledError
	if !errors.As(err, &te) || te.RetryAfter <= 0 {
		t.Fatalf("login from an address with %d failures = %v, want *ThrottledError with RetryAfter > 0", IPLimit, err)
	}
	if _, _, err := s.Authenticate(ctx, "fresh@example.nl", "guess", ip); !errors.As(err, &te) {
		t.Errorf("unknown account from the throttled address = %v, want *ThrottledError", err)
	}
	if got, _, err := s.Authenticate(ctx, u.Email, testPassword, "198.51.100.8"); err != nil || got.ID != u.ID {
		t.Errorf("same account from another address = %v, want success", err)
	}
}

func TestPruneLoginFailures(t *testing.T) {
	t.Parallel()
	s, pool := newTestStore(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `INSERT INTO login_failures (key, at) VALUES
		('acct:old@example.nl', now() - interval '1 day'),
		('ip:192.0.2.1', now() - interval '16 minutes'),
		('acct:recent@example.nl', now() - interval '10 minutes'),
		('ip:192.0.2.2', now())`); err != nil {
		t.Fatal(err)
	}
	if err := s.PruneLoginFailures(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err := pool.Query(ctx, `SELECT key FROM login_failures ORDER BY key`)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if want := []string{"acct:recent@example.nl", "ip:192.0.2.2"}; !slices.Equal(keys, want) {
		t.Errorf("after prune: %v, want %v", keys, want)
	}
}

func TestSetPasswordToken(t *testing.T) {
	t.Parallel()
	s, pool := newTestStore(t)
	ctx := context.Background()
	admin := mustCreate(t, s, NewUser{Email: "admin@example.nl", Name: "Admin", Role: RoleAdmin, PasswordHash: hashPtr()})
	invited := mustCreate(t, s, NewUser{Email: "new@example.nl", Name: "New", Role: RoleStaff})

	tok, err := s.CreateSetPasswordToken(ctx, invited.ID, admin.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(tok) < 40 {
		t.Errorf("token %q is short", tok)
	}

	// Stored as its SHA-256 only; the raw token appears nowhere in the row.
	if n := countRows(t, pool, `SELECT count(*) FROM user_tokens WHERE token_hash = $1`, HashToken(tok)); n != 1 {
		t.Errorf("rows with the token's hash = %d, want 1", n)
	}
	if n := countRows(t, pool, `SELECT count(*) FROM user_tokens t
		WHERE strpos(t::text, $1) > 0 OR strpos(encode(t.token_hash, 'escape'), $1) > 0 OR t.token_hash = convert_to($1, 'UTF8')`, tok); n != 0 {
		t.Errorf("raw token found in user_tokens (%d rows)", n)
	}
	// Valid for SetPasswordTTL, created by the admin.
	if n := countRows(t, pool, `SELECT count(*) FROM user_tokens WHERE token_hash = $1 AND created_by = $2
		AND purpose = 'set_password' AND used_at IS NULL
		AND expires_at > now() + interval '71 hours' AND expires_at <= now() + interval '72 hours'`,
		HashToken(tok), admin.ID); n != 1 {
		t.Error("token row: want created_by the admin, unused, expiring in 72 hours")
	}

	got, _, err := s.SetPasswordTokenUser(ctx, tok)
	if err != nil || got.ID != invited.ID {
		t.Fatalf("SetPasswordTokenUser = %+v, %v; want user %d", got, err, invited.ID)
	}
	// Looking the token up does not use it.
	if got, _, err := s.SetPasswordTokenUser(ctx, tok); err != nil || got.ID != invited.ID {
		t.Fatalf("second SetPasswordTokenUser = %v", err)
	}

	const newPassword = "een nieuw en lang wachtwoord"
	h, err := HashPassword(newPassword)
	if err != nil {
		t.Fatal(err)
	}
	got, _, err = s.UseSetPasswordToken(ctx, tok, h)
	if err != nil || got.ID != invited.ID || !got.HasPassword() {
		t.Fatalf("UseSetPasswordToken = %+v, %v", got, err)
	}
	if ok, err := CheckPassword(*got.PasswordHash, newPassword); !ok || err != nil {
		t.Errorf("CheckPassword with the new password = %v, %v", ok, err)
	}
	if u, _, err := s.Authenticate(ctx, "new@example.nl", newPassword, "192.0.2.1"); err != nil || u.ID != invited.ID {
		t.Errorf("login with the new password = %v", err)
	}

	// Exactly once.
	if _, _, err := s.UseSetPasswordToken(ctx, tok, testHash()); !errors.Is(err, ErrTokenInvalid) {
		t.Errorf("second UseSetPasswordToken = %v, want ErrTokenInvalid", err)
	}
	if _, _, err := s.SetPasswordTokenUser(ctx, tok); !errors.Is(err, ErrTokenInvalid) {
		t.Errorf("SetPasswordTokenUser after use = %v, want ErrTokenInvalid", err)
	}
	if u, _ := s.UserByID(ctx, invited.ID); u.PasswordHash == nil || *u.PasswordHash != h {
		t.Error("second use changed the password")
	}

	for _, bad := range []string{"", "not-a-token", tok + "x"} {
		if _, _, err := s.SetPasswordTokenUser(ctx, bad); !errors.Is(err, ErrTokenInvalid) {
			t.Errorf("SetPasswordTokenUser(%q) = %v, want ErrTokenInvalid", bad, err)
		}
		if _, _, err := s.UseSetPasswordToken(ctx, bad, testHash()); !errors.Is(err, ErrTokenInvalid) {
			t.Errorf("UseSetPasswordToken(%q) = %v, want ErrTokenInvalid", bad, err)
		}
	}

	// Without a creator (a reset the user asked for), created_by is NULL.
	reset, err := s.CreateSetPasswordToken(ctx, invited.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, pool, `SELECT count(*) FROM user_tokens WHERE token_hash = $1 AND created_by IS NULL`, HashToken(reset)); n != 1 {
		t.Error("token without creator: created_by is not NULL")
	}
}

func TestSetPasswordTokenExpired(t *testing.T) {
	t.Parallel()
	s, pool := newTestStore(t)
	ctx := context.Background()
	u := mustCreate(t, s, NewUser{Email: "late@example.nl", Name: "Late", Role: RoleStaff})
	tok, err := s.CreateSetPasswordToken(ctx, u.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE user_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1`, HashToken(tok)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SetPasswordTokenUser(ctx, tok); !errors.Is(err, ErrTokenInvalid) {
		t.Errorf("SetPasswordTokenUser(expired) = %v, want ErrTokenInvalid", err)
	}
	if _, _, err := s.UseSetPasswordToken(ctx, tok, testHash()); !errors.Is(err, ErrTokenInvalid) {
		t.Errorf("UseSetPasswordToken(expired) = %v, want ErrTokenInvalid", err)
	}
	if got, _ := s.UserByID(ctx, u.ID); got.HasPassword() {
		t.Error("expired token set a password")
	}
}

func TestNewSetPasswordTokenReplacesEarlier(t *testing.T) {
	t.Parallel()
	s, _ := newTestStore(t)
	ctx := context.Background()
	u := mustCreate(t, s, NewUser{Email: "twice@example.nl", Name: "Twice", Role: RoleStaff})
	other := mustCreate(t, s, NewUser{Email: "bystander@example.nl", Name: "Bystander", Role: RoleStaff})
	otherTok, err := s.CreateSetPasswordToken(ctx, other.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	first, err := s.CreateSetPasswordToken(ctx, u.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	second, err := s.CreateSetPasswordToken(ctx, u.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if first == second {
		t.Fatal("two tokens are equal")
	}
	if _, _, err := s.SetPasswordTokenUser(ctx, first); !errors.Is(err, ErrTokenInvalid) {
		t.Errorf("earlier token after a new one = %v, want ErrTokenInvalid", err)
	}
	if _, _, err := s.UseSetPasswordToken(ctx, first, testHash()); !errors.Is(err, ErrTokenInvalid) {
		t.Errorf("using the earlier token = %v, want ErrTokenInvalid", err)
	}
	// Other users' links are untouched.
	if got, _, err := s.SetPasswordTokenUser(ctx, otherTok); err != nil || got.ID != other.ID {
		t.Errorf("another user's token = %v, want valid", err)
	}
	if got, _, err := s.UseSetPasswordToken(ctx, second, testHash()); err != nil || got.ID != u.ID || !got.HasPassword() {
		t.Errorf("latest token = %+v, %v; want it to work", got, err)
	}
}

func TestSetPasswordTokenDeactivatedUser(t *testing.T) {
	t.Parallel()
	s, _ := newTestStore(t)
	ctx := context.Background()
	u := mustCreate(t, s, NewUser{Email: "left@example.nl", Name: "Left", Role: RoleStaff})
	tok, err := s.CreateSetPasswordToken(ctx, u.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetActive(ctx, User{}, u, false); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SetPasswordTokenUser(ctx, tok); !errors.Is(err, ErrTokenInvalid) {
		t.Errorf("token of a deactivated user = %v, want ErrTokenInvalid", err)
	}
	if _, _, err := s.UseSetPasswordToken(ctx, tok, testHash()); !errors.Is(err, ErrTokenInvalid) {
		t.Errorf("using the token of a deactivated user = %v, want ErrTokenInvalid", err)
	}
}

func TestUpdateUserActiveLanguage(t *testing.T) {
	t.Parallel()
	s, pool := newTestStore(t)
	ctx := context.Background()
	us := units.NewStore(pool)
	a := mustUnit(t, us, nil, "Locatie A")
	b := mustUnit(t, us, nil, "Locatie B")
	u := mustCreate(t, s, NewUser{Email: "dirk@example.nl", Name: "Dirk", Role: RoleStaff, UnitIDs: []int64{a.ID}})
	bystander := mustCreate(t, s, NewUser{Email: "eva@example.nl", Name: "Eva", Role: RoleCoordinator, UnitIDs: []int64{a.ID}})

	steps := []struct {
		name     string
		role     string
		units    []int64
		wantName string
		want     []int64
	}{
		{" Dirk Jansen ", RoleCoordinator, []int64{b.ID, a.ID}, "Dirk Jansen", []int64{a.ID, b.ID}},
		{"Dirk J.", RoleCoordinator, []int64{b.ID}, "Dirk J.", []int64{b.ID}},
		{"Dirk J.", RoleAdmin, []int64{b.ID}, "Dirk J.", []int64{b.ID}},
		{"Dirk J.", RoleStaff, nil, "Dirk J.", []int64{}},
	}
	for _, st := range steps {
		before, err := s.UserByID(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Update(ctx, User{}, before, Change{Email: before.Email, Name: st.name, Role: st.role, UnitIDs: st.units}); err != nil {
			t.Fatalf("Update(%q, %s, %v): %v", st.name, st.role, st.units, err)
		}
		got, err := s.UserByID(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != st.wantName {
			t.Errorf("Name = %q, want %q", got.Name, st.wantName)
		}
		if got.Role != st.role || !slices.Equal(got.UnitIDs, st.want) {
			t.Errorf("after Update(%s, %v): role %s, units %v; want units %v", st.role, st.units, got.Role, got.UnitIDs, st.want)
		}
	}
	if got, _ := s.UserByID(ctx, bystander.ID); !slices.Equal(got.UnitIDs, []int64{a.ID}) {
		t.Errorf("another user's units changed: %v", got.UnitIDs)
	}
	if err := s.Update(ctx, User{}, User{ID: u.ID + 1000}, Change{Name: "Nobody", Role: RoleStaff}); !errors.Is(err, ErrNotFound) {
		t.Errorf("Update(unknown) = %v, want ErrNotFound", err)
	}
	cur, _ := s.UserByID(ctx, u.ID)
	if err := s.Update(ctx, User{}, cur, Change{Email: cur.Email, Name: "Dirk", Role: "superuser"}); err == nil || errors.Is(err, ErrNotFound) {
		t.Errorf("Update with an unknown role = %v, want a database error", err)
	}

	// SetActive.
	if changed, err := s.SetActive(ctx, User{}, cur, false); err != nil || !changed {
		t.Fatal(changed, err)
	}
	off, _ := s.UserByID(ctx, u.ID)
	if off.DeactivatedAt == nil || off.Active() || off.SessionEpoch != cur.SessionEpoch+1 {
		t.Fatalf("after SetActive(false): DeactivatedAt %v, epoch %d", off.DeactivatedAt, off.SessionEpoch)
	}
	// Deactivating twice (a stale page) keeps the first moment.
	if _, err := s.SetActive(ctx, User{}, cur, false); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.UserByID(ctx, u.ID); again.DeactivatedAt == nil || !again.DeactivatedAt.Equal(*off.DeactivatedAt) {
		t.Errorf("deactivating twice moved DeactivatedAt from %v to %v", off.DeactivatedAt, again.DeactivatedAt)
	}
	if _, err := s.SetActive(ctx, User{}, off, true); err != nil {
		t.Fatal(err)
	}
	if on, _ := s.UserByID(ctx, u.ID); on.DeactivatedAt != nil || !on.Active() {
		t.Errorf("after SetActive(true): DeactivatedAt %v", on.DeactivatedAt)
	}
	if eva, _ := s.UserByID(ctx, bystander.ID); !eva.Active() {
		t.Error("SetActive touched another user")
	}
	gone := User{ID: u.ID + 1000}
	if _, err := s.SetActive(ctx, User{}, gone, false); !errors.Is(err, ErrNotFound) {
		t.Errorf("SetActive(unknown, false) = %v, want ErrNotFound", err)
	}
	gone.DeactivatedAt = off.DeactivatedAt
	if _, err := s.SetActive(ctx, User{}, gone, true); !errors.Is(err, ErrNotFound) {
		t.Errorf("SetActive(unknown, true) = %v, want ErrNotFound", err)
	}
	if _, err := s.SetActive(ctx, cur, cur, false); !errors.Is(err, ErrSelf) {
		t.Errorf("deactivating oneself = %v, want ErrSelf", err)
	}

	// SetLanguage.
	if err := s.SetLanguage(ctx, u.ID, "en"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.UserByID(ctx, u.ID); got.Language != "en" {
		t.Errorf("Language = %q, want en", got.Language)
	}
	if got, _ := s.UserByID(ctx, bystander.ID); got.Language != "nl" {
		t.Errorf("SetLanguage changed another user: %q", got.Language)
	}
	if err := s.SetLanguage(ctx, u.ID, "fr"); err == nil {
		t.Error("SetLanguage(fr) succeeded; the schema allows only nl and en")
	}
}

// TestLastAdmin: the last active administrator who can log in is not
// demoted nor deactivated; an invited administrator without a password
// and a deactivated one do not count.
func TestLastAdmin(t *testing.T) {
	t.Parallel()
	s, _ := newTestStore(t)
	ctx := context.Background()
	reload := func(u User) User {
		t.Helper()
		got, err := s.UserByID(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	demote := func(u User) error {
		u = reload(u)
		return s.Update(ctx, User{}, u, Change{Email: u.Email, Name: u.Name, Role: RoleStaff})
	}
	admin := mustCreate(t, s, NewUser{Email: "admin@example.nl", Name: "Admin", Role: RoleAdmin, PasswordHash: hashPtr()})
	invited := mustCreate(t, s, NewUser{Email: "invited-admin@example.nl", Name: "Invited", Role: RoleAdmin})
	gone := mustCreate(t, s, NewUser{Email: "gone-admin@example.nl", Name: "Gone", Role: RoleAdmin, PasswordHash: hashPtr()})
	if _, err := s.SetActive(ctx, User{}, gone, false); err != nil {
		t.Fatal(err)
	}
	if err := demote(admin); !errors.Is(err, ErrLastAdmin) {
		t.Fatalf("demoting the only usable admin = %v, want ErrLastAdmin", err)
	}
	if _, err := s.SetActive(ctx, User{}, reload(admin), false); !errors.Is(err, ErrLastAdmin) {
		t.Fatalf("deactivating the only usable admin = %v, want ErrLastAdmin", err)
	}
	// Renaming the last admin is fine.
	if a := reload(admin); s.Update(ctx, User{}, a, Change{Email: a.Email, Name: "Beheer", Role: RoleAdmin}) != nil {
		t.Fatal("renaming the last admin was refused")
	}
	// Once the invited admin has a password, either may go, not both.
	if err := s.SetPasswordHash(ctx, invited.ID, testHash()); err != nil {
		t.Fatal(err)
	}
	if err := demote(invited); err != nil {
		t.Fatalf("demoting one of two admins: %v", err)
	}
	if err := demote(admin); !errors.Is(err, ErrLastAdmin) {
		t.Fatalf("demoting the last after the other = %v, want ErrLastAdmin", err)
	}
	if a := reload(admin); a.Role != RoleAdmin || !a.Active() {
		t.Fatalf("the last admin changed: %+v", a)
	}
}

// TestLastAdminRace: two administrators who demote or deactivate each
// other at the same moment leave one of them an administrator.
func TestLastAdminRace(t *testing.T) {
	t.Parallel()
	s, _ := newTestStore(t)
	ctx := context.Background()
	for round := range 20 {
		a := mustCreate(t, s, NewUser{Email: fmt.Sprintf("a%d@example.nl", round), Name: "A", Role: RoleAdmin, PasswordHash: hashPtr()})
		b := mustCreate(t, s, NewUser{Email: fmt.Sprintf("b%d@example.nl", round), Name: "B", Role: RoleAdmin, PasswordHash: hashPtr()})
		errs := make(chan error, 2)
		go func() { errs <- s.Update(ctx, a, b, Change{Email: b.Email, Name: b.Name, Role: RoleStaff}) }()
		go func() { _, err := s.SetActive(ctx, b, a, false); errs <- err }()
		var refused int
		for range 2 {
			switch err := <-errs; {
			case errors.Is(err, ErrLastAdmin):
				refused++
			case err != nil:
				t.Fatal(err)
			}
		}
		if refused != 1 {
			t.Fatalf("round %d: %d of two changes refused, want one", round, refused)
		}
		// Leave no usable admin of this round for the next.
		for _, u := range []User{a, b} {
			if _, err := s.pool.Exec(ctx, `UPDATE users SET role = 'staff' WHERE id = $1`, u.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestUserScope(t *testing.T) {
	t.Parallel()
	s, pool := newTestStore(t)
	us := units.NewStore(pool)
	school := mustUnit(t, us, nil, "School")
	prog := mustUnit(t, us, &school.ID, "Opleiding")
	other := mustUnit(t, us, nil, "Ander")

	coord := mustCreate(t, s, NewUser{Email: "coord@example.nl", Name: "Coord", Role: RoleCoordinator, UnitIDs: []int64{school.ID}})
	lonely := mustCreate(t, s, NewUser{Email: "lonely@example.nl", Name: "Lonely", Role: RoleCoordinator})
	// Units of staff and admins are kept but do not limit them.
	staff := mustCreate(t, s, NewUser{Email: "staff@example.nl", Name: "Staff", Role: RoleStaff, UnitIDs: []int64{school.ID}})
	admin := mustCreate(t, s, NewUser{Email: "admin@example.nl", Name: "Admin", Role: RoleAdmin, UnitIDs: []int64{other.ID}})

	tests := []struct {
		user User
		all  bool
		in   []units.Unit
		out  []units.Unit
	}{
		{coord, false, []units.Unit{school, prog}, []units.Unit{other}},
		{lonely, false, nil, []units.Unit{school, prog, other}},
		{staff, true, []units.Unit{school, prog, other}, nil},
		{admin, true, []units.Unit{school, prog, other}, nil},
	}
	for _, tt := range tests {
		sc := tt.user.Scope()
		if sc.All != tt.all {
			t.Errorf("%s: Scope().All = %v, want %v", tt.user.Email, sc.All, tt.all)
		}
		if !tt.all && !slices.Equal(sc.Roots, tt.user.UnitIDs) {
			t.Errorf("%s: Scope().Roots = %v, want %v", tt.user.Email, sc.Roots, tt.user.UnitIDs)
		}
		for _, u := range tt.in {
			if !sc.Includes(u) {
				t.Errorf("%s: scope excludes %s", tt.user.Email, u.Name)
			}
		}
		for _, u := range tt.out {
			if sc.Includes(u) {
				t.Errorf("%s: scope includes %s", tt.user.Email, u.Name)
			}
		}
	}
}

// TestHRPermission: given and taken with the account, never kept by a
// coordinator (the form, the store and the database each refuse it).
func TestHRPermission(t *testing.T) {
	t.Parallel()
	s, pool := newTestStore(t)
	ctx := context.Background()
	u := mustCreate(t, s, NewUser{Email: "hr@example.nl", Name: "Hanna", Role: RoleStaff, HR: true})
	c := mustCreate(t, s, NewUser{Email: "coord@example.nl", Name: "Coen", Role: RoleCoordinator, HR: true})
	if !u.HR || c.HR {
		t.Fatalf("created: staff HR %v, coordinator HR %v", u.HR, c.HR)
	}
	if err := s.Update(ctx, User{}, u, Change{Email: u.Email, Name: u.Name, Role: RoleCoordinator, HR: true}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.UserByID(ctx, u.ID); got.HR {
		t.Fatal("a coordinator kept the HR permission")
	}
	if _, err := pool.Exec(ctx, `UPDATE users SET hr = true WHERE id = $1`, c.ID); err == nil {
		t.Fatal("the database let a coordinator have the HR permission")
	}
}
