package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"booty/internal/github"
	"booty/internal/githubtest"
	"booty/internal/server"
)

type healthAnswer struct {
	Status        string  `json:"status"`
	Version       string  `json:"version"`
	Release       string  `json:"release"`
	Environment   string  `json:"environment"`
	UptimeSeconds int64   `json:"uptime_s"`
	Store         string  `json:"store"`
	Backend       string  `json:"backend"`
	Replica       string  `json:"replica"`
	ParkedJobs    int     `json:"parked_jobs"`
	LastWebhookAt *string `json:"last_webhook_at"`
	GitHub        string  `json:"github"`
	Error         string  `json:"error"`
}

// githubAccess returns the GitHub stand-in and a real client of it
// authenticated with token.
func githubAccess(t *testing.T, token string, opts githubtest.Options) (*githubtest.Server, *github.Client) {
	t.Helper()
	opts.Token, opts.Owner, opts.Repo = testToken, "acme", "shop"
	srv := githubtest.NewServer(t, opts)
	c, err := github.NewClient(&http.Client{Timeout: 10 * time.Second}, srv.URL, token, "acme", "shop", "test")
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

func TestHealthFields(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{opts: server.Options{Environment: "staging", Backend: "sqlite", Replica: "web-1-4242"}})
	rec := b.do(t, http.MethodGet, "/health", nil, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("got %d %s, want 200", rec.Code, rec.Body)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(rec.Body.Bytes(), &keys); err != nil {
		t.Fatal(err)
	}
	var got []string
	for k := range keys {
		got = append(got, k)
	}
	slices.Sort(got)
	want := []string{"backend", "environment", "last_webhook_at", "parked_jobs", "release", "replica", "status", "store", "storms", "uptime_s", "version"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	wantBody := healthAnswer{Status: "ok", Version: "v-test", Release: "rel-7", Environment: "staging", UptimeSeconds: 90, Store: "ok",
		Backend: "sqlite", Replica: "web-1-4242"}
	if diff := cmp.Diff(wantBody, decode[healthAnswer](t, rec)); diff != "" {
		t.Errorf("health (-want +got):\n%s", diff)
	}

	// A delivery sets last_webhook_at.
	body := fixture(t, "event_alert.triggered.json")
	if rec := b.do(t, http.MethodPost, "/webhooks/sentry", body, webhookHeader(testSecret, "event_alert", body)); rec.Code != http.StatusAccepted {
		t.Fatalf("webhook: got %d %s, want 202", rec.Code, rec.Body)
	}
	h := decode[healthAnswer](t, b.do(t, http.MethodGet, "/health", nil, nil))
	if want := b.clock.Now().Format(time.RFC3339); h.LastWebhookAt == nil || *h.LastWebhookAt != want {
		t.Errorf("last_webhook_at: got %v, want %s", h.LastWebhookAt, want)
	}
}

func TestHealthStoreUnreachable(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	b.st.Close()
	rec := b.do(t, http.MethodGet, "/health", nil, nil)
	got := decode[healthAnswer](t, rec)
	if rec.Code != http.StatusServiceUnavailable || got.Status != "unavailable" || got.Store != "unreachable" || got.Error != "store unreachable" {
		t.Errorf("got %d %+v, want 503 with the store unreachable", rec.Code, got)
	}
}

// TestHealthDeepIsCached makes two deep checks within a minute and one after:
// GitHub sees two requests, not three.
func TestHealthDeepIsCached(t *testing.T) {
	t.Parallel()
	gh, access := githubAccess(t, testToken, githubtest.Options{})
	b := setup(t, setupOptions{opts: server.Options{GitHub: access}})
	const repoPath = "/repos/acme/shop"
	for i, step := range []struct {
		advance   time.Duration
		wantCalls int
	}{{0, 1}, {59 * time.Second, 1}, {2 * time.Second, 2}, {30 * time.Second, 2}} {
		b.clock.Advance(step.advance)
		rec := b.do(t, http.MethodGet, "/health?deep=1", nil, nil)
		got := decode[healthAnswer](t, rec)
		if rec.Code != http.StatusOK || got.GitHub != "ok" || got.Status != "ok" {
			t.Errorf("check %d: got %d %+v, want 200 with github ok", i+1, rec.Code, got)
		}
		if n := gh.Count(http.MethodGet, repoPath); n != step.wantCalls {
			t.Errorf("check %d: GitHub got %d GET %s, want %d", i+1, n, repoPath, step.wantCalls)
		}
	}
	// A plain check never calls GitHub.
	b.do(t, http.MethodGet, "/health", nil, nil)
	b.clock.Advance(time.Hour)
	if got := decode[healthAnswer](t, b.do(t, http.MethodGet, "/health", nil, nil)); got.GitHub != "" {
		t.Errorf("plain check: github %q, want none", got.GitHub)
	}
	if n := gh.Count(http.MethodGet, repoPath); n != 2 {
		t.Errorf("after plain checks: %d GitHub calls, want 2", n)
	}
}

func TestHealthDeepFailures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		token  string
		opts   githubtest.Options
		reason string
	}{
		{"bad token", "ghp_WrongWrongWrongWrongWrongWrong0000", githubtest.Options{}, "401 Bad credentials"},
		{"read-only token", testToken, githubtest.Options{ReadOnly: true}, "token cannot write issues to acme/shop"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			gh, access := githubAccess(t, tc.token, tc.opts)
			b := setup(t, setupOptions{opts: server.Options{GitHub: access}})
			for i := range 2 {
				rec := b.do(t, http.MethodGet, "/health?deep=1", nil, nil)
				got := decode[healthAnswer](t, rec)
				if rec.Code != http.StatusServiceUnavailable || got.Status != "unavailable" || got.GitHub != "failed" || got.Store != "ok" {
					t.Errorf("check %d: got %d %+v, want 503 with github failed", i+1, rec.Code, got)
				}
				if !strings.HasPrefix(got.Error, "github: ") || !strings.Contains(got.Error, tc.reason) {
					t.Errorf("check %d: reason %q, want it to say %q", i+1, got.Error, tc.reason)
				}
				if leaks := contains(rec.Body.String()+b.logs.String(), tc.token, testToken); len(leaks) > 0 {
					t.Errorf("token in the answer or the logs: %q", leaks)
				}
			}
			// The failure is cached like success.
			if n := gh.Count(http.MethodGet, "/repos/acme/shop"); n != 1 {
				t.Errorf("GitHub got %d calls, want 1", n)
			}
			// The plain check stays healthy: GitHub is not its business.
			if rec := b.do(t, http.MethodGet, "/health", nil, nil); rec.Code != http.StatusOK {
				t.Errorf("plain check: got %d, want 200", rec.Code)
			}
		})
	}
}

