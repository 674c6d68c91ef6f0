package web_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"booty/internal/web"
)

func TestAuth(t *testing.T) {
	t.Parallel()
	s := seed(t)
	for _, tc := range []struct {
		name, user, password string
		want                 int
	}{
		{"none", "", "", http.StatusUnauthorized},
		{"wrong user", "admin", testToken, http.StatusUnauthorized},
		{"wrong password", "booty", testToken + "x", http.StatusUnauthorized},
		{"empty password", "booty", "", http.StatusUnauthorized},
		{"right", "booty", testToken, http.StatusOK},
	} {
		for _, path := range []string{"/", "/problems/sentry:1", "/api/v1/problems", "/api/v1/problems/sentry:1",
			"/runs/1", "/api/v1/runs/1"} {
			res := s.do(t, http.MethodGet, path, tc.user, tc.password)
			body := readBody(t, res)
			if res.StatusCode != tc.want {
				t.Errorf("%s: GET %s: %d, want %d", tc.name, path, res.StatusCode, tc.want)
			}
			if tc.want == http.StatusUnauthorized {
				if got := res.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, `Basic realm="booty"`) {
					t.Errorf("%s: WWW-Authenticate %q", tc.name, got)
				}
				if strings.Contains(body, "sentry:1") {
					t.Errorf("%s: unauthorized answer shows problems: %q", tc.name, body)
				}
			}
		}
	}
}

func TestMethodsAndHeaders(t *testing.T) {
	t.Parallel()
	s := seed(t)
	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{http.MethodGet, "/", http.StatusOK},
		{http.MethodHead, "/", http.StatusMethodNotAllowed},
		{http.MethodPost, "/", http.StatusMethodNotAllowed},
		{http.MethodPost, "/api/v1/problems", http.StatusMethodNotAllowed},
		{http.MethodDelete, "/api/v1/problems/sentry:1", http.StatusMethodNotAllowed},
		{http.MethodGet, "/nothing-here", http.StatusNotFound},
	} {
		res := s.do(t, tc.method, tc.path, "booty", testToken)
		readBody(t, res)
		if res.StatusCode != tc.want {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, res.StatusCode, tc.want)
		}
		for name, want := range map[string]string{
			"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'",
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "no-referrer",
			"X-Frame-Options":         "DENY",
		} {
			if got := res.Header.Get(name); got != want {
				t.Errorf("%s %s: %s %q, want %q", tc.method, tc.path, name, got, want)
			}
		}
	}
}

// TestOff checks that without a token the page answers nothing but 404.
func TestOff(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(web.New(web.Options{}))
	defer srv.Close()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/api/v1/problems", nil)
	req.SetBasicAuth("booty", "")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("no token: %d, want 404", res.StatusCode)
	}
}

func TestAPIProblemsFilters(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, s seeded) {
		for _, tc := range []struct {
			query    string
			wantKeys []string // the first keys, in order
			wantN    int
			wantMore bool
		}{
			{"", []string{"sentry:1", "sentry:2", "sentry:3", "sentry:4", "sentry:100"}, 59, false},
			{"?state=open", []string{"sentry:1"}, 1, false},
			{"?state=closed", []string{"sentry:2"}, 1, false},
			{"?state=folded", []string{"sentry:4"}, 1, false},
			{"?repo=acme/web", []string{"sentry:2", "sentry:4"}, 2, false},
			{"?repo=acme/shop&state=pending&limit=1", []string{"sentry:3"}, 1, true},
			{"?route=web", []string{"sentry:2", "sentry:4"}, 2, false},
			{"?search=OCTOCAT", []string{"sentry:1"}, 1, false},
			{"?since=90m", []string{"sentry:1", "sentry:2", "sentry:3", "sentry:4"}, 4, false},
			{"?limit=2&offset=1", []string{"sentry:2", "sentry:3"}, 2, true},
			{"?offset=58", []string{"sentry:154"}, 1, false},
		} {
			code, body := s.get(t, "/api/v1/problems"+tc.query)
			if code != http.StatusOK {
				t.Errorf("%s: %d %s", tc.query, code, body)
				continue
			}
			var got web.ProblemListJSON
			if err := json.Unmarshal([]byte(body), &got); err != nil {
				t.Fatalf("%s: %v", tc.query, err)
			}
			if len(got.Problems) != tc.wantN || got.More != tc.wantMore {
				t.Errorf("%s: %d problems, more %v; want %d, %v", tc.query, len(got.Problems), got.More, tc.wantN, tc.wantMore)
				continue
			}
			for i, k := range tc.wantKeys {
				if got.Problems[i].Key != k {
					t.Errorf("%s: problem %d is %s, want %s", tc.query, i, got.Problems[i].Key, k)
				}
			}
		}
	})
}

