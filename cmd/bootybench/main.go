// Command bootybench measures booty against the targets of docs/benchmarks.md:
// it builds booty, starts it on the embedded store with a GitHub stand-in on
// loopback, drives signed deliveries of a real Sentry payload, and measures
// in the same run a bare handler that only verifies the HMAC and decodes the
// JSON, as the baseline.
package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	_ "modernc.org/sqlite"

	"booty/internal/githubtest"
)

const (
	secret = "bench-secret"
	token  = "bench-token"
)

type options struct {
	booty       string
	fixture     string
	n           int
	rate        int
	rateFor     time.Duration
	problems    int
	events      int
	concurrency int
	dir         string
}

func main() {
	if len(os.Args) == 3 && os.Args[1] == "-serve-baseline" {
		serveBaseline(os.Args[2])
		return
	}
	var o options
	flag.StringVar(&o.booty, "booty", "", "booty binary (default: build ./cmd/booty)")
	flag.StringVar(&o.fixture, "fixture", "testdata/sentry/event_alert.triggered.vue-breadcrumbs-zulip-2023.json", "payload to deliver")
	flag.IntVar(&o.n, "n", 20000, "deliveries of one problem in the throughput run")
	flag.IntVar(&o.rate, "rate", 1000, "requests per second in the latency run")
	flag.DurationVar(&o.rateFor, "rate-for", 10*time.Second, "length of the latency run")
	flag.IntVar(&o.problems, "problems", 1000, "problems in the many-problems runs")
	flag.IntVar(&o.events, "events", 20, "deliveries per problem in the many-problems runs")
	flag.IntVar(&o.concurrency, "c", 32, "concurrent connections")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bootybench:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	dir, err := os.MkdirTemp("", "bootybench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	o.dir = dir
	if o.booty == "" {
		o.booty = filepath.Join(dir, "booty")
		fmt.Println("building booty…")
		if out, err := exec.Command("go", "build", "-o", o.booty, "./cmd/booty").CombinedOutput(); err != nil {
			return fmt.Errorf("go build: %v\n%s", err, out)
		}
	}
	raw, err := os.ReadFile(o.fixture)
	if err != nil {
		return err
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return err
	}
	payload := compact.Bytes()
	fmt.Printf("payload %s: %d bytes; %d concurrent connections; GOMAXPROCS shared by load, booty and stand-in\n\n",
		filepath.Base(o.fixture), len(payload), o.concurrency)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.concurrency * 2, DisableCompression: true}}

	// 1. One problem, delivered n times: baseline, then booty.
	same := make([]request, o.n)
	for i := range same {
		same[i] = signed(payload, fmt.Sprintf("%032x", i))
	}
	base, err := startBaseline(o)
	if err != nil {
		return err
	}
	warm(client, base.url, same)
	baseRes := closedLoop(client, base.url, same, o.concurrency)
	base.kill()

	gh, ghURL, closeGH, err := standIn()
	if err != nil {
		return err
	}
	b, err := startBooty(o, ghURL, filepath.Join(dir, "one.db"), "")
	if err != nil {
		return err
	}
	bootyRes := closedLoop(client, b.url, same, o.concurrency)
	fmt.Println("== one problem delivered", o.n, "times (closed loop)")
	printResult("baseline (HMAC + JSON decode)", baseRes)
	printResult("booty", bootyRes)
	fmt.Printf("  throughput ratio booty/baseline: %.2f (target ≥ 0.5)\n", bootyRes.rps()/baseRes.rps())

	// 2. The same problem at a fixed rate: time to answer.
	count := int(float64(o.rate) * o.rateFor.Seconds())
	paced := make([]request, count)
	for i := range paced {
		paced[i] = signed(payload, fmt.Sprintf("%032x", o.n+i))
	}
	rateRes := openLoop(client, b.url, paced, o.rate)
	fmt.Printf("\n== the same problem at %d requests/s for %v (open loop)\n", o.rate, o.rateFor)
	printResult("booty", rateRes)
	waitIdle(b)
	fmt.Printf("  issues created: %d (target 1); GitHub writes: %d\n", len(gh.Issues()), gh.Writes())
	b.kill()
	closeGH()

	// 3. Many problems, write pacing lifted.
	many := manyProblems(payload, o.problems, o.events)
	gh, ghURL, closeGH, err = standIn()
	if err != nil {
		return err
	}
	b, err = startBooty(o, ghURL, filepath.Join(dir, "many.db"), "")
	if err != nil {
		return err
	}
	manyRes := closedLoop(client, b.url, many, o.concurrency)
	fmt.Printf("\n== %d problems × %d deliveries (closed loop, pacing lifted)\n", o.problems, o.events)
	printResult("booty", manyRes)
	start := time.Now()
	if err := waitIssues(gh, o.problems, 5*time.Minute); err != nil {
		fmt.Println(" ", err)
	}
	waitIdle(b)
	fmt.Printf("  issues created: %d (target %d); GitHub writes: %d (target ≤ %d); all filed %.1fs after the last answer\n",
		len(gh.Issues()), o.problems, gh.Writes(), o.problems*105/100, time.Since(start).Seconds())
	b.kill()
	closeGH()

	// 4. The same, with booty killed (SIGKILL) half-way and restarted.
	gh, ghURL, closeGH, err = standIn()
	if err != nil {
		return err
	}
	defer closeGH()
	dbPath := filepath.Join(dir, "crash.db")
	b, err = startBooty(o, ghURL, dbPath, "")
	if err != nil {
		return err
	}
	addr := b.addr
	statuses := make([]int, len(many))
	var sent atomic.Int64
	var killOnce sync.Once
	var issuesAtKill atomic.Int64
	crashRes := closedLoopStatus(client, func() string { return b.url }, many, o.concurrency, statuses, func() {
		if sent.Add(1) == int64(len(many)/2) {
			killOnce.Do(func() {
				b.kill()
				issuesAtKill.Store(int64(len(gh.Issues())))
			})
		}
	})
	lost := 0
	for _, s := range statuses {
		if s == 0 {
			lost++
		}
	}
	b, err = startBooty(o, ghURL, dbPath, addr)
	if err != nil {
		return err
	}
	defer b.kill()
	for i := range many {
		if statuses[i] == 0 {
			statuses[i] = send(client, b.url, many[i])
		}
	}
	if err := waitIssues(gh, o.problems, 5*time.Minute); err != nil {
		fmt.Println(" ", err)
	}
	waitIdle(b)
	recorded, err := recordedRequests(dbPath)
	if err != nil {
		return err
	}
	missing := 0
	answered := 0
	for i, r := range many {
		if statuses[i]/100 == 2 {
			answered++
			if !recorded[r.id] {
				missing++
			}
		}
	}
	fmt.Printf("\n== %d problems × %d deliveries, booty killed with SIGKILL half-way and restarted\n", o.problems, o.events)
	printResult("booty (before the kill)", crashRes)
	fmt.Printf("  issues filed before the kill: %d; deliveries unanswered at the kill (sent again after restart): %d\n",
		issuesAtKill.Load(), lost)
	fmt.Printf("  issues: %d (target %d); duplicates: %d; GitHub writes: %d\n", len(gh.Issues()), o.problems, duplicates(gh), gh.Writes())
	fmt.Printf("  2xx answers: %d; of them missing from the store: %d (target 0)\n", answered, missing)
	return nil
}

