package auth

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"alumnet/internal/audit"
	"alumnet/internal/db"
	"alumnet/internal/mail"
)

// Options connect a Store to what managing accounts needs besides the
// database: where the links in its mails point, the job queue that sends
// them, and the session store whose rows end with an account's sessions.
// The zero value serves logins and reads (the command line, tests); the
// operations that mail return ErrNoMail without them.
type Options struct {
	BaseURL  *url.URL
	Queue    Queue
	Sessions Sessions
}

// Queue puts a rendered mail on the job queue inside tx (jobs.Jobs does).
type Queue interface {
	SendMail(ctx context.Context, tx pgx.Tx, key string, personID int64, m mail.Message) error
}

// Sessions removes the session rows of a staff user but the one with
// token keep ("" removes all) (sessions.Store does).
type Sessions interface {
	EndUserSessions(ctx context.Context, userID int64, keep string) (int64, error)
}

// Errors of account management.
var (
	// ErrNoMail means the Store was made without a queue for its mails.
	ErrNoMail = errors.New("auth: no mail queue configured")
	// ErrLastAdmin means the change would leave no active administrator.
	ErrLastAdmin = errors.New("auth: the last active administrator")
	// ErrSelf means an administrator tried to deactivate their own account.
	ErrSelf = errors.New("auth: one's own account")
	// ErrNotInvited means an invitation cannot be sent again: the account
	// has a password or is deactivated.
	ErrNotInvited = errors.New("auth: not an open invitation")
	// ErrNoReset means a reset link cannot be sent: the account has no
	// password yet or is deactivated.
	ErrNoReset = errors.New("auth: no password to reset")
)

// Invite creates a staff account without a password and mails its
// invitation. The account, its audit entry, the set-password link and the
// queued mail are committed together: no account without its invitation,
// no invitation for an account that was not made. mail.ErrInvalid means
// the mail sender refuses the address.
func (s *Store) Invite(ctx context.Context, by User, nu NewUser) (int64, error) {
	var id int64
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if id, err = CreateUserTx(ctx, tx, nu); err != nil {
			return err
		}
		if err := audit.Write(ctx, tx, audit.Record{ActorID: by.ID, Action: "user.invite", Entity: "user", EntityID: id,
			Details: map[string]any{"email": NormalizeEmail(nu.Email), "role": nu.Role, "hr": nu.HR && nu.Role != RoleCoordinator,
				"units": nonNilIDs(nu.UnitIDs)}}); err != nil {
			return err
		}
		return s.sendInvitation(ctx, tx, by, User{ID: id, Email: NormalizeEmail(nu.Email), Name: nu.Name, Language: nu.Language})
	})
	return id, err
}

// ResendInvitation mails a new set-password link to an account that has
// not chosen a password yet; earlier links stop working.
func (s *Store) ResendInvitation(ctx context.Context, by, u User) error {
	if !u.Active() || u.HasPassword() {
		return ErrNotInvited
	}
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		if err := s.sendInvitation(ctx, tx, by, u); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Record{ActorID: by.ID, Action: "user.resend_invite", Entity: "user", EntityID: u.ID,
			Details: map[string]any{"email": u.Email}})
	})
}

// Change is what an administrator changes of an account.
type Change struct {
	Email, Name, Role string
	UnitIDs           []int64
	HR                bool // ignored for a coordinator
}

