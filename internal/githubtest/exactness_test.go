package githubtest_test

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	gh "github.com/google/go-github/v92/github"

	"booty/internal/githubtest"
)

// waitUntil polls cond every few milliseconds until it holds or d passes.
func waitUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s never happened", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestDropLabels(t *testing.T) {
	t.Parallel()
	b := setup(t, githubtest.Options{DropLabels: true})
	is := createIssue(t, b.gh, "dropped", "agent:builder")
	if len(is.Labels) != 0 {
		t.Errorf("answer labels: got %v, want none", is.Labels)
	}
	if got, _ := b.srv.Issue(is.GetNumber()); len(got.Labels) != 0 {
		t.Errorf("stored labels: got %v, want none", got.Labels)
	}
	b.srv.SetDropLabels(false)
	if is := createIssue(t, b.gh, "kept", "agent:builder"); len(is.Labels) != 1 {
		t.Errorf("labels after SetDropLabels(false): got %v, want one", is.Labels)
	}
}

func TestListByCreator(t *testing.T) {
	t.Parallel()
	b := setup(t, githubtest.Options{Issues: []githubtest.Issue{
		{Number: 1, Title: "by a person", User: "octocat"},
		{Number: 2, Title: "by the app", User: "booty[bot]"},
	}})
	createIssue(t, b.gh, "by the token")
	for _, c := range []struct {
		creator string
		want    []int
	}{
		{"", []int{3, 2, 1}},
		{githubtest.DefaultLogin, []int{3}},
		{"OCTOCAT", []int{1}},
		{"booty[bot]", []int{2}},
		{"nobody", nil},
	} {
		list, _, err := b.gh.Issues.ListByRepo(t.Context(), owner, repo, &gh.IssueListByRepoOptions{Creator: c.creator, State: "all"})
		if err != nil {
			t.Fatalf("list creator=%q: %v", c.creator, err)
		}
		var got []int
		for _, is := range list {
			got = append(got, is.GetNumber())
			if c.creator != "" && !strings.EqualFold(is.GetUser().GetLogin(), c.creator) {
				t.Errorf("creator=%q: issue %d is by %q", c.creator, is.GetNumber(), is.GetUser().GetLogin())
			}
		}
		if !slicesEqual(got, c.want) {
			t.Errorf("creator=%q: got %v, want %v", c.creator, got, c.want)
		}
	}
	if u, _, err := b.gh.Users.Get(t.Context(), ""); err != nil || u.GetLogin() != githubtest.DefaultLogin {
		t.Errorf("GET /user: got %q, %v, want %q", u.GetLogin(), err, githubtest.DefaultLogin)
	}
}

