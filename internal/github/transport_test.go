package github_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"booty/internal/github"
	"booty/internal/githubtest"
	"booty/internal/metrics"
)

func TestOperation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ method, path, want string }{
		{"POST", "/repos/acme/shop/issues", "create_issue"},
		{"GET", "/repos/acme/shop/issues", "list_issues"},
		{"GET", "/repos/acme/shop/issues/12", "get_issue"},
		{"PATCH", "/repos/acme/shop/issues/12", "update_issue"},
		{"POST", "/repos/acme/shop/issues/12/comments", "create_comment"},
		{"POST", "/repos/acme/shop/pulls", "create_pull"},
		{"GET", "/repos/acme/shop/pulls", "list_pulls"},
		{"POST", "/repos/acme/shop/statuses/" + strings.Repeat("a", 40), "create_status"},
		{"GET", "/repos/acme/shop/collaborators/alice/permission", "get_permission"},
		{"GET", "/repos/acme/shop/pulls/7/files", "other"},
		{"GET", "/repos/acme/shop/issues/12/comments", "list_comments"},
		{"GET", "/repos/acme/shop/labels/agent:builder", "get_label"},
		{"GET", "/repos/acme/shop/labels/team%2Fbackend", "get_label"},
		{"POST", "/repos/acme/shop/labels", "create_label"},
		{"GET", "/repos/acme/shop", "get_repo"},
		{"GET", "/repos/acme/shop/", "get_repo"},
		{"GET", "/api/v3/repos/acme/shop/issues/7", "get_issue"},
		{"GET", "/repos/repos/repos/issues", "list_issues"},
		{"DELETE", "/repos/acme/shop/issues/12", "other"},
		{"GET", "/repos/acme/shop/issues/comments", "other"},
		{"GET", "/repos/acme/shop/issues/12/events", "other"},
		{"PATCH", "/repos/acme/shop", "other"},
		{"GET", "/user", "get_user"},
		{"GET", "/api/v3/user", "get_user"},
		{"POST", "/user", "other"},
		{"GET", "/repos/acme/user", "get_repo"},
		{"GET", "/rate_limit", "other"},
		{"GET", "/repos/acme", "other"},
		{"GET", "", "other"},
		{"GET", "/app", "get_app"},
		{"GET", "/api/v3/app", "get_app"},
		{"GET", "/repos/acme/app", "get_repo"},
		{"GET", "/repos/acme/shop/installation", "get_installation"},
		{"GET", "/repos/acme/installation", "get_repo"},
		{"GET", "/orgs/acme/installation", "get_installation"},
		{"GET", "/users/octocat/installation", "get_installation"},
		{"POST", "/app/installations/42/access_tokens", "create_installation_token"},
		{"POST", "/api/v3/app/installations/42/access_tokens", "create_installation_token"},
		{"POST", "/app/installations/x/access_tokens", "other"},
	} {
		if got := github.Operation(tc.method, tc.path); got != tc.want {
			t.Errorf("Operation(%s %s): got %q, want %q", tc.method, tc.path, got, tc.want)
		}
	}
}

// TestTransportCountsEveryCall drives the real client through the
// instrumented transport against the GitHub stand-in and reads the
// counters back.
func TestTransportCountsEveryCall(t *testing.T) {
	t.Parallel()
	const token = "ghp_transport_test_token_000000000000"
	clock := time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)
	srv := githubtest.NewServer(t, githubtest.Options{Token: token, Owner: "acme", Repo: "shop", RateLimit: 100, Now: func() time.Time { return clock }})
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	hc := &http.Client{Timeout: 10 * time.Second, Transport: github.NewTransport(nil, m)}
	c, err := github.NewClient(hc, srv.URL, token, "acme", "shop", "test")
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := c.EnsureLabel(ctx, "agent:builder"); err != nil { // get 404, create 201
		t.Fatal(err)
	}
	is, err := c.CreateIssue(ctx, "t", "b", []string{"agent:builder"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Issue(ctx, is.Number); err != nil {
		t.Fatal(err)
	}
	if err := c.Comment(ctx, is.Number, "c"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.HasComment(ctx, is.Number, "m", clock.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := c.Reopen(ctx, is.Number); err != nil {
		t.Fatal(err)
	}
	if _, err := c.FindIssues(ctx, "k", clock.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := c.CheckAccess(ctx); err != nil {
		t.Fatal(err)
	}
	srv.FailNextMatching(http.MethodGet, "/repos/acme/shop/issues/*", 1, githubtest.Status(http.StatusBadGateway))
	if _, err := c.Issue(ctx, is.Number); err == nil {
		t.Fatal("Issue: got nil, want the injected 502")
	}

	want := map[[2]string]float64{
		{"get_label", "404"}: 1, {"create_label", "201"}: 1, {"create_issue", "201"}: 1,
		{"get_issue", "200"}: 1, {"get_issue", "502"}: 1, {"create_comment", "201"}: 1,
		{"list_comments", "200"}: 1, {"update_issue", "200"}: 1, {"list_issues", "200"}: 1,
		{"get_repo", "200"}: 1, {"get_user", "200"}: 1,
	}
	got := make(map[[2]string]float64)
	for k := range want {
		got[k] = testutil.ToFloat64(m.GitHubRequests.WithLabelValues(k[0], k[1]))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requests by operation and status (-want +got):\n%s", diff)
	}
	if n := testutil.CollectAndCount(m.GitHubRequests); n != len(want) {
		t.Errorf("got %d series, want %d", n, len(want))
	}
	if got, want := testutil.ToFloat64(m.GitHubRateRemaining.WithLabelValues("core")), float64(100-11); got != want {
		t.Errorf("rate limit remaining: got %v, want %v", got, want)
	}
	if got, want := testutil.ToFloat64(m.GitHubRateReset.WithLabelValues("core")), float64(clock.Add(time.Hour).Unix()); got != want {
		t.Errorf("rate limit reset: got %v, want %v", got, want)
	}

	// No answer at all: counted as "error".
	srv.Close()
	if _, err := c.Issue(ctx, is.Number); err == nil {
		t.Fatal("Issue after close: got nil, want an error")
	}
	if got := testutil.ToFloat64(m.GitHubRequests.WithLabelValues("get_issue", "error")); got != 1 {
		t.Errorf("get_issue error: got %v, want 1", got)
	}
}
