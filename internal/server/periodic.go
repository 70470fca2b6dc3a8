package server

import (
	"context"

	"alumnet/internal/jobs"
)

// Schedule registers the app's periodic work with the job queue: at night
// the retention policy and clean-ups, early in the morning the reminders
// of offboarding tasks, later the yearly "are your details still right?"
// mails. Times are the organisation's.
func (s *Server) Schedule() error {
	loc := displayLocation()
	tasks := []struct {
		name string
		at   jobs.Daily
		run  jobs.Task
	}{
		{"retention", jobs.Daily{Hour: 3, Minute: 0, Location: loc}, s.RunRetention},
		{"cleanup", jobs.Daily{Hour: 4, Minute: 0, Location: loc}, s.cleanup},
		{"details-reminder", jobs.Daily{Hour: 10, Minute: 0, Location: loc}, s.RemindStale},
		{"offboarding-reminders", jobs.Daily{Hour: 7, Minute: 0, Location: loc}, s.RemindOffboarding},
	}
	for _, t := range tasks {
		if err := s.jobs.AddPeriodic(t.name, t.at, t.run); err != nil {
			return err
		}
	}
	return nil
}

// cleanup removes expired links, sessions, old rate-limit entries and old
// failed logins.
func (s *Server) cleanup(ctx context.Context) error {
	if err := s.portal.Prune(ctx); err != nil {
		return err
	}
	if err := s.store.Prune(ctx); err != nil {
		return err
	}
	return s.users.PruneLoginFailures(ctx)
}