func TestHealthDeepDryRun(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	rec := b.do(t, http.MethodGet, "/health?deep=1", nil, nil)
	got := decode[healthAnswer](t, rec)
	if rec.Code != http.StatusOK || got.GitHub != "dry_run" || got.Status != "ok" {
		t.Errorf("got %d %+v, want 200 with github dry_run", rec.Code, got)
	}
}

// TestHealthFailingWrites makes the store refuse writes while it still
// answers reads: webhooks get 503 and so does health, until a write
// commits again.
func TestHealthFailingWrites(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		fail    func(t *testing.T, b *bundle)
		recover func(t *testing.T, b *bundle) // nil: writes never come back
		want    string
	}{
		{
			name: "disk full",
			fail: func(t *testing.T, b *bundle) {
				var pages int
				if err := b.st.DB().QueryRowContext(t.Context(), `PRAGMA page_count`).Scan(&pages); err != nil {
					t.Fatal(err)
				}
				// SQLite answers SQLITE_FULL at the page limit, as on a full
				// disk; filler takes the free space left below it.
				exec(t, b, `CREATE TABLE filler (b BLOB)`)
				exec(t, b, fmt.Sprintf(`PRAGMA max_page_count = %d`, pages+1))
				for i := 0; ; i++ {
					if _, err := b.st.DB().ExecContext(t.Context(), `INSERT INTO filler VALUES (zeroblob(512))`); err != nil {
						break
					}
					if i > 100_000 {
						t.Fatal("the database never filled up")
					}
				}
			},
			recover: func(t *testing.T, b *bundle) { exec(t, b, `PRAGMA max_page_count = 1073741823`) },
			want:    "failing writes: write: ",
		},
		{
			name: "database deleted",
			fail: func(t *testing.T, b *bundle) {
				if err := os.Remove(b.st.Path()); err != nil {
					t.Fatal(err)
				}
			},
			want: "failing writes: database file lost: ",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, setupOptions{})
			if rec := b.do(t, http.MethodGet, "/health", nil, nil); rec.Code != http.StatusOK {
				t.Fatalf("health before: got %d %s, want 200", rec.Code, rec.Body)
			}
			tc.fail(t, b)
			body := fixture(t, "event_alert.triggered.vue-breadcrumbs-zulip-2023.json")
			if rec := b.do(t, http.MethodPost, "/webhooks/sentry", body, webhookHeader(testSecret, "event_alert", body)); rec.Code != http.StatusServiceUnavailable {
				t.Fatalf("webhook while writes fail: got %d %s, want 503", rec.Code, rec.Body)
			}
			rec := b.do(t, http.MethodGet, "/health", nil, nil)
			got := decode[healthAnswer](t, rec)
			if rec.Code != http.StatusServiceUnavailable || got.Status != "unavailable" || !strings.HasPrefix(got.Store, tc.want) || got.Error != got.Store {
				t.Fatalf("health while writes fail: got %d %+v, want 503 with store %q…", rec.Code, got, tc.want)
			}
			// The README's alert on refused deliveries counts this series.
			const refused = `booty_webhook_deliveries_total{outcome="unavailable",resource="event_alert"} 1`
			if m := b.do(t, http.MethodGet, "/metrics", nil, nil).Body.String(); !strings.Contains(m, refused) {
				t.Errorf("/metrics lacks %q:\n%s", refused, m)
			}
			if tc.recover == nil {
				return
			}
			tc.recover(t, b)
			if rec := b.do(t, http.MethodPost, "/webhooks/sentry", body, webhookHeader(testSecret, "event_alert", body)); rec.Code != http.StatusAccepted {
				t.Fatalf("webhook after recovery: got %d %s, want 202", rec.Code, rec.Body)
			}
			if rec := b.do(t, http.MethodGet, "/health", nil, nil); rec.Code != http.StatusOK {
				t.Errorf("health after a good commit: got %d %s, want 200", rec.Code, rec.Body)
			}
		})
	}
}

func exec(t *testing.T, b *bundle, q string) {
	t.Helper()
	if _, err := b.st.DB().ExecContext(t.Context(), q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}
