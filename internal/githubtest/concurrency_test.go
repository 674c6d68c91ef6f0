package githubtest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	gh "github.com/google/go-github/v92/github"

	"booty/internal/githubtest"
)

func TestConcurrentCreatesGetUniqueNumbers(t *testing.T) {
	t.Parallel()
	b := setup(t, githubtest.Options{})
	const workers, each = 32, 25
	var wg sync.WaitGroup
	numbers := make(chan int, workers*each)
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				is, _, err := b.gh.Issues.Create(t.Context(), owner, repo, gh.CreateIssueRequest{Title: fmt.Sprintf("w%d-%d", w, i), Labels: []string{"agent:builder", fmt.Sprintf("w%d", w)}})
				if err != nil {
					errs <- err
					continue
				}
				numbers <- is.GetNumber()
				if i%5 == 0 {
					if _, _, err := b.gh.Issues.CreateComment(t.Context(), owner, repo, is.GetNumber(), gh.IssueCommentRequest{Body: "c"}); err != nil {
						errs <- err
					}
				}
			}
		})
	}
	// Readers run alongside the writers so the race detector sees both.
	wg.Go(func() {
		for range 20 {
			b.srv.Issues()
			b.srv.Count(githubtest.AnyWrite, "")
			if _, _, err := b.gh.Issues.ListByRepo(t.Context(), owner, repo, &gh.IssueListByRepoOptions{Labels: []string{"agent:builder"}}); err != nil {
				errs <- err
			}
		}
	})
	wg.Wait()
	close(numbers)
	close(errs)
	for err := range errs {
		t.Errorf("request failed: %v", err)
	}
	seen := make(map[int]bool)
	for n := range numbers {
		if seen[n] {
			t.Errorf("number %d handed out twice", n)
		}
		seen[n] = true
	}
	for n := 1; n <= workers*each; n++ {
		if !seen[n] {
			t.Errorf("number %d never handed out", n)
		}
	}
	if got, want := len(b.srv.Issues()), workers*each; got != want {
		t.Errorf("got %d issues, want %d", got, want)
	}
	if got, want := b.srv.Writes(), workers*each+workers*each/5; got != want {
		t.Errorf("Writes: got %d, want %d", got, want)
	}
}

// BenchmarkCreateIssue measures one issue create through the handler,
// without a network, which is the stand-in's own cost per request in booty's
// benchmarks.
func BenchmarkCreateIssue(b *testing.B) {
	s := githubtest.New(githubtest.Options{Token: testToken, Owner: owner, Repo: repo})
	defer s.Close()
	h := s.Handler()
	body := `{"title":"[error] KeyError — app/models.py:42","body":"<!-- booty:problem=1 -->\n**Severity:** error","labels":["agent:builder","sentry"]}`
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/repos/acme/shop/issues", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testToken)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusCreated {
			b.Fatalf("got %d, want 201: %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkCreateIssueParallel is BenchmarkCreateIssue from GOMAXPROCS
// goroutines, to show what the locks cost under contention.
func BenchmarkCreateIssueParallel(b *testing.B) {
	s := githubtest.New(githubtest.Options{Token: testToken, Owner: owner, Repo: repo})
	defer s.Close()
	h := s.Handler()
	body := `{"title":"[error] KeyError — app/models.py:42","body":"<!-- booty:problem=1 -->","labels":["agent:builder"]}`
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest(http.MethodPost, "/repos/acme/shop/issues", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+testToken)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusCreated {
				b.Errorf("got %d, want 201", rec.Code)
				return
			}
		}
	})
}

// BenchmarkCreateIssueGoGitHub is the whole round trip booty pays: go-github
// over loopback HTTP to the stand-in.
func BenchmarkCreateIssueGoGitHub(b *testing.B) {
	s := githubtest.NewServer(b, githubtest.Options{Token: testToken, Owner: owner, Repo: repo})
	c, err := gh.NewClient(gh.WithAuthToken(testToken), gh.WithURLs(&s.URL, nil))
	if err != nil {
		b.Fatal(err)
	}
	req := gh.CreateIssueRequest{Title: "t", Body: new("b"), Labels: []string{"agent:builder"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := c.Issues.Create(b.Context(), owner, repo, req); err != nil {
			b.Fatal(err)
		}
	}
}
