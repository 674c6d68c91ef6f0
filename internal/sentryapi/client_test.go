package sentryapi

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"booty/internal/sentrytest"
)

// testNow is the client's clock in tests, for Retry-After dates.
var testNow = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// bundle is a client wired to a stand-in holding issue 42.
type bundle struct {
	sentry *sentrytest.Server
	client *Client
}

func setup(t *testing.T, opts sentrytest.Options) *bundle {
	t.Helper()
	if opts.Issues == nil {
		opts.Issues = []string{"42"}
	}
	s := sentrytest.New(t, opts)
	c, err := New(Config{BaseURL: s.URL, Org: s.Org, Token: s.Token, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &bundle{sentry: s, client: c}
}

func TestMethodsChangeTheIssue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		call     func(*Client, context.Context, string) error
		before   Status // a status the call leaves, so that the change shows
		wantBody string
		want     sentrytest.Issue
	}{
		{"ResolveInNextRelease", (*Client).ResolveInNextRelease, ArchivedUntilEscalating,
			`{"status":"resolved","statusDetails":{"inNextRelease":true}}`,
			sentrytest.Issue{Status: "resolved", StatusDetails: map[string]any{"inNextRelease": true}}},
		{"Resolve", (*Client).Resolve, ResolvedInNextRelease,
			`{"status":"resolved"}`,
			sentrytest.Issue{Status: "resolved", StatusDetails: map[string]any{}}},
		{"ArchiveUntilEscalating", (*Client).ArchiveUntilEscalating, Resolved,
			`{"status":"ignored","substatus":"archived_until_escalating","statusDetails":{}}`,
			sentrytest.Issue{Status: "ignored", Substatus: "archived_until_escalating", StatusDetails: map[string]any{}}},
		{"Unresolve", (*Client).Unresolve, ArchivedUntilEscalating,
			`{"status":"unresolved","substatus":"ongoing"}`,
			sentrytest.Issue{Status: "unresolved", Substatus: "ongoing", StatusDetails: map[string]any{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, sentrytest.Options{})
			if err := b.client.UpdateStatus(t.Context(), "42", tt.before); err != nil {
				t.Fatalf("UpdateStatus(%s): %v", tt.before, err)
			}
			if err := tt.call(b.client, t.Context(), "42"); err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			got, ok := b.sentry.Issue("42")
			if !ok {
				t.Fatal("issue 42 is gone")
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("issue (-want +got):\n%s", diff)
			}
			reqs := b.sentry.Requests()
			if len(reqs) != 2 {
				t.Fatalf("%d requests, want 2", len(reqs))
			}
			want := sentrytest.Request{
				Method: "PUT", Path: "/api/0/organizations/booty-org/issues/42/", Body: tt.wantBody,
				Authorization: "Bearer " + b.sentry.Token, ContentType: "application/json", Status: 200,
			}
			if diff := cmp.Diff(want, reqs[1]); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBaseURLPathPrefix(t *testing.T) {
	t.Parallel()
	s := sentrytest.New(t, sentrytest.Options{Issues: []string{"5"}})
	// A self-hosted Sentry's REST root as its docs show it.
	c, err := New(Config{BaseURL: s.URL + "api/0", Org: s.Org, Token: s.Token})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Resolve(t.Context(), "5"); err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	if n := s.Count("PUT", s.IssuePath("5")); n != 1 {
		t.Errorf("%d PUTs of %s, want 1", n, s.IssuePath("5"))
	}
}

func TestFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		fault      sentrytest.Fault
		noReleases bool
		issue      string
		want       Failure
		wantIs     []error
		wantNotIs  []error
	}{
		{name: "500", fault: sentrytest.Status(500),
			want: Failure{Class: Retry, Status: 500}, wantNotIs: []error{ErrIssueGone}},
		{name: "502 HTML page", fault: sentrytest.Fault{Status: 502, Body: "<html><h1>502 Bad Gateway</h1></html>"},
			want: Failure{Class: Retry, Status: 502}},
		{name: "503", fault: sentrytest.Status(503), want: Failure{Class: Retry, Status: 503}},
		{name: "408", fault: sentrytest.Status(408), want: Failure{Class: Retry, Status: 408}},
		{name: "dropped connection", fault: sentrytest.Disconnect(), want: Failure{Class: Retry}},
		{name: "429 Retry-After seconds", fault: sentrytest.RateLimited("17", time.Time{}),
			want: Failure{Class: RateLimited, Status: 429, Wait: 17 * time.Second}},
		{name: "429 Retry-After date", fault: sentrytest.RateLimited(testNow.Add(90*time.Second).Format(http.TimeFormat), time.Time{}),
			want: Failure{Class: RateLimited, Status: 429, Wait: 90 * time.Second}},
		{name: "429 Retry-After beats the reset", fault: sentrytest.RateLimited("3", testNow.Add(time.Hour)),
			want: Failure{Class: RateLimited, Status: 429, Wait: 3 * time.Second}},
		{name: "429 X-Sentry-Rate-Limit-Reset", fault: sentrytest.RateLimited("", testNow.Add(20*time.Second)),
			want: Failure{Class: RateLimited, Status: 429, Wait: 21 * time.Second}},
		{name: "429 no headers", fault: sentrytest.Status(429),
			want: Failure{Class: RateLimited, Status: 429, Wait: DefaultRateLimitWait}},
		{name: "429 huge Retry-After", fault: sentrytest.RateLimited("999999999", time.Time{}),
			want: Failure{Class: RateLimited, Status: 429, Wait: MaxRetryAfter}},
		{name: "401", fault: sentrytest.Status(401),
			want: Failure{Class: Permanent, Status: 401, Message: "Invalid token"}},
		{name: "403", fault: sentrytest.Status(403),
			want: Failure{Class: Permanent, Status: 403, Message: "You do not have permission to perform this action."}},
		{name: "400 with detail", fault: sentrytest.Fault{Status: 400, Detail: "Cannot do that."},
			want: Failure{Class: Permanent, Status: 400, Message: "Cannot do that."}, wantNotIs: []error{ErrNoRelease, ErrIssueGone}},
		{name: "redirect is not followed", fault: sentrytest.Fault{Status: 302, Header: http.Header{"Location": {"/api/0/organizations/booty-org/issues/43/"}}},
			want: Failure{Class: Permanent, Status: 302, Message: "redirected to /api/0/organizations/booty-org/issues/43/"}},
		{name: "404 unknown issue", issue: "43",
			want: Failure{Class: Permanent, Status: 404, Message: "The requested resource does not exist"}, wantIs: []error{ErrIssueGone}},
		{name: "no release", noReleases: true,
			want:   Failure{Class: Permanent, Status: 400, Message: "statusDetails.inNextRelease: No release data present in the system to form a basis for 'Next Release'"},
			wantIs: []error{ErrNoRelease}, wantNotIs: []error{ErrIssueGone}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, sentrytest.Options{NoReleases: tt.noReleases})
			b.sentry.FailNext(1, tt.fault)
			issue := tt.issue
			if issue == "" {
				issue = "42"
			}
			err := b.client.ResolveInNextRelease(t.Context(), issue)
			if err == nil {
				t.Fatal("ResolveInNextRelease succeeded, want an error")
			}
			if diff := cmp.Diff(tt.want, Classify(err)); diff != "" {
				t.Errorf("Classify(%v) (-want +got):\n%s", err, diff)
			}
			checkPredicates(t, err, tt.want)
			for _, target := range tt.wantIs {
				if !errors.Is(err, target) {
					t.Errorf("errors.Is(%v, %v) = false, want true", err, target)
				}
			}
			for _, target := range tt.wantNotIs {
				if errors.Is(err, target) {
					t.Errorf("errors.Is(%v, %v) = true, want false", err, target)
				}
			}
			if !strings.Contains(err.Error(), "resolve in next release issue "+issue) {
				t.Errorf("error %q does not name the change and the issue", err)
			}
			if is, _ := b.sentry.Issue("42"); is.Status != "unresolved" {
				t.Errorf("failed call changed the issue to %+v", is)
			}
			if n := b.sentry.Count("", ""); n != 1 {
				t.Errorf("%d requests, want exactly 1 (no retry inside the client)", n)
			}
		})
	}
}

