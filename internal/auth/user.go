package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"alumnet/internal/db"
	"alumnet/internal/units"
)

// Roles.
const (
	RoleAdmin       = "admin"
	RoleStaff       = "staff"
	RoleCoordinator = "coordinator"
)

// Roles lists the roles in display order.
var Roles = []string{RoleAdmin, RoleStaff, RoleCoordinator}

// ErrNotFound means there is no such user.
var ErrNotFound = errors.New("auth: user not found")

// ErrEmailTaken means another user has this e-mail address.
var ErrEmailTaken = errors.New("auth: e-mail address already in use")

// User is a staff account.
type User struct {
	ID            int64      `db:"id"`
	Email         string     `db:"email"`
	Name          string     `db:"name"`
	Role          string     `db:"role"`
	PasswordHash  *string    `db:"password_hash"`
	Language      string     `db:"language"`
	DeactivatedAt *time.Time `db:"deactivated_at"`
	LastLoginAt   *time.Time `db:"last_login_at"`
	CreatedAt     time.Time  `db:"created_at"`
	UnitIDs       []int64    `db:"unit_ids"`
	// SessionEpoch is the generation of the user's sessions: a session
	// counts only while it carries the current one (see EndSessions).
	SessionEpoch int `db:"session_epoch"`
	// EmailProvedAt is when a link sent to the address was used.
	EmailProvedAt *time.Time `db:"email_proved_at"`
	// HR is the permission to see and record what is HR's only (rehire
	// eligibility in an exit interview); never a coordinator's.
	HR bool `db:"hr"`
}

// Active reports whether the user may log in.
func (u User) Active() bool { return u.DeactivatedAt == nil }

// HasPassword reports whether the user has set a password (accepted the invitation).
func (u User) HasPassword() bool { return u.PasswordHash != nil }

// Scope is the part of the registry this user may see.
func (u User) Scope() units.Scope {
	if u.Role == RoleCoordinator {
		return units.Within(u.UnitIDs)
	}
	return units.Everyone()
}

// Store reads and changes staff accounts.
type Store struct {
	pool   *pgxpool.Pool
	opts   Options
	hasher *Hasher
	// dummyHash is checked when an address is unknown, so that an unknown
	// address takes as long to refuse as a wrong password.
	dummyHash string
}

// NewStore returns a Store on pool that computes at most a few password
// hashes at once (NewHasher).
func NewStore(pool *pgxpool.Pool, opts Options) *Store {
	h, err := HashPassword("not a real password, only for timing")
	if err != nil {
		panic(err) // crypto/rand failing is not recoverable
	}
	return &Store{pool: pool, opts: opts, hasher: NewHasher(0), dummyHash: h}
}

// Hash computes a password hash in turn with the store's logins.
func (s *Store) Hash(ctx context.Context, password string) (string, error) {
	return s.hasher.Hash(ctx, password)
}

const userColumns = `u.id, u.email, u.name, u.role, u.password_hash, u.language, u.deactivated_at,
	u.last_login_at, u.created_at, u.session_epoch, u.email_proved_at, u.hr,
	coalesce((SELECT array_agg(uu.unit_id ORDER BY uu.unit_id) FROM user_units uu WHERE uu.user_id = u.id), '{}') AS unit_ids`

// NormalizeEmail trims and lower-cases an address.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

func (s *Store) one(ctx context.Context, where string, arg any) (User, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+userColumns+` FROM users u WHERE `+where, arg)
	if err != nil {
		return User{}, err
	}
	u, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[User])
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, ErrNotFound
	}
	return u, err
}

// UserByID returns a user.
func (s *Store) UserByID(ctx context.Context, id int64) (User, error) {
	u, err := s.one(ctx, `u.id = $1`, id)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return User{}, fmt.Errorf("auth: user %d: %w", id, err)
	}
	return u, err
}

// UserByEmail returns the user with this address (any case).
func (s *Store) UserByEmail(ctx context.Context, email string) (User, error) {
	u, err := s.one(ctx, `u.email = $1`, NormalizeEmail(email))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return User{}, fmt.Errorf("auth: user by email: %w", err)
	}
	return u, err
}

// Users returns every user, active ones first, by name.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+userColumns+` FROM users u
		ORDER BY u.deactivated_at IS NOT NULL, lower(u.name), u.id`)
	if err != nil {
		return nil, fmt.Errorf("auth: users: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[User])
}

// CountUsers returns how many users exist.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("auth: count users: %w", err)
	}
	return n, nil
}

// NewUser is what it takes to create an account.
type NewUser struct {
	Email        string
	Name         string
	Role         string
	Language     string
	UnitIDs      []int64
	PasswordHash *string // nil: the user sets it through an invitation link
	// HR gives the HR permission (ignored for a coordinator).
	HR bool
}

// CreateUser adds an account.
func (s *Store) CreateUser(ctx context.Context, nu NewUser) (User, error) {
	var id int64
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		id, err = CreateUserTx(ctx, tx, nu)
		return err
	})
	if err != nil {
		return User{}, err
	}
	return s.UserByID(ctx, id)
}

// CreateUserTx adds an account inside tx, so that what goes with it (the
// invitation mail) is committed together, and returns its id.
func CreateUserTx(ctx context.Context, tx pgx.Tx, nu NewUser) (int64, error) {
	lang := nu.Language
	if lang == "" {
		lang = "nl"
	}
	var id int64
	// A savepoint, so that a taken address leaves tx usable.
	err := pgx.BeginFunc(ctx, tx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `
			INSERT INTO users (email, name, role, language, password_hash, hr)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			NormalizeEmail(nu.Email), strings.TrimSpace(nu.Name), nu.Role, lang, nu.PasswordHash, nu.HR && nu.Role != RoleCoordinator).Scan(&id); err != nil {
			return err
		}
		return setUnits(ctx, tx, id, nu.UnitIDs)
	})
	if db.IsUniqueViolation(err, "users_email_idx") {
		return 0, ErrEmailTaken
	}
	if err != nil {
		return 0, fmt.Errorf("auth: create user: %w", err)
	}
	return id, nil
}

func setUnits(ctx context.Context, tx pgx.Tx, userID int64, unitIDs []int64) error {
	if _, err := tx.Exec(ctx, `DELETE FROM user_units WHERE user_id = $1`, userID); err != nil {
		return err
	}
	if len(unitIDs) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO user_units (user_id, unit_id)
		SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING`, userID, unitIDs)
	return err
}

// SetLanguage stores the user's interface language.
func (s *Store) SetLanguage(ctx context.Context, id int64, lang string) error {
	if _, err := s.pool.Exec(ctx, `UPDATE users SET language = $2 WHERE id = $1`, id, lang); err != nil {
		return fmt.Errorf("auth: set language %d: %w", id, err)
	}
	return nil
}

// SetPasswordHash stores a new password hash.
func (s *Store) SetPasswordHash(ctx context.Context, id int64, hash string) error {
	if _, err := s.pool.Exec(ctx, `UPDATE users SET password_hash = $2 WHERE id = $1`, id, hash); err != nil {
		return fmt.Errorf("auth: set password %d: %w", id, err)
	}
	return nil
}
