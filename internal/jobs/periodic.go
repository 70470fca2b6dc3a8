package jobs

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/riverqueue/river"
)

// PeriodicArgs is the job of one run of a periodic task, named by Name.
// River's leader process inserts them on schedule, so with several app
// processes a task still runs once per occasion.
type PeriodicArgs struct {
	Name string `json:"name"`
}

// Kind names the job type in River's table.
func (PeriodicArgs) Kind() string { return "periodic" }

// Task is periodic work: what to run.
type Task func(ctx context.Context) error

// periodicWorker runs the task a job names.
type periodicWorker struct {
	river.WorkerDefaults[PeriodicArgs]
	mu    sync.RWMutex
	tasks map[string]Task
}

func (w *periodicWorker) Work(ctx context.Context, job *river.Job[PeriodicArgs]) error {
	w.mu.RLock()
	task, ok := w.tasks[job.Args.Name]
	w.mu.RUnlock()
	if !ok {
		// Scheduled by a process that knew the task; this one does not
		// (an older version during a rolling update). Not an error to retry.
		return river.JobCancel(fmt.Errorf("jobs: no periodic task %q", job.Args.Name))
	}
	return task(ctx)
}

// Timeout gives periodic tasks (a night's anonymisations, a day's
// reminders) more than the default minute.
func (w *periodicWorker) Timeout(*river.Job[PeriodicArgs]) time.Duration { return 30 * time.Minute }

// Daily runs at the given hour and minute every day, in the organisation's
// time zone.
type Daily struct {
	Hour, Minute int
	Location     *time.Location
}

// Next is the next occurrence after current.
func (d Daily) Next(current time.Time) time.Time {
	loc := d.Location
	if loc == nil {
		loc = time.UTC
	}
	t := current.In(loc)
	next := time.Date(t.Year(), t.Month(), t.Day(), d.Hour, d.Minute, 0, 0, loc)
	if !next.After(t) {
		next = time.Date(t.Year(), t.Month(), t.Day()+1, d.Hour, d.Minute, 0, 0, loc)
	}
	return next
}

// AddPeriodic schedules task under name, before or after Start.
func (j *Jobs) AddPeriodic(name string, schedule river.PeriodicSchedule, task Task) error {
	j.periodic.mu.Lock()
	defer j.periodic.mu.Unlock()
	if _, dup := j.periodic.tasks[name]; dup {
		return fmt.Errorf("jobs: periodic %s: added twice", name)
	}
	_, err := j.client.PeriodicJobs().AddSafely(river.NewPeriodicJob(schedule,
		func() (river.JobArgs, *river.InsertOpts) { return PeriodicArgs{Name: name}, nil },
		&river.PeriodicJobOpts{ID: name}))
	if err != nil {
		return fmt.Errorf("jobs: periodic %s: %w", name, err)
	}
	j.periodic.tasks[name] = task
	return nil
}

// RunPeriodicNow inserts a run of the named task at once (for an admin's
// "run now" and for tests).
func (j *Jobs) RunPeriodicNow(ctx context.Context, name string) error {
	if _, err := j.client.Insert(ctx, PeriodicArgs{Name: name}, nil); err != nil {
		return fmt.Errorf("jobs: run %s: %w", name, err)
	}
	return nil
}
