package main

import (
	"bytes"
	"database/sql"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"booty/internal/githubtest"
	"booty/internal/sentry"
)

func bootyEnv(gh *githubtest.Server, dbPath string) []string {
	return []string{
		"SENTRY_WEBHOOK_SECRET=" + testSecret,
		"GITHUB_TOKEN=" + testToken,
		"TARGET_REPO_URL=acme/shop",
		"GITHUB_API_URL=" + gh.URL,
		"BOOTY_DATABASE_URL=sqlite:" + dbPath,
		"GITHUB_WRITES_PER_MINUTE=100000",
		"GITHUB_WRITES_PER_HOUR=1000000",
		"GITHUB_WRITE_INTERVAL=0",
		"BOOTY_LOG_FORMAT=json",
	}
}

// delivery is one signed webhook the tests send, with a request id to find
// it in booty's records.
type delivery struct {
	requestID string
	issueID   string
	body      []byte
}

func deliveries(t *testing.T, problems, events int) []delivery {
	base := fixture(t, "event_alert.triggered.vue-breadcrumbs-zulip-2023.json")
	var ds []delivery
	for e := 0; e < events; e++ {
		for p := 0; p < problems; p++ {
			issueID := fmt.Sprint(9000000 + p)
			ds = append(ds, delivery{
				requestID: fmt.Sprintf("%016x%016x", p, e),
				issueID:   issueID,
				body:      withEvent(t, base, issueID, fmt.Sprintf("%032x", p*1000+e)),
			})
		}
	}
	return ds
}

// send posts d and returns the status, or 0 when no answer came.
func send(url string, d delivery) int {
	req, _ := http.NewRequest(http.MethodPost, url+"/webhooks/sentry", bytes.NewReader(d.body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Request-ID", d.requestID)
	req.Header.Set("Sentry-Hook-Resource", "event_alert")
	req.Header.Set("Sentry-Hook-Signature", sentry.Sign([]byte(testSecret), d.body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// recordedRequests returns the request ids booty recorded.
func recordedRequests(t *testing.T, dbPath string) map[string]bool {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+dbPath+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT request_id FROM booty_deliveries`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		got[id] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}

// checkOneIssueEach asserts that the stand-in holds exactly one issue per
// problem.
func checkOneIssueEach(t *testing.T, gh *githubtest.Server, problems int) {
	t.Helper()
	seen := map[string]int{}
	for _, is := range gh.Issues() {
		i := strings.Index(is.Body, "<!-- booty:problem=")
		if i < 0 {
			t.Errorf("issue %d has no marker", is.Number)
			continue
		}
		seen[is.Body[i:]]++
	}
	if len(seen) != problems {
		t.Errorf("issues for %d problems, want %d", len(seen), problems)
	}
	for marker, n := range seen {
		if n != 1 {
			t.Errorf("%d issues for %s", n, marker)
		}
	}
}

// TestCrashRecovery kills booty with SIGKILL while deliveries stream in,
// restarts it, and checks that every answered delivery was kept and every
// problem has exactly one issue.
func TestCrashRecovery(t *testing.T) {
	t.Parallel()
	gh := githubtest.NewServer(t, githubtest.Options{Token: testToken, Owner: "acme", Repo: "shop"})
	dbPath := filepath.Join(t.TempDir(), "booty.db")
	env := bootyEnv(gh, dbPath)
	addr := freeAddr(t)
	p := startBooty(t, env, addr)

	const problems, events = 40, 5
	ds := deliveries(t, problems, events)
	status := make([]int, len(ds))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				status[i] = send(p.url, ds[i])
			}
		}()
	}
	for i := range ds {
		if i == len(ds)/2 {
			p.kill()
		}
		next <- i
	}
	close(next)
	wg.Wait()

	answered := 0
	for _, s := range status {
		if s != 0 {
			answered++
		}
	}
	if answered == 0 || answered == len(ds) {
		t.Fatalf("%d of %d deliveries answered; the kill should have cut the stream", answered, len(ds))
	}

	p = startBooty(t, env, addr)
	for i, d := range ds {
		if status[i] == 0 {
			status[i] = send(p.url, d)
		}
	}
	// Every delivery is answered, so every job is on disk: once none is
	// left to run, no duplicate can still be on its way.
	waitJobsDone(t, p, time.Minute)
	checkOneIssueEach(t, gh, problems)

	recorded := recordedRequests(t, dbPath)
	for i, d := range ds {
		if status[i]/100 == 2 && !recorded[d.requestID] {
			t.Errorf("delivery %s was answered %d but is not in the store", d.requestID, status[i])
		}
	}
}

// TestGitHubDownThenUp accepts alerts while GitHub is down, survives a
// crash in the meantime, and files them once GitHub is back.
func TestGitHubDownThenUp(t *testing.T) {
	t.Parallel()
	gh := githubtest.NewServer(t, githubtest.Options{Token: testToken, Owner: "acme", Repo: "shop"})
	dbPath := filepath.Join(t.TempDir(), "booty.db")
	env := bootyEnv(gh, dbPath)
	addr := freeAddr(t)
	p := startBooty(t, env, addr)

	gh.SetDown(true)
	const problems = 5
	for _, d := range deliveries(t, problems, 1) {
		if got := send(p.url, d); got != http.StatusAccepted {
			t.Fatalf("delivery while GitHub is down: %d, want 202", got)
		}
	}
	// The worker is retrying against a GitHub that answers 503.
	waitFor(t, 10*time.Second, "GitHub calls to fail", func() bool { return gh.Count("", "/repos/acme/shop/...") > 0 })
	if n := len(gh.Issues()); n != 0 {
		t.Fatalf("%d issues while GitHub is down", n)
	}

	p.kill()
	p = startBooty(t, env, addr)
	gh.SetDown(false)
	waitJobsDone(t, p, time.Minute)
	checkOneIssueEach(t, gh, problems)
	if strings.Contains(p.logs.String(), testToken) || strings.Contains(p.logs.String(), testSecret) {
		t.Error("a secret reached booty's log")
	}
}