// checkPredicates checks IsTransient, IsPermanent and RetryAfter agree
// with want.
func checkPredicates(t *testing.T, err error, want Failure) {
	t.Helper()
	if got := IsTransient(err); got != (want.Class == Retry) {
		t.Errorf("IsTransient = %t, want %t", got, want.Class == Retry)
	}
	if got := IsPermanent(err); got != (want.Class == Permanent) {
		t.Errorf("IsPermanent = %t, want %t", got, want.Class == Permanent)
	}
	wait, ok := RetryAfter(err)
	if ok != (want.Class == RateLimited) || wait != want.Wait {
		t.Errorf("RetryAfter = %s, %t, want %s, %t", wait, ok, want.Wait, want.Class == RateLimited)
	}
}

func TestNoReleaseFallsBackToResolve(t *testing.T) {
	t.Parallel()
	b := setup(t, sentrytest.Options{NoReleases: true})
	err := b.client.ResolveInNextRelease(t.Context(), "42")
	if !errors.Is(err, ErrNoRelease) {
		t.Fatalf("ResolveInNextRelease: %v, want ErrNoRelease", err)
	}
	if err := b.client.Resolve(t.Context(), "42"); err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	if is, _ := b.sentry.Issue("42"); is.Status != "resolved" {
		t.Errorf("issue %+v, want resolved", is)
	}
}

