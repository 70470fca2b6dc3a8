package offboarding

import (
	"context"
	"errors"

	"alumnet/internal/auth"
	"alumnet/internal/units"
)

// Who does what in a case: who may get its tasks, and who counts as HR.

// HR reports whether u counts as HR for offboarding: sees and records the
// exit interview's rehire eligibility and its reason. That takes the HR
// permission an administrator gives (auth.User.HR); coordinators never
// have it.
func HR(u auth.User) bool {
	return u.Active() && u.HR && u.Role != auth.RoleCoordinator
}

// Assignable reports whether u may get tasks of a case in unit: active
// staff and administrators, and coordinators of that unit. With the zero
// unit (the unit is not known yet) coordinators are listed too.
func Assignable(u auth.User, unit units.Unit) bool {
	if !u.Active() {
		return false
	}
	return u.Role != auth.RoleCoordinator || unit.ID == 0 || u.Scope().Includes(unit)
}

// Assignees lists the users that tasks of a case in unitID can go to (0:
// the unit is not chosen yet), in the users' order. keep is listed too
// (the current assignee, even when no longer assignable), so that saving
// an item's note does not unassign it.
func (s *Store) Assignees(ctx context.Context, unitID, keep int64) ([]auth.User, error) {
	users, err := s.users.Users(ctx)
	if err != nil {
		return nil, err
	}
	var unit units.Unit
	if unitID != 0 {
		if unit, err = units.ByIDTx(ctx, s.pool, unitID); err != nil {
			return nil, err
		}
	}
	var out []auth.User
	for _, u := range users {
		if u.ID == keep || Assignable(u, unit) {
			out = append(out, u)
		}
	}
	return out, nil
}

// checkAssignee refuses (ErrAssignee) a user who may not get the tasks of
// a case in unitID.
func (s *Store) checkAssignee(ctx context.Context, userID, unitID int64) error {
	u, err := s.users.UserByID(ctx, userID)
	if errors.Is(err, auth.ErrNotFound) {
		return ErrAssignee
	}
	if err != nil {
		return err
	}
	unit, err := units.ByIDTx(ctx, s.pool, unitID)
	if errors.Is(err, units.ErrNotFound) {
		return ErrAssignee
	}
	if err != nil {
		return err
	}
	if !Assignable(u, unit) {
		return ErrAssignee
	}
	return nil
}
