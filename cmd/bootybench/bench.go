package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"booty/internal/githubtest"
	"booty/internal/proctest"
)

const (
	benchSecret = "bench-secret"
	benchToken  = "bench-token"
	owner, repo = "acme", "shop"
)

// bench is one run of the benchmark: the binaries, the payload, and where
// the results go.
type bench struct {
	o       options
	out     io.Writer
	stderr  io.Writer // for progress, beside the report on out
	dir     string
	booty   string
	self    string
	payload []byte
	client  *http.Client
	// pg is the PostgreSQL server of the postgres scenarios; nil when
	// none runs on PostgreSQL.
	pg *cluster
	// throughputs holds each store's throughput figures, for the ratio.
	throughputs map[string]throughputFigures
}

func newBench(ctx context.Context, o options, out, stderr io.Writer) (*bench, error) {
	dir, err := os.MkdirTemp("", "bootybench-")
	if err != nil {
		return nil, fmt.Errorf("temporary directory: %w", err)
	}
	b := &bench{o: o, out: out, stderr: stderr, dir: dir, booty: o.booty, throughputs: map[string]throughputFigures{},
		client: &http.Client{Timeout: 30 * time.Second,
			Transport: &http.Transport{MaxIdleConnsPerHost: o.concurrency * 2, DisableCompression: true}}}
	if b.self, err = os.Executable(); err != nil {
		b.close()
		return nil, fmt.Errorf("find the benchmark's own binary: %w", err)
	}
	if b.booty == "" {
		fmt.Fprintln(out, "building booty…")
		b.booty = filepath.Join(dir, "booty")
		if msg, err := exec.CommandContext(ctx, "go", "build", "-o", b.booty, "./cmd/booty").CombinedOutput(); err != nil {
			b.close()
			return nil, fmt.Errorf("go build ./cmd/booty: %w\n%s", err, msg)
		}
	}
	raw, err := os.ReadFile(o.fixture)
	if err != nil {
		b.close()
		return nil, fmt.Errorf("read the fixture: %w", err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		b.close()
		return nil, fmt.Errorf("compact the fixture: %w", err)
	}
	b.payload = compact.Bytes()
	if slices.Contains(o.stores, storePostgres) {
		if o.postgresURL == "" {
			fmt.Fprintln(out, "starting a PostgreSQL cluster with .ci/postgres.sh…")
		}
		if b.pg, err = openCluster(ctx, o.postgresURL); err != nil {
			b.close()
			return nil, err
		}
		how := "given by -postgres-url or " + envPostgresURL
		if b.pg.started() {
			how = "started for this run, stopped at its end"
		}
		fmt.Fprintf(out, "PostgreSQL at %s (%s); a fresh database per scenario\n", b.pg.server.Redacted(), how)
	}
	fmt.Fprintf(out, "payload %s: %d bytes as Sentry sends it; %d connections; load, booty and the stand-in share the machine\n",
		filepath.Base(o.fixture), len(b.payload), o.concurrency)
	return b, nil
}

// close stops what newBench started and removes the run's files.
func (b *bench) close() {
	if err := b.pg.stop(); err != nil {
		fmt.Fprintln(b.out, "bootybench:", err)
	}
	_ = os.RemoveAll(b.dir)
}

// database returns a BOOTY_DATABASE_URL naming a new, empty database on
// store for the scenario name: a file in the run's directory for SQLite,
// a database of its own on the server for PostgreSQL. drop removes it;
// call it once every booty on it has ended.
func (b *bench) database(ctx context.Context, store, name string) (dbURL string, drop func(), err error) {
	if store == storeSQLite {
		return "sqlite:" + filepath.Join(b.dir, name+".db"), func() {}, nil
	}
	dbURL, dbName, err := b.pg.createDatabase(ctx, name)
	if err != nil {
		return "", nil, err
	}
	return dbURL, func() {
		if err := b.pg.dropDatabase(dbName); err != nil {
			fmt.Fprintln(b.out, "bootybench:", err)
		}
	}, nil
}

// scenario returns the function that runs the named scenario on a store.
func (b *bench) scenario(name string) func(ctx context.Context, store string) ([]verdict, error) {
	return map[string]func(context.Context, string) ([]verdict, error){
		"throughput":    b.throughput,
		"rate":          b.rate,
		"many":          b.many,
		"crash":         b.crash,
		"memory":        b.memory,
		"storm":         b.storm,
		"storm-routes":  b.stormRoutes,
		"replicas":      b.replicas,
		"replicas-kill": b.replicasKill,
	}[name]
}

// standIn serves a fresh GitHub stand-in on loopback, through wrap when
// it is not nil. stop ends it.
func standIn(wrap func(http.Handler) http.Handler) (gh *githubtest.Server, url string, stop func(), err error) {
	gh = githubtest.New(githubtest.Options{Token: benchToken, Owner: owner, Repo: repo})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		gh.Close()
		return nil, "", nil, fmt.Errorf("stand-in: %w", err)
	}
	h := gh.Handler()
	if wrap != nil {
		h = wrap(h)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return gh, "http://" + ln.Addr().String() + "/", func() { _ = srv.Close(); gh.Close() }, nil
}

// bootyOnStandIn starts a GitHub stand-in (its handler wrapped by wrap, when
// given) and a booty pointed at it on a new database of store for the
// scenario name. stop ends both and drops the database.
func (b *bench) bootyOnStandIn(ctx context.Context, store, name string, wrap func(http.Handler) http.Handler) (
	gh *githubtest.Server, p *proctest.Process, stop func(), err error,
) {
	dbURL, drop, err := b.database(ctx, store, name)
	if err != nil {
		return nil, nil, nil, err
	}
	gh, ghURL, stopGH, err := standIn(wrap)
	if err != nil {
		drop()
		return nil, nil, nil, err
	}
	p, err = b.startBooty(ctx, ghURL, dbURL, "")
	if err != nil {
		stopGH()
		drop()
		return nil, nil, nil, err
	}
	return gh, p, func() { _ = p.Kill(); stopGH(); drop() }, nil
}

// startBooty starts booty serve on the database dbURL (a
// BOOTY_DATABASE_URL) against the stand-in at ghURL, on addr (a free one
// when empty), with write pacing and the storm budgets lifted so that
// booty, not the pacer, is measured.
// More variables in env (NAME=VALUE) are added, or replace those.
func (b *bench) startBooty(ctx context.Context, ghURL, dbURL, addr string, env ...string) (*proctest.Process, error) {
	return proctest.Start(ctx, proctest.Options{
		Path: b.booty, Args: []string{"serve"}, Addr: addr, AddrEnv: "BOOTY_LISTEN",
		// The process takes the last of a variable given twice.
		Env: append([]string{
			"SENTRY_WEBHOOK_SECRET=" + benchSecret, "GITHUB_TOKEN=" + benchToken, "TARGET_REPO_URL=" + owner + "/" + repo,
			"GITHUB_API_URL=" + ghURL, "BOOTY_DATABASE_URL=" + dbURL, "BOOTY_LOG_FORMAT=json",
			"GITHUB_WRITES_PER_MINUTE=1000000", "GITHUB_WRITES_PER_HOUR=100000000", "GITHUB_WRITE_INTERVAL=0",
			"BOOTY_ROUTE_BUDGET=1000000/1m", "BOOTY_STORM_BUDGET=1000000/1m",
		}, env...),
	})
}

// startBaseline starts the baseline handler as a process of its own.
func (b *bench) startBaseline(ctx context.Context) (*proctest.Process, error) {
	addr, err := proctest.FreeAddr()
	if err != nil {
		return nil, err
	}
	return proctest.Start(ctx, proctest.Options{Path: b.self, Args: []string{baselineFlag, addr}, Addr: addr})
}

// waitJobsDone waits up to timeout for booty to have no job left to run.
func waitJobsDone(ctx context.Context, p *proctest.Process, timeout time.Duration) (map[string]int, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return p.WaitJobsDone(ctx)
}

// withEvent returns payload with data.event's issue_id and event_id set.
func withEvent(payload []byte, issueID, eventID string) ([]byte, error) {
	return editEvent(payload, func(ev map[string]any) { ev["issue_id"], ev["event_id"] = issueID, eventID })
}

// editEvent returns payload with data.event changed by edit.
func editEvent(payload []byte, edit func(ev map[string]any)) ([]byte, error) {
	var m map[string]any
	if err := json.Unmarshal(payload, &m); err != nil {
		return nil, fmt.Errorf("fixture: %w", err)
	}
	data, _ := m["data"].(map[string]any)
	ev, ok := data["event"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("fixture has no data.event")
	}
	edit(ev)
	return json.Marshal(m)
}

// sameProblem returns n deliveries of the payload as it is: one problem,
// one event, n request ids (first is the offset of the ids).
func (b *bench) sameProblem(first, n int) []request {
	rs := make([]request, n)
	for i := range rs {
		rs[i] = signed(benchSecret, b.payload, fmt.Sprintf("%032x", first+i))
	}
	return rs
}

// manyProblems returns problems × events deliveries, interleaved so that
// every problem's first event comes early.
func (b *bench) manyProblems() ([]request, error) {
	var out []request
	for e := range b.o.events {
		for p := range b.o.problems {
			id := fmt.Sprintf("%016x%016x", p, e)
			body, err := withEvent(b.payload, fmt.Sprint(7000000+p), id)
			if err != nil {
				return nil, err
			}
			out = append(out, signed(benchSecret, body, id))
		}
	}
	return out, nil
}

// duplicates counts issues whose marker another issue already carries.
func duplicates(gh *githubtest.Server) int {
	seen := map[string]bool{}
	dup := 0
	for _, is := range gh.Issues() {
		i := strings.Index(is.Body, "<!-- booty:problem=")
		if i < 0 {
			continue
		}
		marker := is.Body[i:]
		if j := strings.Index(marker, "-->"); j >= 0 {
			marker = marker[:j]
		}
		if seen[marker] {
			dup++
		}
		seen[marker] = true
	}
	return dup
}
