package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // reads booty's delivery records

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
	dir     string
	booty   string
	self    string
	payload []byte
	client  *http.Client
}

func newBench(ctx context.Context, o options, out io.Writer) (*bench, error) {
	dir, err := os.MkdirTemp("", "bootybench-")
	if err != nil {
		return nil, fmt.Errorf("temporary directory: %w", err)
	}
	b := &bench{o: o, out: out, dir: dir, booty: o.booty,
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
	fmt.Fprintf(out, "payload %s: %d bytes as Sentry sends it; %d connections; load, booty and the stand-in share the machine\n",
		filepath.Base(o.fixture), len(b.payload), o.concurrency)
	return b, nil
}

func (b *bench) close() { _ = os.RemoveAll(b.dir) }

// scenario returns the function that runs the named scenario.
func (b *bench) scenario(name string) func(context.Context) ([]verdict, error) {
	return map[string]func(context.Context) ([]verdict, error){
		"throughput": b.throughput,
		"rate":       b.rate,
		"many":       b.many,
		"crash":      b.crash,
		"memory":     b.memory,
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
// given) and a booty on a new store NAME.db pointed at it. stop ends both.
func (b *bench) bootyOnStandIn(ctx context.Context, name string, wrap func(http.Handler) http.Handler) (
	gh *githubtest.Server, p *proctest.Process, stop func(), err error,
) {
	gh, ghURL, stopGH, err := standIn(wrap)
	if err != nil {
		return nil, nil, nil, err
	}
	p, err = b.startBooty(ctx, ghURL, filepath.Join(b.dir, name+".db"), "")
	if err != nil {
		stopGH()
		return nil, nil, nil, err
	}
	return gh, p, func() { _ = p.Kill(); stopGH() }, nil
}

// startBooty starts booty serve on the SQLite file dbPath against the
// stand-in at ghURL, on addr (a free one when empty), with write pacing
// lifted so that booty, not the pacer, is measured.
func (b *bench) startBooty(ctx context.Context, ghURL, dbPath, addr string) (*proctest.Process, error) {
	return proctest.Start(ctx, proctest.Options{
		Path: b.booty, Args: []string{"serve"}, Addr: addr, AddrEnv: "BOOTY_LISTEN",
		Env: []string{
			"SENTRY_WEBHOOK_SECRET=" + benchSecret, "GITHUB_TOKEN=" + benchToken, "TARGET_REPO_URL=" + owner + "/" + repo,
			"GITHUB_API_URL=" + ghURL, "BOOTY_DATABASE_URL=sqlite:" + dbPath, "BOOTY_LOG_FORMAT=json",
			"GITHUB_WRITES_PER_MINUTE=1000000", "GITHUB_WRITES_PER_HOUR=100000000", "GITHUB_WRITE_INTERVAL=0",
		},
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
	var m map[string]any
	if err := json.Unmarshal(payload, &m); err != nil {
		return nil, fmt.Errorf("fixture: %w", err)
	}
	data, _ := m["data"].(map[string]any)
	ev, ok := data["event"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("fixture has no data.event")
	}
	ev["issue_id"], ev["event_id"] = issueID, eventID
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

// recordedRequests returns the Request-IDs in booty's delivery records,
// read from the SQLite file without writing to it.
func recordedRequests(ctx context.Context, dbPath string) (map[string]bool, error) {
	db, err := sql.Open("sqlite", "file:"+dbPath+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", dbPath, err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT request_id FROM booty_deliveries`)
	if err != nil {
		return nil, fmt.Errorf("read delivery records: %w", err)
	}
	defer rows.Close()
	got := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("read delivery records: %w", err)
		}
		got[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read delivery records: %w", err)
	}
	return got, nil
}
