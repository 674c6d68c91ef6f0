package githubtest_test

import (
	"context"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	gh "github.com/google/go-github/v92/github"

	"booty/internal/githubtest"
)

// gitRun runs git in dir with a clean environment and the extra variables.
func gitRun(t *testing.T, dir string, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.invalid", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.invalid"}, env...)
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func mustGit(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	out, err := gitRun(t, dir, env, args...)
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return out
}

// gitRoot makes GitRoot/acme/shop.git, a bare repository with one commit on
// main.
func gitRoot(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed; .ci/run installs it")
	}
	work, root := t.TempDir(), t.TempDir()
	mustGit(t, work, nil, "init", "-q", "-b", "main")
	if err := os.WriteFile(filepath.Join(work, "a.txt"), []byte("a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustGit(t, work, nil, "add", "-A")
	mustGit(t, work, nil, "commit", "-q", "-m", "base")
	mustGit(t, t.TempDir(), nil, "clone", "-q", "--bare", work, filepath.Join(root, owner, repo+".git"))
	return root
}

// authHeader is git's http.extraHeader for token, as booty sends it.
func gitAuth(token string) []string {
	basic := base64.StdEncoding.EncodeToString([]byte("x-access-token:" + token))
	return []string{"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=http.extraHeader", "GIT_CONFIG_VALUE_0=Authorization: Basic " + basic}
}

// TestGitRemote: the stand-in serves its git remote to the API's token
// only; a pull request carries its head commit and sends opened; a push
// to its branch sends synchronize; commit statuses are kept per commit.
func TestGitRemote(t *testing.T) {
	t.Parallel()
	b, rc := hookSetup(t, githubtest.Options{GitRoot: gitRoot(t)})
	remote := b.srv.URL + owner + "/" + repo + ".git"
	if out, err := gitRun(t, t.TempDir(), gitAuth("wrong"), "clone", "-q", remote, "."); err == nil {
		t.Fatalf("a clone with a wrong token succeeded: %s", out)
	}
	tree := t.TempDir()
	mustGit(t, tree, gitAuth(testToken), "clone", "-q", remote, ".")
	mustGit(t, tree, nil, "switch", "-q", "-c", "fix")
	commit := func(text string) string {
		if err := os.WriteFile(filepath.Join(tree, "a.txt"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		mustGit(t, tree, nil, "commit", "-q", "-am", text)
		mustGit(t, tree, gitAuth(testToken), "push", "-q", remote, "HEAD:refs/heads/fix")
		return mustGit(t, tree, nil, "rev-parse", "HEAD")
	}
	first := commit("b\n")

	ctx := context.Background()
	draft := true
	pr, _, err := b.gh.PullRequests.Create(ctx, owner, repo, gh.CreatePullRequest{Title: new("Fix"), Head: "fix", Base: "main", Draft: &draft})
	if err != nil {
		t.Fatal(err)
	}
	if pr.GetHead().GetSHA() != first {
		t.Errorf("pull request head %q, want %s", pr.GetHead().GetSHA(), first)
	}
	if _, _, err := b.gh.PullRequests.Create(ctx, owner, repo, gh.CreatePullRequest{Title: new("Again"), Head: "fix", Base: "main"}); err == nil {
		t.Error("a second pull request for one branch was opened")
	}
	second := commit("c\n")
	b.srv.WaitWebhooks()
	var actions []string
	for _, d := range rc.received() {
		if d.event != "pull_request" {
			continue
		}
		p := d.parsed.PullRequest
		actions = append(actions, d.parsed.Action+" "+p.HeadRef+" "+p.HeadSHA+" "+p.HeadRepo)
	}
	want := []string{"opened fix " + first + " acme/shop", "synchronize fix " + second + " acme/shop"}
	if strings.Join(actions, "\n") != strings.Join(want, "\n") {
		t.Errorf("pull_request deliveries:\n%s\nwant:\n%s", strings.Join(actions, "\n"), strings.Join(want, "\n"))
	}
	listed, _, err := b.gh.PullRequests.List(ctx, owner, repo, &gh.PullRequestListOptions{Head: owner + ":fix"})
	if err != nil || len(listed) != 1 || listed[0].GetHead().GetSHA() != second {
		t.Errorf("list by head: %v, %v", listed, err)
	}

	for _, tc := range []struct {
		sha, state, desc string
		ok               bool
	}{
		{second, "pending", "running", true},
		{second, "success", "passed", true},
		{second, "done", "bad state", false},
		{second, "failure", strings.Repeat("x", 141), false},
		{strings.Repeat("0", 40), "success", "no such commit", false},
	} {
		_, _, err := b.gh.Repositories.CreateStatus(ctx, owner, repo, tc.sha, gh.RepoStatus{State: new(tc.state),
			Description: new(tc.desc), Context: new("booty/verifier")})
		if (err == nil) != tc.ok {
			t.Errorf("status %s %q: err %v, want ok %v", tc.state, tc.desc, err, tc.ok)
		}
	}
	got := b.srv.Statuses(second)
	if len(got) != 2 || got[0].State != "pending" || got[1].State != "success" || got[1].Context != "booty/verifier" {
		t.Errorf("statuses %+v", got)
	}
	listed2, _, err := b.gh.Repositories.ListStatuses(ctx, owner, repo, second, nil)
	if err != nil || len(listed2) != 2 || listed2[0].GetState() != "success" || listed2[1].GetState() != "pending" {
		t.Errorf("listed statuses, newest first: %v, %v", listed2, err)
	}
}
