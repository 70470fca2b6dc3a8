package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"alumnet/internal/audit"
	"alumnet/internal/auth"
	"alumnet/internal/db"
	"alumnet/internal/people"
)

// userCreateFlags makes a staff account from the command line and prints
// a one-time link with which the user sets a password:
//
//	alumnet user create -email a@b.nl -name "Ann de Vries" -role staff
func userCreateFlags(fs *flag.FlagSet) action {
	email := fs.String("email", "", "`EMAIL` address to log in with")
	name := fs.String("name", "", "`NAME` in full (Ann de Vries)")
	role := fs.String("role", auth.RoleStaff, "`ROLE`: admin, staff or coordinator")
	lang := fs.String("lang", "nl", "interface language `LANG`: nl or en")
	return func(ctx context.Context, e env) error {
		switch {
		case !people.ValidEmail(auth.NormalizeEmail(*email)):
			return errors.New("-email: a valid e-mail address is required")
		case *name == "":
			return errors.New("-name is required")
		case !slices.Contains(auth.Roles, *role):
			return errors.New("-role must be admin, staff or coordinator")
		case *lang != "nl" && *lang != "en":
			return errors.New("-lang must be nl or en")
		}
		d, err := openDatabase(ctx, e.cfg, e.log)
		if err != nil {
			return err
		}
		defer d.Close()
		users := auth.NewStore(d.Pool, auth.Options{})
		u, err := users.CreateUser(ctx, auth.NewUser{Email: *email, Name: *name, Role: *role, Language: *lang})
		if err != nil {
			return err
		}
		token, err := users.CreateSetPasswordToken(ctx, u.ID, 0)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "User %s created. They set a password at (valid %s, once):\n%s/set-password/%s\n",
			u.Email, auth.SetPasswordTTL, e.cfg.BaseURL, token)
		return nil
	}
}

// userResetFlags prints a new one-time set-password link for an active
// account, for when nobody can log in any more (the only administrator
// forgot the password). Earlier links of the account stop working; the
// current password works until the link is used.
//
//	alumnet user reset-password -email a@b.nl
func userResetFlags(fs *flag.FlagSet) action {
	email := fs.String("email", "", "`EMAIL` address of the account")
	return func(ctx context.Context, e env) error {
		addr := auth.NormalizeEmail(*email)
		if !people.ValidEmail(addr) {
			return errors.New("-email: a valid e-mail address is required")
		}
		d, err := openDatabase(ctx, e.cfg, e.log)
		if err != nil {
			return err
		}
		defer d.Close()
		u, err := auth.NewStore(d.Pool, auth.Options{}).UserByEmail(ctx, addr)
		if errors.Is(err, auth.ErrNotFound) {
			return fmt.Errorf("there is no account with e-mail address %s (alumnet user create makes one)", addr)
		}
		if err != nil {
			return err
		}
		if !u.Active() {
			return fmt.Errorf("the account %s is deactivated; an administrator reactivates it under Beheer › Gebruikers (Admin › Users)", u.Email)
		}
		var token string
		err = db.InTx(ctx, d.Pool, func(tx pgx.Tx) error {
			if token, err = auth.CreateResetTokenTx(ctx, tx, u.ID, 0); err != nil {
				return err
			}
			return audit.Write(ctx, tx, audit.Record{Action: "user.reset_password", Entity: "user", EntityID: u.ID,
				Details: map[string]any{"email": u.Email, "via": "command line"}})
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "A new password for %s is set at (valid %s, once; earlier links no longer work; setting it lifts a login lock):\n%s/set-password/%s\n",
			u.Email, auth.ResetPasswordTTL, e.cfg.BaseURL, token)
		return nil
	}
}