// Update changes an account's address, name, role and units in one
// transaction with its audit entry. The last active administrator stays
// one (ErrLastAdmin), decided under a lock on the administrators' rows, so
// that two administrators demoting each other at the same moment cannot
// both succeed. A new address gets the old one, when it was proved, a
// notice with a link that undoes the change (an account could be taken
// over unnoticed otherwise). Units only matter for coordinators; they are
// kept for others, so that a role change back restores them.
func (s *Store) Update(ctx context.Context, by, u User, ch Change) error {
	ch.Email, ch.Name = NormalizeEmail(ch.Email), strings.TrimSpace(ch.Name)
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		if ch.Role != RoleAdmin {
			if err := keepAnAdmin(ctx, tx, u.ID); err != nil {
				return err
			}
		}
		changes := map[string]any{}
		if ch.Email != u.Email {
			old, undos, err := ChangeEmailTx(ctx, tx, u.ID, ch.Email, by.ID)
			if err != nil {
				return err
			}
			if old != "" {
				changes["email"] = change(old, ch.Email)
			}
			for _, undo := range undos {
				if err := s.sendEmailUndo(ctx, tx, by, u, ch.Email, undo); err != nil {
					return err
				}
			}
		}
		ch.HR = ch.HR && ch.Role != RoleCoordinator
		tag, err := tx.Exec(ctx, `UPDATE users SET name = $2, role = $3, hr = $4 WHERE id = $1`, u.ID, ch.Name, ch.Role, ch.HR)
		if err != nil {
			return fmt.Errorf("auth: update user %d: %w", u.ID, err)
		}
		if tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		if err := setUnits(ctx, tx, u.ID, ch.UnitIDs); err != nil {
			return fmt.Errorf("auth: update user %d: %w", u.ID, err)
		}
		if u.Name != ch.Name {
			changes["name"] = change(u.Name, ch.Name)
		}
		if u.Role != ch.Role {
			changes["role"] = change(u.Role, ch.Role)
		}
		if u.HR != ch.HR {
			changes["hr"] = change(u.HR, ch.HR)
		}
		if !slices.Equal(u.UnitIDs, ch.UnitIDs) {
			changes["units"] = change(nonNilIDs(u.UnitIDs), nonNilIDs(ch.UnitIDs))
		}
		if len(changes) == 0 {
			return nil
		}
		return audit.Write(ctx, tx, audit.Record{ActorID: by.ID, Action: "user.update", Entity: "user", EntityID: u.ID,
			Details: map[string]any{"changes": changes}})
	})
}

// keepAnAdmin refuses (ErrLastAdmin) when userID is the only active
// administrator with a password. It locks the rows of the active
// administrators until tx ends: a concurrent change of another
// administrator waits, and then sees this one's outcome.
func keepAnAdmin(ctx context.Context, tx pgx.Tx, userID int64) error {
	rows, err := tx.Query(ctx, `SELECT id FROM users
		WHERE role = 'admin' AND deactivated_at IS NULL AND password_hash IS NOT NULL ORDER BY id FOR UPDATE`)
	if err != nil {
		return fmt.Errorf("auth: administrators: %w", err)
	}
	admins, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return fmt.Errorf("auth: administrators: %w", err)
	}
	if len(admins) == 1 && admins[0] == userID {
		return ErrLastAdmin
	}
	return nil
}

// SetActive deactivates or reactivates an account, with its audit entry.
// An administrator cannot deactivate their own account (ErrSelf) nor the
// last active administrator (ErrLastAdmin). A deactivated account's
// sessions end for good: a reactivation does not bring them back. It
// reports whether anything changed (not for a double click).
func (s *Store) SetActive(ctx context.Context, by, u User, active bool) (bool, error) {
	if u.Active() == active {
		return false, nil
	}
	if !active && u.ID == by.ID {
		return false, ErrSelf
	}
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		sql, action := `UPDATE users SET deactivated_at = NULL WHERE id = $1`, "user.reactivate"
		if !active {
			if err := keepAnAdmin(ctx, tx, u.ID); err != nil {
				return err
			}
			// A new session epoch: every session of the account ends.
			sql, action = `UPDATE users SET deactivated_at = coalesce(deactivated_at, now()), session_epoch = session_epoch + 1 WHERE id = $1`, "user.deactivate"
		}
		tag, err := tx.Exec(ctx, sql, u.ID)
		if err != nil {
			return fmt.Errorf("auth: set active %d: %w", u.ID, err)
		}
		if tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		return audit.Write(ctx, tx, audit.Record{ActorID: by.ID, Action: action, Entity: "user", EntityID: u.ID,
			Details: map[string]any{"email": u.Email}})
	})
	if err != nil {
		return false, err
	}
	if !active {
		if err := s.removeSessions(ctx, u.ID, ""); err != nil {
			return true, err
		}
	}
	return true, nil
}

// SendReset is an administrator's "send a reset link" for an account that
// has a password.
func (s *Store) SendReset(ctx context.Context, by, u User) error {
	if !u.Active() || !u.HasPassword() {
		return ErrNoReset
	}
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		if err := s.sendReset(ctx, tx, u, by.ID, nil); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Record{ActorID: by.ID, Action: "user.reset_link", Entity: "user", EntityID: u.ID})
	})
}

