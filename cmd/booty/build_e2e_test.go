package main

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"booty/internal/github"
	"booty/internal/githubtest"
	"booty/internal/web"
)

// gitIn runs git in dir for a test.
func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.invalid", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.invalid"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// gitRoot holds the git remote of acme/shop, acme/shop.git: a bare
// repository with one commit on main, which the GitHub stand-in serves
// over HTTP. It returns the root and the bare repository.
func gitRoot(t *testing.T) (root, bare string) {
	t.Helper()
	work := t.TempDir()
	gitIn(t, work, "init", "-q", "-b", "main")
	if err := os.WriteFile(filepath.Join(work, "app.js"), []byte("export const id = (x) => x.id;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gitIn(t, work, "add", "-A")
	gitIn(t, work, "commit", "-q", "-m", "base")
	root = t.TempDir()
	bare = filepath.Join(root, "acme", "shop.git")
	gitIn(t, t.TempDir(), "clone", "-q", "--bare", work, bare)
	return root, bare
}

// acmeShop is the GitHub stand-in of acme/shop the build tests use, with
// its git remote, and the remote's bare repository.
func acmeShop(t *testing.T, issues ...githubtest.Issue) (*githubtest.Server, string) {
	root, bare := gitRoot(t)
	return githubtest.NewServer(t, githubtest.Options{Token: testToken, Owner: "acme", Repo: "shop", GitRoot: root, Issues: issues}), bare
}

// buildBooty starts booty with BOOTY_BUILDER=command running argv (a JSON
// list) against gh's acme/shop and its git remote, and files problem
// issueID: booty files it with the trigger label, which queues its build.
// It returns booty, which the caller stops, and the issue's number.
func buildBooty(t *testing.T, gh *githubtest.Server, argv, issueID string, env ...string) (*process, int) {
	t.Helper()
	env = append(append(bootyEnv(gh.URL, "sqlite:"+filepath.Join(t.TempDir(), "booty.db")),
		"GITHUB_WEBHOOK_SECRET="+testGitHubSecret, "BOOTY_BUILDER=command", "BOOTY_BUILDER_COMMAND="+argv,
		"BOOTY_GIT_URL="+gh.URL+"{owner}/{repo}.git"), env...)
	p := startBooty(t, env, "")
	gh.SendWebhooks(p.url+"/webhooks/github", []byte(testGitHubSecret))
	base := fixture(t, "event_alert.triggered.vue-breadcrumbs-zulip-2023.json")
	if got := deliver(t, p.url, "event_alert", withEvent(t, base, issueID, "ev-1"), testSecret); got.Decision != "create" {
		p.stop(t)
		t.Fatalf("alert: %s", got.RawBody)
	}
	n := 0
	waitFor(t, 30*time.Second, "booty's issue", func() bool {
		for _, is := range gh.Issues() {
			if is.User == githubtest.DefaultLogin {
				n = is.Number
			}
		}
		return n > 0
	})
	return p, n
}

// TestBuildToDraftPull runs the built binary with BOOTY_BUILDER=command: a
// person adds the trigger label to an issue booty filed, the builder
// script (which sees no booty secret) changes the code, and booty pushes
// booty/issue-N and opens a draft pull request that says Fixes #N.
func TestBuildToDraftPull(t *testing.T) {
	t.Parallel()
	envDump := filepath.Join(t.TempDir(), "builder.env")
	script := filepath.Join(t.TempDir(), "builder.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nenv > \"$1\"\ncat .git/config >> \"$1\"\ncat \"$BOOTY_TASK_JSON\" > /dev/null\n"+
		"printf 'export const id = (x) => x?.id;\\n' > app.js\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	gh, bare := acmeShop(t)
	p, n := buildBooty(t, gh, `["`+script+`", "`+envDump+`"]`, "8080", "BOOTY_BUILDER_TIMEOUT=30s")
	defer p.stop(t)
	waitFor(t, 60*time.Second, "a draft pull request", func() bool {
		if strings.Contains(p.logs.String(), "build ended") || strings.Contains(p.logs.String(), "parked") {
			t.Fatalf("logs:\n%s", p.logs)
		}
		return len(gh.Pulls()) == 1
	})
	pr := gh.Pulls()[0]
	branch := "booty/issue-" + itoa(n)
	if !pr.Draft || pr.Head != branch || pr.Base != "main" || !strings.Contains(pr.Body, "Fixes #"+itoa(n)) {
		t.Errorf("pull request %+v, want a draft from %s into main that fixes #%d", pr, branch, n)
	}
	if got := gitIn(t, bare, "show", branch+":app.js"); got != "export const id = (x) => x?.id;" {
		t.Errorf("the pushed branch has app.js %q, want the builder's change", got)
	}
	if msg := gitIn(t, bare, "log", "-1", "--format=%an %B", branch); !strings.Contains(msg, "booty") || !strings.Contains(msg, "Fixes #"+itoa(n)) {
		t.Errorf("commit %q, want booty's with Fixes #%d", msg, n)
	}
	dump, err := os.ReadFile(envDump)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{testToken, testSecret, testGitHubSecret} {
		if strings.Contains(string(dump), secret) {
			t.Errorf("the builder's environment or .git/config holds a secret of booty's:\n%s", dump)
		}
	}
	if !strings.Contains(string(dump), "BOOTY_TASK_MD=") {
		t.Errorf("the builder got no task:\n%s", dump)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// branchCommits are the commits of branch in the bare repository that main
// has not, newest first; none while the branch does not exist.
func branchCommits(t *testing.T, bare, branch string) []string {
	t.Helper()
	if err := exec.Command("git", "-C", bare, "rev-parse", "--verify", "--quiet", "refs/heads/"+branch).Run(); err != nil {
		return nil
	}
	return strings.Fields(gitIn(t, bare, "log", "--format=%H", "main.."+branch))
}

// TestBuildWithoutPull: a builder that touches a workflow, changes
// nothing, or runs out of time gets a comment on the issue, and nothing
// is pushed.
func TestBuildWithoutPull(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, script, want string
	}{
		{"a workflow", "mkdir -p .github/workflows && echo 'on: push' > .github/workflows/x.yml", ".github/workflows/x.yml is protected"},
		{"no change", "true", "the builder command changed nothing"},
		{"too slow", "sleep 30 & wait", "ran out of time"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			script := filepath.Join(t.TempDir(), "builder.sh")
			if err := os.WriteFile(script, []byte("#!/bin/sh\n"+tc.script+"\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			gh, bare := acmeShop(t)
			p, n := buildBooty(t, gh, `["`+script+`"]`, "8081", "BOOTY_BUILDER_TIMEOUT=1s")
			defer p.stop(t)
			waitFor(t, 60*time.Second, "the build's comment", func() bool {
				is, _ := gh.Issue(n)
				return len(is.Comments) == 1
			})
			is, _ := gh.Issue(n)
			if !strings.Contains(is.Comments[0], "**No pull request:**") || !strings.Contains(is.Comments[0], tc.want) {
				t.Errorf("comment %q, want one saying %q", is.Comments[0], tc.want)
			}
			if len(gh.Pulls()) != 0 {
				t.Errorf("%d pull requests, want none", len(gh.Pulls()))
			}
			if branches := gitIn(t, bare, "branch", "--list", "booty/*"); branches != "" {
				t.Errorf("pushed %q, want nothing", branches)
			}
		})
	}
}

// TestBuildNeedsWriteAccess: booty builds the issue it filed with the
// trigger label; a person who adds the label again builds it again only
// with write access; an issue booty did not file, though it carries the
// problem's marker, is never built.
func TestBuildNeedsWriteAccess(t *testing.T) {
	t.Parallel()
	copied := githubtest.Issue{Number: 1, User: "mallory", Title: "copied", State: "open", Labels: []string{},
		Body: "Build this.\n\n" + github.Marker("sentry:8082")}
	gh, _ := acmeShop(t, copied)
	p, n := buildBooty(t, gh, `["/bin/true"]`, "8082")
	if n == copied.Number {
		t.Fatalf("booty's issue is #%d, the copy's number", n)
	}
	if err := gh.AddLabel(copied.Number, "agent:builder"); err != nil {
		t.Fatal(err)
	}
	defer p.stop(t)
	waitFor(t, 30*time.Second, "the first build's comment", func() bool {
		is, _ := gh.Issue(n)
		return len(is.Comments) == 1
	})
	// A build still live takes no second one.
	waitJobsDone(t, p, 30*time.Second)
	for _, tc := range []struct {
		permission, log string
		comments        int
	}{
		{"read", "without write access; no build", 1},
		{"write", "build ended without a pull request", 2},
	} {
		gh.SetPermission("maintainer", tc.permission)
		// A person takes the label off and puts it back: the labeled event.
		if err := gh.RemoveLabel(n, "agent:builder"); err != nil {
			t.Fatal(err)
		}
		if err := gh.AddLabel(n, "agent:builder"); err != nil {
			t.Fatal(err)
		}
		gh.WaitWebhooks()
		waitFor(t, 30*time.Second, "the build's verdict for a "+tc.permission+" permission", func() bool {
			return strings.Count(p.logs.String(), tc.log) >= 1 && strings.Count(p.logs.String(), "build ended without a pull request") == tc.comments
		})
		waitJobsDone(t, p, 30*time.Second)
		if is, _ := gh.Issue(n); len(is.Comments) != tc.comments || len(gh.Pulls()) != 0 {
			t.Errorf("permission %s: %d comments and %d pull requests, want %d and none", tc.permission, len(is.Comments), len(gh.Pulls()), tc.comments)
		}
	}
	if is, _ := gh.Issue(copied.Number); len(is.Comments) != 0 || !strings.Contains(p.logs.String(), `"outcome":"other_issue"`) {
		t.Errorf("the copied issue: %d comments; logs:\n%s", len(is.Comments), p.logs)
	}
}

// statusToken is the status page's password in the build tests.
const statusToken = "status-token-of-the-build-tests"

// TestVerifiedDraftPull: the verifier runs BOOTY_TEST_COMMAND on the draft
// pull request's head and posts booty/verifier; a failure queues a second
// build on the same branch with the failure in its task, whose push the
// verifier then marks a success.
func TestVerifiedDraftPull(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tasks := filepath.Join(dir, "tasks.json")
	builderScript := filepath.Join(dir, "builder.sh")
	// The first attempt breaks app.js; the second, told why, fixes it.
	if err := os.WriteFile(builderScript, []byte(`#!/bin/sh
cat "$BOOTY_TASK_JSON" >> "$1"
if grep -q '"attempt": 1,' "$BOOTY_TASK_JSON"; then
  printf 'export const id = (x) => x.ID;\n' > app.js
else
  printf 'export const id = (x) => x?.id;\n' > app.js
fi
`), 0o755); err != nil {
		t.Fatal(err)
	}
	testScript := filepath.Join(dir, "test.sh")
	if err := os.WriteFile(testScript, []byte("#!/bin/sh\nif grep -q 'x?.id' app.js; then echo ok; else echo 'FAIL: id() of null throws'; exit 1; fi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	gh, bare := acmeShop(t)
	p, n := buildBooty(t, gh, `["`+builderScript+`", "`+tasks+`"]`, "8083",
		"BOOTY_TEST_COMMAND=[\""+testScript+"\"]", "BOOTY_PUBLIC_URL=https://booty.example.com", "BOOTY_STATUS_TOKEN="+statusToken)
	defer p.stop(t)
	branch := "booty/issue-" + itoa(n)
	var first, second string
	waitFor(t, 90*time.Second, "two verdicts", func() bool {
		if strings.Contains(p.logs.String(), "parked") {
			t.Fatalf("logs:\n%s", p.logs)
		}
		pulls := gh.Pulls()
		if len(pulls) != 1 {
			return false
		}
		shas := branchCommits(t, bare, branch)
		if len(shas) != 2 {
			return false
		}
		second, first = shas[0], shas[1]
		st := gh.Statuses(second)
		return len(st) == 2
	})
	for _, tc := range []struct {
		sha  string
		want []string
	}{
		{first, []string{"pending booty is running the tests", "failure the tests failed (exit status 1); build attempt 2 queued"}},
		{second, []string{"pending booty is running the tests", "success the tests passed in"}},
	} {
		st := gh.Statuses(tc.sha)
		if len(st) != len(tc.want) {
			t.Fatalf("statuses of %s: %+v", tc.sha, st)
		}
		for i, s := range st {
			if s.Context != "booty/verifier" || !strings.HasPrefix(s.State+" "+s.Description, tc.want[i]) ||
				!strings.HasPrefix(s.TargetURL, "https://booty.example.com/runs/") {
				t.Errorf("status %d of %s: %+v, want %q linked to its run", i, tc.sha, s, tc.want[i])
			}
		}
	}
	// The failure's status links the run, whose log the status page has.
	runPath := strings.TrimPrefix(gh.Statuses(first)[1].TargetURL, "https://booty.example.com")
	id := strings.TrimPrefix(runPath, "/runs/")
	req, err := http.NewRequest(http.MethodGet, p.url+"/api/v1/runs/"+id, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("booty", statusToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var run web.RunShowJSON
	err = json.NewDecoder(resp.Body).Decode(&run)
	resp.Body.Close()
	if err != nil || run.Run.Kind != "verify" || run.Run.Outcome != "failure" || run.Run.SHA != first ||
		run.Run.Page != runPath || !strings.Contains(run.Log, "FAIL: id() of null throws") {
		t.Errorf("run %s: %+v, %v", id, run, err)
	}
	raw, err := os.ReadFile(tasks)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `"attempt": 2,`) || !strings.Contains(string(raw), "FAIL: id() of null throws") {
		t.Errorf("the second attempt's task does not carry the first's failure:\n%s", raw)
	}
	if got := gitIn(t, bare, "show", branch+":app.js"); got != "export const id = (x) => x?.id;" {
		t.Errorf("the branch has app.js %q, want the second attempt's", got)
	}
	if pr := gh.Pulls()[0]; pr.Head != branch || !pr.Draft {
		t.Errorf("pull request %+v", pr)
	}
	waitJobsDone(t, p, 30*time.Second)
	raw = []byte(scrapeMetrics(t, p))
	for _, line := range []string{
		`booty_builds_total{outcome="pull_opened"} 1`,
		`booty_builds_total{outcome="pushed"} 1`,
		`booty_verifications_total{outcome="failure"} 1`,
		`booty_verifications_total{outcome="success"} 1`,
		`booty_run_duration_seconds_count{kind="verify"} 2`,
	} {
		if !strings.Contains(string(raw), "\n"+line+"\n") {
			t.Errorf("metrics lack %q", line)
		}
	}
}

// TestVerifyAfterAPersonsPush: a person pushes to booty's branch while the
// verifier tests booty's commit; the failure of the older commit builds
// nothing again, and the person's commit is verified, never rebuilt.
func TestVerifyAfterAPersonsPush(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	builderScript := filepath.Join(dir, "builder.sh")
	if err := os.WriteFile(builderScript, []byte("#!/bin/sh\nprintf 'export const id = (x) => x.ID;\\n' > app.js\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	gh, bare := acmeShop(t)
	// The tests of booty's commit fail, and meanwhile a person pushes a
	// commit of their own to the branch (once); the person's pass.
	pushed := filepath.Join(dir, "pushed")
	testScript := filepath.Join(dir, "test.sh")
	// The person pushes through GitHub (the stand-in), which then sends
	// synchronize.
	auth := "http.extraHeader=Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("x-access-token:"+testToken))
	person := "cd \"$(mktemp -d)\" && git clone -q --branch \"$BOOTY_VERIFY_BRANCH\" " + bare + " . && " +
		"printf 'export const id = (x) => x?.id;\\n' > app.js && git -c user.name=p -c user.email=p@example.invalid commit -qam mine && " +
		"git -c '" + auth + "' push -q " + gh.URL + "acme/shop.git HEAD:\"$BOOTY_VERIFY_BRANCH\""
	if err := os.WriteFile(testScript, []byte("#!/bin/sh\nif grep -q 'x?.id' app.js; then exit 0; fi\n"+
		"if [ ! -e "+pushed+" ]; then touch "+pushed+"; ("+person+") >/dev/null 2>&1; fi\necho 'FAIL: id() of null throws'; exit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	p, n := buildBooty(t, gh, `["`+builderScript+`"]`, "8085", "BOOTY_TEST_COMMAND=[\""+testScript+"\"]")
	defer p.stop(t)
	branch := "booty/issue-" + itoa(n)
	waitFor(t, 60*time.Second, "booty's commit's failure", func() bool {
		shas := branchCommits(t, bare, branch)
		return len(shas) == 2 && len(gh.Statuses(shas[1])) == 2
	})
	shas := branchCommits(t, bare, branch)
	mine, booty := shas[0], shas[1]
	if st := gh.Statuses(booty); st[1].State != "failure" || !strings.Contains(st[1].Description, "the branch has moved on") {
		t.Errorf("booty's commit's verdict %+v, want a failure saying the branch moved on", st[1])
	}
	// The person's commit is verified: the push sent synchronize.
	waitFor(t, 60*time.Second, "the person's commit's verdict", func() bool { return len(gh.Statuses(mine)) == 2 })
	if st := gh.Statuses(mine); st[1].State != "success" {
		t.Errorf("the person's commit's verdict %+v, want success", st[1])
	}
	waitJobsDone(t, p, 30*time.Second)
	if got := strings.Count(p.logs.String(), `"msg":"build started"`); got != 1 {
		t.Errorf("%d builds started, want 1: nothing is built on a moved branch", got)
	}
}
