package github_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"booty/internal/github"
	"booty/internal/githubtest"
)

func TestProblemKeyOf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body, want string
		ok               bool
	}{
		{"booty's body", "text\n\n" + github.Marker("sentry:42") + "\n", "sentry:42", true},
		{"CRLF from GitHub's editor", "text\r\n" + github.Marker("sentry:42") + "\r\n", "sentry:42", true},
		{"encoded key", github.Marker("fp:a b/c"), "fp:a b/c", true},
		{"no marker", "just text", "", false},
		{"inside a line", "see " + github.Marker("sentry:1") + " here", "", false},
		{"not canonical", "<!-- booty:problem=sentry%3A1 -->", "", false},
		{"empty key", "<!-- booty:problem= -->", "", false},
		{"bad escape", "<!-- booty:problem=%zz -->", "", false},
		{"unterminated", "<!-- booty:problem=sentry:1", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := github.ProblemKeyOf(tc.body)
			if got != tc.want || ok != tc.ok {
				t.Errorf("ProblemKeyOf(%q) = %q, %t; want %q, %t", tc.body, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func FuzzProblemKeyOf(f *testing.F) {
	f.Add(github.Marker("sentry:1"))
	f.Add("<!-- booty:problem=%41 -->")
	f.Add("x\n<!-- booty:problem=a -->\r\n")
	f.Fuzz(func(t *testing.T, body string) {
		key, ok := github.ProblemKeyOf(body)
		if !ok {
			return
		}
		if !github.ContainsMarker(body, key) {
			t.Fatalf("ProblemKeyOf(%q) = %q, but ContainsMarker disagrees", body, key)
		}
	})
}

// TestMarkedIssues lists a repository of more than one page through the
// GitHub stand-in: every issue with a marker, open or closed, comes back
// oldest first, and issues without one are skipped.
func TestMarkedIssues(t *testing.T) {
	t.Parallel()
	created := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	var seed []githubtest.Issue
	var want []github.MarkedIssue
	for i := 1; i <= 250; i++ {
		is := githubtest.Issue{Number: i, Title: fmt.Sprint("issue ", i), State: "open", CreatedAt: created}
		switch {
		case i%50 == 0:
			is.Body = "filed by a person"
		case i%11 == 0:
			// A person's copy of a marker is not booty's issue.
			is.User, is.Body = "mallory", "copied\n\n"+github.Marker(fmt.Sprint("sentry:", i))
		case i%7 == 0:
			is.Body = "body\n\n" + github.Marker(fmt.Sprint("sentry:", i))
			is.State = "closed"
			want = append(want, github.MarkedIssue{ProblemKey: fmt.Sprint("sentry:", i), Number: i, Closed: true, CreatedAt: created})
		default:
			is.Body = "body\n\n" + github.Marker(fmt.Sprint("sentry:", i))
			want = append(want, github.MarkedIssue{ProblemKey: fmt.Sprint("sentry:", i), Number: i, CreatedAt: created})
		}
		seed = append(seed, is)
	}
	const token = "ghp_MarkersTestTokenMarkersTestToken0"
	srv := githubtest.NewServer(t, githubtest.Options{Token: token, Owner: "acme", Repo: "shop", Issues: seed})
	c, err := github.NewClient(&http.Client{Timeout: 10 * time.Second}, srv.URL, token, "acme", "shop", "test")
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.MarkedIssues(t.Context())
	if err != nil {
		t.Fatalf("MarkedIssues: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("MarkedIssues (-want +got):\n%s", diff)
	}
	if n := srv.Count(http.MethodGet, "/repos/acme/shop/issues"); n != 3 {
		t.Errorf("got %d list calls, want 3 pages of 100 (booty's own issues)", n)
	}
}
