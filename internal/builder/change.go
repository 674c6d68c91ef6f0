package builder

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// Change is what a builder command changed in its working tree, as git
// sees it.
type Change struct {
	// Files are the paths changed, added or deleted, relative to the tree.
	Files []string
	// Added and Deleted count lines; a binary file counts as one of each.
	Added, Deleted int
}

// Lines is every line the change touches.
func (c Change) Lines() int { return c.Added + c.Deleted }

// Read returns the change in the working tree dir against its HEAD,
// untracked files included, from git itself: what the command says it did
// is not evidence. It stages everything (git add -A), as the commit will.
func Read(ctx context.Context, dir string) (Change, error) {
	if _, err := git(ctx, dir, "add", "-A"); err != nil {
		return Change{}, err
	}
	out, err := git(ctx, dir, "diff", "--cached", "--numstat", "-z", "--no-renames", "HEAD")
	if err != nil {
		return Change{}, err
	}
	var c Change
	// -z: "ADDED\tDELETED\tPATH\0" per file.
	for rec := range strings.SplitSeq(strings.TrimSuffix(string(out), "\x00"), "\x00") {
		if rec == "" {
			continue
		}
		parts := strings.SplitN(rec, "\t", 3)
		if len(parts) != 3 {
			return Change{}, fmt.Errorf("git diff --numstat: unexpected record %q", rec)
		}
		c.Files = append(c.Files, parts[2])
		c.Added += numstat(parts[0])
		c.Deleted += numstat(parts[1])
	}
	return c, nil
}

// numstat reads a count of git's numstat; "-" (a binary file) is one.
func numstat(s string) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return 1
}

// Limits bound what a builder may change.
type Limits struct {
	MaxFiles, MaxLines int
	// Protected are globs (doublestar) of paths the builder may not touch.
	Protected []string
}

// DefaultProtected are the paths no builder touches: CI that would run
// with the repository's secrets, and booty's own configuration.
var DefaultProtected = []string{".github/workflows/**", ".github/actions/**", "**/booty.env", "**/routes.yaml", "deploy/**"}

// ErrViolation is a change that breaks the limits: nothing is pushed.
var ErrViolation = errors.New("the change breaks the builder's limits")

// Check returns an ErrViolation naming every way c breaks l, or nil.
func Check(c Change, l Limits) error {
	var why []string
	if len(c.Files) == 0 {
		why = append(why, "it changes nothing")
	}
	if l.MaxFiles > 0 && len(c.Files) > l.MaxFiles {
		why = append(why, fmt.Sprintf("%d files changed, at most %d allowed", len(c.Files), l.MaxFiles))
	}
	if l.MaxLines > 0 && c.Lines() > l.MaxLines {
		why = append(why, fmt.Sprintf("%d lines changed, at most %d allowed", c.Lines(), l.MaxLines))
	}
	for _, f := range c.Files {
		for _, g := range l.Protected {
			if ok, _ := doublestar.Match(g, f); ok {
				why = append(why, fmt.Sprintf("%s is protected (%s)", f, g))
				break
			}
		}
	}
	if len(why) > 0 {
		return fmt.Errorf("%w: %s", ErrViolation, strings.Join(why, "; "))
	}
	return nil
}

// git runs git in dir with a fixed, minimal environment of its own: no
// user config, no credential helper, no prompt.
func git(ctx context.Context, dir string, args ...string) ([]byte, error) {
	return gitEnv(ctx, dir, nil, args...)
}

// gitEnv is git with more variables in its environment.
func gitEnv(ctx context.Context, dir string, env []string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, gitPath(), args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/nonexistent", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_TERMINAL_PROMPT=0", "LANG=C"}, env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 300 {
			msg = msg[:300] + "…"
		}
		return nil, fmt.Errorf("git %s: %w: %s", args[0], err, msg)
	}
	return out, nil
}

// gitPath finds the git CLI: on booty's PATH, or where Debian puts it (a
// service may run with no PATH at all).
func gitPath() string {
	if p, err := exec.LookPath("git"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/bin/git", "/usr/local/bin/git"} {
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	return "git"
}
