package github_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	gh "github.com/google/go-github/v92/github"

	"booty/internal/github"
	"booty/internal/githubtest"
)

// response is an answer with status code and headers, as go-github keeps it
// in its errors.
func response(code int, header ...string) *http.Response {
	h := make(http.Header)
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	req, _ := http.NewRequest(http.MethodPost, "https://api.github.com/repos/o/r/issues", nil)
	return &http.Response{StatusCode: code, Header: h, Request: req}
}

func duration(d time.Duration) *time.Duration { return &d }

func TestClassify(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	wrap := func(err error) error { return fmt.Errorf("create issue: %w", err) }
	for _, c := range []struct {
		name string
		err  error
		want github.Failure
	}{
		{
			name: "primary rate limit",
			err:  wrap(&gh.RateLimitError{Rate: gh.Rate{Reset: gh.Timestamp{Time: now.Add(30 * time.Second)}}, Response: response(403)}),
			// A second of slack over the reset, which GitHub rounds down.
			want: github.Failure{Class: github.RateLimited, Wait: 31 * time.Second, Status: 403},
		},
		{
			name: "primary rate limit already reset",
			err:  wrap(&gh.RateLimitError{Rate: gh.Rate{Reset: gh.Timestamp{Time: now.Add(-time.Minute)}}, Response: response(403)}),
			want: github.Failure{Class: github.RateLimited, Wait: time.Second, Status: 403},
		},
		{
			name: "primary rate limit without response",
			err:  &gh.RateLimitError{Rate: gh.Rate{Reset: gh.Timestamp{Time: now.Add(10 * time.Second)}}},
			want: github.Failure{Class: github.RateLimited, Wait: 11 * time.Second},
		},
		{
			// go-github sets RetryAfter from the header it came in.
			name: "secondary rate limit with Retry-After",
			err:  wrap(&gh.AbuseRateLimitError{Response: response(403, "Retry-After", "90"), RetryAfter: duration(90 * time.Second)}),
			want: github.Failure{Class: github.RateLimited, Wait: 90 * time.Second, Status: 403},
		},
		{
			// Without Retry-After go-github falls back to the primary
			// window's reset, up to an hour away; GitHub asks for a minute.
			name: "secondary rate limit without Retry-After",
			err: wrap(&gh.AbuseRateLimitError{
				Response:   response(403, "X-RateLimit-Remaining", "4000", "X-RateLimit-Reset", strconv.FormatInt(now.Add(50*time.Minute).Unix(), 10)),
				RetryAfter: duration(50 * time.Minute),
			}),
			want: github.Failure{Class: github.RateLimited, Wait: 60 * time.Second, Status: 403},
		},
		{
			name: "secondary rate limit with the primary limit used up",
			err: wrap(&gh.AbuseRateLimitError{
				Response:   response(403, "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", strconv.FormatInt(now.Add(5*time.Minute).Unix(), 10)),
				RetryAfter: duration(5 * time.Minute),
			}),
			want: github.Failure{Class: github.RateLimited, Wait: 5*time.Minute + time.Second, Status: 403},
		},
		{
			name: "secondary rate limit 429 without headers",
			err:  wrap(&gh.AbuseRateLimitError{Response: response(429)}),
			want: github.Failure{Class: github.RateLimited, Wait: 60 * time.Second, Status: 429},
		},
		{
			name: "secondary rate limit without response",
			err:  wrap(&gh.AbuseRateLimitError{RetryAfter: duration(45 * time.Second)}),
			want: github.Failure{Class: github.RateLimited, Wait: 45 * time.Second},
		},
		{
			name: "secondary rate limit without response or Retry-After",
			err:  wrap(&gh.AbuseRateLimitError{}),
			want: github.Failure{Class: github.RateLimited, Wait: 60 * time.Second},
		},
		{
			name: "429 with Retry-After",
			err:  wrap(&gh.ErrorResponse{Response: response(429, "Retry-After", "7"), Message: "Too Many Requests"}),
			want: github.Failure{Class: github.RateLimited, Wait: 7 * time.Second, Status: 429},
		},
		{
			name: "429 without Retry-After",
			err:  wrap(&gh.ErrorResponse{Response: response(429), Message: "Too Many Requests"}),
			want: github.Failure{Class: github.RateLimited, Wait: 60 * time.Second, Status: 429},
		},
		{
			name: "403 with X-RateLimit-Remaining 0",
			err: wrap(&gh.ErrorResponse{
				Response: response(403, "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", strconv.FormatInt(now.Add(2*time.Minute).Unix(), 10)),
				Message:  "API rate limit exceeded",
			}),
			want: github.Failure{Class: github.RateLimited, Wait: 121 * time.Second, Status: 403},
		},
		{
			name: "403 with Retry-After",
			err:  wrap(&gh.ErrorResponse{Response: response(403, "Retry-After", "3"), Message: "slow down"}),
			want: github.Failure{Class: github.RateLimited, Wait: 3 * time.Second, Status: 403},
		},
		{
			name: "403 refusal",
			err:  wrap(&gh.ErrorResponse{Response: response(403, "X-RateLimit-Remaining", "4999"), Message: "Resource not accessible by integration"}),
			want: github.Failure{Class: github.Permanent, Status: 403, Message: "Resource not accessible by integration"},
		},
		{
			name: "401",
			err:  wrap(&gh.ErrorResponse{Response: response(401), Message: "Bad credentials"}),
			want: github.Failure{Class: github.Permanent, Status: 401, Message: "Bad credentials"},
		},
		{
			name: "404",
			err:  wrap(&gh.ErrorResponse{Response: response(404), Message: "Not Found"}),
			want: github.Failure{Class: github.Permanent, Status: 404, Message: "Not Found"},
		},
		{
			name: "410",
			err:  wrap(&gh.ErrorResponse{Response: response(410), Message: "Issues are disabled for this repo"}),
			want: github.Failure{Class: github.Permanent, Status: 410, Message: "Issues are disabled for this repo"},
		},
		{
			name: "422 with field code",
			err: wrap(&gh.ErrorResponse{Response: response(422), Message: "Validation Failed",
				Errors: []gh.Error{{Resource: "Issue", Field: "title", Code: "missing_field"}}}),
			want: github.Failure{Class: github.Permanent, Status: 422, Message: "Validation Failed: title missing_field"},
		},
		{
			name: "422 with field message",
			err: wrap(&gh.ErrorResponse{Response: response(422), Message: "Validation Failed",
				Errors: []gh.Error{{Resource: "Issue", Code: "custom", Message: "body is too long (maximum is 65536 characters)"}}}),
			want: github.Failure{Class: github.Permanent, Status: 422, Message: "Validation Failed: body is too long (maximum is 65536 characters)"},
		},
		{
			name: "408",
			err:  wrap(&gh.ErrorResponse{Response: response(408), Message: "Request Timeout"}),
			want: github.Failure{Class: github.Retry, Status: 408},
		},
		{
			name: "500",
			err:  wrap(&gh.ErrorResponse{Response: response(500), Message: "Server Error"}),
			want: github.Failure{Class: github.Retry, Status: 500},
		},
		{
			name: "502",
			err:  wrap(&gh.ErrorResponse{Response: response(502), Message: "Bad Gateway"}),
			want: github.Failure{Class: github.Retry, Status: 502},
		},
		{
			name: "503",
			err:  wrap(&gh.ErrorResponse{Response: response(503), Message: "Service Unavailable"}),
			want: github.Failure{Class: github.Retry, Status: 503},
		},
		{
			name: "connection refused",
			err:  wrap(&url.Error{Op: "Post", URL: "https://api.github.com/repos/o/r/issues", Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}),
			want: github.Failure{Class: github.Retry},
		},
		{
			name: "timeout",
			err:  wrap(&url.Error{Op: "Post", URL: "https://api.github.com/repos/o/r/issues", Err: context.DeadlineExceeded}),
			want: github.Failure{Class: github.Retry},
		},
		{
			name: "canceled",
			err:  wrap(context.Canceled),
			want: github.Failure{Class: github.Retry},
		},
		{
			name: "error response without response",
			err:  wrap(&gh.ErrorResponse{Message: "odd"}),
			want: github.Failure{Class: github.Retry},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got := github.Classify(c.err, now)
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("Classify(%v) (-want +got):\n%s", c.err, diff)
			}
		})
	}
}