type request struct {
	id   string
	body []byte
	sig  string
}

func signed(payload []byte, id string) request {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(payload)
	return request{id: id, body: payload, sig: hex.EncodeToString(m.Sum(nil))}
}

// manyProblems returns problems × events deliveries, interleaved so every
// problem's first event comes early.
func manyProblems(payload []byte, problems, events int) []request {
	var m map[string]any
	_ = json.Unmarshal(payload, &m)
	ev := m["data"].(map[string]any)["event"].(map[string]any)
	var out []request
	for e := 0; e < events; e++ {
		for p := 0; p < problems; p++ {
			ev["issue_id"] = fmt.Sprint(7000000 + p)
			ev["event_id"] = fmt.Sprintf("%016x%016x", p, e)
			b, _ := json.Marshal(m)
			out = append(out, signed(b, fmt.Sprintf("%016x%016x", p, e)))
		}
	}
	return out
}

func send(c *http.Client, url string, r request) int {
	req, _ := http.NewRequest(http.MethodPost, url+"/webhooks/sentry", bytes.NewReader(r.body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Request-ID", r.id)
	req.Header.Set("Sentry-Hook-Resource", "event_alert")
	req.Header.Set("Sentry-Hook-Signature", r.sig)
	resp, err := c.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

type result struct {
	elapsed   time.Duration
	latencies []time.Duration
	codes     map[int]int
}

func (r result) rps() float64 { return float64(len(r.latencies)) / r.elapsed.Seconds() }

func (r result) pct(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	return r.latencies[int(p*float64(len(r.latencies)-1))]
}

func printResult(name string, r result) {
	var codes []string
	for c, n := range r.codes {
		codes = append(codes, fmt.Sprintf("%d×%d", n, c))
	}
	sort.Strings(codes)
	fmt.Printf("  %-32s %8.0f req/s  p50 %7.2fms  p99 %7.2fms  answers %s\n", name, r.rps(),
		float64(r.pct(0.50).Microseconds())/1000, float64(r.pct(0.99).Microseconds())/1000, strings.Join(codes, " "))
}

func warm(c *http.Client, url string, rs []request) {
	for i := 0; i < 200 && i < len(rs); i++ {
		send(c, url, rs[i])
	}
}

func closedLoop(c *http.Client, url string, rs []request, conc int) result {
	return closedLoopStatus(c, func() string { return url }, rs, conc, make([]int, len(rs)), func() {})
}

// closedLoopStatus sends rs from conc connections as fast as answers come,
// recording each status; after is called after each request.
func closedLoopStatus(c *http.Client, url func() string, rs []request, conc int, statuses []int, after func()) result {
	lat := make([]time.Duration, len(rs))
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(rs) {
					return
				}
				t := time.Now()
				statuses[i] = send(c, url(), rs[i])
				lat[i] = time.Since(t)
				after()
			}
		}()
	}
	wg.Wait()
	return summarize(time.Since(start), lat, statuses)
}

