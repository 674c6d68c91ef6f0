package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"booty/internal/web"
)

func TestRunPath(t *testing.T) {
	t.Parallel()
	if got := web.RunPath(42); got != "/runs/42" {
		t.Errorf("RunPath(42) = %q, want /runs/42", got)
	}
}

// TestRunPages reads the seeded runs on their pages, in the problem's page
// and on the home page, on each backend.
func TestRunPages(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, s seeded) {
		buildPath, verifyPath := web.RunPath(s.build), web.RunPath(s.verify)
		for _, tc := range []struct {
			name, path string
			want, not  []string
		}{
			{"finished build", buildPath, []string{
				"build of acme/shop#5, attempt 1: pull_opened",
				fmt.Sprintf("%d (build, job 70, attempt 1)", s.build),
				fmt.Sprintf("<title>run %d · booty</title>", s.build),
				`<a href="/problems/sentry:1">sentry:1</a>`,
				`<a href="https://github.com/acme/shop/issues/5">acme/shop#5</a>`,
				`<a href="https://github.com/acme/shop/pull/9">acme/shop#9</a>`,
				`<a href="https://github.com/acme/shop/commit/` + headSHA + `">` + headSHA + `</a>`,
				"opened pull request #9 &lt;b&gt;bold&lt;/b&gt;",
				"2026-03-14 15:19:26Z", "2026-03-14 15:21:56Z, after 2m30s",
				`<pre id="log">go test ./...` + "\nok  \tacme/shop\n&lt;script&gt;window.__pwned=1&lt;/script&gt;\n</pre>",
			}, []string{"<script>window", "<b>bold", `http-equiv="refresh"`}},
			{"running verify", verifyPath, []string{
				"verify of acme/shop#5, attempt 2: running", "not yet: running for 1h47m0s",
				`<a href="https://github.com/acme/shop/pull/9">acme/shop#9</a>`, `http-equiv="refresh"`,
				"no output yet",
			}, []string{`<pre id="log">`}},
			{"problem", "/problems/sentry:1", []string{
				`id="runs"`, `<a class="run" href="` + verifyPath + `">`, `<a class="run" href="` + buildPath + `">`,
				"pull_opened", "running", "2m30s",
			}, []string{"<b>bold"}},
			{"problem without runs", "/problems/sentry:2", []string{"none: the builder has not taken"}, []string{`id="runs"`}},
			{"home", "/", []string{"Recent runs", `<a class="run" href="` + buildPath + `">`, "1h47m0s"}, nil},
		} {
			code, body := s.get(t, tc.path)
			if code != http.StatusOK {
				t.Errorf("%s: GET %s: %d", tc.name, tc.path, code)
			}
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("%s: no %q in the page:\n%s", tc.name, w, body)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(body, n) {
					t.Errorf("%s: %q in the page", tc.name, n)
				}
			}
		}
		_, problem := s.get(t, "/problems/sentry:1")
		if strings.Index(problem, verifyPath+`"`) > strings.Index(problem, buildPath+`"`) {
			t.Errorf("the problem's runs are not newest first:\n%s", problem)
		}
	})
}

func TestRunAPI(t *testing.T) {
	t.Parallel()
	s := seed(t)
	code, body := s.get(t, "/api/v1/runs/"+fmt.Sprint(s.build))
	if code != http.StatusOK {
		t.Fatalf("%d %s", code, body)
	}
	var got web.RunShowJSON
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	r := got.Run
	if r.ID != s.build || r.Page != web.RunPath(s.build) || r.Kind != "build" || r.JobID != 70 || r.ProblemKey != "sentry:1" ||
		r.Repo != "acme/shop" || r.IssueURL != "https://github.com/acme/shop/issues/5" || r.Pull != 9 ||
		r.PullURL != "https://github.com/acme/shop/pull/9" || r.SHA != headSHA || r.Running || r.Outcome != "pull_opened" ||
		r.Detail != runDetail || r.StartedAt == nil || r.FinishedAt == nil || *r.FinishedAt != "2026-03-14T15:21:56.535Z" ||
		got.Log != runLog {
		t.Errorf("run as JSON: %+v", got)
	}

	_, body = s.get(t, "/api/v1/problems/sentry:1")
	var shown web.ProblemShowJSON
	if err := json.Unmarshal([]byte(body), &shown); err != nil {
		t.Fatal(err)
	}
	if len(shown.Runs) != 2 || shown.Runs[0].ID != s.verify || !shown.Runs[0].Running || shown.Runs[0].FinishedAt != nil ||
		shown.Runs[1].ID != s.build || shown.Runs[1].Outcome != "pull_opened" {
		t.Errorf("the problem's runs as JSON: %+v", shown.Runs)
	}
	if strings.Contains(body, "__pwned") {
		t.Errorf("the problem's JSON holds a run's log: %s", body)
	}
	_, body = s.get(t, "/api/v1/problems/sentry:2")
	if !strings.Contains(body, `"runs": []`) {
		t.Errorf("a problem without runs: want an empty list in %s", body)
	}

	for _, path := range []string{"/api/v1/runs/999", "/api/v1/runs/0", "/api/v1/runs/-1", "/api/v1/runs/x", "/runs/999", "/runs/x"} {
		code, body := s.get(t, path)
		if code != http.StatusNotFound || !strings.Contains(body, "no such run") {
			t.Errorf("%s: %d %q; want 404, no such run", path, code, body)
		}
	}
}

func TestRunLinks(t *testing.T) {
	t.Parallel()
	links := web.IssueLinks{DefaultRepo: "acme/shop", Web: "https://github.com"}
	unknown := web.IssueLinks{Web: "https://github.com"}
	for _, tc := range []struct {
		name, got, want string
	}{
		{"pull", links.PullURL("acme/web", 9), "https://github.com/acme/web/pull/9"},
		{"pull of the default repository", links.PullURL("", 9), "https://github.com/acme/shop/pull/9"},
		{"no pull yet", links.PullURL("acme/web", 0), ""},
		{"pull of an unknown repository", unknown.PullURL("", 9), ""},
		{"commit", links.CommitURL("acme/web", "0123abcdEF"), "https://github.com/acme/web/commit/0123abcdEF"},
		{"commit too short", links.CommitURL("acme/web", "0123ab"), ""},
		{"not a commit", links.CommitURL("acme/web", "../../settings"), ""},
		{"no commit yet", links.CommitURL("acme/web", ""), ""},
		{"commit of an unknown repository", unknown.CommitURL("", "0123456789"), ""},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, tc.got, tc.want)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"},
		{1234567 * time.Microsecond, "1s"},
		{400*time.Millisecond + 400*time.Microsecond, "400ms"},
		{150*time.Second + 600*time.Millisecond, "2m31s"},
	} {
		if got := web.FormatDuration(tc.in); got != tc.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
