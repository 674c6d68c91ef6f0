package github_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"booty/internal/github"
	"booty/internal/githubtest"
	"booty/internal/metrics"
)

const clientToken = "ghp_client_test_token_0000000000000"

func newTestClient(t *testing.T, srv *githubtest.Server, rt http.RoundTripper) *github.Client {
	t.Helper()
	c, err := github.NewClient(&http.Client{Timeout: 10 * time.Second, Transport: rt}, srv.URL, clientToken, "acme", "app", "test")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func numbers(is []github.Issue) []int {
	var out []int
	for _, i := range is {
		out = append(out, i.Number)
	}
	return out
}

// TestFindRecentIssuesReadsOnePage: the duplicate check after each write
// reads one page, the lookup before a retried create all of them.
func TestFindRecentIssuesReadsOnePage(t *testing.T) {
	t.Parallel()
	key := "sentry:79"
	var issues []githubtest.Issue
	for i := 1; i <= 120; i++ {
		issues = append(issues, githubtest.Issue{Number: i, Title: "t", Body: "body\n" + github.Marker(fmt.Sprintf("sentry:%d", 1000+i))})
	}
	issues = append(issues, githubtest.Issue{Number: 121, Title: "t", Body: "body\n" + github.Marker(key)},
		githubtest.Issue{Number: 122, Title: "t", Body: "body\n" + github.Marker(key)})
	srv := githubtest.NewServer(t, githubtest.Options{Token: clientToken, Owner: "acme", Repo: "app", Issues: issues})
	c := newTestClient(t, srv, nil)
	got, err := c.FindRecentIssues(t.Context(), key, time.Time{})
	if err != nil || !cmp.Equal([]int{121, 122}, numbers(got)) {
		t.Errorf("FindRecentIssues: got %v, %v, want [121 122]", numbers(got), err)
	}
	if n := srv.Count("GET", "/repos/acme/app/issues"); n != 1 {
		t.Errorf("FindRecentIssues listed %d pages, want 1", n)
	}
	if _, err := c.FindIssues(t.Context(), key, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if n := srv.Count("GET", "/repos/acme/app/issues"); n != 1+3 {
		t.Errorf("FindIssues listed %d pages, want all 3 of 122 issues", n-1)
	}
}

// TestFindIssuesByCreator looks the marker up among the issues booty's
// identity created, labelled or not, and only those.
func TestFindIssuesByCreator(t *testing.T) {
	t.Parallel()
	key := "sentry:77"
	m := "body\n" + github.Marker(key)
	srv := githubtest.NewServer(t, githubtest.Options{Token: clientToken, Owner: "acme", Repo: "app", Issues: []githubtest.Issue{
		{Number: 1, Title: "labelled", Body: m, Labels: []string{"agent:builder"}},
		{Number: 2, Title: "by a person", Body: m, User: "octocat"},
		{Number: 3, Title: "unlabelled", Body: m},
		{Number: 4, Title: "other problem", Body: "body\n" + github.Marker("sentry:78")},
		{Number: 5, Title: "no marker", Body: "body"},
		{Number: 6, Title: "by the app", Body: m, User: "booty[bot]"},
	}})
	c := newTestClient(t, srv, nil)
	for range 2 {
		got, err := c.FindIssues(t.Context(), key, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]int{1, 3}, numbers(got)); diff != "" {
			t.Errorf("FindIssues (-want +got):\n%s", diff)
		}
		if got[0].URL != "https://github.com/acme/app/issues/1" || got[0].ProblemKey != key {
			t.Errorf("issue: got %+v, want its html_url and key", got[0])
		}
	}
	if n := srv.Count("GET", "/user"); n != 1 {
		t.Errorf("GET /user: got %d calls, want 1 (the login is kept)", n)
	}

	app := newTestClient(t, srv, nil)
	app.SetCreator("booty[bot]")
	got, err := app.FindIssues(t.Context(), key, time.Time{})
	if err != nil || !cmp.Equal([]int{6}, numbers(got)) {
		t.Errorf("FindIssues as booty[bot]: got %v, %v, want [6]", numbers(got), err)
	}
	if n := srv.Count("GET", "/user"); n != 1 {
		t.Errorf("GET /user with a creator given: got %d calls in all, want still 1", n)
	}
}

func TestCreateIssueOutcome(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name  string
		fault githubtest.Fault
		want  error
	}{
		{"created without a number", githubtest.CommitThenAnswer(201, "{}"), github.ErrOutcomeUnknown},
		{"created, empty answer", githubtest.CommitThenAnswer(201, ""), github.ErrOutcomeUnknown},
		{"created, malformed answer", githubtest.CommitThenAnswer(201, `{"number":`), github.ErrOutcomeUnknown},
		{"committed then 502", githubtest.CommitThenFail(502), github.ErrOutcomeUnknown},
		{"issues disabled", githubtest.Status(410), github.ErrIssuesDisabled},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			srv := githubtest.NewServer(t, githubtest.Options{Token: clientToken, Owner: "acme", Repo: "app"})
			srv.FailNextMatching("POST", "/repos/acme/app/issues", 1, c.fault)
			is, err := newTestClient(t, srv, nil).CreateIssue(t.Context(), "t", "b", nil)
			if !errors.Is(err, c.want) {
				t.Errorf("CreateIssue: got %+v, %v, want %v", is, err, c.want)
			}
		})
	}
}

