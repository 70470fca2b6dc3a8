package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
)

// TaskArgs is one run of a named one-off task with its payload: work that
// a request hands to the queue, so that the request's answer and timing
// do not depend on it (a login link is looked up and mailed here, whether
// or not the address is known).
type TaskArgs struct {
	Name    string          `json:"name"`
	Payload json.RawMessage `json:"payload"`
}

// Kind names the job type in River's table.
func (TaskArgs) Kind() string { return "task" }

// taskAttempts is how often a task is tried: a login link that arrives
// hours late is of no use.
const taskAttempts = 3

// Handler does the work of a task.
type Handler func(ctx context.Context, payload json.RawMessage) error

type taskWorker struct {
	river.WorkerDefaults[TaskArgs]
	mu       sync.RWMutex
	handlers map[string]Handler
}

func (w *taskWorker) Work(ctx context.Context, job *river.Job[TaskArgs]) error {
	w.mu.RLock()
	h, ok := w.handlers[job.Args.Name]
	w.mu.RUnlock()
	if !ok {
		return river.JobCancel(fmt.Errorf("jobs: no task %q", job.Args.Name))
	}
	return h(ctx, job.Args.Payload)
}

// NextRetry tries a failed task again after a few seconds.
func (w *taskWorker) NextRetry(job *river.Job[TaskArgs]) time.Time {
	return time.Now().Add(time.Duration(job.Attempt) * 5 * time.Second)
}

// Decoded is a Handler that decodes the payload into a T for fn. A
// payload that does not decode is a bug, not bad luck: the task is not
// tried again.
func Decoded[T any](fn func(ctx context.Context, payload T) error) Handler {
	return func(ctx context.Context, payload json.RawMessage) error {
		var v T
		if err := json.Unmarshal(payload, &v); err != nil {
			return river.JobCancel(fmt.Errorf("jobs: payload %T: %w", v, err))
		}
		return fn(ctx, v)
	}
}

// Handle registers the handler of task name. Every process registers its
// handlers; the processes that run workers do the work.
func (j *Jobs) Handle(name string, h Handler) error {
	j.tasks.mu.Lock()
	defer j.tasks.mu.Unlock()
	if _, dup := j.tasks.handlers[name]; dup {
		return fmt.Errorf("jobs: task %s: handled twice", name)
	}
	j.tasks.handlers[name] = h
	return nil
}

// Enqueue queues a run of task name with payload (marshalled to JSON),
// inside tx when it is not nil.
func (j *Jobs) Enqueue(ctx context.Context, tx pgx.Tx, name string, payload any) error {
	b, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("jobs: task %s: %w", name, err)
	}
	args, opts := TaskArgs{Name: name, Payload: b}, &river.InsertOpts{MaxAttempts: taskAttempts}
	if tx != nil {
		_, err = j.client.InsertTx(ctx, tx, args, opts)
	} else {
		_, err = j.client.Insert(ctx, args, opts)
	}
	if err != nil {
		return fmt.Errorf("jobs: enqueue task %s: %w", name, err)
	}
	return nil
}
