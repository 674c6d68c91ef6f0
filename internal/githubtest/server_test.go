package githubtest_test

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	gh "github.com/google/go-github/v92/github"

	"booty/internal/githubtest"
)

// asErrorResponse asserts err is a plain *github.ErrorResponse with status.
func asErrorResponse(t *testing.T, err error, status int) *gh.ErrorResponse {
	t.Helper()
	var er *gh.ErrorResponse
	if !errors.As(err, &er) {
		t.Fatalf("got error %T (%v), want *github.ErrorResponse", err, err)
	}
	if got := er.Response.StatusCode; got != status {
		t.Fatalf("got status %d, want %d (%v)", got, status, err)
	}
	return er
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	b := setup(t, githubtest.Options{})
	tests := []struct {
		name   string
		header http.Header
		want   int
	}{
		{"bearer", http.Header{"Authorization": {"Bearer " + testToken}}, http.StatusOK},
		{"token scheme", http.Header{"Authorization": {"token " + testToken}}, http.StatusOK},
		{"none", nil, http.StatusUnauthorized},
		{"wrong token", http.Header{"Authorization": {"Bearer nope"}}, http.StatusUnauthorized},
		{"basic", http.Header{"Authorization": {"Basic " + testToken}}, http.StatusUnauthorized},
		{"no scheme", http.Header{"Authorization": {testToken}}, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp, body := raw(t, b.srv, http.MethodGet, "/user", "", tt.header)
			if resp.StatusCode != tt.want {
				t.Fatalf("got status %d, want %d (%s)", resp.StatusCode, tt.want, body)
			}
			if tt.want == http.StatusUnauthorized && !strings.Contains(body, `"message":"Bad credentials"`) {
				t.Errorf("got body %s, want Bad credentials", body)
			}
		})
	}

	t.Run("go-github sees ErrorResponse", func(t *testing.T) {
		t.Parallel()
		_, _, err := newClient(t, b.srv, "wrong").Users.Get(t.Context(), "")
		if er := asErrorResponse(t, err, http.StatusUnauthorized); er.Message != "Bad credentials" {
			t.Errorf("got message %q, want Bad credentials", er.Message)
		}
	})
	t.Run("secret never echoed", func(t *testing.T) {
		t.Parallel()
		_, body := raw(t, b.srv, http.MethodGet, "/user", "", http.Header{"Authorization": {"Bearer leaked-secret-value"}})
		if strings.Contains(body, "leaked-secret-value") {
			t.Errorf("401 body %s repeats the credential", body)
		}
	})
}

func TestCommonHeaders(t *testing.T) {
	t.Parallel()
	b := setup(t, githubtest.Options{})
	for _, path := range []string{"/user", "/repos/acme/shop", "/repos/acme/nope", "/no/such/route"} {
		t.Run(path, func(t *testing.T) {
			resp, _ := raw(t, b.srv, http.MethodGet, path, "", authHeader())
			for _, h := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Used", "X-RateLimit-Reset", "X-GitHub-Request-Id"} {
				if resp.Header.Get(h) == "" {
					t.Errorf("header %s missing", h)
				}
			}
			if got := resp.Header.Get("X-RateLimit-Resource"); got != "core" {
				t.Errorf("got X-RateLimit-Resource %q, want core", got)
			}
			if got := resp.Header.Get("Content-Type"); !strings.HasPrefix(got, "application/json") {
				t.Errorf("got Content-Type %q, want application/json", got)
			}
			if got, want := resp.Header.Get("X-RateLimit-Reset"), strconv.FormatInt(epoch.Add(time.Hour).Unix(), 10); got != want {
				t.Errorf("got X-RateLimit-Reset %s, want %s", got, want)
			}
		})
	}

	t.Run("go-github reads the rate", func(t *testing.T) {
		_, resp, err := b.gh.Users.Get(t.Context(), "")
		if err != nil {
			t.Fatal(err)
		}
		if resp.Rate.Limit != githubtest.DefaultRateLimit || resp.Rate.Remaining != resp.Rate.Limit-resp.Rate.Used || resp.Rate.Resource != "core" {
			t.Errorf("got rate %+v, want limit %d, remaining = limit - used, resource core", resp.Rate, githubtest.DefaultRateLimit)
		}
	})
}