// openLoop sends rs at rate per second whatever the answers, so a slow
// answer cannot hide by slowing the load.
func openLoop(c *http.Client, url string, rs []request, rate int) result {
	lat := make([]time.Duration, len(rs))
	statuses := make([]int, len(rs))
	var wg sync.WaitGroup
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	for i := range rs {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.Now()
			statuses[i] = send(c, url, rs[i])
			lat[i] = time.Since(t)
		}()
	}
	wg.Wait()
	return summarize(time.Since(start), lat, statuses)
}

func summarize(elapsed time.Duration, lat []time.Duration, statuses []int) result {
	r := result{elapsed: elapsed, codes: map[int]int{}}
	for i, s := range statuses {
		r.codes[s]++
		if s != 0 {
			r.latencies = append(r.latencies, lat[i])
		}
	}
	sort.Slice(r.latencies, func(i, j int) bool { return r.latencies[i] < r.latencies[j] })
	return r
}

// process is a server started by the bench.
type process struct {
	cmd  *exec.Cmd
	url  string
	addr string
}

func (p *process) kill() {
	if p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		_ = p.cmd.Wait()
	}
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func startProcess(cmd *exec.Cmd, addr, ready string) (*process, error) {
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, url: "http://" + addr, addr: addr}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(p.url + ready); err == nil {
			resp.Body.Close()
			return p, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.kill()
	return nil, errors.New("server did not start")
}

func startBaseline(o options) (*process, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	return startProcess(exec.Command(self, "-serve-baseline", addr), addr, "/health")
}

func startBooty(o options, ghURL, dbPath, addr string) (*process, error) {
	if addr == "" {
		var err error
		if addr, err = freeAddr(); err != nil {
			return nil, err
		}
	}
	cmd := exec.Command(o.booty, "serve")
	cmd.Env = []string{
		"SENTRY_WEBHOOK_SECRET=" + secret, "GITHUB_TOKEN=" + token, "TARGET_REPO_URL=acme/shop",
		"GITHUB_API_URL=" + ghURL, "BOOTY_DATABASE_URL=sqlite:" + dbPath, "BOOTY_LISTEN=" + addr,
		"GITHUB_WRITES_PER_MINUTE=1000000", "GITHUB_WRITES_PER_HOUR=100000000", "GITHUB_WRITE_INTERVAL=0",
	}
	return startProcess(cmd, addr, "/health")
}

func standIn() (*githubtest.Server, string, func(), error) {
	gh := githubtest.New(githubtest.Options{Token: token, Owner: "acme", Repo: "shop"})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", nil, err
	}
	srv := &http.Server{Handler: gh.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return gh, "http://" + ln.Addr().String() + "/", func() { srv.Close(); gh.Close() }, nil
}

func waitIssues(gh *githubtest.Server, want int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for len(gh.Issues()) < want {
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out with %d of %d issues", len(gh.Issues()), want)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

// waitIdle waits until booty has no jobs waiting or running.
func waitIdle(p *process) {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		resp, err := http.Get(p.url + "/metrics")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !busy(string(b)) {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// busy reports whether booty's metrics show jobs available or running.
func busy(metrics string) bool {
	for _, line := range strings.Split(metrics, "\n") {
		if strings.HasPrefix(line, "booty_jobs{") && (strings.Contains(line, `"available"`) || strings.Contains(line, `"running"`)) &&
			!strings.HasSuffix(line, " 0") {
			return true
		}
	}
	return false
}

func duplicates(gh *githubtest.Server) int {
	seen := map[string]bool{}
	dup := 0
	for _, is := range gh.Issues() {
		i := strings.Index(is.Body, "<!-- booty:problem=")
		if i < 0 {
			continue
		}
		if seen[is.Body[i:]] {
			dup++
		}
		seen[is.Body[i:]] = true
	}
	return dup
}

func recordedRequests(dbPath string) (map[string]bool, error) {
	db, err := sql.Open("sqlite", "file:"+dbPath+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.QueryContext(context.Background(), `SELECT request_id FROM booty_deliveries`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	got := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		got[id] = true
	}
	return got, rows.Err()
}

// serveBaseline runs the bare handler: read the body under a limit, verify
// the HMAC, decode the JSON, answer.
func serveBaseline(addr string) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("{}")) })
	mux.HandleFunc("POST /webhooks/sentry", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, `{"error":"body_too_large"}`, http.StatusRequestEntityTooLarge)
			return
		}
		m := hmac.New(sha256.New, []byte(secret))
		m.Write(body)
		want := m.Sum(nil)
		got, err := hex.DecodeString(r.Header.Get("Sentry-Hook-Signature"))
		if err != nil || !hmac.Equal(got, want) {
			http.Error(w, `{"error":"invalid_signature"}`, http.StatusUnauthorized)
			return
		}
		var v map[string]any
		if err := json.Unmarshal(body, &v); err != nil {
			http.Error(w, `{"error":"invalid_payload"}`, http.StatusUnprocessableEntity)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte(`{"status":"accepted"}`))
	})
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	_ = srv.ListenAndServe()
}
