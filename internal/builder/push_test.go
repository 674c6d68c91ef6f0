package builder

import (
	"errors"
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

// TestLaterAttemptAndVerifierCheckout: a second attempt clones its branch
// and pushes on top of the first (never forcing); the verifier's checkout
// is the pushed commit, detached, and reads its attempt; a commit the
// branch no longer holds is ErrNoCommit.
func TestLaterAttemptAndVerifierCheckout(t *testing.T) {
	t.Parallel()
	remote, sha := bareRemote(t)
	author := Author{Name: "booty", Email: "booty@users.noreply.github.com"}
	attempt := func(n int, base, file string) string {
		dir := t.TempDir()
		if err := Clone(t.Context(), Checkout{URL: remote, Base: base, Branch: "booty/issue-7", Dir: dir}); err != nil {
			t.Fatalf("attempt %d: %v", n, err)
		}
		write(t, dir, map[string]string{file: "package app\n"})
		if _, err := Read(t.Context(), dir); err != nil {
			t.Fatal(err)
		}
		commit, err := Commit(t.Context(), dir, author, CommitMessage("the crash", 7, n))
		if err != nil {
			t.Fatal(err)
		}
		if err := Push(t.Context(), dir, remote, "booty/issue-7", ""); err != nil {
			t.Fatalf("attempt %d: %v", n, err)
		}
		return commit
	}
	first := attempt(1, "main", "src/a.go")
	second := attempt(2, "booty/issue-7", "src/b.go")
	bare := strings.TrimPrefix(remote, "file://")
	if out, err := git(t.Context(), bare, "rev-list", "booty/issue-7"); err != nil || !strings.Contains(string(out), first) || !strings.Contains(string(out), sha) {
		t.Errorf("the second attempt did not build on the first: %s %v", out, err)
	}
	for _, tc := range []struct {
		sha     string
		attempt int
		err     error
	}{
		{first, 1, nil},
		{second, 2, nil},
		{strings.Repeat("e", 40), 0, ErrNoCommit},
	} {
		dir := t.TempDir()
		err := Clone(t.Context(), Checkout{URL: remote, Base: "booty/issue-7", SHA: tc.sha, Dir: dir})
		if !errors.Is(err, tc.err) {
			t.Errorf("checkout %s: %v, want %v", tc.sha, err, tc.err)
			continue
		}
		if err != nil {
			continue
		}
		head, _ := Head(t.Context(), dir)
		n, ok, err := Attempt(t.Context(), dir)
		if head != tc.sha || n != tc.attempt || !ok || err != nil {
			t.Errorf("checkout %s: head %s, attempt %d %v %v", tc.sha, head, n, ok, err)
		}
	}
	dir := t.TempDir()
	if err := Clone(t.Context(), Checkout{URL: remote, Base: "main", SHA: sha, Dir: dir}); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := Attempt(t.Context(), dir); ok || err != nil {
		t.Errorf("a person's commit reads as attempt: %v %v", ok, err)
	}
}
