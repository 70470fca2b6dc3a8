package server

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"alumnet/internal/mail"
	admintpl "alumnet/templates/admin"
)

// outboxPageSize is how many mails one page of the outbox shows.
const outboxPageSize = 50

func (s *Server) outboxList(w http.ResponseWriter, r *http.Request) error {
	before, err := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	if err != nil || before < 0 {
		before = 0
	}
	msgs, more, err := s.outbox.List(r.Context(), before, outboxPageSize)
	if err != nil {
		return err
	}
	_, viaSMTP := s.mailer.(*mail.SMTP)
	p := s.page(r, "admin.outbox", "")
	p.Title = p.T("outbox.title")
	return s.render(w, r, http.StatusOK, admintpl.Outbox(p, admintpl.OutboxData{Messages: msgs, More: more, Before: before, ViaSMTP: viaSMTP}))
}

func (s *Server) outboxShow(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		return errNotFound()
	}
	m, err := s.outbox.ByID(r.Context(), id)
	if errors.Is(err, mail.ErrNotFound) {
		return errNotFound()
	}
	if err != nil {
		return err
	}
	p := s.page(r, "admin.outbox", m.Subject)
	return s.render(w, r, http.StatusOK, admintpl.OutboxMessage(p, m))
}
