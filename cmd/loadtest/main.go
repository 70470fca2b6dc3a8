// Command loadtest measures the people list and search under concurrent
// load, against a database filled by `make bench-data`. It starts the real
// router on a loopback port, logs in as staff and as a coordinator, and
// sends requests from -c workers for -d per scenario, then prints
// throughput and latency percentiles.
//
//	go run ./cmd/loadtest -data-dir .data/bench -c 100 -d 30s
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"alumnet/internal/app"
	"alumnet/internal/auth"
	"alumnet/internal/config"
	"alumnet/internal/db"
	"alumnet/internal/jobs"
	"alumnet/internal/mail"
	"alumnet/internal/pgcluster"
	"alumnet/internal/server"
	"alumnet/web"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func run() error {
	dataDir := flag.String("data-dir", ".data/bench", "project-local cluster with the bench data (ignored when DATABASE_URL is set)")
	conc := flag.Int("c", 100, "concurrent clients")
	dur := flag.Duration("d", 20*time.Second, "duration of each scenario")
	maxConns := flag.Int("pool", 0, "database pool size (0: as the app, pgxpool's default or pool_max_conns in DATABASE_URL)")
	only := flag.String("only", "", "run only scenarios whose name contains this")
	rate := flag.Float64("rate", 0, "requests per second in total, scheduled at fixed intervals (0: each client sends its next request as soon as the last is answered)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the run (app and load generator) to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	ctx := context.Background()

	dbURL := os.Getenv("DATABASE_URL")
	if dbURL == "" {
		c, err := pgcluster.New(filepath.Join(*dataDir, "postgres"), nil)
		if err != nil {
			return err
		}
		if !c.Initialized() {
			return errors.New("no bench database: run `make bench-data` first")
		}
		if _, err := c.Start(ctx); err != nil {
			return err
		}
		defer c.Close() // stops the server only if this process started it
		dbURL = c.URL("alumnet")
	}
	pcfg, err := db.Config(dbURL)
	if err != nil {
		return err
	}
	if *maxConns > 0 {
		pcfg.MaxConns = int32(*maxConns)
	}
	pool, err := db.OpenConfig(ctx, pcfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := db.Migrate(ctx, pool, nil); err != nil {
		return err
	}
	var people int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM persons`).Scan(&people); err != nil {
		return err
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	cfg, err := config.Load(func(k string) string { return map[string]string{"BASE_URL": base}[k] })
	if err != nil {
		return err
	}
	assets, _ := web.NewAssets()
	outbox := mail.NewOutbox(pool)
	workers, err := jobs.New(pool, outbox, nil, jobs.Options{})
	if err != nil {
		return err
	}
	if err := workers.Start(ctx); err != nil {
		return err
	}
	defer workers.Stop(context.Background()) //nolint:errcheck
	a, err := app.New(app.Deps{Config: cfg, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Pool: pool, Mailer: outbox, Jobs: workers})
	if err != nil {
		return err
	}
	srv := server.New(a, assets)
	defer srv.Close()
	httpSrv := &http.Server{Handler: srv.Handler()}
	go httpSrv.Serve(ln) //nolint:errcheck
	defer httpSrv.Close()

	staff, err := session(ctx, pool, base, auth.RoleStaff, nil)
	if err != nil {
		return err
	}
	// A coordinator for the first programme-like unit with people.
	var unitID int64
	if err := pool.QueryRow(ctx, `SELECT unit_id FROM affiliations GROUP BY unit_id ORDER BY count(*) DESC LIMIT 1`).Scan(&unitID); err != nil {
		return err
	}
	coord, err := session(ctx, pool, base, auth.RoleCoordinator, []int64{unitID})
	if err != nil {
		return err
	}
	names, err := sampleNames(ctx, pool)
	if err != nil {
		return err
	}

	scenarios := []scenario{
		{"list, first page (staff)", staff, func(*mrand.Rand) string { return "/app/people" }},
		{"list, sorted by last update", staff, func(*mrand.Rand) string { return "/app/people?sort=-updated" }},
		{"list, unit filter + year range", staff, func(r *mrand.Rand) string {
			return fmt.Sprintf("/app/people?unit=%d&from=%d&to=%d", unitID, 2012+r.IntN(6), 2018+r.IntN(6))
		}},
		{"list, coordinator scope", coord, func(*mrand.Rand) string { return "/app/people" }},
		{"search, exact name", staff, func(r *mrand.Rand) string { return "/app/people?q=" + url.QueryEscape(names[r.IntN(len(names))]) }},
		{"search, name with a typo", staff, func(r *mrand.Rand) string {
			return "/app/people?q=" + url.QueryEscape(typo(r, names[r.IntN(len(names))]))
		}},
		{"search, e-mail fragment", staff, func(r *mrand.Rand) string {
			n := strings.ToLower(strings.Fields(names[r.IntN(len(names))])[0])
			return "/app/people?q=" + url.QueryEscape(n+"@")
		}},
	}
	mode := "closed loop (each client sends again when answered)"
	if *rate > 0 {
		mode = fmt.Sprintf("open loop at %.0f requests/s", *rate)
	}
	fmt.Printf("Alumnet load test: %d people, %d concurrent clients, %s, %s per scenario, app pool %d connections, %s\n\n",
		people, *conc, mode, *dur, pool.Config().MaxConns, cpuInfo())
	fmt.Printf("%-34s %8s %8s %7s %7s %7s %7s %7s\n", "scenario", "requests", "req/s", "errors", "p50", "p95", "p99", "max")
	for _, sc := range scenarios {
		if *only != "" && !strings.Contains(sc.name, *only) {
			continue
		}
		res := sc.run(*conc, *dur, *rate)
		fmt.Printf("%-34s %8d %8.0f %7d %7s %7s %7s %7s\n", sc.name, res.n, float64(res.n)/dur.Seconds(), res.errors,
			ms(res.pct(50)), ms(res.pct(95)), ms(res.pct(99)), ms(res.pct(100)))
	}
	return nil
}

type scenario struct {
	name   string
	client *http.Client
	path   func(*mrand.Rand) string
}

type result struct {
	n, errors int
	lat       []time.Duration
}

func (r result) pct(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(r.lat)))) - 1
	return r.lat[max(0, min(i, len(r.lat)-1))]
}

// run sends requests from conc workers for d. With rate 0 every worker
// sends its next request as soon as the last one is answered (closed loop:
// the measured throughput is the ceiling). With rate > 0 requests are
// scheduled at that many per second in total (open loop, as independent
// users would click), at most conc at a time; latency counts from the
// scheduled moment, so time spent waiting for a free worker is included.
func (sc scenario) run(conc int, d time.Duration, rate float64) result {
	var mu sync.Mutex
	var all result
	deadline := time.Now().Add(d)
	var schedule chan time.Time
	if rate > 0 {
		schedule = make(chan time.Time, int(rate*d.Seconds())+1)
		go func() {
			defer close(schedule)
			interval := time.Duration(float64(time.Second) / rate)
			for at := time.Now(); at.Before(deadline); at = at.Add(interval) {
				time.Sleep(time.Until(at))
				schedule <- at
			}
		}()
	}
	var wg sync.WaitGroup
	for w := range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := mrand.New(mrand.NewPCG(uint64(w), 42))
			var local result
			for {
				start := time.Now()
				if schedule != nil {
					at, ok := <-schedule
					if !ok {
						break
					}
					start = at
				} else if !start.Before(deadline) {
					break
				}
				resp, err := sc.client.Get(sc.client.Jar.(*jar).base + sc.path(r))
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				local.lat = append(local.lat, time.Since(start))
				local.n++
				if err != nil {
					local.errors++
				}
			}
			mu.Lock()
			all.n += local.n
			all.errors += local.errors
			all.lat = append(all.lat, local.lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(all.lat)
	return all
}

// jar is a cookie jar that also remembers the base URL.
type jar struct {
	http.CookieJar
	base string
}

// session creates a user with a random password and logs in through the form.
func session(ctx context.Context, pool *pgxpool.Pool, base, role string, unitIDs []int64) (*http.Client, error) {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	pw := "load " + hex.EncodeToString(b)
	hash, err := auth.HashPassword(pw)
	if err != nil {
		return nil, err
	}
	users := auth.NewStore(pool, auth.Options{})
	email := "loadtest-" + role + "-" + hex.EncodeToString(b[:4]) + "@alumnet.local"
	if _, err := users.CreateUser(ctx, auth.NewUser{Email: email, Name: "Load test " + role, Role: role, UnitIDs: unitIDs, PasswordHash: &hash}); err != nil {
		return nil, err
	}
	cj, _ := cookiejar.New(nil)
	c := &http.Client{Jar: &jar{CookieJar: cj, base: base}, Timeout: 30 * time.Second,
		Transport:     &http.Transport{MaxIdleConnsPerHost: 200, MaxConnsPerHost: 0},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(base+"/login", url.Values{"email": {email}, "password": {pw}})
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("login as %s: status %d", role, resp.StatusCode)
	}
	return c, nil
}

func sampleNames(ctx context.Context, pool *pgxpool.Pool) ([]string, error) {
	rows, err := pool.Query(ctx, `SELECT first_name || ' ' || last_name FROM persons TABLESAMPLE SYSTEM (1) LIMIT 2000`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	if len(names) == 0 {
		return nil, errors.New("no people in the database")
	}
	return names, rows.Err()
}

// typo swaps two neighbouring letters of the last word.
func typo(r *mrand.Rand, name string) string {
	rs := []rune(name)
	if len(rs) < 4 {
		return name
	}
	i := len(rs) - 2 - r.IntN(min(4, len(rs)-3))
	if rs[i] == ' ' || rs[i+1] == ' ' {
		return name
	}
	rs[i], rs[i+1] = rs[i+1], rs[i]
	return string(rs)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }

func cpuInfo() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "?"
	}
	return fmt.Sprint(strings.Count(string(b), "processor\t:"), " CPUs")
}
