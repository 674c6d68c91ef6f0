package githubtest_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	gh "github.com/google/go-github/v92/github"

	"booty/internal/githubtest"
)

// TestFaultsAsGoGitHubSeesThem injects each fault into an issue create and
// checks the error go-github returns is the one it returns against GitHub.
func TestFaultsAsGoGitHubSeesThem(t *testing.T) {
	t.Parallel()
	reset := time.Now().Add(30 * time.Minute).Truncate(time.Second)
	tests := []struct {
		name        string
		fault       githubtest.Fault
		wantCreated bool
		check       func(t *testing.T, err error)
	}{
		{
			name:  "status 500",
			fault: githubtest.Status(http.StatusInternalServerError),
			check: func(t *testing.T, err error) { asErrorResponse(t, err, http.StatusInternalServerError) },
		},
		{
			name:  "status 403 is not a rate limit",
			fault: githubtest.Status(http.StatusForbidden),
			check: func(t *testing.T, err error) { asErrorResponse(t, err, http.StatusForbidden) },
		},
		{
			name:  "status 429 without rate-limit markers",
			fault: githubtest.Status(http.StatusTooManyRequests),
			check: func(t *testing.T, err error) { asErrorResponse(t, err, http.StatusTooManyRequests) },
		},
		{
			name:  "primary rate limit",
			fault: githubtest.PrimaryRateLimit(reset),
			check: func(t *testing.T, err error) {
				var rl *gh.RateLimitError
				if !errors.As(err, &rl) {
					t.Fatalf("got %T (%v), want *github.RateLimitError", err, err)
				}
				if rl.Response.StatusCode != http.StatusForbidden || rl.Rate.Remaining != 0 || !rl.Rate.Reset.Time.Equal(reset) ||
					rl.Message != "API rate limit exceeded for user ID 1." {
					t.Errorf("got status %d remaining %d reset %v message %q, want 403, 0, %v, GitHub's message",
						rl.Response.StatusCode, rl.Rate.Remaining, rl.Rate.Reset, rl.Message, reset)
				}
			},
		},
		{
			name:  "secondary rate limit with Retry-After",
			fault: githubtest.SecondaryRateLimit(1500 * time.Millisecond),
			check: func(t *testing.T, err error) {
				ab := asAbuse(t, err, http.StatusForbidden)
				if ab.RetryAfter == nil || *ab.RetryAfter != 2*time.Second {
					t.Errorf("got RetryAfter %v, want 2s (rounded up)", ab.RetryAfter)
				}
			},
		},
		{
			name:  "secondary rate limit without Retry-After",
			fault: githubtest.SecondaryRateLimit(0),
			check: func(t *testing.T, err error) {
				ab := asAbuse(t, err, http.StatusForbidden)
				if got := ab.Response.Header.Get("Retry-After"); got != "" {
					t.Errorf("got Retry-After %q, want none", got)
				}
			},
		},
		{
			name:  "too many requests",
			fault: githubtest.TooMany(time.Minute),
			check: func(t *testing.T, err error) {
				ab := asAbuse(t, err, http.StatusTooManyRequests)
				if ab.RetryAfter == nil || *ab.RetryAfter != time.Minute {
					t.Errorf("got RetryAfter %v, want 1m", ab.RetryAfter)
				}
			},
		},
		{
			name:        "commit then 502",
			fault:       githubtest.CommitThenFail(http.StatusBadGateway),
			wantCreated: true,
			check:       func(t *testing.T, err error) { asErrorResponse(t, err, http.StatusBadGateway) },
		},
		{
			name:        "commit then 504",
			fault:       githubtest.CommitThenFail(http.StatusGatewayTimeout),
			wantCreated: true,
			check:       func(t *testing.T, err error) { asErrorResponse(t, err, http.StatusGatewayTimeout) },
		},
		{
			name:  "disconnect",
			fault: githubtest.Disconnect(),
			check: func(t *testing.T, err error) {
				if err == nil {
					t.Fatal("got nil error, want a transport error")
				}
				var er *gh.ErrorResponse
				if errors.As(err, &er) {
					t.Errorf("got *github.ErrorResponse %v, want a transport error", err)
				}
			},
		},
		{
			name:        "short hang then served",
			fault:       githubtest.Hang(10 * time.Millisecond),
			wantCreated: true,
			check: func(t *testing.T, err error) {
				if err != nil {
					t.Errorf("got %v, want the request served after the hang", err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, githubtest.Options{})
			b.srv.FailNext(1, tt.fault)
			_, _, err := b.gh.Issues.Create(t.Context(), owner, repo, gh.CreateIssueRequest{Title: "t"})
			tt.check(t, err)
			var accepted *gh.AcceptedError
			if errors.As(err, &accepted) {
				t.Errorf("got *github.AcceptedError, want never")
			}
			if got := len(b.srv.Issues()); got != boolToInt(tt.wantCreated) {
				t.Errorf("%v: got %d issues, want %d", tt.fault, got, boolToInt(tt.wantCreated))
			}

			// The fault is used up: a fresh client (go-github remembers
			// rate limits per client) gets through.
			if _, _, err := newClient(t, b.srv, testToken).Issues.Create(t.Context(), owner, repo, gh.CreateIssueRequest{Title: "after"}); err != nil {
				t.Errorf("request after the fault: %v", err)
			}
		})
	}
}

func asAbuse(t *testing.T, err error, status int) *gh.AbuseRateLimitError {
	t.Helper()
	var ab *gh.AbuseRateLimitError
	if !errors.As(err, &ab) {
		t.Fatalf("got %T (%v), want *github.AbuseRateLimitError", err, err)
	}
	if ab.Response.StatusCode != status {
		t.Errorf("got status %d, want %d", ab.Response.StatusCode, status)
	}
	return ab
}

func boolToInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestPrimaryRateLimitBlocksTheClient(t *testing.T) {
	t.Parallel()
	b := setup(t, githubtest.Options{})
	b.srv.FailNext(1, githubtest.PrimaryRateLimit(time.Now().Add(time.Hour)))
	_, _, err := b.gh.Issues.Create(t.Context(), owner, repo, gh.CreateIssueRequest{Title: "t"})
	var rl *gh.RateLimitError
	if !errors.As(err, &rl) {
		t.Fatalf("got %v, want *github.RateLimitError", err)
	}
	// Like against GitHub, go-github now refuses locally until the reset.
	_, _, err = b.gh.Issues.Get(t.Context(), owner, repo, 1)
	if !errors.As(err, &rl) {
		t.Fatalf("second call: got %v, want *github.RateLimitError from the client itself", err)
	}
	if got := len(b.srv.Requests()); got != 1 {
		t.Errorf("got %d requests at the stand-in, want 1", got)
	}
}

func TestHangUntilClientGivesUp(t *testing.T) {
	t.Parallel()
	b := setup(t, githubtest.Options{})
	b.srv.FailNext(1, githubtest.Hang(time.Hour))
	// Long enough for the request to reach the stand-in on a loaded
	// machine: a deadline that expires before the handler runs leaves
	// nothing to record.
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	_, _, err := b.gh.Issues.Create(ctx, owner, repo, gh.CreateIssueRequest{Title: "t"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want context.DeadlineExceeded", err)
	}
	// The stand-in notices the client left and records no answer. Wait for
	// the handler to finish rather than for a fixed time.
	deadline := time.Now().Add(5 * time.Second)
	for len(b.srv.Requests()) == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	reqs := b.srv.Requests()
	if len(reqs) != 1 || reqs[0].Status != 0 {
		t.Errorf("got requests %+v, want one with no answer", reqs)
	}
	if n := len(b.srv.Issues()); n != 0 {
		t.Errorf("got %d issues, want 0: a hung request is not performed", n)
	}
}

func TestCloseEndsHang(t *testing.T) {
	t.Parallel()
	b := setup(t, githubtest.Options{})
	b.srv.FailNext(1, githubtest.Hang(time.Hour))
	errc := make(chan error, 1)
	go func() {
		_, _, err := b.gh.Issues.Create(context.Background(), owner, repo, gh.CreateIssueRequest{Title: "t"})
		errc <- err
	}()
	for deadline := time.Now().Add(5 * time.Second); b.srv.Writes() == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the request never arrived")
		}
		time.Sleep(time.Millisecond)
	}
	b.srv.Close()
	select {
	case err := <-errc:
		if err == nil {
			t.Error("got nil, want an error from a closed stand-in")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not release a hung request")
	}
}

func TestLatency(t *testing.T) {
	t.Parallel()
	b := setup(t, githubtest.Options{Latency: time.Hour})
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	_, _, err := b.gh.Users.Get(ctx, "")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want context.DeadlineExceeded", err)
	}
}