func TestNetworkErrorFromClosedServer(t *testing.T) {
	t.Parallel()
	b := setup(t, sentrytest.Options{})
	b.sentry.Close()
	err := b.client.Unresolve(t.Context(), "42")
	if err == nil {
		t.Fatal("Unresolve against a closed server succeeded")
	}
	if diff := cmp.Diff(Failure{Class: Retry}, Classify(err)); diff != "" {
		t.Errorf("Classify(%v) (-want +got):\n%s", err, diff)
	}
	if strings.Contains(err.Error(), b.sentry.Token) {
		t.Errorf("error %q holds the token", err)
	}
}

func TestDownThenUp(t *testing.T) {
	t.Parallel()
	b := setup(t, sentrytest.Options{})
	b.sentry.SetDown(true)
	err := b.client.Resolve(t.Context(), "42")
	if !IsTransient(err) {
		t.Fatalf("Resolve while down: %v, want a transient error", err)
	}
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 503 || !strings.Contains(ae.Detail, "503 Service Temporarily Unavailable") {
		t.Errorf("error %v, want a 503 APIError with the page's text", err)
	}
	b.sentry.SetDown(false)
	if err := b.client.Resolve(t.Context(), "42"); err != nil {
		t.Errorf("Resolve after the outage: %v", err)
	}
}

