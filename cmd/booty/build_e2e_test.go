package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"booty/internal/githubtest"
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

// bareRepo is the git remote of acme/shop: a bare repository with one
// commit on main.
func bareRepo(t *testing.T) string {
	t.Helper()
	work := t.TempDir()
	gitIn(t, work, "init", "-q", "-b", "main")
	if err := os.WriteFile(filepath.Join(work, "app.js"), []byte("export const id = (x) => x.id;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gitIn(t, work, "add", "-A")
	gitIn(t, work, "commit", "-q", "-m", "base")
	bare := filepath.Join(t.TempDir(), "shop.git")
	gitIn(t, t.TempDir(), "clone", "-q", "--bare", work, bare)
	return bare
}

// acmeShop is the GitHub stand-in of acme/shop the build tests use.
func acmeShop(t *testing.T) *githubtest.Server {
	return githubtest.NewServer(t, githubtest.Options{Token: testToken, Owner: "acme", Repo: "shop"})
}

// buildBooty starts booty with BOOTY_BUILDER=command running argv (a JSON
// list) against gh's acme/shop, whose git remote is bare, files problem
// issueID, and has a person label its issue with the trigger label again
// (the labeled event a build starts on). It returns booty, which the
// caller stops, and the issue's number.
func buildBooty(t *testing.T, gh *githubtest.Server, bare, argv, issueID string, env ...string) (*process, int) {
	t.Helper()
	env = append(append(bootyEnv(gh.URL, "sqlite:"+filepath.Join(t.TempDir(), "booty.db")),
		"GITHUB_WEBHOOK_SECRET="+testGitHubSecret, "BOOTY_BUILDER=command", "BOOTY_BUILDER_COMMAND="+argv,
		"BOOTY_GIT_URL=file://"+filepath.Dir(bare)+"/{repo}.git"), env...)
	p := startBooty(t, env, "")
	gh.SendWebhooks(p.url+"/webhooks/github", []byte(testGitHubSecret))
	base := fixture(t, "event_alert.triggered.vue-breadcrumbs-zulip-2023.json")
	if got := deliver(t, p.url, "event_alert", withEvent(t, base, issueID, "ev-1"), testSecret); got.Decision != "create" {
		p.stop(t)
		t.Fatalf("alert: %s", got.RawBody)
	}
	waitJobsDone(t, p, 30*time.Second)
	n := gh.Issues()[0].Number
	// A person takes the label off and puts it back: the labeled event.
	if err := gh.RemoveLabel(n, "agent:builder"); err != nil {
		t.Fatal(err)
	}
	if err := gh.AddLabel(n, "agent:builder"); err != nil {
		t.Fatal(err)
	}
	gh.WaitWebhooks()
	return p, n
}

// TestBuildToDraftPull runs the built binary with BOOTY_BUILDER=command: a
// person adds the trigger label to an issue booty filed, the builder
// script (which sees no booty secret) changes the code, and booty pushes
// booty/issue-N and opens a draft pull request that says Fixes #N.
func TestBuildToDraftPull(t *testing.T) {
	t.Parallel()
	bare := bareRepo(t)
	envDump := filepath.Join(t.TempDir(), "builder.env")
	script := filepath.Join(t.TempDir(), "builder.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nenv > \"$1\"\ncat \"$BOOTY_TASK_JSON\" > /dev/null\n"+
		"printf 'export const id = (x) => x?.id;\\n' > app.js\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	gh := acmeShop(t)
	p, n := buildBooty(t, gh, bare, `["`+script+`", "`+envDump+`"]`, "8080", "BOOTY_BUILDER_TIMEOUT=30s")
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
			t.Errorf("the builder's environment holds a secret of booty's:\n%s", dump)
		}
	}
	if !strings.Contains(string(dump), "BOOTY_TASK_MD=") {
		t.Errorf("the builder got no task:\n%s", dump)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

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
			bare := bareRepo(t)
			script := filepath.Join(t.TempDir(), "builder.sh")
			if err := os.WriteFile(script, []byte("#!/bin/sh\n"+tc.script+"\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			gh := acmeShop(t)
			p, n := buildBooty(t, gh, bare, `["`+script+`"]`, "8081", "BOOTY_BUILDER_TIMEOUT=1s")
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

// TestBuildNeedsWriteAccess: a trigger label added by someone who may not
// push builds nothing.
func TestBuildNeedsWriteAccess(t *testing.T) {
	t.Parallel()
	bare := bareRepo(t)
	gh := acmeShop(t)
	gh.SetPermission("maintainer", "read")
	p, n := buildBooty(t, gh, bare, `["/bin/true"]`, "8082")
	defer p.stop(t)
	waitFor(t, 30*time.Second, "the refusal in the log", func() bool {
		return strings.Contains(p.logs.String(), "without write access; no build")
	})
	waitJobsDone(t, p, 30*time.Second)
	if is, _ := gh.Issue(n); len(is.Comments) != 0 || len(gh.Pulls()) != 0 {
		t.Errorf("%d comments and %d pull requests, want none", len(is.Comments), len(gh.Pulls()))
	}
}
