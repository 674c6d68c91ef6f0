package githubtest_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	gh "github.com/google/go-github/v92/github"

	"booty/internal/githubtest"
)

func TestControlEndpoints(t *testing.T) {
	t.Parallel()

	t.Run("issues", func(t *testing.T) {
		t.Parallel()
		b := setup(t, githubtest.Options{})
		createIssue(t, b.gh, "one", "bug")
		resp, body := raw(t, b.srv, http.MethodGet, "/_standin/issues", "", nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("got %d %s, want 200", resp.StatusCode, body)
		}
		var got []githubtest.Issue
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatalf("decode %s: %v", body, err)
		}
		if diff := cmp.Diff(b.srv.Issues(), got); diff != "" {
			t.Errorf("issues JSON (-want +got):\n%s", diff)
		}
	})

	t.Run("fail", func(t *testing.T) {
		t.Parallel()
		b := setup(t, githubtest.Options{})
		spec, _ := json.Marshal(githubtest.FaultSpec{Fault: "secondary_rate_limit", RetryAfter: "42s", Method: "POST", Path: "/repos/acme/shop/issues", Count: 2})
		resp, body := raw(t, b.srv, http.MethodPost, "/_standin/fail", string(spec), nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("got %d %s, want 200", resp.StatusCode, body)
		}
		for range 2 {
			_, _, err := newClient(t, b.srv, testToken).Issues.Create(t.Context(), owner, repo, gh.CreateIssueRequest{Title: "t"})
			var ab *gh.AbuseRateLimitError
			if !errors.As(err, &ab) || ab.GetRetryAfter() != 42*time.Second {
				t.Errorf("got %v, want *github.AbuseRateLimitError retry after 42s", err)
			}
		}
		createIssue(t, newClient(t, b.srv, testToken), "third")
	})

	t.Run("bad fault specs", func(t *testing.T) {
		t.Parallel()
		b := setup(t, githubtest.Options{})
		for _, spec := range []string{
			`{"fault":"meteor"}`,
			`{"fault":"status","status":200}`,
			`{"fault":"status"}`,
			`{"fault":"hang","hang":"soon"}`,
			`{"fault":"too_many","retry_after":"-1s"}`,
			`{"fault":"disconnect","count":-1}`,
			`{"fault":"disconnect","colour":"red"}`,
			`not json`,
		} {
			resp, body := raw(t, b.srv, http.MethodPost, "/_standin/fail", spec, nil)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `"error"`) {
				t.Errorf("%s: got %d %s, want 400 with an error", spec, resp.StatusCode, body)
			}
		}
		createIssue(t, b.gh, "nothing was queued")
	})

	t.Run("down and up", func(t *testing.T) {
		t.Parallel()
		b := setup(t, githubtest.Options{})
		if resp, body := raw(t, b.srv, http.MethodPost, "/_standin/down?on=1", "", nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("down: got %d %s", resp.StatusCode, body)
		}
		_, _, err := b.gh.Users.Get(t.Context(), "")
		asErrorResponse(t, err, http.StatusServiceUnavailable)
		if resp, _ := raw(t, b.srv, http.MethodGet, "/_standin/issues", "", nil); resp.StatusCode != http.StatusOK {
			t.Errorf("control while down: got %d, want 200", resp.StatusCode)
		}
		raw(t, b.srv, http.MethodPost, "/_standin/down?on=0", "", nil)
		if _, _, err := b.gh.Users.Get(t.Context(), ""); err != nil {
			t.Errorf("after up: %v", err)
		}
		if resp, _ := raw(t, b.srv, http.MethodPost, "/_standin/down?on=maybe", "", nil); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("on=maybe: got %d, want 400", resp.StatusCode)
		}
	})

	t.Run("close issue and requests", func(t *testing.T) {
		t.Parallel()
		b := setup(t, githubtest.Options{})
		createIssue(t, b.gh, "one")
		resp, body := raw(t, b.srv, http.MethodPost, "/_standin/issues/1/close", "", nil)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"state":"closed"`) {
			t.Errorf("close: got %d %s, want 200 closed", resp.StatusCode, body)
		}
		if resp, _ := raw(t, b.srv, http.MethodPost, "/_standin/issues/9/close", "", nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("close missing: got %d, want 404", resp.StatusCode)
		}
		_, body = raw(t, b.srv, http.MethodGet, "/_standin/requests", "", nil)
		var reqs []githubtest.Request
		if err := json.Unmarshal([]byte(body), &reqs); err != nil {
			t.Fatal(err)
		}
		want := []githubtest.Request{{Method: "POST", Path: "/repos/acme/shop/issues", Status: 201}}
		if diff := cmp.Diff(want, reqs); diff != "" {
			t.Errorf("requests (-want +got):\n%s", diff)
		}
		if resp, _ := raw(t, b.srv, http.MethodGet, "/_standin/nope", "", nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("unknown control: got %d, want 404", resp.StatusCode)
		}
	})
}
