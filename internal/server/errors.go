package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"alumnet/templates/layout"
)

// Error is an error with a status and a message meant for the user (a
// catalogue key). Anything else a handler returns is a 500 whose details
// go to the log only.
type Error struct {
	Status int
	Key    string
	Err    error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%d %s: %v", e.Status, e.Key, e.Err)
	}
	return fmt.Sprintf("%d %s", e.Status, e.Key)
}

func (e *Error) Unwrap() error { return e.Err }

func errNotFound() error  { return &Error{Status: http.StatusNotFound, Key: "error.404"} }
func errForbidden() error { return &Error{Status: http.StatusForbidden, Key: "error.403"} }

// errErased refuses a change to an erased person's tombstone.
func errErased() error { return &Error{Status: http.StatusConflict, Key: "error.erased"} }

func errTooLarge() error {
	return &Error{Status: http.StatusRequestEntityTooLarge, Key: "error.413"}
}
func errBadRequest(err error) error {
	return &Error{Status: http.StatusBadRequest, Key: "error.400", Err: err}
}

// handlerFunc is a handler that returns its error to the adapter.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle makes a handlerFunc an http.HandlerFunc: an error it returns is
// logged and shown as an error page (an *Error with its status and
// message; anything else a 500).
func (s *Server) handle(fn handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			s.fail(w, r, err)
		}
	}
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var e *Error
	if !errors.As(err, &e) {
		if errors.Is(err, context.Canceled) {
			return // the client went away
		}
		s.log.Error("request failed", "method", r.Method, "route", routeOf(r), "err", err)
		e = &Error{Status: http.StatusInternalServerError, Key: "error.500"}
	} else if e.Status >= 500 {
		s.log.Error("request failed", "method", r.Method, "route", routeOf(r), "err", err)
	}
	s.errorPage(w, r, e.Status, e.Key)
}

func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, status int, key string) {
	p := s.page(r, "", "")
	p.Title = p.T("error.title")
	if err := s.render(w, r, status, layout.ErrorPage(p, status, p.T(key))); err != nil {
		s.log.Error("render error page", "err", err)
	}
}