func slicesEqual(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func status410(t *testing.T, err error, msg string) {
	t.Helper()
	var er *gh.ErrorResponse
	if !errors.As(err, &er) || er.Response.StatusCode != http.StatusGone || er.Message != msg {
		t.Errorf("got %v, want 410 %q", err, msg)
	}
}

func TestGone(t *testing.T) {
	t.Parallel()
	t.Run("deleted issue", func(t *testing.T) {
		t.Parallel()
		b := setup(t, githubtest.Options{})
		is := createIssue(t, b.gh, "to delete")
		if err := b.srv.DeleteIssue(is.GetNumber()); err != nil {
			t.Fatal(err)
		}
		_, _, err := b.gh.Issues.Get(t.Context(), owner, repo, is.GetNumber())
		status410(t, err, "This issue was deleted")
		_, _, err = b.gh.Issues.CreateComment(t.Context(), owner, repo, is.GetNumber(), gh.IssueCommentRequest{Body: "x"})
		status410(t, err, "This issue was deleted")
		list, _, err := b.gh.Issues.ListByRepo(t.Context(), owner, repo, &gh.IssueListByRepoOptions{State: "all"})
		if err != nil || len(list) != 0 {
			t.Errorf("list: got %d issues, %v, want none", len(list), err)
		}
		r, _, err := b.gh.Repositories.Get(t.Context(), owner, repo)
		if err != nil || !r.GetHasIssues() {
			t.Errorf("repository: has_issues %v, %v, want true", r.GetHasIssues(), err)
		}
	})
	t.Run("issues disabled", func(t *testing.T) {
		t.Parallel()
		b := setup(t, githubtest.Options{})
		is := createIssue(t, b.gh, "before")
		b.srv.SetIssuesDisabled(true)
		_, _, err := b.gh.Issues.Get(t.Context(), owner, repo, is.GetNumber())
		status410(t, err, "Issues are disabled for this repo")
		_, _, err = b.gh.Issues.Create(t.Context(), owner, repo, gh.CreateIssueRequest{Title: "x"})
		status410(t, err, "Issues are disabled for this repo")
		r, _, err := b.gh.Repositories.Get(t.Context(), owner, repo)
		if err != nil || r.HasIssues == nil || r.GetHasIssues() {
			t.Errorf("repository: has_issues %v, %v, want false", r.HasIssues, err)
		}
		b.srv.SetIssuesDisabled(false)
		if _, _, err := b.gh.Issues.Get(t.Context(), owner, repo, is.GetNumber()); err != nil {
			t.Errorf("get after turning issues back on: %v", err)
		}
	})
}

func TestLateCommit(t *testing.T) {
	t.Parallel()
	s := githubtest.NewServer(t, githubtest.Options{Token: testToken, Owner: owner, Repo: repo})
	hold := 3 * time.Second
	s.FailNextMatching("POST", "/repos/acme/shop/issues", 1, githubtest.LateCommit(hold))
	c, err := gh.NewClient(gh.WithAuthToken(testToken), gh.WithURLs(&s.URL, nil),
		gh.WithHTTPClient(&http.Client{Timeout: time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, _, err := c.Issues.Create(t.Context(), owner, repo, gh.CreateIssueRequest{Title: "late"}); err == nil {
		t.Fatal("create: got an answer, want the client's timeout")
	}
	// Held: not there yet, for lists as for the snapshot.
	if n := len(s.Issues()); n != 0 && time.Since(start) < hold {
		t.Fatalf("got %d issues while the create is held, want 0", n)
	}
	waitUntil(t, 10*time.Second, "the late commit", func() bool { return len(s.Issues()) == 1 })
	if d := time.Since(start); d < hold {
		t.Errorf("committed after %s, want after the hold of %s", d, hold)
	}
	if got := s.Issues()[0].Title; got != "late" {
		t.Errorf("title: got %q, want late", got)
	}
}

func TestCommitThenAnswer(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, body string
		decodeErr  bool
	}{
		{"empty object", "{}", false},
		{"empty body", "", false},
		{"malformed", `{"number":`, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, githubtest.Options{})
			b.srv.FailNextMatching("POST", "/repos/acme/shop/issues", 1, githubtest.CommitThenAnswer(201, c.body))
			is, resp, err := b.gh.Issues.Create(t.Context(), owner, repo, gh.CreateIssueRequest{Title: "x"})
			if resp == nil || resp.StatusCode != http.StatusCreated {
				t.Fatalf("got %v, %v, want a 201", resp, err)
			}
			if (err != nil) != c.decodeErr {
				t.Errorf("error: got %v, want one: %t", err, c.decodeErr)
			}
			if is.GetNumber() != 0 {
				t.Errorf("number: got %d, want none", is.GetNumber())
			}
			if n := len(b.srv.Issues()); n != 1 {
				t.Errorf("got %d issues, want the created one", n)
			}
		})
	}
}

func TestOversized(t *testing.T) {
	t.Parallel()
	b := setup(t, githubtest.Options{})
	const size = 5 << 20
	b.srv.FailNextMatching("GET", "/repos/acme/shop/issues", 1, githubtest.Oversized(size))
	req, _ := http.NewRequestWithContext(t.Context(), "GET", b.srv.URL+"repos/acme/shop/issues", nil)
	req.Header = authHeader()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil || n != size {
		t.Errorf("read %d bytes, %v, want %d", n, err, size)
	}
	if len(b.srv.Issues()) != 0 {
		t.Error("an oversized answer performed the request")
	}
}

func TestControlToggles(t *testing.T) {
	t.Parallel()
	b := setup(t, githubtest.Options{})
	is := createIssue(t, b.gh, "one", "agent:builder", "bug")
	n := is.GetNumber()
	for _, c := range []struct{ method, path string }{
		{"DELETE", "/_standin/issues/1/labels/agent:builder"},
		{"POST", "/_standin/issues/1/close"},
		{"POST", "/_standin/issues/1/reopen"},
		{"POST", "/_standin/drop-labels?on=1"},
		{"POST", "/_standin/issues-disabled?on=1"},
	} {
		if resp, body := raw(t, b.srv, c.method, c.path, "", nil); resp.StatusCode != http.StatusOK {
			t.Errorf("%s %s: got %d %s, want 200", c.method, c.path, resp.StatusCode, body)
		}
	}
	got, _ := b.srv.Issue(n)
	if len(got.Labels) != 1 || got.Labels[0] != "bug" || got.State != "open" || got.StateReason != "reopened" {
		t.Errorf("issue after the control calls: %+v", got)
	}
	if _, _, err := b.gh.Issues.Get(t.Context(), owner, repo, n); err == nil {
		t.Error("get with issues disabled: got nil error, want 410")
	}
	raw(t, b.srv, "POST", "/_standin/issues-disabled?on=0", "", nil)
	if is := createIssue(t, b.gh, "two", "bug"); len(is.Labels) != 0 {
		t.Errorf("labels with drop-labels on: got %v, want none", is.Labels)
	}
	if resp, _ := raw(t, b.srv, "POST", "/_standin/issues/1/delete", "", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("delete: got %d", resp.StatusCode)
	}
	if got, _ := b.srv.Issue(n); !got.Deleted {
		t.Error("issue not deleted")
	}
	if resp, _ := raw(t, b.srv, "POST", "/_standin/issues/99/delete", "", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("delete of a missing issue: got %d, want 404", resp.StatusCode)
	}
}
