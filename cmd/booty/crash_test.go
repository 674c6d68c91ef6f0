package main

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"booty/internal/githubtest"
	"booty/internal/sentry"
	"booty/internal/store"
	"booty/internal/storetest"
	"booty/internal/worker"
)

// bootyEnv is the environment of a booty serving on the database dbURL
// names, against gh, with write pacing and the storm budgets lifted: the
// tests that file many problems are about something else.
func bootyEnv(apiURL, dbURL string) []string {
	return []string{
		"SENTRY_WEBHOOK_SECRET=" + testSecret,
		"GITHUB_TOKEN=" + testToken,
		"TARGET_REPO_URL=acme/shop",
		"GITHUB_API_URL=" + apiURL,
		"BOOTY_DATABASE_URL=" + dbURL,
		"GITHUB_WRITES_PER_MINUTE=100000",
		"GITHUB_WRITES_PER_HOUR=1000000",
		"GITHUB_WRITE_INTERVAL=0",
		"BOOTY_ROUTE_BUDGET=1000000/1m",
		"BOOTY_STORM_BUDGET=1000000/1m",
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

// recordedRequests returns the request ids booty recorded in the database
// dbURL names, opened as the operator commands open it, beside whatever
// booty serves it.
func recordedRequests(t *testing.T, dbURL string) map[string]bool {
	t.Helper()
	st, err := store.OpenWith(t.Context(), dbURL, store.Options{Access: store.Operate, KeepSchema: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got := map[string]bool{}
	for _, id := range storetest.Strings(t, st, `SELECT request_id FROM booty_deliveries`) {
		got[id] = true
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

// jobsDoneAfterKill bounds the wait for a booty restarted after a kill -9
// on the database dbURL names to finish every job. On SQLite the restart
// requeues the jobs the kill cut off; on PostgreSQL another replica may be
// running them, so they wait for River's rescuer.
func jobsDoneAfterKill(dbURL string) time.Duration {
	if strings.HasPrefix(dbURL, "postgres") {
		return worker.RescueAfter + time.Minute + 30*time.Second
	}
	return time.Minute
}

// TestCrashRecovery kills booty with SIGKILL while deliveries stream in,
// restarts it, and checks that every answered delivery was kept and every
// problem has exactly one issue.
func TestCrashRecovery(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, dbURL string) {
		gh := githubtest.NewServer(t, githubtest.Options{Token: testToken, Owner: "acme", Repo: "shop"})
		env := bootyEnv(gh.URL, dbURL)
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
		waitJobsDone(t, p, jobsDoneAfterKill(dbURL))
		checkOneIssueEach(t, gh, problems)

		recorded := recordedRequests(t, dbURL)
		for i, d := range ds {
			if status[i]/100 == 2 && !recorded[d.requestID] {
				t.Errorf("delivery %s was answered %d but is not in the store", d.requestID, status[i])
			}
		}
	})
}

// TestGitHubDownThenUp accepts alerts while GitHub is down, survives a
// crash in the meantime, and files them once GitHub is back. SQLite only:
// on PostgreSQL the restart waits over a minute for River's rescuer, which
// TestCrashRecovery and TestReplicas already wait through for a kill -9.
func TestGitHubDownThenUp(t *testing.T) {
	t.Parallel()
	gh := githubtest.NewServer(t, githubtest.Options{Token: testToken, Owner: "acme", Repo: "shop"})
	dbURL := storetest.SQLiteURL(t)
	env := bootyEnv(gh.URL, dbURL)
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
	waitJobsDone(t, p, jobsDoneAfterKill(dbURL))
	checkOneIssueEach(t, gh, problems)
	if strings.Contains(p.logs.String(), testToken) || strings.Contains(p.logs.String(), testSecret) {
		t.Error("a secret reached booty's log")
	}
}