func TestClassString(t *testing.T) {
	t.Parallel()
	for c, want := range map[github.Class]string{
		github.Retry:       "retry",
		github.RateLimited: "rate_limited",
		github.Permanent:   "permanent",
		github.Class(0):    "unknown",
	} {
		if got := c.String(); got != want {
			t.Errorf("Class(%d).String(): got %q, want %q", int(c), got, want)
		}
	}
}

// TestClassifyWire classifies the errors go-github returns for real GitHub
// answers, served by the stand-in.
func TestClassifyWire(t *testing.T) {
	t.Parallel()
	const token = "test-token-classify"
	// Whole seconds, as GitHub reports resets.
	reset := time.Now().Add(30 * time.Second).Truncate(time.Second)
	now := reset.Add(-20 * time.Second)
	for _, c := range []struct {
		name  string
		fault githubtest.Fault
		token string // empty means the right one
		want  github.Failure
	}{
		{"422", githubtest.Status(422), "", github.Failure{Class: github.Permanent, Status: 422, Message: "Unprocessable Entity"}},
		{"404", githubtest.Status(404), "", github.Failure{Class: github.Permanent, Status: 404, Message: "Not Found"}},
		{"bad credentials", githubtest.Fault{}, "wrong-token", github.Failure{Class: github.Permanent, Status: 401, Message: "Bad credentials"}},
		{"502", githubtest.Status(502), "", github.Failure{Class: github.Retry, Status: 502}},
		{"502 after commit", githubtest.CommitThenFail(502), "", github.Failure{Class: github.Retry, Status: 502}},
		{"disconnect", githubtest.Disconnect(), "", github.Failure{Class: github.Retry}},
		{"created without a number", githubtest.CommitThenAnswer(201, "{}"), "", github.Failure{Class: github.Retry}},
		{"created, malformed answer", githubtest.CommitThenAnswer(201, "{"), "", github.Failure{Class: github.Retry}},
		{"issues disabled", githubtest.Status(410), "", github.Failure{Class: github.Permanent, Status: 410, Message: github.ErrIssuesDisabled.Error()}},
		{"bare 429", githubtest.Status(429), "", github.Failure{Class: github.RateLimited, Status: 429, Wait: 60 * time.Second}},
		{"secondary", githubtest.SecondaryRateLimit(3 * time.Second), "", github.Failure{Class: github.RateLimited, Status: 403, Wait: 3 * time.Second}},
		{"secondary 429", githubtest.TooMany(2 * time.Second), "", github.Failure{Class: github.RateLimited, Status: 429, Wait: 2 * time.Second}},
		{"secondary without Retry-After", githubtest.SecondaryRateLimit(0), "", github.Failure{Class: github.RateLimited, Status: 403, Wait: 60 * time.Second}},
		{"primary", githubtest.PrimaryRateLimit(reset), "", github.Failure{Class: github.RateLimited, Status: 403, Wait: 21 * time.Second}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			srv := githubtest.NewServer(t, githubtest.Options{Token: token, Owner: "acme", Repo: "app"})
			srv.FailNext(1, c.fault)
			tok := token
			if c.token != "" {
				tok = c.token
			}
			client, err := github.NewClient(&http.Client{Timeout: 10 * time.Second}, srv.URL, tok, "acme", "app", "test")
			if err != nil {
				t.Fatalf("NewClient: %v", err)
			}
			_, err = client.CreateIssue(t.Context(), "[error] TypeError — app.js:1", "body", []string{"agent:builder"})
			if err == nil {
				t.Fatal("CreateIssue: got nil error, want one")
			}
			if strings.Contains(err.Error(), tok) {
				t.Errorf("error %q holds the token", err)
			}
			if diff := cmp.Diff(c.want, github.Classify(err, now)); diff != "" {
				t.Errorf("Classify(%v) (-want +got):\n%s", err, diff)
			}
			// Every failure that may hide a created issue says so.
			if got, want := errors.Is(err, github.ErrOutcomeUnknown), c.want.Class == github.Retry; got != want {
				t.Errorf("errors.Is(%v, ErrOutcomeUnknown): got %t, want %t", err, got, want)
			}
		})
	}
}

func TestClassifyUnwrapsErrorsIs(t *testing.T) {
	t.Parallel()
	// A joined error still classifies by the GitHub error inside it.
	err := errors.Join(errors.New("other"), &gh.ErrorResponse{Response: response(422), Message: "Validation Failed"})
	if got := github.Classify(err, time.Now()); got.Class != github.Permanent || got.Status != 422 {
		t.Errorf("Classify(joined 422): got %+v, want permanent 422", got)
	}
}