func TestAPIBadRequests(t *testing.T) {
	t.Parallel()
	s := seed(t)
	for _, tc := range []struct {
		path, wantError string
		want            int
	}{
		{"/api/v1/problems?state=burning", `state \"burning\"`, http.StatusBadRequest},
		{"/api/v1/problems?repo=not%20a%20repo", "OWNER/REPO", http.StatusBadRequest},
		{"/api/v1/problems?since=-1h", "positive duration", http.StatusBadRequest},
		{"/api/v1/problems?limit=0", "limit", http.StatusBadRequest},
		{"/api/v1/problems?offset=x", "offset", http.StatusBadRequest},
		{"/api/v1/problems/sentry:999", "no such problem", http.StatusNotFound},
		{"/problems/sentry:999", "no such problem", http.StatusNotFound},
		{"/?state=burning", "state &#34;burning&#34;", http.StatusBadRequest},
		{"/?page=0", "page", http.StatusBadRequest},
	} {
		code, body := s.get(t, tc.path)
		if code != tc.want || !strings.Contains(body, tc.wantError) {
			t.Errorf("%s: %d %q; want %d with %q", tc.path, code, body, tc.want, tc.wantError)
		}
	}
}

func TestAPIProblemShape(t *testing.T) {
	t.Parallel()
	s := seed(t)
	code, body := s.get(t, "/api/v1/problems/sentry:1")
	if code != http.StatusOK {
		t.Fatalf("%d %s", code, body)
	}
	var got web.ProblemShowJSON
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	p := got.Problem
	if p.Key != "sentry:1" || p.Title != scriptTitle || p.State != "open" || p.Repo != "acme/shop" || !p.DefaultRepo ||
		p.IssueRef != "acme/shop#5" || p.IssueURL != "https://github.com/acme/shop/issues/5" || p.Events != 3 ||
		p.SentryURL != "https://acme.sentry.io/issues/1/" || p.Release != "shop@1.2.0" {
		t.Errorf("problem: %+v", p)
	}
	if len(got.Timeline) != 2 || got.Timeline[0].Decision != "create" || got.Timeline[1].Decision != "ignored" || got.Timeline[1].Reason != "duplicate" ||
		got.Jobs == nil || got.Digest != nil {
		t.Errorf("timeline %+v, jobs %v, digest %v", got.Timeline, got.Jobs, got.Digest)
	}
	// The field names are the CLI's, for scripts: check a few raw.
	for _, name := range []string{`"issue_url"`, `"sentry_url"`, `"timeline"`, `"default_repo"`} {
		if !strings.Contains(body, name) {
			t.Errorf("no %s in %s", name, body)
		}
	}
}

func TestPagination(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, s seeded) {
		for _, tc := range []struct {
			path               string
			wantRows           int
			wantPrev, wantNext bool
		}{
			{"/", 50, false, true},
			{"/?page=2", 9, true, false},
			{"/?page=3", 0, true, false},
			{"/?state=pending&page=1", 50, false, true},
			{"/?state=pending&page=2", 6, true, false},
		} {
			code, body := s.get(t, tc.path)
			if code != http.StatusOK {
				t.Errorf("%s: %d", tc.path, code)
				continue
			}
			if got := rows(body); got != tc.wantRows {
				t.Errorf("%s: %d rows, want %d", tc.path, got, tc.wantRows)
			}
			if got := strings.Contains(body, `rel="prev"`); got != tc.wantPrev {
				t.Errorf("%s: a link to the previous page: %v, want %v", tc.path, got, tc.wantPrev)
			}
			if got := strings.Contains(body, `rel="next"`); got != tc.wantNext {
				t.Errorf("%s: a link to the next page: %v, want %v", tc.path, got, tc.wantNext)
			}
		}
		_, body := s.get(t, "/?state=pending")
		if !strings.Contains(body, `href="/?page=2&amp;state=pending"`) {
			t.Errorf("the next page keeps the filter: %s", body)
		}
	})
}

func TestPageContents(t *testing.T) {
	t.Parallel()
	s := seed(t)
	_, list := s.get(t, "/")
	_, show := s.get(t, "/problems/sentry:1")
	_, closed := s.get(t, "/problems/sentry:2")
	for _, tc := range []struct {
		name, body string
		want, not  []string
	}{
		{"list", list, []string{
			"v1.2.3", "booty@abc", "sqlite", "web", "2026-03-14 15:11:26Z", `<meta http-equiv="refresh" content="30">`,
			`<meta name="viewport"`, `href="https://github.com/acme/shop/issues/5">acme/shop#5</a>`,
			`href="https://acme.sentry.io/issues/1/"`, `href="/problems/sentry:1"`,
			"&lt;script&gt;alert(1)&lt;/script&gt; and @octocat", "&lt;img src=x onerror=&#34;window.__pwned=1&#34;&gt;",
			"javascript:alert(2)", "&lt;b&gt;GitHub 422&lt;/b&gt;", "out of attempts",
		}, []string{scriptTitle, imgTitle, `href="javascript:`, "<b>GitHub", "<script"}},
		{"problem", show, []string{
			`id="timeline"`, "create", "duplicate", "event e2", "&lt;script&gt;alert(1)&lt;/script&gt; and @octocat",
			"acme/shop (the default repository)",
		}, []string{scriptTitle, "<script", `http-equiv="refresh"`}},
		{"closed problem", closed, []string{"closed", "2026-03-14 15:10:26Z, as completed", "acme/web#7", "javascript:alert(2)"},
			[]string{imgTitle, `href="javascript:`}},
	} {
		for _, w := range tc.want {
			if !strings.Contains(tc.body, w) {
				t.Errorf("%s: no %q in the page", tc.name, w)
			}
		}
		for _, n := range tc.not {
			if strings.Contains(tc.body, n) {
				t.Errorf("%s: %q in the page", tc.name, n)
			}
		}
	}
}
