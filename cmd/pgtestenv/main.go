// Command pgtestenv starts a throwaway PostgreSQL cluster, runs a command
// with TEST_DATABASE_URL pointing at it, and removes the cluster afterwards.
// `make test` wraps `go test ./...` in it, so all test packages share one
// server instead of each starting their own.
//
//	pgtestenv -- go test ./...
//
// SIGINT and SIGTERM are passed on to the command; when it has ended, the
// cluster is stopped and its directory removed all the same.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"alumnet/internal/pgtest"
)

func main() { os.Exit(run(os.Args[1:])) }

func run(args []string) int {
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: pgtestenv -- command [args...]")
		return 2
	}
	// From here on a signal does not end this process before it has
	// cleaned up.
	sigc := make(chan os.Signal, 4)
	signal.Notify(sigc, syscall.SIGINT, syscall.SIGTERM)
	c, err := pgtest.StartCluster()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() {
		if err := c.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
		if err := c.Remove(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}()
	select {
	case sig := <-sigc:
		return exitCode(sig)
	default:
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), "TEST_DATABASE_URL="+c.URL("postgres"))
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case sig := <-sigc:
				_ = cmd.Process.Signal(sig)
			case <-done:
				return
			}
		}
	}()
	err = cmd.Wait()
	close(done)
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return exitCode(ws.Signal())
		}
		return exit.ExitCode()
	case err != nil:
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// exitCode is how a shell reports a command ended by sig: 128 + its number.
func exitCode(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 1
}