// TestGone tells GitHub's two 410s apart by the repository's has_issues.
func TestGone(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		set  func(*githubtest.Server)
		want error
	}{
		{"deleted issue", func(s *githubtest.Server) { _ = s.DeleteIssue(1) }, github.ErrIssueGone},
		{"issues disabled", func(s *githubtest.Server) { s.SetIssuesDisabled(true) }, github.ErrIssuesDisabled},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			srv := githubtest.NewServer(t, githubtest.Options{Token: clientToken, Owner: "acme", Repo: "app", Issues: []githubtest.Issue{{Number: 1, Title: "t"}}})
			c.set(srv)
			cl := newTestClient(t, srv, nil)
			_, err := cl.Issue(t.Context(), 1)
			if !errors.Is(err, c.want) {
				t.Errorf("Issue: got %v, want %v", err, c.want)
			}
			if f := github.Classify(err, time.Now()); f.Class != github.Permanent || f.Status != 410 {
				t.Errorf("Classify: got %+v, want permanent 410", f)
			}
			if err := cl.Comment(t.Context(), 1, "x"); !errors.Is(err, c.want) {
				t.Errorf("Comment: got %v, want %v", err, c.want)
			}
			// Without the repository, booty cannot tell: it retries.
			srv.FailNextMatching("GET", "/repos/acme/app", 1, githubtest.Status(502))
			_, err = cl.Issue(t.Context(), 1)
			if f := github.Classify(err, time.Now()); f.Class != github.Retry {
				t.Errorf("Issue with the repository unreadable: got %v (%+v), want a retry", err, f)
			}
		})
	}
}

func TestCloseDuplicate(t *testing.T) {
	t.Parallel()
	srv := githubtest.NewServer(t, githubtest.Options{Token: clientToken, Owner: "acme", Repo: "app", Issues: []githubtest.Issue{{Number: 1, Title: "a"}, {Number: 2, Title: "b"}}})
	if err := newTestClient(t, srv, nil).CloseDuplicate(t.Context(), 2, 1); err != nil {
		t.Fatal(err)
	}
	is, _ := srv.Issue(2)
	if is.State != "closed" || is.StateReason != "duplicate" || len(is.Comments) != 1 || !strings.Contains(is.Comments[0], "#1") {
		t.Errorf("issue 2: got %+v, want closed as a duplicate with a comment linking #1", is)
	}
}

// countingTransport counts the bytes read from the network.
type countingTransport struct{ n atomic.Int64 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil {
		resp.Body = &countingBody{ReadCloser: resp.Body, n: &c.n}
	}
	return resp, err
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

// TestTransportCapsAnswers: an answer of 1 GiB is cut at the cap, and booty
// reads no further than that from the network.
func TestTransportCapsAnswers(t *testing.T) {
	t.Parallel()
	const limit = 1 << 20
	for _, c := range []struct {
		method, path string
		call         func(*github.Client) error
		unknown      bool
	}{
		{"GET", "/repos/acme/app/issues", func(c *github.Client) error {
			_, err := c.FindIssues(t.Context(), "k", time.Time{})
			return err
		}, false},
		{"POST", "/repos/acme/app/issues", func(c *github.Client) error {
			_, err := c.CreateIssue(t.Context(), "t", "b", nil)
			return err
		}, true},
	} {
		t.Run(c.method, func(t *testing.T) {
			t.Parallel()
			srv := githubtest.NewServer(t, githubtest.Options{Token: clientToken, Owner: "acme", Repo: "app"})
			srv.FailNextMatching(c.method, c.path, 1, githubtest.Oversized(1<<30))
			count := &countingTransport{}
			obs := metrics.New(prometheus.NewRegistry())
			cl := newTestClient(t, srv, github.NewTransportLimit(count, obs, limit))
			err := c.call(cl)
			if !errors.Is(err, github.ErrAnswerTooLarge) {
				t.Fatalf("got %v, want ErrAnswerTooLarge", err)
			}
			if f := github.Classify(err, time.Now()); f.Class != github.Retry {
				t.Errorf("Classify: got %+v, want a retry", f)
			}
			if errors.Is(err, github.ErrOutcomeUnknown) != c.unknown {
				t.Errorf("outcome unknown: got %t, want %t", !c.unknown, c.unknown)
			}
			// The cap plus what one read may bring beyond it (GET /user
			// is a few hundred bytes).
			if n := count.n.Load(); n > limit+64<<10 {
				t.Errorf("read %d bytes from the network, want at most the cap %d and one buffer", n, limit)
			}
		})
	}
}

func TestMarkerKey(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		body, want string
		ok         bool
	}{
		{"text\n" + github.Marker("sentry:1"), "sentry:1", true},
		{"text\r\n" + github.Marker("sentry:1") + "\r\n", "sentry:1", true},
		{github.Marker("a b<!--") + "\n", "a b<!--", true},
		{"quoted " + github.Marker("sentry:1"), "", false},
		{"<!-- booty:problem=sentry%3a1 -->", "", false}, // not how booty spells it
		{"<!-- booty:problem= -->", "", false},
		{"<!-- booty:problem=%zz -->", "", false},
		{"no marker", "", false},
	} {
		got, ok := github.MarkerKey(c.body)
		if got != c.want || ok != c.ok {
			t.Errorf("MarkerKey(%q): got %q, %t, want %q, %t", c.body, got, ok, c.want, c.ok)
		}
	}
}

// FuzzMarkerKey: whatever a body holds, a key MarkerKey finds is one whose
// marker the body carries, as ContainsMarker sees it.
func FuzzMarkerKey(f *testing.F) {
	for _, s := range []string{"x\n" + github.Marker("sentry:1"), github.Marker("a%b c"), "<!-- booty:problem=%41 -->", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		key, ok := github.MarkerKey(body)
		if !ok {
			if key != "" {
				t.Errorf("MarkerKey(%q): key %q without ok", body, key)
			}
			return
		}
		if !github.ContainsMarker(body, key) {
			t.Errorf("MarkerKey(%q) = %q, which ContainsMarker does not find", body, key)
		}
	})
}
