package main

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"booty/internal/githubtest"
	"booty/internal/storetest"
	"booty/internal/worker"
)

// pgCount runs query on the test database and returns its single int.
func pgCount(t *testing.T, dbURL, query string, args ...any) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.WithoutCancel(ctx))
	var n int
	if err := c.QueryRow(ctx, query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// sendAll sends ds with 8 concurrent senders, ds[i] to urls[i%len(urls)],
// and returns each answer's status (0: none).
func sendAll(ds []delivery, urls ...string) []int {
	status := make([]int, len(ds))
	next := make(chan int)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := range next {
				status[i] = send(urls[i%len(urls)], ds[i])
			}
		})
	}
	for i := range ds {
		next <- i
	}
	close(next)
	wg.Wait()
	return status
}

// TestReplicas runs two booty processes on one PostgreSQL database behind no
// balancer at all: every delivery goes to one replica and its redelivery to
// the other, as Sentry's retries and several alert rules firing on one
// event do. One replica is killed with jobs running, and the survivor must
// finish them: exactly one issue per problem, and nothing answered 2xx lost.
func TestReplicas(t *testing.T) {
	t.Parallel()
	dbURL := storetest.PostgresURL(t)
	gh := githubtest.NewServer(t, githubtest.Options{Token: testToken, Owner: "acme", Repo: "shop"})
	env := bootyEnv(gh.URL, dbURL)
	a := startBooty(t, env, "")
	b := startBooty(t, env, "")

	// Phase 1: both replicas take every delivery, in opposite order.
	const problems, events = 20, 3
	first := deliveries(t, problems, events)
	var twice []delivery
	for _, d := range first {
		twice = append(twice, d, d)
	}
	for i, s := range sendAll(twice, a.url, b.url) {
		if s/100 != 2 {
			t.Fatalf("delivery %d (%s): status %d", i, twice[i].requestID, s)
		}
	}

	// Phase 2: GitHub holds every create for a while, as it does under
	// load, and commits it whatever the client does; new problems go to a,
	// which is killed once it is running one of their jobs.
	gh.FailNextMatching("POST", "/repos/acme/shop/issues", 1000, githubtest.LateCommit(5*time.Second))
	more := deliveries(t, problems+10, 1)[problems:]
	status := sendAll(more, a.url)
	for i, s := range status {
		if s/100 != 2 {
			t.Fatalf("delivery %s to a: status %d", more[i].requestID, s)
		}
	}
	replicaA := "-" + strconv.Itoa(a.PID())
	runningOnA := `SELECT count(*) FROM river_job WHERE state = 'running' AND kind = 'github_issue'
		AND attempted_by[array_length(attempted_by, 1)] LIKE '%' || $1`
	waitFor(t, 30*time.Second, "a to run a job", func() bool { return pgCount(t, dbURL, runningOnA, replicaA) > 0 })
	a.kill()
	killed := time.Now()
	orphans := pgCount(t, dbURL, runningOnA, replicaA)
	t.Logf("killed replica a with %d jobs running", orphans)

	// Phase 3: the rest go to the survivor, which also finishes a's jobs
	// once River's rescuer hands them over.
	third := deliveries(t, problems+20, 1)[problems+10:]
	for i, s := range sendAll(third, b.url) {
		if s/100 != 2 {
			t.Fatalf("delivery %s to b: status %d", third[i].requestID, s)
		}
	}
	waitJobsDone(t, b, worker.RescueAfter+time.Minute+30*time.Second)
	if left := pgCount(t, dbURL, runningOnA, replicaA); left != 0 {
		t.Errorf("%d of a's jobs still running after the survivor finished", left)
	}
	t.Logf("the survivor finished every job %s after the kill", time.Since(killed).Round(time.Second))
	checkOneIssueEach(t, gh, problems+20)

	recorded := recordedRequests(t, dbURL)
	for _, d := range append(append(first, more...), third...) {
		if !recorded[d.requestID] {
			t.Errorf("delivery %s was answered 2xx but is not in the store", d.requestID)
		}
	}
}
