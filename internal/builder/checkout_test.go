package builder

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// bareRemote returns a bare repository (the remote a build clones) with
// one commit on main, and that commit's SHA.
func bareRemote(t *testing.T) (url, sha string) {
	t.Helper()
	work := repoWith(t, map[string]string{"src/app.go": "package app\n"})
	bare := filepath.Join(t.TempDir(), "remote.git")
	if _, err := git(t.Context(), t.TempDir(), "clone", "--quiet", "--bare", work, bare); err != nil {
		t.Fatal(err)
	}
	out, err := git(t.Context(), work, "rev-parse", "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	return "file://" + bare, strings.TrimSpace(string(out))
}

func TestClone(t *testing.T) {
	t.Parallel()
	remote, sha := bareRemote(t)
	dir := t.TempDir()
	const token = "ghs_clone_token_never_stored"
	if err := Clone(t.Context(), Checkout{URL: remote, Token: token, Base: "main", SHA: sha, Branch: "booty/issue-7", Dir: dir}); err != nil {
		t.Fatal(err)
	}
	branch, err := git(t.Context(), dir, "rev-parse", "--abbrev-ref", "HEAD")
	if err != nil || strings.TrimSpace(string(branch)) != "booty/issue-7" {
		t.Errorf("branch %q, %v; want booty/issue-7", branch, err)
	}
	head, _ := git(t.Context(), dir, "rev-parse", "HEAD")
	if strings.TrimSpace(string(head)) != sha {
		t.Errorf("HEAD %s, want %s", head, sha)
	}
	cfg, err := os.ReadFile(filepath.Join(dir, ".git", "config"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(cfg), token) || strings.Contains(string(cfg), "extraHeader") {
		t.Errorf(".git/config holds credentials:\n%s", cfg)
	}

	for name, c := range map[string]Checkout{
		"credentials in the URL": {URL: "https://x:" + token + "@github.com/a/b.git", Base: "main", SHA: sha, Branch: "b", Dir: t.TempDir()},
		"a dirty directory":      {URL: remote, Base: "main", SHA: sha, Branch: "b", Dir: dir},
		"an unknown base":        {URL: remote, Token: token, Base: "nope", SHA: sha, Branch: "b", Dir: t.TempDir()},
	} {
		err := Clone(t.Context(), c)
		if err == nil {
			t.Errorf("%s: no error", name)
		} else if strings.Contains(err.Error(), token) {
			t.Errorf("%s: the error holds the token: %v", name, err)
		}
	}
}

// TestBranchHead: the head of a branch the remote has, and "" for one it
// has not.
func TestBranchHead(t *testing.T) {
	t.Parallel()
	remote, sha := bareRemote(t)
	for _, tc := range []struct{ branch, want string }{{"main", sha}, {"booty/issue-1", ""}} {
		got, err := BranchHead(t.Context(), remote, "", tc.branch)
		if err != nil || got != tc.want {
			t.Errorf("BranchHead(%s) = %q, %v; want %q", tc.branch, got, err, tc.want)
		}
	}
	if _, err := BranchHead(t.Context(), "file:///nonexistent/x.git", "", "main"); err == nil {
		t.Error("a missing remote: no error")
	}
}
