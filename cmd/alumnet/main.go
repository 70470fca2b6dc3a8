// Command alumnet is the Alumnet server and its admin tools.
//
//	alumnet [serve]                    run the web app (default)
//	alumnet migrate                    bring the database schema up to date
//	alumnet demo [-people N]           fill an empty database with demo data
//	alumnet user create ...            create a staff account and print its set-password link
//	alumnet user reset-password ...    print a new set-password link for an account
//	alumnet help                       every command, its flags and the environment
//
// Configuration comes from the environment; see README.md or `alumnet help`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	_ "time/tzdata" // displayed times are in Europe/Amsterdam on any host

	"alumnet/internal/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "alumnet:", err)
		os.Exit(1)
	}
}

// env is what a command gets once its flags are parsed.
type env struct {
	cfg    config.Config
	log    *slog.Logger
	stdout io.Writer
}

// action runs a command.
type action func(ctx context.Context, e env) error

// command is one of alumnet's commands.
type command struct {
	name    string // as typed: "serve", "user create"
	summary string
	// flags defines the command's flags on fs and returns what runs the
	// command once they are parsed.
	flags func(fs *flag.FlagSet) action
}

// commands lists every command in the order the help shows them.
func commands() []command {
	return []command{
		{"serve", "run the web app and the job workers (the default command)", serveFlags},
		{"migrate", "bring the database schema up to date (serve does it too, under an advisory lock)", migrateFlags},
		{"demo", "fill an empty registry with generated demo people", demoFlags},
		{"user create", "create a staff account and print a one-time link to set its password", userCreateFlags},
		{"user reset-password", "print a new one-time set-password link for an active account (earlier links stop working)", userResetFlags},
		{"help", "print this help (also: -h after any command)", func(*flag.FlagSet) action { return nil }},
	}
}

// run parses the command line, and only then reads the configuration: the
// help works whatever the environment, and never runs a command.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	name := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if name == "user" {
		if len(args) == 0 || strings.HasPrefix(args[0], "-") {
			if wantsHelp(args) {
				return printHelp(stdout)
			}
			return errors.New("usage: alumnet user create|reset-password [flags] (alumnet help lists them)")
		}
		name, args = "user "+args[0], args[1:]
	}
	if name == "help" {
		return printHelp(stdout)
	}
	i := slices.IndexFunc(commands(), func(c command) bool { return c.name == name })
	if i < 0 {
		return fmt.Errorf("unknown command %q (alumnet help lists the commands)", name)
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	act := commands()[i].flags(fs)
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return printHelp(stdout)
	} else if err != nil {
		return fmt.Errorf("%s: %v (alumnet %s -h lists its flags)", name, err, name)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q (alumnet %s -h lists its flags)", name, fs.Arg(0), name)
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	return act(ctx, env{cfg: cfg, log: newLogger(cfg, stdout), stdout: stdout})
}

// wantsHelp reports whether args ask for help the way the flag package
// understands it.
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "-h", "-help", "--help", "--h":
			return true
		case "--":
			return false
		}
	}
	return false
}

// printHelp writes every command with its flags, and every environment
// variable.
func printHelp(w io.Writer) error {
	var b strings.Builder
	b.WriteString("Alumnet keeps an organisation's relationship with the people who left it.\n\n")
	b.WriteString("Usage: alumnet [command] [flags]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-22s %s\n", c.name, c.summary)
		fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
		c.flags(fs)
		fs.VisitAll(func(f *flag.Flag) {
			arg, usage := flag.UnquoteUsage(f)
			spec := "-" + f.Name
			if arg != "" {
				spec += " " + arg
			}
			if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
				usage += " (default " + f.DefValue + ")"
			}
			fmt.Fprintf(&b, "      %-20s %s\n", spec, usage)
		})
	}
	b.WriteString("\nEnvironment:\n")
	for _, v := range config.Variables() {
		fmt.Fprintf(&b, "  %-24s %s", v.Name, v.Meaning)
		if v.Default != "" {
			fmt.Fprintf(&b, " (default: %s)", v.Default)
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
