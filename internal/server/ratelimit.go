package server

import (
	"net/http"
	"strconv"

	"alumnet/internal/people"
	portaltpl "alumnet/templates/portal"
)

// Rate limits of the public forms that mail (per client and per mailbox).

// allowed applies a rate limit per client address and per mailbox.
func (s *Server) allowed(r *http.Request, bucket string, perIP int, email string, perEmail int) (bool, error) {
	ok, err := s.portal.Allow(r.Context(), bucket+".ip", s.clientKey(r), perIP, rateWindow)
	if err != nil || !ok {
		return ok, err
	}
	return s.portal.Allow(r.Context(), bucket+".email", people.Mailbox(email), perEmail, rateWindow)
}

func (s *Server) tooMany(w http.ResponseWriter, r *http.Request) error {
	p := s.portalPage(r, "", "")
	p.Title = p.T("rate.title")
	w.Header().Set("Retry-After", strconv.Itoa(int(rateWindow.Seconds())))
	return s.render(w, r, http.StatusTooManyRequests, portaltpl.Message(p, portaltpl.MessageData{Title: p.T("rate.title"), Text: p.T("rate.text")}))
}
