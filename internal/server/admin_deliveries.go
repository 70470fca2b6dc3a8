package server

import (
	"errors"
	"net/http"
	"slices"
	"strconv"

	"github.com/go-chi/chi/v5"

	"alumnet/internal/audit"
	"alumnet/internal/mail"
	admintpl "alumnet/templates/admin"
)

// deliveriesPageSize is how many deliveries one page of the log shows.
const deliveriesPageSize = 50

func (s *Server) deliveriesList(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	status := q.Get("status")
	if !slices.Contains(mail.Statuses, status) {
		status = ""
	}
	before, err := strconv.ParseInt(q.Get("before"), 10, 64)
	if err != nil || before < 0 {
		before = 0
	}
	list, more, err := s.mail.List(r.Context(), status, before, deliveriesPageSize)
	if err != nil {
		return err
	}
	p := s.page(r, "admin.outbox", "")
	p.Title = p.T("deliveries.title")
	return s.render(w, r, http.StatusOK, admintpl.Deliveries(p, admintpl.DeliveriesData{Deliveries: list, Status: status, More: more, Before: before}))
}

// deliveryByParam loads the delivery named in the URL.
func (s *Server) deliveryByParam(r *http.Request) (mail.DeliveryMessage, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		return mail.DeliveryMessage{}, errNotFound()
	}
	d, err := s.mail.Message(r.Context(), id)
	if errors.Is(err, mail.ErrNotFound) {
		return mail.DeliveryMessage{}, errNotFound()
	}
	return d, err
}

func (s *Server) deliveryShow(w http.ResponseWriter, r *http.Request) error {
	d, err := s.deliveryByParam(r)
	if err != nil {
		return err
	}
	log, err := s.mail.Log(r.Context(), d.ID)
	if err != nil {
		return err
	}
	p := s.page(r, "admin.outbox", d.Subject)
	return s.render(w, r, http.StatusOK, admintpl.Delivery(p, admintpl.DeliveryData{Delivery: d.Delivery, Log: log}))
}

// deliveryRetry runs the job of a failed delivery now rather than at its
// next scheduled attempt, e.g. after the mail server was fixed.
func (s *Server) deliveryRetry(w http.ResponseWriter, r *http.Request) error {
	d, err := s.deliveryByParam(r)
	if err != nil {
		return err
	}
	target := "/app/admin/deliveries/" + strconv.FormatInt(d.ID, 10)
	if d.Status != mail.StatusFailed || d.JobID == nil || d.JobState == nil || s.jobs == nil {
		s.addFlash(r, "warning", "deliveries.retry.gone")
		return redirect(w, r, target)
	}
	switch err := s.jobs.RetryNow(r.Context(), *d.JobID); {
	case errors.Is(err, mail.ErrNotFound):
		s.addFlash(r, "warning", "deliveries.retry.gone")
	case err != nil:
		return err
	default:
		if err := s.audit.Write(r.Context(), audit.Record{ActorID: currentUser(r).ID, Action: "mail.retry", Entity: "mail_delivery", EntityID: d.ID,
			Details: map[string]any{"attempts": d.Attempts}}); err != nil {
			return err
		}
		var about int64
		if d.PersonID != nil {
			about = *d.PersonID
		}
		s.addPersonFlash(r, about, "success", "deliveries.retry.done", d.To)
	}
	return redirect(w, r, target)
}
