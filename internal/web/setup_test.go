package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"booty/internal/alert"
	"booty/internal/store"
	"booty/internal/storetest"
	"booty/internal/web"
)

// testToken is the status token of the tests.
const testToken = "s3cret-status-token"

// base is a time the store keeps exactly: it stores milliseconds.
var base = time.Date(2026, 3, 14, 15, 9, 26, 535_000_000, time.UTC)

// Titles from webhooks that must stay text on the page.
const (
	scriptTitle = `<script>alert(1)</script> and @octocat`
	imgTitle    = `<img src=x onerror="window.__pwned=1">`
)

// extraProblems is how many plain problems seed adds after the named ones,
// enough for a second page.
const extraProblems = 55

// seeded is what seed stored.
type seeded struct {
	st  *store.Store
	url string // the test server's
	// build is a finished build run of sentry:1, verify a verify run of
	// its pull request still running.
	build, verify int64
}

// The seeded runs' texts.
const (
	runLog    = "go test ./...\nok  \tacme/shop\n<script>window.__pwned=1</script>\n"
	runDetail = "opened pull request #9 <b>bold</b>"
	headSHA   = "0123456789abcdef0123456789abcdef01234567"
)

// The named problems seed stores, newest first.
var namedProblems = []alert.Problem{
	{Key: "sentry:1", Title: scriptTitle, Route: "default", FirstSeen: base, LastSeen: base.Add(time.Hour), Count: 3,
		IssueNumber: 5, Link: "https://acme.sentry.io/issues/1/", Level: "error", Release: "shop@1.2.0"},
	{Key: "sentry:2", Title: imgTitle, Route: "web", Repo: "acme/web", FirstSeen: base, LastSeen: base.Add(59 * time.Minute),
		Count: 1, IssueNumber: 7, IssueClosed: true, IssueClosedAt: base.Add(time.Minute), IssueCloseReason: "completed",
		Link: "javascript:alert(2)"},
	{Key: "sentry:3", Title: "Waiting for its issue", Route: "default", FirstSeen: base, LastSeen: base.Add(58 * time.Minute), Count: 1},
	{Key: "sentry:4", Title: "Folded in a storm", Route: "web", Repo: "acme/web", FirstSeen: base, LastSeen: base.Add(57 * time.Minute),
		Count: 2, DigestID: 1},
}

// seed fills a new SQLite store through the store's own API and serves
// the status handler over it.
func seed(t *testing.T) seeded {
	t.Helper()
	return seedOn(t, storetest.SQLiteURL(t))
}

// eachBackend runs test over a seeded store of each backend, in parallel
// subtests.
func eachBackend(t *testing.T, test func(t *testing.T, s seeded)) {
	t.Helper()
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			test(t, seedOn(t, b.URL(t)))
		})
	}
}

// seedOn is seed on the database dbURL names.
func seedOn(t *testing.T, dbURL string) seeded {
	t.Helper()
	ctx := t.Context()
	st, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	err = st.Transact(ctx, func(tx *store.Tx) error {
		ps := append([]alert.Problem{}, namedProblems...)
		for i := range extraProblems {
			ps = append(ps, alert.Problem{Key: fmt.Sprintf("sentry:%d", 100+i), Title: fmt.Sprintf("Plain problem %d", i),
				Route: "default", FirstSeen: base, LastSeen: base.Add(time.Duration(-i) * time.Minute), Count: 1})
		}
		for _, p := range ps {
			if err := tx.SaveProblem(ctx, alert.Problem{}, p); err != nil {
				return err
			}
		}
		for i, d := range []struct {
			key, event, decision string
			at                   time.Duration
		}{
			{"sentry:1", "e1", "create", 0},
			{"sentry:1", "e2", "duplicate", time.Minute},
			{"sentry:2", "e3", "create", 2 * time.Minute},
		} {
			rec := store.Delivery{ReceivedAt: base.Add(d.at), RequestID: fmt.Sprintf("req-%d", i), Resource: "event_alert",
				Action: "triggered", ProblemKey: d.key, EventID: d.event, Route: "default"}
			if err := tx.RecordDelivery(ctx, rec, d.decision, 0); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	build, verify := seedRuns(t, st)
	h := web.New(web.Options{
		Store: st, Token: testToken, Version: "v1.2.3", Release: "booty@abc", Environment: "test", Backend: "sqlite",
		DefaultRepo: "acme/shop", WebHost: "https://github.com", Now: func() time.Time { return base.Add(2 * time.Hour) },
		Storms: func(context.Context) ([]string, error) { return []string{"web"}, nil },
		Parked: func(context.Context) ([]web.ParkedJob, error) {
			return []web.ParkedJob{{ID: 42, ProblemKey: "sentry:3", Action: "create", State: "discarded", LastError: "<b>GitHub 422</b>"}}, nil
		},
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return seeded{st: st, url: srv.URL, build: build, verify: verify}
}

// seedRuns stores a build of sentry:1's issue that opened a pull request,
// and the verify of it, running.
func seedRuns(t *testing.T, st *store.Store) (build, verify int64) {
	t.Helper()
	ctx := t.Context()
	build, err := st.StartRun(ctx, store.Run{Kind: store.RunBuild, JobID: 70, ProblemKey: "sentry:1", Repo: "acme/shop", Issue: 5,
		Attempt: 1, SHA: "fedcba9876543210fedcba9876543210fedcba98", StartedAt: base.Add(10 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.FinishRun(ctx, build, store.RunEnd{Outcome: "pull_opened", Detail: runDetail, Log: runLog, SHA: headSHA, Pull: 9,
		At: base.Add(12*time.Minute + 30*time.Second)}); err != nil {
		t.Fatal(err)
	}
	verify, err = st.StartRun(ctx, store.Run{Kind: store.RunVerify, JobID: 71, ProblemKey: "sentry:1", Repo: "acme/shop", Issue: 5,
		Pull: 9, Attempt: 2, SHA: headSHA, StartedAt: base.Add(13 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	return build, verify
}

// get fetches path with the right password and returns the status and body.
func (s seeded) get(t *testing.T, path string) (int, string) {
	t.Helper()
	res := s.do(t, http.MethodGet, path, "booty", testToken)
	return res.StatusCode, readBody(t, res)
}

// do sends a request as user with password ("" user: no credentials).
func (s seeded) do(t *testing.T, method, path, user, password string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, s.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func readBody(t *testing.T, res *http.Response) string {
	t.Helper()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// rows counts the problem links on a page of the list.
func rows(body string) int { return strings.Count(body, `class="problem"`) }