func TestRateLimitWindowNeverRunsOut(t *testing.T) {
	t.Parallel()
	b := setup(t, githubtest.Options{RateLimit: 3})
	for i := range 7 {
		_, resp, err := b.gh.Users.Get(t.Context(), "")
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if resp.Rate.Remaining < 1 {
			t.Fatalf("request %d: got remaining %d, want at least 1", i, resp.Rate.Remaining)
		}
	}
}

func TestRateLimitEndpointAndUser(t *testing.T) {
	t.Parallel()
	b := setup(t, githubtest.Options{Login: "booty-bot"})
	createIssue(t, b.gh, "one")
	limits, _, err := b.gh.RateLimit.Get(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := gh.Rate{Limit: 5000, Remaining: 4999, Used: 1, Reset: gh.Timestamp{Time: epoch.Add(time.Hour)}, Resource: "core"}
	if diff := cmp.Diff(want, *limits.Core, cmp.Comparer(func(a, b gh.Timestamp) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("core rate (-want +got):\n%s", diff)
	}
	u, _, err := b.gh.Users.Get(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	if u.GetLogin() != "booty-bot" || u.GetID() != 1 {
		t.Errorf("got user %s/%d, want booty-bot/1", u.GetLogin(), u.GetID())
	}
}

func TestGetRepository(t *testing.T) {
	t.Parallel()
	tests := []struct {
		readOnly bool
		wantPush bool
	}{{false, true}, {true, false}}
	for _, tt := range tests {
		t.Run("readOnly="+strconv.FormatBool(tt.readOnly), func(t *testing.T) {
			t.Parallel()
			b := setup(t, githubtest.Options{ReadOnly: tt.readOnly})
			r, _, err := b.gh.Repositories.Get(t.Context(), "ACME", "Shop")
			if err != nil {
				t.Fatal(err)
			}
			if r.GetFullName() != "acme/shop" || r.GetPermissions().GetPush() != tt.wantPush || !r.GetPermissions().GetPull() {
				t.Errorf("got %s push=%v pull=%v, want acme/shop push=%v pull=true",
					r.GetFullName(), r.GetPermissions().GetPush(), r.GetPermissions().GetPull(), tt.wantPush)
			}
			_, _, err = b.gh.Issues.Create(t.Context(), owner, repo, gh.CreateIssueRequest{Title: "x"})
			if tt.readOnly {
				asErrorResponse(t, err, http.StatusForbidden)
			} else if err != nil {
				t.Errorf("create with push access: %v", err)
			}
		})
	}

	t.Run("other repository", func(t *testing.T) {
		t.Parallel()
		b := setup(t, githubtest.Options{})
		_, _, err := b.gh.Repositories.Get(t.Context(), owner, "other")
		if er := asErrorResponse(t, err, http.StatusNotFound); er.Message != "Not Found" || er.DocumentationURL == "" {
			t.Errorf("got %q %q, want Not Found with documentation_url", er.Message, er.DocumentationURL)
		}
	})
}

func TestCreateIssue(t *testing.T) {
	t.Parallel()
	b := setup(t, githubtest.Options{Labels: []githubtest.Label{{Name: "agent:builder", Color: "0e8a16", Description: "for the builder"}}})
	is, resp, err := b.gh.Issues.Create(t.Context(), owner, repo, gh.CreateIssueRequest{
		Title:  "[error] KeyError — app/models.py:42",
		Body:   new("<!-- booty:problem=123 -->"),
		Labels: []string{"Agent:Builder", "sentry", "sentry"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("got status %d, want 201", resp.StatusCode)
	}
	if got, want := resp.Header.Get("Location"), b.srv.URL+"repos/acme/shop/issues/1"; got != want {
		t.Errorf("got Location %q, want %q", got, want)
	}
	got := map[string]any{
		"number": is.GetNumber(), "state": is.GetState(), "title": is.GetTitle(), "body": is.GetBody(),
		"html_url": is.GetHTMLURL(), "url": is.GetURL(), "user": is.GetUser().GetLogin(), "comments": is.GetComments(),
		"created_at": is.GetCreatedAt().Time, "updated_at": is.GetUpdatedAt().Time, "closed": is.ClosedAt != nil,
	}
	want := map[string]any{
		"number": 1, "state": "open", "title": "[error] KeyError — app/models.py:42", "body": "<!-- booty:problem=123 -->",
		"html_url": "https://github.com/acme/shop/issues/1", "url": b.srv.URL + "repos/acme/shop/issues/1",
		"user": githubtest.DefaultLogin, "comments": 0, "created_at": epoch, "updated_at": epoch, "closed": false,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("issue (-want +got):\n%s", diff)
	}
	var labels []string
	for _, l := range is.Labels {
		labels = append(labels, l.Name+"/"+l.Color)
	}
	if diff := cmp.Diff([]string{"agent:builder/0e8a16", "sentry/ededed"}, labels); diff != "" {
		t.Errorf("labels: existing one reused, unknown one created, duplicates dropped (-want +got):\n%s", diff)
	}
	l, _, err := b.gh.Issues.GetLabel(t.Context(), owner, repo, "sentry")
	if err != nil || l.Name != "sentry" {
		t.Errorf("label created by the issue: got %v, %v; want sentry", l, err)
	}
	second := createIssue(t, b.gh, "two")
	if second.GetNumber() != 2 {
		t.Errorf("second issue: got number %d, want 2", second.GetNumber())
	}
	if second.GetID() == is.GetID() {
		t.Errorf("issues share id %d", is.GetID())
	}
}

func TestCreateIssueWithoutBody(t *testing.T) {
	t.Parallel()
	b := setup(t, githubtest.Options{})
	is, _, err := b.gh.Issues.Create(t.Context(), owner, repo, gh.CreateIssueRequest{Title: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if is.Body != nil {
		t.Errorf("got body %q, want null as GitHub sends", *is.Body)
	}
}

func TestCreateIssueValidation(t *testing.T) {
	t.Parallel()
	b := setup(t, githubtest.Options{})
	tests := []struct {
		name  string
		title string
		body  string
		want  []gh.Error // nil: created
	}{
		{"empty title", "", "b", []gh.Error{{Resource: "Issue", Code: "missing_field", Field: "title"}}},
		{"blank title", "   ", "b", []gh.Error{{Resource: "Issue", Code: "missing_field", Field: "title"}}},
		{"title 256 characters", strings.Repeat("é", 256), "b", nil},
		{"title 257 characters", strings.Repeat("a", 257), "b", []gh.Error{{Resource: "Issue", Code: "custom", Field: "title", Message: "title is too long (maximum is 256 characters)"}}},
		{"body 65536 characters", "t", strings.Repeat("ü", 65536), nil},
		{"body 65537 characters", "t", strings.Repeat("a", 65537), []gh.Error{{Resource: "Issue", Code: "custom", Field: "body", Message: "body is too long (maximum is 65536 characters)"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := b.gh.Issues.Create(t.Context(), owner, repo, gh.CreateIssueRequest{Title: tt.title, Body: &tt.body})
			if tt.want == nil {
				if err != nil {
					t.Fatalf("got %v, want created", err)
				}
				return
			}
			er := asErrorResponse(t, err, http.StatusUnprocessableEntity)
			if er.Message != "Validation Failed" || !strings.HasPrefix(er.DocumentationURL, "https://docs.github.com/") {
				t.Errorf("got message %q docs %q, want Validation Failed with docs", er.Message, er.DocumentationURL)
			}
			if diff := cmp.Diff(tt.want, er.Errors); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("not JSON", func(t *testing.T) {
		t.Parallel()
		resp, body := raw(t, b.srv, http.MethodPost, "/repos/acme/shop/issues", "{title", authHeader())
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Problems parsing JSON") {
			t.Errorf("got %d %s, want 400 Problems parsing JSON", resp.StatusCode, body)
		}
	})
	t.Run("label objects", func(t *testing.T) {
		t.Parallel()
		resp, body := raw(t, b.srv, http.MethodPost, "/repos/acme/shop/issues", `{"title":"t","labels":[{"name":"obj"}]}`, authHeader())
		if resp.StatusCode != http.StatusCreated || !strings.Contains(body, `"name":"obj"`) {
			t.Errorf("got %d %s, want 201 with label obj", resp.StatusCode, body)
		}
	})
}

func TestGetIssue(t *testing.T) {
	t.Parallel()
	b := setup(t, githubtest.Options{})
	createIssue(t, b.gh, "one", "bug")
	is, _, err := b.gh.Issues.Get(t.Context(), owner, repo, 1)
	if err != nil {
		t.Fatal(err)
	}
	if is.GetTitle() != "one" || len(is.Labels) != 1 || is.Labels[0].Name != "bug" {
		t.Errorf("got %q %v, want one [bug]", is.GetTitle(), is.Labels)
	}
	for _, path := range []string{"/repos/acme/shop/issues/2", "/repos/acme/shop/issues/0", "/repos/acme/shop/issues/x", "/repos/acme/other/issues/1"} {
		t.Run(path, func(t *testing.T) {
			resp, body := raw(t, b.srv, http.MethodGet, path, "", authHeader())
			if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, `"message":"Not Found"`) {
				t.Errorf("got %d %s, want 404 Not Found", resp.StatusCode, body)
			}
		})
	}
}

func TestUnknownRoutes(t *testing.T) {
	t.Parallel()
	b := setup(t, githubtest.Options{})
	createIssue(t, b.gh, "one")
	for _, rt := range []struct{ method, path string }{
		{http.MethodGet, "/repos/acme/shop/pulls/1/files"},
		{http.MethodDelete, "/repos/acme/shop/issues/1"},
		{http.MethodPut, "/repos/acme/shop/issues"},
		{http.MethodGet, "/"},
	} {
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			resp, body := raw(t, b.srv, rt.method, rt.path, "", authHeader())
			if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, `"message":"Not Found"`) {
				t.Errorf("got %d %s, want 404 Not Found JSON", resp.StatusCode, body)
			}
		})
	}
}

func TestUpdateIssue(t *testing.T) {
	t.Parallel()
	b := setup(t, githubtest.Options{})
	createIssue(t, b.gh, "one", "bug")
	update := func(t *testing.T, req gh.UpdateIssueRequest) *gh.Issue {
		t.Helper()
		b.clock.Advance(time.Minute)
		is, _, err := b.gh.Issues.Update(t.Context(), owner, repo, 1, req)
		if err != nil {
			t.Fatal(err)
		}
		if !is.GetUpdatedAt().Time.Equal(b.clock.Now()) {
			t.Errorf("got updated_at %v, want %v", is.GetUpdatedAt(), b.clock.Now())
		}
		return is
	}

	is := update(t, gh.UpdateIssueRequest{State: new("closed")})
	if is.GetState() != "closed" || is.GetStateReason() != "completed" || !is.GetClosedAt().Time.Equal(b.clock.Now()) || is.GetClosedBy().GetLogin() != githubtest.DefaultLogin {
		t.Errorf("closed: got state %q reason %q closed_at %v by %q", is.GetState(), is.GetStateReason(), is.GetClosedAt(), is.GetClosedBy().GetLogin())
	}
	is = update(t, gh.UpdateIssueRequest{State: new("open"), Title: new("renamed"), Body: new("new body")})
	if is.GetState() != "open" || is.GetStateReason() != "reopened" || is.ClosedAt != nil || is.GetTitle() != "renamed" || is.GetBody() != "new body" {
		t.Errorf("reopened: got state %q reason %q closed_at %v title %q body %q", is.GetState(), is.GetStateReason(), is.ClosedAt, is.GetTitle(), is.GetBody())
	}
	is = update(t, gh.UpdateIssueRequest{State: new("closed"), StateReason: new("not_planned")})
	if is.GetStateReason() != "not_planned" {
		t.Errorf("got reason %q, want not_planned", is.GetStateReason())
	}
	is = update(t, gh.UpdateIssueRequest{Labels: []string{"a", "b"}})
	if len(is.Labels) != 2 || is.Labels[0].Name != "a" {
		t.Errorf("labels replaced: got %v, want [a b]", is.Labels)
	}
	is = update(t, gh.UpdateIssueRequest{Title: new("keeps labels")})
	if len(is.Labels) != 2 {
		t.Errorf("labels omitted: got %v, want unchanged [a b]", is.Labels)
	}
	is = update(t, gh.UpdateIssueRequest{Labels: []string{}})
	if len(is.Labels) != 0 {
		t.Errorf("labels cleared: got %v, want none", is.Labels)
	}

	snap, ok := b.srv.Issue(1)
	want := githubtest.Issue{Number: 1, User: githubtest.DefaultLogin, Title: "keeps labels", Body: "new body", Labels: []string{}, State: "closed", StateReason: "not_planned",
		Comments: []string{}, CreatedAt: epoch, UpdatedAt: b.clock.Now(), ClosedAt: epoch.Add(3 * time.Minute)}
	if diff := cmp.Diff(want, snap); !ok || diff != "" {
		t.Errorf("Issue(1) ok=%v (-want +got):\n%s", ok, diff)
	}

	for _, tt := range []struct {
		name string
		req  gh.UpdateIssueRequest
		want gh.Error
	}{
		{"bad state", gh.UpdateIssueRequest{State: new("shut")}, gh.Error{Resource: "Issue", Code: "invalid", Field: "state"}},
		{"bad reason", gh.UpdateIssueRequest{StateReason: new("bored")}, gh.Error{Resource: "Issue", Code: "invalid", Field: "state_reason"}},
		{"empty title", gh.UpdateIssueRequest{Title: new("")}, gh.Error{Resource: "Issue", Code: "missing_field", Field: "title"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := b.gh.Issues.Update(t.Context(), owner, repo, 1, tt.req)
			er := asErrorResponse(t, err, http.StatusUnprocessableEntity)
			if diff := cmp.Diff([]gh.Error{tt.want}, er.Errors); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("missing issue", func(t *testing.T) {
		_, _, err := b.gh.Issues.Update(t.Context(), owner, repo, 9, gh.UpdateIssueRequest{State: new("closed")})
		asErrorResponse(t, err, http.StatusNotFound)
	})
}

func TestCloseIssueAsMaintainer(t *testing.T) {
	t.Parallel()
	b := setup(t, githubtest.Options{})
	createIssue(t, b.gh, "one")
	b.clock.Advance(time.Hour)
	if err := b.srv.CloseIssue(1); err != nil {
		t.Fatal(err)
	}
	if err := b.srv.CloseIssue(2); err == nil {
		t.Error("CloseIssue(2): got nil, want error for a missing issue")
	}
	is, _, err := b.gh.Issues.Get(t.Context(), owner, repo, 1)
	if err != nil {
		t.Fatal(err)
	}
	if is.GetState() != "closed" || is.GetClosedBy().GetLogin() != "maintainer" || !is.GetUpdatedAt().Time.Equal(epoch.Add(time.Hour)) {
		t.Errorf("got state %q closed_by %q updated_at %v, want closed by maintainer at %v",
			is.GetState(), is.GetClosedBy().GetLogin(), is.GetUpdatedAt(), epoch.Add(time.Hour))
	}
}

func TestComments(t *testing.T) {
	t.Parallel()
	b := setup(t, githubtest.Options{})
	createIssue(t, b.gh, "one")
	var ids []int64
	for i := range 5 {
		b.clock.Advance(time.Minute)
		c, resp, err := b.gh.Issues.CreateComment(t.Context(), owner, repo, 1, gh.IssueCommentRequest{Body: "comment " + strconv.Itoa(i)})
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusCreated || c.GetUser().GetLogin() != githubtest.DefaultLogin || !c.GetCreatedAt().Time.Equal(b.clock.Now()) {
			t.Errorf("comment %d: got status %d user %q created %v", i, resp.StatusCode, c.GetUser().GetLogin(), c.GetCreatedAt())
		}
		if want := "https://github.com/acme/shop/issues/1#issuecomment-" + strconv.FormatInt(c.GetID(), 10); c.GetHTMLURL() != want {
			t.Errorf("got html_url %q, want %q", c.GetHTMLURL(), want)
		}
		ids = append(ids, c.GetID())
	}
	is, _, err := b.gh.Issues.Get(t.Context(), owner, repo, 1)
	if err != nil {
		t.Fatal(err)
	}
	if is.GetComments() != 5 || !is.GetUpdatedAt().Time.Equal(epoch.Add(5*time.Minute)) {
		t.Errorf("got comments %d updated_at %v, want 5 and %v", is.GetComments(), is.GetUpdatedAt(), epoch.Add(5*time.Minute))
	}

	var got []string
	var gotIDs []int64
	opts := &gh.IssueListCommentsOptions{ListOptions: gh.ListOptions{PerPage: 2}}
	pages := 0
	for {
		cs, resp, err := b.gh.Issues.ListComments(t.Context(), owner, repo, 1, opts)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, c := range cs {
			got = append(got, c.GetBody())
			gotIDs = append(gotIDs, c.GetID())
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	if diff := cmp.Diff([]string{"comment 0", "comment 1", "comment 2", "comment 3", "comment 4"}, got); diff != "" || pages != 3 {
		t.Errorf("paged comments in %d pages, want 3 (-want +got):\n%s", pages, diff)
	}
	if diff := cmp.Diff(ids, gotIDs); diff != "" {
		t.Errorf("comment ids (-want +got):\n%s", diff)
	}

	since := epoch.Add(4 * time.Minute)
	cs, _, err := b.gh.Issues.ListComments(t.Context(), owner, repo, 1, &gh.IssueListCommentsOptions{Since: &since})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 {
		t.Errorf("since %v: got %d comments, want 2", since, len(cs))
	}

	snap, _ := b.srv.Issue(1)
	if len(snap.Comments) != 5 || snap.Comments[4] != "comment 4" {
		t.Errorf("snapshot comments: got %q", snap.Comments)
	}

	t.Run("missing issue", func(t *testing.T) {
		_, _, err := b.gh.Issues.CreateComment(t.Context(), owner, repo, 7, gh.IssueCommentRequest{Body: "x"})
		asErrorResponse(t, err, http.StatusNotFound)
		_, _, err = b.gh.Issues.ListComments(t.Context(), owner, repo, 7, nil)
		asErrorResponse(t, err, http.StatusNotFound)
	})
	t.Run("empty body", func(t *testing.T) {
		_, _, err := b.gh.Issues.CreateComment(t.Context(), owner, repo, 1, gh.IssueCommentRequest{})
		er := asErrorResponse(t, err, http.StatusUnprocessableEntity)
		if diff := cmp.Diff([]gh.Error{{Resource: "IssueComment", Code: "missing_field", Field: "body"}}, er.Errors); diff != "" {
			t.Errorf("errors (-want +got):\n%s", diff)
		}
	})
	t.Run("body too long", func(t *testing.T) {
		_, _, err := b.gh.Issues.CreateComment(t.Context(), owner, repo, 1, gh.IssueCommentRequest{Body: strings.Repeat("x", 65537)})
		er := asErrorResponse(t, err, http.StatusUnprocessableEntity)
		if len(er.Errors) != 1 || er.Errors[0].Message != "body is too long (maximum is 65536 characters)" {
			t.Errorf("got errors %+v, want body is too long", er.Errors)
		}
	})
}

func TestLabels(t *testing.T) {
	t.Parallel()
	b := setup(t, githubtest.Options{})
	_, _, err := b.gh.Issues.GetLabel(t.Context(), owner, repo, "agent:builder")
	asErrorResponse(t, err, http.StatusNotFound)

	l, resp, err := b.gh.Issues.CreateLabel(t.Context(), owner, repo, gh.CreateIssueLabelRequest{Name: "agent:builder", Color: new("#0E8A16"), Description: new("for the builder")})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusCreated || l.Name != "agent:builder" || l.Color != "0e8a16" || l.GetDescription() != "for the builder" {
		t.Errorf("got %d %+v, want 201 agent:builder 0e8a16", resp.StatusCode, l)
	}
	got, _, err := b.gh.Issues.GetLabel(t.Context(), owner, repo, "Agent:Builder")
	if err != nil || got.ID != l.ID {
		t.Errorf("GetLabel ignoring case: got %+v, %v; want id %d", got, err, l.ID)
	}
	slashed, _, err := b.gh.Issues.CreateLabel(t.Context(), owner, repo, gh.CreateIssueLabelRequest{Name: "area/github"})
	if err != nil || slashed.Color != "ededed" {
		t.Fatalf("create area/github: %+v, %v", slashed, err)
	}
	if _, _, err := b.gh.Issues.GetLabel(t.Context(), owner, repo, "area/github"); err != nil {
		t.Errorf("GetLabel area/github: %v", err)
	}

	for _, tt := range []struct {
		name string
		req  gh.CreateIssueLabelRequest
		want gh.Error
	}{
		{"exists", gh.CreateIssueLabelRequest{Name: "AGENT:builder"}, gh.Error{Resource: "Label", Code: "already_exists", Field: "name"}},
		{"no name", gh.CreateIssueLabelRequest{}, gh.Error{Resource: "Label", Code: "missing_field", Field: "name"}},
		{"bad color", gh.CreateIssueLabelRequest{Name: "c", Color: new("green")}, gh.Error{Resource: "Label", Code: "invalid", Field: "color"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := b.gh.Issues.CreateLabel(t.Context(), owner, repo, tt.req)
			er := asErrorResponse(t, err, http.StatusUnprocessableEntity)
			if diff := cmp.Diff([]gh.Error{tt.want}, er.Errors); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
	want := []githubtest.Label{{Name: "agent:builder", Color: "0e8a16", Description: "for the builder"}, {Name: "area/github", Color: "ededed"}}
	if diff := cmp.Diff(want, b.srv.Labels()); diff != "" {
		t.Errorf("Labels() (-want +got):\n%s", diff)
	}
}

func TestSeededState(t *testing.T) {
	t.Parallel()
	closed := epoch.Add(-time.Hour)
	b := setup(t, githubtest.Options{
		Labels: []githubtest.Label{{Name: "keep", Color: "123456"}},
		Issues: []githubtest.Issue{
			{Number: 3, Title: "three", State: "closed", ClosedAt: closed, CreatedAt: epoch.Add(-2 * time.Hour), UpdatedAt: closed, Labels: []string{"x"}},
			{Title: "unnumbered"},
			{Number: 1, Title: "one", Comments: []string{"c1"}},
			{Number: 1, Title: "duplicate number"},
		},
	})
	var got []string
	for _, is := range b.srv.Issues() {
		got = append(got, strconv.Itoa(is.Number)+" "+is.Title+" "+is.State)
	}
	want := []string{"1 one open", "2 duplicate number open", "3 three closed", "4 unnumbered open"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("seeded issues (-want +got):\n%s", diff)
	}
	if n := createIssue(t, b.gh, "new").GetNumber(); n != 5 {
		t.Errorf("next number: got %d, want 5", n)
	}
	is, _, err := b.gh.Issues.Get(t.Context(), owner, repo, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !is.GetClosedAt().Time.Equal(closed) || is.GetStateReason() != "completed" {
		t.Errorf("seeded closed issue: got closed_at %v reason %q", is.GetClosedAt(), is.GetStateReason())
	}
	one, _, err := b.gh.Issues.Get(t.Context(), owner, repo, 1)
	if err != nil || one.GetComments() != 1 {
		t.Errorf("seeded comments: got %d, %v; want 1", one.GetComments(), err)
	}
	if _, _, err := b.gh.Issues.GetLabel(t.Context(), owner, repo, "keep"); err != nil {
		t.Errorf("seeded label: %v", err)
	}
}

func TestCounters(t *testing.T) {
	t.Parallel()
	b := setup(t, githubtest.Options{})
	createIssue(t, b.gh, "one")
	if _, _, err := b.gh.Issues.CreateComment(t.Context(), owner, repo, 1, gh.IssueCommentRequest{Body: "c"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.gh.Issues.Get(t.Context(), owner, repo, 1); err != nil {
		t.Fatal(err)
	}
	// A write that fails still counts: booty's pacing must see it.
	_, _, err := newClient(t, b.srv, "wrong").Issues.Create(t.Context(), owner, repo, gh.CreateIssueRequest{Title: "x"})
	asErrorResponse(t, err, http.StatusUnauthorized)
	raw(t, b.srv, http.MethodGet, "/_standin/issues", "", nil) // control: not counted

	if got := b.srv.Writes(); got != 3 {
		t.Errorf("Writes: got %d, want 3", got)
	}
	for _, tt := range []struct {
		method, pattern string
		want            int
	}{
		{http.MethodPost, "/repos/acme/shop/issues", 2},
		{http.MethodPost, "/repos/{owner}/{repo}/issues/*/comments", 1},
		{"", "/repos/acme/shop/issues/1", 1},
		{"", "/repos/acme/shop/...", 4},
		{githubtest.AnyWrite, "", 3},
		{http.MethodGet, "", 1},
		{"", "", 4},
	} {
		if got := b.srv.Count(tt.method, tt.pattern); got != tt.want {
			t.Errorf("Count(%q, %q): got %d, want %d", tt.method, tt.pattern, got, tt.want)
		}
	}
	reqs := b.srv.Requests()
	if len(reqs) != 4 || reqs[0].Status != http.StatusCreated || reqs[3].Status != http.StatusUnauthorized {
		t.Errorf("Requests: got %+v, want 4 with statuses 201 … 401", reqs)
	}
}
