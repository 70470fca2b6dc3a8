package jobs

import (
	"context"
	"testing"
	"time"
)

func TestDailyNext(t *testing.T) {
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	at3 := Daily{Hour: 3, Location: ams}
	cases := []struct {
		now, want string // in Amsterdam time
	}{
		{"2026-11-23 02:59", "2026-11-23 03:00"},
		{"2026-11-23 03:00", "2026-11-24 03:00"},
		{"2026-11-23 15:00", "2026-11-24 03:00"},
		{"2026-12-31 23:30", "2027-01-01 03:00"},
		// Summer time starts at 02:00 on the last Sunday of March: 03:00
		// is still a real time that day.
		{"2027-03-28 01:30", "2027-03-28 03:00"},
		{"2026-10-25 02:30", "2026-10-25 03:00"},
	}
	for _, c := range cases {
		now, _ := time.ParseInLocation("2006-01-02 15:04", c.now, ams)
		got := at3.Next(now).In(ams).Format("2006-01-02 15:04")
		if got != c.want {
			t.Errorf("Next(%s) = %s, want %s", c.now, got, c.want)
		}
	}
}

func TestPeriodicTaskRuns(t *testing.T) {
	e := newEnv(t, Options{}, nil)
	ran := make(chan string, 4)
	if err := e.jobs.AddPeriodic("nightly", Daily{Hour: 3}, func(ctx context.Context) error {
		ran <- "nightly"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := e.jobs.AddPeriodic("nightly", Daily{Hour: 4}, func(context.Context) error { return nil }); err == nil {
		t.Fatal("a second task under the same name was accepted")
	}
	if err := e.jobs.RunPeriodicNow(context.Background(), "nightly"); err != nil {
		t.Fatal(err)
	}
	select {
	case name := <-ran:
		if name != "nightly" {
			t.Fatalf("ran %q", name)
		}
	case <-time.After(10 * time.Second):
		rows, _ := e.pool.Query(context.Background(), `SELECT kind, queue, state, errors::text FROM river_job`)
		for rows.Next() {
			var k, q, st string
			var er *string
			_ = rows.Scan(&k, &q, &st, &er)
			t.Logf("%s %s %s %v", k, q, st, er)
		}
		t.Fatal("the task did not run")
	}
	// A run of a task this process does not know is cancelled, not retried.
	if err := e.jobs.RunPeriodicNow(context.Background(), "unknown"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		n := e.count(`SELECT count(*) FROM river_job WHERE kind = 'periodic' AND args->>'name' = 'unknown' AND state = 'cancelled'`)
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the unknown task's job was not cancelled")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