func TestTimeoutFromContext(t *testing.T) {
	t.Parallel()
	// A server that never answers until the test ends.
	release := make(chan struct{})
	srv := newHangingServer(t, release)
	c, err := New(Config{BaseURL: srv, Org: "o", Token: "t0ken"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	err = c.Resolve(ctx, "1")
	close(release)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Resolve: %v, want the context's deadline", err)
	}
	if !IsTransient(err) {
		t.Errorf("a timeout is not transient: %v", err)
	}
}

func TestBadIssueID(t *testing.T) {
	t.Parallel()
	b := setup(t, sentrytest.Options{})
	for _, id := range []string{"", "0", "042", "abc", "12/../13", "1 2", "99999999999999999999", "PROJ-1Z"} {
		err := b.client.Resolve(t.Context(), id)
		if !errors.Is(err, ErrBadIssueID) || !IsPermanent(err) {
			t.Errorf("Resolve(%q): %v, want a permanent ErrBadIssueID", id, err)
		}
	}
	if n := b.sentry.Count("", ""); n != 0 {
		t.Errorf("%d requests sent for bad ids, want 0", n)
	}
}

func TestUnknownStatus(t *testing.T) {
	t.Parallel()
	b := setup(t, sentrytest.Options{})
	err := b.client.UpdateStatus(t.Context(), "42", Status(99))
	if !IsPermanent(err) {
		t.Errorf("UpdateStatus(99): %v, want a permanent error", err)
	}
	if n := b.sentry.Count("", ""); n != 0 {
		t.Errorf("%d requests sent for an unknown status, want 0", n)
	}
}

func TestTokenNeverInErrors(t *testing.T) {
	t.Parallel()
	const token = "sntrys_secret_Zq8ZpW3xV7"
	faults := []sentrytest.Fault{
		{Status: 403, Detail: "token " + token + " has no access"},
		{Status: 400, Body: `{"statusDetails":{"inNextRelease":["bad ` + token + `"]}}`},
		{Status: 500, Body: "<html>Authorization: Bearer " + token + "</html>"},
		{Status: 400, Body: strings.Repeat(" ", 5000) + token},
		{Status: 400, Detail: strings.Repeat("x", MaxDetail-5) + token},
		{Status: 301, Header: http.Header{"Location": {"https://other.example/?t=" + token}}},
		sentrytest.RateLimited("x"+token, time.Time{}),
		sentrytest.Status(401),
		sentrytest.Disconnect(),
	}
	for _, f := range faults {
		t.Run(f.String(), func(t *testing.T) {
			t.Parallel()
			b := setup(t, sentrytest.Options{Token: token})
			b.sentry.FailNext(1, f)
			err := b.client.ArchiveUntilEscalating(t.Context(), "42")
			if err == nil {
				t.Fatal("call succeeded, want an error")
			}
			for _, text := range []string{err.Error(), Classify(err).Message, b.client.String()} {
				if strings.Contains(text, token) || strings.Contains(text, token[:12]) {
					t.Errorf("%q holds the token", text)
				}
			}
		})
	}
}

func TestDetailIsBounded(t *testing.T) {
	t.Parallel()
	b := setup(t, sentrytest.Options{})
	b.sentry.FailNext(1, sentrytest.Fault{Status: 400, Detail: strings.Repeat("é\x00\n", 10000)})
	err := b.client.Resolve(t.Context(), "42")
	var ae *APIError
	if !errors.As(err, &ae) {
		t.Fatalf("Resolve: %v, want an *APIError", err)
	}
	if len(ae.Detail) > MaxDetail {
		t.Errorf("detail is %d bytes, want at most %d", len(ae.Detail), MaxDetail)
	}
	if !strings.HasSuffix(ae.Detail, "…") || strings.ContainsAny(ae.Detail, "\x00\n") {
		t.Errorf("detail %q is not cut and cleaned", ae.Detail)
	}
	if len(err.Error()) > MaxDetail+200 {
		t.Errorf("error is %d bytes long", len(err.Error()))
	}
}

func TestOversizedAnswers(t *testing.T) {
	t.Parallel()
	b := setup(t, sentrytest.Options{})
	// An error body far over what booty reads still gives a bounded detail.
	b.sentry.FailNext(1, sentrytest.Fault{Status: 500, Body: strings.Repeat("a", 4<<20)})
	err := b.client.Resolve(t.Context(), "42")
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 500 || len(ae.Detail) > MaxDetail {
		t.Fatalf("Resolve: %v, want a 500 with a bounded detail", err)
	}
}

func TestUserAgentAndHTTPClient(t *testing.T) {
	t.Parallel()
	seen := make(chan string, 1)
	srv := newRecordingServer(t, seen)
	redirects := 0
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { redirects++; return nil }}
	c, err := New(Config{BaseURL: srv, Org: "o", Token: "t0ken", UserAgent: "booty/1.2.3", HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Resolve(t.Context(), "1"); err != nil {
		t.Fatal(err)
	}
	if got := <-seen; got != "booty/1.2.3" {
		t.Errorf("User-Agent %q, want booty/1.2.3", got)
	}
	if hc.CheckRedirect == nil || redirects != 0 {
		t.Error("New changed the caller's http.Client")
	}
}
