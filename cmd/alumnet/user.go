package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"

	"alumnet/internal/auth"
	"alumnet/internal/config"
	"alumnet/internal/people"
)

// userCmd manages staff accounts from the command line:
//
//	alumnet user create -email a@b.nl -name "Ann de Vries" -role staff
//
// prints a one-time link with which the user sets a password.
func userCmd(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New("usage: alumnet user create -email EMAIL -name NAME -role admin|staff|coordinator")
	}
	fs := flag.NewFlagSet("user create", flag.ContinueOnError)
	email := fs.String("email", "", "e-mail address (login)")
	name := fs.String("name", "", "full name")
	role := fs.String("role", auth.RoleStaff, "admin, staff or coordinator")
	lang := fs.String("lang", "nl", "interface language nl or en")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
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
	d, err := openDatabase(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer d.Close()
	users := auth.NewStore(d.Pool)
	u, err := users.CreateUser(ctx, auth.NewUser{Email: *email, Name: *name, Role: *role, Language: *lang})
	if err != nil {
		return err
	}
	token, err := users.CreateSetPasswordToken(ctx, u.ID, 0)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "User %s created. They set a password at (valid %s, once):\n%s/set-password/%s\n",
		u.Email, auth.SetPasswordTTL, cfg.BaseURL, token)
	return nil
}