func TestDown(t *testing.T) {
	t.Parallel()
	b := setup(t, githubtest.Options{})
	b.srv.SetDown(true)
	for range 3 {
		_, _, err := b.gh.Issues.Create(t.Context(), owner, repo, gh.CreateIssueRequest{Title: "t"})
		asErrorResponse(t, err, http.StatusServiceUnavailable)
	}
	b.srv.SetDown(false)
	createIssue(t, b.gh, "back")
	if got := b.srv.Writes(); got != 4 {
		t.Errorf("Writes: got %d, want 4", got)
	}
}

func TestFaultOrderAndMatching(t *testing.T) {
	t.Parallel()
	b := setup(t, githubtest.Options{})
	createIssue(t, b.gh, "one")

	b.srv.FailNextMatching(http.MethodPost, "/repos/acme/shop/issues/*/comments", 1, githubtest.Status(http.StatusBadGateway))
	b.srv.FailNextMatching(githubtest.AnyWrite, "", 2, githubtest.Status(http.StatusInternalServerError))
	b.srv.FailNext(1, githubtest.Status(http.StatusServiceUnavailable))

	steps := []struct {
		name string
		call func() error
		want int // 0: success
	}{
		{"read passes write-only faults, takes the any fault", func() error { _, _, err := b.gh.Issues.Get(t.Context(), owner, repo, 1); return err }, 503},
		{"read passes", func() error { _, _, err := b.gh.Issues.Get(t.Context(), owner, repo, 1); return err }, 0},
		{"create passes the comment fault", func() error {
			_, _, err := b.gh.Issues.Create(t.Context(), owner, repo, gh.CreateIssueRequest{Title: "t"})
			return err
		}, 500},
		{"comment takes its fault first", func() error {
			_, _, err := b.gh.Issues.CreateComment(t.Context(), owner, repo, 1, gh.IssueCommentRequest{Body: "c"})
			return err
		}, 502},
		{"comment takes the last write fault", func() error {
			_, _, err := b.gh.Issues.CreateComment(t.Context(), owner, repo, 1, gh.IssueCommentRequest{Body: "c"})
			return err
		}, 500},
		{"all used up", func() error {
			_, _, err := b.gh.Issues.CreateComment(t.Context(), owner, repo, 1, gh.IssueCommentRequest{Body: "c"})
			return err
		}, 0},
	}
	for _, st := range steps {
		err := st.call()
		if st.want == 0 {
			if err != nil {
				t.Errorf("%s: got %v, want success", st.name, err)
			}
			continue
		}
		var er *gh.ErrorResponse
		if !errors.As(err, &er) || er.Response.StatusCode != st.want {
			t.Errorf("%s: got %v, want status %d", st.name, err, st.want)
		}
	}
}

func TestFaultString(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		f    githubtest.Fault
		want string
	}{
		{githubtest.Status(500), "Status(500)"},
		{githubtest.SecondaryRateLimit(time.Minute), "SecondaryRateLimit(1m0s)"},
		{githubtest.TooMany(0), "TooMany(0s)"},
		{githubtest.CommitThenFail(504), "CommitThenFail(504)"},
		{githubtest.Hang(time.Second), "Hang(1s)"},
		{githubtest.Disconnect(), "Disconnect()"},
		{githubtest.PrimaryRateLimit(epoch), "PrimaryRateLimit(" + epoch.Format(time.RFC3339) + ")"},
		{githubtest.Fault{}, "Fault(none)"},
	} {
		if got := tt.f.String(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}