// ResetRequest is a "forgot password" as the job that answers it gets it:
// the address, and when and from where it was asked, for the mail.
type ResetRequest struct {
	Email string    `json:"email"`
	At    time.Time `json:"at"`
	From  string    `json:"from"`
}

// MailReset answers a "forgot password": a reset link to the active
// account with the address, if there is one; nothing otherwise. It runs
// as a job, so that the page answers the same, as fast, either way.
func (s *Store) MailReset(ctx context.Context, req ResetRequest) error {
	u, err := s.UserByEmail(ctx, req.Email)
	if errors.Is(err, ErrNotFound) || err == nil && !u.Active() {
		return nil
	}
	if err != nil {
		return err
	}
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error { return s.sendReset(ctx, tx, u, 0, &req) })
}

// SetPassword sets the password through an invitation or reset link (the
// link works once), ends every session of the account (whoever was
// logged in with the old password is not any more) and writes the audit
// entry. It returns the user and whether it was a reset.
func (s *Store) SetPassword(ctx context.Context, token, hash string) (User, bool, error) {
	u, purpose, err := s.UseSetPasswordToken(ctx, token, hash)
	if err != nil {
		return User{}, false, err
	}
	if _, err := s.EndSessions(ctx, u.ID, ""); err != nil {
		return User{}, false, err
	}
	reset, action := purpose == PurposeResetPassword, "user.password_set"
	if reset {
		action = "user.password_reset"
	}
	return u, reset, s.audit(ctx, audit.Record{ActorID: u.ID, Action: action, Entity: "user", EntityID: u.ID})
}

// ChangeOwnPassword stores a signed-in user's new password (they gave the
// current one: CheckCurrentPassword). Their other sessions end; the one
// with token keep goes on in the new epoch, which it returns.
func (s *Store) ChangeOwnPassword(ctx context.Context, u User, hash, keep string) (int, error) {
	if err := s.ChangePassword(ctx, u.ID, hash); err != nil {
		return 0, err
	}
	epoch, err := s.EndSessions(ctx, u.ID, keep)
	if err != nil {
		return 0, err
	}
	return epoch, s.audit(ctx, audit.Record{ActorID: u.ID, Action: "user.password_change", Entity: "user", EntityID: u.ID})
}

// UndoEmailChange uses an undo link (RevertEmail): the old address is
// back, every session of the account ends (whoever changed it is logged
// out), and the audit log has it.
func (s *Store) UndoEmailChange(ctx context.Context, token string) (User, error) {
	u, err := s.RevertEmail(ctx, token)
	if err != nil {
		return User{}, err
	}
	if _, err := s.EndSessions(ctx, u.ID, ""); err != nil {
		return User{}, err
	}
	return u, s.audit(ctx, audit.Record{ActorID: u.ID, Action: "user.email_revert", Entity: "user", EntityID: u.ID})
}

// EndSessions ends the user's sessions but the one with token keep (""
// ends all): they move to a new epoch (returned), so that no request
// still running can write an old one back to life, and the rows go.
func (s *Store) EndSessions(ctx context.Context, userID int64, keep string) (int, error) {
	var epoch int
	err := s.pool.QueryRow(ctx, `UPDATE users SET session_epoch = session_epoch + 1 WHERE id = $1 RETURNING session_epoch`, userID).Scan(&epoch)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("auth: end sessions of %d: %w", userID, err)
	}
	return epoch, s.removeSessions(ctx, userID, keep)
}

func (s *Store) removeSessions(ctx context.Context, userID int64, keep string) error {
	if s.opts.Sessions == nil {
		return nil // no session store: the epoch alone ends them
	}
	_, err := s.opts.Sessions.EndUserSessions(ctx, userID, keep)
	return err
}

func (s *Store) audit(ctx context.Context, r audit.Record) error {
	return audit.Write(ctx, s.pool, r)
}

func change(old, new any) map[string]any { return map[string]any{"old": old, "new": new} }

func nonNilIDs(ids []int64) []int64 {
	if ids == nil {
		return []int64{}
	}
	return ids
}
