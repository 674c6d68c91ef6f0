package builder

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
)

// ErrNoCommit is a Checkout's SHA the cloned branch does not hold: the
// branch moved on without it (a force-push).
var ErrNoCommit = errors.New("the branch no longer holds the commit")

// Checkout is a fresh clone of a repository for one build.
type Checkout struct {
	// URL is the repository's clone URL, without credentials.
	URL string
	// Token, when set, authenticates the clone. It goes to git through
	// its environment (GIT_CONFIG_*), never into argv or .git/config.
	Token string
	// Base is the branch cloned, SHA the commit the build starts from
	// ("" for the branch's head), and Branch the branch created for the
	// build (booty/issue-N). A Branch that is Base, or "", creates none:
	// a later build attempt works on its branch's head, and the verifier
	// on SHA, detached.
	Base, SHA, Branch string
	// Dir is where it goes: a new, empty directory.
	Dir string
}

// Clone makes the checkout: base cloned, the build's branch at SHA (or SHA
// detached), and an origin with no credentials, so that nothing in the
// tree can push. A SHA that base does not hold is ErrNoCommit.
func Clone(ctx context.Context, c Checkout) error {
	u, err := url.Parse(c.URL)
	if err != nil || u.User != nil {
		return fmt.Errorf("clone URL must carry no credentials")
	}
	if entries, err := os.ReadDir(c.Dir); err != nil || len(entries) > 0 {
		return fmt.Errorf("checkout directory %s must exist and be empty", c.Dir)
	}
	if _, err := gitEnv(ctx, c.Dir, authEnv(c.Token), "clone", "--quiet", "--no-tags", "--single-branch", "--branch", c.Base, "--", c.URL, "."); err != nil {
		return fmt.Errorf("clone %s: %w", c.URL, scrub(err, c.Token))
	}
	switch {
	case c.Branch != "" && c.Branch != c.Base:
		args := []string{"switch", "--quiet", "--create", c.Branch}
		if c.SHA != "" {
			args = append(args, c.SHA)
		}
		if _, err := git(ctx, c.Dir, args...); err != nil {
			return err
		}
	case c.SHA != "":
		if _, err := git(ctx, c.Dir, "switch", "--quiet", "--detach", c.SHA); err != nil {
			return fmt.Errorf("%w: %s on %s: %w", ErrNoCommit, c.SHA, c.Base, err)
		}
	}
	cfg, err := os.ReadFile(c.Dir + "/.git/config")
	if err != nil {
		return err
	}
	if c.Token != "" && strings.Contains(string(cfg), c.Token) {
		return fmt.Errorf("the checkout's git config holds the token")
	}
	return nil
}

// scrub takes token out of err's text.
func scrub(err error, token string) error {
	if token == "" || !strings.Contains(err.Error(), token) {
		return err
	}
	return fmt.Errorf("%s", strings.ReplaceAll(err.Error(), token, "[token]"))
}

// Head returns the commit dir's HEAD names.
func Head(ctx context.Context, dir string) (string, error) {
	out, err := git(ctx, dir, "rev-parse", "HEAD")
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// BranchHead returns the commit branch points at in the remote at url
// (without credentials), "" when it has no such branch; token
// authenticates as in Clone.
func BranchHead(ctx context.Context, url, token, branch string) (string, error) {
	out, err := gitEnv(ctx, "", authEnv(token), "ls-remote", "--heads", "--", url, "refs/heads/"+branch)
	if err != nil {
		return "", fmt.Errorf("look for %s: %w", branch, scrub(err, token))
	}
	sha, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\t")
	return sha, nil
}

// authEnv hands token to git as an http.extraHeader through its
// environment (GIT_CONFIG_*): never in argv or a config file.
func authEnv(token string) []string {
	if token == "" {
		return nil
	}
	basic := base64.StdEncoding.EncodeToString([]byte("x-access-token:" + token))
	return []string{"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=http.extraHeader", "GIT_CONFIG_VALUE_0=Authorization: Basic " + basic}
}
