package githubtest_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	gh "github.com/google/go-github/v92/github"

	"booty/internal/githubtest"
)

// listFixture makes issues 1..6, a minute apart:
//
//	1 open   [bug]           updated last (commented at +10m)
//	2 closed [bug, sentry]
//	3 open   [sentry]
//	4 open   [bug, sentry]
//	5 open   []
//	6 closed [sentry]
func listFixture(t *testing.T) bundle {
	t.Helper()
	b := setup(t, githubtest.Options{})
	labels := [][]string{{"bug"}, {"bug", "sentry"}, {"sentry"}, {"bug", "sentry"}, nil, {"sentry"}}
	for i, ls := range labels {
		createIssue(t, b.gh, "issue", ls...)
		if i < len(labels)-1 {
			b.clock.Advance(time.Minute)
		}
	}
	for _, n := range []int{2, 6} {
		if _, _, err := b.gh.Issues.Update(t.Context(), owner, repo, n, gh.UpdateIssueRequest{State: new("closed")}); err != nil {
			t.Fatal(err)
		}
	}
	b.clock.Advance(5 * time.Minute)
	if _, _, err := b.gh.Issues.CreateComment(t.Context(), owner, repo, 1, gh.IssueCommentRequest{Body: "again"}); err != nil {
		t.Fatal(err)
	}
	return b
}

func numbers(is []*gh.Issue) []int {
	out := []int{}
	for _, i := range is {
		out = append(out, i.GetNumber())
	}
	return out
}

func TestListIssuesFilters(t *testing.T) {
	t.Parallel()
	b := listFixture(t)
	tests := []struct {
		name string
		opts gh.IssueListByRepoOptions
		want []int
	}{
		{"defaults: open, newest first", gh.IssueListByRepoOptions{}, []int{5, 4, 3, 1}},
		{"closed", gh.IssueListByRepoOptions{State: "closed"}, []int{6, 2}},
		{"all oldest first", gh.IssueListByRepoOptions{State: "all", Direction: "asc"}, []int{1, 2, 3, 4, 5, 6}},
		{"one label", gh.IssueListByRepoOptions{State: "all", Labels: []string{"bug"}}, []int{4, 2, 1}},
		{"every label must match", gh.IssueListByRepoOptions{State: "all", Labels: []string{"BUG", "sentry"}}, []int{4, 2}},
		{"unknown label", gh.IssueListByRepoOptions{State: "all", Labels: []string{"nope"}}, []int{}},
		{"sort updated", gh.IssueListByRepoOptions{Sort: "updated"}, []int{1, 5, 4, 3}},
		{"since", gh.IssueListByRepoOptions{State: "all", Since: epoch.Add(4 * time.Minute), Direction: "asc"}, []int{1, 2, 5, 6}},
		{"sort comments", gh.IssueListByRepoOptions{Sort: "comments"}, []int{1, 5, 4, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			is, _, err := b.gh.Issues.ListByRepo(t.Context(), owner, repo, &tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, numbers(is)); diff != "" {
				t.Errorf("numbers (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("invalid state", func(t *testing.T) {
		t.Parallel()
		_, _, err := b.gh.Issues.ListByRepo(t.Context(), owner, repo, &gh.IssueListByRepoOptions{State: "shut"})
		asErrorResponse(t, err, http.StatusUnprocessableEntity)
	})
}

func TestListIssuesPagination(t *testing.T) {
	t.Parallel()
	b := listFixture(t)

	var got []int
	var pages, last int
	opts := &gh.IssueListByRepoOptions{State: "all", Direction: "asc", ListOptions: gh.ListOptions{PerPage: 2}}
	for {
		is, resp, err := b.gh.Issues.ListByRepo(t.Context(), owner, repo, opts)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		got = append(got, numbers(is)...)
		if resp.LastPage != 0 {
			last = resp.LastPage
		}
		if resp.NextPage == 0 {
			break
		}
		opts.ListOptions.Page = resp.NextPage
	}
	if diff := cmp.Diff([]int{1, 2, 3, 4, 5, 6}, got); diff != "" || pages != 3 || last != 3 {
		t.Errorf("followed %d pages, last %d; want 3 and 3; numbers (-want +got):\n%s", pages, last, diff)
	}

	tests := []struct {
		query string
		want  string
	}{
		{"state=all&per_page=2", `<BASErepos/acme/shop/issues?page=2&per_page=2&state=all>; rel="next", <BASErepos/acme/shop/issues?page=3&per_page=2&state=all>; rel="last"`},
		{"state=all&per_page=2&page=2", `<BASErepos/acme/shop/issues?page=1&per_page=2&state=all>; rel="prev", <BASErepos/acme/shop/issues?page=3&per_page=2&state=all>; rel="next", <BASErepos/acme/shop/issues?page=3&per_page=2&state=all>; rel="last", <BASErepos/acme/shop/issues?page=1&per_page=2&state=all>; rel="first"`},
		{"state=all&per_page=2&page=3", `<BASErepos/acme/shop/issues?page=2&per_page=2&state=all>; rel="prev", <BASErepos/acme/shop/issues?page=1&per_page=2&state=all>; rel="first"`},
		{"state=all", ""},
		{"state=all&per_page=1000", ""},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			t.Parallel()
			resp, body := raw(t, b.srv, http.MethodGet, "/repos/acme/shop/issues?"+tt.query, "", authHeader())
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("got %d %s, want 200", resp.StatusCode, body)
			}
			if got, want := resp.Header.Get("Link"), strings.ReplaceAll(tt.want, "BASE", b.srv.URL); got != want {
				t.Errorf("Link:\ngot  %s\nwant %s", got, want)
			}
		})
	}

	t.Run("page past the end", func(t *testing.T) {
		t.Parallel()
		is, resp, err := b.gh.Issues.ListByRepo(t.Context(), owner, repo, &gh.IssueListByRepoOptions{State: "all", ListOptions: gh.ListOptions{Page: 9, PerPage: 2}})
		if err != nil {
			t.Fatal(err)
		}
		if len(is) != 0 || resp.NextPage != 0 || resp.PrevPage != 3 {
			t.Errorf("got %d issues next %d prev %d, want 0, 0, 3", len(is), resp.NextPage, resp.PrevPage)
		}
	})
	t.Run("per_page capped at 100", func(t *testing.T) {
		t.Parallel()
		resp, body := raw(t, b.srv, http.MethodGet, "/repos/acme/shop/issues?state=all&per_page=100000&page=99999999999999999", "", authHeader())
		if resp.StatusCode != http.StatusOK || body != "[]" {
			t.Errorf("got %d %s, want 200 []", resp.StatusCode, body)
		}
	})
}
