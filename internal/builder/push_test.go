package builder

import (
	"os"
	"strings"
	"testing"
)

// TestCommitAndPush: the build's change, committed as booty with "Fixes
// #N", reaches the remote's booty/issue-N branch, and the checkout keeps
// neither the token nor an identity.
func TestCommitAndPush(t *testing.T) {
	t.Parallel()
	remote, sha := bareRemote(t)
	dir := t.TempDir()
	const token = "ghs_push_token_never_stored"
	if err := Clone(t.Context(), Checkout{URL: remote, Token: token, Base: "main", SHA: sha, Branch: "booty/issue-7", Dir: dir}); err != nil {
		t.Fatal(err)
	}
	write(t, dir, map[string]string{"src/app.go": "package app\n\nfunc Fixed() {}\n"})
	c, err := Read(t.Context(), dir)
	if err != nil || Check(c, Limits{MaxFiles: 5, MaxLines: 50, Protected: DefaultProtected}) != nil {
		t.Fatalf("change %+v: %v", c, err)
	}
	commit, err := Commit(t.Context(), dir, Author{Name: "booty", Email: "booty@users.noreply.github.com"}, "Fix the crash in app\n\nFixes #7")
	if err != nil {
		t.Fatal(err)
	}
	if err := Push(t.Context(), dir, remote, "booty/issue-7", token); err != nil {
		t.Fatal(err)
	}
	bare := strings.TrimPrefix(remote, "file://")
	out, err := git(t.Context(), bare, "log", "-1", "--format=%H %an%n%B", "refs/heads/booty/issue-7")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(out), commit+" booty\n") || !strings.Contains(string(out), "Fixes #7") {
		t.Errorf("remote branch: %q, want booty's commit %s with Fixes #7", out, commit)
	}
	cfg, _ := os.ReadFile(dir + "/.git/config")
	if strings.Contains(string(cfg), token) || strings.Contains(string(cfg), "booty@") {
		t.Errorf(".git/config keeps the token or the identity:\n%s", cfg)
	}
	if err := Push(t.Context(), dir, "https://x:"+token+"@github.com/a/b.git", "b", token); err == nil || strings.Contains(err.Error(), token) {
		t.Errorf("a URL with credentials: %v", err)
	}
}
